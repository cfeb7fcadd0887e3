//! What the fake counts, and what `GET /_fake/stats` answers from the counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Request counters (the `/_fake/` endpoints are never counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Every request received by the api host.
    pub api: u64,
    /// Every request received by the public host.
    pub public: u64,
    /// `GET /v1/spot/status`
    pub spot_status: u64,
    /// `GET /v1/spot/pairs`
    pub spot_pairs: u64,
    /// `GET /{pair}/circuit_break_info`, any pair.
    pub circuit_break_info: u64,
    /// `GET /v1/user/assets`, whatever the answer (like `spot_status`).
    #[serde(default)]
    pub user_assets: u64,
    /// Every request received by GMO Coin's host.
    #[serde(default)]
    pub gmocoin: u64,
    /// Every request received by bitFlyer's host.
    #[serde(default)]
    pub bitflyer: u64,
    /// Every request received by Coincheck's host.
    #[serde(default)]
    pub coincheck: u64,
}

/// What `GET /_fake/stats` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Name of the phase in force.
    pub phase: String,
    /// Index of the phase in force (0-based).
    pub phase_index: usize,
    /// Requests received so far.
    pub requests: RequestCounts,
    /// `GET /{pair}/circuit_break_info` by pair: which pairs a client watches.
    #[serde(default)]
    pub circuit_break_by_pair: BTreeMap<String, u64>,
    /// What the stream host saw.
    #[serde(default)]
    pub stream: StreamCounts,
    /// Bytes sent.
    #[serde(default)]
    pub bytes: ByteCounts,
    /// Private requests answered with an authentication error (codes 20001 to 20005).
    #[serde(default)]
    pub auth_failures: u64,
    /// Requests to any HTTP host in which the configured API secret appeared anywhere (request
    /// line, a header value, the body): a correct client keeps this at 0.
    #[serde(default)]
    pub secret_seen: u64,
}

/// The stream host's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCounts {
    /// WebSocket sessions opened.
    pub connections: u64,
    /// Upgrades refused (a `refuse` phase).
    pub refused: u64,
    /// `join-room` requests for known rooms.
    pub joins: u64,
    /// `circuit_break_info` frames sent (first frames and pushes).
    pub pushes: u64,
    /// `ticker_{pair}` frames sent.
    #[serde(default)]
    pub ticks: u64,
}

/// Bytes sent to clients: what a client downloads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteCounts {
    /// HTTP responses of every host (status line, headers and body, as written).
    pub http: u64,
    /// Text of the WebSocket frames of the stream (the framing's 2 to 4 bytes a frame not
    /// counted).
    pub stream: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) api: AtomicU64,
    pub(crate) public: AtomicU64,
    pub(crate) spot_status: AtomicU64,
    pub(crate) spot_pairs: AtomicU64,
    pub(crate) circuit_break_info: AtomicU64,
    pub(crate) user_assets: AtomicU64,
    pub(crate) gmocoin: AtomicU64,
    pub(crate) bitflyer: AtomicU64,
    pub(crate) coincheck: AtomicU64,
    pub(crate) auth_failures: AtomicU64,
    pub(crate) secret_seen: AtomicU64,
    pub(crate) by_pair: Mutex<BTreeMap<String, u64>>,
    pub(crate) stream_connections: AtomicU64,
    pub(crate) stream_refused: AtomicU64,
    pub(crate) stream_joins: AtomicU64,
    pub(crate) stream_pushes: AtomicU64,
    pub(crate) stream_ticks: AtomicU64,
    pub(crate) http_bytes: AtomicU64,
    pub(crate) stream_bytes: AtomicU64,
}

/// Pairs counted one by one; requests for more names than this are only counted in total.
pub(crate) const MAX_COUNTED_PAIRS: usize = 10_000;

impl Counters {
    pub(crate) fn by_pair(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.by_pair
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            api: self.api.load(Ordering::Relaxed),
            public: self.public.load(Ordering::Relaxed),
            spot_status: self.spot_status.load(Ordering::Relaxed),
            spot_pairs: self.spot_pairs.load(Ordering::Relaxed),
            circuit_break_info: self.circuit_break_info.load(Ordering::Relaxed),
            user_assets: self.user_assets.load(Ordering::Relaxed),
            gmocoin: self.gmocoin.load(Ordering::Relaxed),
            bitflyer: self.bitflyer.load(Ordering::Relaxed),
            coincheck: self.coincheck.load(Ordering::Relaxed),
        }
    }
}
