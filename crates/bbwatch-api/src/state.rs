//! What every handler and middleware reads: the snapshots, the event feed, the token, the
//! origins allowed and the bookkeeping of who holds what.

use std::sync::Arc;
use std::time::Duration;

use bbwatch_core::bitbank::metrics::PollMetrics;
use bbwatch_core::engine::monitor::Exchanges;
use bbwatch_core::Snapshot;
use tokio::sync::watch;

use crate::feed::Feed;
use crate::reading::Reading;
use crate::refusals::RefusalLog;
use crate::streams::Streams;
use crate::token::Token;

/// What every handler reads.
pub(crate) struct Shared {
    /// bitbank's snapshot.
    pub(crate) snapshot: watch::Receiver<Snapshot>,
    /// Every watched exchange's snapshot (bitbank's among them once it has polled).
    pub(crate) exchanges: watch::Receiver<Exchanges>,
    pub(crate) metrics: Arc<PollMetrics>,
    pub(crate) token: Option<Token>,
    pub(crate) heartbeat: Duration,
    pub(crate) feed: Arc<Feed>,
    /// Turns true when the server stops (event streams end).
    pub(crate) closing: watch::Receiver<bool>,
    /// Event streams open now, by who holds them.
    pub(crate) streams: Arc<Streams>,
    /// Web page origins allowed (`[api] origins`).
    pub(crate) origins: Vec<String>,
    /// `/v1/history`'s own connection to the history, one request at a time: its clients
    /// wait on each other, never on the recorder nor the event streams.
    pub(crate) reading: Option<Reading>,
    /// Refused requests per peer, for a log that a wrong token cannot flood.
    pub(crate) refusals: RefusalLog,
}
