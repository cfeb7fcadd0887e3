//! bitbank as a [`Source`]: the REST poll (status, pairs, one circuit-break request per pair
//! the stream does not cover, and the assets with an API key), and the socket.io stream's
//! pushes between polls (circuit breaks as they happen, the ticker's silences, drops).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::bitbank::api::CircuitBreakInfo;
use crate::bitbank::assets::{AssetInfo, Seen};
use crate::bitbank::classify::classify;
use crate::bitbank::client::{Client, ClientError, Endpoints};
use crate::bitbank::credentials::Credentials;
use crate::bitbank::metrics::{failures_of, Poll, PollMetrics};
use crate::bitbank::observation::Observation;
use crate::bitbank::silence::Silence;
use crate::bitbank::stream::{self, Update};
use crate::model::asset::KeyState;
use crate::model::fetch::Fetch;
use crate::model::link::Link;
use crate::model::reading::{Context, Reading};
use crate::model::source::{Ask, Assets, Polled, Pushed, Source, SourceState};
use crate::model::unlisted::Unlisted;
use crate::model::url::WsUrl;

/// Stream updates waiting for the monitor (it reads them between polls).
const STREAM_BUFFER: usize = 1024;

/// What the bitbank source is configured with.
#[derive(Clone, Debug, PartialEq)]
pub struct BitbankConfig {
    /// Timeout of each request.
    pub timeout: Duration,
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

/// The deposits-and-withdrawals side of the observation model.
/// bitbank, polled over REST and followed on its stream.
pub struct Bitbank {
    pub(crate) client: Client,
    pub(crate) config: BitbankConfig,
    metrics: Arc<PollMetrics>,
    pub(crate) stream: StreamState,
    /// The API key, when deposits and withdrawals are watched; it can change while running.
    credentials: Option<watch::Receiver<Option<Credentials>>>,
    assets: AssetWatch,
    /// Names in the settings bitbank does not list, as its last answers said.
    unlisted: Unlisted,
}

/// One poll's answer.
pub struct Answer {
    pub(crate) observation: Observation,
    pub(crate) requests: usize,
}

/// What bitbank pushed between polls.
pub enum Push {
    /// A stream update (`None`: the stream's task ended).
    Stream(Option<Update>),
    /// The ticker room fell silent: a poll is due.
    SilenceOver,
    /// The API key changed.
    KeyChanged,
}

impl Bitbank {
    /// bitbank with `config`, its polls measured into `metrics`.
    pub fn new(config: BitbankConfig, metrics: Arc<PollMetrics>) -> Result<Bitbank, ClientError> {
        Ok(Bitbank {
            client: Client::new(config.endpoints.clone(), config.timeout)?,
            config,
            metrics,
            stream: StreamState::new(),
            credentials: None,
            assets: AssetWatch::default(),
            unlisted: Unlisted::default(),
        })
    }

    /// Watch deposits and withdrawals with the API key on `credentials` (`None`: no key); a
    /// new key, or its removal, asks for a poll at once.
    pub fn set_credentials(&mut self, credentials: watch::Receiver<Option<Credentials>>) {
        self.credentials = Some(credentials);
    }

    /// The key in force now.
    fn key(&self) -> Option<Credentials> {
        self.credentials.as_ref().and_then(|rx| rx.borrow().clone())
    }

    /// A classified observation, with what the assets request said folded in.
    fn read_observation(&self, observation: &Observation, ctx: Context<'_>) -> Reading {
        let mut reading = classify(observation, &ctx);
        if let Seen::Off = self.assets.seen {
            // No key (any more): the assets leave the snapshot with their stops.
            reading.assets = Some(BTreeMap::new());
        }
        crate::bitbank::assets::fold(&mut reading, &self.assets.seen);
        reading
    }

    /// A poll's observation with the stream's latest state of each covered pair in place of
    /// the circuit-break request it did not make.
    pub(crate) fn merge_pushes(&self, mut observation: Observation) -> Observation {
        for pair in &self.stream.covered {
            if let Some(info) = self.stream.latest.get(pair) {
                observation.circuit.insert(pair.clone(), Ok(info.clone()));
            }
        }
        observation
    }

    /// Take one stream update into the observation model.
    fn on_stream(&mut self, update: Update, ctx: Context<'_>) -> Pushed {
        match update {
            Update::Connected => {
                tracing::info!("stream connected");
                self.stream.link = Link::Connected;
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
                self.stream.link = Link::Connecting;
                if had_covered {
                    Pushed::PollNow
                } else {
                    Pushed::Nothing
                }
            }
            Update::Circuit { pair, info } => {
                let watched = ctx.watched.is_some_and(|w| w.contains(&pair));
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
                Pushed::Reading(self.read_observation(&last, ctx))
            }
        }
    }
}

impl Source for Bitbank {
    type Config = BitbankConfig;
    type Answer = Answer;
    type Push = Push;

    fn exchange(&self) -> crate::model::exchange::Exchange {
        crate::model::exchange::Exchange::Bitbank
    }

