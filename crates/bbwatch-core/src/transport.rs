//! One bounded HTTP GET, shared by every exchange's client: the time of the whole exchange
//! (connect, 1xx answers, headers, body), the size of the body before and after gzip, and
//! where a redirect may lead (the configured origins only) are all bounded, and every answer
//! is read as a [`Fetch`].

use std::io::Read as _;
use std::time::Duration;

use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, RETRY_AFTER};
use reqwest::Url;

use crate::model::fetch::{Failure, Fetch};
use crate::model::sanitize;

/// The shortest allowed request timeout: below it, every answer from Japan would time out.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest allowed request timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// The connect timeout never exceeds this, however long the total timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read, compressed (on the wire) and again decompressed. bitbank's
/// largest answer (`spot/pairs`) is about 40 KiB; a larger one is a failure.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Redirects followed (within the configured origins) before giving up.
const MAX_REDIRECTS: usize = 3;

/// The client could not be built (TLS backend, bad settings).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// reqwest could not build a client (TLS backend).
    #[error("cannot create the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// A base URL that is not an http(s) URL that paths can be added to.
    #[error("{url:?} is not a usable http(s) base URL")]
    BadUrl {
        /// The URL, credentials removed.
        url: String,
    },
}

/// Whether a body looks like an HTML page (a CDN's or proxy's error page).
pub fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with('<') || head.contains("<html") || head.contains("<!doctype")
}

/// `Retry-After` in seconds; an HTTP-date is left to exponential backoff.
/// More digits than a `u64` holds is read as "very long" (the pacer caps it), not as absent.
pub fn parse_retry_after(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(raw.parse::<u64>().unwrap_or(u64::MAX)))
}

/// The HTTP side of a client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct Transport {
    http: reqwest::Client,
    timeout: Duration,
}

