//! Starting everything from the settings, and running it until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bbwatch_api::{ApiError, ApiSink, ApiState, Followed, Server, Token};
use bbwatch_core::bitbank::client::ClientError;
use bbwatch_core::bitbank::credentials::Credentials;
use bbwatch_core::engine::sink::{Recorded, Sink};
use bbwatch_core::runtime::settings::{FileWatch, Settings};
use bbwatch_core::{Monitor, MonitorHandle};
use bbwatch_history::{History, Recorder};
use bbwatch_sinks::channels::ChannelOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::pipeline::Pipeline;

/// Why the runtime could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The local API could not be served.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The monitor's task failed.
    #[error("the monitor task failed: {0}")]
    Monitor(#[from] tokio::task::JoinError),
}

/// Whether and how the local API is served.
pub enum Api {
    /// Not served (`bbwatch watch`).
    Off,
    /// Served on `listener` for as long as the runtime runs (`bbwatch serve`).
    Serve {
        /// Bound already, so a busy address is an error before anything starts.
        listener: TcpListener,
        /// The bearer token every request must carry, if any.
        token: Option<Token>,
        /// The interval of the event stream's heartbeat comments.
        heartbeat: Duration,
        /// Web page origins allowed to call.
        origins: Vec<String>,
    },
    /// Served while `[api] enabled` says so, started again when `[api]` changes (the tray
    /// app); each change and what became of it is told.
    FollowSettings(Box<dyn FnMut(Followed) + Send>),
}

/// What a binary chooses.
pub struct Options {
    /// The settings in force; the monitor and every sink follow them.
    pub settings: Arc<Settings>,
    /// The API key for deposits and withdrawals, and every change to it.
    pub credentials: watch::Receiver<Option<Credentials>>,
    /// The history to record into, resume from, prune and keep the snapshot in (opened by
    /// the binary, which tells its problems its own way).
    pub history: Option<Arc<History>>,
    /// The local API.
    pub api: Api,
    /// Told once when events cannot be recorded (the log says it anyway).
    pub history_failure: Option<Box<dyn Fn(String) + Send + Sync>>,
    /// Where the channels to the phone get their secrets, and who hears of their problems.
    pub channels: ChannelOptions,
}

/// Everything started, ready to [`Runtime::run`].
pub struct Runtime {
    monitor: Monitor,
    /// The settings in force, for the other exchanges' monitors.
    config: watch::Receiver<bbwatch_core::config::Config>,
    handle: MonitorHandle,
    pipeline: Pipeline,
    following: Option<FileWatch>,
    history: Option<Arc<History>>,
    server: Option<Server>,
    shutdown: CancellationToken,
}

impl Runtime {
    /// Start everything `options` ask for. Call inside a tokio runtime: the sinks, the
    /// history's upkeep and the API are tasks.
    pub async fn start(options: Options) -> Result<Runtime, RuntimeError> {
        let Options {
            settings,
            credentials,
            history,
            api,
            history_failure,
            channels,
        } = options;
        let resume = history.as_ref().and_then(|h| {
            h.resume_state()
                .inspect_err(|e| tracing::warn!("{e}; starting without the stored state"))
                .ok()
                .flatten()
        });
        let (mut monitor, handle, following) = settings.start_monitor(resume)?;
        monitor.set_credentials(credentials);
        let config = settings.subscribe();
        if let Some(h) = &history {
            tokio::spawn(bbwatch_history::prune_daily(h.clone(), config.clone()));
            tokio::spawn(bbwatch_history::keep_snapshot(h.clone(), handle.snapshot()));
        }
        let mut outbound: Vec<Box<dyn Sink>> =
            vec![Box::new(bbwatch_sinks::hooks::start(config.clone()))];
        if let Some(webhooks) = bbwatch_sinks::webhooks::start(config.clone()) {
            outbound.push(Box::new(webhooks));
        }
        if let Some(channels) = bbwatch_sinks::channels::start(config.clone(), channels) {
            outbound.push(Box::new(channels));
        }
        let mut local: Vec<Box<dyn Sink>> = Vec::new();
        let server = match api {
            Api::Off => None,
            Api::Serve {
                listener,
                token,
                heartbeat,
                origins,
            } => {
                let sink = ApiSink::default();
                let mut state = ApiState::new(&handle, &sink, history.clone(), token);
                state.heartbeat = heartbeat;
                state.origins = origins;
                local.push(Box::new(sink));
                Some(Server::spawn(listener, state)?)
            }
            Api::FollowSettings(told) => {
                let sink = ApiSink::default();
                tokio::spawn(bbwatch_api::follow_settings(
                    config,
                    handle.clone(),
                    sink.clone(),
                    history.clone(),
                    told,
                ));
                local.push(Box::new(sink));
                None
            }
        };
        Ok(Runtime {
            monitor,
            config: settings.subscribe(),
            handle,
            pipeline: Pipeline {
                recorder: history.clone().map(Recorder::new),
                outbound,
                local,
                history_failure,
            },
            following,
            history,
            server,
            shutdown: CancellationToken::new(),
        })
    }

    /// The monitor's snapshot, events and metrics.
    pub fn handle(&self) -> &MonitorHandle {
        &self.handle
    }

    /// The history recorded into, if any.
    pub fn history(&self) -> Option<&Arc<History>> {
        self.history.as_ref()
    }

    /// Where the local API listens, when served for the whole run.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(Server::local_addr)
    }

    /// The file followed for the settings (`None` where it cannot be), for a binary that keeps
    /// it itself; otherwise it is kept for the run.
    pub fn take_file_watch(&mut self) -> Option<FileWatch> {
        self.following.take()
    }

    /// Show events as popups (and sounds) too: the binary's notifier, with its options and
    /// its pause, the last sink each event reaches.
    pub fn notify(&mut self, notifier: Box<dyn Sink>) {
        self.pipeline.local.push(notifier);
    }

    /// Cancelling it stops the run: the monitor stops, the events still queued go through the
    /// pipeline, the API stops.
    pub fn shutdown(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Run until [`Runtime::shutdown`] is cancelled: each event is recorded, then `show`n (the
    /// binary's own part), then sent to every sink.
    pub async fn run(self, mut show: impl FnMut(&Recorded) + Send) -> Result<(), RuntimeError> {
        let Runtime {
            monitor,
            config,
            handle,
            mut pipeline,
            following,
            server,
            shutdown,
            ..
        } = self;
        let mut events = handle.events();
        let run = tokio::spawn(monitor.run(shutdown.clone().cancelled_owned()));
        let others = crate::exchanges::follow(&config, &handle, &shutdown);
        // Until the monitor stops and its last events are through.
        while let Some(event) = events.recv().await {
            pipeline.step(event, &mut show);
        }
        drop(following);
        others.join_all().await;
        let ran = run.await;
        if let Some(server) = server {
            server.stop().await?;
        }
        ran.map_err(RuntimeError::from)
    }
}
