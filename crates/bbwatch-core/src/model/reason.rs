//! Why the level is what it is: a typed reason, shown in English in JSON and localized for people.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::asset::{AssetState, Flow, Flows};
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Host};
use crate::model::level::PairState;

/// How many affected pairs a reason names before "and N more".
const MAX_LISTED_PAIRS: usize = 5;

/// The cause of a level or an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// bitbank answered with an error code (10007 maintenance, 10008 busy, …).
    ApiError {
        /// The code.
        code: ErrorCode,
    },
    /// A host failed without bitbank's envelope (timeout, refused, HTML error page, …).
    /// For `unreachable`, both hosts' failures are given.
    HostFailed {
        /// Each failing host with its failure.
        failures: Vec<(Host, Failure)>,
    },
    /// Every watched pair is HALT.
    AllPairsHalted,
    /// These watched pairs are not trading normally.
    Pairs(Vec<(String, PairState)>),
    /// These watched assets' deposits or withdrawals are stopped (as a whole or on a network).
    Assets(Vec<(String, AssetState)>),
    /// The user stopped watching what held the level: these pairs and assets (with their
    /// states when they left), or every asset, the API key being removed.
    Unwatched {
        /// Pairs no longer watched, as they were.
        pairs: Vec<(String, PairState)>,
        /// Assets no longer watched, as they were.
        assets: Vec<(String, AssetState)>,
        /// The API key was removed: no asset is checked any more.
        key_removed: bool,
    },
    /// A reason read back from JSON (history, another process): the English text only.
    Text(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Api { code, http_status } => {
                write!(f, "api error {code} (HTTP {http_status})")
            }
            Failure::RateLimited { .. } => f.write_str("rate limited"),
            Failure::Http { status, html: true } => write!(f, "HTTP {status} (error page)"),
            Failure::Http {
                status,
                html: false,
            } => write!(f, "HTTP {status}"),
            Failure::Malformed { status, .. } => write!(f, "malformed answer (HTTP {status})"),
            Failure::Timeout => f.write_str("timeout"),
            Failure::Network { .. } => f.write_str("connection failed"),
        }
    }
}

/// Describe one pair's state in English, e.g. `xrp_jpy circuit break (CIRCUIT_BREAK)`.
pub fn describe_pair(pair: &str, state: &PairState) -> String {
    match state {
        PairState::Suspended { stopped } => {
            let ops: Vec<&str> = stopped.iter().map(|r| r.as_str()).collect();
            format!("{pair} suspended ({})", ops.join(", "))
        }
        PairState::CircuitBreak { mode, .. } => {
            format!("{pair} circuit break ({})", mode.as_str())
        }
        PairState::Other { status } => format!("{pair} status {status}"),
        other => format!("{pair} {}", other.kind().replace('_', " ")),
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ApiError { code } => match code.info() {
                Some(info) => write!(
                    f,
                    "api error {code}: {}",
                    info.message_en.trim_end_matches('.')
                ),
                None => write!(f, "api error {code}"),
            },
            Reason::HostFailed { failures } => {
                let parts: Vec<String> = failures
                    .iter()
                    .map(|(host, failure)| format!("{}: {failure}", host.as_str()))
                    .collect();
                f.write_str(&parts.join("; "))
            }
            Reason::AllPairsHalted => f.write_str("every watched pair is HALT"),
            Reason::Pairs(pairs) => {
                let mut parts: Vec<String> = pairs
                    .iter()
                    .take(MAX_LISTED_PAIRS)
                    .map(|(p, s)| describe_pair(p, s))
                    .collect();
                if pairs.len() > MAX_LISTED_PAIRS {
                    parts.push(format!("and {} more", pairs.len() - MAX_LISTED_PAIRS));
                }
                f.write_str(&parts.join(", "))
            }
            Reason::Assets(assets) => {
                let parts: Vec<String> = assets
                    .iter()
                    .flat_map(|(a, s)| describe_asset(a, s))
                    .collect();
                f.write_str(&parts.join(", "))
            }
            Reason::Unwatched {
                key_removed: true, ..
            } => f.write_str("API key removed: deposits and withdrawals are no longer checked"),
            Reason::Unwatched { pairs, assets, .. } => {
                let names: Vec<&str> = pairs
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .chain(assets.iter().map(|(a, _)| a.as_str()))
                    .collect();
                write!(f, "no longer watching {}", names.join(", "))
            }
            Reason::Text(text) => f.write_str(text),
        }
    }
}

/// What is stopped, in English words: `deposits`, `withdrawals`, `deposits and withdrawals`.
pub fn stopped_flows(f: Flows) -> Option<&'static str> {
    match (f.deposit == Flow::Stopped, f.withdrawal == Flow::Stopped) {
        (true, true) => Some("deposits and withdrawals"),
        (true, false) => Some("deposits"),
        (false, true) => Some("withdrawals"),
        (false, false) => None,
    }
}

/// One asset's stops in English, e.g. `xrp withdrawals stopped`, `eth deposits stopped on polygon`.
pub fn describe_asset(asset: &str, state: &AssetState) -> Vec<String> {
    let whole = stopped_flows(state.flows).map(|what| format!("{asset} {what} stopped"));
    let networks = state
        .stopped_networks()
        .filter_map(|(n, f)| stopped_flows(f).map(|what| format!("{asset} {what} stopped on {n}")));
    whole.into_iter().chain(networks).collect()
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Reason::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::level::{CircuitMode, Restriction};

    #[test]
    fn english_texts() {
        assert_eq!(
            Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE
            }
            .to_string(),
            "api error 10007: System maintenance"
        );
        assert_eq!(
            Reason::ApiError {
                code: ErrorCode(4242)
            }
            .to_string(),
            "api error 4242"
        );
        let r = Reason::HostFailed {
            failures: vec![
                (
                    Host::Api,
                    Failure::Http {
                        status: 503,
                        html: true,
                    },
                ),
                (Host::Public, Failure::Timeout),
            ],
        };
        assert_eq!(
            r.to_string(),
            "api host: HTTP 503 (error page); public host: timeout"
        );
        let r = Reason::Pairs(vec![
            ("btc_jpy".into(), PairState::Halted),
            ("eth_jpy".into(), PairState::VeryBusy),
            (
                "xrp_jpy".into(),
                PairState::CircuitBreak {
                    mode: CircuitMode::CircuitBreak,
                    reopen_at: None,
                },
            ),
            (
                "mkr_jpy".into(),
                PairState::Suspended {
                    stopped: vec![Restriction::Order],
                },
            ),
        ]);
        assert_eq!(
            r.to_string(),
            "btc_jpy halted, eth_jpy very busy, xrp_jpy circuit break (CIRCUIT_BREAK), mkr_jpy suspended (order)"
        );
    }

    #[test]
    fn long_pair_lists_are_cut() {
        let pairs = (0..8)
            .map(|i| (format!("p{i}_jpy"), PairState::Busy))
            .collect();
        assert!(Reason::Pairs(pairs).to_string().ends_with("and 3 more"));
    }

    #[test]
    fn json_round_trip_keeps_the_text() {
        let r = Reason::AllPairsHalted;
        let json = serde_json::to_string(&r).unwrap();
        let back: Reason = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_string(), r.to_string());
    }
}
