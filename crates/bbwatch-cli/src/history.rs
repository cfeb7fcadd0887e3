//! `bbwatch history` and the history side of `bbwatch watch`: opening the file so that a
//! problem with it is said once and never stops monitoring, and the periods and events put
//! into lines, JSON or CSV.

use std::path::Path;
use std::sync::Arc;

use bbwatch_core::i18n::HistoryMsg;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::present::render::{event_line, local_time};
use bbwatch_core::Lang;
use bbwatch_history::export::{
    csv_header, csv_with_exchange, event_csv, event_json, exchange_column, period_csv, period_json,
    EVENT_CSV_HEADER, PERIOD_CSV_HEADER,
};
use bbwatch_history::{words, End, Filter, History, Period};
use chrono::Local;

use crate::args::HistoryArgs;

/// Open the history for `watch`: `None`, said on stderr, when it cannot be used (monitoring
/// goes on without it). A corrupt file moved aside is said too.
pub fn open_for_watch(path: &Path) -> Option<Arc<History>> {
    match History::open(path) {
        Ok(h) => {
            if let Some(aside) = h.moved_aside() {
                eprintln!(
                    "bbwatch: {} was not a readable history; it was moved aside to {} and a new one started",
                    path.display(),
                    aside.display()
                );
            }
            Some(Arc::new(h))
        }
        Err(e) => {
            eprintln!("bbwatch: {e}; monitoring goes on without recording history");
            None
        }
    }
}

/// What the flags select: `exchanges` (`--exchange`; empty: every exchange's history).
pub fn filter(args: &HistoryArgs, exchanges: &[Exchange]) -> Filter {
    Filter {
        since: args.since,
        until: args.until,
        kinds: args.kind.clone(),
        pair: args.pair.clone(),
        exchanges: exchanges.to_vec(),
    }
}

/// The lines `bbwatch history` prints, of `exchanges` (empty: every exchange's). Another
/// exchange's rows name it; CSV gets an `exchange` column only when some row is another
/// exchange's than bitbank's, so bitbank's history prints as it always has.
pub fn lines(
    history: &History,
    args: &HistoryArgs,
    exchanges: &[Exchange],
    lang: Lang,
) -> anyhow::Result<Vec<String>> {
    let filter = filter(args, exchanges);
    let mut out = Vec::new();
    if args.events {
        let events = history.events(&filter)?;
        let with_exchange = exchange_column(events.iter().map(|e| e.event.exchange));
        if args.csv {
            out.push(csv_header(EVENT_CSV_HEADER, with_exchange));
        }
        for e in &events {
            out.push(if args.json {
                event_json(e)
            } else if args.csv {
                csv_with_exchange(event_csv(e), e.event.exchange, with_exchange)
            } else {
                event_line(&e.event, lang)
            });
        }
        if events.is_empty() && !args.json && !args.csv {
            eprintln!("{}", HistoryMsg::NoEvents.text(lang));
        }
    } else {
        let periods = history.periods(&filter)?;
        let with_exchange = exchange_column(periods.iter().map(|p| p.exchange));
        if args.csv {
            out.push(csv_header(PERIOD_CSV_HEADER, with_exchange));
        }
        for p in &periods {
            out.push(if args.json {
                period_json(p)
            } else if args.csv {
                csv_with_exchange(period_csv(p), p.exchange, with_exchange)
            } else {
                period_line(p, lang)
            });
        }
        if periods.is_empty() && !args.json && !args.csv {
            eprintln!("{}", HistoryMsg::NoPeriods.text(lang));
        }
    }
    Ok(out)
}

/// One period in words, local time:
/// `2026-11-27 14:31:04 – 15:54:10 メンテナンス 1時間23分 (APIエラー 10007: …)`.
pub fn period_line(p: &Period, lang: Lang) -> String {
    let start = p.start.map(|t| local_time(&t));
    let end = match p.end {
        End::At(t) => {
            let same_day = p.start.is_some_and(|s| {
                s.with_timezone(&Local).date_naive() == t.with_timezone(&Local).date_naive()
            });
            if same_day {
                t.with_timezone(&Local).format("%H:%M:%S").to_string()
            } else {
                local_time(&t)
            }
        }
        End::Ongoing => HistoryMsg::Ongoing.text(lang).to_owned(),
        End::Unknown => HistoryMsg::EndUnknown.text(lang).to_owned(),
        End::Unwatched(t) => HistoryMsg::UnwatchedAt.fill(lang, &[("time", &local_time(&t))]),
    };
    let start = start.unwrap_or_else(|| HistoryMsg::StartUnknown.text(lang).to_owned());
    let mut line = format!("{start} – {end} {}", words::period_name(p, lang));
    // An unknown end was said already, where the end goes.
    if p.duration_secs.is_some() {
        line.push(' ');
        line.push_str(&words::period_duration(p, lang));
    }
    if let Some(why) = words::period_why(p, lang) {
        line.push_str(&format!(" ({why})"));
    }
    line
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::model::code::ErrorCode;
    use bbwatch_core::model::level::Restriction;
    use bbwatch_core::model::reason::Reason;
    use bbwatch_core::PairState;
    use bbwatch_history::PeriodKind;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    fn maintenance() -> Period {
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
    fn a_period_in_words_in_both_languages() {
        let ja = period_line(&maintenance(), Lang::Ja);
        assert!(
            ja.contains(" メンテナンス 1時間23分 (APIエラー 10007: "),
            "{ja}"
        );
        let en = period_line(&maintenance(), Lang::En);
        assert!(
            en.contains(" Maintenance 1 h 23 min (api error 10007: "),
            "{en}"
        );
        let mut p = maintenance();
        p.end = End::Unknown;
        p.duration_secs = None;
        assert!(period_line(&p, Lang::En).contains("end unknown"));
        p.end = End::Ongoing;
        p.duration_secs = Some(90);
        assert!(period_line(&p, Lang::Ja).contains("継続中 メンテナンス 1分30秒経過"));
        let halt = Period {
            kind: PeriodKind::Suspended,
            pair: Some("xrp_jpy".into()),
            pair_state: Some(PairState::Suspended {
                stopped: vec![Restriction::MarketOrder],
            }),
            reason: None,
            ..maintenance()
        };
        let line = period_line(&halt, Lang::En);
        assert!(
            line.ends_with("xrp_jpy suspended 1 h 23 min (stopped: market orders)"),
            "{line}"
        );
        let gmo = Period {
            exchange: Exchange::Gmocoin,
            ..maintenance()
        };
        let line = period_line(&gmo, Lang::En);
        assert!(
            line.contains(" GMO Coin: Maintenance 1 h 23 min (api error 10007: "),
            "{line}"
        );
    }
}
