//! Native notifications through notify-rust, on the transitions the user enabled, for the tray
//! app and `bbwatch watch --notify` alike. A popup lives as long as what it announced: when
//! that ends (paused or not) it is closed. Quiet hours hold popups back and one summary comes
//! when they end. A notification server that hangs delays popups, never the caller.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bbwatch_core::config::{Config, Notifications};
use bbwatch_core::engine::sink::Outlet;
use bbwatch_core::i18n::Msg;
use bbwatch_core::model::reason::Reason;
use bbwatch_core::present::alert::{self, Collapser, Source};
use bbwatch_core::present::render::{level_name, popup_body, popup_title, quiet_summary, sentence};
use bbwatch_core::{Event, EventKind, Lang, Level, Snapshot};
use chrono::{DateTime, Local, Timelike, Utc};
use notify_rust::{Notification, Timeout};
use tokio::sync::{mpsc, watch, Mutex};

use crate::popup::{self, Clicked, Picture, Popup};

/// What to do when the user clicks a popup, or one of its actions (the tray app opens its
/// window, or bitbank's announcements).
pub type OnClick = Arc<dyn Fn(&Source, Clicked) + Send + Sync>;

/// The level's picture for a popup (the tray app's icon, as image data; Linux only, see
/// [`Picture`]).
pub type LevelImage = Arc<dyn Fn(Level) -> Option<Picture> + Send + Sync>;

/// Another way to show a popup where the system's notifications fail (the tray app's icon
/// balloon on Windows: Wine has no toasts, and Windows drops those of an app not installed).
/// Given the popup's title and body, and its level (none for a problem of bbwatch's own).
pub type Fallback = Arc<
    dyn Fn(&str, &str, Option<Level>) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
        + Send
        + Sync,
>;

/// How a binary's notifications differ: what a click does, and the picture.
#[derive(Clone, Default)]
pub struct NotifierOptions {
    /// Called with what a clicked popup was about; without it, popups offer no action.
    pub on_click: Option<OnClick>,
    /// The level's picture; without it, the server's default.
    pub level_image: Option<LevelImage>,
    /// The app's id for the system: on Windows the AppUserModelID its installer registered,
    /// which gives a toast the app's name and icon (elsewhere unused).
    pub app_id: Option<&'static str>,
    /// Where a popup goes when the system's notifications fail.
    pub fallback: Option<Fallback>,
    /// Show every popup through [`fallback`](Self::fallback), never the system's
    /// notifications (they are known not to work here).
    pub fallback_only: bool,
}

/// What became of a popup.
enum Shown {
    /// The system shows it.
    Popup(Box<Popup>),
    /// The fallback showed it (it cannot be replaced or closed).
    Fallback,
    /// Nothing showed it (a warning is logged).
    Not,
}

/// How long the "checked" answer to Check now stays.
const CHECKED_SHOWN_MS: u32 = 4000;

/// A notification server that has not answered by then is not waited for.
const SERVER_TIMEOUT: Duration = Duration::from_secs(5);

/// Events held back by quiet hours, at most (the summary names the last few anyway).
const MAX_HELD: usize = 100;

/// How often to look whether quiet hours have ended (they are set to the minute).
pub const QUIET_CHECK: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Book {
    collapser: Collapser,
    /// Our popups still on screen, by what they are about.
    open: HashMap<Source, Arc<Popup>>,
    /// When we last showed an event's notification.
    last_shown: Option<DateTime<Utc>>,
    /// What quiet hours held back, told in one notification when they end.
    held: Vec<Event>,
}

/// Minutes after local midnight, now.
fn local_minute() -> u16 {
    let local = Local::now();
    u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0)
}

/// Show `n` through the system; a missing or hung notification server is a warning.
async fn show_system(n: &Notification) -> Result<Popup, String> {
    match tokio::time::timeout(SERVER_TIMEOUT, popup::send(n)).await {
        Ok(Ok(handle)) => Ok(handle),
        Ok(Err(e)) => Err(format!("no notification server? {e}")),
        Err(_) => Err("the notification server did not answer".into()),
    }
}

async fn close(handle: &Popup) {
    if tokio::time::timeout(SERVER_TIMEOUT, popup::close(handle))
        .await
        .is_err()
    {
        tracing::warn!("the notification server did not answer a close");
    }
}

