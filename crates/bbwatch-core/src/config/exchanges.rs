//! `[exchanges.*]`: the other exchanges watched besides bitbank. A table present is an
//! exchange watched (unless `enabled = false`, which keeps its settings for later); none
//! present is bitbank alone, as before there were others.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::exchanges::bitflyer::{self, check_product, BitFlyerConfig, MAX_PRODUCTS};
use crate::exchanges::coincheck::{self, CoincheckConfig};
use crate::exchanges::gmocoin::{self, GmoCoinConfig};
use crate::model::exchange::Exchange;
use crate::model::pair::PairName;
use crate::model::url::HttpUrl;

/// The other exchanges' settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExchangeSettings {
    /// GMO Coin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmocoin: Option<GmoCoinSettings>,
    /// bitFlyer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitflyer: Option<BitFlyerSettings>,
    /// Coincheck.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coincheck: Option<CoincheckSettings>,
}

/// `[exchanges.gmocoin]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GmoCoinSettings {
    /// Whether it is watched.
    pub enabled: bool,
    /// The API's base URL.
    pub url: HttpUrl,
}

impl Default for GmoCoinSettings {
    fn default() -> Self {
        GmoCoinSettings {
            enabled: true,
            url: HttpUrl::known(gmocoin::DEFAULT_URL),
        }
    }
}

/// `[exchanges.bitflyer]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BitFlyerSettings {
    /// Whether it is watched.
    pub enabled: bool,
    /// The API's base URL.
    pub url: HttpUrl,
    /// The products whose boards are watched (`BTC_JPY`, `FX_BTC_JPY`).
    pub products: Vec<ProductCode>,
}

impl Default for BitFlyerSettings {
    fn default() -> Self {
        BitFlyerSettings {
            enabled: true,
            url: HttpUrl::known(bitflyer::DEFAULT_URL),
            products: bitflyer::DEFAULT_PRODUCTS
                .iter()
                .map(|p| ProductCode(p.to_string()))
                .collect(),
        }
    }
}

/// `[exchanges.coincheck]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoincheckSettings {
    /// Whether it is watched.
    pub enabled: bool,
    /// The site's base URL.
    pub url: HttpUrl,
    /// Watched pairs; absent for every pair available at the first answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<PairName>>,
}

impl Default for CoincheckSettings {
    fn default() -> Self {
        CoincheckSettings {
            enabled: true,
            url: HttpUrl::known(coincheck::DEFAULT_URL),
            pairs: None,
        }
    }
}

/// A bitFlyer product code, checked and in upper case where it was read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductCode(String);

impl ProductCode {
    /// The code, e.g. `BTC_JPY`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ProductCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        check_product(s).map(ProductCode)
    }
}

impl Serialize for ProductCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProductCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl ExchangeSettings {
    /// The exchanges watched besides bitbank, in [`Exchange::ALL`]'s order.
    pub fn watched(&self) -> Vec<Exchange> {
        let mut out = Vec::new();
        if self.gmocoin.as_ref().is_some_and(|g| g.enabled) {
            out.push(Exchange::Gmocoin);
        }
        if self.bitflyer.as_ref().is_some_and(|b| b.enabled) {
            out.push(Exchange::Bitflyer);
        }
        if self.coincheck.as_ref().is_some_and(|c| c.enabled) {
            out.push(Exchange::Coincheck);
        }
        out
    }

    /// Watch exactly the `selected` exchanges besides bitbank (`--exchange`): each one named
    /// is watched (with its settings from the file, or the defaults), each other one is not.
    pub fn select(&mut self, selected: &[Exchange]) {
        let on = |e| selected.contains(&e);
        if on(Exchange::Gmocoin) || self.gmocoin.is_some() {
            self.gmocoin.get_or_insert_with(Default::default).enabled = on(Exchange::Gmocoin);
        }
        if on(Exchange::Bitflyer) || self.bitflyer.is_some() {
            self.bitflyer.get_or_insert_with(Default::default).enabled = on(Exchange::Bitflyer);
        }
        if on(Exchange::Coincheck) || self.coincheck.is_some() {
            self.coincheck.get_or_insert_with(Default::default).enabled = on(Exchange::Coincheck);
        }
    }

    /// GMO Coin's source settings, when watched.
    pub fn gmocoin(&self, timeout: std::time::Duration) -> Option<GmoCoinConfig> {
        let g = self.gmocoin.as_ref().filter(|g| g.enabled)?;
        Some(GmoCoinConfig {
            url: g.url.clone(),
            timeout,
        })
    }

