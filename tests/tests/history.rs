//! The history as a person meets it in the tray app: the real `bbwatch-desktop` under Xvfb with
//! its own D-Bus session and notification server, against fake-bitbank. The History view shows
//! a prepared history (list, filters, export, chart); a kill -9 loses no event that was
//! notified; a restart in the middle of a maintenance tells its end once, with its full length.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use bbwatch_core::present::render::notification_title;
use bbwatch_core::{EventKind, Lang};
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::webdriver::{Driver, Session};
use bbwatch_e2e::desktop::{eventually, scratch_dir, target_dir, HAND_DRIVEN};
use bbwatch_e2e::history_sample;
use bbwatch_history::{Filter, History};
use chrono::{Datelike, Duration as Span, Local, TimeZone, Utc};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

fn history_file(dir: &Path) -> PathBuf {
    dir.join("data/bbwatch/history.sqlite3")
}

async fn js(session: &Session, driver: &Driver, script: &str) -> Result<Value> {
    session.run(driver, script).await
}

async fn rows(session: &Session, driver: &Driver) -> Vec<String> {
    let v = js(
        session,
        driver,
        "return [...document.querySelectorAll('#periods-body tr')].map(r => r.textContent);",
    )
    .await
    .unwrap_or(Value::Null);
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(ToOwned::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_view_lists_filters_exports_and_draws_a_prepared_history() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("history-view");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (mut env, _) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        "interval = \"60s\"\nlanguage = \"en\"\n",
    );
    let downloads = dir.join("downloads");
    env.push(("XDG_DOWNLOAD_DIR".into(), downloads.display().to_string()));
    // Tokyo, so that the export's local times are not UTC's.
    env.retain(|(k, _)| k != "TZ");
    env.push(("TZ".into(), "Asia/Tokyo".into()));
    let now = Utc::now();
    history_sample::prepare(&history_file(&dir), now)?;
    let (_notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=history"],
        )
        .await?;
    let listed = eventually(WAIT, "the four periods", || async {
        let r = rows(&session, &driver).await;
        (r.len() == 4).then_some(r)
    })
    .await?;
    assert_eq!(
        js(&session, &driver, "return document.title;").await?,
        "bbwatch — History"
    );
    // Newest first, durations in words, reasons typed until shown.
    assert!(
        listed[0].contains("Maintenance")
            && listed[0].contains("45 min")
            && listed[0].contains("api error 10007: System maintenance"),
        "{listed:?}"
    );
    assert!(
        listed[1].contains("xrp_jpy halted") && listed[1].contains("30 min"),
        "{listed:?}"
    );
    assert!(
        listed[2].contains("API down") && listed[2].contains("7 min"),
        "{listed:?}"
    );
    assert!(listed[3].contains("1 h 23 min"), "{listed:?}");

    // The summary: this month's maintenances (by the local calendar), the last one.
    let month_start = Local
        .with_ymd_and_hms(Local::now().year(), Local::now().month(), 1, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let this_month = [now - Span::days(10), now - Span::hours(2)]
        .iter()
        .filter(|t| **t >= month_start)
        .count();
    let count = session.text(&driver, "#sum-count").await?;
    assert_eq!(count.as_deref(), Some(this_month.to_string().as_str()));
    let last = session
        .text(&driver, "#sum-last")
        .await?
        .unwrap_or_default();
    assert!(
        last.contains("lasted 45 min") && last.contains("ended"),
        "{last}"
    );

    // The chart: drawn by uPlot on a canvas, availability over the range.
    let chart = eventually(WAIT, "the chart", || async {
        let v = js(
            &session,
            &driver,
            "const c = document.querySelector('#chart canvas'); \
             return c ? [c.width, document.getElementById('availability').textContent] : null;",
        )
        .await
        .ok()?;
        (!v.is_null()).then_some(v)
    })
    .await?;
    assert!(chart[0].as_u64().unwrap() > 100, "{chart}");
    assert!(
        chart[1]
            .as_str()
            .unwrap()
            .starts_with("Availability over 30 days: 99."),
        "{chart}"
    );
    js(
        &session,
        &driver,
        "document.querySelector('#chart-range [data-days=\"90\"]').click(); return null;",
    )
    .await?;
    eventually(WAIT, "the 90 days", || async {
        let t = session.text(&driver, "#availability").await.ok()??;
        t.starts_with("Availability over 90 days").then_some(())
    })
    .await?;

    // Filtered to halts, then exported: the file has exactly what the list shows.
    js(
        &session,
        &driver,
        "const s = document.getElementById('filter-kind'); s.value = 'halted'; \
         s.dispatchEvent(new Event('change', {bubbles: true})); return null;",
    )
    .await?;
    eventually(WAIT, "one halt", || async {
        let r = rows(&session, &driver).await;
        (r.len() == 1 && r[0].contains("xrp_jpy")).then_some(())
    })
    .await?;
    let _ = std::fs::create_dir_all(target_dir().join("desktop-e2e"));
    let _ = desktop.screenshot(&target_dir().join("desktop-e2e/history.png"));
    js(
        &session,
        &driver,
        "document.getElementById('export-csv').click(); return null;",
    )
    .await?;
    let said = eventually(WAIT, "the export's answer", || async {
        session
            .text(&driver, "#export-status")
            .await
            .ok()?
            .filter(|t| !t.is_empty())
    })
    .await?;
    let file = std::fs::read_dir(&downloads)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("a CSV in the download directory");
    assert_eq!(said, format!("Saved to {}", file.display()));
    let csv = std::fs::read_to_string(&file)?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    // The columns scripts read are unchanged (UTC, English); the ones for people follow:
    // local times with their offset, and the words in the window's language.
    assert_eq!(
        lines[0],
        "kind,pair,start,start_observed,end,ended,duration_secs,pair_state,reason,start_local,end_local,what,why",
        "{csv}"
    );
    assert!(lines[1].starts_with("halted,xrp_jpy,"), "{csv}");
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert!(fields[2].ends_with('Z'), "{csv}");
    assert!(
        fields[9].ends_with("+09:00") && fields[10].ends_with("+09:00"),
        "{csv}"
    );
    let start_utc = chrono::DateTime::parse_from_rfc3339(fields[2])?;
    let start_local = chrono::DateTime::parse_from_rfc3339(fields[9])?;
    assert_eq!(
        start_utc.timestamp(),
        start_local.timestamp(),
        "the same time (to the second), said in Tokyo's"
    );
    assert_eq!(fields[11], "xrp_jpy halted", "{csv}");

    // Escape goes back to the status view.
    js(
        &session,
        &driver,
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); \
         return null;",
    )
    .await?;
    eventually(WAIT, "the status view", || async {
        let v = js(
            &session,
            &driver,
            "return document.getElementById('status-view').hidden;",
        )
        .await
        .ok()?;
        (v == json!(false)).then_some(())
    })
    .await?;
    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// Each title the notifications showed, counted.
fn counted<'a>(titles: impl IntoIterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for t in titles {
        *out.entry(t.to_owned()).or_insert(0) += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_notified_before_a_sigkill_is_in_the_history() -> Result<()> {
    // Bursts of 20 pair events a poll (busy, then normal again), every one notified.
    let mut scenario = String::new();
    for i in 0..30 {
        let status = if i % 2 == 0 { "NORMAL" } else { "BUSY" };
        scenario.push_str(&format!(
            "[[phases]]\nname = \"p{i}\"\nduration = \"2s\"\ngenerated_pairs = 20\nstatus = {{ \"*\" = \"{status}\" }}\n\n"
        ));
    }
    let bin = app_binary();
    let dir = scratch_dir("history-kill");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(&scenario)?, Options::default()).await?;
    let config = "interval = \"1s\"\nlanguage = \"en\"\n[notifications]\nbusy = true\n";
    let (env, _) = app_env(&desktop, &dir, &sim, "C.UTF-8", config);
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    eventually(Duration::from_secs(60), "30 notifications", || async {
        (notifications.shown().len() >= 30).then_some(())
    })
    .await?;
    tray.kill()?;
    tray.wait()?;
    let shown = notifications.shown();

    // Restarted, it goes on recording into the same file.
    let mut again = start_tray(&bin, &env, &dir)?;
    let stored = eventually(WAIT, "the restart's first event", || async {
        let h = History::open(&history_file(&dir)).ok()?;
        let events = h.events(&Filter::default()).ok()?;
        let starts = events
            .iter()
            .filter(|e| e.event.kind == EventKind::MonitorStarted)
            .count();
        (starts == 2).then_some(events)
    })
    .await?;
    let recorded = counted(
        stored
            .iter()
            .map(|e| notification_title(&e.event, Lang::En))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    let told = counted(shown.iter().map(|n| n.summary.as_str()));
    for (title, n) in &told {
        assert!(
            recorded.get(title).copied().unwrap_or(0) >= *n,
            "{title:?} was notified {n} times but recorded {:?} times",
            recorded.get(title)
        );
    }
    let _ = again.kill();
    let _ = again.wait();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_a_maintenance_tells_its_end_once_with_its_full_length() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("history-restart");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n";
    let (env, _) = app_env(&desktop, &dir, &sim, "C.UTF-8", config);
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut first = start_tray(&bin, &env, &dir)?;
    eventually(WAIT, "the first poll recorded", || async {
        let h = History::open(&history_file(&dir)).ok()?;
        (!h.events(&Filter::default()).ok()?.is_empty()).then_some(())
    })
    .await?;
    sim.next_phase();
    notifications
        .first_with("maintenance started", WAIT)
        .await?;
    let started_at = Utc::now();
    first.kill()?;
    first.wait()?;
    // Away for a few seconds, during the maintenance.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut second = start_tray(&bin, &env, &dir)?;
    eventually(WAIT, "the second run's first event", || async {
        let h = History::open(&history_file(&dir)).ok()?;
        let starts = h
            .events(&Filter::default())
            .ok()?
            .iter()
            .filter(|e| e.event.kind == EventKind::MonitorStarted)
            .count();
        (starts == 2).then_some(())
    })
    .await?;
    sim.next_phase();
    let end = notifications.first_with("maintenance ended", WAIT).await?;
    let lasted = (Utc::now() - started_at).num_seconds();
    assert_eq!(
        notifications.shown_with("maintenance started").len(),
        1,
        "the restart started no second maintenance: {:#?}",
        notifications.shown()
    );
    // "lasted 5 s": from the true start, across the restart (at least the time away).
    let secs: i64 = end
        .body
        .split("lasted ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {:?}", end.body));
    assert!(
        secs >= 3 && secs <= lasted + 2,
        "{secs} s of {lasted}: {end:?}"
    );

    let h = History::open(&history_file(&dir))?;
    let periods = h.periods(&Filter::default())?;
    assert_eq!(periods.len(), 1, "{periods:#?}");
    let _ = second.kill();
    let _ = second.wait();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_history_is_moved_aside_said_in_the_view_and_monitoring_goes_on() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("history-corrupt");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, _) = app_env(
        &desktop,
        &dir,
        &sim,
        "ja_JP.UTF-8",
        "interval = \"60s\"\nlanguage = \"ja\"\n",
    );
    let file = history_file(&dir);
    std::fs::create_dir_all(file.parent().unwrap())?;
    let garbage = b"this is not a database, but somebody's bytes\n".repeat(100);
    std::fs::write(&file, &garbage)?;
    let (_notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    // Moved aside, never deleted, and a new history records the monitor's start.
    let aside = eventually(WAIT, "the file moved aside", || async {
        std::fs::read_dir(file.parent()?)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.to_string_lossy().contains(".corrupt-") && !p.to_string_lossy().ends_with("-wal")
            })
    })
    .await?;
    assert_eq!(std::fs::read(&aside)?, garbage);
    eventually(WAIT, "the new history to record", || async {
        let h = History::open(&file).ok()?;
        let events = h.events(&Filter::default()).ok()?;
        events
            .iter()
            .any(|e| e.event.kind == EventKind::MonitorStarted)
            .then_some(())
    })
    .await?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=history"],
        )
        .await?;
    let said = eventually(WAIT, "the view to say so", || async {
        let shown = js(
            &session,
            &driver,
            "const p = document.getElementById('history-problem'); \
             return p.hidden ? null : p.textContent;",
        )
        .await
        .ok()?;
        shown.as_str().map(ToOwned::to_owned)
    })
    .await?;
    assert!(
        said.contains("読めなかったため") && said.contains(&aside.display().to_string()),
        "{said}"
    );
    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// A history with nothing in it claims no availability; a period under way counts on while the
