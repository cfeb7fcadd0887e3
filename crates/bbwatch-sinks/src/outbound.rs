//! Everything that leaves the machine or runs a program of the user's on an event: the hooks
//! and the webhooks, started together by both binaries so they mean the same everywhere.

use bbwatch_core::config::Config;
use bbwatch_core::Event;
use tokio::sync::{mpsc, watch};

use crate::hooks::Hooks;
use crate::webhooks::Webhooks;

/// Start the hooks and the webhooks of the settings in force (none until `[[hooks]]` or
/// `[[webhooks]]` are configured; a change applies to the next event). Returns where to send
/// each event once it is recorded and shown: sending never waits, however slow a hook or an
/// endpoint is. They stop when the sender is dropped.
///
/// Must be called inside a Tokio runtime (they are tasks).
pub fn start(settings: watch::Receiver<Config>) -> mpsc::UnboundedSender<Event> {
    let (to_hooks, for_hooks) = mpsc::unbounded_channel();
    tokio::spawn(Hooks::new(settings.clone()).run(for_hooks));
    let to_webhooks = match Webhooks::new(settings) {
        Ok(webhooks) => {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(webhooks.run(rx));
            Some(tx)
        }
        // Hooks still run; said once.
        Err(e) => {
            tracing::error!("{e}; webhooks are off");
            None
        }
    };
    let (tx, mut events) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Some(to_webhooks) = &to_webhooks {
                let _ = to_webhooks.send(event.clone());
            }
            let _ = to_hooks.send(event);
        }
    });
    tx
}
