//! The tray app as a person meets it: the real `bbwatch-desktop` under Xvfb with its own D-Bus
//! session; this test is the panel (StatusNotifierWatcher), the notification server and, through
//! WebDriver, the person looking at the window. fake-bitbank plays normal → maintenance → normal.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use bbwatch_e2e::desktop::app::{self as desktop_app, app_binary, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{click, type_into};
use bbwatch_e2e::desktop::keyring::Keyring;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::panel::{
    exited, icon_colour, panel, quit, quit_labelled, start_on_panel, tooltip, tray_item, WAIT,
};
use bbwatch_e2e::desktop::procs::{
    children, is_window, started_in, window_libraries, window_processes,
};
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{
    eventually, scratch_dir, target_dir, CIRCUIT_HAND_DRIVEN, HAND_DRIVEN, WITHDRAWAL_HAND_DRIVEN,
};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use std::sync::atomic::Ordering;

/// The app's environment, in English at `interval`, with its own config file.
fn app_env(
    desktop: &Desktop,
    dir: &Path,
    sim: &FakeBitbank,
    interval: &str,
) -> Vec<(String, String)> {
    let config = format!("interval = \"{interval}\"\nlanguage = \"en\"\n");
    desktop_app::app_env(desktop, dir, sim, "C.UTF-8", &config).0
}

