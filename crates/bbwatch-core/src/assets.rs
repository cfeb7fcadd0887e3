//! Deposits and withdrawals: `GET /v1/user/assets` (private, signed), what each watched asset
//! allows, and the `asset_changed` events between two answers. Pure except for the parse's
//! logging; balances are read only to say whether an asset is held, and then dropped.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{parse_envelope, Failure, Fetch};
use crate::classify::{Certainty, Reading};
use crate::code::ErrorCode;
use crate::event::{Event, EventKind};
use crate::level::Level;
use crate::reason::Reason;
use crate::sanitize;

/// The request path, as signed.
pub const PATH: &str = "/v1/user/assets";
/// Always watched when the watch list is the default: yen deposits and withdrawals.
pub const JPY: &str = "jpy";
/// At most this many assets are watched (bitbank lists about fifty).
pub const MAX_WATCHED_ASSETS: usize = 200;

/// Whether deposits (or withdrawals) of an asset go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// They go through.
    #[default]
    Open,
    /// bitbank stopped them.
    Stopped,
}

impl Flow {
    fn from_stop(stop: bool) -> Flow {
        if stop {
            Flow::Stopped
        } else {
            Flow::Open
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Open => "open",
            Flow::Stopped => "stopped",
        }
    }
}

/// Deposits and withdrawals together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Flows {
    /// Deposits.
    pub deposit: Flow,
    /// Withdrawals.
    pub withdrawal: Flow,
}

impl Flows {
    /// Both open.
    pub fn is_open(self) -> bool {
        self.deposit == Flow::Open && self.withdrawal == Flow::Open
    }

    /// `self` as a network's own story: a direction the whole asset stopped is told by the
    /// asset's event, not once more per network.
    fn beyond(self, asset: Flows) -> Flows {
        let own = |net: Flow, all: Flow| {
            if all == Flow::Stopped {
                Flow::Open
            } else {
                net
            }
        };
        Flows {
            deposit: own(self.deposit, asset.deposit),
            withdrawal: own(self.withdrawal, asset.withdrawal),
        }
    }
}

/// One asset's deposits and withdrawals, as a whole and per network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssetState {
    /// The whole asset (bitbank sets it stopped when every network is).
    #[serde(flatten)]
    pub flows: Flows,
    /// Per network, where bitbank lists networks (not for JPY).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Flows>,
}

impl AssetState {
    /// Deposits and withdrawals open, on every network.
    pub fn is_open(&self) -> bool {
        self.flows.is_open() && self.networks.values().all(|f| f.is_open())
    }

    /// What is stopped beyond the whole asset's flags, per network.
    pub fn stopped_networks(&self) -> impl Iterator<Item = (&String, Flows)> {
        self.networks
            .iter()
            .map(|(n, f)| (n, f.beyond(self.flows)))
            .filter(|(_, f)| !f.is_open())
    }
}

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

/// An asset name as bitbank writes it: lowercase letters and digits.
pub fn check_asset_name(a: &str) -> Result<(), String> {
    if !a.is_empty()
        && a.len() <= 16
        && a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!("{a:?} is not an asset name like \"xrp\""))
    }
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

/// What the key is doing, for the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum KeyState {
    /// No API key: deposits and withdrawals are not watched.
    #[default]
    None,
    /// Given, no answer yet (or the last request failed for another reason).
    Pending,
    /// bitbank accepted it.
    Accepted,
    /// bitbank refused it (a 2000x code).
    Rejected {
        /// The code.
        code: ErrorCode,
    },
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

/// The answer to one signed request made to try a key (the settings window's "Test").
#[derive(Clone, Debug, PartialEq)]
pub enum KeyCheck {
    /// bitbank answered with the assets.
    Accepted,
    /// bitbank refused the key.
    Rejected(ErrorCode),
    /// No verdict: bitbank is in maintenance, or the request failed.
    Unchecked(Failure),
}

