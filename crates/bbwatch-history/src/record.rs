//! How an event and a snapshot are kept: typed JSON, so what is read back is the same
//! [`Event`] that was recorded. The events' public JSON (the `--json` schema) puts the reason
//! into English words; here the reason stays a [`Reason`] and pair states keep their details
//! (which operations are stopped, the circuit-break mode and reopen time), to be put into
//! words only when shown, in the reader's language.

use std::collections::BTreeMap;
use std::time::Duration;

use bbwatch_core::model::asset::{AssetState, Flow};
use bbwatch_core::model::code::ErrorCode;
use bbwatch_core::model::fetch::{Failure, Host};
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState, Resume, Snapshot};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One stored event (the `data` column of `events`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EventRecord {
    kind: EventKind,
    at: DateTime<Utc>,
    level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pair_state: Option<PairState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_pair_state: Option<PairState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<ReasonRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_observed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reopen_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deposit: Option<Flow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    withdrawal: Option<Flow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_deposit: Option<Flow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_withdrawal: Option<Flow>,
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        EventRecord {
            kind: e.kind,
            at: e.at,
            level: e.level,
            previous_level: e.previous_level,
            pair: e.pair.clone(),
            pair_state: e.pair_state.clone(),
            previous_pair_state: e.previous_pair_state.clone(),
            reason: e.reason.as_ref().map(ReasonRecord::from),
            duration_secs: e.duration_secs,
            start_observed: e.start_observed,
            reopen_at: e.reopen_at,
            asset: e.asset.clone(),
            network: e.network.clone(),
            deposit: e.deposit,
            withdrawal: e.withdrawal,
            previous_deposit: e.previous_deposit,
            previous_withdrawal: e.previous_withdrawal,
        }
    }
}

impl From<EventRecord> for Event {
    fn from(r: EventRecord) -> Self {
        Event {
            kind: r.kind,
            at: r.at,
            level: r.level,
            previous_level: r.previous_level,
            pair: r.pair,
            pair_state: r.pair_state,
            previous_pair_state: r.previous_pair_state,
            reason: r.reason.map(Reason::from),
            duration_secs: r.duration_secs,
            start_observed: r.start_observed,
            reopen_at: r.reopen_at,
            asset: r.asset,
            network: r.network,
            deposit: r.deposit,
            withdrawal: r.withdrawal,
            previous_deposit: r.previous_deposit,
            previous_withdrawal: r.previous_withdrawal,
        }
    }
}

