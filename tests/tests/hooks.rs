//! The tray app runs the same `[[hooks]]` as `bbwatch watch`: the real `bbwatch-desktop` under
//! Xvfb with its own D-Bus session, against fake-bitbank switched by hand, and a hook script
//! that records how it was called.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_app_runs_the_hooks_of_its_settings() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("hooks");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let log = dir.join("hook.log");
    let script = dir.join("record.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s|%s\\n' \"$BBWATCH_KIND\" \"$BBWATCH_LEVEL\" \
             \"$BBWATCH_DURATION_SECS\" \"$(cat)\" >> {}\n",
            log.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    let config = format!(
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n\n[[hooks]]\n\
         on = [\"maintenance_started\", \"maintenance_ended\"]\ncommand = [\"{}\"]\n",
        script.display()
    );
    let (env, _) = app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    let (_notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let calls = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(ToOwned::to_owned)
            .collect::<Vec<_>>()
    };
    // Polled every second: the first answer, then the maintenance.
    tokio::time::sleep(Duration::from_secs(3)).await;
    sim.next_phase();
    eventually(WAIT, "the hook for the start", || async {
        (calls().len() == 1).then_some(())
    })
    .await?;
    sim.next_phase();
    let all = eventually(WAIT, "the hook for the end", || async {
        let c = calls();
        (c.len() == 2).then_some(c)
    })
    .await?;
    assert!(
        all[0].starts_with("maintenance_started|maintenance||{"),
        "{all:?}"
    );
    let end: Vec<&str> = all[1].splitn(4, '|').collect();
    assert_eq!(&end[..2], ["maintenance_ended", "normal"], "{all:?}");
    assert!(end[2].parse::<u64>().is_ok(), "a duration: {all:?}");
    let json: serde_json::Value = serde_json::from_str(end[3])?;
    assert_eq!(json["kind"], "maintenance_ended");
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
