//! Native notifications through notify-rust, on the transitions the user enabled; clicking one
//! opens the status window. A popup lives as long as what it announced: when that ends (paused
//! or not) it is closed, and every popup of ours is closed on Quit.

use std::collections::HashMap;
use std::sync::Arc;

use bbwatch_core::alert::{self, Collapser, Source};
use bbwatch_core::config::{Config, Notifications};
use bbwatch_core::i18n::Msg;
use bbwatch_core::render::{
    event_body, level_meaning, level_name, notification_title, quiet_summary, sentence,
};
use bbwatch_core::{Event, Lang, Level, Snapshot};
use chrono::{DateTime, Local, Timelike, Utc};
use notify_rust::{Hint, Notification, NotificationHandle, Timeout, Urgency};
use tauri::AppHandle;
use tokio::sync::{watch, Mutex};

use crate::tray::icon_png;
use crate::window::{self, Section};

/// How long the "checked" answer to Check now stays.
const CHECKED_SHOWN_MS: u32 = 4000;

#[derive(Default)]
struct Book {
    collapser: Collapser,
    /// Our popups still on screen, by what they are about.
    open: HashMap<Source, Arc<NotificationHandle>>,
    /// When we last showed an event's notification.
    last_shown: Option<DateTime<Utc>>,
    /// What quiet hours held back, told in one notification when they end.
    held: Vec<Event>,
}

/// Events held back by quiet hours, at most (the summary names the last few anyway).
const MAX_HELD: usize = 100;

/// Minutes after local midnight, now.
fn local_minute() -> u16 {
    let local = Local::now();
    u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0)
}

pub struct Notifier {
    app: AppHandle,
    /// The settings in force: which kinds, quiet hours, sound, language.
    settings: watch::Receiver<Config>,
    book: Arc<Mutex<Book>>,
}

/// The level's icon as the notification's image (no file, no theme icon).
fn level_image(level: Level) -> Option<Hint> {
    let image = tauri::image::Image::from_bytes(icon_png(level, 64)).ok()?;
    let (w, h) = (
        i32::try_from(image.width()).ok()?,
        i32::try_from(image.height()).ok()?,
    );
    notify_rust::Image::from_rgba(w, h, image.rgba().to_vec())
        .ok()
        .map(Hint::ImageData)
}

impl Notifier {
    pub fn new(app: AppHandle, settings: watch::Receiver<Config>) -> Notifier {
        Notifier {
            app,
            settings,
            book: Arc::default(),
        }
    }

    /// The notification settings and the language in force now.
    fn now(&self) -> (Notifications, Lang) {
        let config = self.settings.borrow();
        (config.notifications.clone(), config.language.resolve())
    }

    fn base(&self, level: Level) -> Notification {
        let mut n = Notification::new();
        n.appname("bbwatch").icon("");
        if let Some(image) = level_image(level) {
            n.hint(image);
        }
        n
    }

    /// Notify about `event` unless the settings, a pause or quiet hours say not to; close
    /// the popup of what it ends either way.
    pub async fn event(&self, event: &Event, paused: bool) {
        let source = Source::of(event);
        let (settings, lang) = self.now();
        let wanted = alert::wanted(event, &settings) && !paused;
        let quiet = alert::in_quiet_hours(settings.quiet_hours.as_deref(), local_minute());
        let show = wanted && !quiet;
        let now = Utc::now();
        let mut book = self.book.lock().await;
        if wanted && quiet && book.held.len() < MAX_HELD {
            // The tray changes now; the popup and its sound wait for the end of quiet hours.
            book.held.push(event.clone());
        }
        let replaces = if alert::ends_its_source(event) || !show {
            if let Some(old) = book.open.remove(&source) {
                old.close_async().await;
            }
            None
        } else {
            book.collapser.replaces(event, now)
        };
        if !show {
            return;
        }
        let mut n = self.base(event.level);
        n.summary(&notification_title(event, lang))
            .body(&sentence(&event_body(event, lang)))
            .action("default", Msg::MenuOpen.text(lang))
            .urgency(if alert::urgent(event) {
                Urgency::Critical
            } else {
                Urgency::Normal
            });
        if settings.sound {
            n.hint(Hint::SoundName("message-new-instant".into()));
        } else {
            n.hint(Hint::SuppressSound(true));
        }
        if let Some(id) = replaces {
            n.id(id);
        }
        match n.show_async().await {
            Ok(handle) => {
                book.collapser.shown(event, handle.id(), now);
                book.last_shown = Some(now);
                let handle = Arc::new(handle);
                book.open.insert(source.clone(), handle.clone());
                drop(book);
                self.follow(source, handle);
            }
            Err(e) => tracing::warn!("no notification server? {e}"),
        }
    }

