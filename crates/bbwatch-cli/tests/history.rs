//! The history end to end, with the real `bbwatch`: what was printed is recorded (even
//! through SIGKILL), a maintenance across a restart is one period, two processes tell one
//! story, and a corrupt, locked or unwritable history file never stops monitoring.
// Linux only: file modes and chattr make the unwritable history.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bbwatch_core::{Event, EventKind, Level, Snapshot};
use chrono::{DateTime, Utc};
use serde_json::Value;
use support::{empty_dir, Sim, MAINTENANCE};

const WAIT: Duration = Duration::from_secs(40);

fn history_file(data_dir: &Path) -> PathBuf {
    data_dir.join("bbwatch").join("history.sqlite3")
}

fn json_lines(out: &std::process::Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "bbwatch history failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn without_id(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
    }
    v
}

#[test]
fn every_event_printed_before_a_sigkill_is_in_the_history() {
    // Bursts of ~50 pair events a poll: many lines in flight when the kill comes.
    let mut scenario = String::new();
    for i in 0..40 {
        let status = if i % 2 == 0 { "NORMAL" } else { "BUSY" };
        scenario.push_str(&format!(
            "[[phases]]\nname = \"p{i}\"\nduration = \"2s\"\ngenerated_pairs = 50\nstatus = {{ \"*\" = \"{status}\" }}\n\n"
        ));
    }
    let sim = Sim::from_toml(&scenario);
    let data = empty_dir();
    let mut watch = sim.watch_in(&data, &[]);
    // Into the second burst, then kill -9 with lines still coming.
    while watch.seen.len() < 80 {
        watch
            .next_line(WAIT)
            .unwrap_or_else(|| panic!("only {} lines", watch.seen.len()));
    }
    let printed: Vec<Value> = watch
        .kill_and_drain()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(printed.len() >= 80);

    // Restarted, it goes on recording into the same file.
    let mut again = sim.watch_in(&data, &[]);
    let first = again.next_event(WAIT).expect("the restarted watch prints");
    assert_eq!(first["kind"], "monitor_started");

    let stored: Vec<Value> = json_lines(&sim.history(&data, &["--events", "--json"]))
        .into_iter()
        .map(without_id)
        .collect();
    for (i, event) in printed.iter().enumerate() {
        assert!(
            stored.contains(event),
            "printed event {i} is not in the history: {event}"
        );
    }
    // Ids only grow, in the order recorded.
    let ids: Vec<i64> = json_lines(&sim.history(&data, &["--events", "--json"]))
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn a_restart_in_the_middle_of_a_maintenance_gives_one_period_with_its_full_duration() {
    let sim = Sim::from_toml(MAINTENANCE);
    let data = empty_dir();
    let mut first = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    first.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let started = first.expect(&["maintenance_started maintenance"], WAIT)[0].clone();
    assert!(first.terminate().success());
    // Where the platform keeps data: $XDG_DATA_HOME, on Windows %LOCALAPPDATA%.
    assert!(history_file(&data).is_file());

    let mut second = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    let resumed = second.expect(&["monitor_started maintenance"], WAIT)[0].clone();
    assert_eq!(resumed["previous_level"], "maintenance", "it continues");
    sim.server.next_phase();
    // No second maintenance_started: the next line is the end.
    let ended = second.expect(&["maintenance_ended normal"], WAIT)[0].clone();
    let at = |e: &Value| chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
    let full = (at(&ended) - at(&started)).num_seconds();
    assert_eq!(ended["duration_secs"], full, "counted from the true start");
    assert_eq!(ended["start_observed"], true);
    assert!(second.terminate().success());

    let periods = json_lines(&sim.history(&data, &["--json"]));
    assert_eq!(periods.len(), 1, "{periods:#?}");
    assert_eq!(periods[0]["kind"], "maintenance");
    assert_eq!(periods[0]["start"], started["at"]);
    assert_eq!(periods[0]["end"], ended["at"]);
    assert_eq!(periods[0]["duration_secs"], full);
    assert_eq!(periods[0]["reason"], "api error 10007: System maintenance");

    let events = json_lines(&sim.history(&data, &["--events", "--json", "--kind", "maintenance"]));
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["maintenance_started", "maintenance_ended"]);

    // In words, in the reader's language, with the reason typed until then.
    let out = sim.history(&data, &["--lang", "ja"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(" メンテナンス "), "{text}");
    assert!(text.contains("(APIエラー 10007: "), "{text}");
    let out = sim.history(&data, &["--csv", "--kind", "maintenance"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("kind,pair,start,"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let out = sim.history(&data, &["--json", "--kind", "halted"]);
    assert!(json_lines(&out).is_empty());
}

#[test]
fn two_watches_at_once_record_each_maintenance_once() {
    let sim = Sim::from_toml(MAINTENANCE);
    let data = empty_dir();
    let mut a = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    a.expect(&["monitor_started normal"], WAIT);
    let mut b = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    b.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    a.expect(&["maintenance_started maintenance"], WAIT);
    b.expect(&["maintenance_started maintenance"], WAIT);
    sim.server.next_phase();
    a.expect(&["maintenance_ended normal"], WAIT);
    b.expect(&["maintenance_ended normal"], WAIT);
    assert!(a.terminate().success());
    assert!(b.terminate().success());
    let events = json_lines(&sim.history(&data, &["--events", "--json", "--kind", "maintenance"]));
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["maintenance_started", "maintenance_ended"]);
    assert_eq!(json_lines(&sim.history(&data, &["--json"])).len(), 1);
}

/// Monitoring goes on: the first event is printed all the same.
fn watch_goes_on(sim: &Sim, data: &Path) -> String {
    let mut w = sim.watch_in(data, &["--pairs", "btc_jpy"]);
    w.expect(&["monitor_started normal"], WAIT);
    let (status, stderr) = w.terminate_keeping_stderr();
    assert!(status.success(), "{stderr}");
    stderr
}

#[test]
fn a_corrupt_history_is_moved_aside_never_deleted_and_monitoring_goes_on() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let file = history_file(&data);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let garbage = b"SQLite format 3\0 but not really; ".repeat(200);
    std::fs::write(&file, &garbage).unwrap();
    let stderr = watch_goes_on(&sim, &data);
    assert!(stderr.contains("was not a readable history"), "{stderr}");
    assert!(stderr.contains("moved aside to"), "{stderr}");
    let aside: Vec<PathBuf> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("history.sqlite3.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), garbage, "kept as it was");
    // A new history was started, and recorded.
    let events = json_lines(&sim.history(&data, &["--events", "--json"]));
    assert_eq!(events[0]["kind"], "monitor_started");
}

#[test]
fn a_history_locked_by_another_process_is_said_and_monitoring_goes_on() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let file = history_file(&data);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let holder = rusqlite::Connection::open(&file).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let stderr = watch_goes_on(&sim, &data);
    assert!(stderr.contains("locked by another process"), "{stderr}");
    assert!(stderr.contains("monitoring goes on"), "{stderr}");
    drop(holder);
}

/// A directory no one may write in, root included (the tests may run as root, whom file
/// modes do not stop): mode 0555 and, for root, the immutable attribute.
struct ReadOnlyDir(PathBuf);

impl ReadOnlyDir {
    fn new() -> Option<ReadOnlyDir> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = empty_dir().join("bbwatch");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let ro = ReadOnlyDir(dir);
        if std::fs::write(ro.0.join("probe"), b"x").is_ok() {
            let _ = std::fs::remove_file(ro.0.join("probe"));
            let made = std::process::Command::new("chattr")
                .arg("+i")
                .arg(&ro.0)
                .status()
                .is_ok_and(|s| s.success());
            if !made || std::fs::write(ro.0.join("probe"), b"x").is_ok() {
                return None;
            }
        }
        Some(ro)
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_history_in_a_read_only_directory_is_said_and_monitoring_goes_on() {
    let sim = Sim::start("normal");
    let (data, _guard) = match ReadOnlyDir::new() {
        Some(ro) => (ro.0.parent().unwrap().to_owned(), Some(ro)),
        // No way to stop root here: sysfs refuses new directories to everyone.
        None => (PathBuf::from("/sys/bbwatch-test-data"), None),
    };
    let stderr = watch_goes_on(&sim, &data);
    assert!(
        stderr.contains("cannot write the history there"),
        "{stderr}"
    );
    assert!(stderr.contains("monitoring goes on"), "{stderr}");
}

/// A history left by an earlier run: `events`, and the snapshot of a maintenance under way
/// since `since`, last polled at `checked`.
fn leave_history(data: &Path, since: DateTime<Utc>, checked: DateTime<Utc>) {
    let h = bbwatch_history::History::open(&history_file(data)).unwrap();
    let mut started = Event::level_change(
        EventKind::MaintenanceStarted,
        since,
        Level::Maintenance,
        Some(Level::Normal),
    );
    started.start_observed = Some(true);
    h.record(&started).unwrap().unwrap();
    h.record_snapshot(&Snapshot {
        level: Level::Maintenance,
        since: Some(since),
        start_observed: true,
        checked_at: Some(checked),
        ..Snapshot::default()
    })
    .unwrap();
}

#[test]
fn a_maintenance_left_more_than_6_hours_ago_ends_at_an_unknown_time() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let now = Utc::now();
    leave_history(
        &data,
        now - chrono::Duration::hours(8),
        now - chrono::Duration::hours(7),
    );
    let mut w = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    let events = w.expect(
        &["monitor_started normal", "maintenance_ended normal"],
        WAIT,
    );
    assert_eq!(
        events[0]["previous_level"],
        Value::Null,
        "nothing continued"
    );
    assert_eq!(events[1]["duration_secs"], Value::Null, "no end invented");
    assert!(w.terminate().success());
    let periods = json_lines(&sim.history(&data, &["--json"]));
    assert_eq!(periods.len(), 1, "{periods:#?}");
    assert_eq!(periods[0]["ended"], "unknown");
    assert_eq!(periods[0]["duration_secs"], Value::Null);
    let text = String::from_utf8(sim.history(&data, &["--lang", "en"]).stdout).unwrap();
    assert!(text.contains("end unknown"), "{text}");
}

#[test]
fn a_maintenance_left_an_hour_ago_is_continued_and_ends_with_its_whole_duration() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let now = Utc::now();
    let since = now - chrono::Duration::hours(2);
    leave_history(&data, since, now - chrono::Duration::hours(1));
    let mut w = sim.watch_in(&data, &["--pairs", "btc_jpy"]);
    let events = w.expect(
        &["monitor_started normal", "maintenance_ended normal"],
        WAIT,
    );
    assert_eq!(events[0]["previous_level"], "maintenance");
    let lasted = events[1]["duration_secs"].as_i64().unwrap();
    assert!(
        lasted >= 2 * 3600,
        "counted from the start two hours ago: {lasted}"
    );
    assert!(w.terminate().success());
    let periods = json_lines(&sim.history(&data, &["--json"]));
    assert_eq!(periods.len(), 1, "{periods:#?}");
    assert_eq!(periods[0]["duration_secs"], lasted);
}

#[test]
fn retention_days_forgets_old_events_and_keeps_the_rest() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let config = empty_dir().join("config.toml");
    std::fs::write(&config, "[history]\nretention_days = 2\n").unwrap();
    let old = Utc::now() - chrono::Duration::days(3);
    let recent = Utc::now() - chrono::Duration::days(1);
    {
        let h = bbwatch_history::History::open(&history_file(&data)).unwrap();
        for at in [old, recent] {
            h.record(&Event::level_change(
                EventKind::MonitorStarted,
                at,
                Level::Normal,
                None,
            ))
            .unwrap();
        }
    }
    let mut w = sim.watch_in(
        &data,
        &["--pairs", "btc_jpy", "--config", config.to_str().unwrap()],
    );
    w.expect(&["monitor_started normal"], WAIT);
    assert!(w.terminate().success());
    let events = json_lines(&sim.history(&data, &["--events", "--json"]));
    let ats: Vec<String> = events
        .iter()
        .map(|e| e["at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ats.len(), 2, "{ats:?}");
    assert_eq!(ats[0], bbwatch_core::model::event::format_time(&recent));
    assert_eq!(events[0]["id"], 2, "ids are not reused");
}

#[test]
fn exchange_selects_one_exchanges_history_and_none_shows_every_one() {
    use bbwatch_core::model::exchange::Exchange;
    let sim = Sim::start("normal");
    let data = empty_dir();
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let at = |s| t0 + chrono::Duration::seconds(s);
    let ev = |exchange, kind, s, to, from| {
        let mut e = Event::level_change(kind, at(s), to, from);
        e.exchange = exchange;
        e
    };
    let (b, g) = (Exchange::Bitbank, Exchange::Gmocoin);
    {
        let h = bbwatch_history::History::open(&history_file(&data)).unwrap();
        let mut ended = ev(
            b,
            EventKind::MaintenanceEnded,
            600,
            Level::Normal,
            Some(Level::Maintenance),
        );
        ended.duration_secs = Some(540);
        for e in [
            ev(b, EventKind::MonitorStarted, 0, Level::Normal, None),
            ev(g, EventKind::MonitorStarted, 1, Level::Normal, None),
            ev(
                b,
                EventKind::MaintenanceStarted,
                60,
                Level::Maintenance,
                Some(Level::Normal),
            ),
            ev(
                g,
                EventKind::MaintenanceStarted,
                120,
                Level::Maintenance,
                Some(Level::Normal),
            ),
            // GMO Coin's fresh start closes its own maintenance, not bitbank's.
            ev(g, EventKind::MonitorStarted, 300, Level::Normal, None),
            ended,
        ] {
            h.record(&e).unwrap().unwrap();
        }
    }

    let all = json_lines(&sim.history(&data, &["--json"]));
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all[0].get("exchange").is_none(), "bitbank's as before");
    assert_eq!(all[0]["duration_secs"], 540);
    assert_eq!(all[1]["exchange"], "gmocoin");
    assert_eq!(all[1]["ended"], "unknown");

    let gmo = json_lines(&sim.history(&data, &["--json", "--exchange", "gmocoin"]));
    assert_eq!(gmo.len(), 1, "{gmo:#?}");
    assert_eq!(gmo[0]["exchange"], "gmocoin");
    let events = json_lines(&sim.history(&data, &["--events", "--json", "--exchange", "GMOcoin"]));
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events.iter().all(|e| e["exchange"] == "gmocoin"));

    let text = |args: &[&str]| {
        let out = sim.history(&data, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let bitbank = text(&["--lang", "en", "--exchange", "bitbank"]);
    assert_eq!(bitbank.lines().count(), 1, "{bitbank}");
    assert!(bitbank.contains(" Maintenance 9 min"), "{bitbank}");
    assert!(!bitbank.contains("GMO"), "{bitbank}");
    let both = text(&["--lang", "en"]);
    assert!(both.contains(" GMO Coin: Maintenance"), "{both}");
    let csv = text(&["--csv"]);
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",exchange"), "{header}");
    let csv = text(&["--csv", "--exchange", "bitbank"]);
    assert!(
        !csv.contains("exchange"),
        "bitbank's columns as before: {csv}"
    );

    let bad = sim.history(&data, &["--exchange", "binance"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("binance") && err.contains("gmocoin"), "{err}");
}
