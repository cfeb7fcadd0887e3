//! The monitor loop: poll → classify → detect, publishing a `watch` of the current
//! [`Snapshot`] and a `broadcast` of [`Event`]s that every sink subscribes to.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{broadcast, mpsc, watch, Notify};

use crate::bitbank::api::CircuitBreakInfo;
use crate::bitbank::assets::{AssetInfo, Seen};
use crate::bitbank::classify::{classify, Context};
use crate::bitbank::client::{Client, ClientError, Endpoints};
use crate::bitbank::credentials::Credentials;
use crate::bitbank::metrics::{failures_of, Poll, PollMetrics};
use crate::bitbank::observation::Observation;
use crate::bitbank::stream::{self, Update};
use crate::engine::delivery::{EventStream, Publisher, Subscriptions};
use crate::engine::detect::{Detector, Resume, Resumed, Snapshot, Thresholds, Unlisted};
use crate::engine::pace::{clock_jumped, Pacer};
use crate::engine::silence::Silence;
use crate::model::asset::KeyState;
use crate::model::event::Event;
use crate::model::fetch::Fetch;
use crate::model::level::Level;
use crate::model::link::Link;
use crate::model::pair::MAX_WATCHED_PAIRS;
use crate::model::reading::{Certainty, Reading};
use crate::model::url::WsUrl;

/// How many events a slow subscriber may lag behind before it misses some.
const EVENT_BUFFER: usize = 256;
// One poll's events (one per watched pair, and at most three level events) fit in the buffer,
// so even a plain subscriber that keeps up between polls loses nothing.
const _: () = assert!(MAX_WATCHED_PAIRS + 3 < EVENT_BUFFER);
/// The longest single sleep, so a suspend/resume is noticed soon after waking.
const WAKE_CHECK: Duration = Duration::from_secs(5);
/// Stream updates waiting for the monitor (it reads them between polls).
const STREAM_BUFFER: usize = 1024;

/// What the monitor needs.
#[derive(Clone, Debug, PartialEq)]
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
    /// The stream to follow circuit breaks on, or `None` to poll them over REST only.
    pub stream: Option<StreamConfig>,
    /// Watched assets (with an API key); `None` for those held at the first answer plus JPY.
    pub assets: Option<BTreeSet<String>>,
}

/// What the stream source needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// The stream host.
    pub url: WsUrl,
    /// Poll at once when the ticker room falls silent (see `silence.rs`).
    pub early_poll: bool,
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
pub struct Monitor {
    client: Client,
    /// What the monitor runs with now.
    current: MonitorConfig,
    /// The settings in force, when they can change while it runs.
    settings: Option<watch::Receiver<MonitorConfig>>,
    detector: Detector,
    pacer: Pacer,
    snapshot_tx: watch::Sender<Snapshot>,
    publisher: Publisher,
    check_now: Arc<Notify>,
    metrics: Arc<PollMetrics>,
    stream: StreamState,
    /// The API key, when deposits and withdrawals are watched; it can change while running.
    credentials: Option<watch::Receiver<Option<Credentials>>>,
    assets: AssetWatch,
    /// Names in the settings bitbank does not list, as its last answers said.
    unlisted: Unlisted,
}

/// The deposits-and-withdrawals side of the observation model.
#[derive(Default)]
struct AssetWatch {
    /// The watched assets, once known (configured, or resolved at the first answer).
    watched: Option<BTreeSet<String>>,
    /// What the last assets request said.
    seen: Seen,
    /// What bitbank made of the key, last it said.
    key: KeyState,
}

