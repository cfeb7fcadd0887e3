//! Channels to the phone end to end: the real `bbwatch watch` against fake-bitbank tells a
//! maintenance's start and end to ntfy, Telegram and LINE (loopback servers speaking their
//! documented formats) and to a real SMTP server (aiosmtpd, STARTTLS in English, TLS in
//! Japanese), in the popups' words, each read from what the server received. The secrets
//! come from the environment and a 0600 file: never in the configuration, never in the log.
//! A dead channel says so once and holds up none of the others.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Result;
use bbwatch_core::present::relay::Message;
use bbwatch_core::{Event, EventKind, Lang, Level};
use bbwatch_e2e::desktop::{eventually, scratch_dir, target_dir, HAND_DRIVEN};
use bbwatch_e2e::peers::{HttpPeer, SmtpPeer, SmtpSecurity, SMTP_USER};
use fake_bitbank::{FakeBitbank, Options, Scenario};

/// Generous: the machines are shared and noisy; the end also waits out the two minutes in
/// which a flap back would be collapsed.
const WAIT: Duration = Duration::from_secs(200);

const NTFY_TOKEN: &str = "tk_ntfy-SECRET-1b2c3d";
const TELEGRAM_TOKEN: &str = "123456:TELEGRAM-SECRET-abcdef";
const LINE_TOKEN: &str = "LINE-SECRET-channel-access-token";
const SMTP_PASSWORD: &str = "smtp-SECRET-password";
const LINE_USER: &str = "U0123456789abcdef0123456789abcdef";

/// The words a message of `kind` carries in `lang`: the popup's title.
fn title(kind: EventKind, lang: Lang) -> String {
    let (level, before) = match kind {
        EventKind::MaintenanceStarted => (Level::Maintenance, Level::Normal),
        _ => (Level::Normal, Level::Maintenance),
    };
    let event = Event::level_change(kind, chrono::Utc::now(), level, Some(before));
    Message::of(
        &bbwatch_core::present::relay::Outgoing::Event(Box::new(event)),
        lang,
        &chrono::Utc::now(),
    )
    .title
}

