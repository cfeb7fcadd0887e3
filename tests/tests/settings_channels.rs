//! "Also send to…" in the settings window, as a person uses it: the real `bbwatch-desktop`
//! (tray and window processes) under Xvfb with its own D-Bus session and gnome-keyring, driven
//! through WebDriver. For each kind of channel: added and filled in the window, "Send a test"
//! reaches a recording server on loopback, Save writes the channel to the file and its secret
//! to the keyring only, and Remove (then Save) takes both away.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, a keyring of the test's own).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{click, js, type_into};
use bbwatch_e2e::desktop::keyring::Keyring;
use bbwatch_e2e::desktop::webdriver::{Driver, Session};
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::json;

use peer::HttpPeer;

const WAIT: Duration = Duration::from_secs(30);
const CONFIG: &str =
    "interval = \"60s\"\nlanguage = \"en\"\nstream = false\nmy_own_key = \"kept\"\n";

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

fn config_text(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_default()
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
    eventually(WAIT, "the test's answer", || async {
        let t = session.text(driver, &css).await.ok()??;
        (!t.is_empty() && t != "Sending…" && t != "Takes effect when saved").then_some(t)
    })
    .await
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
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", CONFIG);
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    eventually(WAIT, "the channels' group", || async {
        let t = session.text(&driver, "#channels-none").await.ok()??;
        (t == "No channel yet").then_some(())
    })
    .await?;

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
        let head = session
            .text(&driver, ".channel[data-index=\"0\"] .channel-name")
            .await?;
        assert_eq!(
            head.as_deref(),
            Some(kind),
            "a new channel is named after its kind"
        );
        for (key, value) in &case.fields {
            type_into(&session, &driver, &format!("c0-{key}"), value).await?;
        }
        type_into(&session, &driver, "c0-secret", case.secret).await?;
        let secret_type = js(
            &session,
            &driver,
            "return document.getElementById('c0-secret').type;",
        )
        .await?;
        assert_eq!(secret_type, json!("password"));

        // Send a test: the recording server gets it, with the token typed.
        let before = peer.requests().len();
        click(
            &session,
            &driver,
            ".channel[data-index=\"0\"] .channel-test",
        )
        .await?;
        let said = answer(&session, &driver, 0).await?;
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
            let auth = request
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone());
            assert_eq!(auth, Some(format!("Bearer {}", case.secret)), "{kind}");
        }
        if kind == "ntfy" {
            assert!(request.body.contains("bitbank-alerts"), "{}", request.body);
        }
        assert!(
            !config_text(&file).contains("[[channels]]"),
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
            channel_item(&keyring, kind)?.as_deref(),
            Some(case.secret),
            "{kind}'s secret in the keyring"
        );
        // The window says it is stored, never what it is.
        let stored = eventually(WAIT, "the secret shown as stored", || async {
            session
                .text(&driver, ".channel[data-index=\"0\"] .stored-mark")
                .await
                .ok()?
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
            ".channel[data-index=\"0\"] .channel-test",
        )
        .await?;
        assert_eq!(
            answer(&session, &driver, 0).await?,
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
            ".channel[data-index=\"0\"] .channel-remove",
        )
        .await?;
        save(&session, &driver, &file, "the channel removed", |t| {
            !t.contains("[[channels]]")
        })
        .await?;
        eventually(WAIT, "the secret deleted", || async {
            channel_item(&keyring, kind).ok()?.is_none().then_some(())
        })
        .await?;
        eprintln!("{kind}: {:?}", started.elapsed());
    }

    let log = std::fs::read_to_string(dir.join("app.log")).unwrap_or_default();
    for case in &cases {
        assert!(!log.contains(case.secret), "a secret in the log:\n{log}");
    }
    drop(session);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}

/// A recording HTTP server on loopback: every request is kept, each answered 200 `{"ok":true}`.
/// The same interface as `bbwatch_e2e::peers::HttpPeer`, which replaces it once on main.
mod peer {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    #[derive(Clone, Debug)]
    pub struct Recorded {
        pub method: String,
        pub path: String,
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    pub struct HttpPeer {
        url: String,
        seen: Arc<Mutex<Vec<Recorded>>>,
    }

    impl HttpPeer {
        pub async fn start() -> HttpPeer {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let seen = Arc::new(Mutex::new(Vec::new()));
            let record = seen.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let record = record.clone();
                    tokio::spawn(async move {
                        let (read, mut write) = stream.into_split();
                        let mut reader = BufReader::new(read);
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let mut parts = line.split_whitespace();
                        let method = parts.next().unwrap_or_default().to_owned();
                        let path = parts.next().unwrap_or_default().to_owned();
                        let mut headers = Vec::new();
                        loop {
                            let mut h = String::new();
                            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                                break;
                            }
                            let h = h.trim_end();
                            if h.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = h.split_once(':') {
                                headers.push((k.trim().to_owned(), v.trim().to_owned()));
                            }
                        }
                        let length = headers
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, v)| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        let mut body = vec![0; length];
                        let _ = reader.read_exact(&mut body).await;
                        record.lock().unwrap().push(Recorded {
                            method,
                            path,
                            headers,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                     content-length: 11\r\nconnection: close\r\n\r\n{\"ok\":true}";
                        let _ = write.write_all(reply.as_bytes()).await;
                        let _ = write.shutdown().await;
                    });
                }
            });
            HttpPeer { url, seen }
        }

        pub fn url(&self) -> String {
            self.url.clone()
        }

        pub fn requests(&self) -> Vec<Recorded> {
            self.seen.lock().unwrap().clone()
        }

        pub async fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<Recorded>> {
            let until = tokio::time::Instant::now() + timeout;
            loop {
                let seen = self.requests();
                if seen.len() >= n {
                    return Ok(seen);
                }
                if tokio::time::Instant::now() > until {
                    anyhow::bail!("{} requests after {timeout:?}, not {n}", seen.len());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
