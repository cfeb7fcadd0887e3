//! The one event schema every sink and the CLI's `--json` share.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::model::asset::Flow;
use crate::model::exchange::Exchange;
use crate::model::level::{Level, PairState};
use crate::model::reason::Reason;
use crate::model::words::reason_text;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The first confirmed snapshot; carries the level.
    MonitorStarted,
    /// Maintenance began.
    MaintenanceStarted,
    /// Maintenance ended.
    MaintenanceEnded,
    /// The api host went down.
    DownStarted,
    /// The api host is back.
    DownEnded,
    /// Neither host answers.
    UnreachableStarted,
    /// Reachable again.
    UnreachableEnded,
    /// A watched pair (or the server) became restricted.
    DegradedStarted,
    /// Restrictions lifted.
    DegradedEnded,
    /// A watched pair's state changed.
    PairChanged,
    /// A watched asset's deposits or withdrawals stopped or resumed (as a whole or on one
    /// network).
    AssetChanged,
    /// The user stopped watching what held the level (pairs, assets, the API key): the level
    /// follows at once, and what was stopped is not said to be restored.
    WatchChanged,
}

impl EventKind {
    /// Every kind, in schema order.
    pub const ALL: [EventKind; 12] = [
        EventKind::MonitorStarted,
        EventKind::MaintenanceStarted,
        EventKind::MaintenanceEnded,
        EventKind::DownStarted,
        EventKind::DownEnded,
        EventKind::UnreachableStarted,
        EventKind::UnreachableEnded,
        EventKind::DegradedStarted,
        EventKind::DegradedEnded,
        EventKind::PairChanged,
        EventKind::AssetChanged,
        EventKind::WatchChanged,
    ];

    /// `X_started` for a level that has one.
    pub fn started(level: Level) -> Option<EventKind> {
        match level {
            Level::Maintenance => Some(EventKind::MaintenanceStarted),
            Level::Down => Some(EventKind::DownStarted),
            Level::Unreachable => Some(EventKind::UnreachableStarted),
            Level::Degraded => Some(EventKind::DegradedStarted),
            Level::Normal | Level::Unknown => None,
        }
    }

    /// `X_ended` for a level that has one.
    pub fn ended(level: Level) -> Option<EventKind> {
        match level {
            Level::Maintenance => Some(EventKind::MaintenanceEnded),
            Level::Down => Some(EventKind::DownEnded),
            Level::Unreachable => Some(EventKind::UnreachableEnded),
            Level::Degraded => Some(EventKind::DegradedEnded),
            Level::Normal | Level::Unknown => None,
        }
    }

    /// The snake_case name used in JSON and in hook configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MonitorStarted => "monitor_started",
            EventKind::MaintenanceStarted => "maintenance_started",
            EventKind::MaintenanceEnded => "maintenance_ended",
            EventKind::DownStarted => "down_started",
            EventKind::DownEnded => "down_ended",
            EventKind::UnreachableStarted => "unreachable_started",
            EventKind::UnreachableEnded => "unreachable_ended",
            EventKind::DegradedStarted => "degraded_started",
            EventKind::DegradedEnded => "degraded_ended",
            EventKind::PairChanged => "pair_changed",
            EventKind::AssetChanged => "asset_changed",
            EventKind::WatchChanged => "watch_changed",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event. Every field is always present in JSON (null when it does not apply); the JSON
/// reads back as the same event (see [`EventJson`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "EventJson", from = "EventJson")]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When (RFC 3339 UTC, milliseconds).
    pub at: DateTime<Utc>,
    /// The overall level after the event.
    pub level: Level,
    /// The level before, for level changes.
    pub previous_level: Option<Level>,
    /// The pair, for `pair_changed`.
    pub pair: Option<String>,
    /// The pair's new state, for `pair_changed` (in JSON its kind name, and the state in full
    /// as `pair_state_detail`).
    pub pair_state: Option<PairState>,
    /// The pair's previous state, for `pair_changed`.
    pub previous_pair_state: Option<PairState>,
    /// Why (in JSON typed as `cause`, and in English words as `reason`).
    pub reason: Option<Reason>,
    /// How long the ended state lasted, for `_ended` events.
    pub duration_secs: Option<u64>,
    /// For `_started` and `_ended` events: whether the start was seen. False when the state
    /// was already under way when monitoring began, so `duration_secs` is a lower bound.
    pub start_observed: Option<bool>,
    /// When a circuit break is to end, if known.
    pub reopen_at: Option<DateTime<Utc>>,
    /// The asset, for `asset_changed` (e.g. `xrp`).
    pub asset: Option<String>,
    /// The network, for `asset_changed` about one network; null for the whole asset.
    pub network: Option<String>,
    /// Deposits after, for `asset_changed`.
    pub deposit: Option<Flow>,
    /// Withdrawals after, for `asset_changed`.
    pub withdrawal: Option<Flow>,
    /// Deposits before, for `asset_changed`.
    pub previous_deposit: Option<Flow>,
    /// Withdrawals before, for `asset_changed`.
    pub previous_withdrawal: Option<Flow>,
    /// The exchange it happened on (`bitbank` unless the user added others).
    pub exchange: Exchange,
}

