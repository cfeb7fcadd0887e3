//! The tray app on Windows: `bbwatch-desktop.exe` (cross-compiled) under Wine, in Wine's
//! virtual desktop on a private X server, against fake-bitbank on 127.0.0.1. Read as a user
//! sees it: the icon in the taskbar's tray (its colour from a screenshot, its tooltip from
//! the shell), the balloons the shell shows, the windows that could get a taskbar button, and
//! the API key read from the Credential Manager.
//!
//! Ignored in a plain `cargo test`: it needs Wine and the Windows build, which
//! scripts/wine-tests.sh (make test) provides before running it.
//!
//! Not here, as Wine cannot show it: toasts (Wine has no WinRT notifications, so the app
//! falls back to balloons, as it does on Windows when it is not installed), the window
//! (Wine has no WebView2: the test checks what the user is told instead), and the tray
//! menu (Wine 8's `Shell_NotifyIconGetRect` is a stub, and Tauri's tray opens its menu only
//! where it knows the icon's place; `--quit` reaches the same Quit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use bbwatch_e2e::wine::{icon_colour, Shell, Wine, WS_EX_TOOLWINDOW};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(60);

/// The shell now, or `None` (the probe failed; polled again).
fn probe(wine: &Wine) -> Option<Shell> {
    wine.probe().inspect_err(|e| eprintln!("{e:#}")).ok()
}

