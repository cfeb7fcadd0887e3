//! The API with another exchange watched beside bitbank, in process against fake-bitbank's
//! GMO Coin: `/v1/status` lists both and answers `?exchange=`, `/v1/events?exchange=` streams
//! that exchange's events alone, `/metrics` labels each series by exchange.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use bbwatch_api::{ApiSink, Server};
use bbwatch_core::config::exchanges::GmoCoinSettings;
use bbwatch_core::config::{Config, HumanDuration, LocalApi};
use bbwatch_core::engine::sink::{Recorded, Sink};
use bbwatch_core::exchanges::gmocoin::GmoCoin;
use bbwatch_core::exchanges::Rest;
use bbwatch_core::Monitor;
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::Value;

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = client.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_exchange_is_listed_asked_for_streamed_and_labelled() {
    let sim = FakeBitbank::start(
        Scenario::builtin("gmocoin-maintenance").unwrap(),
        Options::default(),
    )
    .await
    .unwrap();
    let mut config = Config {
        api_url: sim.api_url().parse().unwrap(),
        public_url: sim.public_url().parse().unwrap(),
        interval: HumanDuration(Duration::from_secs(1)),
        timeout: HumanDuration(Duration::from_secs(2)),
        ..Config::default()
    };
    config.exchanges.gmocoin = Some(GmoCoinSettings {
        url: sim.gmocoin_url().parse().unwrap(),
        ..GmoCoinSettings::default()
    });
    let (monitor, handle) = Monitor::new(config.monitor_config()).unwrap();
    let gmo_config = config.gmocoin_monitor().unwrap();
    let source = Rest::<GmoCoin>::new(gmo_config.source.clone()).unwrap();
    let (gmo, _) = handle.join(source, gmo_config, None).unwrap();

    let sink = ApiSink::default();
    let (to_api, mut events) = (sink.clone(), handle.events());
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            to_api.send(&Recorded { event, id: None });
        }
    });
    let api = LocalApi {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..LocalApi::default()
    };
    let server = Server::start(&api, &handle, &sink, None).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let runs = [
        tokio::spawn(monitor.run(until_stopped(stopped.clone()))),
        tokio::spawn(gmo.run(until_stopped(stopped.clone()))),
    ];
    let base = format!("http://{}", server.local_addr());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Every event from the first, GMO Coin's alone.
    let mut stream = client
        .get(format!("{base}/v1/events?exchange=gmocoin&last_event_id=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    // GMO Coin's maintenance, as /v1/status?exchange=gmocoin says it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let gmo_status = loop {
        let (code, json) = get(&client, &format!("{base}/v1/status?exchange=GMOcoin")).await;
        if code == 200 && json["snapshot"]["level"] == "maintenance" {
            break json;
        }
        assert!(
            Instant::now() < deadline,
            "never in maintenance: {code} {json}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(gmo_status["exit_code"], 11);
    assert_eq!(gmo_status["snapshot"]["exchange"], "gmocoin");
    assert!(gmo_status.get("exchanges").is_none(), "{gmo_status}");

    let (code, all) = get(&client, &format!("{base}/v1/status")).await;
    assert_eq!(code, 200);
    assert_eq!(all["snapshot"]["exchange"], "bitbank");
    assert_eq!(all["exit_code"], 0, "bitbank's, as before: {all}");
    let listed: Vec<&str> = all["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["exchange"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["bitbank", "gmocoin"]);
    assert_eq!(all["exchanges"][1]["level"], "maintenance");
    let (code, bitbank) = get(&client, &format!("{base}/v1/status?exchange=bitbank")).await;
    assert_eq!(
        (code, &bitbank["snapshot"]["level"]),
        (200, &Value::from("normal"))
    );

    let (code, err) = get(&client, &format!("{base}/v1/status?exchange=bitflyer")).await;
    assert_eq!(code, 404, "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("bitflyer is not watched"),
        "{err}"
    );
    let (code, err) = get(&client, &format!("{base}/v1/status?exchange=binance")).await;
    assert_eq!(code, 400, "{err}");
    assert!(
        err["error"].as_str().unwrap().starts_with("exchange: "),
        "{err}"
    );
    let (code, _) = get(
        &client,
        &format!("{base}/v1/status?exchange=bitbank,gmocoin"),
    )
    .await;
    assert_eq!(code, 400);
    let (code, err) = get(&client, &format!("{base}/v1/status?exchnage=gmocoin")).await;
    assert_eq!(code, 400, "{err}");
    let (code, _) = get(&client, &format!("{base}/v1/events?exchange=nope")).await;
    assert_eq!(code, 400);

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "bbwatch_level{exchange=\"gmocoin\",level=\"maintenance\"} 1",
        "bbwatch_level{exchange=\"bitbank\",level=\"normal\"} 1",
        "bbwatch_status_exit_code{exchange=\"gmocoin\"} 11",
        "bbwatch_status_exit_code{exchange=\"bitbank\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }

    // The stream: GMO Coin's events, none of bitbank's.
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !text.contains("event: maintenance_started") {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no maintenance_started in {text:?}"));
    assert!(text.contains("event: monitor_started"), "{text}");
    let data: Vec<&str> = text.lines().filter(|l| l.starts_with("data: ")).collect();
    assert!(!data.is_empty());
    assert!(
        data.iter().all(|l| l.contains("\"exchange\":\"gmocoin\"")),
        "{text}"
    );

    server.stop().await.unwrap();
    let _ = stop.send(true);
    for run in runs {
        run.await.unwrap();
    }
    sim.shutdown().await;
}
