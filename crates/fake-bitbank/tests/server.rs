//! The server on port 0, spoken to with a raw TCP client. No test sleeps for long: phases are
//! switched with `next_phase` or compressed with `speed`.

// Test code: a failed unwrap is a failed test (clippy.toml only covers #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::Value;
use tokio::net::TcpStream;

/// Every field of docs-samples/v1_spot_pairs.json, plus `quote_asset` (listed in the docs table).
const PAIR_FIELDS: &[&str] = &[
    "name",
    "base_asset",
    "quote_asset",
    "maker_fee_rate_base",
    "taker_fee_rate_base",
    "maker_fee_rate_quote",
    "taker_fee_rate_quote",
    "margin_open_maker_fee_rate_quote",
    "margin_open_taker_fee_rate_quote",
    "margin_close_maker_fee_rate_quote",
    "margin_close_taker_fee_rate_quote",
    "margin_long_interest",
    "margin_short_interest",
    "margin_current_individual_ratio",
    "margin_current_individual_until",
    "margin_current_company_ratio",
    "margin_current_company_until",
    "margin_next_individual_ratio",
    "margin_next_individual_until",
    "margin_next_company_ratio",
    "margin_next_company_until",
    "unit_amount",
    "limit_max_amount",
    "market_max_amount",
    "market_allowance_rate",
    "price_digits",
    "amount_digits",
    "is_enabled",
    "stop_order",
    "stop_order_and_cancel",
    "stop_market_order",
    "stop_stop_order",
    "stop_stop_limit_order",
    "stop_margin_long_order",
    "stop_margin_short_order",
    "stop_buy_order",
    "stop_sell_order",
];

/// The flags constructed/v1_spot_pairs_suspended_pair.json shows as true.
const SUSPENDED_TRUE: &[&str] = &[
    "stop_order",
    "stop_market_order",
    "stop_stop_order",
    "stop_stop_limit_order",
    "stop_buy_order",
    "stop_sell_order",
];
const SUSPENDED_FALSE: &[&str] = &[
    "stop_order_and_cancel",
    "stop_margin_long_order",
    "stop_margin_short_order",
];

const NOT_FOUND_BODY: &str = r#"{"success":0,"data":{"code":10000}}"#;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn assert_suspended(pair: &Value) {
    assert_eq!(pair["is_enabled"], true, "{pair}");
    for f in SUSPENDED_TRUE {
        assert_eq!(pair[f], true, "{f} in {pair}");
    }
    for f in SUSPENDED_FALSE {
        assert_eq!(pair[f], false, "{f} in {pair}");
    }
}

fn assert_unrestricted(pair: &Value) {
    assert_eq!(pair["is_enabled"], true, "{pair}");
    for f in SUSPENDED_TRUE.iter().chain(SUSPENDED_FALSE) {
        assert_eq!(pair[f], false, "{f} in {pair}");
    }
}

#[tokio::test]
async fn urls_point_at_loopback_ports() {
    let fake = start("normal").await;
    assert_eq!(
        fake.api_url(),
        format!("http://127.0.0.1:{}/v1", fake.api_addr().port())
    );
    assert_eq!(
        fake.public_url(),
        format!("http://127.0.0.1:{}", fake.public_addr().port())
    );
    assert_ne!(fake.api_addr().port(), 0);
    assert_ne!(fake.api_addr(), fake.public_addr());
    assert!(fake.api_addr().ip().is_loopback());
    fake.shutdown().await;
}

