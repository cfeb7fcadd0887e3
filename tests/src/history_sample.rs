//! A history to show: two maintenances (83 min ten days before `now`, 45 min two hours
//! before), a 7-minute outage and a 30-minute halt of xrp_jpy, recorded as the app would have.
//! The History view's test and its screenshots use it (`sample-history PATH`).

use std::path::Path;

use bbwatch_core::model::code::ErrorCode;
use bbwatch_core::model::fetch::{Failure, Host};
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState};
use bbwatch_history::History;
use chrono::{DateTime, Duration as Span, Utc};

fn level(kind: EventKind, at: DateTime<Utc>, level: Level, previous: Level) -> Event {
    Event::level_change(kind, at, level, Some(previous))
}

fn ended(kind: EventKind, start: DateTime<Utc>, mins: i64, previous: Level) -> Event {
    let mut e = level(kind, start + Span::minutes(mins), Level::Normal, previous);
    e.duration_secs = Some(u64::try_from(mins * 60).unwrap());
    e.start_observed = Some(true);
    e
}

fn pair(at: DateTime<Utc>, name: &str, from: PairState, to: PairState) -> Event {
    let mut e = Event::level_change(EventKind::PairChanged, at, Level::Degraded, None);
    e.pair = Some(name.to_owned());
    e.previous_pair_state = Some(from);
    e.pair_state = Some(to);
    e
}

/// Record the sample into the history at `path`.
pub fn prepare(path: &Path, now: DateTime<Utc>) -> anyhow::Result<()> {
    let h = History::open(path)?;
    let long_ago = now - Span::days(10);
    let recent = now - Span::hours(2);
    let down = now - Span::days(3);
    let halt = now - Span::days(2);
    let mut start = level(
        EventKind::MaintenanceStarted,
        long_ago,
        Level::Maintenance,
        Level::Normal,
    );
    start.start_observed = Some(true);
    start.reason = Some(Reason::ApiError {
        code: ErrorCode(10007),
    });
    let mut down_start = level(EventKind::DownStarted, down, Level::Down, Level::Normal);
    down_start.reason = Some(Reason::HostFailed {
        failures: vec![(Host::Api, Failure::Timeout)],
    });
    for e in [
        Event::level_change(
            EventKind::MonitorStarted,
            long_ago - Span::hours(1),
            Level::Normal,
            None,
        ),
        start.clone(),
        ended(
            EventKind::MaintenanceEnded,
            long_ago,
            83,
            Level::Maintenance,
        ),
        down_start,
        ended(EventKind::DownEnded, down, 7, Level::Down),
        pair(halt, "xrp_jpy", PairState::Normal, PairState::Halted),
        pair(
            halt + Span::minutes(30),
            "xrp_jpy",
            PairState::Halted,
            PairState::Normal,
        ),
        Event {
            at: recent,
            ..start
        },
        ended(EventKind::MaintenanceEnded, recent, 45, Level::Maintenance),
    ] {
        h.record(&e)?;
    }
    Ok(())
}
