//! `Server::start`, the entry point the tray app calls, in process against fake-bitbank: it
//! serves the status, streams events without a history (ids from 1, resumable within the
//! run), refuses a public address without a token, and stops promptly with a stream open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bbwatch_api::{ApiError, ApiSink, Server};
use bbwatch_core::config::{Config, HumanDuration, LocalApi};
use bbwatch_core::engine::sink::{Recorded, Sink};
use bbwatch_core::Monitor;
use fake_bitbank::{FakeBitbank, Options, Scenario};

fn local(listen: &str) -> LocalApi {
    LocalApi {
        listen: listen.parse().unwrap(),
        ..LocalApi::default()
    }
}

/// The frames read from an SSE response until one with `want` in it, within 20 s.
async fn read_until(resp: &mut reqwest::Response, want: &str) -> String {
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !text.contains(want) {
            let chunk = resp.chunk().await.unwrap().expect("the stream stays open");
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {want:?} in {text:?}"));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_apps_entry_point_serves_and_stops() {
    let sim = FakeBitbank::start(Scenario::builtin("normal").unwrap(), Options::default())
        .await
        .unwrap();
    let config = Config {
        api_url: sim.api_url().parse().unwrap(),
        public_url: sim.public_url().parse().unwrap(),
        interval: HumanDuration(Duration::from_secs(1)),
        timeout: HumanDuration(Duration::from_secs(2)),
        ..Config::default()
    };
    let (monitor, handle) = Monitor::new(config.monitor_config()).unwrap();

    // What the runtime's pipeline does, without a history: each event to the API's sink.
    let sink = ApiSink::default();
    let (to_api, mut events) = (sink.clone(), handle.events());
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            to_api.send(&Recorded { event, id: None });
        }
    });
    let server = Server::start(&local("127.0.0.1:0"), &handle, &sink, None)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(monitor.run(async move {
        let _ = stopped.await;
    }));
    let base = format!("http://{}", server.local_addr());
    let client = reqwest::Client::new();

    let mut stream = client
        .get(format!("{base}/v1/events"))
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let text = read_until(&mut stream, "monitor_started").await;
    assert!(text.contains("event: monitor_started\n"), "{text}");
    assert!(
        text.contains("id: 1\n"),
        "ids count from 1 without a history: {text}"
    );

    // Resumable within the run, from memory.
    let mut again = client
        .get(format!("{base}/v1/events?last_event_id=0"))
        .send()
        .await
        .unwrap();
    read_until(&mut again, "id: 1\n").await;

    let body = client
        .get(format!("{base}/v1/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["snapshot"]["level"], "normal");
    assert_eq!(status["exit_code"], 0);
    // What ccxt's fetch_status answers, for a ccxt bot.
    let ccxt = client
        .get(format!("{base}/v1/ccxt/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ccxt: serde_json::Value = serde_json::from_str(&ccxt).unwrap();
    assert_eq!(ccxt["status"], "ok", "{ccxt}");
    let checked =
        chrono::DateTime::parse_from_rfc3339(status["snapshot"]["checked_at"].as_str().unwrap())
            .unwrap();
    assert!(
        ccxt["updated"].as_i64().unwrap() >= checked.timestamp_millis(),
        "{ccxt} {status}"
    );
    assert!(ccxt["eta"].is_null() && ccxt["url"].is_null(), "{ccxt}");
    let history = client
        .get(format!("{base}/v1/history"))
        .send()
        .await
        .unwrap();
    assert_eq!(history.status(), 404, "history is off");

    // Stops at once, streams open or not, and frees the port.
    let addr = server.local_addr();
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stops promptly")
        .unwrap();
    assert!(tokio::net::TcpListener::bind(addr).await.is_ok());

    let refused = Server::start(&local("0.0.0.0:0"), &handle, &sink, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, ApiError::Config(_)), "{refused:?}");
    assert!(refused.to_string().contains("api.token"), "{refused}");

    let _ = stop.send(());
    run.await.unwrap();
    sim.shutdown().await;
}
