//! `bbwatch serve` end to end with GMO Coin watched beside bitbank (`[exchanges.gmocoin]`
//! aimed at fake-bitbank's GMO Coin, playing `gmocoin-maintenance`): `/v1/status?exchange=`
//! shows GMO Coin's maintenance, `/v1/events?exchange=gmocoin` streams its events alone,
//! `/v1/history?exchange=gmocoin` lists its maintenance with its exchange, and `/metrics`
//! labels each exchange's level. Every connection goes to 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{empty_dir, write_private, Homes as _, Sim};

const WAIT: Duration = Duration::from_secs(40);

/// A running `bbwatch serve`, killed when dropped.
struct Serve {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The status code and JSON body of `GET url`.
fn get(sim: &Sim, url: &str) -> (u16, Value) {
    sim.rt.block_on(async {
        let resp = client().get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        (status, json)
    })
}

fn get_text(sim: &Sim, url: &str) -> String {
    sim.rt.block_on(async {
        client()
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}

/// GET `url` until `done` holds for its JSON, within [`WAIT`].
fn until(sim: &Sim, url: &str, done: impl Fn(u16, &Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (code, json) = get(sim, url);
        if done(code, &json) {
            return json;
        }
        assert!(
            Instant::now() < deadline,
            "{url}: never as wanted: {code} {json}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn gmo_coins_maintenance_through_status_events_history_and_metrics() {
    let sim = Sim::start("gmocoin-maintenance");
    let data = empty_dir();
    let config = empty_dir().join("config.toml");
    write_private(
        &config,
        &format!(
            "[exchanges.gmocoin]\nurl = \"{}\"\n",
            sim.server.gmocoin_url()
        ),
    );
    let mut cmd = sim.bbwatch(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy",
        "--config",
        config.to_str().unwrap(),
    ]);
    cmd.data_home(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let pipe = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if let Some(addr) = line.strip_prefix("bbwatch: listening on http://") {
                let _ = tx.send(addr.parse::<SocketAddr>().unwrap());
            }
        }
    });
    let bound = rx
        .recv_timeout(WAIT)
        .expect("bbwatch serve said where it listens");
    let serve = Serve {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], bound.port())),
    };

    // GMO Coin's events alone, from the first one recorded.
    let events_url = serve.url("/v1/events?exchange=gmocoin&last_event_id=0");
    let (frames_tx, frames) = mpsc::channel::<String>();
    let handle = sim.rt.handle().clone();
    std::thread::spawn(move || {
        handle.block_on(async move {
            let mut resp = reqwest::Client::new().get(events_url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            while let Ok(Some(chunk)) = resp.chunk().await {
                if frames_tx
                    .send(String::from_utf8_lossy(&chunk).into_owned())
                    .is_err()
                {
                    return;
                }
            }
        });
    });

    let gmo = until(
        &sim,
        &serve.url("/v1/status?exchange=gmocoin"),
        |code, j| code == 200 && j["snapshot"]["level"] == "maintenance",
    );
    assert_eq!(gmo["exit_code"], 11, "{gmo}");
    assert_eq!(gmo["snapshot"]["exchange"], "gmocoin", "{gmo}");
    let metrics = get_text(&sim, &serve.url("/metrics"));
    for line in [
        "bbwatch_level{exchange=\"gmocoin\",level=\"maintenance\"} 1",
        "bbwatch_level{exchange=\"bitbank\",level=\"normal\"} 1",
        "bbwatch_status_exit_code{exchange=\"gmocoin\"} 11",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
    let (code, all) = get(&sim, &serve.url("/v1/status"));
    assert_eq!(code, 200);
    assert_eq!(all["snapshot"]["exchange"], "bitbank", "{all}");
    assert_eq!(all["exit_code"], 0, "bitbank's: {all}");
    let listed: Vec<&str> = all["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["exchange"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["bitbank", "gmocoin"], "{all}");
    let (code, err) = get(&sim, &serve.url("/v1/status?exchange=coincheck"));
    assert_eq!(code, 404, "{err}");
    let (code, err) = get(&sim, &serve.url("/v1/status?exchange=kraken"));
    assert_eq!(code, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("kraken"), "{err}");

    // Recovered: the maintenance is recorded as GMO Coin's period.
    let periods = until(
        &sim,
        &serve.url("/v1/history?exchange=gmocoin&kind=maintenance"),
        |code, j| {
            code == 200
                && j.as_array()
                    .is_some_and(|a| a.iter().any(|p| p["ended"] == "at"))
        },
    );
    let periods = periods.as_array().unwrap();
    assert_eq!(periods.len(), 1, "{periods:#?}");
    assert_eq!(periods[0]["exchange"], "gmocoin");
    assert_eq!(periods[0]["kind"], "maintenance");
    assert!(
        periods[0]["duration_secs"].as_u64().unwrap() >= 3,
        "{periods:#?}"
    );
    let (code, bitbank) = get(&sim, &serve.url("/v1/history?exchange=bitbank"));
    assert_eq!(code, 200);
    assert_eq!(bitbank, Value::Array(vec![]), "bitbank had none");
    let (code, events) = get(&sim, &serve.url("/v1/history?events=true&exchange=bitbank"));
    assert_eq!(code, 200);
    let events = events.as_array().unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["exchange"] == "bitbank"),
        "{events:#?}"
    );

    // The stream told GMO Coin's maintenance, start and end, and nothing of bitbank's.
    let mut text = String::new();
    let deadline = Instant::now() + WAIT;
    while !text.contains("event: maintenance_ended") {
        let left = deadline.saturating_duration_since(Instant::now());
        match frames.recv_timeout(left) {
            Ok(frame) => text.push_str(&frame),
            Err(_) => panic!("no maintenance_ended in {text:?}"),
        }
    }
    assert!(text.contains("event: maintenance_started"), "{text}");
    let data_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("data: ")).collect();
    assert!(
        data_lines
            .iter()
            .all(|l| l.contains("\"exchange\":\"gmocoin\"")),
        "{text}"
    );
    drop(serve);
}