struct Run {
    child: Child,
    log: std::path::PathBuf,
    config: String,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `bbwatch watch` in `dir` with every channel at its peer, speaking `lang`.
fn start_watch(
    dir: &Path,
    sim: &FakeBitbank,
    lang: Lang,
    http: &HttpPeer,
    smtp: &SmtpPeer,
    security: SmtpSecurity,
) -> Result<Run> {
    let telegram_file = dir.join("telegram-token");
    std::fs::write(&telegram_file, format!("{TELEGRAM_TOKEN}\n"))?;
    std::fs::set_permissions(&telegram_file, std::fs::Permissions::from_mode(0o600))?;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let config = format!(
        r#"interval = "1s"
language = "{lang}"
pairs = ["btc_jpy"]
stream = false
api_url = "{api}"
public_url = "{public}"

[[channels]]
kind = "ntfy"
url = "{http}/bitbank-alerts"

[[channels]]
kind = "telegram"
url = "{http}"
to = "-1001234567890"
secret_file = "{telegram_file}"

[[channels]]
kind = "line"
url = "{http}"
to = "{LINE_USER}"

[[channels]]
kind = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
tls = "{tls}"
username = "{SMTP_USER}"
from = "bbwatch <bbwatch@example.com>"
to = ["me@example.com"]
ca_file = "{ca}"

[[channels]]
kind = "ntfy"
name = "dead"
url = "http://{dead}/nobody-listens"
"#,
        api = sim.api_url(),
        public = sim.public_url(),
        http = http.url(),
        telegram_file = telegram_file.display(),
        smtp_port = smtp.port(),
        tls = match security {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        },
        ca = smtp.ca_file().display(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, &config)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let log = dir.join("watch.log");
    let bin = target_dir().join("bbwatch");
    assert!(
        bin.is_file(),
        "{} is missing: build it first",
        bin.display()
    );
    let child = Command::new(bin)
        .args(["watch", "--json", "--config"])
        .arg(&path)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("BBWATCH_LOG", "info")
        .env("BBWATCH_SECRET_NTFY", NTFY_TOKEN)
        .env("BBWATCH_SECRET_LINE", LINE_TOKEN)
        .env("BBWATCH_SECRET_EMAIL", SMTP_PASSWORD)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
    Ok(Run { child, log, config })
}

/// One whole maintenance, told in `lang` to every channel; e-mail secured as `security`.
async fn maintenance_reaches_every_channel(lang: Lang, security: SmtpSecurity) -> Result<()> {
    let dir = scratch_dir(&format!("channels-{lang}"));
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let http = HttpPeer::start().await;
    let smtp = SmtpPeer::start(&dir, security, SMTP_PASSWORD).await?;
    let run = start_watch(&dir, &sim, lang, &http, &smtp, security)?;
    eventually(WAIT, "the first polls", || async {
        (sim.stats().requests.api > 1).then_some(())
    })
    .await?;
    sim.next_phase();
    // Started: every channel at once.
    http.wait_for(3, WAIT).await?;
    smtp.wait_for(1, WAIT).await?;
    sim.next_phase();
    // Ended: after the window in which a flap back would say nothing.
    let requests = http.wait_for(6, WAIT).await?;
    let mails = smtp.wait_for(2, WAIT).await?;

    let (started, ended) = (
        title(EventKind::MaintenanceStarted, lang),
        title(EventKind::MaintenanceEnded, lang),
    );
    // ntfy: JSON published to the server's root, the token as a bearer, maintenance urgent.
    let ntfy: Vec<_> = requests.iter().filter(|r| r.path == "/").collect();
    assert_eq!(ntfy.len(), 2, "{requests:#?}");
    for (r, words, priority) in [(ntfy[0], &started, 5), (ntfy[1], &ended, 3)] {
        let body = r.json();
        assert_eq!(r.method, "POST");
        assert_eq!(body["topic"], "bitbank-alerts");
        assert_eq!(body["title"].as_str(), Some(words.as_str()), "{body}");
        assert_eq!(body["priority"], priority);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {NTFY_TOKEN}").as_str())
        );
    }
    // Telegram: sendMessage under the bot's token, to the chat.
    let telegram: Vec<_> = requests
        .iter()
        .filter(|r| r.path == format!("/bot{TELEGRAM_TOKEN}/sendMessage"))
        .collect();
    assert_eq!(telegram.len(), 2, "{requests:#?}");
    for (r, words) in [(telegram[0], &started), (telegram[1], &ended)] {
        let body = r.json();
        assert_eq!(body["chat_id"], "-1001234567890");
        assert!(
            body["text"].as_str().unwrap().starts_with(words.as_str()),
            "{body}"
        );
    }
    // LINE: a push with the channel access token and a retry key.
    let line: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/v2/bot/message/push")
        .collect();
    assert_eq!(line.len(), 2, "{requests:#?}");
    for (r, words) in [(line[0], &started), (line[1], &ended)] {
        let body = r.json();
        assert_eq!(body["to"], LINE_USER);
        assert_eq!(body["messages"][0]["type"], "text");
        let text = body["messages"][0]["text"].as_str().unwrap();
        assert!(text.starts_with(words.as_str()), "{text}");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {LINE_TOKEN}").as_str())
        );
        assert_eq!(r.header("x-line-retry-key").map(str::len), Some(36));
    }
    // E-mail: logged in over TLS, the title as the subject.
    for (mail, words) in mails.iter().zip([&started, &ended]) {
        assert!(mail.tls, "sent in clear");
        assert_eq!(mail.login.as_deref(), Some(SMTP_USER));
        assert_eq!(mail.to, ["me@example.com"]);
        assert_eq!(mail.from, "bbwatch@example.com");
        assert_eq!(&mail.subject(), words);
        assert!(mail.text().contains("bbwatch"), "{}", mail.text());
    }

