//! What one poll saw: the raw, typed answers of both hosts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::bitbank::api::{CircuitBreakInfo, PairInfo, PairStatusEntry};
use crate::model::fetch::Fetch;

/// One poll's answers. `classify` turns it into a [`crate::model::reading::Reading`].
#[derive(Clone, Debug)]
pub struct Observation {
    /// When the poll started.
    pub at: DateTime<Utc>,
    /// `GET {api}/spot/status`
    pub status: Fetch<Vec<PairStatusEntry>>,
    /// `GET {api}/spot/pairs`
    pub pairs: Fetch<Vec<PairInfo>>,
    /// `GET {public}/{pair}/circuit_break_info` per probed pair. Never empty after a poll: at
    /// least one pair is probed so the public host's health is known.
    pub circuit: BTreeMap<String, Fetch<CircuitBreakInfo>>,
}
