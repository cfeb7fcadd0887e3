//! The phase keys of the other exchanges: `gmocoin`, `bitflyer`, `coincheck`.
//!
//! Each takes a behaviour string (`gmocoin = "truncated"`, as `api` does) or a table of the
//! exchange's own keys plus either the hostile keys inline (`html`, `rate_limit`, `slow`, `huge`,
//! `redirect`) or `behavior = <anything api takes but error>`.

use std::collections::BTreeMap;

use toml::{Table, Value};

use super::{
    expected, invalid, parse_behavior_of, parse_http_status, unknown_key, ScenarioError,
    HOSTILE_KEYS,
};
use crate::phase::{
    Availability, Behavior, BitFlyer, Board, Coincheck, CoincheckPair, GmoCoin, GmoCoinError,
};

const GMOCOIN_KEYS: &[&str] = &["status", "error", "message", "http_status"];
const BITFLYER_KEYS: &[&str] = &["health", "state", "boards"];
const BOARD_KEYS: &[&str] = &["state", "health", "special_quotation"];
const COINCHECK_KEYS: &[&str] = &["status", "availability", "pairs"];
const COINCHECK_PAIR_KEYS: &[&str] = &["status", "availability"];
const AVAILABILITY_KEYS: &[&str] = &["order", "market_order", "cancel"];

/// `gmocoin = ...`
pub(super) fn gmocoin(phase: &str, v: &Value) -> Result<GmoCoin, ScenarioError> {
    let key = "gmocoin";
    let (behavior, t) = open(phase, key, v, GMOCOIN_KEYS)?;
    let mut gmo = GmoCoin {
        behavior,
        ..GmoCoin::default()
    };
    let Some(t) = t else { return Ok(gmo) };
    if let Some(v) = t.get("status") {
        gmo.status = string(phase, "gmocoin.status", v)?;
    }
    match t.get("error") {
        Some(_) if t.contains_key("status") => {
            return Err(invalid(
                phase,
                key,
                "conflicting answers: status and error (an error has no data)".into(),
            ))
        }
        Some(v) => {
            let code = string(phase, "gmocoin.error", v)?;
            let message = match t.get("message") {
                Some(m) => string(phase, "gmocoin.message", m)?,
                None => default_message(&code).to_string(),
            };
            let http_status = match t.get("http_status") {
                Some(s) => parse_http_status(phase, "gmocoin.http_status", s)?,
                None => 200,
            };
            gmo.error = Some(GmoCoinError {
                code,
                message,
                http_status,
            });
        }
        None => {
            for only in ["message", "http_status"] {
                if t.contains_key(only) {
                    return Err(invalid(
                        phase,
                        &format!("gmocoin.{only}"),
                        "only allowed together with error".into(),
                    ));
                }
            }
        }
    }
    Ok(gmo)
}

/// `message_string` of a GMO error code. ERR-5201's is the one seen in a third-party client's
/// fixture; the emergency one (ERR-5202) is not known here, so it says the same.
fn default_message(code: &str) -> &'static str {
    match code {
        "ERR-5201" | "ERR-5202" => "MAINTENANCE. Please wait for a while",
        "ERR-5003" => "Requests are too many.",
        _ => "Error",
    }
}

