//! What follows the monitor's events once they are recorded: each sink behind one trait, fed by
//! the one pipeline every binary runs (`bbwatch-runtime`).

use std::future::Future;

use tokio::sync::mpsc;

use crate::model::event::Event;

/// An event as the pipeline passes it on: recorded first, with the history's id when this
/// process recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// The event.
    pub event: Event,
    /// Its id in the history, when this process recorded it (none without a history, or when
    /// another bbwatch records it).
    pub id: Option<i64>,
}

/// Something that follows events: a popup, hooks, webhooks, the local API's feed. `send` must
/// not wait: a slow or dead sink never holds up the others.
pub trait Sink: Send + Sync {
    /// A short name, for the log.
    fn name(&self) -> &'static str;
    /// Pass `event` on.
    fn send(&self, event: &Recorded);
}

/// A sink that is a task reading events from an unbounded channel; it ends when the outlet is
/// dropped.
#[derive(Debug)]
pub struct Outlet {
    name: &'static str,
    tx: mpsc::UnboundedSender<Event>,
}

impl Outlet {
    /// Spawn `run` on the events sent to the outlet. Call inside a tokio runtime.
    pub fn spawn<F>(
        name: &'static str,
        run: impl FnOnce(mpsc::UnboundedReceiver<Event>) -> F,
    ) -> Outlet
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx));
        Outlet { name, tx }
    }
}

impl Sink for Outlet {
    fn name(&self) -> &'static str {
        self.name
    }

    fn send(&self, event: &Recorded) {
        // A task that ended (its settings gone at shutdown) has nothing left to do.
        let _ = self.tx.send(event.event.clone());
    }
}
