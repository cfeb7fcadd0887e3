//! `GET /v1/user/assets` on a started fake, spoken to with the raw client of `common`: both
//! signing methods, every authentication error, the stop flags of scenarios, the phase's
//! behaviour first, and the secret-leak counter.

// Test code: a failed unwrap is a failed test (clippy.toml only covers #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fake_bitbank::{FakeBitbank, Options, Scenario};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const PATH: &str = "/v1/user/assets";
const KEY: &str = "fake-key";
const SECRET: &str = "fake-secret";

/// Signed independently of the crate's verifier: straight from the hmac crate.
fn sign(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A time-window request signed with `secret` at `time`.
async fn by_time(fake: &FakeBitbank, key: &str, secret: &str, time: i64) -> Reply {
    let (time, window) = (time.to_string(), "5000");
    let signature = sign(secret, &format!("{time}{window}{PATH}"));
    get_with(
        fake.api_addr(),
        PATH,
        &[
            ("ACCESS-KEY", key),
            ("ACCESS-REQUEST-TIME", &time),
            ("ACCESS-TIME-WINDOW", window),
            ("ACCESS-SIGNATURE", &signature),
        ],
    )
    .await
}

async fn signed(fake: &FakeBitbank) -> Reply {
    by_time(fake, KEY, SECRET, now_ms()).await
}

async fn by_nonce(fake: &FakeBitbank, nonce: u64) -> Reply {
    let nonce = nonce.to_string();
    let signature = sign(SECRET, &format!("{nonce}{PATH}"));
    get_with(
        fake.api_addr(),
        PATH,
        &[
            ("ACCESS-KEY", KEY),
            ("ACCESS-NONCE", &nonce),
            ("ACCESS-SIGNATURE", &signature),
        ],
    )
    .await
}

/// The error code of a reply, checking bitbank's HTTP 200 on the way.
fn code(reply: &Reply) -> i64 {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["success"], 0, "{json}");
    json["data"]["code"].as_i64().unwrap()
}