/// The desktop notifications of one binary, following the settings in force.
pub struct Notifier {
    /// Which kinds, quiet hours, sound, language.
    settings: watch::Receiver<Config>,
    options: NotifierOptions,
    book: Arc<Mutex<Book>>,
}

impl Notifier {
    /// Notifications that follow `settings` (a change applies to the next one).
    pub fn new(settings: watch::Receiver<Config>, options: NotifierOptions) -> Notifier {
        Notifier {
            settings,
            options,
            book: Arc::default(),
        }
    }

    /// Start showing events as a sink; `paused` says whether the user paused notifications.
    /// Call inside a tokio runtime.
    pub fn start(self: Arc<Self>, paused: impl Fn() -> bool + Send + 'static) -> Outlet {
        Outlet::spawn("notifier", move |events| self.run(events, paused))
    }

    /// Notify about every event of `events` until its sender goes, and end quiet hours by the
    /// clock and when the settings change. `paused` says whether the user paused them. The
    /// binaries send each event once it is recorded in the history, so a popup never tells of
    /// an event a crash could lose; the channel never holds them up.
    pub async fn run(
        self: Arc<Self>,
        mut events: mpsc::UnboundedReceiver<Event>,
        paused: impl Fn() -> bool,
    ) {
        let mut settings = self.settings.clone();
        let mut tick = tokio::time::interval(QUIET_CHECK);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.event(&event, paused()).await,
                    None => return,
                },
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    self.quiet_hours_over().await;
                }
                _ = tick.tick() => self.quiet_hours_over().await,
            }
        }
    }

    /// The language in force now.
    pub fn lang(&self) -> Lang {
        self.now().1
    }

    /// The notification settings and the language in force now.
    fn now(&self) -> (Notifications, Lang) {
        let config = self.settings.borrow();
        (config.notifications.clone(), config.language.resolve())
    }

    /// Show `n` (about `level`), through the system or else the fallback; never a failure.
    async fn show(&self, n: &Notification, level: Option<Level>) -> Shown {
        let failed = if self.options.fallback_only {
            None
        } else {
            match show_system(n).await {
                Ok(popup) => return Shown::Popup(Box::new(popup)),
                Err(e) => Some(e),
            }
        };
        let Some(fallback) = &self.options.fallback else {
            let why = failed.as_deref().unwrap_or("no way to show it");
            tracing::warn!("{why}; notification skipped");
            return Shown::Not;
        };
        let (title, body) = (n.summary.clone(), n.body.clone());
        let fallback = fallback.clone();
        match tokio::task::spawn_blocking(move || fallback(&title, &body, level)).await {
            Ok(Ok(())) => Shown::Fallback,
            Ok(Err(e)) => {
                let before = failed.map(|f| format!("{f}; ")).unwrap_or_default();
                tracing::warn!("{before}cannot show it another way either: {e}");
                Shown::Not
            }
            Err(e) => {
                tracing::warn!("the notification thread failed: {e}");
                Shown::Not
            }
        }
    }

    /// A notification of ours: the level's picture, and "Open" where a click does something.
    fn base(&self, level: Option<Level>, lang: Lang, action: Msg) -> Notification {
        let mut n = popup::ours();
        if let Some(id) = self.options.app_id {
            popup::app_id(&mut n, id);
        }
        if let Some(image) = level.and_then(|l| self.options.level_image.as_ref()?(l)) {
            popup::add_picture(&mut n, image);
        }
        if self.options.on_click.is_some() {
            n.action(Clicked::Open.key(), action.text(lang));
        }
        n
    }

    /// Keep `handle` as the popup about `source` until it is closed, and act on its click.
    fn keep(&self, book: &mut Book, source: Source, handle: Popup) {
        let handle = Arc::new(handle);
        book.open.insert(source.clone(), handle.clone());
        let (on_click, book) = (self.options.on_click.clone(), self.book.clone());
        tokio::spawn(async move {
            let clicked = popup::clicked(&handle).await;
            if let (Some(clicked), Some(on_click)) = (clicked, &on_click) {
                on_click(&source, clicked);
            }
            if clicked == Some(Clicked::Announcements) {
                // Reading about it ends nothing: a server that keeps the popup (resident)
                // still has it closed when what it tells of ends.
                return;
            }
            let mut book = book.lock().await;
            if book.open.get(&source).map(|h| h.id()) == Some(handle.id()) {
                book.open.remove(&source);
            }
        });
    }

    /// Notify about `event` unless the settings, a pause or quiet hours say not to; close
    /// the popup of what it ends either way.
    pub async fn event(&self, event: &Event, paused: bool) {
        let source = Source::of(event);
        let (settings, lang) = self.now();
        let wanted = alert::wanted(event, &settings) && !paused;
        let quiet = alert::in_quiet_hours(settings.quiet_hours, local_minute());
        let shown = wanted && !quiet;
        let now = Utc::now();
        let mut book = self.book.lock().await;
        if wanted && quiet && book.held.len() < MAX_HELD {
            // The tray changes now; the popup and its sound wait for the end of quiet hours.
            book.held.push(event.clone());
        }
        if let Some(Reason::Unwatched {
            pairs,
            assets,
            key_removed,
        }) = &event.reason
        {
            // What the user stopped watching: its popups no longer say something true.
            let gone: Vec<Source> = book
                .open
                .keys()
                .filter(|s| match s {
                    Source::Pair(e, p) => *e == event.exchange && pairs.iter().any(|(q, _)| q == p),
                    Source::Asset(a, _) => *key_removed || assets.iter().any(|(b, _)| b == a),
                    _ => false,
                })
                .cloned()
                .collect();
            for source in gone {
                if let Some(old) = book.open.remove(&source) {
                    close(&old).await;
                }
            }
        }
        let replaces = if alert::ends_its_source(event) || !shown {
            if let Some(old) = book.open.remove(&source) {
                close(&old).await;
            }
            None
        } else {
            book.collapser.replaces(event, now)
        };
        if !shown {
            return;
        }
        let mut n = self.base(Some(event.level), lang, Msg::MenuOpen);
        n.summary(&popup_title(event, lang))
            .body(&sentence(&popup_body(event, lang)));
        if self.options.on_click.is_some()
            && event.kind == EventKind::MaintenanceStarted
            && event.exchange.is_bitbank()
        {
            // What bitbank says of it (and when it should end) is in its announcements; they
            // say nothing of another exchange's.
            n.action(
                Clicked::Announcements.key(),
                Msg::ActionAnnouncements.text(lang),
            );
        }
        popup::urgent(&mut n, alert::urgent(event));
        popup::sound(&mut n, settings.sound);
        if let Some(id) = replaces {
            popup::replace(&mut n, id);
        }
        match self.show(&n, Some(event.level)).await {
            Shown::Popup(handle) => {
                if settings.sound && !popup::server_plays_sound().await {
                    crate::sound::play();
                }
                book.collapser.shown(event, handle.id(), now);
                book.last_shown = Some(now);
                self.keep(&mut book, source, *handle);
            }
            Shown::Fallback => book.last_shown = Some(now),
            Shown::Not => {}
        }
    }

    /// Answer "Check now" asked for at `asked` (the tray menu is gone by then): what bitbank
    /// is, unless a notification about a change has said it since.
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
        let meaning = sentence(bbwatch_core::present::render::meaning(
            snapshot.level,
            snapshot.reason.as_ref(),
            lang,
        ));
        let mut n = self.base(Some(snapshot.level), lang, Msg::MenuOpen);
        n.summary(&format!("bitbank: {}", level_name(snapshot.level, lang)))
            .body(&Msg::CheckedBody.fill(lang, &[("time", &time), ("meaning", &meaning)]))
            .timeout(Timeout::Milliseconds(CHECKED_SHOWN_MS));
        popup::fleeting(&mut n);
        if let Some(old) = book.open.get(&Source::Check) {
            popup::replace(&mut n, old.id());
        }
        if let Shown::Popup(handle) = self.show(&n, Some(snapshot.level)).await {
            self.keep(&mut book, Source::Check, *handle);
        }
    }

    /// The configuration file could not be used: `problem` says it in the user's language
    /// (what is in force meanwhile, the file, each key at fault with its line).
    pub async fn config_problem(&self, problem: &str) {
        self.problem(Source::Config, Msg::ConfigProblemTitle, problem)
            .await;
    }

    /// The file is fine again: its problem's popup goes.
    pub async fn config_fixed(&self) {
        self.problem_gone(Source::Config).await;
    }

    /// The local API (switched on in the settings) cannot be served: say why (the address
    /// is taken, a token file cannot be read), and that bots cannot reach it.
    pub async fn api_problem(&self, problem: &str) {
        let lang = self.now().1;
        let body = format!("{}\n{problem}", Msg::ApiProblemBody.text(lang));
        self.problem(Source::Api, Msg::ApiProblemTitle, &body).await;
    }

    /// The history cannot be recorded (its file or lock file cannot be used): said once, with
    /// why; monitoring and the other sinks go on.
    pub async fn history_problem(&self, problem: &str) {
        let lang = self.now().1;
        let body = format!("{}\n{problem}", Msg::HistoryProblemBody.text(lang));
        self.problem(Source::History, Msg::HistoryProblemTitle, &body)
            .await;
    }

    /// The status window cannot be shown: the WebView2 runtime it needs is missing (Windows).
    /// Says what to install.
    pub async fn webview_missing(&self) {
        let lang = self.now().1;
        self.problem(
            Source::Window,
            Msg::WebViewMissingTitle,
            Msg::WebViewMissingBody.text(lang),
        )
        .await;
    }

    /// A channel to the phone (`name`) cannot deliver: why (`why`, in the language in force
    /// where bbwatch says it, as the network said it otherwise), and that the rest goes on. One popup per channel; clicking it opens the
    /// settings.
    pub async fn channel_problem(&self, name: &str, why: &str) {
        let lang = self.now().1;
        let (title, body) = crate::channels::problem_words(name, why, lang);
        self.problem_text(Source::Channel(name.to_owned()), &title, &body)
            .await;
    }

    /// The channel delivers again: its problem's popup goes.
    pub async fn channel_fixed(&self, name: &str) {
        self.problem_gone(Source::Channel(name.to_owned())).await;
    }

    /// The local API is served again (or switched off): its problem's popup goes.
    pub async fn api_fixed(&self) {
        self.problem_gone(Source::Api).await;
    }

    /// One popup per kind of problem, replaced by the next of its kind; clicking it opens the
    /// settings.
    async fn problem(&self, source: Source, title: Msg, body: &str) {
        let lang = self.now().1;
        self.problem_text(source, title.text(lang), body).await;
    }

    async fn problem_text(&self, source: Source, title: &str, body: &str) {
        let lang = self.now().1;
        let mut n = self.base(None, lang, Msg::MenuSettings);
        n.icon("dialog-warning").summary(title).body(body);
        let mut book = self.book.lock().await;
        if let Some(old) = book.open.get(&source) {
            popup::replace(&mut n, old.id());
        }
        if let Shown::Popup(handle) = self.show(&n, None).await {
            self.keep(&mut book, source, *handle);
        }
    }

    async fn problem_gone(&self, source: Source) {
        let old = self.book.lock().await.open.remove(&source);
        if let Some(old) = old {
            close(&old).await;
        }
    }

    /// Once quiet hours are over (or no longer set): one notification that says what they held
    /// back.
    pub async fn quiet_hours_over(&self) {
        let (settings, lang) = self.now();
        if alert::in_quiet_hours(settings.quiet_hours, local_minute()) {
            return;
        }
        let mut book = self.book.lock().await;
        let held = std::mem::take(&mut book.held);
        if held.is_empty() {
            return;
        }
        let level = held.last().map_or(Level::Unknown, |e| e.level);
        let (title, body) = quiet_summary(&held, lang, &Utc::now());
        let mut n = self.base(Some(level), lang, Msg::MenuOpen);
        n.summary(&title).body(&body);
        if !settings.sound {
            popup::sound(&mut n, false);
        }
        if let Shown::Popup(handle) = self.show(&n, Some(level)).await {
            self.keep(&mut book, Source::Quiet, *handle);
        }
    }

    /// Close every popup of ours that is still on screen (on Quit).
    pub async fn close_all(&self) {
        let open: Vec<_> = self.book.lock().await.open.drain().collect();
        for (_, handle) in open {
            close(&handle).await;
        }
    }
}