impl Event {
    /// A level event with no pair fields.
    pub fn level_change(
        kind: EventKind,
        at: DateTime<Utc>,
        level: Level,
        previous_level: Option<Level>,
    ) -> Event {
        Event {
            kind,
            at,
            level,
            previous_level,
            pair: None,
            pair_state: None,
            previous_pair_state: None,
            reason: None,
            duration_secs: None,
            start_observed: None,
            reopen_at: None,
            asset: None,
            network: None,
            deposit: None,
            withdrawal: None,
            previous_deposit: None,
            previous_withdrawal: None,
            exchange: Exchange::Bitbank,
        }
    }

    /// The event as one line of JSON.
    pub fn to_json_line(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The same JSON without what reading does not need, for storage: no null fields, no
    /// `reason` words beside their `cause`, and a pair state either by its kind name (when
    /// that says it all) or by its detail, not both. It reads back as the same event, in
    /// about half the bytes.
    pub fn to_compact_json(&self) -> String {
        let Ok(mut value) = serde_json::to_value(self) else {
            return String::new();
        };
        if let serde_json::Value::Object(fields) = &mut value {
            fields.retain(|_, v| !v.is_null());
            fields.remove("reason");
            // Absent reads back as bitbank, which nearly every stored event is about.
            if self.exchange.is_bitbank() {
                fields.remove("exchange");
            }
            for (name, detail, state) in [
                ("pair_state", "pair_state_detail", &self.pair_state),
                (
                    "previous_pair_state",
                    "previous_pair_state_detail",
                    &self.previous_pair_state,
                ),
            ] {
                let said_by_name = state
                    .as_ref()
                    .is_some_and(|s| PairState::from_kind(s.kind()) == *s);
                fields.remove(if said_by_name { detail } else { name });
            }
        }
        value.to_string()
    }
}

/// RFC 3339 with milliseconds and `Z`, as the README's event schema shows.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde helpers for times as RFC 3339 UTC with milliseconds.
pub mod rfc3339 {
    use super::format_time;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    /// Serialize.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(t))
    }
    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }
}

/// Serde helpers for optional times as RFC 3339 UTC with milliseconds.
pub mod rfc3339_opt {
    use super::format_time;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    /// Serialize.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_time(t)),
            None => s.serialize_none(),
        }
    }
    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)
    }
}

/// [`Event`] as JSON: every field it has always had, with the same name and value (the
/// reason in English words, pair states by kind name), then the typed parts beside them:
/// `cause` (the reason) and `pair_state_detail` / `previous_pair_state_detail` (the states in
/// full). Reading takes the typed parts: the words are derived from them. JSON from before
/// the typed parts (no `cause`, no details) reads with no reason and pair states from their
/// kind names, details lost.
#[derive(Serialize, Deserialize)]
pub struct EventJson {
    kind: EventKind,
    #[serde(with = "rfc3339")]
    at: DateTime<Utc>,
    level: Level,
    #[serde(default)]
    previous_level: Option<Level>,
    #[serde(default)]
    pair: Option<String>,
    #[serde(default)]
    pair_state: Option<String>,
    #[serde(default)]
    previous_pair_state: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    duration_secs: Option<u64>,
    #[serde(default)]
    start_observed: Option<bool>,
    #[serde(default, with = "rfc3339_opt")]
    reopen_at: Option<DateTime<Utc>>,
    #[serde(default)]
    asset: Option<String>,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    deposit: Option<Flow>,
    #[serde(default)]
    withdrawal: Option<Flow>,
    #[serde(default)]
    previous_deposit: Option<Flow>,
    #[serde(default)]
    previous_withdrawal: Option<Flow>,
    #[serde(default)]
    cause: Option<Reason>,
    #[serde(default)]
    pair_state_detail: Option<PairState>,
    #[serde(default)]
    previous_pair_state_detail: Option<PairState>,
    #[serde(default)]
    exchange: Exchange,
}

