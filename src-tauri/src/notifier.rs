//! Native notifications through notify-rust, on the transitions the user enabled; clicking one
//! opens the status window.

use std::sync::Mutex;

use bbwatch_core::alert::{self, Collapser};
use bbwatch_core::config::Notifications;
use bbwatch_core::render::{event_body, event_title};
use bbwatch_core::{Event, Lang};
use chrono::{Local, Timelike, Utc};
use notify_rust::{Hint, Notification, Urgency};
use tauri::AppHandle;

use crate::state::lock;
use crate::window::{self, Section};

pub struct Notifier {
    app: AppHandle,
    settings: Notifications,
    lang: Lang,
    collapser: Mutex<Collapser>,
}

impl Notifier {
    pub fn new(app: AppHandle, settings: Notifications, lang: Lang) -> Notifier {
        Notifier {
            app,
            settings,
            lang,
            collapser: Mutex::new(Collapser::default()),
        }
    }

    /// Notify about `event` unless the settings, a pause or quiet hours say not to.
    pub fn event(&self, event: &Event, paused: bool) {
        let local = Local::now();
        let minute = u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0);
        if !alert::wanted(event, &self.settings)
            || paused
            || alert::in_quiet_hours(self.settings.quiet_hours.as_deref(), minute)
        {
            return;
        }
        let now = Utc::now();
        let replaces = lock(&self.collapser).replaces(event, now);
        let mut n = Notification::new();
        n.appname("bbwatch")
            .summary(&event_title(event, self.lang))
            .body(&event_body(event, self.lang))
            .icon(match event.level {
                bbwatch_core::Level::Maintenance | bbwatch_core::Level::Down => "dialog-error",
                bbwatch_core::Level::Degraded | bbwatch_core::Level::Unreachable => {
                    "dialog-warning"
                }
                _ => "dialog-information",
            })
            .action("default", bbwatch_core::i18n::Msg::MenuOpen.text(self.lang))
            .urgency(if alert::urgent(event) {
                Urgency::Critical
            } else {
                Urgency::Normal
            });
        if self.settings.sound {
            n.hint(Hint::SoundName("message-new-instant".into()));
        } else {
            n.hint(Hint::SuppressSound(true));
        }
        if let Some(id) = replaces {
            n.id(id);
        }
        match n.show() {
            Ok(handle) => {
                lock(&self.collapser).shown(event, handle.id(), now);
                let app = self.app.clone();
                // Waiting for a click blocks until the notification closes: its own thread.
                std::thread::spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            window::open(&app, Section::Status);
                        }
                    });
                });
            }
            Err(e) => tracing::warn!("no notification server? {e}"),
        }
    }
}