    /// bitFlyer's source settings, when watched.
    pub fn bitflyer(&self, timeout: std::time::Duration) -> Option<BitFlyerConfig> {
        let b = self.bitflyer.as_ref().filter(|b| b.enabled)?;
        Some(BitFlyerConfig {
            url: b.url.clone(),
            products: b.products.iter().map(|p| p.0.clone()).collect(),
            timeout,
        })
    }

    /// Coincheck's source settings, when watched.
    pub fn coincheck(&self, timeout: std::time::Duration) -> Option<CoincheckConfig> {
        let c = self.coincheck.as_ref().filter(|c| c.enabled)?;
        Some(CoincheckConfig {
            url: c.url.clone(),
            pairs: c.pairs.as_ref().map(|p| {
                p.iter()
                    .map(|p| p.as_str().to_owned())
                    .collect::<BTreeSet<_>>()
            }),
            timeout,
        })
    }

    /// Each bad value, by its key.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(b) = &self.bitflyer {
            if b.products.is_empty() {
                out.push((
                    "exchanges.bitflyer.products".into(),
                    "name at least one product, e.g. [\"BTC_JPY\"]".into(),
                ));
            } else if b.products.len() > MAX_PRODUCTS {
                out.push((
                    "exchanges.bitflyer.products".into(),
                    format!(
                        "{} products listed; at most {MAX_PRODUCTS} can be watched",
                        b.products.len()
                    ),
                ));
            }
        }
        if let Some(pairs) = self.coincheck.as_ref().and_then(|c| c.pairs.as_ref()) {
            if pairs.is_empty() {
                out.push((
                    "exchanges.coincheck.pairs".into(),
                    "name at least one pair, or leave it out to watch every pair".into(),
                ));
            } else if pairs.len() > crate::model::pair::MAX_WATCHED_PAIRS {
                out.push((
                    "exchanges.coincheck.pairs".into(),
                    format!(
                        "{} pairs listed; at most {} can be watched",
                        pairs.len(),
                        crate::model::pair::MAX_WATCHED_PAIRS
                    ),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn none_by_default_and_a_table_is_watched() {
        let c = Config::from_toml("").unwrap().config;
        assert!(c.exchanges.watched().is_empty());
        assert!(c.gmocoin_monitor().is_none());
        let c = Config::from_toml(
            "[exchanges.gmocoin]\n[exchanges.bitflyer]\nproducts = [\"btc_jpy\", \"FX_BTC_JPY\"]\n[exchanges.coincheck]\nenabled = false\n",
        )
        .unwrap()
        .config;
        assert_eq!(
            c.exchanges.watched(),
            [Exchange::Gmocoin, Exchange::Bitflyer]
        );
        let bf = c.bitflyer_monitor().unwrap();
        assert_eq!(
            bf.pairs,
            Some(["BTC_JPY".to_string(), "FX_BTC_JPY".to_string()].into())
        );
        assert_eq!(
            c.gmocoin_monitor().unwrap().source.url.as_str(),
            gmocoin::DEFAULT_URL
        );
        assert!(c.coincheck_monitor().is_none());
    }

    #[test]
    fn bad_values_are_reported_by_key() {
        for (text, key) in [
            (
                "[exchanges.bitflyer]\nproducts = [\"BTC/JPY\"]",
                "exchanges.bitflyer.products",
            ),
            (
                "[exchanges.bitflyer]\nproducts = []",
                "exchanges.bitflyer.products",
            ),
            (
                "[exchanges.coincheck]\npairs = [\"btc-jpy\"]",
                "exchanges.coincheck.pairs",
            ),
            (
                "[exchanges.coincheck]\npairs = []",
                "exchanges.coincheck.pairs",
            ),
            (
                "[exchanges.gmocoin]\nurl = \"nope\"",
                "exchanges.gmocoin.url",
            ),
            (
                "[exchanges.gmocoin]\nenabled = \"yes\"",
                "exchanges.gmocoin.enabled",
            ),
        ] {
            let err = Config::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let loaded =
            Config::from_toml("[exchanges.binance]\n[exchanges.gmocoin]\ncolour = 1").unwrap();
        assert_eq!(loaded.unknown_keys.len(), 2, "{:?}", loaded.unknown_keys);
    }

    #[test]
    fn selecting_watches_exactly_those_named() {
        let mut s = ExchangeSettings::default();
        s.select(&[Exchange::Bitflyer]);
        assert_eq!(s.watched(), [Exchange::Bitflyer]);
        assert!(s.gmocoin.is_none());
        s.select(&[Exchange::Gmocoin]);
        assert_eq!(s.watched(), [Exchange::Gmocoin]);
        assert!(!s.bitflyer.as_ref().unwrap().enabled);
    }
}