fn asset(data: &Value, name: &str) -> Value {
    data["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["asset"] == name)
        .unwrap_or_else(|| panic!("{name} not in user/assets"))
        .clone()
}

fn network(asset: &Value, name: &str) -> Value {
    asset["network_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["network"] == name)
        .unwrap_or_else(|| panic!("{name} not in {asset}"))
        .clone()
}

fn amount(asset: &Value, field: &str) -> f64 {
    asset[field].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn both_methods_get_the_assets_with_default_holdings() {
    let fake = start("normal").await;
    for reply in [signed(&fake).await, by_nonce(&fake, 1).await] {
        let data = reply.data();
        for held in ["btc", "eth", "xrp", "jpy"] {
            assert!(amount(&asset(&data, held), "onhand_amount") > 0.0, "{held}");
        }
        let btc = asset(&data, "btc");
        for f in [
            "free_amount",
            "locked_amount",
            "withdrawing_amount",
            "collateral_ratio",
        ] {
            assert!(btc[f].is_string(), "{f} in {btc}");
        }
        assert!(btc["amount_precision"].is_u64());
        assert!(btc["withdrawal_fee"]["min"].is_string());
        assert!(btc["withdrawal_fee"]["max"].is_string());
        assert_eq!(btc["stop_deposit"], false);
        assert!(network(&btc, "btc")["withdrawal_fee"].is_string());
        assert_eq!(amount(&asset(&data, "ltc"), "onhand_amount"), 0.0);
        let jpy = asset(&data, "jpy");
        assert!(jpy.get("network_list").is_none(), "{jpy}");
        for f in ["under", "over", "threshold"] {
            assert!(jpy["withdrawal_fee"][f].is_string(), "{jpy}");
        }
        let eth = asset(&data, "eth");
        assert_eq!(eth["network_list"].as_array().unwrap().len(), 2);
    }
    let stats = fake.stats();
    assert_eq!(stats.requests.user_assets, 2);
    assert_eq!((stats.auth_failures, stats.secret_seen), (0, 0));
    fake.shutdown().await;
}

#[tokio::test]
async fn holdings_and_the_key_pair_are_options() {
    let options = Options {
        api_key: "k2".into(),
        api_secret: "s2".into(),
        holdings: vec!["sol".into()],
        ..Options::default()
    };
    let fake = FakeBitbank::start(Scenario::builtin("normal").unwrap(), options)
        .await
        .unwrap();
    let data = by_time(&fake, "k2", "s2", now_ms()).await.data();
    assert!(amount(&asset(&data, "sol"), "onhand_amount") > 0.0);
    assert_eq!(amount(&asset(&data, "btc"), "onhand_amount"), 0.0);
    assert_eq!(code(&signed(&fake).await), 20003);
    fake.shutdown().await;
    let bad = Options {
        holdings: vec!["nope".into()],
        ..Options::default()
    };
    assert!(
        FakeBitbank::start(Scenario::builtin("normal").unwrap(), bad)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn authentication_errors() {
    let fake = start("normal").await;
    let api = fake.api_addr();
    assert_eq!(code(&by_time(&fake, KEY, "wrong", now_ms()).await), 20005);
    assert_eq!(
        code(&by_time(&fake, "nobody", SECRET, now_ms()).await),
        20003
    );
    assert_eq!(code(&get(api, PATH).await), 20003);
    assert_eq!(
        code(&get_with(api, PATH, &[("ACCESS-KEY", "")]).await),
        20002
    );
    assert_eq!(
        code(&get_with(api, PATH, &[("ACCESS-KEY", KEY)]).await),
        20004
    );
    let time = now_ms().to_string();
    let unsigned = [("ACCESS-KEY", KEY), ("ACCESS-REQUEST-TIME", time.as_str())];
    assert_eq!(code(&get_with(api, PATH, &unsigned).await), 20005);
    // Stale (older than the window) and future (a second or more ahead).
    assert_eq!(
        code(&by_time(&fake, KEY, SECRET, now_ms() - 60_000).await),
        20001
    );
    assert_eq!(
        code(&by_time(&fake, KEY, SECRET, now_ms() + 10_000).await),
        20001
    );
    // A window over 60000 ms.
    let (time, window) = (now_ms().to_string(), "60001");
    let signature = sign(SECRET, &format!("{time}{window}{PATH}"));
    let headers = [
        ("ACCESS-KEY", KEY),
        ("ACCESS-REQUEST-TIME", time.as_str()),
        ("ACCESS-TIME-WINDOW", window),
        ("ACCESS-SIGNATURE", signature.as_str()),
    ];
    assert_eq!(code(&get_with(api, PATH, &headers).await), 20001);
    // The query string is signed too.
    let signature = sign(SECRET, &format!("{time}5000{PATH}"));
    let headers = [
        ("ACCESS-KEY", KEY),
        ("ACCESS-REQUEST-TIME", time.as_str()),
        ("ACCESS-SIGNATURE", signature.as_str()),
    ];
    assert_eq!(
        code(&get_with(api, &format!("{PATH}?x=1"), &headers).await),
        20005
    );
    let stats = fake.stats();
    assert_eq!(stats.auth_failures, 10);
    assert_eq!(stats.requests.user_assets, 10);
    assert_eq!(stats.secret_seen, 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_replayed_or_smaller_nonce_fails() {
    let fake = start("normal").await;
    by_nonce(&fake, 100).await.data();
    assert_eq!(code(&by_nonce(&fake, 100).await), 20001);
    assert_eq!(code(&by_nonce(&fake, 99).await), 20001);
    by_nonce(&fake, 101).await.data();
    // Both methods sent: the time window wins, so an old nonce does not matter.
    let time = now_ms().to_string();
    let signature = sign(SECRET, &format!("{time}5000{PATH}"));
    let headers = [
        ("ACCESS-KEY", KEY),
        ("ACCESS-NONCE", "1"),
        ("ACCESS-REQUEST-TIME", time.as_str()),
        ("ACCESS-SIGNATURE", signature.as_str()),
    ];
    get_with(fake.api_addr(), PATH, &headers).await.data();
    assert_eq!(fake.stats().auth_failures, 2);
    fake.shutdown().await;
}

#[tokio::test]
async fn withdrawal_stop_stops_one_eth_network_then_reopens() {
    let fake = start("withdrawal-stop").await;
    let open = signed(&fake).await.data();
    let eth = asset(&open, "eth");
    assert_eq!(eth["stop_withdrawal"], false);
    assert_eq!(network(&eth, "polygon")["stop_withdrawal"], false);

    fake.next_phase();
    let stopped = signed(&fake).await.data();
    let eth = asset(&stopped, "eth");
    assert_eq!(network(&eth, "polygon")["stop_withdrawal"], true);
    assert_eq!(network(&eth, "eth")["stop_withdrawal"], false);
    // Not every network is stopped, so the asset is not.
    assert_eq!(eth["stop_withdrawal"], false);
    assert_eq!(eth["stop_deposit"], false);
    assert_eq!(network(&eth, "polygon")["stop_deposit"], false);

    fake.next_phase();
    let reopened = signed(&fake).await.data();
    let eth = asset(&reopened, "eth");
    assert_eq!(network(&eth, "polygon")["stop_withdrawal"], false);
    assert_eq!(eth["stop_withdrawal"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn deposit_stop_of_a_single_network_asset_sets_both_flags() {
    let fake = start("deposit-stop").await;
    fake.next_phase();
    let data = signed(&fake).await.data();
    let xrp = asset(&data, "xrp");
    assert_eq!(xrp["stop_deposit"], true);
    assert_eq!(network(&xrp, "xrp")["stop_deposit"], true);
    assert_eq!(xrp["stop_withdrawal"], false);
    assert_eq!(asset(&data, "btc")["stop_deposit"], false);
    fake.next_phase();
    let data = signed(&fake).await.data();
    assert_eq!(asset(&data, "xrp")["stop_deposit"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn the_phase_behaviour_applies_before_authentication() {
    for (name, status) in [("maintenance-200", 200), ("maintenance-503", 503)] {
        let fake = start(name).await;
        fake.next_phase();
        // Signed or not: the maintenance answer comes first.
        for reply in [signed(&fake).await, get(fake.api_addr(), PATH).await] {
            assert_eq!(reply.status, status, "{name}");
            assert_eq!(reply.json()["data"]["code"], 10007, "{name}");
        }
        assert_eq!(fake.stats().requests.user_assets, 2);
        assert_eq!(fake.stats().auth_failures, 0);
        fake.shutdown().await;
    }
    let fake = start("html-api").await;
    fake.next_phase();
    let reply = signed(&fake).await;
    assert_eq!(reply.header("content-type"), Some("text/html"));
    fake.shutdown().await;
}

#[tokio::test]
async fn other_user_paths_are_not_found() {
    let fake = start("normal").await;
    for path in ["/v1/user/nope", "/v1/user", "/v1/user/assets/x"] {
        let reply = get(fake.api_addr(), path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.json()["data"]["code"], 10000, "{path}");
    }
    // Not on the public host either.
    assert_eq!(get(fake.public_addr(), PATH).await.status, 404);
    fake.shutdown().await;
}

#[tokio::test]
async fn secret_seen_counts_requests_carrying_the_secret() {
    let fake = start("normal").await;
    signed(&fake).await.data();
    by_nonce(&fake, 7).await.data();
    assert_eq!(fake.stats().secret_seen, 0);
    get_with(fake.api_addr(), PATH, &[("ACCESS-SECRET", SECRET)]).await;
    assert_eq!(fake.stats().secret_seen, 1);
    get(fake.api_addr(), &format!("/v1/spot/status?s={SECRET}")).await;
    get_with(
        fake.public_addr(),
        "/tickers",
        &[("X-Debug", &format!("k={SECRET};"))],
    )
    .await;
    assert_eq!(fake.stats().secret_seen, 3);
    let json = get(fake.api_addr(), "/_fake/stats").await.json();
    assert_eq!(json["secret_seen"], 3);
    assert_eq!(json["auth_failures"], 1);
    assert_eq!(json["requests"]["user_assets"], 3);
    fake.shutdown().await;
}
