//! GMO Coin, bitFlyer and Coincheck on their own loopback hosts: each endpoint's shape in each
//! phase against the docs' samples (tests/fixtures), bad products and pairs, the hostile
//! behaviours per exchange, and scenario errors that name the phase and key.

// Test code: a failed unwrap is a failed test (clippy.toml only covers #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use fake_bitbank::{BitFlyer, Coincheck, FakeBitbank, Scenario};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GMO_STATUS: &str = include_str!("fixtures/gmocoin/public_v1_status.json");
const GMO_5201: &str = include_str!("fixtures/gmocoin/error_ERR-5201_maintenance.third-party.json");
const BF_HEALTH: &str = include_str!("fixtures/bitflyer/v1_gethealth.json");
const BF_RUNNING: &str = include_str!("fixtures/bitflyer/v1_getboardstate_running.json");
const BF_MATURED: &str = include_str!("fixtures/bitflyer/v1_getboardstate_matured.json");
const CC_STATUS: &str = include_str!("fixtures/coincheck/api_exchange_status.constructed.json");
const CC_INVALID_PAIR: &str = include_str!("fixtures/coincheck/error_invalid_pair.observed.json");

/// The constructed bad-product answer (see src/exchanges.rs).
const BF_BAD_PRODUCT: &str = r#"{"status":-156,"error_message":"Invalid product","data":null}"#;

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The structure of a JSON value: objects keep their keys, scalars become their type, arrays
/// the distinct structures of their items.
fn shape(v: &Value) -> Value {
    match v {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(n) if n.is_f64() => json!("float"),
        Value::Number(_) => json!("integer"),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut shapes: Vec<Value> = Vec::new();
            for item in items.iter().map(shape) {
                if !shapes.contains(&item) {
                    shapes.push(item);
                }
            }
            Value::Array(shapes)
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

/// A 200 JSON answer's body.
async fn ok_json(addr: SocketAddr, target: &str) -> Value {
    let r = get(addr, target).await;
    assert_eq!(r.status, 200, "{target}: {}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json"),
        "{target}"
    );
    r.json()
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// GMO's `responsetime`: RFC 3339, milliseconds, `Z`, now.
fn assert_response_time_is_now(body: &Value) {
    let t = body["responsetime"].as_str().unwrap();
    assert_eq!(t.len(), "2019-03-19T02:15:06.001Z".len(), "{t}");
    assert!(t.ends_with('Z'), "{t}");
    let at = chrono::DateTime::parse_from_rfc3339(t).unwrap();
    let off = chrono::Utc::now()
        .signed_duration_since(at)
        .num_seconds()
        .abs();
    assert!(off < 5, "{t}");
}

#[tokio::test]
async fn every_host_has_its_own_loopback_url() {
    let fake = start("normal").await;
    let addrs = [
        fake.api_addr(),
        fake.public_addr(),
        fake.stream_addr(),
        fake.gmocoin_addr(),
        fake.bitflyer_addr(),
        fake.coincheck_addr(),
    ];
    for (i, a) in addrs.iter().enumerate() {
        assert!(a.ip().is_loopback() && a.port() != 0, "{a}");
        assert!(!addrs[..i].contains(a), "{a} twice");
    }
    assert_eq!(
        fake.gmocoin_url(),
        format!("http://127.0.0.1:{}", fake.gmocoin_addr().port())
    );
    assert_eq!(
        fake.bitflyer_url(),
        format!("http://127.0.0.1:{}", fake.bitflyer_addr().port())
    );
    assert_eq!(
        fake.coincheck_url(),
        format!("http://127.0.0.1:{}", fake.coincheck_addr().port())
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn gmocoin_status_through_a_maintenance() {
    let fake = start("gmocoin-maintenance").await;
    let gmo = fake.gmocoin_addr();
    let sample = fixture(GMO_STATUS);
    for expected in ["OPEN", "MAINTENANCE", "OPEN"] {
        let body = ok_json(gmo, "/public/v1/status").await;
        assert_eq!(shape(&body), shape(&sample), "{body}");
        assert_eq!(body["status"], 0);
        assert_eq!(body["data"]["status"], expected, "{}", fake.phase().1);
        assert_response_time_is_now(&body);
        fake.next_phase();
    }
    // The normal answer is the docs' sample but for the time.
    let body = ok_json(gmo, "/public/v1/status").await;
    assert_eq!(
        without(body, "responsetime"),
        without(sample, "responsetime")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn gmocoin_errors_are_its_envelope() {
    let fake = start("gmocoin-emergency").await;
    let gmo = fake.gmocoin_addr();
    assert_eq!(
        ok_json(gmo, "/public/v1/status").await["data"]["status"],
        "OPEN"
    );
    fake.next_phase();
    let body = ok_json(gmo, "/public/v1/status").await;
    assert_eq!(
        shape(&without(body.clone(), "responsetime")),
        shape(&fixture(GMO_5201))
    );
    assert_eq!(body["status"], 5);
    assert_eq!(body["messages"][0]["message_code"], "ERR-5202");
    assert_response_time_is_now(&body);
    fake.next_phase();
    assert_eq!(
        ok_json(gmo, "/public/v1/status").await["data"]["status"],
        "OPEN"
    );
    fake.shutdown().await;

    // The scheduled one, with another HTTP status: the third-party sample plus the time.
    let fake = start_toml(
        r#"
[[phases]]
name = "scheduled"
gmocoin = { error = "ERR-5201", http_status = 503 }
"#,
    )
    .await;
    let r = get(fake.gmocoin_addr(), "/public/v1/status").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_response_time_is_now(&body);
    assert_eq!(without(body, "responsetime"), fixture(GMO_5201));
    fake.shutdown().await;
}

#[tokio::test]
async fn bitflyer_health_and_board_states_through_a_maintenance() {
    let fake = start("bitflyer-maintenance").await;
    let bf = fake.bitflyer_addr();
    assert_eq!(ok_json(bf, "/v1/gethealth").await, fixture(BF_HEALTH));
    for product in BitFlyer::PRODUCTS {
        let body = ok_json(bf, &format!("/v1/getboardstate?product_code={product}")).await;
        assert_eq!(body, fixture(BF_RUNNING), "{product}");
    }
    // bitFlyer takes product codes in any case.
    let lower = ok_json(bf, "/v1/getboardstate?product_code=fx_btc_jpy").await;
    assert_eq!(lower, fixture(BF_RUNNING));

    fake.next_phase();
    assert_eq!(
        ok_json(bf, "/v1/gethealth").await,
        json!({"status": "STOP"})
    );
    for product in BitFlyer::PRODUCTS {
        let body = ok_json(bf, &format!("/v1/getboardstate?product_code={product}")).await;
        assert_eq!(
            body,
            json!({"health": "STOP", "state": "CLOSED"}),
            "{product}"
        );
        assert_eq!(shape(&body), shape(&fixture(BF_RUNNING)));
    }

    fake.next_phase();
    assert_eq!(ok_json(bf, "/v1/gethealth").await, fixture(BF_HEALTH));
    let body = ok_json(bf, "/v1/getboardstate?product_code=BTC_JPY").await;
    assert_eq!(body, fixture(BF_RUNNING));
    fake.shutdown().await;
}

#[tokio::test]
async fn bitflyer_one_board_in_circuit_break() {
    let fake = start("bitflyer-circuit-break").await;
    fake.next_phase();
    let bf = fake.bitflyer_addr();
    assert_eq!(
        ok_json(bf, "/v1/getboardstate?product_code=BTC_JPY").await,
        json!({"health": "NORMAL", "state": "CIRCUIT BREAK"})
    );
    assert_eq!(
        ok_json(bf, "/v1/getboardstate?product_code=ETH_JPY").await,
        fixture(BF_RUNNING)
    );
    assert_eq!(ok_json(bf, "/v1/gethealth").await, fixture(BF_HEALTH));
    fake.shutdown().await;
}

#[tokio::test]
async fn bitflyer_matured_boards_and_per_board_health() {
    let fake = start_toml(
        r#"
[[phases]]
name = "sq"
bitflyer = { health = "BUSY", boards = { BTC_JPY = "MATURED", eth_btc = { state = "MATURED", special_quotation = 12 }, XRP_JPY = { health = "NO ORDER" } } }
"#,
    )
    .await;
    let bf = fake.bitflyer_addr();
    let body = ok_json(bf, "/v1/getboardstate?product_code=BTC_JPY").await;
    assert_eq!(shape(&body), shape(&fixture(BF_MATURED)));
    assert_eq!(
        body,
        json!({"health": "BUSY", "state": "MATURED", "data": {"special_quotation": 410897}})
    );
    let body = ok_json(bf, "/v1/getboardstate?product_code=ETH_BTC").await;
    assert_eq!(body["data"]["special_quotation"], 12);
    let body = ok_json(bf, "/v1/getboardstate?product_code=XRP_JPY").await;
    assert_eq!(body, json!({"health": "NO ORDER", "state": "RUNNING"}));
    assert_eq!(
        ok_json(bf, "/v1/gethealth").await,
        json!({"status": "BUSY"})
    );
    let body = ok_json(bf, "/v1/gethealth?product_code=xrp_jpy").await;
    assert_eq!(body, json!({"status": "NO ORDER"}));
    fake.shutdown().await;

    // With its default health, a MATURED board is the docs' sample exactly.
    let fake = start_toml(
        "[[phases]]\nname = \"sq\"\nbitflyer = { boards = { BTC_JPY = \"MATURED\" } }\n",
    )
    .await;
    let body = ok_json(
        fake.bitflyer_addr(),
        "/v1/getboardstate?product_code=BTC_JPY",
    )
    .await;
    assert_eq!(body, fixture(BF_MATURED));
    fake.shutdown().await;
}

#[tokio::test]
async fn bitflyer_missing_or_unknown_product_is_400() {
    let fake = start("normal").await;
    let bf = fake.bitflyer_addr();
    for target in [
        "/v1/getboardstate",
        "/v1/getboardstate?product_code=",
        "/v1/getboardstate?product_code=NOPE_JPY",
        "/v1/getboardstate?product=BTC_JPY",
        "/v1/gethealth?product_code=NOPE_JPY",
    ] {
        let r = get(bf, target).await;
        assert_eq!(r.status, 400, "{target}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.json(), fixture(BF_BAD_PRODUCT), "{target}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn coincheck_every_pair_then_one_pair() {
    let fake = start("coincheck-maintenance").await;
    let cc = fake.coincheck_addr();
    let sample = fixture(CC_STATUS);
    let body = ok_json(cc, "/api/exchange_status").await;
    assert_eq!(shape(&body), shape(&sample), "{body}");
    let list = body["exchange_status"].as_array().unwrap();
    let pairs: Vec<&str> = list.iter().map(|e| e["pair"].as_str().unwrap()).collect();
    assert_eq!(pairs, Coincheck::PAIRS);
    let now = chrono::Utc::now().timestamp();
    for e in list {
        assert_eq!(e["status"], "available", "{e}");
        assert_eq!(
            e["availability"],
            json!({"order": true, "market_order": true, "cancel": true})
        );
        assert!((e["timestamp"].as_i64().unwrap() - now).abs() < 5, "{e}");
    }
    // The sample's available entry, but for the time.
    let mut btc = list[0].clone();
    btc["timestamp"] = sample["exchange_status"][0]["timestamp"].clone();
    assert_eq!(btc, sample["exchange_status"][0]);

    fake.next_phase();
    let body = ok_json(cc, "/api/exchange_status").await;
    for e in body["exchange_status"].as_array().unwrap() {
        assert_eq!(e["status"], "stop", "{e}");
        assert_eq!(
            e["availability"],
            json!({"order": false, "market_order": false, "cancel": false})
        );
    }
    let one = ok_json(cc, "/api/exchange_status?pair=mona_jpy").await;
    let one = one["exchange_status"].as_array().unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["pair"], "mona_jpy");
    assert_eq!(one[0]["status"], "stop");
    fake.next_phase();
    let body = ok_json(cc, "/api/exchange_status").await;
    assert!(body["exchange_status"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["status"] == "available"));
    fake.shutdown().await;

    let fake = start("coincheck-pair-stop").await;
    fake.next_phase();
    let body = ok_json(fake.coincheck_addr(), "/api/exchange_status").await;
    for e in body["exchange_status"].as_array().unwrap() {
        let expected = if e["pair"] == "etc_jpy" {
            "stop"
        } else {
            "available"
        };
        assert_eq!(e["status"], expected, "{e}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn coincheck_itayose_and_given_availability_match_the_sample() {
    // The constructed sample's three entries, from a scenario.
    let fake = start_toml(
        r#"
[[phases]]
name = "mixed"
coincheck = { pairs = { etc_jpy = "itayose", mona_jpy = "stop", xrp_jpy = { status = "stop", availability = { cancel = true } } } }
"#,
    )
    .await;
    let cc = fake.coincheck_addr();
    let sample = fixture(CC_STATUS);
    for entry in sample["exchange_status"].as_array().unwrap() {
        let pair = entry["pair"].as_str().unwrap();
        let body = ok_json(cc, &format!("/api/exchange_status?pair={pair}")).await;
        let mut served = body["exchange_status"][0].clone();
        served["timestamp"] = entry["timestamp"].clone();
        assert_eq!(&served, entry, "{pair}");
    }
    let body = ok_json(cc, "/api/exchange_status?pair=xrp_jpy").await;
    assert_eq!(
        body["exchange_status"][0]["availability"],
        json!({"order": false, "market_order": false, "cancel": true})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn coincheck_unknown_pair_is_400() {
    let fake = start("normal").await;
    let cc = fake.coincheck_addr();
    for target in [
        "/api/exchange_status?pair=nope_jpy",
        "/api/exchange_status?pair=BTC_JPY",
    ] {
        let r = get(cc, target).await;
        assert_eq!(r.status, 400, "{target}");
        assert_eq!(r.json(), fixture(CC_INVALID_PAIR), "{target}");
    }
    // An empty pair is no pair.
    let body = ok_json(cc, "/api/exchange_status?pair=").await;
    assert_eq!(
        body["exchange_status"].as_array().unwrap().len(),
        Coincheck::PAIRS.len()
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_404_and_control_stays_on_the_api_host() {
    let fake = start("normal").await;
    for (addr, good) in [
        (fake.gmocoin_addr(), "/public/v1/status"),
        (fake.bitflyer_addr(), "/v1/gethealth"),
        (fake.coincheck_addr(), "/api/exchange_status"),
    ] {
        for target in [
            "/v1/spot/status",
            "/nope",
            "/_fake/stats",
            "/public/v1/statusx",
        ] {
            assert_eq!(get(addr, target).await.status, 404, "{addr}{target}");
        }
        assert_eq!(request(addr, "POST", good).await.status, 404, "POST {good}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests_per_exchange() {
    let fake = start("normal").await;
    get(fake.gmocoin_addr(), "/public/v1/status").await;
    get(fake.gmocoin_addr(), "/nope").await;
    for _ in 0..3 {
        get(fake.bitflyer_addr(), "/v1/gethealth").await;
    }
    get(fake.bitflyer_addr(), "/v1/getboardstate").await;
    get(fake.coincheck_addr(), "/api/exchange_status").await;
    get(fake.api_addr(), "/v1/spot/status").await;
    let requests = fake.stats().requests;
    assert_eq!(
        (requests.gmocoin, requests.bitflyer, requests.coincheck),
        (2, 4, 1)
    );
    assert_eq!((requests.api, requests.public), (1, 0));
    let over_http = get(fake.api_addr(), "/_fake/stats").await.json();
    assert_eq!(over_http["requests"]["gmocoin"], 2);
    assert_eq!(over_http["requests"]["bitflyer"], 4);
    assert_eq!(over_http["requests"]["coincheck"], 1);
    // Older stats (without these counters) still deserialise.
    let mut old = over_http.clone();
    for key in ["gmocoin", "bitflyer", "coincheck"] {
        old["requests"].as_object_mut().unwrap().remove(key);
    }
    let old: fake_bitbank::Stats = serde_json::from_value(old).unwrap();
    assert_eq!(old.requests.gmocoin, 0);
    fake.shutdown().await;
}

/// The three exchanges: scenario key, address and a normal request's target.
fn exchanges(fake: &FakeBitbank) -> [(&'static str, SocketAddr, &'static str); 3] {
    [
        ("gmocoin", fake.gmocoin_addr(), "/public/v1/status"),
        (
            "bitflyer",
            fake.bitflyer_addr(),
            "/v1/getboardstate?product_code=BTC_JPY",
        ),
        ("coincheck", fake.coincheck_addr(), "/api/exchange_status"),
    ]
}

/// Sends a GET and reads up to `limit` bytes or until `wait` passes, whichever first.
async fn read_some(addr: SocketAddr, target: &str, limit: usize, wait: Duration) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    while out.len() < limit {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => panic!("{target}: {e}"),
        }
    }
    out
}

async fn connect_refused(addr: SocketAddr) -> bool {
    matches!(
        TcpStream::connect(addr).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// The fault matrix, on each exchange: one phase per behaviour, every exchange in it at once.
#[tokio::test]
async fn hostile_behaviours_on_every_exchange() {
    let behaviours = [
        ("html", "{ html = 503 }"),
        ("truncated", "\"truncated\""),
        ("rate-limit", "{ rate_limit = 7 }"),
        (
            "rate-limit-raw",
            "{ rate_limit = \"99999999999999999999\" }",
        ),
        ("wrong-shape", "{ behavior = \"wrong_shape\" }"),
        ("drop", "\"drop\""),
        ("refuse", "\"refuse\""),
        ("slow", "{ slow = \"300ms\" }"),
        ("redirect", "{ redirect = \"http://127.0.0.1:9/x\" }"),
        ("huge", "{ huge = 300000 }"),
        ("gzip-bomb", "\"gzip_bomb\""),
        ("endless", "{ behavior = \"endless\" }"),
        ("stall", "\"stall\""),
    ];
    let mut text = String::new();
    for (name, value) in behaviours {
        text.push_str(&format!(
            "[[phases]]\nname = \"{name}\"\nduration = \"1h\"\ngmocoin = {value}\nbitflyer = {value}\ncoincheck = {value}\n"
        ));
    }
    text.push_str("[[phases]]\nname = \"recovered\"\n");
    let fake = start_toml(&text).await;
    let hosts = exchanges(&fake);

    for (name, _) in behaviours {
        assert_eq!(fake.phase().1, name);
        // bitbank is not affected by the other exchanges' faults.
        get(fake.api_addr(), "/v1/spot/status").await.data();
        for (exchange, addr, target) in hosts {
            let at = format!("{name} on {exchange}");
            match name {
                "html" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 503, "{at}");
                    assert_eq!(r.header("content-type"), Some("text/html"), "{at}");
                    assert!(r.text().contains("503 ERROR"), "{at}");
                }
                "truncated" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 200, "{at}");
                    assert!(!r.body.is_empty(), "{at}");
                    assert!(
                        serde_json::from_slice::<Value>(&r.body).is_err(),
                        "{at}: {}",
                        r.text()
                    );
                }
                "rate-limit" | "rate-limit-raw" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 429, "{at}");
                    let expected = if name == "rate-limit" {
                        "7"
                    } else {
                        "99999999999999999999"
                    };
                    assert_eq!(r.header("retry-after"), Some(expected), "{at}");
                    assert!(r.json().is_object(), "{at}");
                }
                "wrong-shape" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 200, "{at}");
                    let body = r.json();
                    for key in ["data", "state", "exchange_status"] {
                        assert!(body.get(key).is_none(), "{at}: {body}");
                    }
                }
                "drop" => match raw(addr, "GET", target).await {
                    Ok(bytes) => assert!(bytes.is_empty(), "{at}"),
                    Err(e) => {
                        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{at}: {e}")
                    }
                },
                "refuse" => {
                    let deadline = Instant::now() + Duration::from_secs(2);
                    while !connect_refused(addr).await {
                        assert!(Instant::now() < deadline, "{at}: still accepting");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                "slow" => {
                    let started = Instant::now();
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 200, "{at}");
                    assert!(started.elapsed() >= Duration::from_millis(300), "{at}");
                }
                "redirect" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.status, 302, "{at}");
                    assert_eq!(r.header("location"), Some("http://127.0.0.1:9/x"), "{at}");
                }
                "huge" => {
                    let bytes = raw(addr, "GET", target).await.unwrap();
                    let text = String::from_utf8(bytes).unwrap();
                    let (head, body) = text.split_once("\r\n\r\n").unwrap();
                    assert!(
                        !head.to_ascii_lowercase().contains("content-length"),
                        "{at}"
                    );
                    assert_eq!(body.len(), 300_000, "{at}");
                    serde_json::from_str::<Value>(body).unwrap();
                }
                "gzip-bomb" => {
                    let r = get(addr, target).await;
                    assert_eq!(r.header("content-encoding"), Some("gzip"), "{at}");
                    assert_eq!(&r.body[..2], &[0x1f, 0x8b], "{at}");
                }
                "endless" => {
                    let bytes = read_some(addr, target, 1 << 20, Duration::from_secs(5)).await;
                    assert!(bytes.len() >= 1 << 20, "{at}: only {} bytes", bytes.len());
                    let text = String::from_utf8_lossy(&bytes[..200]);
                    let body = text.split_once("\r\n\r\n").unwrap().1;
                    let first_key = ["\"status\"", "\"health\"", "\"exchange_status\""];
                    assert!(
                        first_key
                            .iter()
                            .any(|k| body.starts_with(&format!("{{{k}"))),
                        "{at}: {body}"
                    );
                }
                "stall" => {
                    let bytes = read_some(addr, target, 1 << 20, Duration::from_millis(300)).await;
                    let text = String::from_utf8_lossy(&bytes);
                    let (head, body) = text.split_once("\r\n\r\n").unwrap();
                    let declared: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!(body.len() < declared, "{at}: {text}");
                }
                other => unreachable!("{other}"),
            }
        }
        fake.next_phase();
    }
    // Refused ports re-open on the same address; every exchange answers again.
    for (exchange, addr, target) in hosts {
        assert_eq!(get(addr, target).await.status, 200, "{exchange}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn behaviours_combine_with_the_exchanges_states() {
    let fake = start_toml(
        r#"
[[phases]]
name = "mixed"
duration = "1h"
gmocoin = { status = "MAINTENANCE", slow = "200ms" }
bitflyer = { health = "STOP", behavior = "truncated" }
coincheck = "refuse"
[[phases]]
name = "up"
"#,
    )
    .await;
    // A first phase can refuse.
    assert!(connect_refused(fake.coincheck_addr()).await);
    let started = Instant::now();
    let body = ok_json(fake.gmocoin_addr(), "/public/v1/status").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(body["data"]["status"], "MAINTENANCE");
    let r = get(fake.bitflyer_addr(), "/v1/gethealth").await;
    // Half of `{"status":"STOP"}`.
    assert_eq!(r.body, br#"{"status"#);
    fake.next_phase();
    ok_json(fake.coincheck_addr(), "/api/exchange_status").await;
    fake.shutdown().await;
}

fn parse_error(body: &str) -> String {
    match Scenario::from_toml(&format!("[[phases]]\nname = \"p\"\n{body}\n")) {
        Ok(s) => panic!("{body}: parsed as {:?}", s.phases()[0]),
        Err(e) => e.to_string(),
    }
}

#[test]
fn scenario_errors_name_the_phase_and_key() {
    let cases: &[(&str, &[&str])] = &[
        ("gmocoin = 3", &["`gmocoin`", "integer", "status, error"]),
        ("gmocoin = \"sideways\"", &["`gmocoin`", "sideways"]),
        (
            "gmocoin = { stauts = \"OPEN\" }",
            &["`gmocoin.stauts`", "unknown key"],
        ),
        ("gmocoin = { status = 1 }", &["`gmocoin.status`", "string"]),
        (
            "gmocoin = { status = \"\" }",
            &["`gmocoin.status`", "empty"],
        ),
        ("gmocoin = { error = 5202 }", &["`gmocoin.error`", "string"]),
        (
            "gmocoin = { status = \"OPEN\", error = \"ERR-5201\" }",
            &["`gmocoin`", "conflicting"],
        ),
        (
            "gmocoin = { http_status = 503 }",
            &["`gmocoin.http_status`", "error"],
        ),
        (
            "gmocoin = { message = \"m\" }",
            &["`gmocoin.message`", "error"],
        ),
        (
            "gmocoin = { error = \"ERR-5201\", http_status = 700 }",
            &["`gmocoin.http_status`", "700"],
        ),
        ("gmocoin = { html = 99 }", &["`gmocoin.html`"]),
        (
            "gmocoin = { html = 503, behavior = \"drop\" }",
            &["`gmocoin`", "conflicting"],
        ),
        (
            "gmocoin = { html = 503, slow = \"1s\" }",
            &["`gmocoin`", "conflicting"],
        ),
        (
            "gmocoin = { behavior = { error = 10007 } }",
            &["`gmocoin.behavior.error`"],
        ),
        (
            "gmocoin = { behavior = \"slow\" }",
            &["`gmocoin.behavior`", "slow"],
        ),
        (
            "gmocoin = { behavior = {} }",
            &["`gmocoin.behavior`", "empty"],
        ),
        ("gmocoin = { slow = \"soon\" }", &["`gmocoin.slow`", "soon"]),
        ("gmocoin = { rate_limit = -1 }", &["`gmocoin.rate_limit`"]),
        ("bitflyer = [1]", &["`bitflyer`", "array"]),
        ("bitflyer = { helth = \"STOP\" }", &["`bitflyer.helth`"]),
        (
            "bitflyer = { health = true }",
            &["`bitflyer.health`", "string"],
        ),
        (
            "bitflyer = { state = \"\" }",
            &["`bitflyer.state`", "empty"],
        ),
        (
            "bitflyer = { boards = \"CLOSED\" }",
            &["`bitflyer.boards`", "table"],
        ),
        (
            "bitflyer = { boards = { NOPE = \"CLOSED\" } }",
            &["`bitflyer.boards.NOPE`", "BTC_JPY"],
        ),
        (
            "bitflyer = { boards = { BTC_JPY = 1 } }",
            &["`bitflyer.boards.BTC_JPY`", "integer"],
        ),
        (
            "bitflyer = { boards = { BTC_JPY = {} } }",
            &["`bitflyer.boards.BTC_JPY`", "empty"],
        ),
        (
            "bitflyer = { boards = { BTC_JPY = { stat = \"X\" } } }",
            &["`bitflyer.boards.BTC_JPY.stat`"],
        ),
        (
            "bitflyer = { boards = { BTC_JPY = { state = \"MATURED\", special_quotation = -1 } } }",
            &["`bitflyer.boards.BTC_JPY.special_quotation`"],
        ),
        (
            "bitflyer = { boards = { BTC_JPY = \"CLOSED\", btc_jpy = \"RUNNING\" } }",
            &["twice"],
        ),
        (
            "bitflyer = { behavior = \"wrong\" }",
            &["`bitflyer.behavior`", "wrong"],
        ),
        ("coincheck = { status = 1 }", &["`coincheck.status`"]),
        (
            "coincheck = { pairs = { nope_jpy = \"stop\" } }",
            &["`coincheck.pairs.nope_jpy`", "btc_jpy"],
        ),
        (
            "coincheck = { pairs = { BTC_JPY = \"stop\" } }",
            &["`coincheck.pairs.BTC_JPY`"],
        ),
        (
            "coincheck = { pairs = { btc_jpy = [] } }",
            &["`coincheck.pairs.btc_jpy`", "array"],
        ),
        (
            "coincheck = { pairs = { btc_jpy = {} } }",
            &["`coincheck.pairs.btc_jpy`", "empty"],
        ),
        (
            "coincheck = { pairs = { btc_jpy = { stats = \"stop\" } } }",
            &["`coincheck.pairs.btc_jpy.stats`"],
        ),
        (
            "coincheck = { availability = { order = \"no\" } }",
            &["`coincheck.availability.order`", "true or false"],
        ),
        (
            "coincheck = { availability = { buy = false } }",
            &["`coincheck.availability.buy`"],
        ),
        (
            "coincheck = { pairs = { btc_jpy = { availability = { cancel = 1 } } } }",
            &["`coincheck.pairs.btc_jpy.availability.cancel`"],
        ),
        (
            "coincheck = { availability = true }",
            &["`coincheck.availability`", "table"],
        ),
        ("coincheck = { huge = \"big\" }", &["`coincheck.huge`"]),
    ];
    for (line, needles) in cases {
        let e = parse_error(line);
        assert!(e.contains("\"p\""), "{line}: {e} does not name the phase");
        for needle in *needles {
            assert!(e.contains(needle), "{line}: {e:?} lacks {needle}");
        }
    }
}

/// Every key with every kind of TOML value: an error or a phase, never a panic.
#[test]
fn no_value_makes_the_parser_panic() {
    let values = [
        "1",
        "-1",
        "1.5",
        "true",
        "\"\"",
        "\"x\"",
        "[]",
        "[1]",
        "{}",
        "{ a = 1 }",
        "1979-05-27",
    ];
    let keys = [
        "gmocoin",
        "bitflyer",
        "coincheck",
        "gmocoin.status",
        "gmocoin.error",
        "gmocoin.message",
        "gmocoin.http_status",
        "gmocoin.behavior",
        "gmocoin.html",
        "gmocoin.rate_limit",
        "gmocoin.slow",
        "gmocoin.huge",
        "gmocoin.redirect",
        "bitflyer.health",
        "bitflyer.state",
        "bitflyer.boards",
        "bitflyer.boards.BTC_JPY",
        "bitflyer.boards.BTC_JPY.state",
        "bitflyer.boards.BTC_JPY.special_quotation",
        "coincheck.status",
        "coincheck.pairs",
        "coincheck.pairs.btc_jpy",
        "coincheck.pairs.btc_jpy.availability",
        "coincheck.availability",
        "coincheck.availability.order",
        "coincheck.behavior",
    ];
    for key in keys {
        for value in values {
            let text = format!("[[phases]]\nname = \"p\"\n{key} = {value}\n");
            let _ = Scenario::from_toml(&text);
        }
    }
}
