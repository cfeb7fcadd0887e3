//! The local API as one of the pipeline's sinks: what the process records reaches the event
//! feed of every server it runs (one at a time in the tray app, started again when `[api]`
//! changes) without a round trip through the history.

use bbwatch_core::engine::sink::{Recorded, Sink};
use tokio::sync::broadcast;

/// Events waiting for the feed: a burst of a whole poll's pair events fits, and a feed that
/// falls further behind reads what it missed from the history.
const BUFFER: usize = 256;

/// The sink the pipeline sends to, and where each server's feed subscribes.
#[derive(Clone, Debug)]
pub struct ApiSink {
    tx: broadcast::Sender<Recorded>,
}

impl Default for ApiSink {
    fn default() -> Self {
        ApiSink {
            tx: broadcast::channel(BUFFER).0,
        }
    }
}

impl ApiSink {
    /// The events from now on, for a server's feed.
    pub fn subscribe(&self) -> broadcast::Receiver<Recorded> {
        self.tx.subscribe()
    }
}

impl Sink for ApiSink {
    fn name(&self) -> &'static str {
        "local API"
    }

    fn send(&self, event: &Recorded) {
        // No server running (the API off in the tray app): nobody to tell.
        let _ = self.tx.send(event.clone());
    }
}
