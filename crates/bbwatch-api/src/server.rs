//! Serving: the state the API serves from, the listener, and the server running in a task
//! of its own.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bbwatch_core::bitbank::metrics::PollMetrics;
use bbwatch_core::config::LocalApi;
use bbwatch_core::engine::monitor::Exchanges;
use bbwatch_core::engine::sink::Recorded;
use bbwatch_core::{MonitorHandle, Snapshot};
use bbwatch_history::History;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use crate::connections::{self, Limits};
use crate::error::ApiError;
use crate::sink::ApiSink;
use crate::token::Token;
use crate::{feed, reading, routes, state};

/// How often an idle event stream gets a comment line, so proxies keep it open.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// How long [`Server::stop`] waits for requests in flight before it drops them.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// What the API serves from: the monitor's outputs, the history, and who may ask.
pub struct ApiState {
    /// bitbank's current snapshot (`MonitorHandle::snapshot`).
    pub snapshot: watch::Receiver<Snapshot>,
    /// Every watched exchange's snapshot (`MonitorHandle::exchanges`): `/v1/status` lists
    /// them and answers `?exchange=`, `/metrics` labels each.
    pub exchanges: watch::Receiver<Exchanges>,
    /// The monitor's poll counters (`MonitorHandle::metrics`).
    pub metrics: Arc<PollMetrics>,
    /// The events as the process's pipeline passes them on, recorded ([`crate::ApiSink`]).
    pub events: broadcast::Receiver<Recorded>,
    /// The history: event ids, `Last-Event-ID` resumption and `/v1/history` come from it.
    /// Without it ids count from 1 in this process, a reconnect can resume only from events
    /// still in memory (the last 1024), and `/v1/history` answers 404.
    pub history: Option<Arc<History>>,
    /// The bearer token every request must carry, if any.
    pub token: Option<Token>,
    /// The interval of the event stream's heartbeat comments.
    pub heartbeat: Duration,
    /// What one client can hold: connections, and time to send a request.
    pub limits: Limits,
    /// Web page origins allowed to call (`[api] origins`, as
    /// [`LocalApi::allowed_origins`] gives them); any other page is refused.
    pub origins: Vec<String>,
}

impl ApiState {
    /// The state for a monitor's `handle` and the events its pipeline passes on to `sink`,
    /// with the default heartbeat.
    pub fn new(
        handle: &MonitorHandle,
        sink: &ApiSink,
        history: Option<Arc<History>>,
        token: Option<Token>,
    ) -> Self {
        ApiState {
            snapshot: handle.snapshot(),
            exchanges: handle.exchanges(),
            metrics: handle.metrics(),
            events: sink.subscribe(),
            history,
            token,
            heartbeat: DEFAULT_HEARTBEAT,
            limits: Limits::for_this_process(),
            origins: Vec::new(),
        }
    }
}

/// Listen where `[api]` says. A non-loopback address without a token (or token file) is
/// refused, naming `api.token`.
pub async fn bind(api: &LocalApi) -> Result<TcpListener, ApiError> {
    let addr = api.check()?;
    TcpListener::bind(addr)
        .await
        .map_err(|source| ApiError::Bind { addr, source })
}

/// Serve the API on `listener` until `shutdown` completes (open event streams are ended).
pub async fn serve(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let (closing_tx, closing) = watch::channel(false);
    let ApiState {
        snapshot,
        exchanges,
        metrics,
        events,
        history,
        token,
        heartbeat,
        limits,
        origins,
    } = state;
    let reading = history
        .as_ref()
        .map(|h| reading::Reading::new(h.path().to_owned()));
    let feed = feed::Feed::start(history, events, closing.clone()).await;
    let shared = Arc::new(state::Shared {
        snapshot,
        exchanges,
        metrics,
        token,
        heartbeat,
        feed,
        closing: closing.clone(),
        streams: Arc::default(),
        origins,
        reading,
        refusals: Default::default(),
    });
    let app = routes::router(shared);
    let stop = async move {
        shutdown.await;
        // Event streams never end by themselves: tell them to, or the shutdown waits forever.
        let _ = closing_tx.send(true);
    };
    tokio::join!(connections::serve(listener, app, limits, closing), stop);
    Ok(())
}

/// The API running in a task of its own; stopped by [`Server::stop`] or by being dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ApiError>>>,
}

impl Server {
    /// Start serving what `api` says (`[api] listen`, `token` or `token_file`) for the
    /// monitor behind `handle` and the events its pipeline sends to `sink`, with its
    /// `history` if there is one. Returns once listening:
    /// a bad `[api]` section or a busy address is an error here, not later. Call from within
    /// a tokio runtime.
    pub async fn start(
        api: &LocalApi,
        handle: &MonitorHandle,
        sink: &ApiSink,
        history: Option<Arc<History>>,
    ) -> Result<Server, ApiError> {
        let token = Token::from_config(api)?;
        let origins = api.allowed_origins()?;
        let listener = bind(api).await?;
        let mut state = ApiState::new(handle, sink, history, token);
        state.origins = origins;
        Server::spawn(listener, state)
    }

    /// Serve `state` on `listener` in a new task.
    pub fn spawn(listener: TcpListener, state: ApiState) -> Result<Server, ApiError> {
        let addr = listener.local_addr().map_err(ApiError::Serve)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        tracing::info!("local API listening on http://{addr}");
        Ok(Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Where it listens (the port chosen, when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving: event streams end, requests in flight get a few seconds to finish.
    pub async fn stop(mut self) -> Result<(), ApiError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Ok(()),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
