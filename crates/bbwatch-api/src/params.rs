//! Query parameters, checked against the names a route knows.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_history::query::parse_exchanges;

use crate::json_error::BadRequest;

/// Query parameters by name (the last of repeated ones, except `kind` and `exchange`, which
/// add up).
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

    /// Every exchange `exchange` names, repeated or comma-separated, in order (empty: none
    /// named); an unknown name is a 400 naming the parameter and the choices.
    pub(crate) fn exchanges(&self) -> Result<Vec<Exchange>, BadRequest> {
        let mut out = Vec::new();
        for value in self.all("exchange") {
            for e in parse_exchanges(value).map_err(|e| BadRequest(format!("exchange: {e}")))? {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let q = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_query(Ok(Query(q)), &["exchange"]).unwrap()
    }

    #[test]
    fn exchanges_add_up_repeated_or_comma_separated() {
        let p = params(&[("exchange", "gmocoin,BITBANK"), ("exchange", "gmocoin")]);
        assert_eq!(
            p.exchanges().unwrap(),
            vec![Exchange::Gmocoin, Exchange::Bitbank]
        );
        assert!(params(&[]).exchanges().unwrap().is_empty());
        let err = params(&[("exchange", "bitbank,binance")])
            .exchanges()
            .unwrap_err();
        assert!(err.0.starts_with("exchange: "), "{}", err.0);
        assert!(
            err.0.contains("\"binance\"") && err.0.contains("coincheck"),
            "{}",
            err.0
        );
    }
}
