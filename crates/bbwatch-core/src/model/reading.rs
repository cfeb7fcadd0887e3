//! What one poll says, whichever source made it: the level it points to and how sure it is.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::asset::AssetState;
use crate::model::level::{Level, PairState};
use crate::model::reason::Reason;

/// How much a reading can be trusted on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Certainty {
    /// An explicit signal (10007, HALT, flags, circuit break) or a clean answer: acts at once.
    Definite,
    /// A failure that may be a blip (timeout, 5xx, HTML, refused): needs `failure_threshold`.
    Ambiguous,
    /// We were rate limited: says nothing about bitbank; changes no level.
    RateLimited,
}

/// What one poll points to.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// When the poll started.
    pub at: DateTime<Utc>,
    /// The level this poll alone points to (`unknown` when rate limited).
    pub level: Level,
    /// How sure.
    pub certainty: Certainty,
    /// Why.
    pub reason: Option<Reason>,
    /// Every watched pair's state (the previous state where this poll had no data).
    pub pairs: BTreeMap<String, PairState>,
    /// The watch list in force: as configured, or the pairs tradable at the first answer.
    pub watched: Option<BTreeSet<String>>,
    /// Watched pairs that are suspended and were already suspended when first seen: they do
    /// not hold the level at degraded (a pair suspended for years would otherwise do so forever).
    pub excused: BTreeSet<String>,
    /// The server's `Retry-After`, when rate limited.
    pub retry_after: Option<Duration>,
    /// The watched assets' deposits and withdrawals, when this poll read them (set by
    /// the source, e.g. bitbank's `assets::fold`; `None` keeps the previous ones).
    pub assets: Option<BTreeMap<String, AssetState>>,
}

/// What classification needs to know from before this poll.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The watch list, if known (configured, or resolved at the first answer).
    pub watched: Option<&'a BTreeSet<String>>,
    /// Pairs excused so far (see [`Reading::excused`]).
    pub excused: &'a BTreeSet<String>,
    /// The pairs' states after the previous poll.
    pub previous: &'a BTreeMap<String, PairState>,
}

/// What the watched pairs alone point to, those in `excused` and those not yet known aside:
/// every one halted → maintenance; any not trading normally → degraded, naming them; else
/// normal. The same rule for every exchange.
pub fn pairs_level(
    pairs: &BTreeMap<String, PairState>,
    excused: &BTreeSet<String>,
) -> (Level, Option<Reason>) {
    let active: Vec<(&String, &PairState)> = pairs
        .iter()
        .filter(|(p, s)| !excused.contains(*p) && **s != PairState::Unknown)
        .collect();
    if !active.is_empty() && active.iter().all(|(_, s)| **s == PairState::Halted) {
        return (Level::Maintenance, Some(Reason::AllPairsHalted));
    }
    let affected: Vec<(String, PairState)> = active
        .iter()
        .filter(|(_, s)| !s.is_normal())
        .map(|(p, s)| ((*p).clone(), (*s).clone()))
        .collect();
    if affected.is_empty() {
        (Level::Normal, None)
    } else {
        (Level::Degraded, Some(Reason::Pairs(affected)))
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A definite normal reading with no pairs.
    pub(crate) fn normal_reading() -> Reading {
        Reading {
            at: Utc::now(),
            level: Level::Normal,
            certainty: Certainty::Definite,
            reason: None,
            pairs: BTreeMap::new(),
            watched: None,
            excused: BTreeSet::new(),
            retry_after: None,
            assets: None,
        }
    }
}
