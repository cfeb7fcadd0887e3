//! Periods and events as JSON and CSV: times RFC 3339 UTC, reasons in English as in the event
//! schema, so a script reads them the same in any language. Shared by `bbwatch history` and
//! the window's "Export CSV", whose file adds the same times in local time (with the offset)
//! and the words in the reader's language, for a person opening it in a spreadsheet.

use bbwatch_core::model::event::format_time;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::Level;

use crate::period::{End, Period};
use crate::store::StoredEvent;

/// How a period ended, as JSON and CSV say it.
fn end_word(end: End) -> &'static str {
    match end {
        End::At(_) => "at",
        End::Ongoing => "ongoing",
        End::Unknown => "unknown",
        End::Unwatched(_) => "unwatched",
    }
}

/// One period as JSON: times RFC 3339 UTC, the reason in English as in the event schema, the
/// pair's state typed, and last the exchange unless it is bitbank's (absent reads as bitbank,
/// as in the stored events, so bitbank's periods read exactly as before there were others).
pub fn period_json(p: &Period) -> String {
    /// The keys in the order people read them.
    #[derive(serde::Serialize)]
    struct Line<'a> {
        kind: &'static str,
        pair: Option<&'a str>,
        start: Option<String>,
        start_observed: bool,
        end: Option<String>,
        ended: &'static str,
        duration_secs: Option<u64>,
        reason: Option<String>,
        pair_state: Option<&'a bbwatch_core::PairState>,
        #[serde(skip_serializing_if = "Option::is_none")]
        exchange: Option<&'static str>,
    }
    let line = Line {
        kind: p.kind.as_str(),
        pair: p.pair.as_deref(),
        start: p.start.as_ref().map(format_time),
        start_observed: p.start_observed,
        end: match p.end {
            End::At(t) | End::Unwatched(t) => Some(format_time(&t)),
            _ => None,
        },
        ended: end_word(p.end),
        duration_secs: p.duration_secs,
        reason: p
            .reason
            .as_ref()
            .map(bbwatch_core::model::words::reason_text),
        pair_state: p.pair_state.as_ref(),
        exchange: (!p.exchange.is_bitbank()).then(|| p.exchange.as_str()),
    };
    // Plain data with string keys: serializing cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// The header of [`period_csv`]'s rows.
pub const PERIOD_CSV_HEADER: &str =
    "kind,pair,start,start_observed,end,ended,duration_secs,pair_state,reason";

/// One period as a CSV row (times RFC 3339 UTC, the reason in English).
pub fn period_csv(p: &Period) -> String {
    let end = match p.end {
        End::At(t) | End::Unwatched(t) => format_time(&t),
        _ => String::new(),
    };
    csv_row(&[
        p.kind.as_str().to_owned(),
        p.pair.clone().unwrap_or_default(),
        p.start.as_ref().map(format_time).unwrap_or_default(),
        p.start_observed.to_string(),
        end,
        end_word(p.end).to_owned(),
        p.duration_secs.map(|d| d.to_string()).unwrap_or_default(),
        p.pair_state
            .as_ref()
            .map(|s| s.kind().to_owned())
            .unwrap_or_default(),
        p.reason
            .as_ref()
            .map(bbwatch_core::model::words::reason_text)
            .unwrap_or_default(),
    ])
}

/// The column CSV rows end with when some row is another exchange's than bitbank's.
pub const EXCHANGE_CSV_COLUMN: &str = "exchange";

/// Whether CSV rows of these exchanges need an [`EXCHANGE_CSV_COLUMN`]: only when one is not
/// bitbank, so that bitbank's rows alone keep the columns they always had.
pub fn exchange_column(exchanges: impl IntoIterator<Item = Exchange>) -> bool {
    exchanges.into_iter().any(|e| !e.is_bitbank())
}

/// `header` (a CSV header line), with [`EXCHANGE_CSV_COLUMN`] last when `exchange_column`.
pub fn csv_header(header: &str, exchange_column: bool) -> String {
    if exchange_column {
        format!("{header},{EXCHANGE_CSV_COLUMN}")
    } else {
        header.to_owned()
    }
}

/// `row` (a CSV row), with `exchange` last when `exchange_column`.
pub fn csv_with_exchange(row: String, exchange: Exchange, exchange_column: bool) -> String {
    if exchange_column {
        format!("{row},{}", exchange.as_str())
    } else {
        row
    }
}