impl AssetWatch {
    /// Take one answer (`None`: no key, nothing asked).
    fn take(
        &mut self,
        fetch: Option<Fetch<Vec<AssetInfo>>>,
        configured: Option<&BTreeSet<String>>,
    ) {
        let Some(fetch) = fetch else {
            self.seen = Seen::Off;
            self.key = KeyState::None;
            return;
        };
        if let (None, Ok(answer)) = (&self.watched, &fetch) {
            self.watched = Some(crate::bitbank::assets::watched_assets(configured, answer));
        }
        let watched = self.watched.clone().unwrap_or_default();
        self.seen = Seen::from_fetch(&fetch, &watched);
        self.key = match (&self.seen, self.key) {
            (Seen::States(_), _) => KeyState::Accepted,
            (Seen::Rejected(code), _) => {
                if !matches!(self.key, KeyState::Rejected { .. }) {
                    tracing::warn!(%code, "bitbank rejected the API key");
                }
                KeyState::Rejected { code: *code }
            }
            (_, KeyState::None) => KeyState::Pending,
            (_, known) => known,
        };
    }
}

/// The stream's side of the observation model.
struct StreamState {
    /// The source task, while the stream is on (aborted when dropped).
    task: Option<AbortOnDrop>,
    updates: Option<mpsc::Receiver<Update>>,
    /// The rooms the source should be in: the watch list.
    rooms: watch::Sender<BTreeSet<String>>,
    /// Pairs whose room delivered a frame since the session opened: not polled over REST.
    covered: BTreeSet<String>,
    /// The last pushed state of each covered pair.
    latest: BTreeMap<String, CircuitBreakInfo>,
    /// The last full observation (a poll's, with the pushes merged in): a push replaces its
    /// pair's circuit entry here and is classified at once.
    last: Option<Observation>,
    /// Whether live updates are in use, for the snapshot.
    link: Link,
    /// The ticker room's silences, when the early trigger is on.
    silence: Option<Silence>,
}

impl StreamState {
    fn new() -> StreamState {
        StreamState {
            task: None,
            updates: None,
            rooms: watch::Sender::new(BTreeSet::new()),
            covered: BTreeSet::new(),
            latest: BTreeMap::new(),
            last: None,
            link: Link::Off,
            silence: None,
        }
    }

    /// Stop the source, if any, and forget what it covered.
    fn stop(&mut self) {
        self.task = None;
        self.updates = None;
        self.covered.clear();
        self.latest.clear();
        self.link = Link::Off;
        self.silence = None;
    }

    /// Start a source (after stopping any other).
    fn start(&mut self, config: &StreamConfig, metrics: &Arc<PollMetrics>) {
        self.stop();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        self.link = Link::Connecting;
        self.silence = config.early_poll.then(Silence::new);
        let task = tokio::spawn(stream::run_source(
            config.url.clone(),
            config.early_poll,
            self.rooms.subscribe(),
            tx,
            Arc::clone(metrics),
        ));
        self.task = Some(AbortOnDrop(task));
        self.updates = Some(rx);
    }

    /// The rooms to be in now; pairs no longer watched are no longer covered.
    fn set_rooms(&mut self, watched: Option<&BTreeSet<String>>) {
        let wanted = watched.cloned().unwrap_or_default();
        self.covered.retain(|p| wanted.contains(p));
        self.latest.retain(|p, _| wanted.contains(p));
        self.rooms.send_if_modified(|rooms| {
            if *rooms == wanted {
                false
            } else {
                *rooms = wanted;
                true
            }
        });
    }
}

/// A task aborted when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a stream update asks of the wait in progress.
enum Pushed {
    /// Nothing more (a push was classified, or changed nothing).
    Nothing,
    /// The stream went down: poll every pair over REST now.
    PollNow,
}

/// The subscribing side: clone it to every sink.
#[derive(Clone, Debug)]
pub struct MonitorHandle {
    snapshot: watch::Receiver<Snapshot>,
    events: broadcast::Sender<Event>,
    streams: Arc<Subscriptions>,
    check_now: Arc<Notify>,
    metrics: Arc<PollMetrics>,
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
        self.check_now.notify_one();
    }

    /// What the monitor measured of its polls so far (for `/metrics`).
    pub fn metrics(&self) -> Arc<PollMetrics> {
        Arc::clone(&self.metrics)
    }
}

impl Monitor {
    /// A monitor with fixed settings, and its handle. Subscribe before [`Monitor::run`] so no
    /// event is missed.
    pub fn new(config: MonitorConfig) -> Result<(Monitor, MonitorHandle), ClientError> {
        Monitor::build(config, None)
    }