/// A [`Reason`], typed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ReasonRecord {
    ApiError {
        code: u32,
    },
    HostFailed {
        failures: Vec<HostFailure>,
    },
    AllPairsHalted,
    Pairs {
        pairs: Vec<(String, PairState)>,
    },
    Assets {
        assets: Vec<(String, AssetState)>,
    },
    Unwatched {
        pairs: Vec<(String, PairState)>,
        assets: Vec<(String, AssetState)>,
        key_removed: bool,
    },
    /// Only for a reason that was already text when recorded (read from another JSON).
    Text {
        text: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HostFailure {
    host: HostRecord,
    failure: FailureRecord,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HostRecord {
    Api,
    Public,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FailureRecord {
    Api {
        code: u32,
        http_status: u16,
    },
    RateLimited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
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

impl From<&Reason> for ReasonRecord {
    fn from(r: &Reason) -> Self {
        match r {
            Reason::ApiError { code } => ReasonRecord::ApiError { code: code.0 },
            Reason::HostFailed { failures } => ReasonRecord::HostFailed {
                failures: failures
                    .iter()
                    .map(|(host, f)| HostFailure {
                        host: match host {
                            Host::Api => HostRecord::Api,
                            Host::Public => HostRecord::Public,
                        },
                        failure: FailureRecord::from(f),
                    })
                    .collect(),
            },
            Reason::AllPairsHalted => ReasonRecord::AllPairsHalted,
            Reason::Pairs(pairs) => ReasonRecord::Pairs {
                pairs: pairs.clone(),
            },
            Reason::Assets(assets) => ReasonRecord::Assets {
                assets: assets.clone(),
            },
            Reason::Unwatched {
                pairs,
                assets,
                key_removed,
            } => ReasonRecord::Unwatched {
                pairs: pairs.clone(),
                assets: assets.clone(),
                key_removed: *key_removed,
            },
            Reason::Text(text) => ReasonRecord::Text { text: text.clone() },
        }
    }
}

impl From<ReasonRecord> for Reason {
    fn from(r: ReasonRecord) -> Self {
        match r {
            ReasonRecord::ApiError { code } => Reason::ApiError {
                code: ErrorCode(code),
            },
            ReasonRecord::HostFailed { failures } => Reason::HostFailed {
                failures: failures
                    .into_iter()
                    .map(|f| {
                        let host = match f.host {
                            HostRecord::Api => Host::Api,
                            HostRecord::Public => Host::Public,
                        };
                        (host, Failure::from(f.failure))
                    })
                    .collect(),
            },
            ReasonRecord::AllPairsHalted => Reason::AllPairsHalted,
            ReasonRecord::Pairs { pairs } => Reason::Pairs(pairs),
            ReasonRecord::Assets { assets } => Reason::Assets(assets),
            ReasonRecord::Unwatched {
                pairs,
                assets,
                key_removed,
            } => Reason::Unwatched {
                pairs,
                assets,
                key_removed,
            },
            ReasonRecord::Text { text } => Reason::Text(text),
        }
    }
}

impl From<&Failure> for FailureRecord {
    fn from(f: &Failure) -> Self {
        match f {
            Failure::Api { code, http_status } => FailureRecord::Api {
                code: code.0,
                http_status: *http_status,
            },
            Failure::RateLimited { retry_after } => FailureRecord::RateLimited {
                retry_after_ms: retry_after
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            Failure::Http { status, html } => FailureRecord::Http {
                status: *status,
                html: *html,
            },
            Failure::Malformed { status, detail } => FailureRecord::Malformed {
                status: *status,
                detail: detail.clone(),
            },
            Failure::Timeout => FailureRecord::Timeout,
            Failure::Network { detail } => FailureRecord::Network {
                detail: detail.clone(),
            },
        }
    }
}

impl From<FailureRecord> for Failure {
    fn from(f: FailureRecord) -> Self {
        match f {
            FailureRecord::Api { code, http_status } => Failure::Api {
                code: ErrorCode(code),
                http_status,
            },
            FailureRecord::RateLimited { retry_after_ms } => Failure::RateLimited {
                retry_after: retry_after_ms.map(Duration::from_millis),
            },
            FailureRecord::Http { status, html } => Failure::Http { status, html },
            FailureRecord::Malformed { status, detail } => Failure::Malformed { status, detail },
            FailureRecord::Timeout => Failure::Timeout,
            FailureRecord::Network { detail } => Failure::Network { detail },
        }
    }
}

/// The last confirmed snapshot, as much of it as continuity needs (the `snapshot` table).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SnapshotRecord {
    level: Level,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    start_observed: bool,
    #[serde(default)]
    reason: Option<ReasonRecord>,
    #[serde(default)]
    pairs: BTreeMap<String, PairState>,
    checked_at: DateTime<Utc>,
}

impl SnapshotRecord {
    /// The record of `s`, or `None` for a snapshot with nothing confirmed yet.
    pub(crate) fn of(s: &Snapshot) -> Option<SnapshotRecord> {
        if s.level == Level::Unknown {
            return None;
        }
        Some(SnapshotRecord {
            level: s.level,
            since: s.since,
            start_observed: s.start_observed,
            reason: s.reason.as_ref().map(ReasonRecord::from),
            pairs: s.pairs.clone(),
            checked_at: s.checked_at?,
        })
    }

    /// What a new monitor continues from it.
    pub(crate) fn into_resume(self) -> Resume {
        Resume {
            level: self.level,
            since: self.since.unwrap_or(self.checked_at),
            start_observed: self.start_observed && self.since.is_some(),
            reason: self.reason.map(Reason::from),
            pairs: self.pairs,
            checked_at: self.checked_at,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::model::level::{CircuitMode, Restriction};
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::milliseconds(secs * 1000 + 123)
    }

    /// Events with every kind of reason and pair state there is.
    pub(crate) fn every_kind_of_event() -> Vec<Event> {
        let mut out = Vec::new();
        let reasons = vec![
            Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            },
            Reason::ApiError {
                code: ErrorCode(4242),
            },
            Reason::HostFailed {
                failures: vec![
                    (
                        Host::Api,
                        Failure::Http {
                            status: 503,
                            html: true,
                        },
                    ),
                    (Host::Public, Failure::Timeout),
                    (
                        Host::Api,
                        Failure::Api {
                            code: ErrorCode(10008),
                            http_status: 200,
                        },
                    ),
                    (
                        Host::Api,
                        Failure::RateLimited {
                            retry_after: Some(Duration::from_secs(30)),
                        },
                    ),
                    (
                        Host::Public,
                        Failure::Malformed {
                            status: 200,
                            detail: "not JSON".into(),
                        },
                    ),
                    (
                        Host::Public,
                        Failure::Network {
                            detail: "refused".into(),
                        },
                    ),
                ],
            },
            Reason::AllPairsHalted,
            Reason::Unwatched {
                pairs: vec![("btc_jpy".into(), PairState::Halted)],
                assets: vec![("eth".into(), AssetState::default())],
                key_removed: false,
            },
            Reason::Unwatched {
                pairs: Vec::new(),
                assets: Vec::new(),
                key_removed: true,
            },
            Reason::Text("from elsewhere".into()),
        ];
        for (i, reason) in reasons.into_iter().enumerate() {
            let mut e = Event::level_change(
                EventKind::MaintenanceStarted,
                at(i as i64),
                Level::Maintenance,
                Some(Level::Normal),
            );
            e.reason = Some(reason);
            e.start_observed = Some(true);
            out.push(e);
        }
        let states = vec![
            PairState::Halted,
            PairState::Suspended {
                stopped: vec![Restriction::Order, Restriction::MarginShortOrder],
            },
            PairState::CircuitBreak {
                mode: CircuitMode::FullRangeCircuitBreak,
                reopen_at: Some(at(3600)),
            },
            PairState::CircuitBreak {
                mode: CircuitMode::Other("NEW_MODE".into()),
                reopen_at: None,
            },
            PairState::Other {
                status: "SUPER_BUSY".into(),
            },
            PairState::VeryBusy,
        ];
        for state in states {
            let mut e = Event::level_change(EventKind::PairChanged, at(10), Level::Degraded, None);
            e.pair = Some("xrp_jpy".into());
            e.reopen_at = state.reopen_at();
            e.reason = Some(Reason::Pairs(vec![("xrp_jpy".into(), state.clone())]));
            e.previous_pair_state = Some(PairState::Normal);
            e.pair_state = Some(state);
            out.push(e);
        }
        let mut ended = Event::level_change(
            EventKind::DownEnded,
            at(20),
            Level::Normal,
            Some(Level::Down),
        );
        ended.duration_secs = Some(4242);
        ended.start_observed = Some(false);
        out.push(ended);
        out
    }

    #[test]
    fn every_event_reads_back_the_same() {
        for e in every_kind_of_event() {
            let json = serde_json::to_string(&EventRecord::from(&e)).unwrap();
            let back: EventRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(Event::from(back), e, "{json}");
        }
    }

    #[test]
    fn a_snapshot_becomes_the_state_to_resume() {
        let s = Snapshot {
            level: Level::Maintenance,
            since: Some(at(0)),
            start_observed: true,
            reason: Some(Reason::AllPairsHalted),
            pairs: [("btc_jpy".to_string(), PairState::Halted)].into(),
            checked_at: Some(at(30)),
            rate_limited: false,
            retry_after_secs: None,
            stream: bbwatch_core::model::link::Link::Off,
            ..Snapshot::default()
        };
        let json = serde_json::to_string(&SnapshotRecord::of(&s).unwrap()).unwrap();
        let back: SnapshotRecord = serde_json::from_str(&json).unwrap();
        let resume = back.into_resume();
        assert_eq!(resume.level, Level::Maintenance);
        assert_eq!(resume.since, at(0));
        assert_eq!(resume.reason, Some(Reason::AllPairsHalted));
        assert_eq!(resume.pairs["btc_jpy"], PairState::Halted);
        assert_eq!(resume.checked_at, at(30));
        assert!(SnapshotRecord::of(&Snapshot::default()).is_none());
    }
}
