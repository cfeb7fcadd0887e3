//! The installed package as a person meets it. `make package-test` installs the .deb, then runs
//! this with `--ignored` (without the package installed it cannot pass, so `make test` leaves
//! it out): the binary the menu entry starts, in the tray under Xvfb and green against
//! fake-bitbank; its About section; "start at login" pointing at the installed binary; the
//! installed `bbwatch`.
// Linux only: a .deb, under the Linux desktop harness.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use bbwatch_e2e::desktop::app::app_env;
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::click;
use bbwatch_e2e::desktop::panel::{icon_colour, quit, start_on_panel, tooltip, WAIT};
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const APP: &str = "/usr/bin/bbwatch-desktop";
const CLI: &str = "/usr/bin/bbwatch";
const MENU_ENTRY: &str = "/usr/share/applications/bbwatch.desktop";

/// The entry's value of `key` (the first line that sets it).
fn entry_value<'a>(entry: &'a str, key: &str) -> Option<&'a str> {
    entry
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .deb installed: `make package-test` runs it"]
async fn the_installed_app_turns_green_and_its_cli_answers() -> Result<()> {
    // The menu entry, in both languages, starts the installed binary.
    let entry = std::fs::read_to_string(MENU_ENTRY).context(MENU_ENTRY)?;
    assert_eq!(
        entry_value(&entry, "Name"),
        Some("bbwatch — bitbank maintenance monitor")
    );
    assert_eq!(
        entry_value(&entry, "Name[ja]"),
        Some("bitbank メンテナンス監視 (bbwatch)")
    );
    let exec = entry_value(&entry, "Exec").context("Exec")?;
    assert_eq!(Path::new("/usr/bin").join(exec), Path::new(APP));
    let icon = entry_value(&entry, "Icon").context("Icon")?;
    for size in ["16x16", "32x32", "48x48", "128x128", "256x256", "512x512"] {
        let png = format!("/usr/share/icons/hicolor/{size}/apps/{icon}.png");
        assert!(Path::new(&png).is_file(), "{png} is missing");
    }

    let dir = scratch_dir("package");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = "interval = \"2s\"\nlanguage = \"en\"\n";
    let env = app_env(&desktop, &dir, &sim, "C.UTF-8", config).0;
    let (mut app, item, notifications, _panel) =
        start_on_panel(&desktop, Path::new(APP), &env, &dir).await?;
    eventually(WAIT, "the installed app's tray to turn green", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    assert!(tooltip(&item).await.starts_with("bitbank: Normal"));

    // The installed command line, against the same simulator.
    let out = Command::new(CLI)
        .args(["status", "--json"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(status["level"], "normal", "{status}");
    let version = Command::new(CLI).arg("--version").output()?;
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        concat!("bbwatch ", env!("CARGO_PKG_VERSION"), "\n")
    );

    // The installed window: its About says the same version, and "start at login" writes an
    // XDG autostart entry that starts the installed binary.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(APP, &["--window", "--section=settings"])
        .await?;
    let about = eventually(WAIT, "the About section", || async {
        session
            .text(&driver, "#about-version")
            .await
            .ok()?
            .filter(|t| !t.is_empty())
    })
    .await?;
    assert_eq!(about, concat!("Version ", env!("CARGO_PKG_VERSION")));
    click(&session, &driver, "#set-autostart").await?;
    // Like every setting, it is applied on Save (once the tick has enabled the button).
    let autostart = dir.join("config/autostart/bbwatch.desktop");
    let written = eventually(WAIT, "the autostart entry", || async {
        if !autostart.exists() {
            click(&session, &driver, "#settings-save").await.ok()?;
        }
        std::fs::read_to_string(&autostart).ok()
    })
    .await?;
    assert_eq!(entry_value(&written, "Exec"), Some(APP));
    assert_eq!(
        entry_value(&written, "Name[ja]"),
        Some("bitbank メンテナンス監視 (bbwatch)")
    );
    let valid = Command::new("desktop-file-validate")
        .arg(&autostart)
        .output()
        .context("desktop-file-validate (Debian's desktop-file-utils)")?;
    assert!(
        valid.status.success() && valid.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&valid.stdout)
    );
    drop(session);

    assert!(
        notifications.shown().is_empty(),
        "nothing happened that needs a popup: {:#?}",
        notifications.shown()
    );
    quit(&item, &mut app, &dir).await?;
    Ok(())
}
