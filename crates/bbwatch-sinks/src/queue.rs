//! What hooks and webhooks share: a worker per configured target, each with a bounded queue,
//! and the list of workers kept in line with the settings in force.
//!
//! - Each target (a hook, a webhook) has a worker of its own that delivers one event at a
//!   time, in event order, from a queue of at most [`QUEUE`] events. A target that cannot keep
//!   up loses the *oldest* queued events (with a warning): memory stays bounded and nothing
//!   upstream ever waits, however slow or dead the target is.
//! - [`Workers::follow`] compares the configured targets with the running workers by value:
//!   a target still configured keeps its worker and queue, a new one gets a worker, a removed
//!   one finishes the delivery under way and drops what it had queued.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bbwatch_core::{Event, EventKind, Exchange};
use tokio::sync::Notify;

/// Events one target may have waiting; beyond that the oldest go.
pub const QUEUE: usize = 64;

/// Something events are delivered to, as configured (`[[hooks]]`, `[[webhooks]]`).
///
/// Each kind implements it in its own module, so the queue does not depend on them.
pub trait Target: Clone + PartialEq + Send + Sync + 'static {
    /// The event kinds it is for; empty for every kind.
    fn kinds(&self) -> &[EventKind];

    /// How a log line names it (never with a secret in it).
    fn name(&self) -> String;

    /// The exchanges it is for; empty for every exchange.
    fn exchanges(&self) -> &[Exchange];

    /// Whether it is for events of `kind`: an empty list means every kind.
    fn wants(&self, kind: EventKind) -> bool {
        let kinds = self.kinds();
        kinds.is_empty() || kinds.contains(&kind)
    }

    /// Whether it is for `event`: its kind and its exchange.
    fn wants_event(&self, event: &Event) -> bool {
        let exchanges = self.exchanges();
        self.wants(event.kind) && (exchanges.is_empty() || exchanges.contains(&event.exchange))
    }
}

/// One target's queue: bounded, the oldest dropped when full.
#[derive(Default)]
pub struct Queue {
    events: Mutex<VecDeque<Event>>,
    ready: Notify,
    closed: AtomicBool,
}

impl Queue {
    /// Queue `event`; when [`QUEUE`] events wait already, the oldest is dropped (and
    /// returned) with a warning naming the target (`name`).
    pub fn push(&self, event: Event, name: &str) -> Option<Event> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let dropped = if events.len() >= QUEUE {
            events.pop_front()
        } else {
            None
        };
        if let Some(old) = &dropped {
            tracing::warn!(
                "{name} cannot keep up: {} at {} dropped, not delivered",
                old.kind,
                bbwatch_core::model::event::format_time(&old.at),
            );
        }
        events.push_back(event);
        drop(events);
        self.ready.notify_one();
        dropped
    }

    /// The oldest queued event.
    pub fn pop(&self) -> Option<Event> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    /// How many events wait.
    pub fn len(&self) -> usize {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// No more events: what is queued is dropped, the worker stops after the delivery under
    /// way.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.ready.notify_one();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The oldest queued event, waiting for one; `None` once the queue is closed.
    pub async fn next(&self) -> Option<Event> {
        loop {
            if self.is_closed() {
                return None;
            }
            if let Some(event) = self.pop() {
                return Some(event);
            }
            // A push between `pop` and here leaves a permit: no event is missed.
            self.ready.notified().await;
        }
    }
}

