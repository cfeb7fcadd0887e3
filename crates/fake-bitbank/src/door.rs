//! The HTTP hosts' ports, which `refuse` phases close and re-open.

use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::net::TcpListener;

use crate::phase::{Behavior, Phase};

/// The HTTP hosts: bitbank's two, and one per other exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    Api,
    Public,
    GmoCoin,
    BitFlyer,
    Coincheck,
}

impl Host {
    pub(crate) const ALL: [Host; 5] = [
        Host::Api,
        Host::Public,
        Host::GmoCoin,
        Host::BitFlyer,
        Host::Coincheck,
    ];

    pub(crate) fn behavior(self, phase: &Phase) -> &Behavior {
        match self {
            Host::Api => &phase.api,
            Host::Public => &phase.public,
            Host::GmoCoin => &phase.gmocoin.behavior,
            Host::BitFlyer => &phase.bitflyer.behavior,
            Host::Coincheck => &phase.coincheck.behavior,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Host::Api => "api",
            Host::Public => "public",
            Host::GmoCoin => "gmocoin",
            Host::BitFlyer => "bitflyer",
            Host::Coincheck => "coincheck",
        }
    }

    /// bitbank's own hosts (the others are [`crate::exchanges`]').
    pub(crate) fn is_bitbank(self) -> bool {
        matches!(self, Host::Api | Host::Public)
    }
}

pub(crate) fn bind_std(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    // std sets SO_REUSEADDR on Unix, so re-binding after a `refuse` phase is not blocked by
    // connections in TIME_WAIT.
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[derive(Default)]
pub(crate) struct DoorState {
    /// The accept task holds a listener.
    pub(crate) listening: bool,
    /// A listener bound at the instant a `refuse` phase ended, waiting for the accept task.
    pending: Option<std::net::TcpListener>,
}

/// A host's port, which `refuse` phases close and re-open.
pub(crate) struct Door {
    host: Host,
    addr: SocketAddr,
    state: Mutex<DoorState>,
}

impl Door {
    /// The door of `host`'s port at `addr`, closed until an accept task opens it.
    pub(crate) fn new(host: Host, addr: SocketAddr) -> Door {
        Door {
            host,
            addr,
            state: Mutex::new(DoorState::default()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, DoorState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs under the clock lock at each phase change. Binding here, synchronously, means a
    /// connection made right after `next_phase()` is queued by the kernel instead of refused,
    /// even before the accept task wakes up.
    pub(crate) fn phase_changed(&self, open: bool) {
        let mut st = self.lock();
        if !open {
            st.pending = None;
        } else if !st.listening && st.pending.is_none() {
            match bind_std(self.addr) {
                Ok(l) => st.pending = Some(l),
                Err(e) => tracing::warn!(
                    "{} host: cannot re-bind {}: {e}",
                    self.host.name(),
                    self.addr
                ),
            }
        }
    }

    /// The listener for the accept task: the pending one, or a fresh bind.
    pub(crate) fn open(&self) -> Option<TcpListener> {
        let mut st = self.lock();
        let std_listener = match st.pending.take() {
            Some(l) => l,
            None => match bind_std(self.addr) {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(
                        "{} host: cannot re-bind {}: {e}",
                        self.host.name(),
                        self.addr
                    );
                    return None;
                }
            },
        };
        match TcpListener::from_std(std_listener) {
            Ok(l) => {
                st.listening = true;
                Some(l)
            }
            Err(e) => {
                tracing::warn!(
                    "{} host: cannot listen on {}: {e}",
                    self.host.name(),
                    self.addr
                );
                None
            }
        }
    }

    pub(crate) fn closed(&self) {
        self.lock().listening = false;
    }
}