impl From<Event> for EventJson {
    fn from(e: Event) -> Self {
        let kind = |s: &Option<PairState>| s.as_ref().map(|s| s.kind().to_owned());
        EventJson {
            kind: e.kind,
            at: e.at,
            level: e.level,
            previous_level: e.previous_level,
            pair: e.pair,
            pair_state: kind(&e.pair_state),
            previous_pair_state: kind(&e.previous_pair_state),
            reason: e.reason.as_ref().map(reason_text),
            duration_secs: e.duration_secs,
            start_observed: e.start_observed,
            reopen_at: e.reopen_at,
            asset: e.asset,
            network: e.network,
            deposit: e.deposit,
            withdrawal: e.withdrawal,
            previous_deposit: e.previous_deposit,
            previous_withdrawal: e.previous_withdrawal,
            cause: e.reason,
            pair_state_detail: e.pair_state,
            previous_pair_state_detail: e.previous_pair_state,
            exchange: e.exchange,
        }
    }
}

impl From<EventJson> for Event {
    fn from(j: EventJson) -> Self {
        // The detail when given; from older JSON, the kind name alone.
        let state = |detail: Option<PairState>, kind: Option<String>| {
            detail.or_else(|| kind.map(|k| PairState::from_kind(&k)))
        };
        Event {
            kind: j.kind,
            at: j.at,
            level: j.level,
            previous_level: j.previous_level,
            pair: j.pair,
            pair_state: state(j.pair_state_detail, j.pair_state),
            previous_pair_state: state(j.previous_pair_state_detail, j.previous_pair_state),
            reason: j.cause,
            duration_secs: j.duration_secs,
            start_observed: j.start_observed,
            reopen_at: j.reopen_at,
            asset: j.asset,
            network: j.network,
            deposit: j.deposit,
            withdrawal: j.withdrawal,
            previous_deposit: j.previous_deposit,
            previous_withdrawal: j.previous_withdrawal,
            exchange: j.exchange,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::code::ErrorCode;
    use chrono::TimeZone;

    #[test]
    fn json_matches_the_design_example() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 27, 5, 31, 4)
            .single()
            .unwrap()
            + chrono::Duration::milliseconds(120);
        let mut e = Event::level_change(
            EventKind::MaintenanceStarted,
            at,
            Level::Maintenance,
            Some(Level::Normal),
        );
        e.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        assert_eq!(
            e.to_json_line(),
            r#"{"kind":"maintenance_started","at":"2026-11-27T05:31:04.120Z","level":"maintenance","previous_level":"normal","pair":null,"pair_state":null,"previous_pair_state":null,"reason":"api error 10007: System maintenance","duration_secs":null,"start_observed":null,"reopen_at":null,"asset":null,"network":null,"deposit":null,"withdrawal":null,"previous_deposit":null,"previous_withdrawal":null,"cause":{"kind":"api_error","code":10007},"pair_state_detail":null,"previous_pair_state_detail":null,"exchange":"bitbank"}"#
        );
        let back: Event = serde_json::from_str(&e.to_json_line()).unwrap();
        assert_eq!(back.kind, e.kind);
        assert_eq!(back.at, e.at);
        assert_eq!(
            reason_text(&back.reason.unwrap()),
            "api error 10007: System maintenance"
        );
    }

    #[test]
    fn every_level_but_normal_and_unknown_has_start_and_end() {
        for level in Level::ALL {
            let has = !matches!(level, Level::Normal | Level::Unknown);
            assert_eq!(EventKind::started(level).is_some(), has);
            assert_eq!(EventKind::ended(level).is_some(), has);
        }
        for kind in EventKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
