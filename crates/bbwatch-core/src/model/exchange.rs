//! Which exchange a snapshot or an event is about. bitbank is the default and the only one
//! watched until the user adds another.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// An exchange bbwatch can watch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Exchange {
    /// bitbank (the default).
    #[default]
    Bitbank,
    /// GMO Coin.
    Gmocoin,
    /// bitFlyer.
    Bitflyer,
    /// Coincheck.
    Coincheck,
}

impl Exchange {
    /// Every exchange, bitbank first.
    pub const ALL: [Exchange; 4] = [
        Exchange::Bitbank,
        Exchange::Gmocoin,
        Exchange::Bitflyer,
        Exchange::Coincheck,
    ];

    /// The name in JSON, the configuration, `--exchange` and `BBWATCH_EXCHANGE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Exchange::Bitbank => "bitbank",
            Exchange::Gmocoin => "gmocoin",
            Exchange::Bitflyer => "bitflyer",
            Exchange::Coincheck => "coincheck",
        }
    }

    /// The name a person knows it by, in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Exchange::Bitbank, _) => "bitbank",
            (Exchange::Gmocoin, Lang::Ja) => "GMOコイン",
            (Exchange::Gmocoin, Lang::En) => "GMO Coin",
            (Exchange::Bitflyer, _) => "bitFlyer",
            (Exchange::Coincheck, _) => "Coincheck",
        }
    }

    /// Whether this is bitbank, which every event was about before there were others.
    pub fn is_bitbank(&self) -> bool {
        *self == Exchange::Bitbank
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a name that is not an exchange bbwatch knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown exchange {0:?}: expected bitbank, gmocoin, bitflyer or coincheck")]
pub struct UnknownExchange(pub String);

impl FromStr for Exchange {
    type Err = UnknownExchange;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Exchange::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownExchange(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_json_and_text() {
        for e in Exchange::ALL {
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.as_str())
            );
            assert_eq!(e.as_str().parse::<Exchange>().unwrap(), e);
            assert_eq!(e.as_str().to_uppercase().parse::<Exchange>().unwrap(), e);
        }
        assert_eq!(Exchange::default(), Exchange::Bitbank);
        let err = "binance".parse::<Exchange>().unwrap_err();
        assert!(err.to_string().contains("gmocoin"), "{err}");
        assert_eq!(Exchange::Gmocoin.name(Lang::Ja), "GMOコイン");
    }
}