/// A Linux path as Wine's Windows programs see it (drive Z: is the root).
fn windows_path(path: &std::path::Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Wine and the Windows build: scripts/wine-tests.sh (make test) runs it"]
async fn the_windows_tray_shows_the_level_and_tells_a_maintenance_in_balloons() -> anyhow::Result<()>
{
    let dir = scratch_dir("wine-tray");
    let desktop = Desktop::start_sized(&dir, "1000x650")?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let mut wine = Wine::from_env(&desktop.display, &dir)?;
    let (appdata, localappdata) = (dir.join("appdata"), dir.join("localappdata"));
    std::fs::create_dir_all(appdata.join("bbwatch"))?;
    std::fs::create_dir_all(&localappdata)?;
    std::fs::write(
        appdata.join("bbwatch/config.toml"),
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n",
    )?;
    for (key, value) in [
        ("APPDATA", windows_path(&appdata)),
        ("LOCALAPPDATA", windows_path(&localappdata)),
        ("BBWATCH_API_URL", sim.api_url()),
        ("BBWATCH_PUBLIC_URL", sim.public_url()),
        ("BBWATCH_STREAM_URL", sim.stream_url()),
        ("TZ", "UTC".into()),
    ] {
        wine.set(key, &value);
    }
    wine.prepare_session("1000x650")?;
    // The API key, where the settings window (WebView2) would have saved it: the Credential
    // Manager, under the keyring crate's name for service `bbwatch`, user `bitbank-api-key`.
    wine.store_credential(
        "bitbank-api-key.bbwatch",
        r#"{"key":"fake-key","secret":"fake-secret"}"#,
    )?;
    let log = std::fs::File::create(dir.join("app.log"))?;
    let mut app = wine
        .command(&wine.desktop_exe, &[])
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let shot = dir.join("screen.png");
    let result =
        async {
            // Normal: a green icon whose tooltip says so.
            let icon = eventually(WAIT, "the tray icon, normal", || async {
                probe(&wine)?.icon("bitbank: Normal").cloned()
            })
            .await?;
            desktop.screenshot(&shot)?;
            assert_eq!(icon_colour(&shot, icon.rect)?, Some("green"), "{icon:?}");

            // The key came from the Credential Manager: private requests, signed, none refused.
            eventually(WAIT, "a private request with the stored key", || async {
                (sim.stats().requests.user_assets > 0).then_some(())
            })
            .await?;
            let stats = sim.stats();
            assert_eq!(stats.auth_failures, 0, "{stats:?}");
            assert_eq!(stats.secret_seen, 0, "{stats:?}");

            // No taskbar button while no window is open: every window of ours that is shown is
            // a tool window (Wine 8's taskbar draws a button for them all the same; Windows
            // does not).
            // The probe itself can fail once under load (Wine gives it no stderr then): ask
            // again rather than judge an empty answer.
            let shell = eventually(WAIT, "a window of bbwatch the probe sees", || async {
                probe(&wine).filter(|shell| shell.windows.iter().any(|w| w.visible))
            })
            .await?;
            let shown: Vec<_> = shell.windows.iter().filter(|w| w.visible).collect();
            for window in &shown {
                assert!(
                    window.ex_style & WS_EX_TOOLWINDOW != 0 || window.owned,
                    "a window Windows would give a taskbar button: {window:?}"
                );
            }

            // A maintenance: the icon turns red, the tooltip says why, a balloon says what to do.
            sim.next_phase();
            let icon = eventually(WAIT, "the tray icon, maintenance", || async {
                probe(&wine)?.icon("bitbank: Maintenance").cloned()
            })
            .await?;
            assert!(icon.tooltip.contains("api error 10007"), "{icon:?}");
            desktop.screenshot(&shot)?;
            assert_eq!(icon_colour(&shot, icon.rect)?, Some("red"), "{icon:?}");
            eventually(WAIT, "the maintenance balloon", || async {
                let shell = probe(&wine)?;
                shell.balloons.iter().any(|b| {
                b == "Trading, deposits, withdrawals and the API are stopped: bots should pause"
            }).then_some(())
            })
            .await?;

            // It ends: green again, and a balloon with how long it lasted.
            sim.next_phase();
            let icon = eventually(WAIT, "the tray icon, normal again", || async {
                probe(&wine)?.icon("bitbank: Normal").cloned()
            })
            .await?;
            desktop.screenshot(&shot)?;
            assert_eq!(icon_colour(&shot, icon.rect)?, Some("green"), "{icon:?}");
            eventually(WAIT, "the end-of-maintenance balloon", || async {
                let shell = probe(&wine)?;
                shell
                    .balloons
                    .iter()
                    .any(|b| b.starts_with("Trading can resume (lasted "))
                    .then_some(())
            })
            .await?;

            // Started again, as from the Start menu, it opens the window — which needs WebView2,
            // missing here: the user is told what to install.
            let second = wine.finish(wine.command(&wine.desktop_exe, &[]))?;
            assert!(second.status.success(), "the second start: {second:?}");
            eventually(WAIT, "the balloon that WebView2 is missing", || async {
                let shell = probe(&wine)?;
                shell
                    .balloons
                    .iter()
                    .any(|b| {
                        b.starts_with(
                            "The status window needs the Microsoft Edge WebView2 Runtime.",
                        ) && b.contains("https://go.microsoft.com/fwlink/p/?LinkId=2124703")
                    })
                    .then_some(())
            })
            .await?;

            // Quit: the icon goes and the process ends.
            let quit = wine.finish(wine.command(&wine.desktop_exe, &["--quit"]))?;
            assert!(quit.status.success(), "--quit: {quit:?}");
            let deadline = std::time::Instant::now() + WAIT;
            while app.try_wait()?.is_none() {
                anyhow::ensure!(
                    std::time::Instant::now() < deadline,
                    "the tray app does not end"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let shell =
                eventually(WAIT, "the shell, after quitting", || async { probe(&wine) }).await?;
            assert!(shell.icon("bitbank").is_none(), "the icon stays: {shell:?}");
            anyhow::Ok(())
        }
        .await;
    if result.is_err() {
        let _ = desktop.screenshot(&dir.join("failed.png"));
        eprintln!(
            "screen: {}\nthe app's log:\n{}",
            dir.join("failed.png").display(),
            std::fs::read_to_string(dir.join("app.log")).unwrap_or_default()
        );
    }
    let _ = app.kill();
    wine.kill_all();
    sim.shutdown().await;
    result
}
