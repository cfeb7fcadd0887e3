//! Query parameters, checked against the names a route knows.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;

use crate::json_error::BadRequest;

/// Query parameters by name (the last of repeated ones, except `kind`, which adds up).
pub(crate) struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    /// The parameters, refusing any not in `known` (a typo would otherwise select everything).
    pub(crate) fn from_query(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        known: &[&str],
    ) -> Result<Params, BadRequest> {
        let Query(pairs) = query.map_err(|e| BadRequest(format!("bad query string: {e}")))?;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            if !known.contains(&k.as_str()) {
                return Err(BadRequest(format!(
                    "unknown parameter {k:?}: expected {}",
                    known.join(", ")
                )));
            }
            out.entry(k).or_default().push(v);
        }
        Ok(Params(out))
    }

    /// The last value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.last()).map(String::as_str)
    }

    /// Every value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }
}
