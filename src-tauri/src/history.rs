//! The tray app's history: the shared store (`bbwatch-history`), opened as the settings say,
//! records each event before the window lists it or a popup tells it. The window process reads
//! the same file for its History view (the summary, the chart's days, the periods in words)
//! and exports it as CSV.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bbwatch_core::config::Config;
use bbwatch_core::i18n::HistoryMsg;
use bbwatch_core::model::event::format_time;
use bbwatch_core::present::render::{format_duration, local_time};
use bbwatch_core::Lang;
use bbwatch_history::stats::{self, Day};
use bbwatch_history::{
    configured_path, export, words, End, Filter, History, HistoryError, Period, PeriodKind,
};
use chrono::{DateTime, Local};
use serde::Serialize;

use crate::ipc::messages::HistoryProblem;

/// Days the chart can show, at most.
const CHART_DAYS: u32 = 90;

impl HistoryProblem {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            HistoryProblem::Off => HistoryMsg::HistOff.text(lang).to_owned(),
            HistoryProblem::MovedAside { path, aside } => {
                HistoryMsg::HistMovedAside.fill(lang, &[("path", path), ("aside", aside)])
            }
            HistoryProblem::Unusable { error } => {
                HistoryMsg::HistUnusable.fill(lang, &[("error", error)])
            }
        }
    }
}

/// The tray process's history, as the settings at start chose it.
pub struct Store {
    /// The open file; none when history is off or the file cannot be used.
    pub history: Option<Arc<History>>,
    /// Where it is (also when it could not be opened).
    pub path: Option<PathBuf>,
    pub problem: Option<HistoryProblem>,
}

/// Open the history the settings choose. A problem is logged and kept for the window;
/// monitoring never waits for it.
pub fn open(config: &Config) -> Store {
    let Some(path) = configured_path(&config.history) else {
        return Store {
            history: None,
            path: None,
            problem: Some(HistoryProblem::Off),
        };
    };
    match History::open(&path) {
        Ok(h) => {
            let problem = h.moved_aside().map(|aside| HistoryProblem::MovedAside {
                path: path.display().to_string(),
                aside: aside.display().to_string(),
            });
            if let Some(p) = &problem {
                tracing::warn!("{}", p.text(Lang::En));
            }
            Store {
                history: Some(Arc::new(h)),
                path: Some(path),
                problem,
            }
        }
        Err(e) => {
            tracing::warn!("{e}; monitoring goes on without recording history");
            Store {
                history: None,
                path: Some(path),
                problem: Some(HistoryProblem::Unusable {
                    error: e.to_string(),
                }),
            }
        }
    }
}

/// One period as the view lists it (newest first).
#[derive(Debug, Serialize)]
pub struct PeriodView {
    pub kind: PeriodKind,
    pub kind_text: String,
    pub pair: Option<String>,
    /// RFC 3339 UTC; the window shows it in local time.
    pub start: Option<String>,
    pub end: Option<String>,
    pub duration_text: String,
    pub reason_text: Option<String>,
    /// Still under way: the window counts its "… so far" on from `start` every second.
    pub ongoing: bool,
}

/// A kind the filter offers.
#[derive(Debug, Serialize)]
pub struct KindView {
    pub kind: PeriodKind,
    pub text: String,
}

/// One local day of the chart.
#[derive(Debug, Serialize)]
pub struct DayView {
    pub day: String,
    pub start: String,
    pub secs: u64,
    pub maintenance_secs: u64,
    pub outage_secs: u64,
}

#[derive(Debug, Serialize)]
pub struct SummaryView {
    pub month_count: usize,
    pub month_average_text: Option<String>,
    pub month_longest_text: Option<String>,
    pub last_text: Option<String>,
    /// The last one, when it is still under way: the window counts its length on.
    pub last_ongoing: Option<OngoingView>,
}

/// A period under way, for a text the window keeps current: its start (RFC 3339 UTC) and the
/// start as the summary says it.
#[derive(Debug, Serialize)]
pub struct OngoingView {
    pub start: String,
    pub start_text: String,
}

/// Everything the History view shows, in `lang`.
#[derive(Debug, Serialize)]
pub struct HistoryPayload {
    pub lang: Lang,
    pub periods: Vec<PeriodView>,
    pub kinds: Vec<KindView>,
    pub days: Vec<DayView>,
    pub summary: SummaryView,
    pub problem: Option<String>,
    /// Whether the history holds anything at all: without it, no availability is claimed.
    pub has_data: bool,
}

fn period_view(p: &Period, lang: Lang) -> PeriodView {
    PeriodView {
        kind: p.kind,
        kind_text: words::period_name(p, lang),
        pair: p.pair.clone(),
        start: p.start.as_ref().map(format_time),
        end: match p.end {
            End::At(t) | End::Unwatched(t) => Some(format_time(&t)),
            End::Ongoing | End::Unknown => None,
        },
        duration_text: words::period_duration(p, lang),
        reason_text: words::period_why(p, lang),
        ongoing: p.end == End::Ongoing && p.start.is_some(),
    }
}

