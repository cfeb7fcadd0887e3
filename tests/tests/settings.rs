//! The settings window as a person uses it: the real `bbwatch-desktop` (tray and window
//! processes) under Xvfb with its own D-Bus session, against fake-bitbank, driven through
//! WebDriver. What counts is the file on disk: the window's changes land there, keeping what
//! the user wrote; a wrong value is shown, blocks Save and writes nothing; Cancel discards.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::Result;
use bbwatch_core::config::{Config, LanguageSetting};
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{
    click, field_error, js, save_disabled, type_into, wait_valid, wait_value,
};
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_window_writes_the_file_and_keeps_what_the_user_wrote() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    // REST only (no stream), so that a poll of each watched pair shows in the simulator's
    // request counts below.
    let original = "# my bbwatch settings: keep this comment\n\
                    interval = \"60s\"\n\
                    language = \"en\"\n\
                    stream = false\n\
                    my_own_key = \"kept\"\n";
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", original);
    let (notifications, _notify_conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    // As the tray's "Settings…" starts it: straight on the settings.
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    let title = js(&session, &driver, "return document.title;").await?;
    assert_eq!(title, "bbwatch — Settings");
    assert!(
        save_disabled(&session, &driver).await?,
        "nothing to save yet"
    );
    // About: the workspace's one version, and the licence.
    let version = session.text(&driver, "#about-version").await?;
    assert_eq!(
        version.as_deref(),
        Some(concat!("Version ", env!("CARGO_PKG_VERSION")))
    );
    let licence = session.text(&driver, "#about-licence").await?;
    assert_eq!(licence.as_deref(), Some("Licence: MIT OR Apache-2.0"));

    // An interval below the minimum: its error beside it, with the rule; Save disabled; nothing
    // written, whatever is clicked.
    type_into(&session, &driver, "f-interval", "500ms").await?;
    let error = eventually(WAIT, "the interval's error", || async {
        Some(field_error(&session, &driver, "interval").await).filter(|e| !e.is_empty())
    })
    .await?;
    assert_eq!(
        error,
        "must be at least 1s, to stay within bitbank's rate limits"
    );
    assert!(save_disabled(&session, &driver).await?);
    let invalid = js(
        &session,
        &driver,
        "return document.getElementById('f-interval').getAttribute('aria-invalid');",
    )
    .await?;
    assert_eq!(invalid, json!("true"));
    let status = session.text(&driver, "#save-status").await?;
    assert_eq!(status.as_deref(), Some("Fix the errors to save"));
    click(&session, &driver, "#settings-save").await?;
    js(
        &session,
        &driver,
        "document.getElementById('settings-form').requestSubmit(); return null;",
    )
    .await?;
    assert_eq!(
        std::fs::read_to_string(&file)?,
        original,
        "written while invalid"
    );

    // A valid value clears the error and enables Save; Cancel throws it away.
    type_into(&session, &driver, "f-interval", "45s").await?;
    wait_valid(&session, &driver, "interval").await?;
    click(&session, &driver, "#settings-cancel").await?;
    let hidden = js(
        &session,
        &driver,
        "return document.getElementById('settings-view').hidden;",
    )
    .await?;
    assert_eq!(hidden, json!(true), "Cancel leaves the settings");
    assert_eq!(std::fs::read_to_string(&file)?, original, "Cancel wrote");
    click(&session, &driver, "#open-settings").await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    // Closing the window (Ctrl+W) with a change not saved asks first; "Keep editing" keeps it.
    type_into(&session, &driver, "f-interval", "5m").await?;
    js(
        &session,
        &driver,
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'w', ctrlKey: true, bubbles: true})); return null;",
    )
    .await?;
    let asked = js(
        &session,
        &driver,
        "return document.getElementById('unsaved').open;",
    )
    .await?;
    assert_eq!(asked, json!(true), "closing with unsaved changes asks");
    click(&session, &driver, "#unsaved-keep").await?;
    let kept = js(
        &session,
        &driver,
        "return [document.getElementById('unsaved').open, document.getElementById('f-interval').value];",
    )
    .await?;
    assert_eq!(kept, json!([false, "5m"]));
    // Escape discards.
    js(
        &session,
        &driver,
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return null;",
    )
    .await?;
    click(&session, &driver, "#open-settings").await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    assert_eq!(std::fs::read_to_string(&file)?, original, "Escape wrote");

    // Change the interval and the watched pairs, from bitbank's list, and save.
    type_into(&session, &driver, "f-interval", "2s").await?;
    eventually(WAIT, "the pair list from spot/pairs", || async {
        let n = js(
            &session,
            &driver,
            "return document.querySelectorAll('#pair-groups input[value=\"btc_jpy\"]').length;",
        )
        .await
        .ok()?;
        (n == json!(1)).then_some(())
    })
    .await?;
    let groups = js(
        &session,
        &driver,
        "return [...document.querySelectorAll('#pair-groups legend')].map(l => l.textContent);",
    )
    .await?;
    assert_eq!(groups[0], "Priced in JPY", "{groups}");
    click(&session, &driver, "#select-none").await?;
    click(&session, &driver, "#pair-groups input[value=\"btc_jpy\"]").await?;
    click(&session, &driver, "#pair-groups input[value=\"eth_jpy\"]").await?;
    eventually(WAIT, "the request count for two pairs", || async {
        let t = session.text(&driver, "#requests").await.ok()??;
        (t == "Each check makes 4 requests (2 + one per watched pair)").then_some(())
    })
    .await?;
    eventually(WAIT, "Save to be enabled", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    let written = eventually(WAIT, "the file to be written", || async {
        let text = std::fs::read_to_string(&file).ok()?;
        (text != original).then_some(text)
    })
    .await?;
    let loaded = Config::load(&file)?;
    assert_eq!(loaded.config.interval.0, Duration::from_secs(2));
    assert_eq!(
        loaded
            .config
            .pairs
            .map(|p| p.iter().map(ToString::to_string).collect()),
        Some(vec!["btc_jpy".to_owned(), "eth_jpy".to_owned()])
    );
    assert!(
        written.starts_with("# my bbwatch settings: keep this comment\n"),
        "{written}"
    );
    assert!(written.contains("my_own_key = \"kept\""), "{written}");
    assert_eq!(loaded.unknown_keys, vec!["my_own_key"]);
    eventually(WAIT, "the window to say Saved", || async {
        let t = session.text(&driver, "#save-status").await.ok()??;
        (t == "Saved").then_some(())
    })
    .await?;
    // After the save the window says what the file says.
    wait_value(&session, &driver, "f-interval", "2s").await?;
    assert!(save_disabled(&session, &driver).await?);

    // The running monitor takes them with no restart: every 2 s (it was every minute), and
    // exactly the two pairs chosen (it was every tradable pair).
    let requests = |pair: &str| {
        sim.stats()
            .circuit_break_by_pair
            .get(pair)
            .copied()
            .unwrap_or(0)
    };
    let (btc, eth) = (requests("btc_jpy"), requests("eth_jpy"));
    eventually(WAIT, "a poll of the new pairs", || async {
        (requests("btc_jpy") > btc && requests("eth_jpy") > eth).then_some(())
    })
    .await?;
    let settled = sim.stats().circuit_break_by_pair;
    eventually(WAIT, "two more polls at the new interval", || async {
        (requests("btc_jpy") >= settled["btc_jpy"] + 2).then_some(())
    })
    .await?;
    let now = sim.stats().circuit_break_by_pair;
    for (pair, n) in &now {
        if pair != "btc_jpy" && pair != "eth_jpy" {
            assert_eq!(settled.get(pair), Some(n), "{pair} is still polled");
        }
    }

    // "Send a test notification" is sent by the window itself.
    click(&session, &driver, "#test-notification").await?;
    let shown = notifications
        .first_with("bitbank: test notification", WAIT)
        .await?;
    assert_eq!(shown.body, "This is how bbwatch's notifications look.");

    // Live updates switched on in the window: the running monitor connects to the stream, the
    // footer says so, and the window says a check is then 2 requests.
    assert_eq!(sim.stats().stream.connections, 0, "a stream while off");
    click(&session, &driver, "#f-stream").await?;
    eventually(WAIT, "the request count with the stream", || async {
        let t = session.text(&driver, "#requests").await.ok()??;
        (t == "While live updates are connected, each check makes only 2 requests (4 while they are not)")
            .then_some(())
    })
    .await?;
    eventually(WAIT, "Save to be enabled for the stream", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "stream = true in the file", || async {
        Config::load(&file).ok()?.config.stream.then_some(())
    })
    .await?;
    eventually(WAIT, "the monitor to connect to the stream", || async {
        (sim.stats().stream.connections >= 1).then_some(())
    })
    .await?;
    eventually(
        WAIT,
        "the footer to say live updates are connected",
        || async {
            let t = js(
                &session,
                &driver,
                "return document.getElementById('live-text').textContent;",
            )
            .await
            .ok()?;
            (t == json!("Live updates connected")).then_some(())
        },
    )
    .await?;
    eventually(WAIT, "the window to say Saved again", || async {
        let t = session.text(&driver, "#save-status").await.ok()??;
        (t == "Saved").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Japanese, saved from the window: the next notification is in it.
    js(
        &session,
        &driver,
        "const s = document.getElementById('f-language'); s.value = 'ja'; \
         s.dispatchEvent(new Event('change', {bubbles: true})); \
         s.dispatchEvent(new Event('input', {bubbles: true})); return null;",
    )
    .await?;
    eventually(WAIT, "Save to be enabled for the language", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "the language in the file", || async {
        (Config::load(&file).ok()?.config.language == LanguageSetting::Ja).then_some(())
    })
    .await?;
    // The tray follows the file within a second or so; then bitbank goes into maintenance.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.next_phase();
    let start = notifications.first_with("メンテナンス", WAIT).await?;
    assert_eq!(start.summary, "bitbank: メンテナンス開始");

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// A file that was bad at start: the window opens on the bad field, in the user's language,
/// and saving the corrected value fixes the file (keeping its comment and other keys).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_is_corrected_in_the_settings_window() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-bad");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let original = "# 私の設定\ninterval = \"often\"\nmystery = 1\n";
    let (env, file) = app_env(&desktop, &dir, &sim, "ja_JP.UTF-8", original);
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "often").await?;
    let error = field_error(&session, &driver, "interval").await;
    assert_eq!(
        error,
        "「often」は時間として読めません。30s、2m、1hのように書いてください"
    );
    let shown = js(
        &session,
        &driver,
        "const b = document.getElementById('settings-config-problem'); \
         return [b.hidden, b.textContent.includes('interval'), document.activeElement.id];",
    )
    .await?;
    assert_eq!(
        shown,
        json!([false, true, "f-interval"]),
        "the problem is shown and the bad field has the focus"
    );
    assert!(save_disabled(&session, &driver).await?);

    type_into(&session, &driver, "f-interval", "1m").await?;
    wait_valid(&session, &driver, "interval").await?;
    click(&session, &driver, "#settings-save").await?;
    let written = eventually(WAIT, "the file to be fixed", || async {
        let text = std::fs::read_to_string(&file).ok()?;
        (text != original).then_some(text)
    })
    .await?;
    assert_eq!(written, "# 私の設定\ninterval = \"1m\"\nmystery = 1\n");
    assert_eq!(
        Config::load(&file)?.config.interval.0,
        Duration::from_secs(60)
    );
    eventually(WAIT, "the problem to go", || async {
        let hidden = js(
            &session,
            &driver,
            "return document.getElementById('settings-config-problem').hidden;",
        )
        .await
        .ok()?;
        (hidden == json!(true)).then_some(())
    })
    .await?;
    let status = session.text(&driver, "#save-status").await?;
    assert_eq!(status.as_deref(), Some("保存しました"));

    // How long the history is kept: a wrong number is refused beside the field, a right one
    // lands in the file's [history].
    type_into(&session, &driver, "f-retention_days", "1000000").await?;
    let error = eventually(WAIT, "the days' error", || async {
        Some(field_error(&session, &driver, "retention_days").await).filter(|e| !e.is_empty())
    })
    .await?;
    assert_eq!(
        error,
        "0（すべて残す）から36500までの日数を入力してください"
    );
    assert!(save_disabled(&session, &driver).await?);
    type_into(&session, &driver, "f-retention_days", "30").await?;
    wait_valid(&session, &driver, "retention_days").await?;
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "the days in the file", || async {
        (Config::load(&file).ok()?.config.history.retention_days == 30).then_some(())
    })
    .await?;
    let written = std::fs::read_to_string(&file)?;
    assert!(written.starts_with("# 私の設定\n"), "{written}");
    assert!(
        written.contains("[history]\nretention_days = 30"),
        "{written}"
    );

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// "Start at login" is a setting like the others: ticking it writes nothing until Save, and
/// Cancel throws it away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_applies_on_save_and_cancel_discards_it() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-autostart");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let original = "language = \"en\"\nstream = false\n";
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", original);
    let entry = dir.join("config/autostart/bbwatch.desktop");
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    let enabled = "const b = document.getElementById('set-autostart'); \
                   return b.disabled ? null : b.checked;";
    eventually(WAIT, "the autostart box to be ready", || async {
        (js(&session, &driver, enabled).await.ok()? == json!(false)).then_some(())
    })
    .await?;

    // Ticked, then Cancel: nothing written, and unticked when Settings opens again.
    click(&session, &driver, "#set-autostart").await?;
    eventually(WAIT, "Save to be enabled by the tick", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!entry.exists(), "applied before Save");
    click(&session, &driver, "#settings-cancel").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!entry.exists(), "applied by Cancel");
    click(&session, &driver, "#open-settings").await?;
    eventually(WAIT, "the box unticked again", || async {
        (js(&session, &driver, enabled).await.ok()? == json!(false)).then_some(())
    })
    .await?;
    assert!(save_disabled(&session, &driver).await?, "nothing to save");

    // Ticked, then Save: the entry is written.
    click(&session, &driver, "#set-autostart").await?;
    eventually(WAIT, "Save to be enabled by the tick", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    assert!(!entry.exists(), "applied before Save");
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "the autostart entry", || async {
        entry.exists().then_some(())
    })
    .await?;
    // It starts the tray app, though the window (a program of its own on Linux) wrote it.
    let written = std::fs::read_to_string(&entry)?;
    assert!(
        written.contains(&format!("\nExec={}\n", bin.display())),
        "{written}"
    );
    eventually(WAIT, "the window to say Saved", || async {
        let t = session.text(&driver, "#save-status").await.ok()??;
        (t == "Saved").then_some(())
    })
    .await?;
    assert_eq!(js(&session, &driver, enabled).await?, json!(true));
    assert_eq!(
        std::fs::read_to_string(&file)?,
        original,
        "the file changed"
    );

    // Unticked, then Cancel: still there.
    click(&session, &driver, "#set-autostart").await?;
    click(&session, &driver, "#settings-cancel").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(entry.exists(), "removed by Cancel");

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// The pair list as a person meets it: a search that finds nothing says so, an error does not
/// move the fields below it, and the keyboard gets past the ~90 pairs in a few presses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pair_list_says_no_match_and_the_keyboard_skips_it() -> Result<()> {
    const TAB: &str = "\u{E004}";
    const ENTER: &str = "\u{E007}";
    let bin = app_binary();
    let dir = scratch_dir("settings-pairs");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, _file) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        "interval = \"60s\"\nlanguage = \"en\"\nstream = false\n",
    );
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    eventually(WAIT, "the pair list from spot/pairs", || async {
        let n = js(
            &session,
            &driver,
            "return document.querySelectorAll('#pair-groups input[type=checkbox]').length;",
        )
        .await
        .ok()?;
        (n.as_u64()? > 10).then_some(())
    })
    .await?;

    // A search with no match: the words, not a blank.
    type_into(&session, &driver, "pair-search", "xyz").await?;
    let shown = js(
        &session,
        &driver,
        "return [document.getElementById('pairs-status').textContent, \
                 document.querySelectorAll('#pair-groups input').length];",
    )
    .await?;
    assert_eq!(shown, json!(["No pair matches “xyz”", 0]));
    let shots = bbwatch_e2e::desktop::target_dir().join("desktop-e2e");
    let _ = std::fs::create_dir_all(&shots);
    js(
        &session,
        &driver,
        "document.getElementById('pair-search').scrollIntoView({block: 'center'}); return null;",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = desktop.screenshot(&shots.join("settings-pairs-no-match.png"));
    type_into(&session, &driver, "pair-search", "btc").await?;
    let shown = js(
        &session,
        &driver,
        "return [document.getElementById('pairs-status').textContent, \
                 document.querySelectorAll('#pair-groups input[value=\"btc_jpy\"]').length];",
    )
    .await?;
    assert_eq!(shown, json!(["", 1]));
    type_into(&session, &driver, "pair-search", "").await?;

    // An error under the interval: the field below stays where it was.
    let below = "document.getElementById('settings-form').scrollTop = 0; \
                 return document.getElementById('f-timeout').getBoundingClientRect().top;";
    let before = js(&session, &driver, below).await?;
    type_into(&session, &driver, "f-interval", "500ms").await?;
    eventually(WAIT, "the interval's error", || async {
        Some(field_error(&session, &driver, "interval").await).filter(|e| !e.is_empty())
    })
    .await?;
    assert_eq!(
        js(&session, &driver, below).await?,
        before,
        "the layout jumped"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = desktop.screenshot(&shots.join("settings-interval-error.png"));
    type_into(&session, &driver, "f-interval", "1m").await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;

    // From the search field, a few Tabs reach "Skip the pair list"; Enter takes the focus to
    // the next section, and the notifications are a few Tabs further, not ~90.
    let focused = "return document.activeElement ? document.activeElement.id : null;";
    js(
        &session,
        &driver,
        "document.getElementById('pair-search').focus(); return null;",
    )
    .await?;
    let mut presses = 0;
    while js(&session, &driver, focused).await? != json!("skip-pairs") {
        presses += 1;
        assert!(presses <= 4, "no skip link within 4 Tabs");
        session.press(&driver, TAB).await?;
    }
    session.press(&driver, ENTER).await?;
    assert_eq!(
        js(&session, &driver, focused).await?,
        json!("open-api-key-page"),
        "Enter on the skip link goes to the next section"
    );
    let mut more = 0;
    while js(&session, &driver, focused).await? != json!("f-notify_maintenance") {
        more += 1;
        assert!(
            more <= 10,
            "the notifications are more than 10 Tabs further"
        );
        session.press(&driver, TAB).await?;
    }

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// On a 1024×600 screen the settings window fits: its Save and Cancel can be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_window_fits_a_small_screen() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-small");
    let desktop = Desktop::start_sized(&dir, "1024x600")?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, _file) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        "interval = \"60s\"\nlanguage = \"en\"\nstream = false\n",
    );
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    let screen = js(&session, &driver, "return [screen.width, screen.height];").await?;
    assert_eq!(screen, json!([1024, 600]));
    // Where the window is, and where its buttons are inside it.
    let window = session.window_rect(&driver).await?;
    let inside = js(
        &session,
        &driver,
        "const r = (id) => document.getElementById(id).getBoundingClientRect(); \
         return [window.innerHeight, r('settings-save').bottom, r('settings-cancel').bottom];",
    )
    .await?;
    let (y, height) = (
        window["y"].as_f64().unwrap(),
        window["height"].as_f64().unwrap(),
    );
    let inner = inside[0].as_f64().unwrap();
    // Anything above the page (a title bar) is the difference between the two heights.
    let top = y + (height - inner);
    for (i, name) in [(1, "Save"), (2, "Cancel")] {
        let bottom = top + inside[i].as_f64().unwrap();
        assert!(
            bottom <= 600.0,
            "{name} ends at {bottom} px, below the 600 px screen (window {window}, {inside})"
        );
    }
    assert!(y >= 0.0, "the window starts above the screen: {window}");
    let _ = std::fs::create_dir_all(bbwatch_e2e::desktop::target_dir().join("desktop-e2e"));
    let _ = desktop
        .screenshot(&bbwatch_e2e::desktop::target_dir().join("desktop-e2e/settings-1024x600.png"));

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// With the hosts set in the environment (as every desktop test sets them, to the simulator),
/// Advanced shows those in use, read-only, says where they come from, and saving writes none of
/// them to the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advanced_shows_the_hosts_the_environment_sets() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-env-urls");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let original = "interval = \"60s\"\nlanguage = \"en\"\nstream = false\n";
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", original);
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "1m").await?;
    let shown = js(
        &session,
        &driver,
        "return ['api_url', 'public_url', 'stream_url'].map((f) => { \
           const i = document.getElementById('f-' + f); \
           const n = document.getElementById('n-' + f); \
           return [i.value, i.readOnly, n.hidden ? '' : n.textContent]; });",
    )
    .await?;
    let note = |var: &str| {
        format!("In use, set by {var} in the environment (read-only here; the file's value is not used while it is set)")
    };
    assert_eq!(
        shown,
        json!([
            [sim.api_url(), true, note("BBWATCH_API_URL")],
            [sim.public_url(), true, note("BBWATCH_PUBLIC_URL")],
            [sim.stream_url(), true, note("BBWATCH_STREAM_URL")],
        ])
    );
    js(
        &session,
        &driver,
        "document.getElementById('sec-advanced').scrollIntoView(); return null;",
    )
    .await?;
    let _ = std::fs::create_dir_all(bbwatch_e2e::desktop::target_dir().join("desktop-e2e"));
    let _ = desktop
        .screenshot(&bbwatch_e2e::desktop::target_dir().join("desktop-e2e/settings-env-urls.png"));
    // Nothing to save from them, and a save of another field writes none of them.
    assert!(save_disabled(&session, &driver).await?);
    type_into(&session, &driver, "f-interval", "2m").await?;
    wait_valid(&session, &driver, "interval").await?;
    click(&session, &driver, "#settings-save").await?;
    let written = eventually(WAIT, "the file to be written", || async {
        let text = std::fs::read_to_string(&file).ok()?;
        (text != original).then_some(text)
    })
    .await?;
    assert_eq!(
        written,
        "interval = \"2m\"\nlanguage = \"en\"\nstream = false\n"
    );

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// The very first start (no config file, no history) welcomes the user once: what the icon's
/// colours mean, how to click it, and the settings worth a look; then never again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_welcomes_once_and_offers_the_settings() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-welcome");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", "");
    std::fs::remove_file(&file)?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    let open = "return document.getElementById('welcome').open;";
    eventually(WAIT, "the welcome", || async {
        (js(&session, &driver, open).await.ok()? == json!(true)).then_some(())
    })
    .await?;
    let said = js(
        &session,
        &driver,
        "return [document.getElementById('welcome-title').textContent, \
                 [...document.querySelectorAll('#welcome-levels li')].map((l) => l.textContent), \
                 document.getElementById('welcome').textContent.includes('Left click the icon'), \
                 [...document.querySelectorAll('.welcome-offers button')].map((b) => b.textContent)];",
    )
    .await?;
    assert_eq!(said[0], "Welcome to bbwatch");
    let levels = said[1].as_array().unwrap();
    assert_eq!(levels.len(), 6, "{said}");
    assert!(
        levels[0]
            .as_str()
            .unwrap()
            .starts_with("Normal — trading and the API work normally"),
        "{said}"
    );
    assert_eq!(said[2], json!(true));
    assert_eq!(
        said[3],
        json!([
            "Choose the pairs to watch",
            "Add a read-only API key (optional)",
            "Start at login"
        ])
    );
    let shots = bbwatch_e2e::desktop::target_dir().join("desktop-e2e");
    let _ = std::fs::create_dir_all(&shots);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let _ = desktop.screenshot(&shots.join("welcome.png"));

    // "Start at login" goes to that setting, in Settings.
    click(&session, &driver, "#welcome-autostart").await?;
    eventually(WAIT, "Settings on Start at login", || async {
        let v = js(
            &session,
            &driver,
            "return [document.getElementById('welcome').open, \
                     document.getElementById('settings-view').hidden, \
                     document.activeElement.id];",
        )
        .await
        .ok()?;
        (v == json!([false, false, "set-autostart"])).then_some(())
    })
    .await?;

    // Once: another window, and the next start, do not welcome again.
    drop(session);
    drop(driver);
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(WAIT, "the status window", || async {
        let t = session.text(&driver, "#level-name").await.ok()??;
        (!t.is_empty()).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(js(&session, &driver, open).await?, json!(false));
    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(WAIT, "the status window after a restart", || async {
        let t = session.text(&driver, "#level-name").await.ok()??;
        (!t.is_empty()).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        js(&session, &driver, open).await?,
        json!(false),
        "welcomed again after a restart"
    );

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