/// The columns the window's export adds to [`PERIOD_CSV_HEADER`]'s, for people: start and end
/// in local time with the offset, what it was and why, in the reader's language.
pub const PERIOD_CSV_LOCAL_COLUMNS: &str = "start_local,end_local,what,why";

/// A time in `tz`, RFC 3339 with the offset: `2026-11-27T14:00:00+09:00`.
fn local_rfc3339<Tz: chrono::TimeZone>(t: &chrono::DateTime<chrono::Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.with_timezone(tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Periods as the window's CSV file: [`PERIOD_CSV_HEADER`]'s columns, unchanged, then
/// [`PERIOD_CSV_LOCAL_COLUMNS`] in `tz` and `lang`, then the exchange when some period is
/// another's than bitbank's.
pub fn periods_csv_local<'a, Tz: chrono::TimeZone>(
    periods: impl IntoIterator<Item = &'a Period>,
    lang: bbwatch_core::Lang,
    tz: &Tz,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let periods: Vec<&Period> = periods.into_iter().collect();
    let with_exchange = exchange_column(periods.iter().map(|p| p.exchange));
    let mut out = csv_header(
        &format!("{PERIOD_CSV_HEADER},{PERIOD_CSV_LOCAL_COLUMNS}"),
        with_exchange,
    );
    out.push('\n');
    for p in periods {
        let end = match p.end {
            End::At(t) => local_rfc3339(&t, tz),
            _ => String::new(),
        };
        out.push_str(&period_csv(p));
        out.push(',');
        out.push_str(&csv_row(&[
            p.start
                .as_ref()
                .map(|t| local_rfc3339(t, tz))
                .unwrap_or_default(),
            end,
            crate::words::period_name(p, lang),
            crate::words::period_why(p, lang).unwrap_or_default(),
        ]));
        if with_exchange {
            out.push(',');
            out.push_str(p.exchange.as_str());
        }
        out.push('\n');
    }
    out
}

/// One event as the event schema's JSON line, with its id first.
pub fn event_json(e: &StoredEvent) -> String {
    let line = e.event.to_json_line();
    match line.strip_prefix('{') {
        Some(rest) => format!("{{\"id\":{},{rest}", e.id),
        None => line,
    }
}

/// The header of [`event_csv`]'s rows.
pub const EVENT_CSV_HEADER: &str =
    "id,at,kind,level,previous_level,pair,pair_state,previous_pair_state,duration_secs,start_observed,reopen_at,reason,asset,network,deposit,withdrawal,previous_deposit,previous_withdrawal";

/// One event as a CSV row.
pub fn event_csv(s: &StoredEvent) -> String {
    let e = &s.event;
    let opt = |v: Option<String>| v.unwrap_or_default();
    csv_row(&[
        s.id.to_string(),
        format_time(&e.at),
        e.kind.as_str().to_owned(),
        e.level.as_str().to_owned(),
        opt(e.previous_level.map(|l: Level| l.as_str().to_owned())),
        opt(e.pair.clone()),
        opt(e.pair_state.as_ref().map(|p| p.kind().to_owned())),
        opt(e.previous_pair_state.as_ref().map(|p| p.kind().to_owned())),
        opt(e.duration_secs.map(|d| d.to_string())),
        opt(e.start_observed.map(|b| b.to_string())),
        opt(e.reopen_at.as_ref().map(format_time)),
        opt(e
            .reason
            .as_ref()
            .map(bbwatch_core::model::words::reason_text)),
        opt(e.asset.clone()),
        opt(e.network.clone()),
        opt(e.deposit.map(|f| f.as_str().to_owned())),
        opt(e.withdrawal.map(|f| f.as_str().to_owned())),
        opt(e.previous_deposit.map(|f| f.as_str().to_owned())),
        opt(e.previous_withdrawal.map(|f| f.as_str().to_owned())),
    ])
}

/// A CSV row (RFC 4180): a field with a comma, quote or line break is quoted.
fn csv_row(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Periods as a CSV file's text: the header, then a row each (with the exchange last when
/// some period is another's than bitbank's).
pub fn periods_csv<'a>(periods: impl IntoIterator<Item = &'a Period>) -> String {
    let periods: Vec<&Period> = periods.into_iter().collect();
    let with_exchange = exchange_column(periods.iter().map(|p| p.exchange));
    let mut out = csv_header(PERIOD_CSV_HEADER, with_exchange);
    out.push('\n');
    for p in periods {
        out.push_str(&csv_with_exchange(period_csv(p), p.exchange, with_exchange));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::period::PeriodKind;
    use bbwatch_core::model::code::ErrorCode;
    use bbwatch_core::model::reason::Reason;
    use chrono::{TimeZone, Utc};

    fn maintenance() -> Period {
        let at = |secs| {
            Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap() + chrono::Duration::seconds(secs)
        };
        Period {
            exchange: Exchange::Bitbank,
            kind: PeriodKind::Maintenance,
            pair: None,
            start: Some(at(0)),
            start_observed: true,
            end: End::At(at(4980)),
            duration_secs: Some(4980),
            reason: Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            }),
            pair_state: None,
        }
    }

    #[test]
    fn the_windows_csv_adds_local_times_and_words() {
        let tokyo = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
        let csv = periods_csv_local([&maintenance()], bbwatch_core::Lang::Ja, &tokyo);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "kind,pair,start,start_observed,end,ended,duration_secs,pair_state,reason,start_local,end_local,what,why"
        );
        // The first columns say what they always said; the last ones are for people.
        let (first, added) = lines[1].split_at(period_csv(&maintenance()).len());
        assert_eq!(first, period_csv(&maintenance()));
        assert!(
            added.starts_with(",2026-11-27T14:00:00+09:00,2026-11-27T15:23:00+09:00,メンテナンス,"),
            "{added}"
        );
        assert!(added.contains("メンテナンス"), "{added}");
        assert!(!added.contains("System maintenance"), "{added}");
    }

    #[test]
    fn another_exchanges_periods_say_which_and_bitbanks_read_as_before() {
        let bitbank = period_json(&maintenance());
        assert!(!bitbank.contains("exchange"), "{bitbank}");
        assert!(bitbank.ends_with(",\"pair_state\":null}"), "{bitbank}");
        let gmo = Period {
            exchange: Exchange::Gmocoin,
            ..maintenance()
        };
        let json = period_json(&gmo);
        assert!(
            json.ends_with(",\"pair_state\":null,\"exchange\":\"gmocoin\"}"),
            "{json}"
        );

        let only_bitbank = periods_csv([&maintenance()]);
        assert!(only_bitbank.starts_with(&format!("{PERIOD_CSV_HEADER}\n")));
        assert_eq!(
            only_bitbank.lines().nth(1),
            Some(period_csv(&maintenance()).as_str())
        );
        let both = periods_csv([&maintenance(), &gmo]);
        let lines: Vec<&str> = both.lines().collect();
        assert_eq!(lines[0], format!("{PERIOD_CSV_HEADER},exchange"));
        assert!(lines[1].ends_with(",bitbank"), "{}", lines[1]);
        assert!(lines[2].ends_with(",gmocoin"), "{}", lines[2]);
        let local = periods_csv_local([&gmo], bbwatch_core::Lang::En, &chrono::Utc);
        let lines: Vec<&str> = local.lines().collect();
        assert!(lines[0].ends_with(",what,why,exchange"), "{}", lines[0]);
        assert!(lines[1].contains(",GMO Coin: Maintenance,"), "{}", lines[1]);
        assert!(lines[1].ends_with(",gmocoin"), "{}", lines[1]);
    }

    #[test]
    fn json_and_csv_say_the_same() {
        let json: serde_json::Value = serde_json::from_str(&period_json(&maintenance())).unwrap();
        assert_eq!(json["kind"], "maintenance");
        assert_eq!(json["duration_secs"], 4980);
        assert_eq!(json["ended"], "at");
        assert_eq!(json["reason"], "api error 10007: System maintenance");
        assert_eq!(
            period_csv(&maintenance()),
            "maintenance,,2026-11-27T05:00:00.000Z,true,2026-11-27T06:23:00.000Z,at,4980,,api error 10007: System maintenance"
        );
        assert_eq!(
            csv_row(&["a,b".into(), "say \"hi\"".into(), "x".into()]),
            "\"a,b\",\"say \"\"hi\"\"\",x"
        );
    }
}
