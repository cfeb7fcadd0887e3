//! The one event schema every sink and the CLI's `--json` share.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::model::asset::Flow;
use crate::model::level::{Level, PairState};
use crate::model::reason::Reason;

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

/// One event. Every field is always present in JSON (null when it does not apply).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When (RFC 3339 UTC, milliseconds).
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// The overall level after the event.
    pub level: Level,
    /// The level before, for level changes.
    pub previous_level: Option<Level>,
    /// The pair, for `pair_changed`.
    pub pair: Option<String>,
    /// The pair's new state, for `pair_changed` (its kind name in JSON).
    #[serde(with = "pair_state_kind")]
    pub pair_state: Option<PairState>,
    /// The pair's previous state, for `pair_changed`.
    #[serde(with = "pair_state_kind")]
    pub previous_pair_state: Option<PairState>,
    /// Why (English in JSON).
    pub reason: Option<Reason>,
    /// How long the ended state lasted, for `_ended` events.
    pub duration_secs: Option<u64>,
    /// For `_started` and `_ended` events: whether the start was seen. False when the state
    /// was already under way when monitoring began, so `duration_secs` is a lower bound.
    #[serde(default)]
    pub start_observed: Option<bool>,
    /// When a circuit break is to end, if known.
    #[serde(with = "rfc3339_opt")]
    pub reopen_at: Option<DateTime<Utc>>,
    /// The asset, for `asset_changed` (e.g. `xrp`).
    #[serde(default)]
    pub asset: Option<String>,
    /// The network, for `asset_changed` about one network; null for the whole asset.
    #[serde(default)]
    pub network: Option<String>,
    /// Deposits after, for `asset_changed`.
    #[serde(default)]
    pub deposit: Option<Flow>,
    /// Withdrawals after, for `asset_changed`.
    #[serde(default)]
    pub withdrawal: Option<Flow>,
    /// Deposits before, for `asset_changed`.
    #[serde(default)]
    pub previous_deposit: Option<Flow>,
    /// Withdrawals before, for `asset_changed`.
    #[serde(default)]
    pub previous_withdrawal: Option<Flow>,
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
        }
    }

    /// The event as one line of JSON.
    pub fn to_json_line(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// RFC 3339 with milliseconds and `Z`, as in DESIGN.md's example.
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

mod pair_state_kind {
    use crate::model::level::PairState;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(p: &Option<PairState>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_str(p.kind()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PairState>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(|k| PairState::from_kind(&k)))
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
            r#"{"kind":"maintenance_started","at":"2026-11-27T05:31:04.120Z","level":"maintenance","previous_level":"normal","pair":null,"pair_state":null,"previous_pair_state":null,"reason":"api error 10007: System maintenance","duration_secs":null,"start_observed":null,"reopen_at":null,"asset":null,"network":null,"deposit":null,"withdrawal":null,"previous_deposit":null,"previous_withdrawal":null}"#
        );
        let back: Event = serde_json::from_str(&e.to_json_line()).unwrap();
        assert_eq!(back.kind, e.kind);
        assert_eq!(back.at, e.at);
        assert_eq!(
            back.reason.unwrap().to_string(),
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
