//! `watch --notify`: one desktop notification per event through notify-rust.

use bbwatch_core::alert;
use bbwatch_core::render::{event_body, event_title};
use bbwatch_core::{Event, EventKind, Lang, Level};
use notify_rust::{Notification, Urgency};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Notifications shown at once; more while a notification server hangs are skipped.
const MAX_IN_FLIGHT: usize = 4;

/// Shows notifications without ever holding up the caller.
pub struct Notifier {
    lang: Lang,
    in_flight: Arc<Semaphore>,
}

impl Notifier {
    pub fn new(lang: Lang) -> Notifier {
        Notifier {
            lang,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    /// Show `event` in the background; a hung notification server costs at most
    /// [`MAX_IN_FLIGHT`] threads and skipped notifications, never a stalled watch.
    pub fn show(&self, event: Event) {
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::warn!("notification server not answering; notification skipped");
            return;
        };
        let lang = self.lang;
        tokio::spawn(async move {
            show(&event, lang).await;
            drop(permit);
        });
    }
}

/// Show `event` as a desktop notification. Runs on a blocking thread (the D-Bus call blocks);
/// a missing notification server is a warning, never a failure of the watch.
async fn show(event: &Event, lang: Lang) {
    if event.kind == EventKind::MonitorStarted && event.level == Level::Normal {
        return;
    }
    let urgency = if alert::urgent(event) {
        Urgency::Critical
    } else {
        Urgency::Normal
    };
    let mut n = Notification::new();
    n.appname("bbwatch")
        .summary(&event_title(event, lang))
        .body(&event_body(event, lang))
        .urgency(urgency);
    let result = tokio::task::spawn_blocking(move || n.show().map(|_| ())).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("desktop notification failed: {e}"),
        Err(e) => tracing::warn!("desktop notification task failed: {e}"),
    }
}
