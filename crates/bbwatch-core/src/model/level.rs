//! The state model: the overall level and the state of one pair.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The overall state of bitbank as bbwatch sees it.
///
/// Ordered by [`Level::severity`]: `maintenance`, `down`, `unreachable`, `degraded`, `normal`,
/// with `unknown` before the first confirmed answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Not yet determined.
    #[default]
    Unknown,
    /// Everything watched works.
    Normal,
    /// A watched pair is busy, halted, suspended or in circuit break, or the server is busy.
    Degraded,
    /// Neither bitbank host answers: most likely our own network.
    Unreachable,
    /// The api host fails while the public host answers.
    Down,
    /// bitbank says maintenance (10007), or every watched pair is halted.
    Maintenance,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 6] = [
        Level::Maintenance,
        Level::Down,
        Level::Unreachable,
        Level::Degraded,
        Level::Normal,
        Level::Unknown,
    ];

    /// Higher is worse; `unknown` is below `normal` so any answer replaces it.
    pub fn severity(self) -> u8 {
        match self {
            Level::Unknown => 0,
            Level::Normal => 1,
            Level::Degraded => 2,
            Level::Unreachable => 3,
            Level::Down => 4,
            Level::Maintenance => 5,
        }
    }

    /// The `bbwatch status` exit code for this level (the README's CLI contract).
    pub fn exit_code(self) -> i32 {
        match self {
            Level::Normal => 0,
            Level::Degraded => 10,
            Level::Maintenance => 11,
            Level::Down => 12,
            Level::Unreachable => 13,
            Level::Unknown => 1,
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::Normal => "normal",
            Level::Degraded => "degraded",
            Level::Unreachable => "unreachable",
            Level::Down => "down",
            Level::Maintenance => "maintenance",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pair's trading status from `GET /spot/status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairStatus {
    /// `NORMAL`
    Normal,
    /// `BUSY`
    Busy,
    /// `VERY_BUSY`
    VeryBusy,
    /// `HALT`: every order and cancel request on the pair is suspended.
    Halt,
    /// A value bitbank added after this was written, kept verbatim.
    Other(String),
}

impl From<&str> for PairStatus {
    fn from(s: &str) -> Self {
        match s {
            "NORMAL" => PairStatus::Normal,
            "BUSY" => PairStatus::Busy,
            "VERY_BUSY" => PairStatus::VeryBusy,
            "HALT" => PairStatus::Halt,
            // A value from the network: kept recognisable, never raw (it reaches terminals).
            other => PairStatus::Other(crate::model::sanitize::token(other)),
        }
    }
}

/// A circuit-break mode from `GET /{pair}/circuit_break_info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CircuitMode {
    /// `NONE`: continuous trading.
    None,
    /// `CIRCUIT_BREAK`
    CircuitBreak,
    /// `FULL_RANGE_CIRCUIT_BREAK`: an indefinite circuit break.
    FullRangeCircuitBreak,
    /// `RESUMPTION`: preparing to reopen.
    Resumption,
    /// `LISTING`: a new listing's opening auction.
    Listing,
    /// A mode added after this was written, kept verbatim.
    Other(String),
}

impl CircuitMode {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            CircuitMode::None => "NONE",
            CircuitMode::CircuitBreak => "CIRCUIT_BREAK",
            CircuitMode::FullRangeCircuitBreak => "FULL_RANGE_CIRCUIT_BREAK",
            CircuitMode::Resumption => "RESUMPTION",
            CircuitMode::Listing => "LISTING",
            CircuitMode::Other(s) => s,
        }
    }
}

impl From<&str> for CircuitMode {
    fn from(s: &str) -> Self {
        match s {
            "NONE" => CircuitMode::None,
            "CIRCUIT_BREAK" => CircuitMode::CircuitBreak,
            "FULL_RANGE_CIRCUIT_BREAK" => CircuitMode::FullRangeCircuitBreak,
            "RESUMPTION" => CircuitMode::Resumption,
            "LISTING" => CircuitMode::Listing,
            other => CircuitMode::Other(crate::model::sanitize::token(other)),
        }
    }
}

impl Serialize for CircuitMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CircuitMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(CircuitMode::from(s.as_str()))
    }
}

/// One operation that a pair's `stop_*` flags (or `is_enabled: false`) switch off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    /// `is_enabled: false`: the pair is disabled altogether.
    Disabled,
    /// `stop_order`: new orders.
    Order,
    /// `stop_order_and_cancel`: orders and cancels.
    OrderAndCancel,
    /// `stop_market_order`
    MarketOrder,
    /// `stop_stop_order`
    StopOrder,
    /// `stop_stop_limit_order`
    StopLimitOrder,
    /// `stop_margin_long_order`
    MarginLongOrder,
    /// `stop_margin_short_order`
    MarginShortOrder,
    /// `stop_buy_order`
    BuyOrder,
    /// `stop_sell_order`
    SellOrder,
}