/// view is open ("3 s so far", then "5 s so far") without a new event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_data_claims_no_availability_and_an_ongoing_period_counts_on() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("history-live");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = "interval = \"2s\"\nlanguage = \"en\"\nstream = false\n";

    // No answer from bitbank yet (its host refuses connections): nothing is recorded.
    // Many failures before "unreachable", so that nothing is recorded while the test looks.
    let patient = format!("{config}failure_threshold = 100\n");
    let (mut env, _) = app_env(&desktop, &dir, &sim, "C.UTF-8", &patient);
    env.retain(|(k, _)| k != "BBWATCH_API_URL" && k != "BBWATCH_PUBLIC_URL");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    env.push((
        "BBWATCH_API_URL".into(),
        format!("http://127.0.0.1:{closed}/v1"),
    ));
    env.push((
        "BBWATCH_PUBLIC_URL".into(),
        format!("http://127.0.0.1:{closed}"),
    ));
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=history"],
        )
        .await?;
    let said = eventually(WAIT, "the availability line", || async {
        let t = session.text(&driver, "#availability").await.ok()??;
        (!t.is_empty()).then_some(t)
    })
    .await?;
    assert_eq!(said, "No data yet");
    let shots = target_dir().join("desktop-e2e");
    let _ = std::fs::create_dir_all(&shots);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = desktop.screenshot(&shots.join("history-no-data.png"));
    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();

    // bitbank answers, then goes into maintenance: the period under way counts on.
    let (env, _) = app_env(&desktop, &dir, &sim, "C.UTF-8", config);
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=history"],
        )
        .await?;
    // The monitor's first answer is recorded: then there is data.
    eventually(WAIT, "an availability", || async {
        let t = session.text(&driver, "#availability").await.ok()??;
        t.starts_with("Availability over 30 days").then_some(())
    })
    .await?;
    sim.next_phase();
    let under_way = "const c = [...document.querySelectorAll('#periods-body .period-duration')] \
                       .find((c) => c.textContent.endsWith('so far')); \
                     return c ? [c.textContent, document.getElementById('sum-last').textContent] : null;";
    let first = eventually(WAIT, "the maintenance under way", || async {
        let v = js(&session, &driver, under_way).await.ok()?;
        (!v.is_null()).then_some(v)
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = js(&session, &driver, under_way).await?;
    assert!(!later.is_null(), "still under way");
    assert_ne!(
        first[0], later[0],
        "the length did not count on: {first} {later}"
    );
    assert!(
        later[1].as_str().unwrap().contains("so far)"),
        "the summary says it is under way: {later}"
    );
    assert_ne!(
        first[1], later[1],
        "the summary did not count on: {first} {later}"
    );
    js(
        &session,
        &driver,
        "document.getElementById('h-periods').scrollIntoView(); return null;",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = desktop.screenshot(&shots.join("history-ongoing.png"));

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
