//! The API as the desktop app serves it: on while `[api] enabled` says so, started again on
//! its new address (or with its new token) when `[api]` changes, off when switched off. The
//! settings window writes the file; the settings in force follow it; this follows them.

use std::sync::Arc;

use bbwatch_core::config::{Config, LocalApi};
use bbwatch_core::MonitorHandle;
use bbwatch_history::History;
use tokio::sync::watch;

use crate::error::ApiError;
use crate::server::Server;
use crate::sink::ApiSink;

/// What became of a change of `[api]`, for the app to tell the user.
#[derive(Debug)]
pub enum Followed {
    /// Served at this address.
    Serving(std::net::SocketAddr),
    /// Switched off.
    Off,
    /// Switched on, but it cannot be served (the address is taken, a token file is gone).
    Failed(ApiError),
}

/// Serve the API for the monitor behind `handle` and the events its pipeline sends to `sink`
/// (with its `history`) as `settings` say, until they can no longer change. `told` hears of each change of `[api]` and what became of it.
pub async fn follow_settings(
    mut settings: watch::Receiver<Config>,
    handle: MonitorHandle,
    sink: ApiSink,
    history: Option<Arc<History>>,
    mut told: impl FnMut(Followed) + Send,
) {
    let mut applied: Option<LocalApi> = None;
    let mut server: Option<Server> = None;
    loop {
        let api = settings.borrow_and_update().api.clone();
        if applied.as_ref() != Some(&api) {
            // The old address is let go first: the new one may be the same port.
            if let Some(old) = server.take() {
                if let Err(e) = old.stop().await {
                    tracing::warn!("{e}");
                }
            }
            let outcome = if api.enabled {
                match Server::start(&api, &handle, &sink, history.clone()).await {
                    Ok(started) => {
                        let addr = started.local_addr();
                        server = Some(started);
                        Followed::Serving(addr)
                    }
                    Err(e) => {
                        tracing::warn!("the local API is not served: {e}");
                        Followed::Failed(e)
                    }
                }
            } else {
                Followed::Off
            };
            told(outcome);
            applied = Some(api);
        }
        if settings.changed().await.is_err() {
            break;
        }
    }
    if let Some(server) = server {
        let _ = server.stop().await;
    }
}
