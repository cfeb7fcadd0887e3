//! Long histories for tests and benchmarks: a year of a busy exchange, made in a moment.

use std::path::Path;

use bbwatch_core::{Event, EventKind, Level, PairState};
use chrono::{DateTime, Utc};

use crate::error::HistoryError;
use crate::store::History;

/// Write `4 × 2^doublings` events into the history at `path` (made if need be): a maintenance
/// beginning at `at` with btc_jpy halted during it, over 30 s, then that copied over and over
/// (each copy a maintenance of its own, at the same time).
pub fn repeated_maintenances(
    path: &Path,
    at: DateTime<Utc>,
    doublings: u32,
) -> Result<(), HistoryError> {
    let history = History::open(path)?;
    let begin = Event::level_change(
        EventKind::MaintenanceStarted,
        at,
        Level::Maintenance,
        Some(Level::Normal),
    );
    let mut halt = begin.clone();
    halt.kind = EventKind::PairChanged;
    halt.pair = Some("btc_jpy".into());
    halt.pair_state = Some(PairState::Halted);
    halt.previous_pair_state = Some(PairState::Normal);
    let mut end = Event::level_change(
        EventKind::MaintenanceEnded,
        at + chrono::Duration::seconds(30),
        Level::Normal,
        Some(Level::Maintenance),
    );
    end.duration_secs = Some(30);
    let mut resume = halt.clone();
    resume.at = end.at;
    resume.level = Level::Normal;
    resume.pair_state = Some(PairState::Normal);
    resume.previous_pair_state = Some(PairState::Halted);
    for e in [begin, halt, end, resume] {
        history.record(&e)?;
    }
    let conn = crate::store::lock(&history.conn);
    for _ in 0..doublings {
        conn.execute(
            "INSERT INTO events (at_ms, kind, pair, data) \
             SELECT at_ms, kind, pair, data FROM events ORDER BY id",
            [],
        )?;
    }
    Ok(())
}
