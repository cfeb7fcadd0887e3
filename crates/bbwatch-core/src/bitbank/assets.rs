//! bitbank's deposits and withdrawals: `GET /v1/user/assets` (private, signed) and what each
//! watched asset allows. Pure except for the parse's logging; balances are read only to say
//! whether an asset is held, and then dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::bitbank::api::parse_envelope;
use crate::model::asset::{
    check_asset_name, AssetState, Flow, Flows, KeyState, JPY, MAX_WATCHED_ASSETS,
};
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Fetch};
use crate::model::level::Level;
use crate::model::reading::{Certainty, Reading};
use crate::model::reason::Reason;
use crate::model::sanitize;

/// The request path, as signed.
pub const PATH: &str = "/v1/user/assets";
/// One entry of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// e.g. `xrp`.
    pub asset: String,
    /// Whether the user holds some (`onhand_amount` above zero); the amount itself is dropped.
    pub held: bool,
    /// Its deposits and withdrawals.
    pub state: AssetState,
}

/// Whether a decimal string is above zero, without reading it as a number.
fn above_zero(amount: &str) -> bool {
    amount.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// Parse `GET /v1/user/assets`. Entries that are not of the documented shape are skipped; an
/// answer in which none is, is malformed.
pub fn parse_user_assets(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Fetch<Vec<AssetInfo>> {
    #[derive(Deserialize)]
    struct Data {
        assets: Vec<Value>,
    }
    #[derive(Deserialize)]
    struct Network {
        network: String,
        stop_deposit: bool,
        stop_withdrawal: bool,
    }
    #[derive(Deserialize)]
    struct Raw {
        asset: String,
        #[serde(default)]
        onhand_amount: Option<String>,
        stop_deposit: bool,
        stop_withdrawal: bool,
        #[serde(default)]
        network_list: Option<Vec<Value>>,
    }
    let data = parse_envelope(status, retry_after, body)?;
    let data: Data = serde_json::from_value(data).map_err(|e| Failure::Malformed {
        status,
        detail: format!("unexpected shape: {}", sanitize::text(&e.to_string())),
    })?;
    let total = data.assets.len();
    let parsed: Vec<AssetInfo> = data
        .assets
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Raw>(v).ok())
        .filter(|r| check_asset_name(&r.asset).is_ok())
        .map(|r| {
            let networks = r
                .network_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| serde_json::from_value::<Network>(v).ok())
                .map(|n| {
                    let flows = Flows {
                        deposit: Flow::from_stop(n.stop_deposit),
                        withdrawal: Flow::from_stop(n.stop_withdrawal),
                    };
                    (sanitize::token(&n.network), flows)
                })
                .collect();
            AssetInfo {
                held: r.onhand_amount.as_deref().is_some_and(above_zero),
                state: AssetState {
                    flows: Flows {
                        deposit: Flow::from_stop(r.stop_deposit),
                        withdrawal: Flow::from_stop(r.stop_withdrawal),
                    },
                    networks,
                },
                asset: r.asset,
            }
        })
        .collect();
    if parsed.is_empty() {
        return Err(Failure::Malformed {
            status,
            detail: format!("user/assets: none of {total} entries has the expected shape"),
        });
    }
    if parsed.len() < total {
        tracing::warn!(
            "skipped {} malformed user/assets entries",
            total - parsed.len()
        );
    }
    Ok(parsed)
}

/// The assets to watch: as configured, or those held at this answer plus JPY.
pub fn watched_assets(
    configured: Option<&BTreeSet<String>>,
    answer: &[AssetInfo],
) -> BTreeSet<String> {
    match configured {
        Some(set) => set.clone(),
        None => answer
            .iter()
            .filter(|a| a.held)
            .map(|a| a.asset.clone())
            .chain(std::iter::once(JPY.to_owned()))
            .take(MAX_WATCHED_ASSETS)
            .collect(),
    }
}

/// The watched assets' states in an answer (a watched asset bitbank does not list is left out).
pub fn states(watched: &BTreeSet<String>, answer: &[AssetInfo]) -> BTreeMap<String, AssetState> {
    answer
        .iter()
        .filter(|a| watched.contains(&a.asset))
        .map(|a| (a.asset.clone(), a.state.clone()))
        .collect()
}

/// Whether a code is one of bitbank's authentication errors (20001–20005 and the rest of the
/// 20000 family).
pub fn is_auth_error(code: ErrorCode) -> bool {
    (20_000..21_000).contains(&code.0)
}

/// What one assets request said, as the monitor keeps it between polls.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Seen {
    /// No key: nothing asked.
    #[default]
    Off,
    /// The watched assets' states.
    States(BTreeMap<String, AssetState>),
    /// 10007: agrees with (or announces) a maintenance.
    Maintenance(ErrorCode),
    /// The key was refused: no level change, the key state says it.
    Rejected(ErrorCode),
    /// Another failure: the previous states stand.
    Failed,
}

