//! Typing in the window under a Japanese locale with no input-method server, as a Japanese
//! user without ibus or fcitx does: the real window under Xvfb, real key presses (xdotool),
//! and what the screen shows read back from the X server. GTK's default for that locale
//! (XIM, with nothing to serve it) used to leave the window unpainted after the first key.
// Linux only: X11, GTK input methods.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{js, wait_value};
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(30);

/// `xdotool` on the test's display.
fn xdotool(desktop: &Desktop, args: &[&str]) -> Result<String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", desktop.env()[0].1.as_str())
        .output()
        .context("cannot run xdotool (apt-get install xdotool)")?;
    if !out.status.success() {
        bail!(
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A signature of what the screen shows in `rect` (x, y, width, height), from a screenshot.
fn pixels(desktop: &Desktop, shot: &Path, rect: (i64, i64, i64, i64)) -> Result<String> {
    desktop.screenshot(shot)?;
    let (x, y, w, h) = rect;
    let out = Command::new("convert")
        .arg(shot)
        .args(["-crop", &format!("{w}x{h}+{x}+{y}"), "+repage"])
        .args(["-format", "%#", "info:"])
        .output()
        .context("cannot run convert (apt-get install imagemagick)")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_in_japanese_with_no_input_method_server_repaints_the_window() -> Result<()> {
    let locales = Command::new("locale").arg("-a").output()?;
    assert!(
        String::from_utf8_lossy(&locales.stdout)
            .lines()
            .any(|l| l.eq_ignore_ascii_case("ja_JP.utf8")),
        "the ja_JP.UTF-8 locale is missing (scripts/install-deps.sh test makes it)"
    );
    let bin = app_binary();
    let dir = scratch_dir("input-method");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = "language = \"ja\"\nstream = false\n";
    let (mut env, _file) = app_env(&desktop, &dir, &sim, "ja_JP.UTF-8", config);
    // No input method chosen, none running: GTK picks for itself, as on a fresh desktop.
    env.extend([
        ("LC_ALL".to_string(), "ja_JP.UTF-8".to_string()),
        ("GTK_IM_MODULE".to_string(), String::new()),
        ("XMODIFIERS".to_string(), String::new()),
    ]);
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "30s").await?;
    // The interval field, on the screen (a bare X server puts the window at 0,0; its position
    // is read all the same).
    let window = eventually(WAIT, "the settings window on the X server", || async {
        xdotool(&desktop, &["search", "--name", "bbwatch"])
            .ok()
            .and_then(|ids| ids.lines().last().map(str::to_owned))
    })
    .await?;
    let geometry = xdotool(&desktop, &["getwindowgeometry", "--shell", &window])?;
    let at = |key: &str| -> i64 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (wx, wy) = (at("X"), at("Y"));
    let rect = js(
        &session,
        &driver,
        "const r = document.getElementById('f-interval').getBoundingClientRect(); \
         return [r.left, r.top, r.width, r.height].map(Math.round);",
    )
    .await?;
    let n = |i: usize| rect[i].as_i64().unwrap_or(0);
    let field = (wx + n(0), wy + n(1), n(2), n(3));
    assert!(field.2 > 0 && field.3 > 0, "the field is not shown: {rect}");
    let before = pixels(&desktop, &dir.join("before.png"), field)?;

    // A person clicks the field and types.
    xdotool(
        &desktop,
        &[
            "mousemove",
            &(field.0 + field.2 / 2).to_string(),
            &(field.1 + field.3 / 2).to_string(),
            "click",
            "1",
        ],
    )?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdotool(&desktop, &["key", "ctrl+a"])?;
    xdotool(&desktop, &["type", "--delay", "100", "5m"])?;
    wait_value(&session, &driver, "f-interval", "5m").await?;
    // What the page holds is on the screen too: the field is drawn again, focused and with
    // the new text (before, it stayed as it was until the window was resized).
    let after = eventually(WAIT, "the field to be drawn again", || async {
        let now = pixels(&desktop, &dir.join("after.png"), field).ok()?;
        (now != before).then_some(now)
    })
    .await;
    assert!(
        after.is_ok(),
        "the window was not repainted after typing (see {})",
        dir.join("after.png").display()
    );
    // And it goes on following: a second edit shows too.
    let typed = pixels(&desktop, &dir.join("typed.png"), field)?;
    xdotool(&desktop, &["type", "--delay", "100", "in"])?;
    wait_value(&session, &driver, "f-interval", "5min").await?;
    eventually(WAIT, "the second edit to be drawn", || async {
        let now = pixels(&desktop, &dir.join("again.png"), field).ok()?;
        (now != typed).then_some(())
    })
    .await?;
    let log = std::fs::read_to_string(dir.join("app.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
    tray.kill()?;
    let _ = tray.wait();
    Ok(())
}
