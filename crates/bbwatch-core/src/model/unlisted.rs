//! Names the user asked to watch that the source does not list.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Names the user asked to watch that bitbank's own lists do not have (a typo, a delisted pair).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlisted {
    /// Pairs not in bitbank's pair list.
    pub pairs: Vec<String>,
    /// Assets not in the account's asset list (known only with an API key).
    pub assets: Vec<String>,
}

impl Unlisted {
    /// Whether every name is listed.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty() && self.assets.is_empty()
    }

    /// The names of `configured` (none: nothing configured, nothing to check) that `listed`
    /// lacks, in order.
    pub fn missing<'a>(
        configured: Option<&BTreeSet<String>>,
        listed: impl Iterator<Item = &'a str>,
    ) -> Vec<String> {
        let Some(configured) = configured else {
            return Vec::new();
        };
        let listed: BTreeSet<&str> = listed.collect();
        configured
            .iter()
            .filter(|name| !listed.contains(name.as_str()))
            .cloned()
            .collect()
    }
}