    /// A monitor that follows the settings in force, without a restart: a new interval at the
    /// next wait, new pairs or hosts at a poll made at once, new thresholds at the next
    /// reading. Settings that change nothing the monitor uses (notifications, language) wake
    /// nothing.
    pub fn following(
        settings: watch::Receiver<MonitorConfig>,
    ) -> Result<(Monitor, MonitorHandle), ClientError> {
        let config = settings.borrow().clone();
        Monitor::build(config, Some(settings))
    }

    fn build(
        config: MonitorConfig,
        settings: Option<watch::Receiver<MonitorConfig>>,
    ) -> Result<(Monitor, MonitorHandle), ClientError> {
        let client = Client::new(config.endpoints.clone(), config.timeout)?;
        let (snapshot_tx, snapshot_rx) = watch::channel(Snapshot::default());
        let (events_tx, _) = broadcast::channel(EVENT_BUFFER);
        let (publisher, streams) = Publisher::new(EVENT_BUFFER, events_tx.clone());
        let check_now = Arc::new(Notify::new());
        let metrics = Arc::new(PollMetrics::default());
        let handle = MonitorHandle {
            snapshot: snapshot_rx,
            events: events_tx,
            streams,
            check_now: check_now.clone(),
            metrics: metrics.clone(),
        };
        let monitor = Monitor {
            client,
            detector: Detector::new(config.thresholds, config.pairs.clone()),
            pacer: Pacer::new(config.interval),
            current: config,
            settings,
            snapshot_tx,
            publisher,
            check_now,
            metrics,
            stream: StreamState::new(),
            credentials: None,
            assets: AssetWatch::default(),
            unlisted: Unlisted::default(),
        };
        Ok((monitor, handle))
    }

    /// Continue what an earlier run left (see [`Detector::resume`]); call before
    /// [`Monitor::run`].
    pub fn resume(&mut self, prior: Resume, now: chrono::DateTime<chrono::Utc>) -> Resumed {
        let resumed = self.detector.resume(prior, now);
        tracing::info!(?resumed, "stored state");
        resumed
    }

    /// Watch deposits and withdrawals with the API key on `credentials` (`None`: no key);
    /// a new key, or its removal, takes effect at a poll made at once. Call before
    /// [`Monitor::run`].
    pub fn set_credentials(&mut self, credentials: watch::Receiver<Option<Credentials>>) {
        self.credentials = Some(credentials);
    }

    /// The key in force now.
    fn key(&self) -> Option<Credentials> {
        self.credentials.as_ref().and_then(|rx| rx.borrow().clone())
    }

    /// A classified observation, with what the assets request said folded in.
    fn read(&self, observation: &Observation) -> Reading {
        let mut reading = classify(observation, &self.detector.context());
        if let Seen::Off = self.assets.seen {
            // No key (any more): the assets leave the snapshot with their stops.
            reading.assets = Some(BTreeMap::new());
        }
        crate::bitbank::assets::fold(&mut reading, &self.assets.seen);
        reading
    }

