//! The tray app as a person meets it: the real `bbwatch-desktop` under Xvfb with its own D-Bus
//! session; this test is the panel (StatusNotifierWatcher), the notification server and, through
//! WebDriver, the person looking at the window. fake-bitbank plays normal → maintenance → normal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::procs::{children, window_processes};
use bbwatch_e2e::desktop::sni::{colour_name, mean_colour, Item, Watcher};
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir, target_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(30);

fn app_binary() -> PathBuf {
    let bin = target_dir().join("bbwatch-desktop");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build --workspace`, as `make test` does)",
        bin.display()
    );
    bin
}

/// The environment of the app: the private display and bus, its own config and data dirs.
fn app_env(
    desktop: &Desktop,
    dir: &Path,
    sim: &FakeBitbank,
    interval: &str,
) -> Vec<(String, String)> {
    let config = dir.join("config");
    std::fs::create_dir_all(config.join("bbwatch")).unwrap();
    std::fs::write(
        config.join("bbwatch/config.toml"),
        format!("interval = \"{interval}\"\nlanguage = \"en\"\n"),
    )
    .unwrap();
    let mut env = desktop.env();
    env.extend([
        ("XDG_CONFIG_HOME".into(), config.display().to_string()),
        (
            "XDG_DATA_HOME".into(),
            dir.join("data").display().to_string(),
        ),
        ("HOME".into(), dir.display().to_string()),
        ("BBWATCH_API_URL".into(), sim.api_url()),
        ("BBWATCH_PUBLIC_URL".into(), sim.public_url()),
        ("TAURI_WEBVIEW_AUTOMATION".into(), "true".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TZ".into(), "UTC".into()),
        (
            "BBWATCH_LOG".into(),
            "warn,bbwatch_desktop=info,bbwatch_core=info".into(),
        ),
    ]);
    env
}

async fn serve(
    bus: &str,
    name: &str,
    path: &str,
    iface: impl zbus::object_server::Interface,
) -> Result<zbus::Connection> {
    Ok(zbus::connection::Builder::address(bus)?
        .name(name.to_owned())?
        .serve_at(path.to_owned(), iface)?
        .build()
        .await?)
}

async fn icon_colour(item: &Item) -> Option<&'static str> {
    let file = item.icon_file().await.ok()?;
    mean_colour(&file).ok().map(colour_name)
}

/// The label libayatana-appindicator shows beside the icon (Tauri's tray title).
async fn title(item: &Item) -> String {
    item.property::<String>("XAyatanaLabel")
        .await
        .unwrap_or_default()
}

/// Start the tray process; its log goes to `dir/app.log`.
fn start_tray(bin: &Path, env: &[(String, String)], dir: &Path) -> Result<std::process::Child> {
    Ok(Command::new(bin)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("app.log"))?)
        .spawn()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_notifications_and_window_follow_a_maintenance() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("e2e");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let watcher = Watcher::default();
    let watcher_conn = serve(
        &desktop.bus_address,
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        watcher.clone(),
    )
    .await?;
    let notifications = NotificationServer::default();
    let notify_conn = serve(
        &desktop.bus_address,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        notifications.clone(),
    )
    .await?;
    // A long interval: only "Check now" makes the next poll come quickly.
    let env = app_env(&desktop, &dir, &sim, "60s");
    let mut tray = start_tray(&bin, &env, &dir)?;
    // The window is a process of its own; WebDriver starts it, as the tray menu would.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;

    // The tray item registers and shows normal: green, titled "Normal".
    let (bus, path) = eventually(WAIT, "the tray item to register", || async {
        watcher.items.lock().unwrap().first().cloned()
    })
    .await?;
    let item = Item::new(watcher_conn.clone(), bus, path);
    eventually(WAIT, "the title to say Normal", || async {
        title(&item).await.contains("Normal").then_some(())
    })
    .await?;
    assert_eq!(icon_colour(&item).await, Some("green"));

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
        "Pause notifications",
        "For 1 hour",
        "Until resumed",
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
        "the title to say Maintenance",
        || async { title(&item).await.contains("Maintenance").then_some(()) },
    )
    .await?;
    assert!(
        title(&item).await.contains("api error 10007"),
        "{}",
        title(&item).await
    );
    assert_eq!(icon_colour(&item).await, Some("red"));
    let shown = eventually(WAIT, "the maintenance notification", || async {
        let s = notifications.shown();
        (!s.is_empty()).then_some(s)
    })
    .await?;
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].summary, "Maintenance started");
    assert_eq!(
        shown[0].body,
        "trading, deposits, withdrawals and the API are stopped: bots should pause"
    );
    assert_eq!(shown[0].app_name, "bbwatch");
    assert_eq!(shown[0].urgency, Some(2), "maintenance start is critical");
    assert!(shown[0].actions.contains(&"default".to_string()));
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
    let _ = std::fs::create_dir_all(target_dir().join("desktop-e2e"));
    let _ = desktop.screenshot(&target_dir().join("desktop-e2e/maintenance.png"));

    // Pause notifications for an hour: the end of the maintenance is not announced.
    item.click("For 1 hour").await.context("click For 1 hour")?;
    eventually(WAIT, "the pause to show as checked", || async {
        let menu = item.menu().await.ok()?;
        menu.iter()
            .find(|e| e.label.contains("For 1 hour"))?
            .toggle_state
            .filter(|s| *s == 1)
    })
    .await?;
    sim.next_phase();
    item.click("Check now").await.context("click Check now")?;
    eventually(
        Duration::from_secs(15),
        "the title to say Normal again",
        || async { title(&item).await.contains("Normal").then_some(()) },
    )
    .await?;
    assert_eq!(icon_colour(&item).await, Some("green"));
    eventually(WAIT, "the window to say Normal again", || async {
        (session.text(&driver, "#level-name").await.ok()?? == "Normal").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        notifications.shown().len(),
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
            .find(|e| e.label.contains("For 1 hour"))?
            .toggle_state
            == Some(0))
        .then_some(())
    })
    .await?;

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
    item.click("Check now").await.context("click Check now")?;
    eventually(WAIT, "a poll after Check now with no window", || async {
        (sim.stats().requests.spot_status > polls).then_some(())
    })
    .await?;

    // Clicking a notification opens the status window again.
    let id = shown[0].id;
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

    // Quit from the menu ends the app, and its window with it.
    // The app may exit before it answers the click.
    let _ = item.click("Quit").await;
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = tray.try_wait()? {
            break status;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the app did not exit on Quit"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "{status:?}: {}",
        std::fs::read_to_string(dir.join("app.log"))?
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