    // The dead channel: said once though two messages failed (the second after its tries,
    // which held up none of the others).
    let log = eventually(WAIT, "the dead channel's second failure", || async {
        std::fs::read_to_string(&run.log)
            .ok()
            .filter(|log| log.contains("channel dead (maintenance_ended): still failing"))
    })
    .await?;
    let said: Vec<_> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("channel dead"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    // The secrets: in no file of the configuration, in no line of the log.
    for secret in [NTFY_TOKEN, TELEGRAM_TOKEN, LINE_TOKEN, SMTP_PASSWORD] {
        assert!(!run.config.contains(secret));
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert!(!log.contains("SECRET"), "a secret in the log:\n{log}");
    drop(run);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_reaches_every_channel_in_both_languages() -> Result<()> {
    // Both at once: each waits out its own two minutes.
    let (en, ja) = tokio::join!(
        maintenance_reaches_every_channel(Lang::En, SmtpSecurity::Starttls),
        maintenance_reaches_every_channel(Lang::Ja, SmtpSecurity::Tls),
    );
    en.and(ja)
}

/// The tray app: a channel's token from the system keyring (never from the file), and a
/// channel that cannot send says so in one popup, however often it fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_app_sends_with_the_keyrings_token_and_tells_a_failing_channel_once() -> Result<()>
{
    use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
    use bbwatch_e2e::desktop::display::Desktop;
    use bbwatch_e2e::desktop::keyring::Keyring;
    use bbwatch_e2e::desktop::notifications::NotificationServer;

    let dir = scratch_dir("channels-tray");
    let desktop = Desktop::start(&dir)?;
    let keyring = Keyring::start(&desktop, &dir)?;
    keyring.store_item("channel:tg", TELEGRAM_TOKEN)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let http = HttpPeer::start().await;
    let config = format!(
        r#"interval = "1s"
language = "en"
pairs = ["btc_jpy"]

[[channels]]
kind = "telegram"
name = "tg"
url = "{url}"
to = "123"

[[channels]]
kind = "telegram"
name = "nokey"
url = "{url}"
to = "456"
on = ["monitor_started", "maintenance_started"]
"#,
        url = http.url()
    );
    let (mut env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    env.retain(|(k, _)| k != "BBWATCH_LOG");
    env.push(("BBWATCH_LOG".into(), "warn,bbwatch_sinks=info".into()));
    let mut tray = start_tray(&app_binary(), &env, &dir)?;
    eventually(WAIT, "the first polls", || async {
        (sim.stats().requests.api > 1).then_some(())
    })
    .await?;
    sim.next_phase();
    let sent = http.wait_for(1, WAIT).await?;
    assert_eq!(sent[0].path, format!("/bot{TELEGRAM_TOKEN}/sendMessage"));
    assert_eq!(sent[0].json()["chat_id"], "123");
    let told = notifications
        .first_with("bbwatch: cannot send to nokey", WAIT)
        .await?;
    assert!(
        told.body.starts_with("No bot token is set"),
        "{}",
        told.body
    );
    // Its second failure (the maintenance) says nothing more.
    eventually(WAIT, "the second failure", || async {
        std::fs::read_to_string(dir.join("app.log"))
            .ok()
            .filter(|l| l.contains("channel nokey (maintenance_started)"))
    })
    .await?;
    let log = std::fs::read_to_string(dir.join("app.log"))?;
    assert!(
        log.contains("channel nokey (maintenance_started): still failing"),
        "{log}"
    );
    assert_eq!(notifications.shown_with("cannot send to").len(), 1);
    assert_eq!(http.requests().len(), 1, "nothing sent without a token");
    assert!(!std::fs::read_to_string(&file)?.contains(TELEGRAM_TOKEN));
    assert!(!log.contains(TELEGRAM_TOKEN), "{log}");
    let _ = tray.kill();
    let _ = tray.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `bbwatch test-channels`: the test message through each channel, a line each, exit 1 when
/// one failed; by name, in the language asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_channels_sends_the_test_message_and_says_how_it_went() -> Result<()> {
    let dir = scratch_dir("channels-cli-test");
    let http = HttpPeer::start().await;
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[channels]]\nkind = \"ntfy\"\nurl = \"{url}/alerts\"\n\n\
             [[channels]]\nkind = \"line\"\nurl = \"{url}\"\nto = \"{LINE_USER}\"\n",
            url = http.url()
        ),
    )?;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))?;
    let run = |args: &[&str]| {
        Command::new(target_dir().join("bbwatch"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .env("HOME", &dir)
            .env_remove("BBWATCH_SECRET_LINE")
            .output()
    };
    let all = run(&["test-channels", "--lang", "en"])?;
    let out = String::from_utf8_lossy(&all.stdout);
    assert_eq!(all.status.code(), Some(1), "{out}");
    assert!(out.contains("ntfy: test message sent"), "{out}");
    assert!(
        out.contains("line: not sent: no channel access token is set"),
        "{out}"
    );
    let got = http.wait_for(1, WAIT).await?;
    assert_eq!(got[0].json()["title"], "bbwatch: test message");

    let one = run(&["test-channels", "ntfy", "--lang", "ja"])?;
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&one.stdout).trim(),
        "ntfy: テストメッセージを送りました"
    );
    assert_eq!(
        http.wait_for(2, WAIT).await?[1].json()["title"],
        "bbwatch: テストメッセージ"
    );
    let none = run(&["test-channels", "pager"])?;
    assert_ne!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stderr).contains("pager"));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
