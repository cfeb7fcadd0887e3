//! Recording from the monitor: each event before it is shown, and the snapshot as it changes.

use std::collections::HashSet;
use std::mem::discriminant;
use std::sync::Arc;

use bbwatch_core::{Event, Snapshot};
use tokio::sync::watch;

use crate::error::HistoryError;
use crate::store::History;

/// Records events as they come, and says once (not on every event) when it cannot.
#[derive(Debug)]
pub struct Recorder {
    history: Arc<History>,
    told: HashSet<std::mem::Discriminant<HistoryError>>,
    /// A failure said for the first time, not yet taken by [`Recorder::take_new_failure`].
    new_failure: Option<String>,
}

impl Recorder {
    /// A recorder into `history`.
    pub fn new(history: Arc<History>) -> Recorder {
        Recorder {
            history,
            told: HashSet::new(),
            new_failure: None,
        }
    }

    /// The history recorded into.
    pub fn history(&self) -> &Arc<History> {
        &self.history
    }

    /// Record `event`; call it before the event is shown, so a process killed right after
    /// showing it has it in the history. A failure is logged (once per kind of failure) and
    /// returned; the caller shows the event all the same.
    pub fn record(&mut self, event: &Event) -> Result<Option<i64>, HistoryError> {
        let recorded = self.history.record(event);
        match &recorded {
            Ok(_) => {
                self.told.clear();
            }
            Err(e) => {
                if self.told.insert(discriminant(e)) {
                    tracing::warn!("{e}; events are not being recorded");
                    self.new_failure = Some(e.to_string());
                }
            }
        }
        recorded
    }

    /// The failure to record that was just said for the first time (once per kind of failure,
    /// as the log says it), for a binary that tells it elsewhere too (the tray's popup).
    pub fn take_new_failure(&mut self) -> Option<String> {
        self.new_failure.take()
    }

    /// Record `event` (as [`Recorder::record`] does) and say whether this process acts on it
    /// beyond showing it: true unless another bbwatch records this history. That one runs the
    /// hooks and webhooks for the event, so each runs once however many bbwatch are running.
    /// A failure to record leaves it to this process: better twice than never.
    pub fn record_and_claim(&mut self, event: &Event) -> bool {
        !matches!(self.record(event), Ok(None))
    }
}

/// [`Recorder::record_and_claim`] for a binary that may have no history (history off, or the
/// file unusable): then nothing is recorded and the event is this process's to act on.
pub fn record_and_claim(recorder: Option<&mut Recorder>, event: &Event) -> bool {
    recorder.is_none_or(|recorder| recorder.record_and_claim(event))
}

/// Keep the history's snapshot current until the monitor stops (the channel closes). Runs
/// the blocking writes off the async threads.
pub async fn keep_snapshot(history: Arc<History>, mut snapshots: watch::Receiver<Snapshot>) {
    let mut told = false;
    while snapshots.changed().await.is_ok() {
        let snapshot = snapshots.borrow_and_update().clone();
        let h = Arc::clone(&history);
        let saved = tokio::task::spawn_blocking(move || h.record_snapshot(&snapshot)).await;
        match saved {
            Ok(Ok(())) => told = false,
            Ok(Err(e)) if !std::mem::replace(&mut told, true) => {
                tracing::warn!("{e}; the state is not being kept for the next start");
            }
            _ => {}
        }
    }
}
