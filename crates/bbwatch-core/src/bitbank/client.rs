//! The bitbank client: one shared reqwest client, both hosts, every answer read as a [`Fetch`].
//!
//! Everything a server sends is bounded: the time of the whole exchange (connect, 1xx
//! answers, headers, body), the size of the body before and after gzip, where a redirect may
//! lead (the configured origins only), and how many requests one answer can make us send.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, RETRY_AFTER};
use reqwest::Url;

use crate::bitbank::api::{self, CircuitBreakInfo, PairInfo, PairStatusEntry};
use crate::bitbank::assets::{self, is_auth_error, AssetInfo};
use crate::bitbank::classify::tradable_pairs;
use crate::bitbank::credentials::{Credentials, SignedHeaders};
use crate::bitbank::observation::Observation;
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Fetch};
use crate::model::pair::{check_pair_name, MAX_WATCHED_PAIRS};
use crate::model::sanitize;
use crate::model::url::HttpUrl;

/// The shortest allowed request timeout: below it, every answer from Japan would time out.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest allowed request timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// The real bitbank api host.
/// bitbank's announcements (its maintenance notices): where the tray's "Open bitbank
/// announcements" goes, and the local API's ccxt status points.
pub const ANNOUNCEMENTS_URL: &str = "https://blog.bitbank.cc/tag/service";
pub const DEFAULT_API_URL: &str = "https://api.bitbank.cc/v1";
/// The real bitbank public host.
pub const DEFAULT_PUBLIC_URL: &str = "https://public.bitbank.cc";
/// The pair probed for the public host's health when no pair is watched yet.
const PROBE_PAIR: &str = "btc_jpy";
/// How many circuit_break_info requests run at once.
const CIRCUIT_CONCURRENCY: usize = 8;
/// The connect timeout never exceeds this, however long the total timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read, compressed (on the wire) and again decompressed. bitbank's
/// largest answer (`spot/pairs`) is about 40 KiB; a larger one is a failure.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Redirects followed (within the configured origins) before giving up.
const MAX_REDIRECTS: usize = 3;

/// Base URLs of the two hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://api.bitbank.cc/v1`
    pub api_url: HttpUrl,
    /// e.g. `https://public.bitbank.cc`
    pub public_url: HttpUrl,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            api_url: HttpUrl::known(DEFAULT_API_URL),
            public_url: HttpUrl::known(DEFAULT_PUBLIC_URL),
        }
    }
}

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

/// A bitbank client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    endpoints: Endpoints,
    api_base: Url,
    public_base: Url,
    timeout: Duration,
}

