//! The monitor loop: poll → classify → detect, publishing a `watch` of the current
//! [`Snapshot`] and a `broadcast` of [`Event`]s that every sink subscribes to.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{broadcast, watch, Notify};

use crate::classify::MAX_WATCHED_PAIRS;
use crate::classify::{classify, Certainty, Context, Reading};
use crate::client::{Client, ClientError, Endpoints};
use crate::delivery::{EventStream, Publisher, Subscriptions};
use crate::detect::{Detector, Snapshot, Thresholds};
use crate::event::Event;
use crate::pace::{clock_jumped, Pacer};

/// How many events a slow subscriber may lag behind before it misses some.
const EVENT_BUFFER: usize = 256;
// One poll's events (one per watched pair, and at most three level events) fit in the buffer,
// so even a plain subscriber that keeps up between polls loses nothing.
const _: () = assert!(MAX_WATCHED_PAIRS + 3 < EVENT_BUFFER);
/// The longest single sleep, so a suspend/resume is noticed soon after waking.
const WAKE_CHECK: Duration = Duration::from_secs(5);

/// What the monitor needs.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Time between polls.
    pub interval: Duration,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Failure and success thresholds.
    pub thresholds: Thresholds,
    /// Watched pairs; `None` for every pair tradable at the first answer.
    pub pairs: Option<BTreeSet<String>>,
    /// The hosts.
    pub endpoints: Endpoints,
}

/// The running side: owned by the task that calls [`Monitor::run`].
pub struct Monitor {
    client: Client,
    detector: Detector,
    pacer: Pacer,
    snapshot_tx: watch::Sender<Snapshot>,
    publisher: Publisher,
    check_now: Arc<Notify>,
}

/// The subscribing side: clone it to every sink.
#[derive(Clone, Debug)]
pub struct MonitorHandle {
    snapshot: watch::Receiver<Snapshot>,
    events: broadcast::Sender<Event>,
    streams: Arc<Subscriptions>,
    check_now: Arc<Notify>,
}

impl MonitorHandle {
    /// Events from now on. A receiver that lags more than the buffer loses the oldest
    /// events, level changes included; prefer [`MonitorHandle::events`].
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Events from now on, never losing a level change however far the reader lags
    /// (see [`crate::delivery`]). Ends when the monitor stops.
    pub fn events(&self) -> EventStream {
        self.streams.stream()
    }

    /// The current snapshot, and changes to it.
    pub fn snapshot(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    /// Poll now instead of waiting for the interval ("Check now").
    pub fn check_now(&self) {
        self.check_now.notify_one();
    }
}

impl Monitor {
    /// A monitor and its handle. Subscribe before [`Monitor::run`] so no event is missed.
    pub fn new(config: MonitorConfig) -> Result<(Monitor, MonitorHandle), ClientError> {
        let client = Client::new(config.endpoints, config.timeout)?;
        let (snapshot_tx, snapshot_rx) = watch::channel(Snapshot::default());
        let (events_tx, _) = broadcast::channel(EVENT_BUFFER);
        let (publisher, streams) = Publisher::new(EVENT_BUFFER, events_tx.clone());
        let check_now = Arc::new(Notify::new());
        let handle = MonitorHandle {
            snapshot: snapshot_rx,
            events: events_tx,
            streams,
            check_now: check_now.clone(),
        };
        let monitor = Monitor {
            client,
            detector: Detector::new(config.thresholds, config.pairs),
            pacer: Pacer::new(config.interval),
            snapshot_tx,
            publisher,
            check_now,
        };
        Ok((monitor, handle))
    }

    /// Poll until `shutdown` completes. One poll at a time; a poll in flight at shutdown is
    /// abandoned.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let observation = tokio::select! {
                o = self.client.observe(self.detector.watched()) => o,
                () = &mut shutdown => return,
            };
            let reading = classify(&observation, &self.detector.context());
            let rate_limited =
                (reading.certainty == Certainty::RateLimited).then_some(reading.retry_after);
            if let Some(retry_after) = rate_limited {
                tracing::warn!(?retry_after, "rate limited by bitbank; slowing down");
            }
            let events = self.detector.step(reading);
            // The snapshot first, so a sink that reacts to an event already sees the new state.
            self.snapshot_tx
                .send_replace(self.detector.snapshot().clone());
            for event in events {
                tracing::info!(kind = %event.kind, level = %event.level, "event");
                self.publisher.publish(event);
            }
            let delay = self.pacer.next_delay(rate_limited, fastrand::f64());
            if !self.wait(delay, &mut shutdown).await {
                return;
            }
        }
    }

    /// Sleep `delay`, ending early for "Check now" or a wall-clock jump (the machine woke from
    /// sleep). Returns false on shutdown.
    async fn wait(
        &self,
        delay: Duration,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let start = Instant::now();
        let wall_start = SystemTime::now();
        loop {
            let remaining = delay.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                return true;
            }
            tokio::select! {
                () = tokio::time::sleep(remaining.min(WAKE_CHECK)) => {}
                () = self.check_now.notified() => return true,
                () = shutdown.as_mut() => return false,
            }
            if clock_jumped(
                start.elapsed(),
                SystemTime::now().duration_since(wall_start).ok(),
            ) {
                tracing::info!("the clock jumped (suspend/resume?): polling now");
                return true;
            }
        }
    }
}

/// One poll, classified on its own: no thresholds, no history (`bbwatch status`).
pub async fn check_once(client: &Client, pairs: Option<&BTreeSet<String>>) -> Reading {
    let observation = client.observe(pairs).await;
    let none = Default::default();
    let previous = Default::default();
    classify(
        &observation,
        &Context {
            watched: pairs,
            excused: &none,
            previous: &previous,
        },
    )
}