fn day_view(d: &Day) -> DayView {
    DayView {
        day: d.date.to_string(),
        start: format_time(&d.start),
        secs: d.secs,
        maintenance_secs: d.maintenance_secs,
        outage_secs: d.outage_secs,
    }
}

fn last_text(p: &Period, lang: Lang) -> String {
    let start = p
        .start
        .map(|t| local_time(&t))
        .unwrap_or_else(|| HistoryMsg::StartUnknown.text(lang).to_owned());
    let duration = p
        .duration_secs
        .map(|s| format_duration(s, lang))
        .unwrap_or_default();
    match p.end {
        End::At(end) => HistoryMsg::HistLastEnded.fill(
            lang,
            &[
                ("start", &start),
                ("duration", &duration),
                ("end", &local_time(&end)),
            ],
        ),
        End::Ongoing => {
            HistoryMsg::HistLastOngoing.fill(lang, &[("start", &start), ("duration", &duration)])
        }
        End::Unknown => HistoryMsg::HistLastEndUnknown.fill(lang, &[("start", &start)]),
        End::Unwatched(end) => HistoryMsg::HistLastUnwatched
            .fill(lang, &[("start", &start), ("end", &local_time(&end))]),
    }
}

fn ongoing_view(p: &Period) -> Option<OngoingView> {
    match (p.end, p.start) {
        (End::Ongoing, Some(start)) => Some(OngoingView {
            start: format_time(&start),
            start_text: local_time(&start),
        }),
        _ => None,
    }
}

/// The view of `periods` (ordered by start) at `now`; `has_data`: the history holds any event.
pub fn view(
    periods: &[Period],
    has_data: bool,
    problem: Option<String>,
    lang: Lang,
    now: &DateTime<Local>,
) -> HistoryPayload {
    // The summary and the chart are bitbank's, as they always were; the list names another
    // exchange's periods (`words::period_name`).
    let bitbank: Vec<Period> = periods
        .iter()
        .filter(|p| p.exchange.is_bitbank())
        .cloned()
        .collect();
    let summary = stats::month_summary(&bitbank, now);
    let kinds = PeriodKind::ALL
        .into_iter()
        .filter(|k| periods.iter().any(|p| p.kind == *k))
        .map(|kind| KindView {
            kind,
            text: words::kind_name(kind, lang),
        })
        .collect();
    HistoryPayload {
        lang,
        periods: periods.iter().rev().map(|p| period_view(p, lang)).collect(),
        kinds,
        days: stats::days(&bitbank, CHART_DAYS, now)
            .iter()
            .map(day_view)
            .collect(),
        summary: SummaryView {
            month_count: summary.count,
            month_average_text: summary.average_secs.map(|s| format_duration(s, lang)),
            month_longest_text: summary.longest_secs.map(|s| format_duration(s, lang)),
            last_text: summary.last.as_ref().map(|p| last_text(p, lang)),
            last_ongoing: summary.last.as_ref().and_then(ongoing_view),
        },
        problem,
        has_data: has_data || !periods.is_empty(),
    }
}

/// Read every period of the file at `path`.
pub fn read_periods(path: &Path, filter: &Filter) -> Result<Vec<Period>, HistoryError> {
    History::open(path)?.periods(filter)
}

/// Read every period of the file at `path`, and whether it holds any event at all.
pub fn read_view_data(path: &Path) -> Result<(Vec<Period>, bool), HistoryError> {
    let history = History::open(path)?;
    let periods = history.periods(&Filter::default())?;
    Ok((periods, history.count()? > 0))
}

/// Write the periods `filter` selects as CSV into `dir`, under a name of its own (never over a
/// file): `bbwatch-history-20261201-2315.csv`, the script's columns then local times and words
/// in `lang`. Returns where.
pub fn export_csv(
    path: &Path,
    filter: &Filter,
    dir: &Path,
    lang: Lang,
    now: &DateTime<Local>,
) -> Result<PathBuf, ExportError> {
    let periods = read_periods(path, filter)?;
    let text = export::periods_csv_local(&periods, lang, &Local);
    let stem = format!("bbwatch-history-{}", now.format("%Y%m%d-%H%M%S"));
    std::fs::create_dir_all(dir)?;
    for n in 0..100 {
        let name = if n == 0 {
            format!("{stem}.csv")
        } else {
            format!("{stem}-{n}.csv")
        };
        let to = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&to)
        {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, text.as_bytes())?;
                return Ok(to);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ExportError::Io(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "too many exports this second",
    )))
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("cannot write the file: {0}")]
    Io(#[from] std::io::Error),
}

