//! What a person (or a script) writes to select history: dates like `2026-11-27`, `7d` or RFC
//! 3339, comma-separated period kinds and exchanges, and a pair name. Shared by `bbwatch
//! history`'s flags and the local API's `/v1/history?since=…` so both read them the same.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use bbwatch_core::model::exchange::Exchange;

use crate::period::PeriodKind;

/// A point in time as a person writes it: RFC 3339; `YYYY-MM-DD HH:MM[:SS]` or
/// `YYYY-MM-DDTHH:MM[:SS]` in local time; `YYYY-MM-DD` (local midnight, or with `end_of_day`
/// the next one); or a duration ago (`7d`, `36h`). `now` is passed in for tests.
pub fn parse_date(s: &str, now: DateTime<Utc>, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{s:?} does not exist in the local time zone"))
    };
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, format) {
            return local(naive);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end_of_day {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        return local(day.and_time(NaiveTime::MIN));
    }
    if let Ok(ago) = humantime::parse_duration(s) {
        return chrono::TimeDelta::from_std(ago)
            .ok()
            .and_then(|ago| now.checked_sub_signed(ago))
            .ok_or_else(|| format!("{s:?} is too long ago"));
    }
    Err(format!(
        "{s:?} is not a date: write 2026-11-27, \"2026-11-27 14:00\", 2026-11-27T05:00:00Z or 7d"
    ))
}

/// `--since`: from that point on.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, Utc::now(), false)
}

/// `--until`: up to that point; a bare date means the end of that day.
pub fn parse_until(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, Utc::now(), true)
}

/// Period kinds, comma-separated (`maintenance,down`).
pub fn parse_kinds(s: &str) -> Result<Vec<PeriodKind>, String> {
    s.split(',')
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.parse::<PeriodKind>().map_err(|e| e.to_string()))
        .collect()
}

/// Exchanges, comma-separated (`bitbank,gmocoin`, any case); empty parts are skipped.
pub fn parse_exchanges(s: &str) -> Result<Vec<Exchange>, String> {
    s.split(',')
        .filter(|e| !e.trim().is_empty())
        .map(|e| e.parse::<Exchange>().map_err(|e| e.to_string()))
        .collect()
}

/// A pair name, lowercased: `BTC_JPY` → `btc_jpy`.
pub fn parse_pair(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    bbwatch_core::model::pair::check_pair_name(&s)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_as_people_write_them() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            parse_date("2026-11-20T01:02:03Z", now, false).unwrap(),
            utc("2026-11-20T01:02:03Z")
        );
        assert_eq!(
            parse_date("7d", now, false).unwrap(),
            utc("2026-11-20T12:00:00Z")
        );
        assert_eq!(
            parse_date("90m", now, false).unwrap(),
            utc("2026-11-27T10:30:00Z")
        );
        let local = |y, m, d, h, min| {
            Local
                .with_ymd_and_hms(y, m, d, h, min, 0)
                .earliest()
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            parse_date("2026-11-27", now, false).unwrap(),
            local(2026, 11, 27, 0, 0)
        );
        assert_eq!(
            parse_date("2026-11-27", now, true).unwrap(),
            local(2026, 11, 28, 0, 0)
        );
        assert_eq!(
            parse_date("2026-11-27 14:05", now, false).unwrap(),
            local(2026, 11, 27, 14, 5)
        );
        for bad in ["yesterday", "2026-13-01", "", "18446744073709551615d"] {
            assert!(parse_date(bad, now, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_and_pairs() {
        assert_eq!(
            parse_kinds("maintenance,down").unwrap(),
            vec![PeriodKind::Maintenance, PeriodKind::Down]
        );
        assert!(parse_kinds("sometimes").unwrap_err().contains("sometimes"));
        assert_eq!(parse_pair("BTC_JPY").unwrap(), "btc_jpy");
        assert_eq!(
            parse_exchanges("GMOcoin, bitbank,").unwrap(),
            vec![Exchange::Gmocoin, Exchange::Bitbank]
        );
        let err = parse_exchanges("bitbank,binance").unwrap_err();
        assert!(
            err.contains("\"binance\"") && err.contains("gmocoin"),
            "{err}"
        );
        assert!(parse_pair("btc/jpy").is_err());
    }
}
