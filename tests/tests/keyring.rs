//! The bitbank API key in the settings window: the real `bbwatch-desktop` under Xvfb with its
//! own D-Bus session and a gnome-keyring of the test's own, against fake-bitbank (whose
//! default account is `fake-key` / `fake-secret`), driven through WebDriver. What counts: the
//! key lands in the keyring and nowhere else (no file under the scratch directory, not the
//! log), it is there after a restart, and Remove takes it out.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{click, js, type_into};
use bbwatch_e2e::desktop::keyring::Keyring;
use bbwatch_e2e::desktop::webdriver::{Driver, Session};
use bbwatch_e2e::desktop::{eventually, files_holding, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);
const KEY: &str = "fake-key";
const SECRET: &str = "fake-secret";

const CONFIG: &str = "interval = \"60s\"\nlanguage = \"en\"\nstream = false\n";

/// The text of `css`, once it is not empty and not "Working…".
async fn answer(session: &Session, driver: &Driver, css: &str) -> Result<String> {
    let found = eventually(WAIT, "the key's answer", || async {
        let t = session.text(driver, css).await.ok()??;
        (!t.is_empty() && !t.starts_with("Working")).then_some(t)
    })
    .await;
    if found.is_err() {
        let last = session.text(driver, css).await;
        anyhow::bail!("no answer in {css}: it shows {last:?}");
    }
    found
}

/// Clear the last answer, type the key and secret, click `button`, and read the answer.
async fn key_action(
    session: &Session,
    driver: &Driver,
    key: &str,
    secret: &str,
    button: &str,
) -> Result<String> {
    js(
        session,
        driver,
        "document.getElementById('key-answer').textContent = ''; return null;",
    )
    .await?;
    type_into(session, driver, "k-key", key).await?;
    type_into(session, driver, "k-secret", secret).await?;
    // A button still busy with the last request ignores a click, as for a person.
    let busy = format!(
        "return document.querySelector({}).getAttribute('aria-busy');",
        serde_json::json!(button)
    );
    eventually(WAIT, "the button to be free", || async {
        let v = js(session, driver, &busy).await.ok()?;
        (v != "true").then_some(())
    })
    .await?;
    click(session, driver, button).await?;
    answer(session, driver, "#key-answer").await
}

/// The settings window, open on its settings.
async fn settings_window(driver: &Driver, bin: &Path) -> Result<Session> {
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    eventually(WAIT, "the key section", || async {
        let t = session.text(driver, "#key-stored").await.ok()??;
        (!t.is_empty()).then_some(())
    })
    .await?;
    Ok(session)
}

/// With `BBWATCH_SHOTS=dir`, a screenshot of the screen as `dir/name.png` (to look at).
fn shot(desktop: &Desktop, name: &str) {
    if let Some(dir) = std::env::var_os("BBWATCH_SHOTS") {
        let dir = Path::new(&dir);
        let _ = std::fs::create_dir_all(dir);
        if let Err(e) = desktop.screenshot(&dir.join(format!("{name}.png"))) {
            eprintln!("no screenshot: {e}");
        }
    }
}

fn stop(mut tray: Child) {
    let _ = tray.kill();
    let _ = tray.wait();
}

