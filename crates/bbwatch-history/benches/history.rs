//! The history's benchmark: record 100 000 events one by one (each committed, as `watch`
//! records them), then read them back, derive the periods and filter; the bytes an event
//! takes on disk. `cargo bench -p bbwatch-history --bench history` (part of `make bench`);
//! the figures go in docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use bbwatch_core::model::code::ErrorCode;
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState};
use bbwatch_history::{Filter, History, PeriodKind};
use chrono::{DateTime, TimeZone, Utc};

const EVENTS: usize = 100_000;

/// A day of a busy exchange, repeated: a maintenance, pairs going busy and back, halts.
fn event(i: usize, start: DateTime<Utc>) -> Event {
    let at = start + chrono::Duration::seconds(i as i64 * 60);
    let pair = format!("p{}_jpy", i % 40);
    match i % 50 {
        0 => {
            let mut e = Event::level_change(
                EventKind::MaintenanceStarted,
                at,
                Level::Maintenance,
                Some(Level::Normal),
            );
            e.reason = Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            });
            e.start_observed = Some(true);
            e
        }
        1 => {
            let mut e = Event::level_change(
                EventKind::MaintenanceEnded,
                at,
                Level::Normal,
                Some(Level::Maintenance),
            );
            e.duration_secs = Some(60);
            e.start_observed = Some(true);
            e
        }
        n => {
            let state = match n % 4 {
                0 => PairState::Busy,
                1 => PairState::Normal,
                2 => PairState::Halted,
                _ => PairState::Normal,
            };
            let mut e = Event::level_change(EventKind::PairChanged, at, Level::Degraded, None);
            e.reason = Some(Reason::Pairs(vec![(pair.clone(), state.clone())]));
            e.pair = Some(pair);
            e.previous_pair_state = Some(PairState::Normal);
            e.pair_state = Some(state);
            e
        }
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    let dir = std::env::temp_dir().join(format!("bbwatch-bench-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("history.sqlite3");
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    let events: Vec<Event> = (0..EVENTS).map(|i| event(i, start)).collect();

    let history = History::open(&path).expect("open");
    let ((), insert) = time(|| {
        for e in &events {
            history.record(e).expect("record");
        }
    });
    let (all, read_all) = time(|| history.events(&Filter::default()).unwrap());
    assert_eq!(all.len(), EVENTS);
    let last_day = Filter {
        since: Some(events[EVENTS - 1].at - chrono::Duration::days(1)),
        ..Filter::default()
    };
    let (day, read_day) = time(|| history.events(&last_day).unwrap());
    let (periods, derive_all) = time(|| history.periods(&Filter::default()).unwrap());
    let maintenance = Filter {
        kinds: vec![PeriodKind::Maintenance],
        ..Filter::default()
    };
    let (maint, derive_maint) = time(|| history.periods(&maintenance).unwrap());
    let one_pair = Filter {
        pair: Some("p3_jpy".into()),
        ..Filter::default()
    };
    let (pair, read_pair) = time(|| history.events(&one_pair).unwrap());
    drop(history);
    // Closing the last connection checkpoints the WAL into the file and removes it.
    let file_bytes = std::fs::metadata(&path).unwrap().len();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let data_bytes: i64 = conn
        .query_row("SELECT SUM(LENGTH(data)) FROM events", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let (reopened, reopen) = time(|| History::open(&path).unwrap());
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);

    let per = |d: Duration| d.as_secs_f64() * 1e6 / EVENTS as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("| what | figure |");
    println!("|---|---|");
    println!(
        "| record {EVENTS} events, one committed insert each | {:.2} s ({:.1} µs an event) |",
        insert.as_secs_f64(),
        per(insert)
    );
    println!(
        "| read all {EVENTS} back (typed) | {:.0} ms |",
        ms(read_all)
    );
    println!(
        "| read the last day's ({} events) | {:.1} ms |",
        day.len(),
        ms(read_day)
    );
    println!(
        "| read one pair's ({} events) | {:.0} ms |",
        pair.len(),
        ms(read_pair)
    );
    println!(
        "| derive every period ({} periods) | {:.0} ms |",
        periods.len(),
        ms(derive_all)
    );
    println!(
        "| maintenance periods only ({}) | {:.0} ms |",
        maint.len(),
        ms(derive_maint)
    );
    println!(
        "| open the file of {EVENTS} events (integrity check included) | {:.0} ms |",
        ms(reopen)
    );
    println!(
        "| file size | {:.1} MiB: {} bytes an event ({} of them the event's JSON) |",
        file_bytes as f64 / 1024.0 / 1024.0,
        file_bytes / EVENTS as u64,
        data_bytes / EVENTS as i64
    );
}