/// The files the app has in the runtime directory (the bus socket and the like are not its).
fn runtime_files(desktop: &Desktop) -> Vec<String> {
    std::fs::read_dir(&desktop.runtime_dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("bbwatch") || n.ends_with(".png"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_notifications_and_window_follow_a_maintenance() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("e2e");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (watcher, watcher_conn, notifications, notify_conn) = panel(&desktop).await?;
    // A long interval: only "Check now" makes the next poll come quickly.
    let mut env = app_env(&desktop, &dir, &sim, "60s");
    // The browser the app opens pages in: one that writes down what it was asked to open.
    let (path, opened) = desktop_app::recording_opener(&dir, &env)?;
    env.push(path);
    let mut tray = start_tray(&bin, &env, &dir)?;
    // The window is a process of its own; WebDriver starts it, as the tray menu would.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;

    // The tray item registers and shows normal: green, with a tooltip and title that say so.
    let item = tray_item(&watcher, &watcher_conn).await?;
    eventually(WAIT, "the tooltip to say Normal", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    let tip = tooltip(&item).await;
    // No history: bbwatch only knows the level since it started, and says so.
    assert!(
        tip.starts_with("bitbank: Normal since ") && tip.ends_with(" (when bbwatch started)"),
        "{tip}"
    );
    assert_eq!(item.property::<String>("Title").await?, "bitbank: Normal");
    assert_eq!(icon_colour(&item).await, Some("green"));
    // The process that runs all day is not the window's: it maps no GTK or WebKit, even with
    // the window open (which is a process of its own).
    eventually(WAIT, "the window process", || async {
        window_processes(&dir).first().copied()
    })
    .await?;
    assert_eq!(window_libraries(tray.id()), Vec::<String>::new());
    let window = window_processes(&dir)[0];
    assert!(
        window_libraries(window)
            .iter()
            .any(|l| l.starts_with("libwebkit2gtk")),
        "the window maps WebKit: {:?}",
        window_libraries(window)
    );

    // Only this user may talk to the tray: the window socket is 0600.
    {
        use std::os::unix::fs::PermissionsExt as _;
        let socket = desktop.runtime_dir.join("bbwatch-desktop.sock");
        let mode = std::fs::metadata(&socket)?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", socket.display());
    }
    // While the level holds, polls change nothing on the panel: no NewIcon, no file.
    let new_icons = item.count_signals("NewIcon").await?;
    let files_before = runtime_files(&desktop);
    for _ in 0..3 {
        let polls = sim.stats().requests.spot_status;
        item.click("Check now").await.context("click Check now")?;
        eventually(WAIT, "a poll after Check now", || async {
            (sim.stats().requests.spot_status > polls).then_some(())
        })
        .await?;
    }
    // "Check now" from the menu is answered: the menu is gone by then, so a short
    // notification says what bitbank is.
    let answer = notifications.first_with("bitbank: Normal", WAIT).await?;
    assert!(answer.body.starts_with("Checked at "), "{answer:?}");
    assert_eq!(answer.urgency, Some(0), "the answer is low urgency");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        new_icons.load(Ordering::SeqCst),
        0,
        "NewIcon while normal held"
    );
    assert_eq!(runtime_files(&desktop), files_before);
    assert!(
        files_before.iter().all(|f| !f.ends_with(".png")),
        "{files_before:?}"
    );

    // The window shows the level and the pairs.
    eventually(WAIT, "the window to say Normal", || async {
        (session.text(&driver, "#level-name").await.ok()?? == "Normal").then_some(())
    })
    .await?;
    let pairs = session
        .text(&driver, "#normal-summary")
        .await?
        .unwrap_or_default();
    assert!(pairs.contains("pairs normal"), "{pairs}");
    // Whatever fonts the machine has, no button's words are cut short.
    let cut = session.cut_texts(&driver, ".actions .btn span").await?;
    assert!(cut.is_empty(), "cut short: {cut:?}");
    // The footer says the stream is connected.
    eventually(
        WAIT,
        "the footer to say live updates are connected",
        || async {
            (session.text(&driver, "#live-text").await.ok()?? == "Live updates connected")
                .then_some(())
        },
    )
    .await?;
    // NO_AT_BRIDGE=1 (set for the app) means no accessibility bus: opening the window starts none.
    assert_eq!(
        started_in(&dir, |comm, _| comm.starts_with("at-spi")),
        Vec::<u32>::new(),
        "the window started at-spi"
    );
    // "Open status window" while a window is open brings it forward rather than adding one.
    item.click("Open status window")
        .await
        .context("click Open status window")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(window_processes(&dir).len(), 1);

    // Maintenance begins; "Check now" from the tray menu polls at once.
    let menu = item.menu().await.context("read the menu")?;
    let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).collect();
    for want in [
        "Open status window",
        "Check now",
        "Pause notifications for 1 hour",
        "Pause notifications until resumed",
        "Settings",
        "Open bitbank announcements",
        "Quit",
    ] {
        assert!(
            labels.iter().any(|l| l.contains(want)),
            "menu lacks {want:?}: {labels:?}"
        );
    }
    let status_line = menu.first().expect("a status line");
    assert!(
        !status_line.enabled && status_line.label.contains("Normal"),
        "{status_line:?}"
    );
    sim.next_phase();
    item.click("Check now").await.context("click Check now")?;
    eventually(
        Duration::from_secs(15),
        "the tooltip to say Maintenance",
        || async { tooltip(&item).await.contains("Maintenance").then_some(()) },
    )
    .await?;
    let tip = tooltip(&item).await;
    assert!(
        tip.starts_with("bitbank: Maintenance since ") && tip.ends_with(" — api error 10007"),
        "{tip}"
    );
    assert!(!tip.contains("before"), "the start was seen: {tip}");
    assert_eq!(
        item.property::<String>("Title").await?,
        "bitbank: Maintenance"
    );
    assert_eq!(icon_colour(&item).await, Some("red"));
    eventually(WAIT, "one NewIcon for the new level", || async {
        (new_icons.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await?;
    let shown = eventually(WAIT, "the maintenance notification", || async {
        let s = notifications.shown_with("maintenance");
        (!s.is_empty()).then_some(s)
    })
    .await?;
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].summary, "bitbank: maintenance started");
    assert_eq!(
        shown[0].body,
        "Trading, deposits, withdrawals and the API are stopped: bots should pause"
    );
    assert_eq!(shown[0].app_name, "bbwatch");
    assert_eq!(shown[0].urgency, Some(2), "maintenance start is critical");
    assert!(shown[0].actions.contains(&"default".to_string()));
    // It offers bitbank's announcements, where the maintenance is explained; the action opens
    // them in the browser.
    let announcements = shown[0].actions.iter().position(|a| a == "announcements");
    assert_eq!(
        announcements.and_then(|i| shown[0].actions.get(i + 1)),
        Some(&"Open announcements".to_string()),
        "{:?}",
        shown[0].actions
    );
    {
        let emitter = zbus::object_server::SignalEmitter::new(
            &notify_conn,
            "/org/freedesktop/Notifications",
        )?;
        NotificationServer::action_invoked(&emitter, shown[0].id, "announcements").await?;
    }
    let asked = eventually(WAIT, "the announcements to be opened", || async {
        std::fs::read_to_string(&opened).ok()
    })
    .await?;
    assert_eq!(asked.trim(), "https://blog.bitbank.cc/tag/service");
    // The window followed without being asked.
    eventually(WAIT, "the window to say Maintenance", || async {
        (session.text(&driver, "#level-name").await.ok()?? == "Maintenance").then_some(())
    })
    .await?;
    let first_event = session
        .text(&driver, "#events li")
        .await?
        .unwrap_or_default();
    assert!(first_event.contains("Maintenance started"), "{first_event}");
    // bitbank says nothing of the pairs during a maintenance: none is shown as normal.
    let pairs = session
        .text(&driver, "#normal-summary")
        .await?
        .unwrap_or_default();
    assert!(
        pairs.contains("state not known during the maintenance") && !pairs.contains("normal"),
        "{pairs}"
    );
    let _ = std::fs::create_dir_all(target_dir().join("desktop-e2e"));
    let _ = desktop.screenshot(&target_dir().join("desktop-e2e/maintenance.png"));

    // Pause notifications for an hour: the end of the maintenance is not announced.
    let unpaused_icon = item.icon_pixmap().await?;
    // One level of menu: XFCE's panel shows ksni's submenus empty.
    assert!(menu.iter().all(|e| !e.submenu), "{menu:?}");
    let resume = menu.iter().find(|e| e.label == "Resume notifications");
    assert!(resume.is_some_and(|e| !e.visible), "{menu:?}");
    item.click("Pause notifications for 1 hour")
        .await
        .context("click Pause notifications for 1 hour")?;
    let paused_entry = eventually(WAIT, "the pause to show as checked", || async {
        let menu = item.menu().await.ok()?;
        menu.into_iter()
            .find(|e| {
                e.label.starts_with("Notifications paused until ") && !e.label.ends_with("resumed")
            })
            .filter(|e| e.toggle_state == Some(1))
    })
    .await?;
    // Paused is said wherever the user looks: the tooltip, the menu's first line, the icon.
    let tip = tooltip(&item).await;
    assert!(tip.ends_with(&paused_entry.label), "{tip}");
    let menu = item.menu().await?;
    assert!(
        menu[0].label.ends_with(&paused_entry.label),
        "{:?}",
        menu[0]
    );
    // The pause badge: a slate disc (ARGB 255, 55, 65, 81) the level's icon does not have.
    let badge = |argb: &[u8]| {
        argb.chunks_exact(4)
            .filter(|px| *px == [255, 55, 65, 81])
            .count()
    };
    assert_eq!(badge(&unpaused_icon.2), 0);
    let paused_icon = item.icon_pixmap().await?;
    assert!(badge(&paused_icon.2) > 100, "the icon shows no pause");
    assert_eq!(
        icon_colour(&item).await,
        Some("red"),
        "the level's colour stays"
    );
    let paused = session
        .text(&driver, "#notice-paused")
        .await?
        .unwrap_or_default();
    assert!(
        paused.trim().starts_with("Notifications paused until "),
        "{paused}"
    );
    sim.next_phase();
    item.click("Check now").await.context("click Check now")?;
    eventually(
        Duration::from_secs(15),
        "the tooltip to say Normal again",
        || async { tooltip(&item).await.contains("Normal").then_some(()) },
    )
    .await?;
    assert_eq!(icon_colour(&item).await, Some("green"));
    // The red popup does not outlive the maintenance, paused or not.
    eventually(WAIT, "the start popup to be closed", || async {
        notifications.closed().contains(&shown[0].id).then_some(())
    })
    .await?;
    eventually(WAIT, "the window to say Normal again", || async {
        (session.text(&driver, "#level-name").await.ok()?? == "Normal").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        notifications.shown_with("maintenance").len(),
        1,
        "paused, yet: {:#?}",
        notifications.shown()
    );
    item.click("Resume notifications")
        .await
        .context("click Resume notifications")?;
    eventually(WAIT, "the pause to be lifted", || async {
        let menu = item.menu().await.ok()?;
        (menu
            .iter()
            .find(|e| e.label.contains("Pause notifications for 1 hour"))?
            .toggle_state
            == Some(0))
        .then_some(())
    })
    .await?;
    let tip = tooltip(&item).await;
    assert!(!tip.contains("paused"), "{tip}");
    assert_eq!(badge(&item.icon_pixmap().await?.2), 0, "the badge stayed");

    // Closing the window ends its process; the tray goes on, and never ran a web view itself.
    assert_eq!(window_processes(&dir).len(), 1);
    // WebDriver would end the window with its session when its last window closes, so the
    // window is closed the way a person does (Ctrl+W), and the driver is let go first.
    session
        .run(&driver, "setTimeout(() => document.dispatchEvent(new KeyboardEvent('keydown', {key: 'w', ctrlKey: true})), 1500); return null;")
        .await?;
    drop(driver);
    eventually(WAIT, "the window process to exit", || async {
        window_processes(&dir).is_empty().then_some(())
    })
    .await?;
    assert!(
        tray.try_wait()?.is_none(),
        "the tray app exited with its window"
    );
    assert!(
        !children(tray.id()).iter().any(|c| c.starts_with("WebKit")),
        "the tray process runs WebKit: {:?}",
        children(tray.id())
    );
    let polls = sim.stats().requests.spot_status;
    let answers = notifications.shown_with("bitbank: Normal").len();
    item.click("Check now").await.context("click Check now")?;
    eventually(WAIT, "a poll after Check now with no window", || async {
        (sim.stats().requests.spot_status > polls).then_some(())
    })
    .await?;
    let answer = eventually(WAIT, "the answer to this Check now", || async {
        let all = notifications.shown_with("bitbank: Normal");
        (all.len() > answers).then(|| all.last().cloned()).flatten()
    })
    .await?;

    // Clicking a notification opens the status window again.
    let id = answer.id;
    let emitter =
        zbus::object_server::SignalEmitter::new(&notify_conn, "/org/freedesktop/Notifications")?;
    NotificationServer::action_invoked(&emitter, id, "default").await?;
    let window = eventually(WAIT, "a window process started by the tray", || async {
        window_processes(&dir).first().copied()
    })
    .await?;
    eventually(WAIT, "the window's web view", || async {
        children(window)
            .iter()
            .any(|c| c.starts_with("WebKitWebProces"))
            .then_some(())
    })
    .await?;
    // "Open status window" while it is open starts no second one.
    item.click("Open status window")
        .await
        .context("click Open status window")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(window_processes(&dir), vec![window]);

    // Quit from the menu ends the app, and its window with it, takes its popups away and
    // leaves nothing behind. (The clicked popup is gone already: a server closes it.)
    let shown_before = notifications.shown().len();
    item.click("Check now").await.context("click Check now")?;
    let open = eventually(WAIT, "one more answer to Check now", || async {
        let all = notifications.shown();
        (all.len() > shown_before)
            .then(|| all.last().cloned())
            .flatten()
    })
    .await?;
    quit(&item, &mut tray, &dir).await?;
    assert_eq!(runtime_files(&desktop), Vec::<String>::new());
    assert!(
        notifications.closed().contains(&open.id),
        "our popup outlived the app: closed {:?}",
        notifications.closed()
    );
    eventually(WAIT, "the window to close with the app", || async {
        window_processes(&dir).is_empty().then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_without_a_tray_host_or_a_notification_server() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("bare");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let env = app_env(&desktop, &dir, &sim, "1s");
    let log = dir.join("app.log");
    let mut app = start_tray(&bin, &env, &dir)?;
    eventually(WAIT, "the app to poll", || async {
        (sim.stats().requests.spot_status >= 2).then_some(())
    })
    .await?;
    sim.next_phase();
    eventually(
        WAIT,
        "a warning that no notification could be shown",
        || async {
            std::fs::read_to_string(&log)
                .ok()?
                .contains("no notification server")
                .then_some(())
        },
    )
    .await?;
    let logged = std::fs::read_to_string(&log)?;
    assert!(
        !logged.contains('\u{1b}'),
        "colour codes in a log file: {logged:?}"
    );
    assert!(
        app.try_wait()?.is_none(),
        "the app died: {}",
        std::fs::read_to_string(&log)?
    );
    let polls = sim.stats().requests.spot_status;
    eventually(WAIT, "the app to keep polling", || async {
        (sim.stats().requests.spot_status > polls + 1).then_some(())
    })
    .await?;
    assert!(
        app.try_wait()?.is_none(),
        "the app died: {}",
        std::fs::read_to_string(&log)?
    );
    let _ = app.kill();
    let _ = app.wait();
    Ok(())
}

/// A circuit break bitbank pushes on its stream turns the tray at once, with no poll: the
/// interval is 60 s and the simulator counts no request between the switch and the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circuit_break_pushed_on_the_stream_turns_the_tray_at_once() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("pushed");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(
        Scenario::from_toml(CIRCUIT_HAND_DRIVEN)?,
        Options::default(),
    )
    .await?;
    let config = "interval = \"60s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\", \"xrp_jpy\"]\n";
    let env = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", config).0;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tray to turn green", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    eventually(WAIT, "both rooms to answer", || async {
        (sim.stats().stream.pushes >= 2).then_some(())
    })
    .await?;
    // The app takes the first frames in.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = sim.stats();
    sim.next_phase();
    eventually(WAIT, "the tray to say Degraded", || async {
        tooltip(&item).await.contains("Degraded").then_some(())
    })
    .await?;
    assert_eq!(icon_colour(&item).await, Some("amber"));
    let after = sim.stats();
    assert_eq!(
        after.requests.spot_status, before.requests.spot_status,
        "a poll, not the push, changed the tray: {after:#?}"
    );
    assert_eq!(
        after.requests.circuit_break_info,
        before.requests.circuit_break_info
    );
    eventually(WAIT, "the circuit break's notification", || async {
        notifications
            .shown()
            .into_iter()
            .find(|n| n.summary.contains("xrp_jpy") || n.summary.contains("restricted"))
    })
    .await?;
    // And the end of it, pushed too.
    sim.next_phase();
    eventually(WAIT, "the tray to turn green again", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    assert_eq!(
        sim.stats().requests.spot_status,
        before.requests.spot_status
    );
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// Started while bitbank is already in maintenance: the start was not seen, so the tray says
/// since when bbwatch started, the end says "at least"; and Quit closes the popups still on
/// screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_seen_from_its_middle_lasted_at_least() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("midway");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    sim.next_phase();
    let env = app_env(&desktop, &dir, &sim, "60s");
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip to say Maintenance", || async {
        tooltip(&item).await.contains("Maintenance").then_some(())
    })
    .await?;
    let tip = tooltip(&item).await;
    assert!(
        tip.starts_with("bitbank: Maintenance since ")
            && tip.contains(" (when bbwatch started)")
            && !tip.contains("before"),
        "{tip}"
    );
    let start = notifications
        .first_with("maintenance started", WAIT)
        .await?;
    // Long enough that a wrong "lasted 0s" could not pass for a lower bound of it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.next_phase();
    item.click("Check now").await.context("click Check now")?;
    let end = notifications.first_with("maintenance ended", WAIT).await?;
    assert!(
        end.body.starts_with("Trading can resume (lasted at least "),
        "{end:?}"
    );
    assert!(notifications.closed().contains(&start.id));
    quit(&item, &mut app, &dir).await?;
    assert!(
        notifications.closed().contains(&end.id),
        "the end popup outlived the app: {:?}",
        notifications.closed()
    );
    Ok(())
}

/// A configuration file that cannot be used is told in the user's language, says the
/// defaults are in force, and stays visible in the window after the popup is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_config_is_told_in_japanese_and_kept_in_the_window() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("badconfig");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (_watcher, _watcher_conn, notifications, _notify_conn) = panel(&desktop).await?;
    let mut env = app_env(&desktop, &dir, &sim, "60s");
    let config = dir.join("config/bbwatch/config.toml");
    std::fs::write(&config, "interval = \"often\"\n").unwrap();
    for (k, v) in env.iter_mut() {
        if k == "LANG" {
            *v = "ja_JP.UTF-8".into();
        }
    }
    let mut app = start_tray(&bin, &env, &dir)?;
    let shown = notifications.first_with("設定ファイル", WAIT).await?;
    assert_eq!(shown.summary, "bbwatch: 設定ファイルに誤りがあります");
    assert!(
        shown.body.starts_with("直すまで既定の設定で動作します。")
            && shown.body.contains("interval"),
        "{shown:?}"
    );
    // The app opens its window on the settings by itself, where the problem can be fixed.
    let opened = eventually(WAIT, "the app to open its settings", || async {
        started_in(&dir, |comm, cmd| {
            is_window(comm, cmd) && cmd.contains("--section=settings")
        })
        .first()
        .copied()
    })
    .await?;
    let _ = Command::new("kill").arg(opened.to_string()).status();
    eventually(WAIT, "that window to close", || async {
        window_processes(&dir).is_empty().then_some(())
    })
    .await?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    let banner = eventually(WAIT, "the window to show the problem", || async {
        let shown: serde_json::Value = session
            .run(
                &driver,
                "const b = document.getElementById('config-problem'); return b.hidden ? null : b.textContent;",
            )
            .await
            .ok()?;
        shown.as_str().map(str::to_owned)
    })
    .await?;
    assert!(
        banner.contains("設定ファイルに誤りがあります") && banner.contains("interval"),
        "{banner}"
    );
    let title: serde_json::Value = session.run(&driver, "return document.title;").await?;
    assert_eq!(title, "bbwatch — bitbankの状態");
    // The settings view says so in the title, and keeps the problem in view.
    session
        .run(
            &driver,
            "document.getElementById('open-settings').click(); return null;",
        )
        .await?;
    eventually(WAIT, "the settings title", || async {
        let title: serde_json::Value = session.run(&driver, "return document.title;").await.ok()?;
        (title == "bbwatch — 設定").then_some(())
    })
    .await?;
    let state: serde_json::Value = session
        .run(
            &driver,
            "return [document.getElementById('settings-config-problem').hidden, document.getElementById('error-line').hidden];",
        )
        .await?;
    assert_eq!(
        state,
        serde_json::json!([false, true]),
        "problem shown, no error"
    );
    drop(session);
    drop(driver);
    let _ = app.kill();
    let _ = app.wait();
    Ok(())
}

/// The file stays the one source of truth: edited by hand while the app runs, it is in force
/// within seconds (here: the language, in the tray at once); turned invalid, the last good
/// settings stay and the problem is told once; fixed, the problem's popup goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_follows_its_file_edited_by_hand() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("byhand");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let env = app_env(&desktop, &dir, &sim, "60s");
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip to say Normal", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    let config = dir.join("config/bbwatch/config.toml");
    let save = |text: &str| {
        // As editors save: a new file renamed over the old one.
        let tmp = config.with_extension("toml.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &config).unwrap();
    };

    save("# by hand\ninterval = \"60s\"\nlanguage = \"ja\"\n");
    eventually(WAIT, "the tooltip in Japanese", || async {
        tooltip(&item).await.contains("正常").then_some(())
    })
    .await?;
    let menu = item.menu().await?;
    assert!(
        menu.iter().any(|e| e.label.contains("今すぐ確認")),
        "{menu:?}"
    );

    save("interval = \"often\"\nlanguage = \"en\"\n");
    let problem = notifications.first_with("設定ファイル", WAIT).await?;
    assert!(problem.body.contains("interval"), "{problem:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        tooltip(&item).await.contains("正常"),
        "the bad file's language was used: {}",
        tooltip(&item).await
    );
    assert_eq!(
        notifications.shown_with("設定ファイル").len(),
        1,
        "told once"
    );

    save("interval = \"60s\"\nlanguage = \"en\"\n");
    eventually(WAIT, "the tooltip in English again", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    eventually(WAIT, "the problem's popup to go", || async {
        notifications.closed().contains(&problem.id).then_some(())
    })
    .await?;
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// Quiet hours: the tray changes at once, the popup waits, and one summary comes when they end
/// (here: when the file says there are none any more).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_back_popups_and_sum_them_up_after() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("quiet");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let env = app_env(&desktop, &dir, &sim, "60s");
    // Quiet from a minute ago to three minutes from now (the app runs in UTC).
    let minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        / 60
        % 1440;
    let hhmm = |m: u64| format!("{:02}:{:02}", m / 60 % 24, m % 60);
    let quiet = format!("{}-{}", hhmm(minute + 1439), hhmm(minute + 3));
    let config = dir.join("config/bbwatch/config.toml");
    std::fs::write(
        &config,
        format!(
            "interval = \"60s\"\nlanguage = \"en\"\n\n[notifications]\nquiet_hours = \"{quiet}\"\n"
        ),
    )?;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip to say Normal", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    sim.next_phase();
    item.click("Check now").await?;
    eventually(WAIT, "the tray to say Maintenance", || async {
        tooltip(&item).await.contains("Maintenance").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        notifications.shown_with("maintenance").is_empty(),
        "a popup in quiet hours: {:#?}",
        notifications.shown()
    );

    std::fs::write(&config, "interval = \"60s\"\nlanguage = \"en\"\n")?;
    let summary = notifications
        .first_with("while notifications were quiet", WAIT)
        .await?;
    assert!(summary.body.contains("Maintenance started"), "{summary:?}");
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// "Pause until" in the settings window: a wrong time is refused beside the field; a right one
/// pauses at once (no Save), shows in the window and the tray menu, and holds back the popup of
/// a maintenance; Resume lets the next one through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_until_a_time_from_the_settings_window() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("pause-until");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let env = app_env(&desktop, &dir, &sim, "60s");
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip to say Normal", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    let pause_state = || async {
        session
            .text(&driver, "#pause-state-text")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    eventually(
        WAIT,
        "the pause row to say notifications are on",
        || async { (pause_state().await == "Notifications are on").then_some(()) },
    )
    .await?;
    // Typed, then the button clicked once it is ready again (a busy button ignores clicks).
    let enter = |value: &str| {
        let script = format!(
            "const i = document.getElementById('f-pause_until'); i.value = {}; \
             const b = document.getElementById('pause-apply'); \
             if (b.getAttribute('aria-busy') === 'true') return false; \
             b.click(); return true;",
            serde_json::json!(value)
        );
        let (session, driver) = (&session, &driver);
        async move {
            eventually(WAIT, "the Pause button to take a click", || async {
                (session.run(driver, &script).await.ok()? == serde_json::json!(true)).then_some(())
            })
            .await
        }
    };

    enter("25:00").await?;
    let error = eventually(WAIT, "the time's error", || async {
        session
            .text(&driver, "#e-pause_until")
            .await
            .ok()
            .flatten()
            .filter(|e| !e.is_empty())
    })
    .await?;
    assert_eq!(error, "\"25:00\" is not a time like 23:00");
    assert_eq!(pause_state().await, "Notifications are on");

    // Two hours from now on the app's clock (both run in UTC).
    let until = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%H:%M")
        .to_string();
    enter(&until).await?;
    // The window writes the time as times are written there: `02:10:00` today, with the date
    // when it is tomorrow.
    eventually(WAIT, "the window to say paused", || async {
        let state = pause_state().await;
        (state.starts_with("Notifications paused until ") && state.contains(&until)).then_some(())
    })
    .await?;
    let field_error = session.text(&driver, "#e-pause_until").await?;
    assert_eq!(field_error.as_deref(), Some(""), "the old error is gone");
    let saved = session.text(&driver, "#save-status").await?;
    assert_eq!(
        saved.as_deref(),
        Some(""),
        "pausing is not a change to save"
    );
    eventually(WAIT, "the tray's pause entry to be checked", || async {
        let menu = item.menu().await.ok()?;
        menu.iter()
            .find(|e| e.label == format!("Notifications paused until {until}"))?
            .toggle_state
            .filter(|s| *s == 1)
    })
    .await?;

    sim.next_phase();
    item.click("Check now").await?;
    eventually(WAIT, "the tray to say Maintenance", || async {
        tooltip(&item).await.contains("Maintenance").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        notifications.shown_with("maintenance").is_empty(),
        "a popup while paused: {:#?}",
        notifications.shown()
    );

    session
        .run(
            &driver,
            "document.getElementById('pause-resume').click(); return null;",
        )
        .await?;
    eventually(WAIT, "the window to say notifications are on", || async {
        (pause_state().await == "Notifications are on").then_some(())
    })
    .await?;
    sim.next_phase();
    item.click("Check now").await?;
    let ended = notifications.first_with("maintenance ended", WAIT).await?;
    assert_eq!(ended.summary, "bitbank: maintenance ended");
    drop(session);
    drop(driver);
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// With an API key in the keyring, one network's withdrawals stopping turns the tray amber with
/// the stop in its tooltip, raises one popup that says it and lists it in the status window;
/// their resumption turns it green, says so and empties the list. The secret travels in no
/// request and lands in no file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_stop_turns_the_tray_amber_and_its_end_green() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("asset-stop");
    let desktop = Desktop::start(&dir)?;
    let keyring = Keyring::start(&desktop, &dir.join("keyring"))?;
    keyring.store_bbwatch_item(r#"{"key":"fake-key","secret":"fake-secret"}"#)?;
    let sim = FakeBitbank::start(
        Scenario::from_toml(WITHDRAWAL_HAND_DRIVEN)?,
        Options::default(),
    )
    .await?;
    let config = "interval = \"2s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n";
    let env = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", config).0;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tray to turn green", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    eventually(WAIT, "the key to be used", || async {
        (sim.stats().requests.user_assets > 0).then_some(())
    })
    .await?;

    sim.next_phase();
    eventually(WAIT, "the tray to say the withdrawals stopped", || async {
        tooltip(&item)
            .await
            .contains("ETH (polygon network) withdrawals stopped")
            .then_some(())
    })
    .await?;
    assert_eq!(icon_colour(&item).await, Some("amber"));
    assert!(tooltip(&item).await.starts_with("bitbank: Degraded"));
    let stop = notifications
        .first_with("withdrawals stopped", WAIT)
        .await?;
    assert_eq!(
        stop.summary,
        "bitbank: ETH (polygon network) withdrawals stopped"
    );
    // The status window lists what is stopped.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(
        WAIT,
        "the window to list the stopped withdrawals",
        || async {
            let listed = session.text(&driver, "#assets-stopped").await.ok()??;
            (listed == "ETH (polygon network) withdrawals stopped").then_some(())
        },
    )
    .await?;
    assert_eq!(
        session.text(&driver, "#level-name").await?.as_deref(),
        Some("Degraded")
    );
    let summary = session.text(&driver, "#normal-summary").await?;
    assert_eq!(summary.as_deref(), Some("btc_jpy normal"));
    let cut = session.cut_texts(&driver, ".actions .btn span").await?;
    assert!(cut.is_empty(), "cut short: {cut:?}");
    // For a person to look at: `BBWATCH_SHOTS=DIR` keeps the status window of the stop.
    if let Some(shots) = std::env::var_os("BBWATCH_SHOTS") {
        item.click("Open status window")
            .await
            .context("click Open status window")?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        desktop.screenshot(&Path::new(&shots).join("status-withdrawal-stopped.png"))?;
    }

    sim.next_phase();
    eventually(WAIT, "the tray to turn green again", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    notifications
        .first_with("withdrawals resumed", WAIT)
        .await?;
    let hidden = "return document.getElementById('assets-panel').hidden;";
    eventually(WAIT, "the window to list nothing stopped", || async {
        (session.run(&driver, hidden).await.ok()? == serde_json::json!(true)).then_some(())
    })
    .await?;
    drop(session);
    drop(driver);
    let stops = notifications.shown_with("withdrawals stopped");
    assert_eq!(stops.len(), 1, "one popup for one stop: {stops:#?}");
    assert!(notifications.shown_with("restricted").is_empty());
    quit(&item, &mut app, &dir).await?;
    assert_eq!(sim.stats().secret_seen, 0, "no request carries the secret");
    let leaked = bbwatch_e2e::desktop::files_holding(&dir, "fake-secret");
    assert!(leaked.is_empty(), "the secret in {leaked:?}");
    Ok(())
}

/// An API key added while a withdrawal stop is already under way: the stop is news to the user,
/// so it is told (a popup), not only shown by the tray's colour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_added_during_a_withdrawal_stop_tells_the_stop() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("key-during-stop");
    let desktop = Desktop::start(&dir)?;
    let _keyring = Keyring::start(&desktop, &dir.join("keyring"))?;
    let sim = FakeBitbank::start(
        Scenario::from_toml(WITHDRAWAL_HAND_DRIVEN)?,
        Options::default(),
    )
    .await?;
    let config = "interval = \"2s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n";
    let env = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", config).0;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    // The withdrawals stop before there is a key: nothing to see yet.
    sim.next_phase();
    eventually(WAIT, "the tray to turn green", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    // The user saves a key in the settings window, as a person does.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    eventually(WAIT, "the key section", || async {
        let t = session.text(&driver, "#key-stored").await.ok()??;
        (!t.is_empty()).then_some(())
    })
    .await?;
    type_into(&session, &driver, "k-key", "fake-key").await?;
    type_into(&session, &driver, "k-secret", "fake-secret").await?;
    click(&session, &driver, "#key-save").await?;
    eventually(WAIT, "the tray to turn amber", || async {
        (icon_colour(&item).await == Some("amber")).then_some(())
    })
    .await?;
    let stop = notifications
        .first_with("withdrawals stopped", WAIT)
        .await?;
    assert_eq!(
        stop.summary,
        "bitbank: ETH (polygon network) withdrawals stopped"
    );
    drop(session);
    drop(driver);
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// A file that goes bad in two places, one of them a value the settings form has no field for
/// (a webhook's URL): the popup says the truth (the last good settings stay), in the user's
/// language, every problem with its line; the window's way out is the file itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_of_the_file_is_told_with_its_line_in_the_users_language() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("twoerrors");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let mut env = desktop_app::app_env(
        &desktop,
        &dir,
        &sim,
        "ja_JP.UTF-8",
        "interval = \"60s\"\nlanguage = \"ja\"\n",
    )
    .0;
    // The editor the app opens files in: one that writes down what it was asked to open.
    let (path, opened) = desktop_app::recording_opener(&dir, &env)?;
    env.push(path);
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip in Japanese", || async {
        tooltip(&item).await.contains("正常").then_some(())
    })
    .await?;
    let config = dir.join("config/bbwatch/config.toml");
    let tmp = config.with_extension("toml.tmp");
    std::fs::write(
        &tmp,
        "interval = \"60s\"\nlanguage = \"ja\"\n\n[notifications]\nquiet_hours = \"25:00-07:00\"\n\n\
         [[webhooks]]\nurl = \"ftp://example.invalid/hook\"\n",
    )?;
    // Private whatever the umask: the webhooks of a file others can change are set aside
    // unread, and this one's bad URL is to be said.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &config)?;
    let shown = notifications.first_with("設定ファイル", WAIT).await?;
    let lines: Vec<&str> = shown.body.lines().collect();
    assert_eq!(
        lines,
        vec![
            "直すまで、最後に正しく読めた設定で動作します。",
            config.to_str().unwrap(),
            "5行目 notifications.quiet_hours: 「25:00」は23:00のような時刻ではありません",
            "8行目 webhooks[0].url: 「ftp://example.invalid/hook」はhttpsまたはhttpのURLではありません",
        ],
        "{shown:?}"
    );
    // The last good settings are indeed in force: still Japanese, still 60 s.
    assert!(tooltip(&item).await.contains("正常"));

    // The window shows them too, and since the form has no field for a webhook, its button
    // opens the file rather than a form that cannot mend it.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    let text = eventually(WAIT, "the window to show the problems", || async {
        let t = session
            .text(&driver, "#config-problem .problem-text")
            .await
            .ok()??;
        t.contains("webhooks[0].url").then_some(t)
    })
    .await?;
    assert!(text.contains("notifications.quiet_hours"), "{text}");
    assert_eq!(
        session.text(&driver, "#fix-config-label").await?.as_deref(),
        Some("ファイルを開く")
    );
    click(&session, &driver, "#fix-config").await?;
    let asked = eventually(WAIT, "the file to be opened", || async {
        std::fs::read_to_string(&opened).ok()
    })
    .await?;
    assert_eq!(asked.trim(), config.to_str().unwrap());
    drop(session);
    drop(driver);
    // The menu is in Japanese: 終了 is Quit.
    quit_labelled(&item, &mut app, &dir, "終了").await?;
    Ok(())
}