fn assert_nowhere(dir: &Path, log: &Path) {
    let holding = files_holding(dir, SECRET);
    assert!(holding.is_empty(), "the secret is in {holding:?}");
    let log = std::fs::read_to_string(log).unwrap_or_default();
    assert!(!log.contains(SECRET), "the secret is in the log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_kept_in_the_keyring_only_and_survives_a_restart() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("keyring");
    let desktop = Desktop::start(&dir)?;
    let keyring = Keyring::start(&desktop, &dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, _file) = app_env(&desktop, &dir, &sim, "C.UTF-8", CONFIG);
    let log = dir.join("app.log");
    let tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = settings_window(&driver, &bin).await?;
    assert_eq!(
        session.text(&driver, "#key-stored").await?.as_deref(),
        Some("No key stored")
    );

    let saved = key_action(&session, &driver, KEY, SECRET, "#key-save").await?;
    assert_eq!(saved, "Key saved");
    let item = keyring
        .bbwatch_item()?
        .expect("the key's item in the keyring");
    let stored: serde_json::Value = serde_json::from_str(&item)?;
    assert_eq!(stored["key"], KEY);
    assert_eq!(stored["secret"], SECRET);
    // A keyring manager shows it in words.
    assert_eq!(
        keyring.bbwatch_label()?.as_deref(),
        Some("bbwatch: bitbank API key")
    );
    // What the window shows: the key's start, and the fields emptied.
    let shown = eventually(WAIT, "the stored key shown", || async {
        let t = session.text(&driver, "#key-stored").await.ok()??;
        (t != "No key stored").then_some(t)
    })
    .await?;
    assert_eq!(shown, "Key stored: fake…");
    js(
        &session,
        &driver,
        "document.getElementById('sec-api-key').scrollIntoView(); return null;",
    )
    .await?;
    shot(&desktop, "settings-key-stored");
    let typed = js(
        &session,
        &driver,
        "return document.getElementById('k-key').value + document.getElementById('k-secret').value;",
    )
    .await?;
    assert_eq!(typed, "");
    // Saving the other settings writes no key to the file.
    type_into(&session, &driver, "f-assets", "btc, jpy").await?;
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "the settings saved", || async {
        let t = std::fs::read_to_string(dir.join("config/bbwatch/config.toml")).ok()?;
        t.contains("assets").then_some(())
    })
    .await?;
    assert_nowhere(&dir, &log);

    // After a restart, the tray reads it back from the keyring.
    // A new WebDriver too: WebKitWebDriver keeps one session at a time.
    drop(session);
    drop(driver);
    stop(tray);
    let tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = settings_window(&driver, &bin).await?;
    assert_eq!(
        session.text(&driver, "#key-stored").await?.as_deref(),
        Some("Key stored: fake…")
    );
    let secret_field = js(
        &session,
        &driver,
        "return document.getElementById('k-secret').value;",
    )
    .await?;
    assert_eq!(secret_field, "", "the secret is never prefilled");

    // Remove asks first, in the page; "Keep the key" keeps it.
    let open = "return document.getElementById('remove-key').open;";
    click(&session, &driver, "#key-remove").await?;
    assert_eq!(js(&session, &driver, open).await?, json!(true), "asked");
    assert_eq!(
        session.text(&driver, "#remove-key-title").await?.as_deref(),
        Some("Remove the API key?")
    );
    shot(&desktop, "settings-key-remove-asked");
    click(&session, &driver, "#remove-key-keep").await?;
    assert_eq!(js(&session, &driver, open).await?, json!(false));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(keyring.bbwatch_item()?.is_some(), "removed without a yes");
    assert_eq!(
        session.text(&driver, "#key-answer").await?.as_deref(),
        Some("")
    );
    click(&session, &driver, "#key-remove").await?;
    click(&session, &driver, "#remove-key-confirm").await?;
    assert_eq!(
        answer(&session, &driver, "#key-answer").await?,
        "Key removed"
    );
    assert_eq!(keyring.bbwatch_item()?, None);
    eventually(WAIT, "no key shown", || async {
        let t = session.text(&driver, "#key-stored").await.ok()??;
        (t == "No key stored").then_some(())
    })
    .await?;
    assert_nowhere(&dir, &log);
    drop(session);
    stop(tray);
    Ok(())
}

/// "Test" makes one signed request with what was typed, and stores nothing. Needs the
/// simulator's `/v1/user/assets`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_says_whether_bitbank_takes_the_key() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("keytest");
    let desktop = Desktop::start(&dir)?;
    let keyring = Keyring::start(&desktop, &dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, _file) = app_env(&desktop, &dir, &sim, "C.UTF-8", CONFIG);
    let log = dir.join("app.log");
    let tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = settings_window(&driver, &bin).await?;

    // The secret is hidden as typed; Show shows it, Hide hides it again.
    type_into(&session, &driver, "k-secret", SECRET).await?;
    let field = "const i = document.getElementById('k-secret'); \
                 const b = document.getElementById('k-secret-show'); \
                 return [i.type, b.textContent, b.getAttribute('aria-pressed')];";
    assert_eq!(
        js(&session, &driver, field).await?,
        json!(["password", "Show", "false"])
    );
    click(&session, &driver, "#k-secret-show").await?;
    assert_eq!(
        js(&session, &driver, field).await?,
        json!(["text", "Hide", "true"])
    );
    js(
        &session,
        &driver,
        "document.getElementById('sec-api-key').scrollIntoView(); return null;",
    )
    .await?;
    shot(&desktop, "settings-key-secret-shown");
    click(&session, &driver, "#k-secret-show").await?;
    assert_eq!(
        js(&session, &driver, field).await?,
        json!(["password", "Show", "false"])
    );

    let good = key_action(&session, &driver, KEY, SECRET, "#key-test").await?;
    assert!(good.contains("the API key works"), "{good}");
    let bad = key_action(&session, &driver, KEY, "wrong-secret", "#key-test").await?;
    // bitbank's code in words: what is wrong, not only a number.
    assert_eq!(
        bad,
        "bitbank rejected the API key (code 20005): the API secret is wrong"
    );
    let unknown = key_action(&session, &driver, "no-such-key", SECRET, "#key-test").await?;
    assert_eq!(
        unknown,
        "bitbank rejected the API key (code 20003): bitbank knows no such API key (it was deleted, or mistyped)"
    );
    js(
        &session,
        &driver,
        "document.getElementById('sec-api-key').scrollIntoView(); return null;",
    )
    .await?;
    shot(&desktop, "settings-key-rejected");
    assert_eq!(keyring.bbwatch_item()?, None, "Test stores nothing");
    assert_nowhere(&dir, &log);
    drop(session);
    stop(tray);
    Ok(())
}