/// What a ccxt-based bot in dry-run reads besides tickers: today's candles and a book.
#[tokio::test]
async fn candles_and_books_are_served_on_the_public_host() {
    let fake = start("normal").await;
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    let data = get(
        fake.public_addr(),
        &format!("/btc_jpy/candlestick/1min/{today}"),
    )
    .await
    .data();
    let ohlcv = data["candlestick"][0]["ohlcv"].as_array().unwrap();
    assert!(!ohlcv.is_empty());
    let newest = ohlcv.last().unwrap()[5].as_i64().unwrap();
    assert!(
        chrono::Utc::now().timestamp_millis() - newest < 61_000,
        "{newest}"
    );
    let book = get(fake.public_addr(), "/xrp_jpy/depth").await.data();
    assert!(!book["asks"].as_array().unwrap().is_empty());
    assert!(!book["bids"].as_array().unwrap().is_empty());
    for path in [
        "/btc_jpy/candlestick/1min/2026",
        "/btc_jpy/candlestick/3min/20261207",
        "/nope_jpy/candlestick/1min/20261207",
        "/nope_jpy/depth",
    ] {
        assert_eq!(get(fake.public_addr(), path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn spot_status_lists_every_pair() {
    let fake = start("normal").await;
    let data = get(fake.api_addr(), "/v1/spot/status?ignored=1")
        .await
        .data();
    let statuses = data["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), fake_bitbank::market::pairs().len());
    for s in statuses {
        assert_eq!(s["status"], "NORMAL", "{s}");
        assert!(s["min_amount"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    }
    assert_eq!(status_of(&data, "btc_jpy")["min_amount"], "0.0001");
    // Delisted pairs read NORMAL here: the flags in spot/pairs are what show them.
    assert_eq!(status_of(&data, "mkr_jpy")["status"], "NORMAL");
    fake.shutdown().await;
}

#[tokio::test]
async fn spot_pairs_has_every_field_and_delisted_pairs_are_suspended() {
    let fake = start("normal").await;
    let data = get(fake.api_addr(), "/v1/spot/pairs").await.data();
    let pairs = data["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), fake_bitbank::market::pairs().len());
    for p in pairs {
        let obj = p.as_object().unwrap();
        for f in PAIR_FIELDS {
            assert!(obj.contains_key(*f), "{f} missing in {p}");
        }
        assert_eq!(obj.len(), PAIR_FIELDS.len(), "{p}");
    }
    let btc = pair_of(&data, "btc_jpy");
    assert_eq!(btc["base_asset"], "btc");
    assert_eq!(btc["quote_asset"], "jpy");
    assert_eq!(btc["unit_amount"], "0.0001");
    assert!(btc["price_digits"].is_u64());
    assert_unrestricted(&btc);
    for market_pair in fake_bitbank::market::pairs() {
        let p = pair_of(&data, &market_pair.symbol);
        if market_pair.delisted {
            assert_suspended(&p);
        } else {
            assert_unrestricted(&p);
        }
    }
    assert_suspended(&pair_of(&data, "mkr_jpy"));
    assert_suspended(&pair_of(&data, "xrp_btc"));
    fake.shutdown().await;
}

#[tokio::test]
async fn public_endpoints_serve_plausible_market_data() {
    let fake = start("normal").await;
    let public = fake.public_addr();
    let before = now_ms();
    let t = get(public, "/btc_jpy/ticker").await.data();
    for f in ["sell", "buy", "high", "low", "open", "last", "vol"] {
        let v: f64 = t[f].as_str().unwrap().parse().unwrap();
        assert!(v > 0.0, "{f} in {t}");
    }
    let (sell, buy): (f64, f64) = (
        t["sell"].as_str().unwrap().parse().unwrap(),
        t["buy"].as_str().unwrap().parse().unwrap(),
    );
    assert!(sell > buy);
    assert!(t["timestamp"].as_i64().unwrap() >= before);

    let all = get(public, "/tickers").await.data();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), fake_bitbank::market::pairs().len());
    let mkr = all.iter().find(|t| t["pair"] == "mkr_jpy").unwrap();
    assert!(mkr["sell"].is_null() && mkr["buy"].is_null(), "{mkr}");
    let jpy = get(public, "/tickers_jpy").await.data();
    let jpy = jpy.as_array().unwrap();
    assert!(!jpy.is_empty() && jpy.len() < all.len());
    assert!(jpy
        .iter()
        .all(|t| t["pair"].as_str().unwrap().ends_with("_jpy")));

    let cb = get(public, "/xrp_jpy/circuit_break_info").await.data();
    assert_eq!(cb["mode"], "NONE");
    assert!(cb["reopen_timestamp"].is_null());
    assert!(cb["estimated_itayose_price"].is_null());
    assert!(cb["upper_trigger_price"].is_string());
    assert_eq!(cb["fee_type"], "NORMAL");
    let ts = cb["timestamp"].as_i64().unwrap();
    assert!(ts >= before && ts <= now_ms());
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_pairs_are_404_on_both_hosts() {
    let fake = start("normal").await;
    for (addr, path) in [
        (fake.api_addr(), "/v1/nope"),
        (fake.api_addr(), "/"),
        (fake.api_addr(), "/v1/spot/status/extra"),
        (fake.public_addr(), "/nope_jpy/ticker"),
        (fake.public_addr(), "/nope_jpy/circuit_break_info"),
        (fake.public_addr(), "/btc_jpy/nope"),
        (fake.public_addr(), "/v1/spot/status"),
        (fake.public_addr(), "/_fake/stats"),
    ] {
        let r = get(addr, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain"), "{path}");
        assert_eq!(r.text(), NOT_FOUND_BODY, "{path}");
    }
    let r = request(fake.api_addr(), "POST", "/v1/spot/status").await;
    assert_eq!(r.status, 404);
    fake.shutdown().await;
}

#[tokio::test]
async fn api_error_with_http_status_then_recovery() {
    let fake = start("maintenance-503").await;
    let api = fake.api_addr();
    assert_eq!(fake.phase(), (0, "normal".to_string()));
    get(api, "/v1/spot/status").await.data();
    fake.next_phase();
    assert_eq!(fake.phase(), (1, "maintenance".to_string()));
    for path in ["/v1/spot/status", "/v1/spot/pairs", "/v1/anything"] {
        let r = get(api, path).await;
        assert_eq!(r.status, 503, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.text(), r#"{"success":0,"data":{"code":10007}}"#);
    }
    // The public host keeps serving during an api maintenance.
    get(fake.public_addr(), "/btc_jpy/circuit_break_info")
        .await
        .data();
    fake.next_phase();
    assert_eq!(fake.phase().1, "recovered");
    get(api, "/v1/spot/status").await.data();
    fake.shutdown().await;
}

#[tokio::test]
async fn business_errors_default_to_http_200() {
    for (name, code) in [("maintenance-200", 10007), ("server-busy", 10008)] {
        let fake = start(name).await;
        fake.next_phase();
        let r = get(fake.api_addr(), "/v1/spot/pairs").await;
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let json = r.json();
        assert_eq!(json["success"], 0);
        assert_eq!(json["data"]["code"], code);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn html_error_pages_502_503_504() {
    let fake = start("html-api").await;
    for status in [502, 503, 504] {
        fake.next_phase();
        let r = get(fake.api_addr(), "/v1/spot/status").await;
        assert_eq!(r.status, status);
        assert_eq!(r.header("content-type"), Some("text/html"));
        let text = r.text();
        assert!(text.contains(&format!("{status} ERROR")), "{text}");
        assert!(text.contains("The request could not be satisfied"));
        assert!(serde_json::from_slice::<Value>(&r.body).is_err());
        // html-api leaves the public host alone.
        get(fake.public_addr(), "/tickers_jpy").await.data();
    }
    fake.next_phase();
    get(fake.api_addr(), "/v1/spot/status").await.data();
    fake.shutdown().await;

    let fake = start("html-both").await;
    fake.next_phase();
    for (addr, path) in [
        (fake.api_addr(), "/v1/spot/status"),
        (fake.public_addr(), "/btc_jpy/circuit_break_info"),
    ] {
        let r = get(addr, path).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.header("content-type"), Some("text/html"));
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let fake = start("rate-limit").await;
    fake.next_phase();
    let r = get(fake.api_addr(), "/v1/spot/status").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(r.json()["data"]["code"], 10009);
    assert_eq!(r.json()["success"], 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn truncated_bodies_are_half_a_body_with_matching_length() {
    let fake = start("truncated").await;
    let whole = get(fake.api_addr(), "/v1/spot/status").await;
    whole.data();
    fake.next_phase();
    // `parse` checks that Content-Length equals the bytes received.
    let cut = get(fake.api_addr(), "/v1/spot/status").await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.header("content-type"), Some("application/json"));
    assert_eq!(cut.body.len(), whole.body.len() / 2);
    assert_eq!(cut.body[..], whole.body[..cut.body.len()]);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    fake.shutdown().await;
}

#[tokio::test]
async fn slow_answers_late_without_blocking_others() {
    let fake = start_toml(
        r#"
[[phases]]
name = "slow"
api = { slow = "800ms" }
"#,
    )
    .await;
    let api = fake.api_addr();
    let started = Instant::now();
    let slow = tokio::spawn(async move { get(api, "/v1/spot/status").await });
    // While the slow answer is pending, other connections are served at once.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let quick = Instant::now();
    get(fake.public_addr(), "/tickers").await.data();
    let stats = get(api, "/_fake/stats").await.json();
    assert!(
        quick.elapsed() < Duration::from_millis(500),
        "{:?}",
        quick.elapsed()
    );
    assert!(!slow.is_finished());
    assert_eq!(stats["requests"]["spot_status"], 1);
    slow.await.unwrap().data();
    assert!(started.elapsed() >= Duration::from_millis(800));
    fake.shutdown().await;
}

#[tokio::test]
async fn builtin_slow_outlasts_a_short_client_timeout() {
    let fake = start("slow").await;
    fake.next_phase();
    let api = fake.api_addr();
    let r = tokio::time::timeout(
        Duration::from_millis(300),
        raw(api, "GET", "/v1/spot/status"),
    )
    .await;
    assert!(r.is_err(), "answered within 300 ms: {r:?}");
    // Shutting down does not wait for the 15 s answer.
    let t = Instant::now();
    fake.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn drop_closes_without_a_byte() {
    let fake = start("dropped").await;
    fake.next_phase();
    match raw(fake.api_addr(), "GET", "/v1/spot/status").await {
        Ok(bytes) => assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    // Dropped requests still count: they reached the server.
    assert_eq!(fake.stats().requests.spot_status, 1);
    get(fake.public_addr(), "/tickers").await.data();
    fake.shutdown().await;
}

async fn connect_refused(addr: std::net::SocketAddr) -> bool {
    matches!(
        TcpStream::connect(addr).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[tokio::test]
async fn refuse_closes_the_port_and_reopens_the_same_one() {
    let fake = start("refused").await;
    let api = fake.api_addr();
    get(api, "/v1/spot/status").await.data();
    fake.next_phase();
    assert_eq!(fake.phase().1, "refused");
    // Closing happens in the accept task: give it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !connect_refused(api).await {
        assert!(Instant::now() < deadline, "still accepting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    get(fake.public_addr(), "/tickers").await.data();
    fake.next_phase();
    // Re-opening is synchronous with the switch: the very next connection is served.
    get(api, "/v1/spot/status").await.data();
    assert_eq!(fake.api_addr(), api);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_first_phase_can_refuse() {
    let fake = start_toml(
        r#"
[[phases]]
name = "down"
duration = "1h"
public = "refuse"
[[phases]]
name = "up"
"#,
    )
    .await;
    assert_ne!(fake.public_addr().port(), 0);
    assert!(connect_refused(fake.public_addr()).await);
    get(fake.api_addr(), "/v1/spot/status").await.data();
    fake.next_phase();
    get(fake.public_addr(), "/btc_jpy/ticker").await.data();
    fake.shutdown().await;
}

#[tokio::test]
async fn status_overrides_and_min_amount() {
    let fake = start_toml(
        r#"
[[phases]]
name = "mixed"
status = { "*" = "HALT", btc_jpy = "BUSY", eth_jpy = "VERY_BUSY", xrp_jpy = "SOMETHING_NEW" }
"#,
    )
    .await;
    let data = get(fake.api_addr(), "/v1/spot/status").await.data();
    let btc = status_of(&data, "btc_jpy");
    assert_eq!(btc["status"], "BUSY");
    assert_eq!(btc["min_amount"], "0.001");
    let eth = status_of(&data, "eth_jpy");
    assert_eq!(eth["status"], "VERY_BUSY");
    assert_eq!(eth["min_amount"], "0.1");
    assert_eq!(status_of(&data, "xrp_jpy")["status"], "SOMETHING_NEW");
    assert_eq!(status_of(&data, "ltc_jpy")["status"], "HALT");
    assert_eq!(status_of(&data, "mkr_jpy")["status"], "HALT");
    fake.shutdown().await;
}

#[tokio::test]
async fn builtin_pair_status_scenarios() {
    for (name, status, min) in [
        ("pair-busy", "BUSY", "0.001"),
        ("pair-very-busy", "VERY_BUSY", "0.01"),
        ("pair-halt", "HALT", "0.0001"),
    ] {
        let fake = start(name).await;
        fake.next_phase();
        let data = get(fake.api_addr(), "/v1/spot/status").await.data();
        let btc = status_of(&data, "btc_jpy");
        assert_eq!(btc["status"], status, "{name}");
        assert_eq!(btc["min_amount"], min, "{name}");
        assert_eq!(status_of(&data, "eth_jpy")["status"], "NORMAL", "{name}");
        fake.next_phase();
        let data = get(fake.api_addr(), "/v1/spot/status").await.data();
        assert_eq!(status_of(&data, "btc_jpy")["status"], "NORMAL", "{name}");
        fake.shutdown().await;
    }
    let fake = start("all-halt").await;
    fake.next_phase();
    let data = get(fake.api_addr(), "/v1/spot/status").await.data();
    assert!(data["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "HALT"));
    fake.shutdown().await;
}

#[tokio::test]
async fn suspended_and_stopped_flags() {
    let fake = start("suspended-pair").await;
    let before = get(fake.api_addr(), "/v1/spot/pairs").await.data();
    assert_unrestricted(&pair_of(&before, "xrp_jpy"));
    fake.next_phase();
    let during = get(fake.api_addr(), "/v1/spot/pairs").await.data();
    assert_suspended(&pair_of(&during, "xrp_jpy"));
    assert_unrestricted(&pair_of(&during, "btc_jpy"));
    let status = get(fake.api_addr(), "/v1/spot/status").await.data();
    assert_eq!(status_of(&status, "xrp_jpy")["status"], "NORMAL");
    let ticker = get(fake.public_addr(), "/xrp_jpy/ticker").await.data();
    assert!(ticker["sell"].is_null() && ticker["buy"].is_null());
    fake.shutdown().await;

    let fake = start_toml(
        r#"
[[phases]]
name = "partial"
stopped = { eth_jpy = ["stop_market_order", "stop_margin_short_order"] }
"#,
    )
    .await;
    let data = get(fake.api_addr(), "/v1/spot/pairs").await.data();
    let eth = pair_of(&data, "eth_jpy");
    for f in SUSPENDED_TRUE.iter().chain(SUSPENDED_FALSE) {
        let expected = *f == "stop_market_order" || *f == "stop_margin_short_order";
        assert_eq!(eth[f], expected, "{f}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn circuit_break_with_scaled_reopen_time() {
    // Speed 60: the 30 min reopen_in is 30 s from the phase start.
    let fake = start_with(Scenario::builtin("circuit-break").unwrap(), 60.0).await;
    fake.next_phase();
    let switched = now_ms();
    let cb = get(fake.public_addr(), "/xrp_jpy/circuit_break_info")
        .await
        .data();
    assert_eq!(cb["mode"], "CIRCUIT_BREAK");
    let reopen = cb["reopen_timestamp"].as_i64().unwrap();
    assert!(
        (reopen - (switched + 30_000)).abs() < 1_000,
        "{reopen} vs {switched}"
    );
    assert!(cb["estimated_itayose_price"].is_string());
    assert!(cb["itayose_upper_price"].is_string());
    assert!(cb["itayose_lower_price"].is_string());
    assert!(cb["timestamp"].as_i64().unwrap() >= switched);
    let other = get(fake.public_addr(), "/btc_jpy/circuit_break_info")
        .await
        .data();
    assert_eq!(other["mode"], "NONE");
    fake.shutdown().await;

    let fake = start_toml(
        r#"
[[phases]]
name = "listing"
circuit_break = { sol_jpy = { mode = "LISTING" } }
"#,
    )
    .await;
    let cb = get(fake.public_addr(), "/sol_jpy/circuit_break_info")
        .await
        .data();
    assert_eq!(cb["mode"], "LISTING");
    assert!(cb["reopen_timestamp"].is_null());
    fake.shutdown().await;
}

#[tokio::test]
async fn phases_advance_with_speed_and_are_watchable() {
    // normal 3s → busy 6s → recovered, at speed 20: 150 ms then 300 ms.
    let fake = start_with(Scenario::builtin("pair-busy").unwrap(), 20.0).await;
    let mut rx = fake.subscribe_phases();
    assert_eq!(rx.borrow_and_update().0, 0);
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), rx.wait_for(|(i, _)| *i == 1))
        .await
        .unwrap()
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(fake.phase(), (1, "busy".to_string()));
    tokio::time::timeout(Duration::from_secs(3), rx.wait_for(|(i, _)| *i == 2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fake.phase().1, "recovered");
    // The last phase stays; next_phase there changes nothing.
    fake.next_phase();
    assert_eq!(fake.phase(), (2, "recovered".to_string()));
    fake.shutdown().await;
}

#[tokio::test]
async fn next_phase_restarts_the_timer_and_notifies() {
    let fake = start_with(Scenario::builtin("maintenance-503").unwrap(), 1.0).await;
    let mut rx = fake.subscribe_phases();
    fake.next_phase();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), (1, "maintenance".to_string()));
    // The maintenance phase lasts 6 s from the switch, not from the start.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.stats().phase, "maintenance");
    fake.shutdown().await;
}

#[tokio::test]
async fn repeat_loops_back_to_the_first_phase() {
    // demo: 20 s + 25 s + 20 s at speed 100 = 0.65 s per loop.
    let fake = start_with(Scenario::builtin("demo").unwrap(), 100.0).await;
    let mut rx = fake.subscribe_phases();
    let mut seen = vec![rx.borrow_and_update().0];
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, rx.changed())
            .await
            .expect("phases stopped changing")
            .unwrap();
        seen.push(rx.borrow_and_update().0);
    }
    assert_eq!(seen, [0, 1, 2, 0]);
    fake.shutdown().await;
}

#[tokio::test]
async fn realistic_day_walks_through_its_phases() {
    let fake = start("realistic-day").await;
    let names = fake.scenario().phase_names();
    assert_eq!(names.first().map(String::as_str), Some("morning"));
    let api = fake.api_addr();
    let mut saw_busy = false;
    let mut saw_maintenance = false;
    for i in 0..names.len() {
        assert_eq!(fake.phase().0, i);
        let r = get(api, "/v1/spot/status").await;
        if r.status == 503 {
            assert_eq!(r.json()["data"]["code"], 10007);
            saw_maintenance = true;
        } else {
            let data = r.data();
            let btc = status_of(&data, "btc_jpy")["status"].clone();
            saw_busy |= btc == "BUSY" || btc == "VERY_BUSY";
        }
        fake.next_phase();
    }
    assert!(saw_busy && saw_maintenance);
    fake.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests_but_not_control_calls() {
    let fake = start("maintenance-503").await;
    let (api, public) = (fake.api_addr(), fake.public_addr());
    get(api, "/v1/spot/status").await;
    get(api, "/v1/spot/status").await;
    get(api, "/v1/spot/pairs").await;
    get(api, "/v1/nope").await;
    for pair in ["btc_jpy", "xrp_jpy", "nope_jpy"] {
        get(public, &format!("/{pair}/circuit_break_info")).await;
    }
    get(public, "/tickers").await;
    let over_http = get(api, "/_fake/stats").await;
    assert_eq!(over_http.status, 200);
    assert_eq!(over_http.header("content-type"), Some("application/json"));
    let mut json = over_http.json();
    // Bytes sent depend on the bodies' timestamps: only that they were counted.
    let bytes = json.as_object_mut().unwrap().remove("bytes").unwrap();
    assert!(bytes["http"].as_u64().unwrap() > 1000, "{bytes}");
    assert_eq!(bytes["stream"], 0);
    assert_eq!(
        json,
        serde_json::json!({
            "phase": "normal",
            "phase_index": 0,
            "requests": {"api": 4, "public": 4, "spot_status": 2, "spot_pairs": 1, "circuit_break_info": 3, "user_assets": 0, "gmocoin": 0, "bitflyer": 0, "coincheck": 0},
            "circuit_break_by_pair": {"btc_jpy": 1, "xrp_jpy": 1, "nope_jpy": 1},
            "stream": {"connections": 0, "refused": 0, "joins": 0, "pushes": 0, "ticks": 0},
            "auth_failures": 0,
            "secret_seen": 0
        })
    );
    let mut stats = serde_json::to_value(fake.stats()).unwrap();
    stats.as_object_mut().unwrap().remove("bytes");
    assert_eq!(stats, json);

    // POST /_fake/next switches now and answers the new stats; control calls are never counted.
    let next = request(api, "POST", "/_fake/next").await;
    assert_eq!(next.status, 200);
    assert_eq!(next.json()["phase"], "maintenance");
    assert_eq!(fake.phase().0, 1);
    // Control endpoints bypass the phase's behaviour.
    get(api, "/_fake/stats").await.json();
    assert_eq!(request(api, "GET", "/_fake/next").await.status, 405);
    let stats = fake.stats();
    assert_eq!(stats.phase_index, 1);
    assert_eq!(stats.requests.api, 4);
    assert_eq!(stats.requests.public, 4);
    fake.shutdown().await;
}

#[tokio::test]
async fn garbage_requests_do_not_hurt() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fake = start("normal").await;
    // Connect and close without a byte.
    drop(TcpStream::connect(fake.api_addr()).await.unwrap());
    // A line that is not HTTP.
    let mut s = TcpStream::connect(fake.api_addr()).await.unwrap();
    s.write_all(b"hello there\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert_eq!(parse(&out).status, 400);
    get(fake.api_addr(), "/v1/spot/status").await.data();
    assert_eq!(fake.stats().requests.api, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn bad_speed_is_rejected() {
    for speed in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = FakeBitbank::start(
            Scenario::builtin("normal").unwrap(),
            Options {
                speed,
                ..Options::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let fake = start("normal").await;
    let api = fake.api_addr();
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !connect_refused(api).await {
        assert!(Instant::now() < deadline, "still accepting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
