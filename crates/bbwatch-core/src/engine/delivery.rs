//! Event delivery that never loses a level change.
//!
//! Events go out on a `tokio::sync::broadcast` channel: a sink that falls behind by more than
//! the buffer loses the oldest events. That is fine for `pair_changed` (the snapshot has every
//! pair's state) but not for `maintenance_started` and the other level changes, which hooks
//! and notifications act on. So every event carries a sequence number, and the level changes
//! are also kept in a log of their own ([`LEVEL_LOG`] entries, ~3 per poll at most). A sink
//! reading through [`EventStream`] that lagged gets the level changes it missed, in order,
//! from the log; only pair events can be lost, and they are counted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::model::event::{Event, EventKind};

/// Level changes kept for subscribers that lag: with at most three per poll, more than 300
/// polls' worth.
pub const LEVEL_LOG: usize = 1024;

/// One published event and its place in the sequence.
#[derive(Clone, Debug)]
struct Sequenced {
    seq: u64,
    event: Event,
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    levels: VecDeque<Sequenced>,
}

type Log = Arc<Mutex<State>>;

fn lock(log: &Log) -> MutexGuard<'_, State> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The publishing side, owned by the monitor: when it is dropped, streams end.
#[derive(Debug)]
pub(crate) struct Publisher {
    log: Log,
    tx: broadcast::Sender<Sequenced>,
    /// The plain channel of [`crate::MonitorHandle::subscribe`], kept for existing sinks.
    plain: broadcast::Sender<Event>,
}

/// The subscribing side, held by handles. It holds a receiver (never read) rather than a
/// sender, so that the channel closes when the monitor stops.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    log: Log,
    template: broadcast::Receiver<Sequenced>,
}

impl Publisher {
    pub(crate) fn new(
        capacity: usize,
        plain: broadcast::Sender<Event>,
    ) -> (Publisher, Arc<Subscriptions>) {
        let (tx, template) = broadcast::channel(capacity);
        let log = Log::default();
        let subs = Arc::new(Subscriptions {
            log: Arc::clone(&log),
            template,
        });
        (Publisher { log, tx, plain }, subs)
    }

    /// Send `event` to every subscriber; never blocks on a slow one.
    pub(crate) fn publish(&self, event: Event) {
        // Under the lock, so a stream made meanwhile knows which sequence number is next.
        let mut st = lock(&self.log);
        let seq = st.next_seq;
        st.next_seq += 1;
        let item = Sequenced { seq, event };
        if is_level_change(&item.event) {
            if st.levels.len() == LEVEL_LOG {
                st.levels.pop_front();
            }
            st.levels.push_back(item.clone());
        }
        // No subscriber is fine: the CLI may have none yet.
        let _ = self.plain.send(item.event.clone());
        let _ = self.tx.send(item);
    }
}

impl Subscriptions {
    pub(crate) fn stream(&self) -> EventStream {
        let st = lock(&self.log);
        EventStream {
            rx: self.template.resubscribe(),
            log: Arc::clone(&self.log),
            next: st.next_seq,
            pending: VecDeque::new(),
            dropped: 0,
        }
    }
}

/// Whether an event changes (or states) the overall level: never to be lost.
pub fn is_level_change(event: &Event) -> bool {
    event.kind != EventKind::PairChanged
}

/// Events from the moment of subscription, in order, with every level change guaranteed.
#[derive(Debug)]
pub struct EventStream {
    rx: broadcast::Receiver<Sequenced>,
    log: Log,
    /// The sequence number expected next.
    next: u64,
    pending: VecDeque<Event>,
    dropped: u64,
}

impl EventStream {
    /// The next event; `None` once the monitor has stopped and every event was received.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            match self.rx.recv().await {
                Ok(item) => {
                    self.next = item.seq + 1;
                    return Some(item.event);
                }
                Err(RecvError::Closed) => return None,
                Err(RecvError::Lagged(n)) => self.recover(n),
            }
        }
    }

    /// `n` events, `self.next ..`, were overwritten: take the level changes among them from
    /// the log.
    fn recover(&mut self, n: u64) {
        let (from, to) = (self.next, self.next.saturating_add(n));
        let st = lock(&self.log);
        let recovered: Vec<Event> = st
            .levels
            .iter()
            .filter(|s| (from..to).contains(&s.seq))
            .map(|s| s.event.clone())
            .collect();
        drop(st);
        let lost = n - recovered.len() as u64;
        if lost > 0 {
            tracing::warn!("{lost} events were dropped for a slow reader (level changes kept)");
        }
        self.dropped += lost;
        self.pending.extend(recovered);
        self.next = to;
    }

    /// How many events this stream lost (pair events, or level changes older than the log).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::level::Level;

    fn event(kind: EventKind, pair: Option<&str>) -> Event {
        let mut e = Event::level_change(
            kind,
            chrono::Utc::now(),
            Level::Degraded,
            Some(Level::Normal),
        );
        e.pair = pair.map(str::to_owned);
        e
    }

    #[tokio::test]
    async fn a_lagging_subscriber_never_loses_a_level_change() {
        let (plain, _) = broadcast::channel(8);
        let (publisher, subs) = Publisher::new(16, plain);
        let mut stream = subs.stream();
        // One poll with far more events than the buffer: the level events come first, so a
        // plain broadcast receiver would lose exactly them.
        publisher.publish(event(EventKind::MonitorStarted, None));
        publisher.publish(event(EventKind::DegradedStarted, None));
        for i in 0..500 {
            publisher.publish(event(EventKind::PairChanged, Some(&format!("p{i}_jpy"))));
        }
        publisher.publish(event(EventKind::DegradedEnded, None));
        drop(publisher);
        let mut kinds = Vec::new();
        while let Some(e) = stream.recv().await {
            if e.kind != EventKind::PairChanged {
                kinds.push(e.kind);
            }
        }
        assert_eq!(
            kinds,
            vec![
                EventKind::MonitorStarted,
                EventKind::DegradedStarted,
                EventKind::DegradedEnded
            ]
        );
        assert!(stream.dropped() > 0);
    }

    #[tokio::test]
    async fn a_subscriber_that_keeps_up_gets_everything_once() {
        let (plain, _) = broadcast::channel(8);
        let (publisher, subs) = Publisher::new(16, plain);
        let mut stream = subs.stream();
        for round in 0..50 {
            publisher.publish(event(EventKind::DegradedStarted, None));
            publisher.publish(event(
                EventKind::PairChanged,
                Some(&format!("p{round}_jpy")),
            ));
            assert_eq!(
                stream.recv().await.unwrap().kind,
                EventKind::DegradedStarted
            );
            assert_eq!(stream.recv().await.unwrap().kind, EventKind::PairChanged);
        }
        assert_eq!(stream.dropped(), 0);
    }
}