impl Restriction {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Restriction::Disabled => "disabled",
            Restriction::Order => "order",
            Restriction::OrderAndCancel => "order_and_cancel",
            Restriction::MarketOrder => "market_order",
            Restriction::StopOrder => "stop_order",
            Restriction::StopLimitOrder => "stop_limit_order",
            Restriction::MarginLongOrder => "margin_long_order",
            Restriction::MarginShortOrder => "margin_short_order",
            Restriction::BuyOrder => "buy_order",
            Restriction::SellOrder => "sell_order",
        }
    }
}

/// The state of one watched pair, most restrictive signal first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PairState {
    /// No data yet (or the pair is not listed).
    #[default]
    Unknown,
    /// Trading normally.
    Normal,
    /// `BUSY`
    Busy,
    /// `VERY_BUSY`
    VeryBusy,
    /// `HALT`: orders and cancels suspended.
    Halted,
    /// Some operations are switched off by the pair's flags.
    Suspended {
        /// Which operations are stopped.
        stopped: Vec<Restriction>,
    },
    /// In a circuit break (any mode but `NONE`).
    CircuitBreak {
        /// The mode as bitbank names it.
        mode: CircuitMode,
        /// When trading is to reopen, if decided.
        reopen_at: Option<DateTime<Utc>>,
    },
    /// A status value bbwatch does not know; treated as not normal.
    Other {
        /// The status verbatim.
        status: String,
    },
}

impl PairState {
    /// The snake_case name of the state, without details (`"halted"`, `"circuit_break"`).
    pub fn kind(&self) -> &'static str {
        match self {
            PairState::Unknown => "unknown",
            PairState::Normal => "normal",
            PairState::Busy => "busy",
            PairState::VeryBusy => "very_busy",
            PairState::Halted => "halted",
            PairState::Suspended { .. } => "suspended",
            PairState::CircuitBreak { .. } => "circuit_break",
            PairState::Other { .. } => "other",
        }
    }

    /// Parse a [`PairState::kind`] name back; details are lost.
    pub fn from_kind(kind: &str) -> PairState {
        match kind {
            "normal" => PairState::Normal,
            "busy" => PairState::Busy,
            "very_busy" => PairState::VeryBusy,
            "halted" => PairState::Halted,
            "suspended" => PairState::Suspended { stopped: vec![] },
            "circuit_break" => PairState::CircuitBreak {
                mode: CircuitMode::CircuitBreak,
                reopen_at: None,
            },
            "unknown" => PairState::Unknown,
            other => PairState::Other {
                status: other.to_owned(),
            },
        }
    }

    /// Whether the pair trades without any restriction.
    pub fn is_normal(&self) -> bool {
        matches!(self, PairState::Normal)
    }

    /// Whether two states are the same for the user: a circuit break whose reopen time moves,
    /// for one, is not a change worth an event.
    pub fn same_as(&self, other: &PairState) -> bool {
        match (self, other) {
            (PairState::CircuitBreak { mode: a, .. }, PairState::CircuitBreak { mode: b, .. }) => {
                a == b
            }
            _ => self == other,
        }
    }

    /// The reopen time of a circuit break.
    pub fn reopen_at(&self) -> Option<DateTime<Utc>> {
        match self {
            PairState::CircuitBreak { reopen_at, .. } => *reopen_at,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_the_design_order() {
        let order: Vec<u8> = Level::ALL.iter().map(|l| l.severity()).collect();
        let mut sorted = order.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(order, sorted);
    }

    #[test]
    fn exit_codes_match_the_cli_contract() {
        assert_eq!(Level::Normal.exit_code(), 0);
        assert_eq!(Level::Degraded.exit_code(), 10);
        assert_eq!(Level::Maintenance.exit_code(), 11);
        assert_eq!(Level::Down.exit_code(), 12);
        assert_eq!(Level::Unreachable.exit_code(), 13);
    }

    #[test]
    fn unknown_wire_values_are_kept() {
        assert_eq!(
            PairStatus::from("SUPER_BUSY"),
            PairStatus::Other("SUPER_BUSY".into())
        );
        assert_eq!(CircuitMode::from("SOMETHING_NEW").as_str(), "SOMETHING_NEW");
        assert_eq!(PairState::from_kind("weird").kind(), "other");
    }

    #[test]
    fn pair_state_json_is_tagged() {
        let s = PairState::Suspended {
            stopped: vec![Restriction::Order, Restriction::MarketOrder],
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"state":"suspended","stopped":["order","market_order"]}"#
        );
        let back: PairState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn a_moving_reopen_time_is_the_same_state() {
        let a = PairState::CircuitBreak {
            mode: CircuitMode::CircuitBreak,
            reopen_at: None,
        };
        let b = PairState::CircuitBreak {
            mode: CircuitMode::CircuitBreak,
            reopen_at: Some(Utc::now()),
        };
        assert!(a.same_as(&b));
        assert!(!a.same_as(&PairState::Halted));
    }
}
