//! What the monitor measures about its own polling, for the local API's `/metrics`: how many
//! polls, how long they took, which requests failed and how, rate limiting, and when bitbank
//! last gave a definite answer. Pure data: the monitor passes the values in
//! ([`PollStats::record`]); rendering (Prometheus text) is the API crate's business.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bitbank::observation::Observation;
use crate::model::fetch::{Failure, Host};
use crate::model::reading::Certainty;

/// Upper bounds (seconds) of the poll latency histogram's buckets; `+Inf` is implied. A poll
/// is three or more requests made one after another, each within the timeout (≤ 2 min).
pub const BUCKETS: [f64; 8] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How a request failed, as `/metrics` labels it (one per [`Failure`] variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// bitbank's error envelope ([`Failure::Api`]).
    Api,
    /// HTTP 429 or code 10009.
    RateLimited,
    /// An error page.
    Http,
    /// Not the expected JSON.
    Malformed,
    /// No answer in time.
    Timeout,
    /// Connection refused, reset, DNS.
    Network,
}

impl FailureKind {
    /// Every kind, in label order.
    pub const ALL: [FailureKind; 6] = [
        FailureKind::Api,
        FailureKind::RateLimited,
        FailureKind::Http,
        FailureKind::Malformed,
        FailureKind::Timeout,
        FailureKind::Network,
    ];

    /// The kind of `failure`.
    pub fn of(failure: &Failure) -> FailureKind {
        match failure {
            Failure::Api { .. } => FailureKind::Api,
            Failure::RateLimited { .. } => FailureKind::RateLimited,
            Failure::Http { .. } => FailureKind::Http,
            Failure::Malformed { .. } => FailureKind::Malformed,
            Failure::Timeout => FailureKind::Timeout,
            Failure::Network { .. } => FailureKind::Network,
        }
    }

    /// The label value: `api`, `rate_limited`, `http`, `malformed`, `timeout`, `network`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Api => "api",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::Http => "http",
            FailureKind::Malformed => "malformed",
            FailureKind::Timeout => "timeout",
            FailureKind::Network => "network",
        }
    }
}

/// A host as `/metrics` labels it: `api` or `public`.
pub fn host_label(host: Host) -> &'static str {
    match host {
        Host::Api => "api",
        Host::Public => "public",
    }
}

/// Every failed request of one poll, by host.
pub fn failures_of(observation: &Observation) -> Vec<(Host, FailureKind)> {
    let api = [
        observation.status.as_ref().err(),
        observation.pairs.as_ref().err(),
    ];
    let public = observation.circuit.values().map(|f| f.as_ref().err());
    api.into_iter()
        .flatten()
        .map(|f| (Host::Api, FailureKind::of(f)))
        .chain(public.flatten().map(|f| (Host::Public, FailureKind::of(f))))
        .collect()
}

/// One finished poll, as measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Poll {
    /// Wall time of the poll's requests.
    pub duration: Duration,
    /// Each failed request.
    pub failures: Vec<(Host, FailureKind)>,
    /// How sure the reading was (rate limited, definite, …).
    pub certainty: Certainty,
    /// When the poll started.
    pub at: DateTime<Utc>,
}

/// The counters since the monitor started.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollStats {
    /// Polls made.
    pub polls: u64,
    /// Polls per bucket of [`BUCKETS`] (not cumulative): `buckets[i]` counts the polls that
    /// took more than `BUCKETS[i-1]` and at most `BUCKETS[i]`; slower ones are only in
    /// [`PollStats::polls`].
    pub buckets: [u64; BUCKETS.len()],
    /// The polls' total duration, in seconds.
    pub duration_sum: f64,
    /// Failed requests by host and kind.
    pub failures: BTreeMap<(Host, FailureKind), u64>,
    /// Polls that were rate limited.
    pub rate_limited: u64,
    /// When the last poll with a definite answer started.
    pub last_success: Option<DateTime<Utc>>,
    /// Reconnects to the stream (each attempt after a drop or a failed connect).
    pub stream_reconnects: u64,
    /// Whether the stream's socket.io session is open now.
    pub stream_connected: bool,
}

