//! Why the level is what it is: a typed reason. Its JSON is tagged (`{"kind": "api_error",
//! "code": 10007}`), the event's `cause`; its words, in English for the JSON's `reason` text
//! and localized for people, are [`crate::model::words`]'.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::asset::AssetState;
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Host};
use crate::model::level::PairState;

/// The cause of a level or an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CauseJson", from = "CauseJson")]
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
    /// The exchange's own status word or error code (another exchange than bitbank: GMO
    /// Coin's `MAINTENANCE` or `ERR-5202`, bitFlyer's `STOP`, …).
    Status {
        /// What it said, as it said it.
        status: String,
        /// Whether it said the maintenance is scheduled (`true`) or an emergency (`false`);
        /// `None` when it did not say.
        planned: Option<bool>,
    },
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

/// [`Reason`] as JSON: tagged by `kind`, lists as objects that name their pair or asset.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CauseJson {
    ApiError {
        code: ErrorCode,
    },
    HostFailed {
        failures: Vec<HostFailureJson>,
    },
    AllPairsHalted,
    Pairs {
        pairs: Vec<PairJson>,
    },
    Assets {
        assets: Vec<AssetJson>,
    },
    Unwatched {
        pairs: Vec<PairJson>,
        assets: Vec<AssetJson>,
        key_removed: bool,
    },
    Status {
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        planned: Option<bool>,
    },
}

/// One pair with its state: `{"pair": "xrp_jpy", "state": "circuit_break", "mode": …}`.
#[derive(Serialize, Deserialize)]
struct PairJson {
    pair: String,
    #[serde(flatten)]
    state: PairState,
}

/// One asset with its flows: `{"asset": "eth", "deposit": "open", "withdrawal": "stopped"}`.
#[derive(Serialize, Deserialize)]
struct AssetJson {
    asset: String,
    #[serde(flatten)]
    state: AssetState,
}

#[derive(Serialize, Deserialize)]
struct HostFailureJson {
    host: HostJson,
    failure: FailureJson,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HostJson {
    Api,
    Public,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FailureJson {
    Api {
        code: ErrorCode,
        http_status: u16,
    },
    RateLimited {
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    Http {
        status: u16,
        html: bool,
    },
    Malformed {
        status: u16,
        detail: String,
    },
    Timeout,
    Network {
        detail: String,
    },
}

fn pairs_json(pairs: Vec<(String, PairState)>) -> Vec<PairJson> {
    pairs
        .into_iter()
        .map(|(pair, state)| PairJson { pair, state })
        .collect()
}

fn assets_json(assets: Vec<(String, AssetState)>) -> Vec<AssetJson> {
    assets
        .into_iter()
        .map(|(asset, state)| AssetJson { asset, state })
        .collect()
}

impl From<Reason> for CauseJson {
    fn from(r: Reason) -> Self {
        match r {
            Reason::ApiError { code } => CauseJson::ApiError { code },
            Reason::HostFailed { failures } => CauseJson::HostFailed {
                failures: failures
                    .into_iter()
                    .map(|(host, failure)| HostFailureJson {
                        host: match host {
                            Host::Api => HostJson::Api,
                            Host::Public => HostJson::Public,
                        },
                        failure: failure.into(),
                    })
                    .collect(),
            },
            Reason::AllPairsHalted => CauseJson::AllPairsHalted,
            Reason::Status { status, planned } => CauseJson::Status { status, planned },
            Reason::Pairs(pairs) => CauseJson::Pairs {
                pairs: pairs_json(pairs),
            },
            Reason::Assets(assets) => CauseJson::Assets {
                assets: assets_json(assets),
            },
            Reason::Unwatched {
                pairs,
                assets,
                key_removed,
            } => CauseJson::Unwatched {
                pairs: pairs_json(pairs),
                assets: assets_json(assets),
                key_removed,
            },
        }
    }
}

impl From<CauseJson> for Reason {
    fn from(c: CauseJson) -> Self {
        let pairs = |p: Vec<PairJson>| p.into_iter().map(|p| (p.pair, p.state)).collect();
        let assets = |a: Vec<AssetJson>| a.into_iter().map(|a| (a.asset, a.state)).collect();
        match c {
            CauseJson::ApiError { code } => Reason::ApiError { code },
            CauseJson::HostFailed { failures } => Reason::HostFailed {
                failures: failures
                    .into_iter()
                    .map(|f| {
                        let host = match f.host {
                            HostJson::Api => Host::Api,
                            HostJson::Public => Host::Public,
                        };
                        (host, f.failure.into_failure())
                    })
                    .collect(),
            },
            CauseJson::AllPairsHalted => Reason::AllPairsHalted,
            CauseJson::Status { status, planned } => Reason::Status { status, planned },
            CauseJson::Pairs { pairs: p } => Reason::Pairs(pairs(p)),
            CauseJson::Assets { assets: a } => Reason::Assets(assets(a)),
            CauseJson::Unwatched {
                pairs: p,
                assets: a,
                key_removed,
            } => Reason::Unwatched {
                pairs: pairs(p),
                assets: assets(a),
                key_removed,
            },
        }
    }
}

impl From<Failure> for FailureJson {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Api { code, http_status } => FailureJson::Api { code, http_status },
            Failure::RateLimited { retry_after } => FailureJson::RateLimited {
                retry_after_ms: retry_after
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            Failure::Http { status, html } => FailureJson::Http { status, html },
            Failure::Malformed { status, detail } => FailureJson::Malformed { status, detail },
            Failure::Timeout => FailureJson::Timeout,
            Failure::Network { detail } => FailureJson::Network { detail },
        }
    }
}

impl FailureJson {
    // Not `From`: an impl for `Failure` would count as `fetch` importing this module back.
    fn into_failure(self) -> Failure {
        match self {
            FailureJson::Api { code, http_status } => Failure::Api { code, http_status },
            FailureJson::RateLimited { retry_after_ms } => Failure::RateLimited {
                retry_after: retry_after_ms.map(Duration::from_millis),
            },
            FailureJson::Http { status, html } => Failure::Http { status, html },
            FailureJson::Malformed { status, detail } => Failure::Malformed { status, detail },
            FailureJson::Timeout => Failure::Timeout,
            FailureJson::Network { detail } => Failure::Network { detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_tagged_and_reads_back() {
        let r = Reason::Pairs(vec![("btc_jpy".into(), PairState::Halted)]);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"pairs","pairs":[{"pair":"btc_jpy","state":"halted"}]}"#
        );
        let back: Reason = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let r = Reason::HostFailed {
            failures: vec![(
                Host::Api,
                Failure::RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
            )],
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"host_failed","failures":[{"host":"api","failure":{"kind":"rate_limited","retry_after_ms":30000}}]}"#
        );
        assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r);
    }
}