    /// Poll until `shutdown` completes. One poll at a time; a poll in flight at shutdown is
    /// abandoned.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        if let Some(config) = self.current.stream.clone() {
            self.stream.start(&config, &self.metrics);
        }
        loop {
            let started = Instant::now();
            let key = self.key();
            let client = self.client.clone();
            let assets = async {
                match &key {
                    Some(key) => Some(client.user_assets(key).await),
                    None => None,
                }
            };
            let (observation, assets) = tokio::select! {
                o = async {
                    tokio::join!(
                        self.client.observe_except(self.detector.watched(), &self.stream.covered),
                        assets
                    )
                } => o,
                () = &mut shutdown => return,
            };
            let duration = started.elapsed();
            let requests = 2 + observation.circuit.len() + usize::from(key.is_some());
            // What bitbank lists, when it said: a name it does not list cannot be watched.
            if let Some(pairs) = unlisted_pairs(self.current.pairs.as_ref(), &observation) {
                self.unlisted.pairs = pairs;
            }
            if let Some(assets) = unlisted_assets(self.current.assets.as_ref(), assets.as_ref()) {
                self.unlisted.assets = assets;
            }
            self.assets.take(assets, self.current.assets.as_ref());
            // Assets the user no longer watches (or no key at all) leave before the reading,
            // so their stops are told as the user's change, not as resumed.
            match (&self.assets.seen, &self.assets.watched) {
                (Seen::Off, _) => self.detector.unwatch_assets(|_| false, true),
                (_, Some(watched)) => self.detector.unwatch_assets(|a| watched.contains(a), false),
                (_, None) => {}
            }
            let observation = self.merge_pushes(observation);
            let reading = self.read(&observation);
            let failures = failures_of(&observation);
            self.stream.last = Some(observation);
            self.metrics.record(&Poll {
                duration,
                failures,
                certainty: reading.certainty,
                at: reading.at,
            });
            let rate_limited =
                (reading.certainty == Certainty::RateLimited).then_some(reading.retry_after);
            if let Some(retry_after) = rate_limited {
                tracing::warn!(?retry_after, "rate limited by bitbank; slowing down");
            }
            self.step(reading);
            let in_maintenance = self.detector.snapshot().level == Level::Maintenance;
            self.pacer.hurry(in_maintenance.then_some(requests));
            let delay = self.pacer.next_delay(rate_limited, fastrand::f64());
            if !self.wait(delay, &mut shutdown).await {
                return;
            }
        }
    }

    /// A poll's observation with the stream's latest state of each covered pair in place of
    /// the circuit-break request it did not make.
    fn merge_pushes(&self, mut observation: Observation) -> Observation {
        for pair in &self.stream.covered {
            if let Some(info) = self.stream.latest.get(pair) {
                observation.circuit.insert(pair.clone(), Ok(info.clone()));
            }
        }
        observation
    }

    /// Feed a reading to the detector and publish what follows.
    fn step(&mut self, reading: Reading) {
        let events = self.detector.step(reading);
        self.stream.set_rooms(self.detector.watched());
        // The snapshot first, so a sink that reacts to an event already sees the new state.
        let mut snapshot = self.detector.snapshot().clone();
        snapshot.stream = self.stream.link;
        snapshot.api_key = self.assets.key;
        snapshot.unlisted = self.unlisted.clone();
        self.snapshot_tx.send_replace(snapshot);
        for event in events {
            tracing::info!(kind = %event.kind, level = %event.level, "event");
            self.publisher.publish(event);
        }
    }

    /// Take one stream update into the observation model.
    fn on_stream(&mut self, update: Update) -> Pushed {
        match update {
            Update::Connected => {
                tracing::info!("stream connected");
                self.set_link(Link::Connected);
                Pushed::Nothing
            }
            Update::Tick => {
                let back = self
                    .stream
                    .silence
                    .as_mut()
                    .is_some_and(|silence| silence.heard(tokio::time::Instant::now()));
                if back {
                    tracing::info!("the stream's ticker is back: polling now");
                    Pushed::PollNow
                } else {
                    Pushed::Nothing
                }
            }
            Update::Down {
                was_connected,
                reason,
            } => {
                tracing::debug!(%reason, was_connected, "stream down");
                // Pairs it covered were not polled over REST: poll them now. A session that
                // never delivered a frame left nothing stale (and a stream that keeps failing
                // must not turn into a poll at every retry).
                let had_covered = !self.stream.covered.is_empty();
                self.stream.covered.clear();
                self.stream.latest.clear();
                if let Some(silence) = self.stream.silence.as_mut() {
                    silence.reset();
                }
                self.set_link(Link::Connecting);
                if had_covered {
                    Pushed::PollNow
                } else {
                    Pushed::Nothing
                }
            }
            Update::Circuit { pair, info } => {
                let watched = self.detector.watched().is_some_and(|w| w.contains(&pair));
                if !watched {
                    return Pushed::Nothing;
                }
                self.stream.covered.insert(pair.clone());
                self.stream.latest.insert(pair.clone(), info.clone());
                let Some(last) = self.stream.last.as_mut() else {
                    return Pushed::Nothing;
                };
                let pushed = Ok(info);
                if last.circuit.get(&pair) == Some(&pushed) {
                    return Pushed::Nothing;
                }
                last.circuit.insert(pair, pushed);
                // Only on top of a clean api answer: a push says nothing about the api host, and
                // a failed poll's reading must not be counted twice.
                if last.status.is_err() || last.pairs.is_err() {
                    return Pushed::Nothing;
                }
                last.at = chrono::Utc::now();
                let last = last.clone();
                let reading = self.read(&last);
                self.step(reading);
                Pushed::Nothing
            }
        }
    }

    /// Tell the snapshot's readers whether live updates are in use.
    fn set_link(&mut self, link: Link) {
        self.stream.link = link;
        self.snapshot_tx.send_if_modified(|s| {
            let changed = s.stream != link;
            s.stream = link;
            changed
        });
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
        if new.endpoints != old.endpoints || new.timeout != old.timeout {
            match Client::new(new.endpoints.clone(), new.timeout) {
                Ok(client) => {
                    self.client = client;
                    applied = Applied::PollNow;
                }
                Err(e) => tracing::error!("new hosts not usable, keeping the old ones: {e}"),
            }
        }
        if new.thresholds != old.thresholds {
            self.detector.set_thresholds(new.thresholds);
        }
        if new.pairs != old.pairs {
            self.detector.set_watched(new.pairs.clone());
            applied = Applied::PollNow;
        }
        if new.stream != old.stream {
            match &new.stream {
                Some(config) => self.stream.start(config, &self.metrics),
                None => self.stream.stop(),
            }
            let link = self.stream.link;
            self.set_link(link);
            applied = Applied::PollNow;
        }
        if new.assets != old.assets {
            self.assets.watched = new.assets.clone();
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

    /// Sleep `delay`, ending early for "Check now", new pairs or hosts, or a wall-clock jump
    /// (the machine woke from sleep); a new interval starts the wait again. Returns false on
    /// shutdown.
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
                update = next_update(&mut self.stream.updates) => {
                    match update {
                        Some(update) => {
                            if let Pushed::PollNow = self.on_stream(update) {
                                return true;
                            }
                        }
                        None => self.stream.updates = None,
                    }
                    continue;
                }
                () = silence_over(self.stream.silence.as_ref()) => {
                    if let Some(silence) = self.stream.silence.as_mut() {
                        silence.fire(tokio::time::Instant::now());
                    }
                    tracing::info!(
                        "the stream's ticker fell silent for {:?}: polling now",
                        crate::engine::silence::BOUND
                    );
                    return true;
                }
                () = self.check_now.notified() => return true,
                () = shutdown.as_mut() => return false,
                () = settings_changed(&mut self.settings) => true,
                () = key_changed(&mut self.credentials) => {
                    tracing::info!("the API key changed: polling now");
                    self.assets.watched = self.current.assets.clone();
                    return true;
                }
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

/// Completes when the settings change; never, when there are none to follow (or they can no
/// longer change).
async fn settings_changed(settings: &mut Option<watch::Receiver<MonitorConfig>>) {
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

/// Completes when the API key changes; never, when there is none to follow.
async fn key_changed(credentials: &mut Option<watch::Receiver<Option<Credentials>>>) {
    match credentials {
        Some(rx) => {
            if rx.changed().await.is_err() {
                // The sender is gone: the key in force stays; stop listening.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Completes when the ticker room's silence calls for an early poll; never, when the early
/// trigger is off or nothing was heard yet.
async fn silence_over(silence: Option<&Silence>) {
    match silence.and_then(Silence::due) {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending::<()>().await,
    }
}

/// The next stream update; never, when there is no stream.
async fn next_update(updates: &mut Option<mpsc::Receiver<Update>>) -> Option<Update> {
    match updates {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// One poll, classified on its own: no thresholds, no history (`bbwatch status`). With a key,
/// the assets request runs beside it, its answer folded in as a running monitor does.
pub async fn check_once(
    client: &Client,
    pairs: Option<&BTreeSet<String>>,
    key: Option<&Credentials>,
    assets: Option<&BTreeSet<String>>,
) -> Snapshot {
    let fetch_assets = async {
        match key {
            Some(key) => Some(client.user_assets(key).await),
            None => None,
        }
    };
    let (observation, fetched) = tokio::join!(client.observe(pairs), fetch_assets);
    let none = Default::default();
    let previous = Default::default();
    let mut reading = classify(
        &observation,
        &Context {
            watched: pairs,
            excused: &none,
            previous: &previous,
        },
    );
    let unlisted = Unlisted {
        pairs: unlisted_pairs(pairs, &observation).unwrap_or_default(),
        assets: unlisted_assets(assets, fetched.as_ref()).unwrap_or_default(),
    };
    let mut watch = AssetWatch::default();
    watch.take(fetched, assets);
    crate::bitbank::assets::fold(&mut reading, &watch.seen);
    let mut snapshot = Snapshot::from_reading(reading);
    snapshot.api_key = watch.key;
    snapshot.unlisted = unlisted;
    snapshot
}

/// The configured pairs bitbank's pair list lacks; `None` when this poll had no list.
fn unlisted_pairs(
    configured: Option<&BTreeSet<String>>,
    observation: &Observation,
) -> Option<Vec<String>> {
    let infos = observation.pairs.as_ref().ok()?;
    Some(Unlisted::missing(
        configured,
        infos.iter().map(|i| i.name.as_str()),
    ))
}

/// The configured assets the account's asset list lacks: none without a key (nothing is
/// checked), `None` when the request failed (what was known stays).
fn unlisted_assets(
    configured: Option<&BTreeSet<String>>,
    fetched: Option<&Fetch<Vec<AssetInfo>>>,
) -> Option<Vec<String>> {
    match fetched {
        None => Some(Vec::new()),
        Some(Ok(answer)) => Some(Unlisted::missing(
            configured,
            answer.iter().map(|a| a.asset.as_str()),
        )),
        Some(Err(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bitbank::api::{PairInfo, PairStatusEntry};
    use crate::model::event::EventKind;
    use crate::model::level::{CircuitMode, PairStatus};

    fn monitor(pairs: &[&str]) -> (Monitor, MonitorHandle) {
        Monitor::new(MonitorConfig {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(2),
            thresholds: Thresholds::default(),
            pairs: Some(pairs.iter().map(|p| p.to_string()).collect()),
            endpoints: Endpoints {
                api_url: "http://127.0.0.1:9/v1".parse().unwrap(),
                public_url: "http://127.0.0.1:9".parse().unwrap(),
            },
            stream: None,
            assets: None,
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

    fn poll(monitor: &mut Monitor, obs: Observation) {
        let obs = monitor.merge_pushes(obs);
        let reading = classify(&obs, &monitor.detector.context());
        monitor.stream.last = Some(obs);
        monitor.step(reading);
    }

    #[test]
    fn the_snapshot_says_whether_live_updates_are_connected() {
        let (mut monitor, handle) = monitor(&["btc_jpy"]);
        poll(&mut monitor, observation(&["btc_jpy"]));
        assert_eq!(handle.snapshot().borrow().stream, Link::Off);
        monitor.stream.link = Link::Connecting;
        monitor.on_stream(Update::Connected);
        assert_eq!(handle.snapshot().borrow().stream, Link::Connected);
        // A poll keeps it.
        poll(&mut monitor, observation(&["btc_jpy"]));
        assert_eq!(handle.snapshot().borrow().stream, Link::Connected);
        monitor.on_stream(Update::Down {
            was_connected: true,
            reason: "closed".into(),
        });
        assert_eq!(handle.snapshot().borrow().stream, Link::Connecting);
    }

    #[test]
    fn ticker_frames_put_off_the_early_poll_and_a_drop_forgets_them() {
        let (mut monitor, _handle) = monitor(&["btc_jpy"]);
        monitor.stream.silence = Some(Silence::new());
        assert_eq!(monitor.stream.silence.as_ref().unwrap().due(), None);
        let before = tokio::time::Instant::now();
        monitor.on_stream(Update::Tick);
        let due = monitor.stream.silence.as_ref().unwrap().due().unwrap();
        assert!(due >= before + crate::engine::silence::BOUND);
        monitor.on_stream(Update::Down {
            was_connected: true,
            reason: "closed".into(),
        });
        assert_eq!(monitor.stream.silence.as_ref().unwrap().due(), None);
    }

    #[test]
    fn a_push_is_classified_at_once_through_the_same_detector() {
        let (mut monitor, handle) = monitor(&["btc_jpy", "xrp_jpy"]);
        let mut events = handle.subscribe();
        poll(&mut monitor, observation(&["btc_jpy", "xrp_jpy"]));
        assert_eq!(kinds(&mut events), vec![EventKind::MonitorStarted]);
        assert_eq!(
            *monitor.stream.rooms.borrow(),
            ["btc_jpy", "xrp_jpy"].map(String::from).into()
        );
        // The first frame on joining says what REST said: nothing happens, the pair is covered.
        let first = Update::Circuit {
            pair: "xrp_jpy".into(),
            info: info(CircuitMode::None),
        };
        assert!(matches!(monitor.on_stream(first), Pushed::Nothing));
        assert!(kinds(&mut events).is_empty());
        assert!(monitor.stream.covered.contains("xrp_jpy"));
        // A change: a reading and its events at once.
        let pushed = Update::Circuit {
            pair: "xrp_jpy".into(),
            info: info(CircuitMode::CircuitBreak),
        };
        monitor.on_stream(pushed);
        assert_eq!(
            kinds(&mut events),
            vec![EventKind::DegradedStarted, EventKind::PairChanged]
        );
        // The next poll did not ask for xrp_jpy; the pushed state stands in for it.
        let mut without = observation(&["btc_jpy", "xrp_jpy"]);
        without.circuit.remove("xrp_jpy");
        poll(&mut monitor, without);
        assert!(kinds(&mut events).is_empty());
        let last = monitor.stream.last.as_ref().unwrap();
        assert_eq!(
            last.circuit.get("xrp_jpy"),
            Some(&Ok(info(CircuitMode::CircuitBreak)))
        );
        // A pair no longer watched is not covered any more.
        monitor
            .detector
            .set_watched(Some(["btc_jpy".to_string()].into()));
        monitor.stream.set_rooms(monitor.detector.watched());
        assert!(monitor.stream.covered.is_empty());
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
        assert!(matches!(monitor.on_stream(down()), Pushed::Nothing));
        monitor.on_stream(Update::Circuit {
            pair: "btc_jpy".into(),
            info: info(CircuitMode::None),
        });
        assert!(matches!(monitor.on_stream(down()), Pushed::PollNow));
        assert!(monitor.stream.covered.is_empty());
        // Frames of pairs not watched are ignored.
        monitor.on_stream(Update::Circuit {
            pair: "eth_jpy".into(),
            info: info(CircuitMode::CircuitBreak),
        });
        assert!(monitor.stream.covered.is_empty());
    }

    #[tokio::test]
    async fn turning_the_stream_on_or_off_in_the_settings_polls_at_once() {
        let config = MonitorConfig {
            stream: None,
            ..monitor(&["btc_jpy"]).0.current
        };
        let (tx, rx) = watch::channel(config.clone());
        let (mut monitor, _handle) = Monitor::following(rx).unwrap();
        assert_eq!(monitor.current.stream, None);
        tx.send_replace(MonitorConfig {
            stream: Some(StreamConfig {
                url: "ws://127.0.0.1:9".parse().unwrap(),
                early_poll: true,
            }),
            ..config.clone()
        });
        assert_eq!(monitor.apply_settings(), Applied::PollNow);
        assert_eq!(
            monitor.current.stream.as_ref().map(|s| s.url.as_str()),
            Some("ws://127.0.0.1:9")
        );
        assert!(monitor.stream.task.is_some() && monitor.stream.updates.is_some());
        tx.send_replace(config);
        assert_eq!(monitor.apply_settings(), Applied::PollNow);
        assert!(monitor.stream.task.is_none() && monitor.stream.updates.is_none());
    }
}
