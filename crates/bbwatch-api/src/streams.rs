//! The event streams open now, and who holds them. A stream holds a connection for as long as
//! its client wants, so the API caps them: [`MAX_STREAMS`] in all, [`PER_HOLDER`] for each
//! web page origin or remote address, and the last [`KEPT_FOR_LOCAL`] only for programs on
//! this machine, so a bot can always follow the events whatever pages and remote clients do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Event streams open at once, at most.
pub(crate) const MAX_STREAMS: usize = 64;

/// Streams one web page origin, or one remote address, may hold.
pub(crate) const PER_HOLDER: usize = 16;

/// Streams kept for programs on this machine (no `Origin`, a loopback address).
pub(crate) const KEPT_FOR_LOCAL: usize = 8;

/// Who holds a stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Holder {
    /// A program on this machine.
    Local,
    /// A program elsewhere, by address.
    Remote(IpAddr),
    /// A web page (of an origin in `[api] origins`), by origin.
    Page(String),
}

impl Holder {
    /// The holder of a stream asked for by `peer`, from a page of `origin` if any.
    pub(crate) fn of(peer: IpAddr, origin: Option<String>) -> Holder {
        match origin {
            Some(origin) => Holder::Page(origin),
            None if peer.is_loopback() => Holder::Local,
            None => Holder::Remote(peer),
        }
    }
}

/// Why a stream was not opened.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Full {
    /// Every stream is taken (or every one but those kept for local programs).
    All,
    /// This holder has [`PER_HOLDER`] already.
    Holder,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_holder: HashMap<Holder, usize>,
}

impl Counts {
    /// Whether `holder` may open one more; counted if so.
    fn take(&mut self, holder: &Holder) -> Result<(), Full> {
        if self.total >= MAX_STREAMS {
            return Err(Full::All);
        }
        if *holder != Holder::Local {
            if self.by_holder.get(holder).copied().unwrap_or(0) >= PER_HOLDER {
                return Err(Full::Holder);
            }
            let local = self.by_holder.get(&Holder::Local).copied().unwrap_or(0);
            if self.total - local >= MAX_STREAMS - KEPT_FOR_LOCAL {
                return Err(Full::All);
            }
        }
        self.total += 1;
        *self.by_holder.entry(holder.clone()).or_insert(0) += 1;
        Ok(())
    }

    fn give_back(&mut self, holder: &Holder) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.by_holder.get_mut(holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_holder.remove(holder);
            }
        }
    }
}

/// The streams open now.
#[derive(Debug, Default)]
pub(crate) struct Streams(Mutex<Counts>);

/// One open stream, counted while it lives.
pub(crate) struct Slot {
    streams: Arc<Streams>,
    holder: Holder,
}

impl Streams {
    /// A slot for `holder`, or why there is none.
    pub(crate) fn take(self: &Arc<Self>, holder: Holder) -> Result<Slot, Full> {
        self.counts().take(&holder)?;
        Ok(Slot {
            streams: Arc::clone(self),
            holder,
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.streams.counts().give_back(&self.holder);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_and_remote_clients_leave_room_for_local_programs() {
        let streams = Arc::new(Streams::default());
        let page = |n: usize| Holder::Page(format!("https://p{n}.example"));
        let mut held = Vec::new();
        for _ in 0..PER_HOLDER {
            held.push(streams.take(page(0)).unwrap());
        }
        assert_eq!(streams.take(page(0)).err(), Some(Full::Holder));
        // Other origins and remote addresses, until only the local programs' part is left.
        let mut n = 1;
        while let Ok(slot) = streams.take(page(n / PER_HOLDER + 1)) {
            held.push(slot);
            n += 1;
        }
        assert_eq!(held.len(), MAX_STREAMS - KEPT_FOR_LOCAL);
        let remote = Holder::Remote("10.0.0.2".parse().unwrap());
        assert_eq!(streams.take(remote.clone()).err(), Some(Full::All));
        for _ in 0..KEPT_FOR_LOCAL {
            held.push(streams.take(Holder::Local).unwrap());
        }
        assert_eq!(streams.take(Holder::Local).err(), Some(Full::All));
        held.truncate(10);
        assert!(streams.take(remote).is_ok(), "slots are given back");
        drop(held);
        assert_eq!(streams.counts().total, 0);
        assert!(streams.counts().by_holder.is_empty());
    }

    #[test]
    fn local_programs_may_take_every_stream() {
        let streams = Arc::new(Streams::default());
        let held: Vec<_> = (0..MAX_STREAMS)
            .map(|_| streams.take(Holder::Local).unwrap())
            .collect();
        assert_eq!(streams.take(Holder::Local).err(), Some(Full::All));
        drop(held);
    }
}
