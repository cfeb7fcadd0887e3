//! "Also send to…" in the settings window, as a person uses it: the real `bbwatch-desktop`
//! (tray and window processes) under Xvfb with its own D-Bus session and gnome-keyring, driven
//! through WebDriver. For each kind of channel: filled in the window (ntfy, Telegram and LINE
//! added there; the e-mail one is in the file, as its certificate authority has no field),
//! "Send a test" reaches a recording server on loopback (an SMTP server for e-mail), Save
//! writes the channel to the file and its secret to the keyring only, and Remove (then Save)
//! takes both away.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, a keyring of the test's own).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{click, field_error, js, save_disabled, type_into, wait_valid};
use bbwatch_e2e::desktop::keyring::Keyring;
use bbwatch_e2e::desktop::webdriver::{Driver, Session};
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::json;

use bbwatch_e2e::peers::{HttpPeer, SmtpPeer, SmtpSecurity, SMTP_USER};

const WAIT: Duration = Duration::from_secs(30);
const SMTP_PASSWORD: &str = "smtp-pass-word-42";

/// One channel to add: its kind, its fields as typed (by key), its secret, and what the
/// recording server must have been sent.
struct Case {
    kind: &'static str,
    fields: Vec<(&'static str, String)>,
    secret: &'static str,
    /// The request's path must contain this.
    path: String,
    /// The secret must travel in the Authorization header (else in the path).
    bearer: bool,
}

/// The keyring's item of the channel `name`, if any.
fn channel_item(keyring: &Keyring, name: &str) -> Result<Option<String>> {
    keyring.lookup(&[
        ("service", "bbwatch"),
        ("username", &format!("channel:{name}")),
    ])
}

/// The channel's secret, once the keyring has it: the tray stores it after the file is written.
async fn stored_secret(keyring: &Keyring, name: &str) -> Result<String> {
    eventually(WAIT, &format!("{name}'s secret in the keyring"), || async {
        channel_item(keyring, name).ok().flatten()
    })
    .await
}

fn config_text(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_default()
}

/// The file: an e-mail channel to the SMTP server on loopback (trusting its own CA; no user
/// name yet: the window adds it), and a key of the user's own.
fn config(smtp: &SmtpPeer) -> String {
    format!(
        "interval = \"60s\"\nlanguage = \"en\"\nstream = false\nmy_own_key = \"kept\"\n\n\
         [[channels]]\nkind = \"email\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\n\
         to = [\"me@example.com\"]\nca_file = \"{}\"\n",
        smtp.port(),
        smtp.ca_file().display()
    )
}

/// The text of `css` in the `i`-th channel.
async fn channel_text(session: &Session, driver: &Driver, i: usize, css: &str) -> Option<String> {
    session
        .text(driver, &format!(".channel[data-index=\"{i}\"] {css}"))
        .await
        .ok()
        .flatten()
}

/// Click Save and wait for the file to satisfy `done`.
async fn save(
    session: &Session,
    driver: &Driver,
    file: &Path,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> Result<String> {
    eventually(WAIT, "Save to be enabled", || async {
        let v = js(
            session,
            driver,
            "return document.getElementById('settings-save').disabled;",
        )
        .await
        .ok()?;
        (v == json!(false)).then_some(())
    })
    .await?;
    click(session, driver, "#settings-save").await?;
    eventually(WAIT, what, || async {
        let text = config_text(file);
        done(&text).then_some(text)
    })
    .await
}

/// The channel's answer line once it says something other than "Sending…".
async fn answer(session: &Session, driver: &Driver, i: usize) -> Result<String> {
    let css = format!(".channel[data-index=\"{i}\"] .channel-answer");
    let found = eventually(WAIT, "the test's answer", || async {
        let t = session.text(driver, &css).await.ok()??;
        (!t.is_empty() && t != "Sending…" && t != "Takes effect when saved").then_some(t)
    })
    .await;
    if found.is_err() {
        let shown = session.text(driver, &css).await.ok().flatten();
        anyhow::bail!("no answer from the test of channel {i}: it says {shown:?}");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_channel_is_added_tested_saved_with_its_secret_in_the_keyring_and_removed(
) -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-channels");
    let desktop = Desktop::start(&dir)?;
    let keyring = Keyring::start(&desktop, &dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let peer = HttpPeer::start().await;
    let smtp_dir = dir.join("smtp");
    std::fs::create_dir_all(&smtp_dir)?;
    let smtp = SmtpPeer::start(&smtp_dir, SmtpSecurity::Starttls, SMTP_PASSWORD).await?;
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", &config(&smtp));
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    let head = eventually(WAIT, "the file's e-mail channel", || async {
        channel_text(&session, &driver, 0, ".channel-dest")
            .await
            .filter(|t| !t.is_empty())
    })
    .await?;
    assert_eq!(head, "me@example.com (127.0.0.1)");

    // E-mail: the user name and password typed, then a test through the SMTP server.
    let started = std::time::Instant::now();
    type_into(&session, &driver, "c0-username", SMTP_USER).await?;
    type_into(&session, &driver, "c0-from", "bbwatch <alerts@example.com>").await?;
    type_into(&session, &driver, "c0-secret", SMTP_PASSWORD).await?;
    click(
        &session,
        &driver,
        ".channel[data-index=\"0\"] .channel-test",
    )
    .await?;
    assert_eq!(
        answer(&session, &driver, 0).await?,
        "Test sent: check that it arrived"
    );
    let mails = smtp.wait_for(1, WAIT).await?;
    assert_eq!(mails[0].login.as_deref(), Some(SMTP_USER));
    assert!(mails[0].tls, "sent in clear");
    assert_eq!(mails[0].to, ["me@example.com"]);
    let text = save(&session, &driver, &file, "the e-mail channel saved", |t| {
        t.contains("username")
    })
    .await?;
    assert!(
        !text.contains(SMTP_PASSWORD),
        "the password in the file:\n{text}"
    );
    assert!(
        text.contains(&format!("ca_file = \"{}\"", smtp.ca_file().display())),
        "the form lost a key it does not show:\n{text}"
    );
    assert_eq!(stored_secret(&keyring, "email").await?, SMTP_PASSWORD);
    eprintln!("email: {:?}", started.elapsed());

    let line_user = format!("U{}", "4af4980629".repeat(3) + "ab");
    let cases = [
        Case {
            kind: "ntfy",
            fields: vec![("url", format!("{}/bitbank-alerts", peer.url()))],
            secret: "tk_ntfy_access_token",
            // ntfy's JSON publishing: to the server's root, the topic in the body.
            path: "/".into(),
            bearer: true,
        },
        Case {
            kind: "telegram",
            fields: vec![("to", "123456789".into()), ("url", peer.url())],
            secret: "123456:telegram-bot-token",
            path: "/bot123456:telegram-bot-token/sendMessage".into(),
            bearer: false,
        },
        Case {
            kind: "line",
            fields: vec![("to", line_user.clone()), ("url", peer.url())],
            secret: "line-channel-access-token",
            path: "/v2/bot/message/push".into(),
            bearer: true,
        },
    ];
    for case in &cases {
        let started = std::time::Instant::now();
        let kind = case.kind;
        // Add: the kind, then its fields.
        js(
            &session,
            &driver,
            &format!(
                "const s = document.getElementById('channel-kind'); s.value = {}; \
                 s.dispatchEvent(new Event('change', {{bubbles: true}})); return null;",
                json!(kind)
            ),
        )
        .await?;
        click(&session, &driver, "#channel-add").await?;
        let head = channel_text(&session, &driver, 1, ".channel-name").await;
        assert_eq!(
            head.as_deref(),
            Some(kind),
            "a new channel is named after its kind"
        );
        // Added and not filled in: its field says what it lacks, and Save waits.
        let lacking = if kind == "ntfy" { "url" } else { "to" };
        let said = eventually(WAIT, "the new channel's error", || async {
            Some(field_error(&session, &driver, &format!("c1-{lacking}")).await)
                .filter(|e| !e.is_empty())
        })
        .await?;
        assert_eq!(said, "Required", "{kind}");
        assert!(save_disabled(&session, &driver).await?);
        if kind == "telegram" {
            type_into(&session, &driver, "c1-to", "my chat").await?;
            let said = eventually(WAIT, "the chat id's error", || async {
                Some(field_error(&session, &driver, "c1-to").await)
                    .filter(|e| e.contains("my chat"))
            })
            .await?;
            assert_eq!(
                said,
                "\"my chat\" is not a chat id (a number like 123456789, or @channel)"
            );
        }
        for (key, value) in &case.fields {
            type_into(&session, &driver, &format!("c1-{key}"), value).await?;
        }
        wait_valid(&session, &driver, &format!("c1-{lacking}")).await?;
        type_into(&session, &driver, "c1-secret", case.secret).await?;
        let secret_type = js(
            &session,
            &driver,
            "return document.getElementById('c1-secret').type;",
        )
        .await?;
        assert_eq!(secret_type, json!("password"));

        // Send a test: the recording server gets it, with the token typed.
        let before = peer.requests().len();
        click(
            &session,
            &driver,
            ".channel[data-index=\"1\"] .channel-test",
        )
        .await?;
        let said = answer(&session, &driver, 1).await?;
        assert_eq!(said, "Test sent: check that it arrived", "{kind}");
        let got = peer.wait_for(before + 1, WAIT).await?;
        let request = &got[before];
        assert_eq!(request.method, "POST", "{kind}");
        assert!(
            request.path.contains(&case.path),
            "{kind}: {} is not {}",
            request.path,
            case.path
        );
        if case.bearer {
            let auth = request.header("authorization").map(str::to_owned);
            assert_eq!(auth, Some(format!("Bearer {}", case.secret)), "{kind}");
        }
        if kind == "ntfy" {
            assert!(request.body.contains("bitbank-alerts"), "{}", request.body);
        }
        assert!(
            !config_text(&file).contains(&format!("kind = \"{kind}\"")),
            "a test saves nothing"
        );

        // Save: the channel in the file, its secret in the keyring only.
        let text = save(&session, &driver, &file, "the channel saved", |t| {
            t.contains(&format!("kind = \"{kind}\""))
        })
        .await?;
        assert!(
            !text.contains(case.secret),
            "{kind}'s secret in the file:\n{text}"
        );
        assert!(text.contains("my_own_key = \"kept\""), "{text}");
        for (key, value) in &case.fields {
            assert!(
                text.contains(value.as_str()),
                "{kind}'s {key} not saved:\n{text}"
            );
        }
        assert_eq!(
            stored_secret(&keyring, kind).await?,
            case.secret,
            "{kind}'s secret in the keyring"
        );
        // The window says it is stored, never what it is.
        let stored = eventually(WAIT, "the secret shown as stored", || async {
            channel_text(&session, &driver, 1, ".stored-mark").await
        })
        .await?;
        assert_eq!(stored, "Stored (keyring)");
        let page = js(&session, &driver, "return document.body.innerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ');").await?;
        assert!(
            !page.to_string().contains(case.secret),
            "the window shows the secret"
        );

        // A test with the stored secret (nothing typed) reaches the server too.
        let before = peer.requests().len();
        click(
            &session,
            &driver,
            ".channel[data-index=\"1\"] .channel-test",
        )
        .await?;
        assert_eq!(
            answer(&session, &driver, 1).await?,
            "Test sent: check that it arrived"
        );
        let got = peer.wait_for(before + 1, WAIT).await?;
        let again = &got[before];
        let carried = again.path.contains(case.secret)
            || again
                .headers
                .iter()
                .any(|(_, v)| v == &format!("Bearer {}", case.secret));
        assert!(carried, "{kind}: the stored secret was not used");

        // Remove, then Save: no channel in the file, no secret in the keyring.
        click(
            &session,
            &driver,
            ".channel[data-index=\"1\"] .channel-remove",
        )
        .await?;
        save(&session, &driver, &file, "the channel removed", |t| {
            !t.contains(&format!("kind = \"{kind}\""))
        })
        .await?;
        eventually(WAIT, "the secret deleted", || async {
            channel_item(&keyring, kind).ok()?.is_none().then_some(())
        })
        .await?;
        eprintln!("{kind}: {:?}", started.elapsed());
    }

    // The e-mail channel too: a test with its stored password, then Remove.
    let started = std::time::Instant::now();
    let stored = channel_text(&session, &driver, 0, ".stored-mark").await;
    assert_eq!(stored.as_deref(), Some("Stored (keyring)"));
    click(
        &session,
        &driver,
        ".channel[data-index=\"0\"] .channel-test",
    )
    .await?;
    assert_eq!(
        answer(&session, &driver, 0).await?,
        "Test sent: check that it arrived"
    );
    let mails = smtp.wait_for(2, WAIT).await?;
    assert_eq!(mails[1].login.as_deref(), Some(SMTP_USER));
    click(
        &session,
        &driver,
        ".channel[data-index=\"0\"] .channel-remove",
    )
    .await?;
    save(
        &session,
        &driver,
        &file,
        "the e-mail channel removed",
        |t| !t.contains("[[channels]]"),
    )
    .await?;
    eventually(WAIT, "the password deleted", || async {
        channel_item(&keyring, "email")
            .ok()?
            .is_none()
            .then_some(())
    })
    .await?;
    eprintln!("email, stored: {:?}", started.elapsed());

    let log = std::fs::read_to_string(dir.join("app.log")).unwrap_or_default();
    assert!(
        !log.contains(SMTP_PASSWORD),
        "the password in the log:\n{log}"
    );
    for case in &cases {
        assert!(!log.contains(case.secret), "a secret in the log:\n{log}");
    }
    drop(session);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
