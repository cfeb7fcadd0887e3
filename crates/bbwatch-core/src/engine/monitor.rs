//! The monitor loop: ask the source → detect, publishing a `watch` of the current
//! [`Snapshot`] and a `broadcast` of [`Event`]s that every sink subscribes to. What it asks is
//! a [`Source`] (bitbank's by default): the monitor paces, detects and publishes, and never
//! names a host, an error code or a room.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{broadcast, watch, Notify};

use crate::bitbank::client::ClientError;
use crate::bitbank::credentials::Credentials;
use crate::bitbank::metrics::PollMetrics;
use crate::bitbank::source::{Bitbank, BitbankConfig};
use crate::engine::delivery::{EventStream, Publisher, Subscriptions};
use crate::engine::detect::{Detector, Resume, Resumed, Snapshot, Thresholds};
use crate::engine::pace::{clock_jumped, Pacer};
use crate::model::event::Event;
use crate::model::exchange::Exchange;
use crate::model::level::Level;
use crate::model::pair::MAX_WATCHED_PAIRS;
use crate::model::reading::{Certainty, Context, Reading};
use crate::model::source::{Ask, Assets, Pushed, Source};

/// How many events a slow subscriber may lag behind before it misses some.
const EVENT_BUFFER: usize = 256;
// One poll's events (one per watched pair, and at most three level events) fit in the buffer,
// so even a plain subscriber that keeps up between polls loses nothing.
const _: () = assert!(MAX_WATCHED_PAIRS + 3 < EVENT_BUFFER);
/// The longest single sleep, so a suspend/resume is noticed soon after waking.
const WAKE_CHECK: Duration = Duration::from_secs(5);

/// What the monitor needs: its own pace, thresholds and watch list, and its source's
/// settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorConfig<C = BitbankConfig> {
    /// Time between polls.
    pub interval: Duration,
    /// Failure and success thresholds.
    pub thresholds: Thresholds,
    /// Watched pairs; `None` for every pair tradable at the first answer.
    pub pairs: Option<BTreeSet<String>>,
    /// What the source is configured with.
    pub source: C,
}

/// What a change of settings asks of the wait in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    /// Nothing the monitor uses changed.
    Nothing,
    /// Wait the new interval, from now.
    NewInterval,
    /// New pairs or hosts: poll them now.
    PollNow,
}

/// The running side: owned by the task that calls [`Monitor::run`].
pub struct Monitor<S: Source = Bitbank> {
    pub(crate) source: S,
    /// What the monitor runs with now.
    current: MonitorConfig<S::Config>,
    /// The settings in force, when they can change while it runs.
    settings: Option<watch::Receiver<MonitorConfig<S::Config>>>,
    pub(crate) detector: Detector,
    pacer: Pacer,
    snapshot_tx: watch::Sender<Snapshot>,
    /// Shared by every monitor of one handle: one stream of events for all exchanges.
    publisher: Arc<Publisher>,
    /// Every exchange's snapshot, this one's among them.
    exchanges: Arc<watch::Sender<Exchanges>>,
    exchange: Exchange,
    check_now: Arc<Notify>,
}

/// Every watched exchange's latest snapshot.
pub type Exchanges = BTreeMap<Exchange, Snapshot>;

/// "Check now" for every monitor of one handle: each has its own `Notify`, which keeps the
/// request until that monitor next waits.
#[derive(Clone, Debug, Default)]
struct CheckNow(Arc<std::sync::Mutex<Vec<Weak<Notify>>>>);

impl CheckNow {
    /// A `Notify` of a new monitor's own.
    fn join(&self) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        let mut all = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.retain(|n| n.strong_count() > 0);
        all.push(Arc::downgrade(&notify));
        notify
    }

    /// Ask every monitor still running to poll now.
    fn all(&self) {
        let all = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for notify in all.iter().filter_map(Weak::upgrade) {
            notify.notify_one();
        }
    }
}

/// What every monitor of one handle shares.
struct Shared {
    publisher: Arc<Publisher>,
    exchanges: Arc<watch::Sender<Exchanges>>,
    check_now: CheckNow,
}

/// The subscribing side: clone it to every sink.
#[derive(Clone, Debug)]
pub struct MonitorHandle {
    snapshot: watch::Receiver<Snapshot>,
    events: broadcast::Sender<Event>,
    streams: Arc<Subscriptions>,
    check_now: CheckNow,
    metrics: Arc<PollMetrics>,
    /// Weak, so the events end when the last monitor stops.
    publisher: Weak<Publisher>,
    exchanges: Arc<watch::Sender<Exchanges>>,
}