/// `bitflyer = ...`
pub(super) fn bitflyer(phase: &str, v: &Value) -> Result<BitFlyer, ScenarioError> {
    let (behavior, t) = open(phase, "bitflyer", v, BITFLYER_KEYS)?;
    let mut bf = BitFlyer {
        behavior,
        ..BitFlyer::default()
    };
    let Some(t) = t else { return Ok(bf) };
    if let Some(v) = t.get("health") {
        bf.health = string(phase, "bitflyer.health", v)?;
    }
    if let Some(v) = t.get("state") {
        bf.state = string(phase, "bitflyer.state", v)?;
    }
    if let Some(v) = t.get("boards") {
        for (code, value) in table(phase, "bitflyer.boards", v)? {
            let key = format!("bitflyer.boards.{code}");
            let Some(product) = BitFlyer::product(code) else {
                return Err(invalid(
                    phase,
                    &key,
                    format!(
                        "unknown product {code:?} (known: {})",
                        BitFlyer::PRODUCTS.join(", ")
                    ),
                ));
            };
            let board = match value {
                Value::String(_) => Board {
                    state: Some(string(phase, &key, value)?),
                    ..Board::default()
                },
                Value::Table(b) => board(phase, &key, b)?,
                other => {
                    return Err(invalid(
                        phase,
                        &key,
                        expected("a state string or a table", other),
                    ))
                }
            };
            // `btc_jpy` and `BTC_JPY` are the same board to bitFlyer.
            if bf.boards.insert(product.to_string(), board).is_some() {
                return Err(invalid(phase, &key, format!("{product} is named twice")));
            }
        }
    }
    Ok(bf)
}

fn board(phase: &str, key: &str, t: &Table) -> Result<Board, ScenarioError> {
    check_keys(phase, key, t, BOARD_KEYS)?;
    if t.is_empty() {
        return Err(invalid(
            phase,
            key,
            "empty table; expected state, health or special_quotation".into(),
        ));
    }
    let get = |k: &str| {
        t.get(k)
            .map(|v| string(phase, &format!("{key}.{k}"), v))
            .transpose()
    };
    let special_quotation = match t.get("special_quotation") {
        None => None,
        Some(v) => match v.as_integer().map(u64::try_from) {
            Some(Ok(n)) => Some(n),
            _ => {
                return Err(invalid(
                    phase,
                    &format!("{key}.special_quotation"),
                    "expected a whole number (0 or more)".into(),
                ))
            }
        },
    };
    Ok(Board {
        state: get("state")?,
        health: get("health")?,
        special_quotation,
    })
}

/// `coincheck = ...`
pub(super) fn coincheck(phase: &str, v: &Value) -> Result<Coincheck, ScenarioError> {
    let (behavior, t) = open(phase, "coincheck", v, COINCHECK_KEYS)?;
    let mut cc = Coincheck {
        behavior,
        ..Coincheck::default()
    };
    let Some(t) = t else { return Ok(cc) };
    if let Some(v) = t.get("status") {
        cc.status = string(phase, "coincheck.status", v)?;
    }
    if let Some(v) = t.get("availability") {
        cc.availability = availability(phase, "coincheck.availability", v)?;
    }
    if let Some(v) = t.get("pairs") {
        let mut pairs = BTreeMap::new();
        for (pair, value) in table(phase, "coincheck.pairs", v)? {
            let key = format!("coincheck.pairs.{pair}");
            if !Coincheck::PAIRS.contains(&pair.as_str()) {
                return Err(invalid(
                    phase,
                    &key,
                    format!(
                        "unknown pair {pair:?} (known: {})",
                        Coincheck::PAIRS.join(", ")
                    ),
                ));
            }
            let entry = match value {
                Value::String(_) => CoincheckPair {
                    status: Some(string(phase, &key, value)?),
                    ..CoincheckPair::default()
                },
                Value::Table(p) => {
                    check_keys(phase, &key, p, COINCHECK_PAIR_KEYS)?;
                    if p.is_empty() {
                        return Err(invalid(
                            phase,
                            &key,
                            "empty table; expected status or availability".into(),
                        ));
                    }
                    CoincheckPair {
                        status: p
                            .get("status")
                            .map(|s| string(phase, &format!("{key}.status"), s))
                            .transpose()?,
                        availability: match p.get("availability") {
                            Some(a) => availability(phase, &format!("{key}.availability"), a)?,
                            None => Availability::default(),
                        },
                    }
                }
                other => {
                    return Err(invalid(
                        phase,
                        &key,
                        expected("a status string or a table", other),
                    ))
                }
            };
            pairs.insert(pair.clone(), entry);
        }
        cc.pairs = pairs;
    }
    Ok(cc)
}