impl Seen {
    /// From the answer, given the watch list.
    pub fn from_fetch(fetch: &Fetch<Vec<AssetInfo>>, watched: &BTreeSet<String>) -> Seen {
        match fetch {
            Ok(answer) => Seen::States(states(watched, answer)),
            Err(f @ Failure::Api { code, .. }) if f.is_maintenance() => Seen::Maintenance(*code),
            Err(Failure::Api { code, .. }) if is_auth_error(*code) => Seen::Rejected(*code),
            Err(_) => Seen::Failed,
        }
    }

    /// The key state this answer shows.
    pub fn key_state(&self) -> KeyState {
        match self {
            Seen::Off => KeyState::None,
            Seen::States(_) => KeyState::Accepted,
            Seen::Rejected(code) => KeyState::Rejected { code: *code },
            // 10007 comes before the key is looked at; a failure says nothing of the key.
            Seen::Maintenance(_) | Seen::Failed => KeyState::Pending,
        }
    }
}

/// Fold what the assets request said into a poll's reading: a 10007 is a maintenance, a
/// stopped watched asset makes a normal reading degraded. Other answers change no level.
pub fn fold(reading: &mut Reading, seen: &Seen) {
    match seen {
        Seen::Maintenance(code) => {
            if reading.level != Level::Maintenance && reading.certainty != Certainty::RateLimited {
                reading.level = Level::Maintenance;
                reading.certainty = Certainty::Definite;
                reading.reason = Some(Reason::ApiError { code: *code });
            }
        }
        Seen::States(states) => {
            reading.assets = Some(states.clone());
            let stopped: Vec<(String, AssetState)> = states
                .iter()
                .filter(|(_, s)| !s.is_open())
                .map(|(a, s)| (a.clone(), s.clone()))
                .collect();
            if reading.certainty == Certainty::Definite
                && reading.level == Level::Normal
                && !stopped.is_empty()
            {
                reading.level = Level::Degraded;
                reading.reason = Some(Reason::Assets(stopped));
            }
        }
        Seen::Off | Seen::Rejected(_) | Seen::Failed => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::tests_support::{eth, flows};

    const SAMPLE: &str = include_str!("../../tests/fixtures/user_assets.json");

    #[test]
    fn the_documented_answer_parses_and_balances_only_say_held() {
        let answer = parse_user_assets(200, None, SAMPLE.as_bytes()).unwrap();
        let names: Vec<&str> = answer.iter().map(|a| a.asset.as_str()).collect();
        assert_eq!(names, ["btc", "xrp", "eth", "jpy"]);
        assert!(answer[0].held);
        assert!(!answer[1].held, "0.000000 is not held");
        assert_eq!(answer[1].state.flows.withdrawal, Flow::Stopped);
        assert_eq!(answer[3].state.networks.len(), 0, "jpy lists no networks");
        assert_eq!(
            answer[2].state.networks.get("polygon").copied(),
            Some(flows(Flow::Open, Flow::Stopped))
        );
        let watched = watched_assets(None, &answer);
        assert_eq!(
            watched.into_iter().collect::<Vec<_>>(),
            ["btc", "eth", "jpy"]
        );
    }

    #[test]
    fn bad_answers_are_failures_not_empty_lists() {
        assert!(parse_user_assets(200, None, br#"{"success":1,"data":{"assets":[]}}"#).is_err());
        assert!(parse_user_assets(
            200,
            None,
            br#"{"success":1,"data":{"assets":[{"asset":"BAD!"}]}}"#
        )
        .is_err());
        let err =
            parse_user_assets(200, None, br#"{"success":0,"data":{"code":20005}}"#).unwrap_err();
        let seen = Seen::from_fetch(&Err(err), &BTreeSet::new());
        assert!(matches!(seen, Seen::Rejected(ErrorCode(20005))));
        assert!(matches!(seen.key_state(), KeyState::Rejected { .. }));
        let err =
            parse_user_assets(503, None, br#"{"success":0,"data":{"code":10007}}"#).unwrap_err();
        assert!(matches!(
            Seen::from_fetch(&Err(err), &BTreeSet::new()),
            Seen::Maintenance(_)
        ));
    }

    #[test]
    fn stops_make_a_normal_reading_degraded() {
        let open = flows(Flow::Open, Flow::Open);
        let mut reading = crate::model::reading::tests_support::normal_reading();
        fold(
            &mut reading,
            &Seen::States(eth(open, open, flows(Flow::Stopped, Flow::Open))),
        );
        assert_eq!(reading.level, Level::Degraded);
        assert!(matches!(reading.reason, Some(Reason::Assets(ref a)) if a.len() == 1));
        let mut reading = crate::model::reading::tests_support::normal_reading();
        fold(&mut reading, &Seen::Rejected(ErrorCode(20003)));
        assert_eq!(
            reading.level,
            Level::Normal,
            "a refused key changes no level"
        );
        fold(
            &mut reading,
            &Seen::Maintenance(ErrorCode::SYSTEM_MAINTENANCE),
        );
        assert_eq!(reading.level, Level::Maintenance);
    }
}