    /// Open the window on a click (at the settings for a configuration problem); forget the
    /// popup once it is gone.
    fn follow(&self, source: Source, handle: Arc<NotificationHandle>) {
        let (app, book) = (self.app.clone(), self.book.clone());
        let section = if source == Source::Config {
            Section::Settings
        } else {
            Section::Status
        };
        tauri::async_runtime::spawn(async move {
            handle
                .wait_for_action_async(|response| {
                    if matches!(response, notify_rust::NotificationResponse::Default) {
                        window::open(&app, section);
                    }
                })
                .await;
            let mut book = book.lock().await;
            if book.open.get(&source).map(|h| h.id()) == Some(handle.id()) {
                book.open.remove(&source);
            }
        });
    }

    /// Answer "Check now" from the tray menu, whose menu is gone by then: what bitbank is,
    /// unless a notification about the change said it since `asked`.
    pub async fn checked(&self, snapshot: &Snapshot, asked: DateTime<Utc>) {
        let mut book = self.book.lock().await;
        if book.last_shown.is_some_and(|t| t >= asked) {
            return;
        }
        let (_, lang) = self.now();
        let time = snapshot
            .checked_at
            .unwrap_or_else(Utc::now)
            .with_timezone(&Local)
            .format("%H:%M:%S")
            .to_string();
        let meaning = sentence(level_meaning(snapshot.level, lang));
        let mut n = self.base(snapshot.level);
        n.summary(&format!("bitbank: {}", level_name(snapshot.level, lang)))
            .body(&Msg::CheckedBody.fill(lang, &[("time", &time), ("meaning", &meaning)]))
            .action("default", Msg::MenuOpen.text(lang))
            .urgency(Urgency::Low)
            .hint(Hint::Transient(true))
            .hint(Hint::SuppressSound(true))
            .timeout(Timeout::Milliseconds(CHECKED_SHOWN_MS));
        if let Some(old) = book.open.get(&Source::Check) {
            n.id(old.id());
        }
        match n.show_async().await {
            Ok(handle) => {
                let handle = Arc::new(handle);
                book.open.insert(Source::Check, handle.clone());
                drop(book);
                self.follow(Source::Check, handle);
            }
            Err(e) => tracing::warn!("no notification server? {e}"),
        }
    }

    /// The configuration file could not be used: say so in the user's language, with the
    /// file's own words (key and line), and that the defaults are in force.
    pub async fn config_problem(&self, problem: &str) {
        let (_, lang) = self.now();
        let body = format!("{}\n{problem}", Msg::ConfigProblemBody.text(lang));
        let mut n = Notification::new();
        n.appname("bbwatch")
            .icon("dialog-warning")
            .summary(Msg::ConfigProblemTitle.text(lang))
            .body(&body)
            .action("default", Msg::MenuSettings.text(lang));
        let mut book = self.book.lock().await;
        if let Some(old) = book.open.get(&Source::Config) {
            n.id(old.id());
        }
        match n.show_async().await {
            Ok(handle) => {
                let handle = Arc::new(handle);
                book.open.insert(Source::Config, handle.clone());
                drop(book);
                self.follow(Source::Config, handle);
            }
            Err(e) => tracing::warn!("no notification server? {e}"),
        }
    }

    /// Once quiet hours are over (or no longer set): one notification that says what they held
    /// back. Called every little while, and when the settings change.
    pub async fn quiet_hours_over(&self) {
        let (settings, lang) = self.now();
        if alert::in_quiet_hours(settings.quiet_hours.as_deref(), local_minute()) {
            return;
        }
        let held = std::mem::take(&mut self.book.lock().await.held);
        if held.is_empty() {
            return;
        }
        let level = held.last().map_or(Level::Unknown, |e| e.level);
        let (title, body) = quiet_summary(&held, lang, &Utc::now());
        let mut n = self.base(level);
        n.summary(&title)
            .body(&body)
            .action("default", Msg::MenuOpen.text(lang));
        if !settings.sound {
            n.hint(Hint::SuppressSound(true));
        }
        match n.show_async().await {
            Ok(handle) => {
                let handle = Arc::new(handle);
                self.book
                    .lock()
                    .await
                    .open
                    .insert(Source::Quiet, handle.clone());
                self.follow(Source::Quiet, handle);
            }
            Err(e) => tracing::warn!("no notification server? {e}"),
        }
    }

    /// The file is fine again: its problem's popup goes.
    pub async fn config_fixed(&self) {
        if let Some(old) = self.book.lock().await.open.remove(&Source::Config) {
            old.close_async().await;
        }
    }

    /// Close every popup of ours that is still on screen (on Quit).
    pub async fn close_all(&self) {
        let mut book = self.book.lock().await;
        for (_, handle) in book.open.drain() {
            handle.close_async().await;
        }
    }
}
