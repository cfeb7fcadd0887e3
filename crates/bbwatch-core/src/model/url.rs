//! The URLs bbwatch is given: checked where they are read.

/// An `http://` or `https://` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err(format!("{url:?} is not an http(s) URL")),
        Err(e) => Err(format!("{url:?} is not a URL ({e})")),
    }
}

/// A `ws://` or `wss://` URL with a host.
pub fn check_stream_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "ws" | "wss") && u.host().is_some() => Ok(()),
        Ok(_) => Err(format!("{url:?} is not a ws(s) URL")),
        Err(e) => Err(format!("{url:?} is not a URL ({e})")),
    }
}