/// `url` without its query and fragment, to add paths to; it was parsed when it was read,
/// this only makes sure paths can be added to it.
fn base_url(url: &Url) -> Result<Url, ClientError> {
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
fn endpoint(base: &Url, segments: &[&str]) -> Url {
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

impl Client {
    /// A client with `timeout` for each whole request (connect to last body byte), clamped
    /// to the configuration's bounds.
    pub fn new(endpoints: Endpoints, timeout: Duration) -> Result<Client, ClientError> {
        let timeout = timeout.clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        let api_base = base_url(endpoints.api_url.url())?;
        let public_base = base_url(endpoints.public_url.url())?;
        let origins = [api_base.origin(), public_base.origin()];
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
        Ok(Client {
            http,
            endpoints,
            api_base,
            public_base,
            timeout,
        })
    }

    /// The hosts this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn get<T>(&self, url: Url, parse: fn(u16, Option<&str>, &[u8]) -> Fetch<T>) -> Fetch<T> {
        self.get_signed(url, None, parse).await
    }

    async fn get_signed<T>(
        &self,
        url: Url,
        signed: Option<SignedHeaders>,
        parse: fn(u16, Option<&str>, &[u8]) -> Fetch<T>,
    ) -> Fetch<T> {
        let shown = sanitize::url_for_log(url.as_str());
        // reqwest's timeout does not cover everything a server can stall with (a flood of
        // `100 Continue`): this one covers the whole exchange.
        let result = match tokio::time::timeout(self.timeout, self.fetch(url, signed)).await {
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
        signed: Option<SignedHeaders>,
    ) -> Fetch<(u16, Option<String>, Vec<u8>)> {
        let mut request = self.http.get(url).header(ACCEPT_ENCODING, "gzip");
        if let Some(h) = signed {
            request = request
                .header("ACCESS-KEY", h.key)
                .header("ACCESS-REQUEST-TIME", h.request_time)
                .header("ACCESS-TIME-WINDOW", h.time_window)
                .header("ACCESS-SIGNATURE", h.signature);
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

    /// `GET {api}/spot/status`
    pub async fn spot_status(&self) -> Fetch<Vec<PairStatusEntry>> {
        self.get(
            endpoint(&self.api_base, &["spot", "status"]),
            api::parse_spot_status,
        )
        .await
    }

    /// `GET {api}/user/assets`, signed with `credentials` (the secret is not sent).
    pub async fn user_assets(&self, credentials: &Credentials) -> Fetch<Vec<AssetInfo>> {
        let url = endpoint(&self.api_base, &["user", "assets"]);
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        let signed = credentials.sign_get(url.path(), now_ms);
        self.get_signed(url, Some(signed), assets::parse_user_assets)
            .await
    }

    /// `GET {api}/spot/pairs`
    pub async fn spot_pairs(&self) -> Fetch<Vec<PairInfo>> {
        self.get(
            endpoint(&self.api_base, &["spot", "pairs"]),
            api::parse_spot_pairs,
        )
        .await
    }

    /// `GET {public}/{pair}/circuit_break_info`. A name that is not a pair name is never
    /// sent (the parsers drop such names; this is the second lock).
    pub async fn circuit_break_info(&self, pair: &str) -> Fetch<CircuitBreakInfo> {
        if let Err(detail) = check_pair_name(pair) {
            return Err(Failure::Malformed {
                status: 0,
                detail: sanitize::text(&detail).into_owned(),
            });
        }
        let url = endpoint(&self.public_base, &[pair, "circuit_break_info"]);
        self.get(url, api::parse_circuit_break_info).await
    }

    /// One poll: the api host's two answers, then a circuit-break answer per watched pair
    /// (the pairs tradable now when nothing is watched yet; at least one, to probe the host).
    pub async fn observe(&self, watched: Option<&BTreeSet<String>>) -> Observation {
        self.observe_except(watched, &BTreeSet::new()).await
    }

    /// One poll, without a circuit-break request for the pairs in `streamed` (the stream
    /// covers them). With every pair streamed, a poll is the api host's two requests.
    pub async fn observe_except(
        &self,
        watched: Option<&BTreeSet<String>>,
        streamed: &BTreeSet<String>,
    ) -> Observation {
        let at = Utc::now();
        let (status, pairs) = tokio::join!(self.spot_status(), self.spot_pairs());
        let mut probe: BTreeSet<String> = match (watched, &pairs) {
            (Some(w), _) => w.clone(),
            (None, Ok(p)) => tradable_pairs(p),
            (None, Err(_)) => BTreeSet::new(),
        };
        let wanted = !probe.is_empty();
        probe.retain(|p| !streamed.contains(p));
        if probe.is_empty() && (!wanted || streamed.is_empty()) {
            probe.insert(PROBE_PAIR.to_owned());
        }
        // The watch list is already bounded (config, `tradable_pairs`); this is the second lock.
        let circuit: BTreeMap<String, Fetch<CircuitBreakInfo>> =
            stream::iter(probe.into_iter().take(MAX_WATCHED_PAIRS))
                .map(|pair| async move {
                    let result = self.circuit_break_info(&pair).await;
                    (pair, result)
                })
                .buffer_unordered(CIRCUIT_CONCURRENCY)
                .collect()
                .await;
        Observation {
            at,
            status,
            pairs,
            circuit,
        }
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

/// The answer to one signed request made to try a key (the settings window's "Test").
#[derive(Clone, Debug, PartialEq)]
pub enum KeyCheck {
    /// bitbank answered with the assets.
    Accepted,
    /// bitbank refused the key.
    Rejected(ErrorCode),
    /// No verdict: bitbank is in maintenance, or the request failed.
    Unchecked(Failure),
}

/// Make one signed request with `credentials` and say what bitbank made of the key.
pub async fn check_key(client: &Client, credentials: &Credentials) -> KeyCheck {
    match client.user_assets(credentials).await {
        Ok(_) => KeyCheck::Accepted,
        Err(Failure::Api { code, .. }) if is_auth_error(code) => KeyCheck::Rejected(code),
        Err(f) => KeyCheck::Unchecked(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn an_invalid_pair_name_is_never_requested() {
        let client = Client::new(
            Endpoints {
                api_url: "http://127.0.0.1:9/v1".parse().unwrap(),
                public_url: "http://127.0.0.1:9".parse().unwrap(),
            },
            Duration::from_secs(2),
        )
        .unwrap();
        for name in ["../v1/spot", "btc_jpy?x", "BTC_JPY"] {
            assert!(matches!(
                client.circuit_break_info(name).await,
                Err(Failure::Malformed { status: 0, .. })
            ));
        }
    }

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
    fn bad_base_urls_are_errors() {
        for bad in ["mailto:x@y", "ftp://h/", "not a url", "http://"] {
            // Refused where it is parsed, or by `base_url`.
            let base = Url::parse(bad).ok().map(|u| base_url(&u));
            assert!(base.is_none_or(|b| b.is_err()), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_network_failure() {
        // Bind then drop a listener: the port is free and nothing listens on it.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = Client::new(
            Endpoints {
                api_url: format!("http://127.0.0.1:{port}/v1").parse().unwrap(),
                public_url: format!("http://127.0.0.1:{port}").parse().unwrap(),
            },
            Duration::from_secs(2),
        )
        .unwrap();
        let obs = client.observe(None).await;
        assert!(
            matches!(obs.status, Err(Failure::Network { .. })),
            "{:?}",
            obs.status
        );
        assert_eq!(obs.circuit.keys().collect::<Vec<_>>(), vec!["btc_jpy"]);
        // Pairs the stream covers are not asked for; with all covered, no public request.
        let watched: BTreeSet<String> = ["btc_jpy", "xrp_jpy"].map(String::from).into();
        let streamed: BTreeSet<String> = ["btc_jpy".to_string()].into();
        let obs = client.observe_except(Some(&watched), &streamed).await;
        assert_eq!(obs.circuit.keys().collect::<Vec<_>>(), vec!["xrp_jpy"]);
        let obs = client.observe_except(Some(&watched), &watched).await;
        assert!(obs.circuit.is_empty(), "{:?}", obs.circuit);
    }
}
