//! `watch --notify`: one desktop notification per event through notify-rust.

use bbwatch_core::alert;
use bbwatch_core::render::{event_body, event_title};
use bbwatch_core::{Event, EventKind, Lang, Level};
use notify_rust::{Notification, Urgency};

/// Show `event` as a desktop notification. Runs on a blocking thread (the D-Bus call blocks);
/// a missing notification server is a warning, never a failure of the watch.
pub async fn show(event: &Event, lang: Lang) {
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