    fn start(&mut self) {
        if let Some(config) = self.config.stream.clone() {
            self.stream.start(&config, &self.metrics);
        }
    }

    async fn fetch(&mut self, ask: Ask<'_>) -> Answer {
        let key = self.key();
        let client = self.client.clone();
        let assets = async {
            match &key {
                Some(key) => Some(client.user_assets(key).await),
                None => None,
            }
        };
        let (observation, assets) = tokio::join!(
            self.client
                .observe_except(ask.watched, &self.stream.covered),
            assets
        );
        let requests = 2 + observation.circuit.len() + usize::from(key.is_some());
        // What bitbank lists, when it said: a name it does not list cannot be watched.
        if let Some(pairs) = unlisted_pairs(ask.configured, &observation) {
            self.unlisted.pairs = pairs;
        }
        if let Some(assets) = unlisted_assets(self.config.assets.as_ref(), assets.as_ref()) {
            self.unlisted.assets = assets;
        }
        self.assets.take(assets, self.config.assets.as_ref());
        Answer {
            observation,
            requests,
        }
    }

    fn assets(&self) -> Assets {
        match (&self.assets.seen, &self.assets.watched) {
            (Seen::Off, _) => Assets::Off,
            (_, Some(watched)) => Assets::Only(watched.clone()),
            (_, None) => Assets::Unknown,
        }
    }

    fn read(&mut self, answer: Answer, ctx: Context<'_>, took: Duration) -> Polled {
        let observation = self.merge_pushes(answer.observation);
        let reading = self.read_observation(&observation, ctx);
        let failures = failures_of(&observation);
        self.stream.last = Some(observation);
        self.metrics.record(&Poll {
            duration: took,
            failures,
            certainty: reading.certainty,
            at: reading.at,
        });
        Polled {
            reading,
            requests: answer.requests,
        }
    }

    async fn next_push(&mut self) -> Push {
        tokio::select! {
            update = next_update(&mut self.stream.updates) => Push::Stream(update),
            () = silence_over(self.stream.silence.as_ref()) => Push::SilenceOver,
            () = key_changed(&mut self.credentials) => Push::KeyChanged,
        }
    }

    fn take(&mut self, push: Push, ctx: Context<'_>) -> Pushed {
        match push {
            Push::Stream(Some(update)) => self.on_stream(update, ctx),
            Push::Stream(None) => {
                self.stream.updates = None;
                Pushed::Nothing
            }
            Push::SilenceOver => {
                if let Some(silence) = self.stream.silence.as_mut() {
                    silence.fire(tokio::time::Instant::now());
                }
                tracing::info!(
                    "the stream's ticker fell silent for {:?}: polling now",
                    crate::bitbank::silence::BOUND
                );
                Pushed::PollNow
            }
            Push::KeyChanged => {
                tracing::info!("the API key changed: polling now");
                self.assets.watched = self.config.assets.clone();
                Pushed::PollNow
            }
        }
    }

    fn watching(&mut self, watched: Option<&BTreeSet<String>>) {
        self.stream.set_rooms(watched);
    }

    fn apply(&mut self, new: &BitbankConfig) -> bool {
        if *new == self.config {
            return false;
        }
        let old = std::mem::replace(&mut self.config, new.clone());
        let mut poll_now = false;
        if new.endpoints != old.endpoints || new.timeout != old.timeout {
            match Client::new(new.endpoints.clone(), new.timeout) {
                Ok(client) => {
                    self.client = client;
                    poll_now = true;
                }
                Err(e) => tracing::error!("new hosts not usable, keeping the old ones: {e}"),
            }
        }
        if new.stream != old.stream {
            match &new.stream {
                Some(config) => self.stream.start(config, &self.metrics),
                None => self.stream.stop(),
            }
            poll_now = true;
        }
        if new.assets != old.assets {
            self.assets.watched = new.assets.clone();
            poll_now = true;
        }
        poll_now
    }

    fn state(&self) -> SourceState {
        SourceState {
            link: self.stream.link,
            key: self.assets.key,
            unlisted: self.unlisted.clone(),
        }
    }
}

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
pub(crate) struct StreamState {
    /// The source task, while the stream is on (aborted when dropped).
    pub(crate) task: Option<AbortOnDrop>,
    pub(crate) updates: Option<mpsc::Receiver<Update>>,
    /// The rooms the source should be in: the watch list.
    pub(crate) rooms: watch::Sender<BTreeSet<String>>,
    /// Pairs whose room delivered a frame since the session opened: not polled over REST.
    pub(crate) covered: BTreeSet<String>,
    /// The last pushed state of each covered pair.
    pub(crate) latest: BTreeMap<String, CircuitBreakInfo>,
    /// The last full observation (a poll's, with the pushes merged in): a push replaces its
    /// pair's circuit entry here and is classified at once.
    pub(crate) last: Option<Observation>,
    /// Whether live updates are in use, for the snapshot.
    pub(crate) link: Link,
    /// The ticker room's silences, when the early trigger is on.
    pub(crate) silence: Option<Silence>,
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
pub(crate) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
