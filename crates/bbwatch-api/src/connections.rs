//! Who may hold a connection to the API, and for how long. Each connection costs a descriptor
//! before any token is checked, so a client that opens many and sends half a request could
//! otherwise use up the process's descriptors and fail the monitor's own polls. The server
//! therefore caps connections in total (leaving room for the monitor, the history and hooks)
//! and per peer address (one address cannot take them all), and closes a connection whose
//! request head has not arrived within [`Limits::head_timeout`] (idle keep-alive included).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::refusals::RefusalLog;

/// Descriptors kept for everything but the API's clients: the monitor's connections to
/// bitbank, the history's files, hooks' pipes, webhooks, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Connections at most, however high the descriptor limit.
const MOST_CONNECTIONS: usize = 1024;

/// Connections at least, however low the descriptor limit (a bot, a dashboard, `curl`).
const FEWEST_CONNECTIONS: usize = 8;

/// How long a client has to send a request's head, and how long an idle connection is kept.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What a client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's head (from the connection, or from the previous answer).
    pub head_timeout: Duration,
    /// Connections open at once, from everyone.
    pub max_connections: usize,
    /// Connections open at once from one address.
    pub max_per_peer: usize,
}

impl Limits {
    /// The limits for a process that may have `descriptors` open (`None`: no limit known):
    /// all but [`RESERVED_DESCRIPTORS`] of them, at most 1 024, at least 8; half of that per
    /// peer.
    pub fn for_descriptors(descriptors: Option<u64>) -> Limits {
        let spare = descriptors
            .map_or(MOST_CONNECTIONS as u64, |n| {
                n.saturating_sub(RESERVED_DESCRIPTORS)
            })
            .min(MOST_CONNECTIONS as u64);
        let max_connections = usize::try_from(spare)
            .unwrap_or(MOST_CONNECTIONS)
            .max(FEWEST_CONNECTIONS);
        Limits {
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            max_connections,
            max_per_peer: (max_connections / 2).max(1),
        }
    }

    /// The limits for this process's descriptor limit as it is now.
    pub fn for_this_process() -> Limits {
        Limits::for_descriptors(bbwatch_core::present::descriptors::limit())
    }
}

/// The connections open now, by address.
#[derive(Debug)]
struct Admission {
    limits: Limits,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; its place is given back when dropped.
struct Admitted {
    admission: Arc<Admission>,
    peer: IpAddr,
}

impl Admission {
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Admitted> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, by_peer) = &mut *open;
        let of_peer = by_peer.entry(peer).or_insert(0);
        if *total >= self.limits.max_connections || *of_peer >= self.limits.max_per_peer {
            if *of_peer == 0 {
                by_peer.remove(&peer);
            }
            return None;
        }
        *of_peer += 1;
        *total += 1;
        Some(Admitted {
            admission: Arc::clone(self),
            peer,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (total, by_peer) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = by_peer.get_mut(&self.peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                by_peer.remove(&self.peer);
            }
        }
    }
}

/// Accept and serve connections on `listener` with `app` until `closing` turns true; then
/// stop accepting, let each connection finish the request it is answering, and return once
/// all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
) {
    let admission = Arc::new(Admission {
        limits,
        open: Mutex::default(),
    });
    let refusals = Arc::new(RefusalLog::default());
    // Every connection task holds a receiver: all are gone when `open_tx.closed()` completes.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            _ = closing.wait_for(|c| *c) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors (or a connection reset before it was accepted): try
                // again shortly rather than spin.
                tracing::warn!("local API: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(admitted) = admission.admit(peer.ip()) else {
            if let Some(more) = refusals.note(peer.ip()) {
                tracing::warn!(
                    "local API: connection from {peer} refused: {} open in all, at most {} \
                     from one address{more}",
                    limits.max_connections,
                    limits.max_per_peer
                );
            }
            drop(stream);
            continue;
        };
        let app = app.clone();
        let closing = closing.clone();
        let open_rx = open_rx.clone();
        tokio::spawn(async move {
            connection(stream, peer, app, limits.head_timeout, closing).await;
            drop((admitted, open_rx));
        });
    }
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
}

/// Serve one connection: HTTP/1.1, its request heads bounded by `head_timeout`.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    head_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move {
            Ok::<_, Infallible>(
                tower_service::Service::call(&mut app, request)
                    .await
                    .unwrap_or_else(|never| match never {}),
            )
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("local API: connection from {peer} ended: {e}");
                }
                return;
            }
            _ = closing.wait_for(|c| *c), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_caps_leave_descriptors_for_the_monitor() {
        let l = Limits::for_descriptors(Some(1024));
        assert_eq!((l.max_connections, l.max_per_peer), (768, 384));
        let l = Limits::for_descriptors(Some(300));
        assert_eq!((l.max_connections, l.max_per_peer), (44, 22));
        let l = Limits::for_descriptors(Some(100));
        assert_eq!((l.max_connections, l.max_per_peer), (8, 4));
        let l = Limits::for_descriptors(Some(1 << 20));
        assert_eq!(l.max_connections, 1024);
        assert_eq!(Limits::for_descriptors(None).max_connections, 1024);
    }

    #[test]
    fn one_address_cannot_take_every_connection_and_places_come_back() {
        let admission = Arc::new(Admission {
            limits: Limits {
                head_timeout: DEFAULT_HEAD_TIMEOUT,
                max_connections: 4,
                max_per_peer: 2,
            },
            open: Mutex::default(),
        });
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.1".parse().unwrap();
        let c: IpAddr = "10.0.0.1".parse().unwrap();
        let a1 = admission.admit(a).unwrap();
        let _a2 = admission.admit(a).unwrap();
        assert!(admission.admit(a).is_none(), "a third from one address");
        let _b1 = admission.admit(b).unwrap();
        let _b2 = admission.admit(b).unwrap();
        assert!(admission.admit(c).is_none(), "a fifth in all");
        drop(a1);
        assert!(admission.admit(c).is_some(), "a place given back");
        assert_eq!(admission.open.lock().unwrap().1.get(&c), None);
    }
}
