//! The bitbank client: one shared reqwest client, both hosts, every answer read as a [`Fetch`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};

use crate::api::{self, CircuitBreakInfo, Failure, Fetch, PairInfo, PairStatusEntry};
use crate::classify::tradable_pairs;
use crate::observation::Observation;

/// The real bitbank api host.
pub const DEFAULT_API_URL: &str = "https://api.bitbank.cc/v1";
/// The real bitbank public host.
pub const DEFAULT_PUBLIC_URL: &str = "https://public.bitbank.cc";
/// The pair probed for the public host's health when no pair is watched yet.
const PROBE_PAIR: &str = "btc_jpy";
/// How many circuit_break_info requests run at once.
const CIRCUIT_CONCURRENCY: usize = 8;
/// The connect timeout never exceeds this, however long the total timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Base URLs of the two hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://api.bitbank.cc/v1`
    pub api_url: String,
    /// e.g. `https://public.bitbank.cc`
    pub public_url: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            api_url: DEFAULT_API_URL.into(),
            public_url: DEFAULT_PUBLIC_URL.into(),
        }
    }
}

/// The client could not be built (TLS backend, bad settings).
#[derive(Debug, thiserror::Error)]
#[error("cannot create the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// A bitbank client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    endpoints: Endpoints,
}

impl Client {
    /// A client with `timeout` for each whole request.
    pub fn new(endpoints: Endpoints, timeout: Duration) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("bbwatch/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .gzip(true)
            .build()?;
        Ok(Client { http, endpoints })
    }

    /// The hosts this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn get<T>(
        &self,
        url: String,
        parse: fn(u16, Option<&str>, &[u8]) -> Fetch<T>,
    ) -> Fetch<T> {
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(transport_failure)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(transport_failure)?;
        let result = parse(status, retry_after.as_deref(), &body);
        if let Err(failure) = &result {
            tracing::debug!(%url, %failure, "request failed");
        }
        result
    }

    /// `GET {api}/spot/status`
    pub async fn spot_status(&self) -> Fetch<Vec<PairStatusEntry>> {
        self.get(
            join(&self.endpoints.api_url, "spot/status"),
            api::parse_spot_status,
        )
        .await
    }

    /// `GET {api}/spot/pairs`
    pub async fn spot_pairs(&self) -> Fetch<Vec<PairInfo>> {
        self.get(
            join(&self.endpoints.api_url, "spot/pairs"),
            api::parse_spot_pairs,
        )
        .await
    }

    /// `GET {public}/{pair}/circuit_break_info`
    pub async fn circuit_break_info(&self, pair: &str) -> Fetch<CircuitBreakInfo> {
        let url = join(
            &self.endpoints.public_url,
            &format!("{pair}/circuit_break_info"),
        );
        self.get(url, api::parse_circuit_break_info).await
    }

    /// One poll: the api host's two answers, then a circuit-break answer per watched pair
    /// (the pairs tradable now when nothing is watched yet; at least one, to probe the host).
    pub async fn observe(&self, watched: Option<&BTreeSet<String>>) -> Observation {
        let at = Utc::now();
        let (status, pairs) = tokio::join!(self.spot_status(), self.spot_pairs());
        let mut probe: BTreeSet<String> = match (watched, &pairs) {
            (Some(w), _) => w.clone(),
            (None, Ok(p)) => tradable_pairs(p),
            (None, Err(_)) => BTreeSet::new(),
        };
        if probe.is_empty() {
            probe.insert(PROBE_PAIR.to_owned());
        }
        let circuit: BTreeMap<String, Fetch<CircuitBreakInfo>> = stream::iter(probe)
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

fn join(base: &str, path: &str) -> String {
    format!("{}/{path}", base.trim_end_matches('/'))
}

fn transport_failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Failure::Network { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_or_without_a_trailing_slash() {
        assert_eq!(
            join("https://api.bitbank.cc/v1/", "spot/status"),
            "https://api.bitbank.cc/v1/spot/status"
        );
        assert_eq!(
            join("http://127.0.0.1:1/v1", "spot/pairs"),
            "http://127.0.0.1:1/v1/spot/pairs"
        );
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
                api_url: format!("http://127.0.0.1:{port}/v1"),
                public_url: format!("http://127.0.0.1:{port}"),
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
    }
}
