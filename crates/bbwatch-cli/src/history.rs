//! `bbwatch history` and the history side of `bbwatch watch`: opening the file so that a
//! problem with it is said once and never stops monitoring, and the periods and events put
//! into lines, JSON or CSV.

use std::path::Path;
use std::sync::Arc;

use bbwatch_core::event::format_time;
use bbwatch_core::i18n::{HistoryMsg, Msg};
use bbwatch_core::render::{
    describe_reason, event_line, format_duration, local_time, pair_state_detail, pair_state_name,
};
use bbwatch_core::{Lang, Level};
use bbwatch_history::{End, Filter, History, Period, PeriodKind, StoredEvent};
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

/// What the flags select.
pub fn filter(args: &HistoryArgs) -> Filter {
    Filter {
        since: args.since,
        until: args.until,
        kinds: args.kind.clone(),
        pair: args.pair.clone(),
    }
}

/// The lines `bbwatch history` prints.
pub fn lines(history: &History, args: &HistoryArgs, lang: Lang) -> anyhow::Result<Vec<String>> {
    let filter = filter(args);
    let mut out = Vec::new();
    if args.events {
        let events = history.events(&filter)?;
        if args.csv {
            out.push(EVENT_CSV_HEADER.to_owned());
        }
        for e in &events {
            out.push(if args.json {
                event_json(e)
            } else if args.csv {
                event_csv(e)
            } else {
                event_line(&e.event, lang)
            });
        }
        if events.is_empty() && !args.json && !args.csv {
            eprintln!("{}", HistoryMsg::NoEvents.text(lang));
        }
    } else {
        let periods = history.periods(&filter)?;
        if args.csv {
            out.push(PERIOD_CSV_HEADER.to_owned());
        }
        for p in &periods {
            out.push(if args.json {
                period_json(p)
            } else if args.csv {
                period_csv(p)
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

fn period_name(p: &Period, lang: Lang) -> String {
    let level = match p.kind {
        PeriodKind::Maintenance => HistoryMsg::PeriodMaintenance,
        PeriodKind::Down => HistoryMsg::PeriodDown,
        PeriodKind::Unreachable => HistoryMsg::PeriodUnreachable,
        PeriodKind::Degraded => HistoryMsg::PeriodDegraded,
        _ => {
            let state = p.pair_state.clone().unwrap_or_default();
            return format!(
                "{} {}",
                p.pair.as_deref().unwrap_or("?"),
                pair_state_name(&state, lang)
            );
        }
    };
    level.text(lang).to_owned()
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
    };
    let start = start.unwrap_or_else(|| HistoryMsg::StartUnknown.text(lang).to_owned());
    let mut line = format!("{start} – {end} {}", period_name(p, lang));
    if let Some(secs) = p.duration_secs {
        let d = format_duration(secs, lang);
        let d = if p.end == End::Ongoing {
            HistoryMsg::SoFar.fill(lang, &[("duration", &d)])
        } else if !p.start_observed {
            Msg::AtLeast.fill(lang, &[("duration", &d)])
        } else {
            d
        };
        line.push(' ');
        line.push_str(&d);
    }
    let why = if p.kind.is_pair() {
        p.pair_state.as_ref().map(|s| pair_state_detail(s, lang))
    } else {
        p.reason.as_ref().map(|r| describe_reason(r, lang, false))
    };
    if let Some(why) = why {
        line.push_str(&format!(" ({why})"));
    }
    line
}

fn end_word(end: End) -> &'static str {
    match end {
        End::At(_) => "at",
        End::Ongoing => "ongoing",
        End::Unknown => "unknown",
    }
}

/// One period as JSON: times RFC 3339 UTC, the reason in English as in the event schema, the
/// pair's state typed.
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
    }
    let line = Line {
        kind: p.kind.as_str(),
        pair: p.pair.as_deref(),
        start: p.start.as_ref().map(format_time),
        start_observed: p.start_observed,
        end: match p.end {
            End::At(t) => Some(format_time(&t)),
            _ => None,
        },
        ended: end_word(p.end),
        duration_secs: p.duration_secs,
        reason: p.reason.as_ref().map(ToString::to_string),
        pair_state: p.pair_state.as_ref(),
    };
    // Plain data with string keys: serializing cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

const PERIOD_CSV_HEADER: &str =
    "kind,pair,start,start_observed,end,ended,duration_secs,pair_state,reason";

fn period_csv(p: &Period) -> String {
    let end = match p.end {
        End::At(t) => format_time(&t),
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
            .map(ToString::to_string)
            .unwrap_or_default(),
    ])
}

/// One event as the event schema's JSON line, with its id first.
pub fn event_json(e: &StoredEvent) -> String {
    let line = e.event.to_json_line();
    match line.strip_prefix('{') {
        Some(rest) => format!("{{\"id\":{},{rest}", e.id),
        None => line,
    }
}

const EVENT_CSV_HEADER: &str =
    "id,at,kind,level,previous_level,pair,pair_state,previous_pair_state,duration_secs,start_observed,reopen_at,reason";

fn event_csv(s: &StoredEvent) -> String {
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
        opt(e.reason.as_ref().map(ToString::to_string)),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::code::ErrorCode;
    use bbwatch_core::level::Restriction;
    use bbwatch_core::reason::Reason;
    use bbwatch_core::PairState;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    fn maintenance() -> Period {
        Period {
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