/// Switching the language while the window is open says everything again in the new one: the
/// level, the latest events (rendered by the tray), the words of the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_language_switched_live_re_renders_the_events_too() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("relang");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let env = app_env(&desktop, &dir, &sim, "60s");
    let (mut app, item, _notifications, _panel) =
        start_on_panel(&desktop, &bin, &env, &dir).await?;
    sim.next_phase();
    item.click("Check now").await?;
    eventually(WAIT, "the tray to say Maintenance", || async {
        tooltip(&item).await.contains("Maintenance").then_some(())
    })
    .await?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(WAIT, "the event in English", || async {
        let first = session.text(&driver, "#events li").await.ok()??;
        first.contains("Maintenance started").then_some(())
    })
    .await?;
    let config = dir.join("config/bbwatch/config.toml");
    let tmp = config.with_extension("toml.tmp");
    std::fs::write(&tmp, "interval = \"60s\"\nlanguage = \"ja\"\n")?;
    std::fs::rename(&tmp, &config)?;
    let first = eventually(WAIT, "the event in Japanese", || async {
        let first = session.text(&driver, "#events li").await.ok()??;
        first.contains("メンテナンス開始").then_some(first)
    })
    .await?;
    assert!(!first.contains("Maintenance"), "{first}");
    assert_eq!(
        session.text(&driver, "#level-name").await?.as_deref(),
        Some("メンテナンス中")
    );
    drop(session);
    drop(driver);
    quit_labelled(&item, &mut app, &dir, "終了").await?;
    Ok(())
}

