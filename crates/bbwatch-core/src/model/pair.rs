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
}
