//! Every event the detector can emit survives its JSON: JSON → event → JSON is unchanged, and
//! event → JSON → event is the same event (the typed `cause` and pair state details carry what
//! the English `reason` and the pair state kinds leave out).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bbwatch_core::model::asset::{AssetState, Flow, Flows};
use bbwatch_core::model::code::ErrorCode;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::model::fetch::{Failure, Host};
use bbwatch_core::model::level::{CircuitMode, Restriction};
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

/// A time as the JSON keeps it: to the millisecond.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (1_700_000_000_000i64..1_900_000_000_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
}

fn name() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}"
}

fn pair_name() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}_[a-z]{3}"
}

fn level() -> impl Strategy<Value = Level> {
    prop::sample::select(Level::ALL.to_vec())
}

fn restriction() -> impl Strategy<Value = Restriction> {
    prop::sample::select(vec![
        Restriction::Disabled,
        Restriction::Order,
        Restriction::OrderAndCancel,
        Restriction::MarketOrder,
        Restriction::StopOrder,
        Restriction::StopLimitOrder,
        Restriction::MarginLongOrder,
        Restriction::MarginShortOrder,
        Restriction::BuyOrder,
        Restriction::SellOrder,
    ])
}

fn mode() -> impl Strategy<Value = CircuitMode> {
    prop_oneof![
        Just(CircuitMode::None),
        Just(CircuitMode::CircuitBreak),
        Just(CircuitMode::FullRangeCircuitBreak),
        Just(CircuitMode::Resumption),
        Just(CircuitMode::Listing),
        // As classify makes them: a sanitized token bbwatch does not know.
        "NEW_[A-Z_]{1,10}".prop_map(CircuitMode::Other),
    ]
}

fn pair_state() -> impl Strategy<Value = PairState> {
    prop_oneof![
        Just(PairState::Unknown),
        Just(PairState::Normal),
        Just(PairState::Busy),
        Just(PairState::VeryBusy),
        Just(PairState::Halted),
        prop::collection::vec(restriction(), 0..4)
            .prop_map(|stopped| PairState::Suspended { stopped }),
        (mode(), prop::option::of(time()))
            .prop_map(|(mode, reopen_at)| PairState::CircuitBreak { mode, reopen_at }),
        "[A-Z_]{1,12}".prop_map(|status| PairState::Other { status }),
    ]
}

fn flow() -> impl Strategy<Value = Flow> {
    prop_oneof![Just(Flow::Open), Just(Flow::Stopped)]
}

fn flows() -> impl Strategy<Value = Flows> {
    (flow(), flow()).prop_map(|(deposit, withdrawal)| Flows {
        deposit,
        withdrawal,
    })
}

fn asset_state() -> impl Strategy<Value = AssetState> {
    (flows(), prop::collection::btree_map(name(), flows(), 0..3))
        .prop_map(|(flows, networks)| AssetState { flows, networks })
}

fn failure() -> impl Strategy<Value = Failure> {
    prop_oneof![
        (any::<u32>(), any::<u16>()).prop_map(|(code, http_status)| Failure::Api {
            code: ErrorCode(code),
            http_status,
        }),
        prop::option::of(0u64..86_400).prop_map(|s| Failure::RateLimited {
            retry_after: s.map(Duration::from_secs),
        }),
        (any::<u16>(), any::<bool>()).prop_map(|(status, html)| Failure::Http { status, html }),
        (any::<u16>(), ".{0,20}")
            .prop_map(|(status, detail)| Failure::Malformed { status, detail }),
        Just(Failure::Timeout),
        ".{0,20}".prop_map(|detail| Failure::Network { detail }),
    ]
}

fn reason() -> impl Strategy<Value = Reason> {
    let pairs = || prop::collection::vec((pair_name(), pair_state()), 0..8);
    let assets = || prop::collection::vec((name(), asset_state()), 0..3);
    prop_oneof![
        prop_oneof![Just(10007u32), Just(10008), any::<u32>()]
            .prop_map(|c| Reason::ApiError { code: ErrorCode(c) }),
        prop::collection::vec(
            (prop_oneof![Just(Host::Api), Just(Host::Public)], failure()),
            1..3
        )
        .prop_map(|failures| Reason::HostFailed { failures }),
        Just(Reason::AllPairsHalted),
        pairs().prop_map(Reason::Pairs),
        assets().prop_map(Reason::Assets),
        (pairs(), assets(), any::<bool>()).prop_map(|(pairs, assets, key_removed)| {
            Reason::Unwatched {
                pairs,
                assets,
                key_removed,
            }
        }),
        (name(), prop::option::of(any::<bool>()))
            .prop_map(|(status, planned)| Reason::Status { status, planned }),
    ]
}

prop_compose! {
    fn event()(
        kind in prop::sample::select(EventKind::ALL.to_vec()),
        at in time(),
        level in level(),
        previous_level in prop::option::of(level()),
        pair in prop::option::of(pair_name()),
        pair_state in prop::option::of(pair_state()),
        previous_pair_state in prop::option::of(pair_state()),
        reason in prop::option::of(reason()),
        duration_secs in prop::option::of(any::<u64>()),
        start_observed in prop::option::of(any::<bool>()),
        reopen_at in prop::option::of(time()),
        asset in prop::option::of(name()),
        network in prop::option::of(name()),
        flows in prop::array::uniform4(prop::option::of(flow())),
        exchange in prop::sample::select(Exchange::ALL.to_vec()),
    ) -> Event {
        let [deposit, withdrawal, previous_deposit, previous_withdrawal] = flows;
        Event {
            kind,
            at,
            level,
            previous_level,
            pair,
            pair_state,
            previous_pair_state,
            reason,
            duration_secs,
            start_observed,
            reopen_at,
            asset,
            network,
            deposit,
            withdrawal,
            previous_deposit,
            previous_withdrawal,
            exchange,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn an_event_survives_its_json(e in event()) {
        let json = e.to_json_line();
        let back: Event = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &e, "{}", json);
        prop_assert_eq!(back.to_json_line(), json);
    }

    #[test]
    fn an_event_survives_its_compact_json(e in event()) {
        let compact = e.to_compact_json();
        let back: Event = serde_json::from_str(&compact).unwrap();
        prop_assert_eq!(&back, &e, "{}", compact);
        let fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&compact).unwrap();
        prop_assert!(fields.values().all(|v| !v.is_null()), "{}", compact);
    }
}

#[test]
fn json_from_before_the_typed_fields_still_reads() {
    let old = r#"{"kind":"pair_changed","at":"2026-11-27T05:31:04.120Z","level":"degraded","previous_level":null,"pair":"xrp_jpy","pair_state":"halted","previous_pair_state":"normal","reason":"xrp_jpy halted","duration_secs":null,"start_observed":null,"reopen_at":null}"#;
    let e: Event = serde_json::from_str(old).unwrap();
    assert_eq!(e.pair_state, Some(PairState::Halted));
    assert_eq!(e.previous_pair_state, Some(PairState::Normal));
    assert_eq!(e.reason, None, "words alone are not a typed reason");
}