impl MonitorHandle {
    /// Events from now on. A receiver that lags more than the buffer loses the oldest
    /// events, level changes included; prefer [`MonitorHandle::events`].
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Events from now on, never losing a level change however far the reader lags
    /// (see [`crate::engine::delivery`]). Ends when the monitor stops.
    pub fn events(&self) -> EventStream {
        self.streams.stream()
    }

    /// The current snapshot, and changes to it.
    pub fn snapshot(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    /// Poll now instead of waiting for the interval ("Check now").
    pub fn check_now(&self) {
        self.check_now.all();
    }

    /// What the monitor measured of its polls so far (for `/metrics`).
    pub fn metrics(&self) -> Arc<PollMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Every watched exchange's snapshot (the first monitor's among them), and changes to
    /// them. An exchange appears at its monitor's first poll and leaves when it stops.
    pub fn exchanges(&self) -> watch::Receiver<Exchanges> {
        self.exchanges.subscribe()
    }

    /// A monitor of another exchange whose events go out with this handle's (each carries
    /// its exchange) and whose snapshot joins [`MonitorHandle::exchanges`]; `None` once every
    /// monitor of this handle has stopped. Its own snapshot is the receiver returned.
    pub fn join<S: Source>(
        &self,
        source: S,
        config: MonitorConfig<S::Config>,
        settings: Option<watch::Receiver<MonitorConfig<S::Config>>>,
    ) -> Option<(Monitor<S>, watch::Receiver<Snapshot>)> {
        let shared = Shared {
            publisher: self.publisher.upgrade()?,
            exchanges: Arc::clone(&self.exchanges),
            check_now: self.check_now.clone(),
        };
        Some(Monitor::assemble(source, config, settings, shared))
    }
}

impl Monitor<Bitbank> {
    /// A monitor of bitbank with fixed settings, and its handle. Subscribe before
    /// [`Monitor::run`] so no event is missed.
    pub fn new(config: MonitorConfig) -> Result<(Monitor, MonitorHandle), ClientError> {
        Monitor::bitbank(config, None)
    }

    /// A monitor of bitbank that follows the settings in force, without a restart: a new
    /// interval at the next wait, new pairs or hosts at a poll made at once, new thresholds at
    /// the next reading. Settings that change nothing the monitor uses (notifications,
    /// language) wake nothing.
    pub fn following(
        settings: watch::Receiver<MonitorConfig>,
    ) -> Result<(Monitor, MonitorHandle), ClientError> {
        let config = settings.borrow().clone();
        Monitor::bitbank(config, Some(settings))
    }

    fn bitbank(
        config: MonitorConfig,
        settings: Option<watch::Receiver<MonitorConfig>>,
    ) -> Result<(Monitor, MonitorHandle), ClientError> {
        let metrics = Arc::new(PollMetrics::default());
        let source = Bitbank::new(config.source.clone(), metrics.clone())?;
        Ok(Monitor::with_source(source, config, settings, metrics))
    }

    /// Watch deposits and withdrawals with the API key on `credentials` (`None`: no key);
    /// a new key, or its removal, takes effect at a poll made at once. Call before
    /// [`Monitor::run`].
    pub fn set_credentials(&mut self, credentials: watch::Receiver<Option<Credentials>>) {
        self.source.set_credentials(credentials);
    }
}

impl<S: Source> Monitor<S> {
    /// A monitor of `source` (following `settings` when given), and its handle; `metrics` are
    /// what the source measures of its polls, for `/metrics`.
    pub fn with_source(
        source: S,
        config: MonitorConfig<S::Config>,
        settings: Option<watch::Receiver<MonitorConfig<S::Config>>>,
        metrics: Arc<PollMetrics>,
    ) -> (Monitor<S>, MonitorHandle) {
        let (events_tx, _) = broadcast::channel(EVENT_BUFFER);
        let (publisher, streams) = Publisher::new(EVENT_BUFFER, events_tx.clone());
        let shared = Shared {
            publisher: Arc::new(publisher),
            exchanges: Arc::new(watch::Sender::new(Exchanges::new())),
            check_now: CheckNow::default(),
        };
        let publisher = Arc::downgrade(&shared.publisher);
        let exchanges = Arc::clone(&shared.exchanges);
        let check_now = shared.check_now.clone();
        let (monitor, snapshot) = Monitor::assemble(source, config, settings, shared);
        let handle = MonitorHandle {
            snapshot,
            events: events_tx,
            streams,
            check_now,
            metrics,
            publisher,
            exchanges,
        };
        (monitor, handle)
    }