impl PollStats {
    /// Count one poll.
    pub fn record(&mut self, poll: &Poll) {
        let secs = poll.duration.as_secs_f64();
        self.polls += 1;
        self.duration_sum += secs;
        if let Some(i) = BUCKETS.iter().position(|&le| secs <= le) {
            self.buckets[i] += 1;
        }
        for key in &poll.failures {
            *self.failures.entry(*key).or_insert(0) += 1;
        }
        match poll.certainty {
            Certainty::RateLimited => self.rate_limited += 1,
            Certainty::Definite => self.last_success = Some(poll.at),
            Certainty::Ambiguous => {}
        }
    }

    /// The bucket counts cumulated, as Prometheus wants them (`le` = the bucket's bound).
    pub fn cumulative_buckets(&self) -> [u64; BUCKETS.len()] {
        let mut out = self.buckets;
        for i in 1..out.len() {
            out[i] += out[i - 1];
        }
        out
    }
}

/// The counters, shared between the monitor (which records) and readers (`/metrics`).
#[derive(Debug, Default)]
pub struct PollMetrics {
    stats: Mutex<PollStats>,
}

impl PollMetrics {
    /// Count one poll.
    pub fn record(&self, poll: &Poll) {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(poll);
    }

    /// Count one reconnect to the stream.
    pub fn record_reconnect(&self) {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stream_reconnects += 1;
    }

    /// The stream's session opened or closed.
    pub fn set_stream_connected(&self, connected: bool) {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stream_connected = connected;
    }

    /// The counters now.
    pub fn stats(&self) -> PollStats {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::code::ErrorCode;
    use chrono::TimeZone;

    fn poll(ms: u64, failures: Vec<(Host, FailureKind)>, certainty: Certainty) -> Poll {
        Poll {
            duration: Duration::from_millis(ms),
            failures,
            certainty,
            at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
        }
    }

    #[test]
    fn polls_fall_into_buckets_and_failures_are_counted_by_host_and_kind() {
        let mut s = PollStats::default();
        s.record(&poll(30, vec![], Certainty::Definite));
        s.record(&poll(100, vec![], Certainty::Definite));
        s.record(&poll(
            3000,
            vec![
                (Host::Api, FailureKind::Timeout),
                (Host::Api, FailureKind::Timeout),
                (Host::Public, FailureKind::Network),
            ],
            Certainty::Ambiguous,
        ));
        s.record(&poll(60_000, vec![], Certainty::Ambiguous));
        s.record(&poll(
            200,
            vec![(Host::Api, FailureKind::RateLimited)],
            Certainty::RateLimited,
        ));
        assert_eq!(s.polls, 5);
        assert_eq!(s.buckets, [1, 1, 1, 0, 0, 0, 1, 0]);
        assert_eq!(s.cumulative_buckets(), [1, 2, 3, 3, 3, 3, 4, 4]);
        assert!((s.duration_sum - 63.33).abs() < 1e-9);
        assert_eq!(s.failures[&(Host::Api, FailureKind::Timeout)], 2);
        assert_eq!(s.failures[&(Host::Public, FailureKind::Network)], 1);
        assert_eq!(s.rate_limited, 1);
        assert_eq!(
            s.last_success,
            Some(poll(0, vec![], Certainty::Definite).at)
        );
    }

    #[test]
    fn every_failed_request_of_an_observation_is_named() {
        let obs = Observation {
            at: Utc::now(),
            status: Err(Failure::Api {
                code: ErrorCode::SYSTEM_MAINTENANCE,
                http_status: 200,
            }),
            pairs: Err(Failure::Timeout),
            circuit: [
                (
                    "btc_jpy".to_string(),
                    Err(Failure::Http {
                        status: 502,
                        html: true,
                    }),
                ),
                (
                    "eth_jpy".to_string(),
                    Ok(crate::bitbank::api::CircuitBreakInfo {
                        mode: crate::model::level::CircuitMode::None,
                        reopen_at: None,
                    }),
                ),
            ]
            .into(),
        };
        assert_eq!(
            failures_of(&obs),
            vec![
                (Host::Api, FailureKind::Api),
                (Host::Api, FailureKind::Timeout),
                (Host::Public, FailureKind::Http),
            ]
        );
        assert_eq!(FailureKind::of(&Failure::Timeout).as_str(), "timeout");
        assert_eq!(host_label(Host::Public), "public");
    }
}