fn availability(phase: &str, key: &str, v: &Value) -> Result<Availability, ScenarioError> {
    let t = table(phase, key, v)?;
    check_keys(phase, key, t, AVAILABILITY_KEYS)?;
    let flag = |k: &str| match t.get(k) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(
            phase,
            &format!("{key}.{k}"),
            expected("true or false", other),
        )),
    };
    Ok(Availability {
        order: flag("order")?,
        market_order: flag("market_order")?,
        cancel: flag("cancel")?,
    })
}

/// The behaviour and, for a table, the table, its keys checked against `own` and the
/// behaviour keys.
fn open<'a>(
    phase: &str,
    key: &str,
    v: &'a Value,
    own: &[&str],
) -> Result<(Behavior, Option<&'a Table>), ScenarioError> {
    match v {
        Value::String(_) => Ok((parse_behavior_of(phase, key, v, false)?, None)),
        Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| {
                let k = k.as_str();
                !own.contains(&k) && !HOSTILE_KEYS.contains(&k) && k != "behavior"
            }) {
                return Err(unknown_key(phase, format!("{key}.{k}")));
            }
            Ok((behavior(phase, key, t)?, Some(t)))
        }
        other => Err(invalid(
            phase,
            key,
            format!(
                "{}: a behaviour (\"truncated\", …) or a table of {} and behaviour keys",
                expected("a string or table", other),
                own.join(", ")
            ),
        )),
    }
}

/// The hostile keys given inline, or `behavior = ...`; not both.
fn behavior(phase: &str, key: &str, t: &Table) -> Result<Behavior, ScenarioError> {
    let inline: Table = t
        .iter()
        .filter(|(k, _)| HOSTILE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match t.get("behavior") {
        Some(_) if !inline.is_empty() => {
            let names: Vec<&str> = inline.keys().map(String::as_str).collect();
            Err(invalid(
                phase,
                key,
                format!(
                    "conflicting behaviours: behavior and {}",
                    names.join(" and ")
                ),
            ))
        }
        Some(b) => parse_behavior_of(phase, &format!("{key}.behavior"), b, false),
        None if inline.is_empty() => Ok(Behavior::Ok),
        None => parse_behavior_of(phase, key, &Value::Table(inline), false),
    }
}

fn check_keys(phase: &str, key: &str, t: &Table, known: &[&str]) -> Result<(), ScenarioError> {
    match t.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(unknown_key(phase, format!("{key}.{k}"))),
        None => Ok(()),
    }
}

fn table<'a>(phase: &str, key: &str, v: &'a Value) -> Result<&'a Table, ScenarioError> {
    match v {
        Value::Table(t) => Ok(t),
        other => Err(invalid(phase, key, expected("a table", other))),
    }
}

