//! Refused requests and connections, logged at most once a minute per peer with a count of
//! the rest: a client that loops on a wrong token or a flood of connections cannot fill the log.

use std::sync::{Mutex, PoisonError};

/// How often a peer's refused requests (or connections) are logged: once per this, with a count of the rest.
pub(crate) const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Peers remembered at most; past it the oldest are forgotten (their next refusal is logged).
const LOG_PEERS: usize = 1024;

/// Refusals per peer, so that a client looping on a wrong token, or opening connection after
/// connection, cannot flood the log.
/// Pure: the time is passed in.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    peers: std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u64)>,
}

impl Refusals {
    /// A refusal from `peer` at `now`: `Some(n)` when it is to be logged, `n` being how many
    /// refusals from that peer went unlogged since its last line; `None` to stay quiet.
    pub(crate) fn refused(
        &mut self,
        peer: std::net::IpAddr,
        now: std::time::Instant,
    ) -> Option<u64> {
        if self.peers.len() >= LOG_PEERS && !self.peers.contains_key(&peer) {
            let oldest = self
                .peers
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(p, _)| *p);
            if let Some(oldest) = oldest {
                self.peers.remove(&oldest);
            }
        }
        match self.peers.get_mut(&peer) {
            Some((last, quiet)) if now.saturating_duration_since(*last) < LOG_EVERY => {
                *quiet += 1;
                None
            }
            Some((last, quiet)) => {
                let unlogged = std::mem::take(quiet);
                *last = now;
                Some(unlogged)
            }
            None => {
                self.peers.insert(peer, (now, 0));
                Some(0)
            }
        }
    }
}

/// [`Refusals`] shared between tasks.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog(Mutex<Refusals>);

impl RefusalLog {
    /// A refusal from `peer` now: `Some(suffix)` when it is to be logged, the suffix saying how
    /// many went unlogged since (empty when none); `None` to stay quiet.
    pub(crate) fn note(&self, peer: std::net::IpAddr) -> Option<String> {
        let unlogged = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refused(peer, std::time::Instant::now())?;
        Some(if unlogged > 0 {
            format!(" ({unlogged} more refused from it in the last minute)")
        } else {
            String::new()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refusals_are_logged_once_a_minute_per_peer_with_a_count() {
        let mut log = Refusals::default();
        let t0 = std::time::Instant::now();
        let a: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let b: std::net::IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(log.refused(a, t0), Some(0));
        for i in 1..=100 {
            assert_eq!(
                log.refused(a, t0 + std::time::Duration::from_millis(i * 100)),
                None
            );
        }
        assert_eq!(log.refused(b, t0), Some(0), "another peer is its own");
        assert_eq!(log.refused(a, t0 + LOG_EVERY), Some(100));
        assert_eq!(log.refused(a, t0 + LOG_EVERY * 3), Some(0));
        for i in 0..(LOG_PEERS as u32 + 10) {
            let peer = std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            log.refused(peer, t0);
        }
        assert!(log.peers.len() <= LOG_PEERS);
    }
}
