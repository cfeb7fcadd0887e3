//! An asset's deposits and withdrawals: what is open, per asset and per network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::code::ErrorCode;

/// Always watched when the watch list is the default: yen deposits and withdrawals.
pub const JPY: &str = "jpy";

/// At most this many assets are watched (bitbank lists about fifty).
pub const MAX_WATCHED_ASSETS: usize = 200;

/// Whether deposits (or withdrawals) of an asset go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// They go through.
    #[default]
    Open,
    /// bitbank stopped them.
    Stopped,
}

impl Flow {
    pub fn from_stop(stop: bool) -> Flow {
        if stop {
            Flow::Stopped
        } else {
            Flow::Open
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Open => "open",
            Flow::Stopped => "stopped",
        }
    }
}

/// Deposits and withdrawals together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Flows {
    /// Deposits.
    pub deposit: Flow,
    /// Withdrawals.
    pub withdrawal: Flow,
}

impl Flows {
    /// Both open.
    pub fn is_open(self) -> bool {
        self.deposit == Flow::Open && self.withdrawal == Flow::Open
    }

    /// `self` as a network's own story: a direction the whole asset stopped is told by the
    /// asset's event, not once more per network.
    pub fn beyond(self, asset: Flows) -> Flows {
        let own = |net: Flow, all: Flow| {
            if all == Flow::Stopped {
                Flow::Open
            } else {
                net
            }
        };
        Flows {
            deposit: own(self.deposit, asset.deposit),
            withdrawal: own(self.withdrawal, asset.withdrawal),
        }
    }
}

/// One asset's deposits and withdrawals, as a whole and per network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssetState {
    /// The whole asset (bitbank sets it stopped when every network is).
    #[serde(flatten)]
    pub flows: Flows,
    /// Per network, where bitbank lists networks (not for JPY).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Flows>,
}

impl AssetState {
    /// Deposits and withdrawals open, on every network.
    pub fn is_open(&self) -> bool {
        self.flows.is_open() && self.networks.values().all(|f| f.is_open())
    }

    /// What is stopped beyond the whole asset's flags, per network.
    pub fn stopped_networks(&self) -> impl Iterator<Item = (&String, Flows)> {
        self.networks
            .iter()
            .map(|(n, f)| (n, f.beyond(self.flows)))
            .filter(|(_, f)| !f.is_open())
    }
}

/// An asset name as bitbank writes it: lowercase letters and digits.
pub fn check_asset_name(a: &str) -> Result<(), String> {
    if !a.is_empty()
        && a.len() <= 16
        && a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!("{a:?} is not an asset name like \"xrp\""))
    }
}

/// What the key is doing, for the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum KeyState {
    /// No API key: deposits and withdrawals are not watched.
    #[default]
    None,
    /// Given, no answer yet (or the last request failed for another reason).
    Pending,
    /// bitbank accepted it.
    Accepted,
    /// bitbank refused it (a 2000x code).
    Rejected {
        /// The code.
        code: ErrorCode,
    },
}

/// Asset states for tests: one direction each, and ETH with two networks.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub(crate) fn flows(d: Flow, w: Flow) -> Flows {
        Flows {
            deposit: d,
            withdrawal: w,
        }
    }

    pub(crate) fn eth(asset: Flows, eth: Flows, polygon: Flows) -> BTreeMap<String, AssetState> {
        let mut networks = BTreeMap::new();
        networks.insert("eth".to_owned(), eth);
        networks.insert("polygon".to_owned(), polygon);
        BTreeMap::from([(
            "eth".to_owned(),
            AssetState {
                flows: asset,
                networks,
            },
        )])
    }
}