/// Where exports go: the user's download directory (`XDG_DOWNLOAD_DIR`, else `~/Downloads`),
/// else the home directory.
pub fn downloads_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(dir) = std::env::var_os("XDG_DOWNLOAD_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        return dir;
    }
    // xdg-user-dirs writes it to user-dirs.dirs as `XDG_DOWNLOAD_DIR="$HOME/Downloads"`.
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let (Some(config), Some(home)) = (&config, &home) {
        if let Ok(text) = std::fs::read_to_string(config.join("user-dirs.dirs")) {
            for line in text.lines() {
                if let Some(value) = line.trim().strip_prefix("XDG_DOWNLOAD_DIR=") {
                    let value = value.trim_matches('"');
                    let dir = match value.strip_prefix("$HOME") {
                        Some(rest) => home.join(rest.trim_start_matches('/')),
                        None => PathBuf::from(value),
                    };
                    if dir.is_absolute() {
                        return dir;
                    }
                }
            }
        }
    }
    match home {
        Some(home) if home.join("Downloads").is_dir() => home.join("Downloads"),
        Some(home) => home,
        None => std::env::temp_dir(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_view_lists_newest_first_and_offers_the_kinds_there_are() {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap();
        let p = |kind, hours: i64| Period {
            kind,
            pair: None,
            start: Some(start + chrono::Duration::hours(hours)),
            start_observed: true,
            end: End::At(start + chrono::Duration::hours(hours) + chrono::Duration::minutes(83)),
            duration_secs: Some(83 * 60),
            reason: None,
            pair_state: None,
            exchange: Default::default(),
        };
        let periods = [p(PeriodKind::Maintenance, 0), p(PeriodKind::Down, 30)];
        let now = Local.from_utc_datetime(&(start + chrono::Duration::days(3)).naive_utc());
        let v = view(&periods, true, None, Lang::Ja, &now);
        assert_eq!(v.periods[0].kind, PeriodKind::Down);
        assert_eq!(v.periods[1].kind_text, "メンテナンス");
        assert_eq!(v.periods[1].duration_text, "1時間23分");
        assert_eq!(
            v.kinds.iter().map(|k| k.kind).collect::<Vec<_>>(),
            [PeriodKind::Maintenance, PeriodKind::Down]
        );
        assert_eq!(v.days.len(), 90);
        assert!(v.summary.last_text.unwrap().contains("1時間23分"));
        assert!(v.summary.last_ongoing.is_none());
        assert!(v.has_data);
        assert!(!v.periods[0].ongoing);
    }

    #[test]
    fn another_exchanges_period_is_listed_by_name_but_not_counted_as_bitbanks() {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap();
        let gmo = Period {
            kind: PeriodKind::Maintenance,
            pair: None,
            start: Some(start),
            start_observed: true,
            end: End::At(start + chrono::Duration::minutes(30)),
            duration_secs: Some(1800),
            reason: None,
            pair_state: None,
            exchange: bbwatch_core::Exchange::Gmocoin,
        };
        let now = Local.from_utc_datetime(&(start + chrono::Duration::days(3)).naive_utc());
        let v = view(&[gmo], true, None, Lang::En, &now);
        assert!(
            v.periods[0].kind_text.starts_with("GMO Coin"),
            "{}",
            v.periods[0].kind_text
        );
        assert!(v.summary.last_text.is_none());
        assert!(v.days.iter().all(|d| d.maintenance_secs == 0));
    }

    #[test]
    fn an_empty_history_has_no_data_and_an_ongoing_period_is_marked() {
        let now = Local::now();
        assert!(!view(&[], false, None, Lang::En, &now).has_data);
        let start = Utc::now() - chrono::Duration::seconds(32);
        let p = Period {
            kind: PeriodKind::Maintenance,
            pair: None,
            start: Some(start),
            start_observed: true,
            end: End::Ongoing,
            duration_secs: Some(32),
            reason: None,
            pair_state: None,
            exchange: Default::default(),
        };
        let v = view(&[p], false, None, Lang::En, &now);
        assert!(v.has_data, "a period is data");
        assert!(v.periods[0].ongoing);
        assert_eq!(v.periods[0].duration_text, "32 s so far");
        let last = v.summary.last_ongoing.unwrap();
        assert_eq!(last.start, format_time(&start));
    }

    #[test]
    fn an_export_never_overwrites_a_file() {
        let dir = std::env::temp_dir().join(format!("bbwatch-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("history.sqlite3");
        let now = Local::now();
        let a = export_csv(&db, &Filter::default(), &dir, Lang::En, &now).unwrap();
        let b = export_csv(&db, &Filter::default(), &dir, Lang::En, &now).unwrap();
        assert_ne!(a, b);
        assert!(std::fs::read_to_string(&a)
            .unwrap()
            .starts_with("kind,pair,start,"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn problems_are_said_in_the_readers_language() {
        let p = HistoryProblem::MovedAside {
            path: "/h".into(),
            aside: "/h.corrupt".into(),
        };
        assert!(p.text(Lang::En).contains("moved to /h.corrupt"));
        assert!(p.text(Lang::Ja).contains("/h.corrupt に移動"));
    }
}
