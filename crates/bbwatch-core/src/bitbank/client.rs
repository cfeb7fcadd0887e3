//! The bitbank client: one shared reqwest client, both hosts, every answer read as a [`Fetch`].
//!
//! Everything a server sends is bounded: the time of the whole exchange (connect, 1xx
//! answers, headers, body), the size of the body before and after gzip, where a redirect may
//! lead (the configured origins only), and how many requests one answer can make us send.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use reqwest::Url;

use crate::bitbank::api::{self, CircuitBreakInfo, PairInfo, PairStatusEntry};
use crate::bitbank::assets::{self, is_auth_error, AssetInfo};
use crate::bitbank::classify::tradable_pairs;
use crate::bitbank::credentials::Credentials;
use crate::bitbank::observation::Observation;
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Fetch};
use crate::model::pair::{check_pair_name, MAX_WATCHED_PAIRS};
use crate::model::sanitize;
use crate::model::url::HttpUrl;
use crate::transport::{base_url, endpoint, Transport};
pub use crate::transport::{ClientError, MAX_BODY_BYTES, MAX_TIMEOUT, MIN_TIMEOUT};

/// bitbank's announcements (its maintenance notices): where the tray's "Open bitbank
/// announcements" goes, and the local API's ccxt status points.
pub const ANNOUNCEMENTS_URL: &str = "https://blog.bitbank.cc/tag/service";
/// The real bitbank api host.
pub const DEFAULT_API_URL: &str = "https://api.bitbank.cc/v1";
/// The real bitbank public host.
pub const DEFAULT_PUBLIC_URL: &str = "https://public.bitbank.cc";
/// The pair probed for the public host's health when no pair is watched yet.
const PROBE_PAIR: &str = "btc_jpy";
/// How many circuit_break_info requests run at once.
const CIRCUIT_CONCURRENCY: usize = 8;
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

/// A bitbank client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Transport,
    endpoints: Endpoints,
    api_base: Url,
    public_base: Url,
}

impl Client {
    /// A client with `timeout` for each whole request (connect to last body byte), clamped
    /// to the configuration's bounds.
    pub fn new(endpoints: Endpoints, timeout: Duration) -> Result<Client, ClientError> {
        let api_base = base_url(endpoints.api_url.url())?;
        let public_base = base_url(endpoints.public_url.url())?;
        let transport = Transport::new(&[api_base.clone(), public_base.clone()], timeout)?;
        Ok(Client {
            transport,
            endpoints,
            api_base,
            public_base,
        })
    }

    /// The hosts this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// `GET {api}/spot/status`
    pub async fn spot_status(&self) -> Fetch<Vec<PairStatusEntry>> {
        self.transport
            .get(
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
        let headers = vec![
            ("ACCESS-KEY", signed.key),
            ("ACCESS-REQUEST-TIME", signed.request_time),
            ("ACCESS-TIME-WINDOW", signed.time_window),
            ("ACCESS-SIGNATURE", signed.signature),
        ];
        self.transport
            .get_with(url, headers, assets::parse_user_assets)
            .await
    }

    /// `GET {api}/spot/pairs`
    pub async fn spot_pairs(&self) -> Fetch<Vec<PairInfo>> {
        self.transport
            .get(
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
        self.transport.get(url, api::parse_circuit_break_info).await
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