/// "Play a sound" where the notification server plays none (xfce4-notifyd has no `sound`
/// capability): bbwatch plays it itself, heard by a sound server of the test's own; switched
/// off, nothing plays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sound_plays_where_the_notification_server_has_none() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("sound");
    let desktop = Desktop::start(&dir)?;
    let sound = bbwatch_e2e::desktop::sound::SoundServer::start(&desktop, &dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (notifications, _notify_conn) =
        NotificationServer::start_without_sound(&desktop.bus_address).await?;
    let config = "interval = \"2s\"\nlanguage = \"en\"\nstream = false\n\n\
                  [notifications]\nsound = true\n";
    let (env, file) = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", config);
    let mut app = start_tray(&bin, &env, &dir)?;
    // Let the app start (its first answer raises no popup).
    eventually(WAIT, "a few polls", || async {
        (sim.stats().requests.spot_status >= 2).then_some(())
    })
    .await?;
    assert_eq!(sound.sounds(), 0, "a sound with no popup");
    sim.next_phase();
    notifications
        .first_with("maintenance started", WAIT)
        .await?;
    eventually(WAIT, "the popup's sound to play", || async {
        (sound.sounds() >= 1).then_some(())
    })
    .await?;
    // Switched off: the end of the maintenance pops up in silence.
    let tmp = file.with_extension("toml.tmp");
    std::fs::write(&tmp, config.replace("sound = true", "sound = false"))?;
    std::fs::rename(&tmp, &file)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let heard = sound.sounds();
    sim.next_phase();
    notifications.first_with("maintenance ended", WAIT).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sound.sounds(), heard, "a sound while switched off");
    let _ = app.kill();
    let _ = app.wait();
    Ok(())
}