    /// A monitor publishing through `shared`, and its own snapshot.
    fn assemble(
        source: S,
        config: MonitorConfig<S::Config>,
        settings: Option<watch::Receiver<MonitorConfig<S::Config>>>,
        shared: Shared,
    ) -> (Monitor<S>, watch::Receiver<Snapshot>) {
        let exchange = source.exchange();
        let (snapshot_tx, snapshot) = watch::channel(Snapshot {
            exchange,
            ..Snapshot::default()
        });
        let monitor = Monitor {
            source,
            detector: Detector::new(config.thresholds, config.pairs.clone()),
            pacer: Pacer::new(config.interval),
            current: config,
            settings,
            snapshot_tx,
            publisher: shared.publisher,
            exchanges: shared.exchanges,
            exchange,
            check_now: shared.check_now.join(),
        };
        (monitor, snapshot)
    }

    /// Continue what an earlier run left (see [`Detector::resume`]); call before
    /// [`Monitor::run`].
    pub fn resume(&mut self, prior: Resume, now: chrono::DateTime<chrono::Utc>) -> Resumed {
        let resumed = self.detector.resume(prior, now);
        tracing::info!(?resumed, "stored state");
        resumed
    }

    /// Poll until `shutdown` completes. One poll at a time; a poll in flight at shutdown is
    /// abandoned.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        self.source.start();
        loop {
            let started = Instant::now();
            let ask = Ask {
                watched: self.detector.watched(),
                configured: self.current.pairs.as_ref(),
            };
            let answer = tokio::select! {
                answer = self.source.fetch(ask) => answer,
                () = &mut shutdown => return,
            };
            // Assets the user no longer watches (or no key at all) leave before the reading,
            // so their stops are told as the user's change, not as resumed.
            match self.source.assets() {
                Assets::Off => self.detector.unwatch_assets(|_| false, true),
                Assets::Only(watched) => {
                    self.detector.unwatch_assets(|a| watched.contains(a), false);
                }
                Assets::Unknown => {}
            }
            let polled = self
                .source
                .read(answer, self.detector.context(), started.elapsed());
            let reading = polled.reading;
            let rate_limited =
                (reading.certainty == Certainty::RateLimited).then_some(reading.retry_after);
            if let Some(retry_after) = rate_limited {
                tracing::warn!(?retry_after, "rate limited; slowing down");
            }
            self.step(reading);
            let in_maintenance = self.detector.snapshot().level == Level::Maintenance;
            self.pacer.hurry(in_maintenance.then_some(polled.requests));
            let delay = self.pacer.next_delay(rate_limited, fastrand::f64());
            if !self.wait(delay, &mut shutdown).await {
                return;
            }
        }
    }

    /// Feed a reading to the detector and publish what follows.
    fn step(&mut self, reading: Reading) {
        let events = self.detector.step(reading);
        self.source.watching(self.detector.watched());
        // The snapshot first, so a sink that reacts to an event already sees the new state.
        let mut snapshot = self.detector.snapshot().clone();
        let state = self.source.state();
        snapshot.stream = state.link;
        snapshot.api_key = state.key;
        snapshot.unlisted = state.unlisted;
        snapshot.exchange = self.exchange;
        self.exchanges.send_modify(|all| {
            all.insert(self.exchange, snapshot.clone());
        });
        self.snapshot_tx.send_replace(snapshot);
        for mut event in events {
            event.exchange = self.exchange;
            tracing::info!(exchange = %self.exchange, kind = %event.kind, level = %event.level, "event");
            self.publisher.publish(event);
        }
    }

    /// Take what the source pushed: a reading is detected at once; its state (whether live
    /// updates are in use) is shown. `true` when it asks for a poll now.
    fn take(&mut self, push: S::Push) -> bool {
        let pushed = self.source.take(push, self.detector.context());
        let link = self.source.state().link;
        self.snapshot_tx.send_if_modified(|s| {
            let changed = s.stream != link;
            s.stream = link;
            changed
        });
        match pushed {
            Pushed::Nothing => false,
            Pushed::Reading(reading) => {
                self.step(reading);
                false
            }
            Pushed::PollNow => true,
        }
    }

    /// Take the settings in force: what changed, and what that asks of the wait.
    fn apply_settings(&mut self) -> Applied {
        let Some(settings) = self.settings.as_mut() else {
            return Applied::Nothing;
        };
        let new = settings.borrow_and_update().clone();
        if new == self.current {
            return Applied::Nothing;
        }
        let old = std::mem::replace(&mut self.current, new.clone());
        let mut applied = Applied::Nothing;
        if self.source.apply(&new.source) {
            let link = self.source.state().link;
            self.snapshot_tx.send_if_modified(|s| {
                let changed = s.stream != link;
                s.stream = link;
                changed
            });
            applied = Applied::PollNow;
        }
        if new.thresholds != old.thresholds {
            self.detector.set_thresholds(new.thresholds);
        }
        if new.pairs != old.pairs {
            self.detector.set_watched(new.pairs.clone());
            applied = Applied::PollNow;
        }
        if new.interval != old.interval {
            self.pacer.set_interval(new.interval);
            if applied == Applied::Nothing {
                applied = Applied::NewInterval;
            }
        }
        tracing::info!(?applied, "new settings");
        applied
    }

    /// Sleep `delay`, ending early for "Check now", new pairs or hosts, what the source asks
    /// for, or a wall-clock jump (the machine woke from sleep); a new interval starts the wait
    /// again. Returns false on shutdown.
    async fn wait(
        &mut self,
        mut delay: Duration,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let mut start = Instant::now();
        let mut wall_start = SystemTime::now();
        loop {
            let remaining = delay.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                return true;
            }
            let settings_changed = tokio::select! {
                () = tokio::time::sleep(remaining.min(WAKE_CHECK)) => false,
                push = self.source.next_push() => {
                    if self.take(push) {
                        return true;
                    }
                    continue;
                }
                () = self.check_now.notified() => return true,
                () = shutdown.as_mut() => return false,
                () = settings_changed(&mut self.settings) => true,
            };
            if settings_changed {
                match self.apply_settings() {
                    Applied::PollNow => return true,
                    Applied::NewInterval => {
                        delay = self.pacer.next_delay(None, fastrand::f64());
                        start = Instant::now();
                        wall_start = SystemTime::now();
                        continue;
                    }
                    Applied::Nothing => {}
                }
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

impl<S: Source> Drop for Monitor<S> {
    fn drop(&mut self) {
        // A stopped monitor's exchange is no longer watched.
        self.exchanges
            .send_if_modified(|all| all.remove(&self.exchange).is_some());
    }
}

/// Completes when the settings change; never, when there are none to follow (or they can no
/// longer change).
async fn settings_changed<C>(settings: &mut Option<watch::Receiver<MonitorConfig<C>>>) {
    match settings {
        Some(rx) => {
            if rx.changed().await.is_err() {
                *settings = None;
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// One poll, read on its own: no thresholds, no history (`bbwatch status`).
pub async fn check_once<S: Source>(source: &mut S, pairs: Option<&BTreeSet<String>>) -> Snapshot {
    let answer = source
        .fetch(Ask {
            watched: pairs,
            configured: pairs,
        })
        .await;
    let (excused, previous) = (BTreeSet::new(), BTreeMap::new());
    let ctx = Context {
        watched: pairs,
        excused: &excused,
        previous: &previous,
    };
    let polled = source.read(answer, ctx, Duration::ZERO);
    let mut snapshot = Snapshot::from_reading(polled.reading);
    snapshot.exchange = source.exchange();
    let state = source.state();
    snapshot.api_key = state.key;
    snapshot.unlisted = state.unlisted;
    snapshot
}

/// The monitor with bitbank's source: its stream's pushes, covered pairs and settings.
#[cfg(test)]
mod with_bitbank {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bitbank::api::{CircuitBreakInfo, PairInfo, PairStatusEntry};
    use crate::bitbank::client::Endpoints;
    use crate::bitbank::observation::Observation;
    use crate::bitbank::silence::Silence;
    use crate::bitbank::source::{Answer, Push, StreamConfig};
    use crate::bitbank::stream::Update;
    use crate::model::event::EventKind;
    use crate::model::level::{CircuitMode, PairStatus};
    use crate::model::link::Link;

    fn monitor(pairs: &[&str]) -> (Monitor, MonitorHandle) {
        Monitor::new(MonitorConfig {
            interval: Duration::from_secs(30),
            thresholds: Thresholds::default(),
            pairs: Some(pairs.iter().map(|p| p.to_string()).collect()),
            source: BitbankConfig {
                timeout: Duration::from_secs(2),
                endpoints: Endpoints {
                    api_url: "http://127.0.0.1:9/v1".parse().unwrap(),
                    public_url: "http://127.0.0.1:9".parse().unwrap(),
                },
                stream: None,
                assets: None,
            },
        })
        .unwrap()
    }

    fn info(mode: CircuitMode) -> CircuitBreakInfo {
        CircuitBreakInfo {
            mode,
            reopen_at: None,
        }
    }

    fn observation(pairs: &[&str]) -> Observation {
        Observation {
            at: chrono::Utc::now(),
            status: Ok(pairs
                .iter()
                .map(|p| PairStatusEntry {
                    pair: p.to_string(),
                    status: PairStatus::Normal,
                    min_amount: None,
                })
                .collect()),
            pairs: Ok(pairs
                .iter()
                .map(|p| PairInfo {
                    name: p.to_string(),
                    restrictions: Vec::new(),
                })
                .collect()),
            circuit: pairs
                .iter()
                .map(|p| (p.to_string(), Ok(info(CircuitMode::None))))
                .collect(),
        }
    }

    fn kinds(rx: &mut broadcast::Receiver<Event>) -> Vec<EventKind> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| e.kind)
            .collect()
    }

    /// One poll that answered `obs`, read as `Monitor::run` reads it.
    fn poll(monitor: &mut Monitor, obs: Observation) {
        let answer = Answer {
            observation: obs,
            requests: 0,
        };
        let ctx = monitor.detector.context();
        let polled = monitor.source.read(answer, ctx, Duration::ZERO);
        monitor.step(polled.reading);
    }

    /// A stream update, taken as `Monitor::run` takes it between polls: whether it asks for a
    /// poll now.
    fn push(monitor: &mut Monitor, update: Update) -> bool {
        monitor.take(Push::Stream(Some(update)))
    }

    #[test]
    fn the_snapshot_says_whether_live_updates_are_connected() {
        let (mut monitor, handle) = monitor(&["btc_jpy"]);
        poll(&mut monitor, observation(&["btc_jpy"]));
        assert_eq!(handle.snapshot().borrow().stream, Link::Off);
        monitor.source.stream.link = Link::Connecting;
        push(&mut monitor, Update::Connected);
        assert_eq!(handle.snapshot().borrow().stream, Link::Connected);
        // A poll keeps it.
        poll(&mut monitor, observation(&["btc_jpy"]));
        assert_eq!(handle.snapshot().borrow().stream, Link::Connected);
        push(
            &mut monitor,
            Update::Down {
                was_connected: true,
                reason: "closed".into(),
            },
        );
        assert_eq!(handle.snapshot().borrow().stream, Link::Connecting);
    }

    #[test]
    fn ticker_frames_put_off_the_early_poll_and_a_drop_forgets_them() {
        let (mut monitor, _handle) = monitor(&["btc_jpy"]);
        monitor.source.stream.silence = Some(Silence::new());
        assert_eq!(monitor.source.stream.silence.as_ref().unwrap().due(), None);
        let before = tokio::time::Instant::now();
        push(&mut monitor, Update::Tick);
        let due = monitor
            .source
            .stream
            .silence
            .as_ref()
            .unwrap()
            .due()
            .unwrap();
        assert!(due >= before + crate::bitbank::silence::BOUND);
        push(
            &mut monitor,
            Update::Down {
                was_connected: true,
                reason: "closed".into(),
            },
        );
        assert_eq!(monitor.source.stream.silence.as_ref().unwrap().due(), None);
    }

    #[test]
    fn a_push_is_classified_at_once_through_the_same_detector() {
        let (mut monitor, handle) = monitor(&["btc_jpy", "xrp_jpy"]);
        let mut events = handle.subscribe();
        poll(&mut monitor, observation(&["btc_jpy", "xrp_jpy"]));
        assert_eq!(kinds(&mut events), vec![EventKind::MonitorStarted]);
        assert_eq!(
            *monitor.source.stream.rooms.borrow(),
            ["btc_jpy", "xrp_jpy"].map(String::from).into()
        );
        // The first frame on joining says what REST said: nothing happens, the pair is covered.
        let first = Update::Circuit {
            pair: "xrp_jpy".into(),
            info: info(CircuitMode::None),
        };
        assert!(!push(&mut monitor, first));
        assert!(kinds(&mut events).is_empty());
        assert!(monitor.source.stream.covered.contains("xrp_jpy"));
        // A change: a reading and its events at once.
        let pushed = Update::Circuit {
            pair: "xrp_jpy".into(),
            info: info(CircuitMode::CircuitBreak),
        };
        push(&mut monitor, pushed);
        assert_eq!(
            kinds(&mut events),
            vec![EventKind::DegradedStarted, EventKind::PairChanged]
        );
        // The next poll did not ask for xrp_jpy; the pushed state stands in for it.
        let mut without = observation(&["btc_jpy", "xrp_jpy"]);
        without.circuit.remove("xrp_jpy");
        poll(&mut monitor, without);
        assert!(kinds(&mut events).is_empty());
        let last = monitor.source.stream.last.as_ref().unwrap();
        assert_eq!(
            last.circuit.get("xrp_jpy"),
            Some(&Ok(info(CircuitMode::CircuitBreak)))
        );
        // A pair no longer watched is not covered any more.
        monitor
            .detector
            .set_watched(Some(["btc_jpy".to_string()].into()));
        monitor.source.watching(monitor.detector.watched());
        assert!(monitor.source.stream.covered.is_empty());
    }

    #[test]
    fn a_drop_polls_at_once_only_when_pairs_were_covered() {
        let (mut monitor, _handle) = monitor(&["btc_jpy"]);
        poll(&mut monitor, observation(&["btc_jpy"]));
        let down = || Update::Down {
            was_connected: true,
            reason: "test".into(),
        };
        // A session that never delivered a frame: nothing stale, no extra poll.
        assert!(!push(&mut monitor, down()));
        push(
            &mut monitor,
            Update::Circuit {
                pair: "btc_jpy".into(),
                info: info(CircuitMode::None),
            },
        );
        assert!(push(&mut monitor, down()));
        assert!(monitor.source.stream.covered.is_empty());
        // Frames of pairs not watched are ignored.
        push(
            &mut monitor,
            Update::Circuit {
                pair: "eth_jpy".into(),
                info: info(CircuitMode::CircuitBreak),
            },
        );
        assert!(monitor.source.stream.covered.is_empty());
    }

    #[tokio::test]
    async fn turning_the_stream_on_or_off_in_the_settings_polls_at_once() {
        let config = monitor(&["btc_jpy"]).0.current.clone();
        let (tx, rx) = watch::channel(config.clone());
        let (mut monitor, _handle) = Monitor::following(rx).unwrap();
        assert_eq!(monitor.current.source.stream, None);
        let mut streamed = config.clone();
        streamed.source.stream = Some(StreamConfig {
            url: "ws://127.0.0.1:9".parse().unwrap(),
            early_poll: true,
        });
        tx.send_replace(streamed);
        assert_eq!(monitor.apply_settings(), Applied::PollNow);
        assert_eq!(
            monitor
                .current
                .source
                .stream
                .as_ref()
                .map(|s| s.url.as_str()),
            Some("ws://127.0.0.1:9")
        );
        assert!(monitor.source.stream.task.is_some() && monitor.source.stream.updates.is_some());
        tx.send_replace(config);
        assert_eq!(monitor.apply_settings(), Applied::PollNow);
        assert!(monitor.source.stream.task.is_none() && monitor.source.stream.updates.is_none());
    }
}

/// The monitor's own behaviour — polling, detecting, taking pushes between polls, following
/// new settings, showing the source's state — driven through a scripted source: no network,
/// no bitbank.
#[cfg(test)]
mod scripted {
    #![allow(clippy::unwrap_used)]
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use tokio::sync::mpsc;

    // Not `super::*`: that would name the sibling test module too.
    use super::{
        Arc, Ask, Assets, BTreeSet, Context, Duration, EventStream, Exchange, Level, Monitor,
        MonitorConfig, MonitorHandle, Pushed, Reading, Source, Thresholds,
    };
    use crate::model::code::ErrorCode;
    use crate::model::event::EventKind;
    use crate::model::link::Link;
    use crate::model::reading::tests_support::normal_reading;
    use crate::model::reason::Reason;
    use crate::model::source::{Polled, SourceState};
    use crate::model::unlisted::Unlisted;
    use tokio::sync::watch;

    /// What the script pushes between polls.
    enum Script {
        Reading(Reading),
        PollNow,
        Link(Link),
    }

    /// A source that answers each poll with the next reading of its script (and waits for
    /// ever once they are used up), takes what the test pushes, and writes down what it was
    /// asked and given.
    struct Scripted {
        polls: VecDeque<Reading>,
        pushes: mpsc::UnboundedReceiver<Script>,
        asked: Arc<Mutex<Vec<Option<BTreeSet<String>>>>>,
        applied: Arc<Mutex<Vec<u32>>>,
        state: SourceState,
        exchange: Exchange,
    }

    impl Source for Scripted {
        type Config = u32;
        type Answer = Reading;
        type Push = Script;

        fn exchange(&self) -> Exchange {
            self.exchange
        }

        fn start(&mut self) {}

        async fn fetch(&mut self, ask: Ask<'_>) -> Reading {
            self.asked.lock().unwrap().push(ask.watched.cloned());
            match self.polls.pop_front() {
                Some(reading) => reading,
                None => std::future::pending().await,
            }
        }

        fn assets(&self) -> Assets {
            Assets::Unknown
        }

        fn read(&mut self, answer: Reading, _: Context<'_>, _: Duration) -> Polled {
            Polled {
                reading: Reading {
                    at: chrono::Utc::now(),
                    ..answer
                },
                requests: 1,
            }
        }

        async fn next_push(&mut self) -> Script {
            match self.pushes.recv().await {
                Some(push) => push,
                None => std::future::pending().await,
            }
        }

        fn take(&mut self, push: Script, _: Context<'_>) -> Pushed {
            match push {
                Script::Reading(reading) => Pushed::Reading(reading),
                Script::PollNow => Pushed::PollNow,
                Script::Link(link) => {
                    self.state.link = link;
                    Pushed::Nothing
                }
            }
        }

        fn watching(&mut self, _: Option<&BTreeSet<String>>) {}

        fn apply(&mut self, config: &u32) -> bool {
            self.applied.lock().unwrap().push(*config);
            true
        }

        fn state(&self) -> SourceState {
            self.state.clone()
        }
    }

    fn maintenance() -> Reading {
        Reading {
            level: Level::Maintenance,
            reason: Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            }),
            ..normal_reading()
        }
    }

    struct Run {
        handle: MonitorHandle,
        push: mpsc::UnboundedSender<Script>,
        asked: Arc<Mutex<Vec<Option<BTreeSet<String>>>>>,
        applied: Arc<Mutex<Vec<u32>>>,
        settings: watch::Sender<MonitorConfig<u32>>,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
    }

    impl Drop for Run {
        fn drop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
        }
    }

    /// A monitor of `polls` (then of pushes only), polling every `interval`, running.
    fn start(polls: Vec<Reading>, interval: Duration, state: SourceState) -> Run {
        let (push, pushes) = mpsc::unbounded_channel();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let applied = Arc::new(Mutex::new(Vec::new()));
        let config = MonitorConfig {
            interval,
            thresholds: Thresholds::default(),
            pairs: Some(["btc_jpy".to_string()].into()),
            source: 1,
        };
        let (settings, following) = watch::channel(config.clone());
        let source = Scripted {
            polls: polls.into(),
            pushes,
            asked: asked.clone(),
            applied: applied.clone(),
            state,
            exchange: Exchange::Bitbank,
        };
        let (monitor, handle) =
            Monitor::with_source(source, config, Some(following), Arc::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(monitor.run(async move {
            let _ = stopped.await;
        }));
        Run {
            handle,
            push,
            asked,
            applied,
            settings,
            stop: Some(stop),
        }
    }

    /// The next `n` event kinds (within a few seconds each).
    async fn kinds(events: &mut EventStream, n: usize) -> Vec<EventKind> {
        let mut kinds = Vec::new();
        for _ in 0..n {
            let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .expect("an event in time")
                .expect("the monitor runs");
            kinds.push(event.kind);
        }
        kinds
    }

    #[tokio::test]
    async fn a_joined_exchange_shares_the_events_and_shows_its_snapshot() {
        let run = start(
            vec![normal_reading()],
            Duration::from_millis(10),
            SourceState::default(),
        );
        let mut events = run.handle.events();
        assert_eq!(kinds(&mut events, 1).await, [EventKind::MonitorStarted]);
        let (_push, pushes) = mpsc::unbounded_channel();
        let source = Scripted {
            polls: vec![normal_reading(), maintenance()].into(),
            pushes,
            asked: Arc::default(),
            applied: Arc::default(),
            state: SourceState::default(),
            exchange: Exchange::Coincheck,
        };
        let config = MonitorConfig {
            interval: Duration::from_millis(10),
            thresholds: Thresholds::default(),
            pairs: None,
            source: 1,
        };
        let (joined, own) = run.handle.join(source, config, None).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(joined.run(async move {
            let _ = stopped.await;
        }));
        for kind in [EventKind::MonitorStarted, EventKind::MaintenanceStarted] {
            let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!((event.kind, event.exchange), (kind, Exchange::Coincheck));
        }
        assert_eq!(own.borrow().exchange, Exchange::Coincheck);
        assert_eq!(own.borrow().level, Level::Maintenance);
        let all = run.handle.exchanges().borrow().clone();
        assert_eq!(
            all.keys().copied().collect::<Vec<_>>(),
            [Exchange::Bitbank, Exchange::Coincheck]
        );
        assert_eq!(all[&Exchange::Bitbank].level, Level::Normal);
        assert_eq!(all[&Exchange::Bitbank].exchange, Exchange::Bitbank);
        // Stopped, it is no longer among the watched.
        stop.send(()).unwrap();
        task.await.unwrap();
        assert!(!run
            .handle
            .exchanges()
            .borrow()
            .contains_key(&Exchange::Coincheck));
    }

    #[tokio::test]
    async fn each_poll_is_detected_and_published() {
        let polls = vec![normal_reading(), maintenance(), normal_reading()];
        let run = start(polls, Duration::from_millis(10), SourceState::default());
        let mut events = run.handle.events();
        assert_eq!(
            kinds(&mut events, 3).await,
            [
                EventKind::MonitorStarted,
                EventKind::MaintenanceStarted,
                EventKind::MaintenanceEnded
            ]
        );
        assert_eq!(run.handle.snapshot().borrow().level, Level::Normal);
        // The watch list it was asked for is the settings'.
        let asked = run.asked.lock().unwrap().clone();
        assert!(asked.len() >= 3, "{asked:?}");
        assert!(asked
            .iter()
            .all(|w| *w == Some(["btc_jpy".to_string()].into())));
    }

    #[tokio::test]
    async fn a_pushed_reading_is_detected_at_once_and_a_push_can_ask_for_a_poll() {
        // Polled once, then not for an hour: what follows comes from pushes.
        let run = start(
            vec![normal_reading(), normal_reading()],
            Duration::from_secs(3600),
            SourceState::default(),
        );
        let mut events = run.handle.events();
        assert_eq!(kinds(&mut events, 1).await, [EventKind::MonitorStarted]);
        run.push.send(Script::Reading(maintenance())).unwrap();
        assert_eq!(kinds(&mut events, 1).await, [EventKind::MaintenanceStarted]);
        assert_eq!(run.asked.lock().unwrap().len(), 1, "no poll for a push");
        // The poll it asks for reads normal: the maintenance ends.
        run.push.send(Script::PollNow).unwrap();
        assert_eq!(kinds(&mut events, 1).await, [EventKind::MaintenanceEnded]);
        assert_eq!(run.asked.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_snapshot_shows_the_sources_state() {
        let state = SourceState {
            link: Link::Connecting,
            unlisted: Unlisted {
                pairs: vec!["nope_jpy".into()],
                assets: Vec::new(),
            },
            ..SourceState::default()
        };
        let run = start(vec![normal_reading()], Duration::from_secs(3600), state);
        let mut snapshots = run.handle.snapshot();
        let snapshot = snapshots
            .wait_for(|s| s.checked_at.is_some())
            .await
            .unwrap()
            .clone();
        assert_eq!(snapshot.stream, Link::Connecting);
        assert_eq!(snapshot.unlisted.pairs, ["nope_jpy"]);
        // A push that changes only the source's state shows at once.
        run.push.send(Script::Link(Link::Connected)).unwrap();
        tokio::time::timeout(
            Duration::from_secs(5),
            snapshots.wait_for(|s| s.stream == Link::Connected),
        )
        .await
        .unwrap()
        .unwrap();
    }

    #[tokio::test]
    async fn new_settings_reach_the_source_and_the_watch_list_with_a_poll_at_once() {
        let run = start(
            vec![normal_reading(), normal_reading()],
            Duration::from_secs(3600),
            SourceState::default(),
        );
        let mut events = run.handle.events();
        assert_eq!(kinds(&mut events, 1).await, [EventKind::MonitorStarted]);
        run.settings.send_modify(|c| {
            c.source = 2;
            c.pairs = Some(["eth_jpy".to_string()].into());
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while run.asked.lock().unwrap().len() < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no poll after new settings"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(*run.applied.lock().unwrap(), [2]);
        assert_eq!(
            run.asked.lock().unwrap()[1],
            Some(["eth_jpy".to_string()].into())
        );
    }
}
