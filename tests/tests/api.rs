//! The tray app serves the local API when its settings say so: the real `bbwatch-desktop` under
//! Xvfb with its own D-Bus session, against fake-bitbank switched by hand; the API read over
//! HTTP as a bot reads it; the switch turned off and on again in the settings window, through
//! WebDriver.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{click, js, save_disabled, type_into, wait_value};
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::webdriver::{Driver, Session};
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /v1/status` on `port`: `None` while nothing answers there.
async fn status(client: &reqwest::Client, port: u16) -> Option<Value> {
    client
        .get(format!("http://127.0.0.1:{port}/v1/status"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Wait for the window to say Saved, and for it to show the file it wrote (so that a later
/// change is made to that form, not to one a late reload then replaces).
async fn saved(session: &Session, driver: &Driver) -> Result<()> {
    eventually(WAIT, "the window to say Saved", || async {
        let t = session.text(driver, "#save-status").await.ok()??;
        (t == "Saved").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_app_serves_the_local_api_and_its_settings_switch_it() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("api");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let port = free_port();
    let config = format!(
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n\n[api]\nenabled = true\n\
         listen = \"127.0.0.1:{port}\"\n"
    );
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    let (_notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let client = reqwest::Client::new();

    // A bot reads the status, then follows the events through a maintenance.
    let normal = eventually(WAIT, "the API's status: normal", || async {
        let v = status(&client, port).await?;
        (v["snapshot"]["level"] == "normal").then_some(v)
    })
    .await?;
    assert_eq!(normal["exit_code"], 0, "{normal}");
    let mut events = client
        .get(format!("http://127.0.0.1:{port}/v1/events"))
        .send()
        .await?;
    assert_eq!(
        events.headers()["content-type"].to_str()?,
        "text/event-stream"
    );
    sim.next_phase();
    let mut seen = String::new();
    tokio::time::timeout(WAIT, async {
        while !seen.contains("event: maintenance_started") {
            match events.chunk().await {
                Ok(Some(chunk)) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no maintenance_started in {seen:?}"));
    assert!(seen.contains("\"kind\":\"maintenance_started\""), "{seen}");
    let during = status(&client, port).await.unwrap();
    assert_eq!(during["snapshot"]["level"], "maintenance", "{during}");
    assert_eq!(during["exit_code"], 11, "{during}");
    // The same state as ccxt's fetch_status answers it, for ccxt bots (docs/bots.md).
    let ccxt: Value = client
        .get(format!("http://127.0.0.1:{port}/v1/ccxt/status"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(ccxt["status"], "maintenance", "{ccxt}");
    assert!(ccxt["updated"].is_i64(), "{ccxt}");
    drop(events);

    // Off in the settings window: the port closes and the file says so.
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(
        &session,
        &driver,
        "f-api_listen",
        &format!("127.0.0.1:{port}"),
    )
    .await?;
    click(&session, &driver, "#f-api_enabled").await?;
    eventually(WAIT, "Save to be enabled", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    saved(&session, &driver).await?;
    eventually(WAIT, "the API to stop", || async {
        status(&client, port).await.is_none().then_some(())
    })
    .await?;
    let written = std::fs::read_to_string(&file)?;
    assert!(written.contains("enabled = false"), "{written}");

    // On again, elsewhere: the new address answers, the old one stays closed.
    let elsewhere = free_port();
    click(&session, &driver, "#f-api_enabled").await?;
    type_into(
        &session,
        &driver,
        "f-api_listen",
        &format!("127.0.0.1:{elsewhere}"),
    )
    .await?;
    eventually(WAIT, "Save to be enabled", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    saved(&session, &driver).await?;
    let written = std::fs::read_to_string(&file)?;
    assert!(
        written.contains(&format!("127.0.0.1:{elsewhere}")),
        "{written}"
    );
    let moved = eventually(WAIT, "the API on its new address", || async {
        status(&client, elsewhere).await
    })
    .await?;
    assert_eq!(moved["snapshot"]["level"], "maintenance", "{moved}");
    assert!(status(&client, port).await.is_none());

    // An address other machines could reach, with no token in the file: said at the field,
    // and nothing saved.
    type_into(&session, &driver, "f-api_listen", "0.0.0.0:8765").await?;
    let error = eventually(WAIT, "the address's error", || async {
        let e = bbwatch_e2e::desktop::form::field_error(&session, &driver, "api_listen").await;
        (!e.is_empty()).then_some(e)
    })
    .await?;
    assert!(error.contains("token"), "{error}");
    assert!(save_disabled(&session, &driver).await?);
    let title = js(&session, &driver, "return document.title;").await?;
    assert_eq!(title, "bbwatch — Settings");
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