/// `url` without its query and fragment, to add paths to; it was parsed when it was read,
/// this only makes sure paths can be added to it.
pub fn base_url(url: &Url) -> Result<Url, ClientError> {
    let bad = || ClientError::BadUrl {
        url: sanitize::url_for_log(url.as_str()),
    };
    let mut url = url.clone();
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.cannot_be_a_base() {
        return Err(bad());
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `base` with `segments` appended, each percent-encoded as one path segment (a `/`, `?` or
/// `#` in a segment cannot change the path, add a query or escape the base path).
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    // Cannot fail: `base_url` refused cannot-be-a-base URLs.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

fn too_large(status: u16) -> Failure {
    Failure::Malformed {
        status,
        detail: format!("answer larger than {MAX_BODY_BYTES} bytes"),
    }
}

/// Decompress a gzip body, stopping at [`MAX_BODY_BYTES`] of output (a gzip bomb).
fn gunzip(raw: &[u8], status: u16) -> Fetch<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Failure::Malformed {
            status,
            detail: format!("bad gzip body: {e}"),
        })?;
    if out.len() > MAX_BODY_BYTES {
        return Err(too_large(status));
    }
    Ok(out)
}

impl Transport {
    /// A transport with `timeout` for each whole request (connect to last body byte), clamped
    /// to the configuration's bounds, following redirects within the origins of `bases` only.
    pub fn new(bases: &[Url], timeout: Duration) -> Result<Transport, ClientError> {
        let timeout = timeout.clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        let origins: Vec<_> = bases.iter().map(Url::origin).collect();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if origins.contains(&attempt.url().origin()) {
                attempt.follow()
            } else {
                // Not followed: the 3xx answer itself is read, and is a failure.
                tracing::warn!(
                    to = %sanitize::url_for_log(attempt.url().as_str()),
                    "not following a redirect off the configured hosts"
                );
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(concat!("bbwatch/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            // Decompressed here, with a limit; reqwest's own decoder has none.
            .gzip(false)
            .redirect(redirects)
            .build()?;
        Ok(Transport { http, timeout })
    }

    /// `GET url`, its answer read by `parse` (status, `Retry-After`, body).
    pub async fn get<T>(
        &self,
        url: Url,
        parse: fn(u16, Option<&str>, &[u8]) -> Fetch<T>,
    ) -> Fetch<T> {
        self.get_with(url, Vec::new(), parse).await
    }

    /// [`Transport::get`] with `headers` added (a signature).
    pub async fn get_with<T>(
        &self,
        url: Url,
        headers: Vec<(&'static str, String)>,
        parse: fn(u16, Option<&str>, &[u8]) -> Fetch<T>,
    ) -> Fetch<T> {
        let shown = sanitize::url_for_log(url.as_str());
        // reqwest's timeout does not cover everything a server can stall with (a flood of
        // `100 Continue`): this one covers the whole exchange.
        let result = match tokio::time::timeout(self.timeout, self.fetch(url, headers)).await {
            Ok(Ok((status, retry_after, body))) => parse(status, retry_after.as_deref(), &body),
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(Failure::Timeout),
        };
        if let Err(failure) = &result {
            tracing::debug!(url = %shown, %failure, "request failed");
        }
        result
    }

    /// Status, `Retry-After` and body (decompressed), each bounded.
    async fn fetch(
        &self,
        url: Url,
        headers: Vec<(&'static str, String)>,
    ) -> Fetch<(u16, Option<String>, Vec<u8>)> {
        let mut request = self.http.get(url).header(ACCEPT_ENCODING, "gzip");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(transport_failure)?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(|v| sanitize::text(v).into_owned())
        };
        let retry_after = header(RETRY_AFTER);
        let gzip = match header(CONTENT_ENCODING) {
            None => false,
            Some(e) if e.eq_ignore_ascii_case("identity") => false,
            Some(e) if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => true,
            Some(other) => {
                return Err(Failure::Malformed {
                    status,
                    detail: format!("unsupported content-encoding {other:?}"),
                })
            }
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(too_large(status));
        }
        let mut raw = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_failure)? {
            if raw.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large(status));
            }
            raw.extend_from_slice(&chunk);
        }
        let body = if gzip { gunzip(&raw, status)? } else { raw };
        Ok((status, retry_after, body))
    }
}

fn transport_failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    // Without the URL: it may carry credentials, and the server chose redirect targets.
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Failure::Network {
        detail: sanitize::text(&detail).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < MAX_BODY_BYTES / 4, "{}", bomb.len());
        assert_eq!(gunzip(&bomb, 200), Err(too_large(200)));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"success\":1}").unwrap();
        assert_eq!(
            gunzip(&enc.finish().unwrap(), 200).unwrap(),
            b"{\"success\":1}"
        );
        assert!(matches!(
            gunzip(b"not gzip", 200),
            Err(Failure::Malformed { .. })
        ));
    }

    #[test]
    fn urls_join_with_or_without_a_trailing_slash() {
        let base = base_url(&Url::parse("https://api.bitbank.cc/v1/").unwrap()).unwrap();
        assert_eq!(
            endpoint(&base, &["spot", "status"]).as_str(),
            "https://api.bitbank.cc/v1/spot/status"
        );
        let base = base_url(&Url::parse("http://127.0.0.1:1/v1?x=1#f").unwrap()).unwrap();
        assert_eq!(
            endpoint(&base, &["spot", "pairs"]).as_str(),
            "http://127.0.0.1:1/v1/spot/pairs"
        );
    }

    #[test]
    fn server_chosen_names_cannot_escape_the_path_or_add_a_query() {
        let base = base_url(&Url::parse("http://127.0.0.1:1/prefix").unwrap()).unwrap();
        for hostile in ["../../_fake/next", "btc_jpy?x=1", "a/b#c", "%2e%2e"] {
            let url = endpoint(&base, &[hostile, "circuit_break_info"]);
            assert!(url.path().starts_with("/prefix/"), "{url}");
            assert!(url.path().ends_with("/circuit_break_info"), "{url}");
            assert_eq!(url.path_segments().unwrap().count(), 3, "{url}");
            assert_eq!(url.query(), None, "{url}");
            assert_eq!(url.fragment(), None, "{url}");
        }
    }
}
