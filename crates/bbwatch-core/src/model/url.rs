//! The URLs bbwatch is given: checked where they are read, then carried typed ([`HttpUrl`],
//! [`WsUrl`]) so that no user parses them again.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;
use serde::{Deserialize, Serialize};

/// An `http://` or `https://` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    HttpUrl::from_str(url).map(drop)
}

/// A `ws://` or `wss://` URL with a host.
pub fn check_stream_url(url: &str) -> Result<(), String> {
    WsUrl::from_str(url).map(drop)
}

/// `text` parsed as a URL with a host and one of `schemes`; `kind` names them in the error
/// (`an http(s)`).
fn parse_with(text: &str, schemes: [&str; 2], kind: &str) -> Result<Url, String> {
    match Url::parse(text) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host().is_some() => Ok(u),
        Ok(_) => Err(format!("{text:?} is not {kind} URL")),
        Err(e) => Err(format!("{text:?} is not a URL ({e})")),
    }
}

/// Generates a URL newtype: the text as written (so that it is written back the same, not as
/// the parser normalises it) and the parsed URL.
macro_rules! url_type {
    ($(#[$doc:meta])* $name:ident, $schemes:expr, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            text: String,
            url: Url,
        }

        impl $name {
            /// The URL, parsed.
            pub fn url(&self) -> &Url {
                &self.url
            }

            /// The URL as it was written.
            pub fn as_str(&self) -> &str {
                &self.text
            }

            /// A URL written in bbwatch's source (a default host): valid, as the config's tests check,
            /// so a failure here is a bug in the source, not a user's mistake.
            #[allow(clippy::expect_used)]
            pub fn known(text: &'static str) -> Self {
                text.parse().expect("a URL in the source is valid")
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                let url = parse_with(text, $schemes, $kind)?;
                Ok($name {
                    text: text.to_owned(),
                    url,
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.text)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

url_type!(
    /// An `http://` or `https://` URL with a host: a bitbank host or a webhook.
    HttpUrl,
    ["http", "https"],
    "an http(s)"
);

url_type!(
    /// A `ws://` or `wss://` URL with a host: a stream host.
    WsUrl,
    ["ws", "wss"],
    "a ws(s)"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_text_and_refuse_other_schemes() {
        let u: HttpUrl = "https://public.bitbank.cc".parse().unwrap();
        assert_eq!(u.to_string(), "https://public.bitbank.cc");
        assert_eq!(u.url().as_str(), "https://public.bitbank.cc/");
        assert!("ftp://x".parse::<HttpUrl>().is_err());
        assert!("wss://stream.bitbank.cc".parse::<HttpUrl>().is_err());
        assert!("wss://stream.bitbank.cc".parse::<WsUrl>().is_ok());
        assert!("wss://".parse::<WsUrl>().is_err());
        assert!("https://stream.bitbank.cc".parse::<WsUrl>().is_err());
    }
}