fn string(phase: &str, key: &str, v: &Value) -> Result<String, ScenarioError> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err(invalid(phase, key, "must not be empty".into())),
        other => Err(invalid(phase, key, expected("a string", other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;
    use std::time::Duration;

    fn phase(body: &str) -> crate::Phase {
        let text = format!("[[phases]]\nname = \"p\"\n{body}\n");
        match Scenario::from_toml(&text) {
            Ok(s) => s.phases()[0].clone(),
            Err(e) => panic!("{body}: {e}"),
        }
    }

    #[test]
    fn absent_keys_are_normal_exchanges() {
        let p = phase("");
        assert_eq!(p.gmocoin, GmoCoin::default());
        assert_eq!(p.gmocoin.status, "OPEN");
        assert_eq!(p.bitflyer.health_of("BTC_JPY"), "NORMAL");
        assert_eq!(p.bitflyer.state_of("BTC_JPY"), "RUNNING");
        assert_eq!(p.coincheck.entry("btc_jpy"), ("available", [true; 3]));
    }

    #[test]
    fn gmocoin_status_error_and_behaviour() {
        assert_eq!(
            phase("gmocoin = { status = \"MAINTENANCE\" }")
                .gmocoin
                .status,
            "MAINTENANCE"
        );
        let e = phase("gmocoin = { error = \"ERR-5202\" }").gmocoin.error;
        assert_eq!(
            e,
            Some(GmoCoinError {
                code: "ERR-5202".into(),
                message: "MAINTENANCE. Please wait for a while".into(),
                http_status: 200
            })
        );
        let e = phase("gmocoin = { error = \"ERR-9\", message = \"m\", http_status = 503 }")
            .gmocoin
            .error;
        assert_eq!(
            e.map(|e| (e.message, e.http_status)),
            Some(("m".into(), 503))
        );
        assert_eq!(
            phase("gmocoin = { html = 503 }").gmocoin.behavior,
            Behavior::Html { http_status: 503 }
        );
        assert_eq!(phase("gmocoin = \"drop\"").gmocoin.behavior, Behavior::Drop);
        let g = phase("gmocoin = { status = \"PREOPEN\", behavior = \"truncated\" }").gmocoin;
        assert_eq!(
            (g.status.as_str(), g.behavior),
            ("PREOPEN", Behavior::Truncated)
        );
        assert_eq!(
            phase("gmocoin = { behavior = { slow = \"2s\" } }")
                .gmocoin
                .behavior,
            Behavior::Slow {
                delay: Duration::from_secs(2)
            }
        );
    }

    #[test]
    fn bitflyer_health_states_and_boards() {
        let bf = phase(
            "bitflyer = { health = \"STOP\", state = \"CLOSED\", boards = { btc_jpy = \"CIRCUIT BREAK\", ETH_BTC = { state = \"MATURED\", special_quotation = 7, health = \"BUSY\" }, XRP_JPY = { health = \"SUPER BUSY\" } } }",
        )
        .bitflyer;
        assert_eq!(bf.health, "STOP");
        assert_eq!(bf.state_of("BTC_JPY"), "CIRCUIT BREAK");
        assert_eq!(bf.health_of("BTC_JPY"), "STOP");
        assert_eq!(bf.state_of("ETH_JPY"), "CLOSED");
        assert_eq!(bf.state_of("ETH_BTC"), "MATURED");
        assert_eq!(bf.health_of("ETH_BTC"), "BUSY");
        assert_eq!(bf.boards["ETH_BTC"].special_quotation, Some(7));
        assert_eq!(bf.state_of("XRP_JPY"), "CLOSED");
        assert_eq!(bf.health_of("XRP_JPY"), "SUPER BUSY");
        assert_eq!(
            phase("bitflyer = { rate_limit = 3 }").bitflyer.behavior,
            Behavior::RateLimit {
                retry_after_secs: 3
            }
        );
    }

    #[test]
    fn coincheck_statuses_and_derived_availability() {
        let cc = phase(
            "coincheck = { status = \"stop\", pairs = { btc_jpy = \"available\", etc_jpy = \"itayose\", xrp_jpy = { status = \"itayose\", availability = { market_order = true } }, mona_jpy = { availability = { cancel = true } } } }",
        )
        .coincheck;
        assert_eq!(cc.entry("eth_jpy"), ("stop", [false, false, false]));
        assert_eq!(cc.entry("btc_jpy"), ("available", [true, true, true]));
        assert_eq!(cc.entry("etc_jpy"), ("itayose", [true, false, true]));
        assert_eq!(cc.entry("xrp_jpy"), ("itayose", [true, true, true]));
        assert_eq!(cc.entry("mona_jpy"), ("stop", [false, false, true]));
        let cc = phase("coincheck = { availability = { order = false } }").coincheck;
        assert_eq!(cc.entry("shib_jpy"), ("available", [false, true, true]));
        assert_eq!(
            phase("coincheck = { behavior = \"wrong_shape\" }")
                .coincheck
                .behavior,
            Behavior::WrongShape
        );
    }
}
