//! The one ordered loop: record, show, send.

use bbwatch_core::engine::sink::{Recorded, Sink};
use bbwatch_core::Event;
use bbwatch_history::Recorder;

/// Where each event goes, in order. Nothing here waits on a sink: each takes the event and
/// returns at once.
pub struct Pipeline {
    /// The history, when this process has one.
    pub(crate) recorder: Option<Recorder>,
    /// Hooks and webhooks: only for events this process recorded (or, without a history,
    /// saw), so that when two bbwatch run at once each event runs them once.
    pub(crate) outbound: Vec<Box<dyn Sink>>,
    /// The local API and the notifier: every event, recorded here or not.
    pub(crate) local: Vec<Box<dyn Sink>>,
    /// Told of a failure to record, the first time it happens (the tray's popup).
    pub(crate) history_failure: Option<Box<dyn Fn(String) + Send + Sync>>,
}

impl Pipeline {
    /// Pass one event through: recorded first (committed before anyone sees it), shown, then
    /// sent.
    pub fn step(&mut self, event: Event, show: &mut impl FnMut(&Recorded)) {
        let kind = event.kind;
        // The steps go to the log (`BBWATCH_LOG=bbwatch::pipeline=debug`), as the tests read
        // them.
        let (claimed, id) = match self.recorder.as_mut() {
            None => {
                tracing::debug!(target: "bbwatch::pipeline", "{kind}: no history");
                (true, None)
            }
            Some(recorder) => {
                let recorded = recorder.record(&event);
                if let (Some(tell), Some(failure)) =
                    (&self.history_failure, recorder.take_new_failure())
                {
                    tell(failure);
                }
                match recorded {
                    Ok(Some(id)) => {
                        tracing::debug!(target: "bbwatch::pipeline", "{kind}: recorded as {id}");
                        (true, Some(id))
                    }
                    // Another bbwatch records the history: it runs the hooks and webhooks.
                    Ok(None) => {
                        tracing::debug!(target: "bbwatch::pipeline", "{kind}: recorded by another bbwatch");
                        (false, None)
                    }
                    // Said once by the recorder; the event is acted on all the same.
                    Err(_) => (true, None),
                }
            }
        };
        let recorded = Recorded { event, id };
        show(&recorded);
        tracing::debug!(target: "bbwatch::pipeline", "{kind}: shown");
        let outbound = self.outbound.iter().filter(|_| claimed);
        for sink in outbound.chain(&self.local) {
            sink.send(&recorded);
            tracing::debug!(target: "bbwatch::pipeline", "{kind}: sent to {}", sink.name());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::{Arc, Mutex};

    use bbwatch_core::{EventKind, Level};
    use bbwatch_history::History;

    use super::*;

    /// A sink that writes down its name, and the id it was given, when sent an event.
    struct Step {
        name: &'static str,
        steps: Arc<Mutex<Vec<String>>>,
    }

    impl Sink for Step {
        fn name(&self) -> &'static str {
            self.name
        }

        fn send(&self, event: &Recorded) {
            let mut steps = self.steps.lock().unwrap();
            steps.push(format!("{} {:?}", self.name, event.id));
        }
    }

    fn pipeline(history: Option<Arc<History>>, steps: &Arc<Mutex<Vec<String>>>) -> Pipeline {
        let step = |name| -> Box<dyn Sink> {
            Box::new(Step {
                name,
                steps: steps.clone(),
            })
        };
        Pipeline {
            recorder: history.map(Recorder::new),
            outbound: vec![step("hooks"), step("webhooks")],
            local: vec![step("local API"), step("notifier")],
            history_failure: None,
        }
    }

    fn maintenance() -> Event {
        Event::level_change(
            EventKind::MaintenanceStarted,
            chrono::Utc::now(),
            Level::Maintenance,
            Some(Level::Normal),
        )
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bbwatch-runtime-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("history.sqlite3")
    }

    #[test]
    fn an_event_is_recorded_then_shown_then_sent_to_every_sink_in_order() {
        let path = scratch("order");
        let history = Arc::new(History::open(&path).unwrap());
        let steps = Arc::new(Mutex::new(Vec::new()));
        let mut pipeline = pipeline(Some(history.clone()), &steps);
        let shown = steps.clone();
        pipeline.step(maintenance(), &mut |r: &Recorded| {
            // Recorded before it is shown: the row is there.
            let stored = history.count().unwrap();
            shown
                .lock()
                .unwrap()
                .push(format!("shown {:?} ({stored} stored)", r.id));
        });
        assert_eq!(
            *steps.lock().unwrap(),
            [
                "shown Some(1) (1 stored)",
                "hooks Some(1)",
                "webhooks Some(1)",
                "local API Some(1)",
                "notifier Some(1)",
            ]
        );
    }

    #[test]
    fn what_another_bbwatch_records_runs_no_hooks_or_webhooks_here() {
        let path = scratch("other");
        let recording = History::open(&path).unwrap();
        // The first to record holds the history.
        assert!(recording.record(&maintenance()).unwrap().is_some());
        let here = Arc::new(History::open(&path).unwrap());
        let steps = Arc::new(Mutex::new(Vec::new()));
        let mut pipeline = pipeline(Some(here), &steps);
        pipeline.step(maintenance(), &mut |_| {});
        assert_eq!(*steps.lock().unwrap(), ["local API None", "notifier None"]);
    }

    #[test]
    fn without_a_history_every_sink_gets_it_with_no_id() {
        let steps = Arc::new(Mutex::new(Vec::new()));
        let mut pipeline = pipeline(None, &steps);
        pipeline.step(maintenance(), &mut |_| {});
        assert_eq!(
            *steps.lock().unwrap(),
            [
                "hooks None",
                "webhooks None",
                "local API None",
                "notifier None"
            ]
        );
    }
}
