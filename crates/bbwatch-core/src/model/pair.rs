//! Pair names: the one rule every layer checks a name from outside against.

/// The most pairs watched (and probed, one request each, per poll): bitbank lists about 60,
/// so a list of thousands is an error of the server's, which must not make us send thousands
/// of requests a poll, nor emit more events in one poll than a subscriber can buffer.
pub const MAX_WATCHED_PAIRS: usize = 200;

/// A pair name like `btc_jpy`: lowercase letters and digits either side of one underscore.
pub fn check_pair_name(p: &str) -> Result<(), String> {
    let ok = p.split_once('_').is_some_and(|(a, b)| {
        let part = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        part(a) && part(b)
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{p:?} is not a pair name like \"btc_jpy\""))
    }
}

/// A pair name checked by [`check_pair_name`] where it was read (the configuration, a flag).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PairName(String);

impl PairName {
    /// The name, e.g. `btc_jpy`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PairName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        check_pair_name(name)?;
        Ok(PairName(name.to_owned()))
    }
}

impl std::fmt::Display for PairName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for PairName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for PairName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PairName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_names() {
        assert!(check_pair_name("btc_jpy").is_ok());
        assert!(check_pair_name("btc").is_err());
        assert!(check_pair_name("_jpy").is_err());
        assert!(check_pair_name("btc_jpy/../x").is_err());
    }

    #[test]
    fn a_pair_name_is_checked_as_it_is_made() {
        let name: PairName = "btc_jpy".parse().unwrap();
        assert_eq!(name.to_string(), "btc_jpy");
        assert!("BTC/JPY".parse::<PairName>().is_err());
    }
}
