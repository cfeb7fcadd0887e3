//! `watch --notify`: a desktop notification per event the settings ask for, through
//! notify-rust, with the same rules as the tray app (the kinds chosen, quiet hours).

use bbwatch_core::alert;
use bbwatch_core::config::Config;
use bbwatch_core::render::{event_body, notification_title, sentence};
use bbwatch_core::{Event, Lang};
use chrono::Timelike as _;
use notify_rust::{Notification, Urgency};
use std::sync::Arc;
use tokio::sync::{watch, Semaphore};

/// Notifications shown at once; more while a notification server hangs are skipped.
const MAX_IN_FLIGHT: usize = 4;

/// Shows notifications without ever holding up the caller.
pub struct Notifier {
    settings: watch::Receiver<Config>,
    in_flight: Arc<Semaphore>,
}

impl Notifier {
    pub fn new(settings: watch::Receiver<Config>) -> Notifier {
        Notifier {
            settings,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    /// Show `event` in the background; a hung notification server costs at most
    /// [`MAX_IN_FLIGHT`] threads and skipped notifications, never a stalled watch.
    pub fn show(&self, event: Event) {
        let (wanted, lang) = {
            let config = self.settings.borrow();
            let local = chrono::Local::now();
            let minute = u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0);
            let quiet = alert::in_quiet_hours(config.notifications.quiet_hours.as_deref(), minute);
            (
                alert::wanted(&event, &config.notifications) && !quiet,
                config.language.resolve(),
            )
        };
        if !wanted {
            return;
        }
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::warn!("notification server not answering; notification skipped");
            return;
        };
        tokio::spawn(async move {
            show(&event, lang).await;
            drop(permit);
        });
    }
}

/// Show `event` as a desktop notification. Runs on a blocking thread (the D-Bus call blocks);
/// a missing notification server is a warning, never a failure of the watch.
async fn show(event: &Event, lang: Lang) {
    let urgency = if alert::urgent(event) {
        Urgency::Critical
    } else {
        Urgency::Normal
    };
    let mut n = Notification::new();
    n.appname("bbwatch")
        .summary(&notification_title(event, lang))
        .body(&sentence(&event_body(event, lang)))
        .urgency(urgency);
    let result = tokio::task::spawn_blocking(move || n.show().map(|_| ())).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("desktop notification failed: {e}"),
        Err(e) => tracing::warn!("desktop notification task failed: {e}"),
    }
}