/// A pair in the file that bitbank does not list is reported like any bad value: a popup
/// naming it with its line, the same in the window; the other pairs are watched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_bitbank_does_not_list_is_told_like_a_bad_value() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("unlisted");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = "interval = \"60s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\", \"foo_jpy\"]\n";
    let env = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", config).0;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    let shown = notifications
        .first_with("the configuration file has an error", WAIT)
        .await?;
    assert!(
        shown
            .body
            .ends_with("line 3, pairs: bitbank does not list foo_jpy, so it cannot be watched"),
        "{shown:?}"
    );
    assert_eq!(
        icon_colour(&item).await,
        Some("green"),
        "btc_jpy is watched"
    );
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(WAIT, "the window to say it", || async {
        let t = session
            .text(&driver, "#config-problem .problem-text")
            .await
            .ok()??;
        t.contains("does not list foo_jpy").then_some(())
    })
    .await?;
    drop(session);
    drop(driver);
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// A history whose lock file cannot be used (a directory in its place, as a root-owned file
/// is for a user): the tray says so once, in a popup with why, and goes on telling the events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_that_cannot_be_recorded_is_told_once() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("nolock");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    std::fs::create_dir_all(dir.join("data/bbwatch/history.sqlite3.lock"))?;
    let env = app_env(&desktop, &dir, &sim, "2s");
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tray to turn green", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    sim.next_phase();
    notifications
        .first_with("maintenance started", WAIT)
        .await?;
    let told = notifications
        .first_with("the history cannot be recorded", WAIT)
        .await?;
    assert!(told.body.contains("cannot open the lock file"), "{told:?}");
    sim.next_phase();
    notifications.first_with("maintenance ended", WAIT).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        notifications
            .shown_with("the history cannot be recorded")
            .len(),
        1,
        "told once"
    );
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// A configuration file others can write, with a hook: the tray says the hook is not run, with
/// the file, its mode and the fix; the rest of the file is in force; the window opens on the
/// status view, as the settings form cannot mend a file's mode, and both views say it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_of_a_file_others_can_write_are_not_run_and_that_is_told() -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = app_binary();
    let dir = scratch_dir("untrusted");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let ran = dir.join("ran");
    let config = format!(
        "interval = \"2s\"\nlanguage = \"en\"\n\n[[hooks]]\ncommand = [\"/usr/bin/touch\", {:?}]\n",
        ran.display().to_string()
    );
    let (env, file) = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666))?;
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    let shown = notifications
        .first_with("the configuration file has an error", WAIT)
        .await?;
    let file_name = file.display().to_string();
    assert!(
        shown.body.starts_with("The rest of the file is in force.")
            && shown.body.contains("hooks: not run")
            && shown.body.contains("mode 0666")
            && shown.body.contains(&format!("chmod go-w {file_name}")),
        "{shown:?}"
    );
    // The window the tray opened is the status view.
    let windows = eventually(WAIT, "the window to open", || async {
        let w = window_processes(&dir);
        (!w.is_empty()).then_some(w)
    })
    .await?;
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", windows[0]))?;
    assert!(
        String::from_utf8_lossy(&cmdline).contains("--section=status"),
        "{}",
        String::from_utf8_lossy(&cmdline)
    );
    // The rest of the file is in force (2 s), the hook is not.
    sim.next_phase();
    notifications
        .first_with("maintenance started", WAIT)
        .await?;
    assert!(!ran.exists(), "the hook of a file others can write ran");

    // Both views say it; the form has no field that mends it.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    let text = eventually(WAIT, "the settings view to say it", || async {
        let t = session
            .text(&driver, "#settings-config-problem .problem-text")
            .await
            .ok()??;
        t.contains("not run").then_some(t)
    })
    .await?;
    assert!(text.contains(&file_name), "{text}");
    drop(session);
    drop(driver);
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