/// What a worker runs: its target and its queue, until the queue closes.
type Runner<T> =
    Arc<dyn Fn(T, Arc<Queue>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A running target: its configuration and its queue (its task ends when the queue closes).
struct Worker<T> {
    target: T,
    queue: Arc<Queue>,
}

impl<T: Target> Worker<T> {
    fn start(target: T, run: &Runner<T>) -> Worker<T> {
        let queue = Arc::new(Queue::default());
        tokio::spawn(run(target.clone(), queue.clone()));
        Worker { target, queue }
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.queue.close();
    }
}

/// The workers of one kind of target, following the configured list. Must be used inside a
/// Tokio runtime (workers are tasks).
pub struct Workers<T> {
    workers: Vec<Worker<T>>,
    run: Runner<T>,
}

impl<T: Target> Workers<T> {
    /// No workers yet; each delivers its events one at a time with `deliver(target, event)`,
    /// which delivers one event and logs how it went.
    pub fn new<D, F>(deliver: D) -> Workers<T>
    where
        D: Fn(T, Event) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let deliver = Arc::new(deliver);
        Workers::with_runner(move |target: T, queue: Arc<Queue>| {
            let deliver = deliver.clone();
            async move {
                while let Some(event) = queue.next().await {
                    deliver(target.clone(), event).await;
                }
            }
        })
    }

    /// No workers yet; each runs `run(target, queue)`, which takes the queue's events (and
    /// may do more meanwhile, such as keep time) until [`Queue::next`] says it is closed.
    pub fn with_runner<R, F>(run: R) -> Workers<T>
    where
        R: Fn(T, Arc<Queue>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        Workers {
            workers: Vec::new(),
            run: Arc::new(move |target, queue| Box::pin(run(target, queue))),
        }
    }

    /// Keep the workers whose target is still configured (the same target twice gets two
    /// workers), start the new ones, stop the rest. Workers end up in the configured order.
    pub fn follow(&mut self, targets: &[T]) {
        if self.workers.len() == targets.len()
            && self
                .workers
                .iter()
                .zip(targets)
                .all(|(w, t)| w.target == *t)
        {
            return;
        }
        let mut old = std::mem::take(&mut self.workers);
        for target in targets {
            match old.iter().position(|w| w.target == *target) {
                Some(i) => self.workers.push(old.remove(i)),
                None => self.workers.push(Worker::start(target.clone(), &self.run)),
            }
        }
        // What is left in `old` is dropped here: those queues close.
    }

    /// Queue `event` for every worker whose target wants it. Never waits.
    pub fn push(&self, event: &Event) {
        for worker in &self.workers {
            if worker.target.wants_event(event) {
                worker.queue.push(event.clone(), &worker.target.name());
            }
        }
    }

    /// How many events wait, per worker, in the configured order.
    pub fn queued(&self) -> Vec<usize> {
        self.workers.iter().map(|w| w.queue.len()).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bbwatch_core::config::{Hook, HumanDuration, Webhook, WebhookFormat};
    use bbwatch_core::Level;
    use chrono::Utc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn event(i: u64) -> Event {
        let mut e = Event::level_change(EventKind::PairChanged, Utc::now(), Level::Normal, None);
        e.duration_secs = Some(i);
        e
    }

    fn webhook(url: &str, on: &[EventKind]) -> Webhook {
        Webhook {
            url: url.parse().unwrap(),
            format: WebhookFormat::Json,
            on: on.to_vec(),
            exchanges: Vec::new(),
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let q = Queue::default();
        for i in 0..(QUEUE as u64 + 3) {
            let dropped = q.push(event(i), "p");
            assert_eq!(
                dropped.and_then(|e| e.duration_secs),
                i.checked_sub(QUEUE as u64)
            );
            assert!(q.len() <= QUEUE);
        }
        assert_eq!(q.pop().unwrap().duration_secs, Some(3));
        let mut n = 1;
        while q.pop().is_some() {
            n += 1;
        }
        assert_eq!(n, QUEUE);
    }

    #[test]
    fn kinds_chosen_or_every_kind() {
        let some = webhook("https://a.invalid/x", &[EventKind::MaintenanceStarted]);
        assert!(some.wants(EventKind::MaintenanceStarted));
        assert!(!some.wants(EventKind::MaintenanceEnded));
        let every = webhook("https://a.invalid/x", &[]);
        assert!(EventKind::ALL.iter().all(|k| every.wants(*k)));
    }

    #[test]
    fn exchanges_chosen_or_every_exchange() {
        let mut gmo = event(1);
        gmo.exchange = Exchange::Gmocoin;
        let bitbank = event(2);
        let every = webhook("https://a.invalid/x", &[]);
        assert!(every.wants_event(&gmo) && every.wants_event(&bitbank));
        let mut only = every;
        only.exchanges = vec![Exchange::Bitbank];
        assert!(only.wants_event(&bitbank));
        assert!(!only.wants_event(&gmo));
    }

    #[test]
    fn names_carry_no_secret() {
        let w = webhook(
            "https://me:pw@hooks.example/services/T0/B0/SECRET?token=x",
            &[],
        );
        assert_eq!(w.name(), "webhook https://hooks.example/…");
        let h = Hook {
            on: vec![],
            command: vec!["/bin/bot".into(), "--token=SECRET".into()],
            timeout: HumanDuration(Duration::from_secs(1)),
            exchanges: Vec::new(),
        };
        assert_eq!(h.name(), "hook \"/bin/bot\"");
    }

    /// A target that never finishes a delivery: however many events come, what waits for it
    /// stays at most [`QUEUE`], and pushing never blocks.
    #[tokio::test]
    async fn a_stuck_target_holds_at_most_a_queue() {
        let started = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::new({
            let started = started.clone();
            move |_: Webhook, _: Event| {
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>()
            }
        });
        let stuck = webhook("http://127.0.0.1:9/stuck", &[]);
        let picky = webhook("http://127.0.0.1:9/picky", &[EventKind::MaintenanceStarted]);
        workers.follow(&[stuck.clone(), picky.clone()]);
        for i in 0..1000 {
            workers.push(&event(i));
            assert!(workers.queued().iter().all(|n| *n <= QUEUE));
            tokio::task::yield_now().await;
        }
        // One delivery under way (stuck), the rest queued up to the bound; none for the
        // target that wants no pair events.
        assert_eq!(workers.queued(), vec![QUEUE, 0]);
        assert_eq!(started.load(Ordering::SeqCst), 1);

        // The same list again keeps the workers (and their queues); a change restarts only
        // what changed.
        workers.follow(&[stuck.clone(), picky.clone()]);
        assert_eq!(workers.queued(), vec![QUEUE, 0]);
        let other = webhook("http://127.0.0.1:9/other", &[]);
        workers.follow(&[other, stuck]);
        assert_eq!(workers.queued(), vec![0, QUEUE]);
    }

    /// Deliveries happen one at a time, in order.
    #[tokio::test]
    async fn a_worker_delivers_in_order() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut workers = Workers::new(move |_: Webhook, e: Event| {
            let tx = tx.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let _ = tx.send(e.duration_secs);
            }
        });
        workers.follow(&[webhook("http://127.0.0.1:9/", &[])]);
        for i in 0..10 {
            workers.push(&event(i));
        }
        for i in 0..10 {
            assert_eq!(rx.recv().await.unwrap(), Some(i));
        }
    }
}
