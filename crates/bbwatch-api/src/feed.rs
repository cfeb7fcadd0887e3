//! The event feed behind `/v1/events`: every event with its id, in order, to every client.
//!
//! Events come from the process's pipeline ([`crate::ApiSink`]) after they are recorded: with
//! a history, an event this process recorded comes with its id (the same ids `bbwatch history
//! --events` shows, and they survive restarts) and is passed on as it is, without reading it
//! back. The history is read only for what did not come that way: rows another bbwatch
//! recorded (read soon after a local event says one is coming, and every second anyway), a
//! gap, and a client that reconnects with `Last-Event-ID` or falls behind. Without a history,
//! ids count from 1 in this process and the last [`MEMORY`] events are kept for reconnects.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bbwatch_core::engine::sink::Recorded;
use bbwatch_history::{EventCursor, Filter, History, StoredEvent};

use crate::reading::Reading;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// Events kept in memory for reconnects when there is no history.
pub(crate) const MEMORY: usize = 1024;
/// Rows read at a time.
pub(crate) const PAGE: usize = 256;
/// How often the history is read when nothing happens here (another process may record).
const IDLE_READ: Duration = Duration::from_secs(1);
/// After a local event, how often the history is read until the row is there.
const EAGER_READ: Duration = Duration::from_millis(50);
/// How long reads stay eager after a local event.
const EAGER_FOR: Duration = Duration::from_secs(2);

/// Where events and their ids come from.
enum Store {
    /// The history, read through a connection of the feed's own.
    History(Reading),
    Memory(Mutex<VecDeque<StoredEvent>>),
}

/// The feed shared by every client.
pub(crate) struct Feed {
    store: Store,
    tx: broadcast::Sender<StoredEvent>,
    /// The id of the last event passed on (set before it is sent).
    last: AtomicI64,
}

impl Feed {
    /// Start the feed's task; it ends when `closing` turns true or the events end.
    pub(crate) async fn start(
        history: Option<Arc<History>>,
        events: broadcast::Receiver<Recorded>,
        closing: watch::Receiver<bool>,
    ) -> Arc<Feed> {
        let (tx, _) = broadcast::channel(PAGE);
        let (store, last) = match history {
            Some(h) => {
                let reader = Arc::clone(&h);
                let last = tokio::task::spawn_blocking(move || reader.last_id())
                    .await
                    .ok()
                    .and_then(|r| r.map_err(|e| tracing::warn!("local API: {e}")).ok())
                    .unwrap_or(0);
                (Store::History(Reading::new(h.path().to_owned())), last)
            }
            None => (Store::Memory(Mutex::new(VecDeque::new())), 0),
        };
        let feed = Arc::new(Feed {
            store,
            tx,
            last: AtomicI64::new(last),
        });
        tokio::spawn(Arc::clone(&feed).run(events, closing));
        feed
    }

    /// The id of the last event passed on: where a client that gives no `Last-Event-ID`
    /// starts.
    pub(crate) fn last(&self) -> i64 {
        self.last.load(Ordering::SeqCst)
    }

    /// Live events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<StoredEvent> {
        self.tx.subscribe()
    }

    /// Up to [`PAGE`] events after `after`, from the store.
    pub(crate) async fn after(&self, after: i64) -> Result<Vec<StoredEvent>, String> {
        match &self.store {
            Store::History(reading) => reading
                .run(move |r| r.events(&Filter::default(), Some(EventCursor(after)), PAGE))
                .await?
                .map(|page| page.items)
                .map_err(|e| e.to_string()),
            Store::Memory(m) => Ok(m
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .filter(|e| e.id > after)
                .take(PAGE)
                .cloned()
                .collect()),
        }
    }

    fn pass_on(&self, event: StoredEvent) {
        // `last` first: a client that reads it and then subscribes misses nothing after it.
        self.last.store(event.id, Ordering::SeqCst);
        let _ = self.tx.send(event);
    }

    async fn run(
        self: Arc<Self>,
        mut events: broadcast::Receiver<Recorded>,
        mut closing: watch::Receiver<bool>,
    ) {
        let mut eager_until = Instant::now();
        let mut ended = false;
        loop {
            let wait = if Instant::now() < eager_until {
                EAGER_READ
            } else {
                IDLE_READ
            };
            tokio::select! {
                event = events.recv(), if !ended => match event {
                    Ok(recorded) => {
                        match (&self.store, recorded.id) {
                            (Store::Memory(m), _) => self.keep(m, recorded.event),
                            // Recorded here: passed on as it is, unless rows came between.
                            (Store::History(_), Some(id)) if id == self.last() + 1 => {
                                self.pass_on(StoredEvent { id, event: recorded.event });
                            }
                            (Store::History(_), Some(id)) if id <= self.last() => {}
                            (Store::History(_), Some(_)) => self.catch_up().await,
                            // Another bbwatch records it: its row is read soon.
                            (Store::History(_), None) => eager_until = Instant::now() + EAGER_FOR,
                        }
                        continue;
                    }
                    Err(RecvError::Lagged(missed)) => {
                        if matches!(self.store, Store::Memory(_)) {
                            tracing::warn!("local API: {missed} events were not passed on");
                        }
                    }
                    // The process's pipeline stopped: keep reading another process's events.
                    Err(RecvError::Closed) => ended = true,
                },
                () = tokio::time::sleep(wait), if matches!(self.store, Store::History(_)) => {}
                _ = closing.changed() => return,
            }
            if matches!(self.store, Store::History(_)) {
                self.catch_up().await;
            }
        }
    }

    /// Keep `event` in memory with the next id, and pass it on.
    fn keep(&self, memory: &Mutex<VecDeque<StoredEvent>>, event: bbwatch_core::Event) {
        let stored = StoredEvent {
            id: self.last() + 1,
            event,
        };
        let mut kept = memory.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() == MEMORY {
            kept.pop_front();
        }
        kept.push_back(stored.clone());
        drop(kept);
        self.pass_on(stored);
    }

    /// Pass on every row recorded since the last one passed on.
    async fn catch_up(&self) {
        loop {
            let rows = match self.after(self.last()).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("local API: cannot read the history: {e}");
                    return;
                }
            };
            let full = rows.len() == PAGE;
            for row in rows {
                self.pass_on(row);
            }
            if !full {
                return;
            }
        }
    }
}