/// One tray app per session: a second start shows the first one's window and ends; `--quit`
/// ends the running one (and with none running says so); SIGTERM ends it as Quit does, with
/// nothing left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_shows_the_window_and_quit_or_sigterm_ends_the_first() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("single");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (watcher, watcher_conn, _notifications, _notify_conn) = panel(&desktop).await?;
    let env = app_env(&desktop, &dir, &sim, "60s");
    // A start that does not end (a second tray app) fails the test rather than hanging it.
    let run = |args: &[&str]| {
        let output = tokio::process::Command::new(&bin)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .kill_on_drop(true)
            .output();
        async move {
            tokio::time::timeout(WAIT, output)
                .await
                .context("the start did not end")?
                .context("start the app")
        }
    };

    // With none running, --quit says so and ends well.
    let none = run(&["--quit"]).await?;
    assert!(none.status.success(), "{none:?}");
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("bbwatch-desktop is not running"),
        "{none:?}"
    );

    let mut tray = start_tray(&bin, &env, &dir)?;
    tray_item(&watcher, &watcher_conn).await?;
    assert!(window_processes(&dir).is_empty());
    // A second start (a launcher clicked again) ends at once and the first shows its window.
    let second = run(&[]).await?;
    assert!(second.status.success(), "{second:?}");
    let window = eventually(WAIT, "the first app's window", || async {
        window_processes(&dir).first().copied()
    })
    .await?;
    assert_eq!(tray.try_wait()?, None, "the first app ended");
    assert_eq!(watcher.items.lock().unwrap().len(), 1, "a second tray item");
    let _ = Command::new("kill").arg(window.to_string()).status();

    // --quit from a script ends the running app, which leaves nothing behind.
    let quit = run(&["--quit"]).await?;
    assert!(quit.status.success(), "{quit:?}");
    let status = exited(&mut tray, "the app to quit on --quit").await?;
    assert!(status.success(), "{status:?}");
    assert_eq!(runtime_files(&desktop), Vec::<String>::new());

    // SIGTERM (a session ending, `systemctl --user stop`) is a Quit too.
    let mut tray = start_tray(&bin, &env, &dir)?;
    eventually(WAIT, "the app's window socket", || async {
        (!runtime_files(&desktop).is_empty()).then_some(())
    })
    .await?;
    let _ = Command::new("kill").arg(tray.id().to_string()).status();
    let status = exited(&mut tray, "the app to end on SIGTERM").await?;
    assert!(status.success(), "{status:?}");
    assert_eq!(runtime_files(&desktop), Vec::<String>::new());
    Ok(())
}
