//! The simulator's account: the asset list of `GET /v1/user/assets` and its body for a phase.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Serialize;

use crate::market;
use crate::phase::Phase;

/// One asset of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// e.g. `btc`
    pub name: String,
    /// Networks deposits and withdrawals go through (empty for `jpy`, which has none).
    pub networks: Vec<String>,
}

/// `jpy`, then the base asset of every pair in the exchange's order, each once.
pub fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut seen = BTreeSet::new();
        let mut list = vec![Asset {
            name: "jpy".to_string(),
            networks: Vec::new(),
        }];
        seen.insert("jpy");
        for pair in market::pairs() {
            if !seen.insert(pair.base.as_str()) {
                continue;
            }
            // The simulator's own network names: one named after the asset, and a second
            // one for eth so that a single network can stop while the asset stays open.
            let networks = match pair.base.as_str() {
                "eth" => vec!["eth".to_string(), "polygon".to_string()],
                other => vec![other.to_string()],
            };
            list.push(Asset {
                name: pair.base.clone(),
                networks,
            });
        }
        list
    })
}

/// The asset with this name.
pub fn find(name: &str) -> Option<&'static Asset> {
    assets().iter().find(|a| a.name == name)
}

/// The holdings of a default account.
pub const DEFAULT_HOLDINGS: &[&str] = &["btc", "eth", "xrp", "jpy"];

#[derive(Serialize)]
#[serde(untagged)]
enum WithdrawalFee {
    Crypto {
        min: String,
        max: String,
    },
    Jpy {
        under: String,
        over: String,
        threshold: String,
    },
}

#[derive(Serialize)]
struct NetworkEntry<'a> {
    asset: &'a str,
    network: &'a str,
    stop_deposit: bool,
    stop_withdrawal: bool,
    withdrawal_fee: String,
}

#[derive(Serialize)]
struct AssetEntry<'a> {
    asset: &'a str,
    free_amount: String,
    amount_precision: u32,
    onhand_amount: String,
    locked_amount: String,
    withdrawing_amount: String,
    withdrawal_fee: WithdrawalFee,
    stop_deposit: bool,
    stop_withdrawal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_list: Option<Vec<NetworkEntry<'a>>>,
    collateral_ratio: &'static str,
}

#[derive(Serialize)]
struct Assets<'a> {
    assets: Vec<AssetEntry<'a>>,
}

fn precision(asset: &str) -> u32 {
    if asset == "jpy" {
        4
    } else {
        8
    }
}

fn fixed(value: f64, digits: u32) -> String {
    format!("{value:.*}", digits as usize)
}

/// Whether a stop set (see [`Phase::stop_deposit`]) stops this network.
fn network_stopped(stops: &BTreeSet<String>, asset: &str, network: &str) -> bool {
    stops.contains(&format!("{asset}/{network}"))
}

/// Whether a stop set stops the whole asset: every network, or the asset itself if it has none.
fn asset_stopped(stops: &BTreeSet<String>, asset: &Asset) -> bool {
    if asset.networks.is_empty() {
        stops.contains(&asset.name)
    } else {
        asset
            .networks
            .iter()
            .all(|n| network_stopped(stops, &asset.name, n))
    }
}

/// Body of `GET /v1/user/assets` during `phase`, with `holdings` non-zero.
pub(crate) fn body(
    phase: &Phase,
    holdings: &BTreeSet<String>,
) -> Result<String, serde_json::Error> {
    let entries = assets()
        .iter()
        .map(|a| {
            let digits = precision(&a.name);
            let price = market::jpy_price(&a.name);
            // About ¥1,000,000 worth of each holding, a tenth of it in open orders.
            let (onhand, locked) = if holdings.contains(&a.name) {
                let onhand = 1_000_000.0 / price;
                (onhand, onhand / 10.0)
            } else {
                (0.0, 0.0)
            };
            // Withdrawal fees worth a few hundred yen.
            let fee = fixed(300.0 / price, digits);
            let withdrawal_fee = if a.networks.is_empty() {
                WithdrawalFee::Jpy {
                    under: fixed(550.0, digits),
                    over: fixed(770.0, digits),
                    threshold: fixed(30_000.0, digits),
                }
            } else {
                WithdrawalFee::Crypto {
                    min: fee.clone(),
                    max: fee.clone(),
                }
            };
            let network_list = (!a.networks.is_empty()).then(|| {
                a.networks
                    .iter()
                    .map(|n| NetworkEntry {
                        asset: &a.name,
                        network: n,
                        stop_deposit: network_stopped(&phase.stop_deposit, &a.name, n),
                        stop_withdrawal: network_stopped(&phase.stop_withdrawal, &a.name, n),
                        withdrawal_fee: fee.clone(),
                    })
                    .collect()
            });
            AssetEntry {
                asset: &a.name,
                free_amount: fixed(onhand - locked, digits),
                amount_precision: digits,
                onhand_amount: fixed(onhand, digits),
                locked_amount: fixed(locked, digits),
                withdrawing_amount: fixed(0.0, digits),
                withdrawal_fee,
                stop_deposit: asset_stopped(&phase.stop_deposit, a),
                stop_withdrawal: asset_stopped(&phase.stop_withdrawal, a),
                network_list,
                collateral_ratio: "0",
            }
        })
        .collect();
    serde_json::to_string(&serde_json::json!({
        "success": 1,
        "data": Assets { assets: entries },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpy_first_eth_has_two_networks_every_base_once() {
        let list = assets();
        assert_eq!(list[0].name, "jpy");
        assert!(list[0].networks.is_empty());
        assert_eq!(find("eth").unwrap().networks, ["eth", "polygon"]);
        assert_eq!(find("btc").unwrap().networks, ["btc"]);
        for pair in market::pairs() {
            assert!(find(&pair.base).is_some(), "{}", pair.base);
        }
        let names: BTreeSet<_> = list.iter().map(|a| &a.name).collect();
        assert_eq!(names.len(), list.len());
        for h in DEFAULT_HOLDINGS {
            assert!(find(h).is_some(), "{h}");
        }
    }

    #[test]
    fn body_has_bitbanks_fields() {
        let mut phase = Phase::default();
        phase.stop_withdrawal.insert("eth/polygon".into());
        phase.stop_deposit.insert("jpy".into());
        let holdings = ["btc".to_string()].into_iter().collect();
        let json: serde_json::Value =
            serde_json::from_str(&body(&phase, &holdings).unwrap()).unwrap();
        assert_eq!(json["success"], 1);
        let list = json["data"]["assets"].as_array().unwrap();
        let get = |name: &str| list.iter().find(|a| a["asset"] == name).unwrap().clone();
        let jpy = get("jpy");
        assert!(jpy.get("network_list").is_none());
        assert_eq!(jpy["withdrawal_fee"]["threshold"], "30000.0000");
        assert_eq!(jpy["onhand_amount"], "0.0000");
        assert_eq!(jpy["stop_deposit"], true);
        let btc = get("btc");
        assert_ne!(
            btc["onhand_amount"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap(),
            0.0
        );
        assert_eq!(btc["amount_precision"], 8);
        assert!(btc["withdrawal_fee"]["min"].is_string());
        let eth = get("eth");
        assert_eq!(eth["stop_withdrawal"], false);
        assert_eq!(eth["network_list"][1]["network"], "polygon");
        assert_eq!(eth["network_list"][1]["stop_withdrawal"], true);
        assert_eq!(eth["network_list"][0]["stop_withdrawal"], false);
    }
}
