//! Events for tests: every kind of reason and pair state there is.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bbwatch_core::model::asset::{AssetState, Flow, Flows};
use bbwatch_core::model::code::ErrorCode;
use bbwatch_core::model::fetch::{Failure, Host};
use bbwatch_core::model::level::{CircuitMode, Restriction};
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState};
use chrono::{DateTime, TimeZone, Utc};

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
        Reason::Assets(vec![(
            "eth".into(),
            AssetState {
                flows: Flows {
                    deposit: Flow::Open,
                    withdrawal: Flow::Stopped,
                },
                networks: [(
                    "polygon".to_string(),
                    Flows {
                        deposit: Flow::Stopped,
                        withdrawal: Flow::Stopped,
                    },
                )]
                .into(),
            },
        )]),
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