/// Make one signed request with `credentials` and say what bitbank made of the key.
pub async fn check_key(
    client: &crate::client::Client,
    credentials: &crate::credentials::Credentials,
) -> KeyCheck {
    match client.user_assets(credentials).await {
        Ok(_) => KeyCheck::Accepted,
        Err(Failure::Api { code, .. }) if is_auth_error(code) => KeyCheck::Rejected(code),
        Err(f) => KeyCheck::Unchecked(f),
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

/// The `asset_changed` events from `before` to `after`. A whole-asset change is one event with
/// no network; a network's own change (beyond what the whole asset says) is one event naming
/// it. An asset that joins (a key added, an asset newly watched) has no "before": it is told
/// only where it is stopped, with no previous state.
pub fn changes(
    before: &BTreeMap<String, AssetState>,
    after: &BTreeMap<String, AssetState>,
    at: DateTime<Utc>,
    level: Level,
) -> Vec<Event> {
    let mut events = Vec::new();
    for (asset, now) in after {
        let was = before.get(asset);
        let mut push = |network: Option<&String>, from: Option<Flows>, to: Flows| {
            if from.map_or(to.is_open(), |from| from == to) {
                return;
            }
            let mut e = Event::level_change(EventKind::AssetChanged, at, level, None);
            e.asset = Some(asset.clone());
            e.network = network.cloned();
            e.deposit = Some(to.deposit);
            e.withdrawal = Some(to.withdrawal);
            e.previous_deposit = from.map(|f| f.deposit);
            e.previous_withdrawal = from.map(|f| f.withdrawal);
            let mut state = AssetState {
                flows: to,
                networks: BTreeMap::new(),
            };
            if let Some(n) = network {
                state.flows = Flows::default();
                state.networks.insert(n.clone(), to);
            }
            // A resumption has nothing stopped to tell: no reason, as for any end.
            e.reason = (!to.is_open()).then(|| Reason::Assets(vec![(asset.clone(), state)]));
            events.push(e);
        };
        push(None, was.map(|w| w.flows), now.flows);
        let empty = BTreeMap::new();
        let was_networks = was.map_or(&empty, |w| &w.networks);
        let networks: BTreeSet<&String> = was_networks.keys().chain(now.networks.keys()).collect();
        for n in networks {
            let Some(to) = now.networks.get(n) else {
                continue;
            };
            let from = match (was, was_networks.get(n)) {
                (Some(w), Some(from)) => Some(from.beyond(w.flows)),
                // A network that appears on a known asset, as a newly listed one would.
                (Some(_), None) => continue,
                (None, _) => None,
            };
            push(Some(n), from, to.beyond(now.flows));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../tests/fixtures/user_assets.json");

    fn flows(d: Flow, w: Flow) -> Flows {
        Flows {
            deposit: d,
            withdrawal: w,
        }
    }

    fn eth(asset: Flows, eth: Flows, polygon: Flows) -> BTreeMap<String, AssetState> {
        let mut networks = BTreeMap::new();
        networks.insert("eth".to_owned(), eth);
        networks.insert("polygon".to_owned(), polygon);
        BTreeMap::from([(
            "eth".to_owned(),
            AssetState {
                flows: asset,
                networks,
            },
        )])
    }

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
    fn one_networks_stop_is_one_event_naming_it() {
        let open = flows(Flow::Open, Flow::Open);
        let out = flows(Flow::Open, Flow::Stopped);
        let before = eth(open, open, open);
        let after = eth(open, open, out);
        let events = changes(&before, &after, Utc::now(), Level::Degraded);
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.kind, EventKind::AssetChanged);
        assert_eq!(e.asset.as_deref(), Some("eth"));
        assert_eq!(e.network.as_deref(), Some("polygon"));
        assert_eq!(e.withdrawal, Some(Flow::Stopped));
        assert_eq!(e.previous_withdrawal, Some(Flow::Open));
        assert_eq!(e.deposit, Some(Flow::Open));
        assert!(e.reason.is_some());
        let back = changes(&after, &before, Utc::now(), Level::Normal);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].withdrawal, Some(Flow::Open));
        assert_eq!(back[0].reason, None, "nothing is stopped");
    }

    #[test]
    fn a_whole_asset_stop_is_one_event_however_many_networks() {
        let open = flows(Flow::Open, Flow::Open);
        let out = flows(Flow::Stopped, Flow::Stopped);
        let events = changes(
            &eth(open, open, open),
            &eth(out, out, out),
            Utc::now(),
            Level::Degraded,
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].network, None);
        assert_eq!(events[0].deposit, Some(Flow::Stopped));
    }

    #[test]
    fn stops_make_a_normal_reading_degraded() {
        let open = flows(Flow::Open, Flow::Open);
        let mut reading = crate::classify::tests_support::normal_reading();
        fold(
            &mut reading,
            &Seen::States(eth(open, open, flows(Flow::Stopped, Flow::Open))),
        );
        assert_eq!(reading.level, Level::Degraded);
        assert!(matches!(reading.reason, Some(Reason::Assets(ref a)) if a.len() == 1));
        let mut reading = crate::classify::tests_support::normal_reading();
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
