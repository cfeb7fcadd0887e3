//! `bbwatch watch --notify` as a bot operator on a desktop meets it: the real binary with its
//! own D-Bus session, a notification server recording what is shown, fake-bitbank switched by
//! hand. The CLI shares the tray app's notifier: the kinds chosen, a popup closed when what it
//! said is over, quiet hours held back and summed up after.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::app_env;
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::{eventually, scratch_dir, target_dir, WITHDRAWAL_HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(30);

/// Two maintenances, switched by hand.
const TWICE: &str = r#"
description = "normal, maintenance, normal, maintenance, normal; switched by hand"
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "maintenance"
duration = "24h"
api = { error = 10007, http_status = 503 }
[[phases]]
name = "recovered"
duration = "24h"
[[phases]]
name = "maintenance again"
duration = "24h"
api = { error = 10007, http_status = 503 }
[[phases]]
name = "recovered again"
"#;

fn cli_binary() -> PathBuf {
    let bin = target_dir().join("bbwatch");
    assert!(
        bin.is_file(),
        "{} is missing: build it first",
        bin.display()
    );
    bin
}

/// `HH:MM` of the minute `m` after midnight (UTC, the CLI's zone here).
fn hhmm(m: u64) -> String {
    format!("{:02}:{:02}", m / 60 % 24, m % 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_notify_closes_stale_popups_and_sums_up_quiet_hours() -> Result<()> {
    let dir = scratch_dir("cli-notify");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(TWICE)?, Options::default()).await?;
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let plain = "interval = \"1s\"\nlanguage = \"en\"\n";
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", plain);
    let mut watch = Command::new(cli_binary())
        .args(["watch", "--notify"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("cli.log"))?)
        .spawn()?;
    let polls = || sim.stats().circuit_break_by_pair.values().sum::<u64>();
    eventually(WAIT, "the first polls", || async {
        (polls() > 0).then_some(())
    })
    .await?;

    sim.next_phase();
    let start = notifications
        .first_with("maintenance started", WAIT)
        .await?;
    assert_eq!(start.summary, "bitbank: maintenance started");
    assert_eq!(start.app_name, "bbwatch");
    assert_eq!(start.urgency, Some(2), "maintenance start is critical");
    assert!(
        start.actions.is_empty(),
        "the CLI has no window to open: {:?}",
        start.actions
    );

    sim.next_phase();
    let ended = notifications.first_with("maintenance ended", WAIT).await?;
    assert_eq!(ended.summary, "bitbank: maintenance ended");
    eventually(WAIT, "the start popup to be closed", || async {
        notifications.closed().contains(&start.id).then_some(())
    })
    .await?;

    // Quiet from a minute ago to three minutes from now; the CLI follows the file.
    let minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        / 60
        % 1440;
    let quiet = format!("{}-{}", hhmm(minute + 1439), hhmm(minute + 3));
    std::fs::write(
        &file,
        format!("{plain}\n[notifications]\nquiet_hours = \"{quiet}\"\n"),
    )?;
    // Reloads are followed within a second or so (a change is settled for 300 ms).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = notifications.shown().len();
    sim.next_phase();
    // Polled every second: four polls of the second maintenance, none of them shown.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        notifications.shown().len(),
        before,
        "a popup in quiet hours: {:#?}",
        notifications.shown()
    );

    std::fs::write(&file, plain)?;
    let summary = notifications
        .first_with("while notifications were quiet", WAIT)
        .await?;
    assert!(summary.body.contains("Maintenance started"), "{summary:?}");

    let _ = watch.kill();
    let _ = watch.wait();
    Ok(())
}

/// With an API key (from the environment), one network's withdrawals stopping is one popup
/// that says so in words about transfers (no "trading restricted" beside it), and their
/// resumption another, which closes the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_notify_tells_a_withdrawal_stop_and_its_end() -> Result<()> {
    let dir = scratch_dir("cli-notify-assets");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(
        Scenario::from_toml(WITHDRAWAL_HAND_DRIVEN)?,
        Options::default(),
    )
    .await?;
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let config = "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n";
    let (env, _file) = app_env(&desktop, &dir, &sim, "C.UTF-8", config);
    let mut watch = Command::new(cli_binary())
        .args(["watch", "--notify"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("BBWATCH_API_KEY", "fake-key")
        .env("BBWATCH_API_SECRET", "fake-secret")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("cli.log"))?)
        .spawn()?;
    eventually(WAIT, "the first assets answer", || async {
        (sim.stats().requests.user_assets > 0).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    sim.next_phase();
    let stop = notifications
        .first_with("withdrawals stopped", WAIT)
        .await?;
    assert_eq!(
        stop.summary,
        "bitbank: ETH (polygon network) withdrawals stopped"
    );
    assert!(stop.body.contains("Wait for them to resume"), "{stop:?}");

    sim.next_phase();
    let resumed = notifications
        .first_with("withdrawals resumed", WAIT)
        .await?;
    assert_eq!(
        resumed.summary,
        "bitbank: ETH (polygon network) withdrawals resumed"
    );
    eventually(WAIT, "the stop popup to be closed", || async {
        notifications.closed().contains(&stop.id).then_some(())
    })
    .await?;
    let restricted = notifications.shown_with("restricted");
    assert!(restricted.is_empty(), "{restricted:#?}");
    assert_eq!(sim.stats().secret_seen, 0);
    let _ = watch.kill();
    let _ = watch.wait();
    let log = std::fs::read_to_string(dir.join("cli.log"))?;
    assert!(!log.contains("fake-secret"), "{log}");
    Ok(())
}
