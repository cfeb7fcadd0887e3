//! What the tray process keeps between events: the monitor's handle, the language, the settings,
//! the latest events for a window that opens later, and whether notifications are paused.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};

use bbwatch_core::bitbank::credentials::Credentials;
use bbwatch_core::config::Config;
use bbwatch_core::present::settings_form::{
    base_from_file_text, describe_file_problem, SettingsForm,
};
use bbwatch_core::runtime::settings::{FileWatch, Settings};
use bbwatch_core::{Event, Lang, MonitorHandle};
use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, watch, Notify};

use crate::history::Store;
use crate::ipc::messages::{
    EventView, FileSeen, HistoryProblem, KeyInfo, SettingsInfo, StatusView, ToWindow,
};
use crate::pause::Pause;
use crate::secrets::SecretsError;
use crate::view::{event_view, exchange_views, status_view};

/// How many events a newly opened window is given.
pub const RECENT_EVENTS: usize = 100;

/// The latest events (the tray keeps them typed, to say them in any language; the window their
/// views), oldest first, at most [`RECENT_EVENTS`].
#[derive(Debug)]
pub struct RecentEvents<T = EventView>(VecDeque<T>);

impl<T> Default for RecentEvents<T> {
    fn default() -> Self {
        RecentEvents(VecDeque::new())
    }
}

impl<T: Clone> RecentEvents<T> {
    pub fn push(&mut self, item: T) {
        if self.0.len() == RECENT_EVENTS {
            self.0.pop_front();
        }
        self.0.push_back(item);
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.0.iter().cloned().collect()
    }
}

impl<T: Clone> From<Vec<T>> for RecentEvents<T> {
    fn from(events: Vec<T>) -> Self {
        let mut recent = RecentEvents::default();
        for e in events {
            recent.push(e);
        }
        recent
    }
}

/// Shared by the tray, the commands and the subscriber tasks.
pub struct Shared {
    pub monitor: MonitorHandle,
    /// The settings in force (the file, followed while the app runs, and the environment).
    pub settings: Arc<Settings>,
    /// Following the file; stops with the app.
    pub following: Mutex<Option<FileWatch>>,
    /// The history file, where each event is recorded before it is shown.
    pub history_path: Option<PathBuf>,
    pub history_problem: Option<HistoryProblem>,
    pub shutdown: Arc<Notify>,
    /// Asked for from the tray's menu; main quits.
    pub quit: Notify,
    /// What the window process is sent.
    pub ui: broadcast::Sender<ToWindow>,
    /// Whether a window process this app started is running (or starting).
    pub window_alive: AtomicBool,
    /// Window processes connected now (however they were started).
    pub windows_connected: AtomicUsize,
    recent: Mutex<RecentEvents<Event>>,
    pause: Mutex<Pause>,
    /// When "Check now" was chosen in the tray menu, until its answer is shown.
    check_asked: Mutex<Option<DateTime<Utc>>>,
    /// The API key the monitor uses (from the keyring at start, then the window's).
    pub credentials: watch::Sender<Option<Credentials>>,
    /// Why the keyring could not be used, the last time it was asked.
    pub keyring_problem: Mutex<Option<SecretsError>>,
    /// When this run began (before the monitor's first poll).
    pub started_at: DateTime<Utc>,
    /// The very first start, until the window's welcome was read.
    pub welcome: AtomicBool,
    /// The channels (by name) whose secret is in the keyring, as last looked
    /// (`channel_secrets::refresh`, and each change the window asks for).
    pub channel_secrets: Mutex<BTreeSet<String>>,
}

/// A poisoned lock only means another thread panicked mid-update of plain data: keep going.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn new(
        monitor: MonitorHandle,
        settings: Arc<Settings>,
        store: Store,
        credentials: watch::Sender<Option<Credentials>>,
        keyring_problem: Option<SecretsError>,
        started_at: DateTime<Utc>,
        first_run: bool,
    ) -> Shared {
        Shared {
            monitor,
            settings,
            following: Mutex::new(None),
            history_path: store.path,
            history_problem: store.problem,
            shutdown: Arc::new(Notify::new()),
            quit: Notify::new(),
            ui: broadcast::channel(64).0,
            window_alive: AtomicBool::new(false),
            windows_connected: AtomicUsize::new(0),
            recent: Mutex::new(RecentEvents::default()),
            pause: Mutex::new(Pause::Off),
            check_asked: Mutex::new(None),
            credentials,
            keyring_problem: Mutex::new(keyring_problem),
            started_at,
            welcome: AtomicBool::new(first_run),
            channel_secrets: Mutex::new(BTreeSet::new()),
        }
    }

    /// What the settings window shows of the key: its start, and a keyring that cannot be used.
    pub fn key_info(&self) -> KeyInfo {
        let lang = self.lang();
        KeyInfo {
            stored: self
                .credentials
                .borrow()
                .as_ref()
                .map(crate::secrets::shown_key),
            keyring_problem: lock(&self.keyring_problem).as_ref().map(|e| {
                bbwatch_core::i18n::Msg::KeyringUnavailable.fill(lang, &[("error", e.detail())])
            }),
        }
    }

    /// The settings in force now.
    pub fn config(&self) -> Config {
        self.settings.current()
    }

    /// The language of everything the app says, from the settings in force.
    pub fn lang(&self) -> Lang {
        self.settings.subscribe().borrow().language.resolve()
    }

    /// The configuration file.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.settings.path().map(ToOwned::to_owned)
    }

    /// Why the configuration file is not in force, in the user's language (what is in force
    /// meanwhile, the file, each key with its line), and whether the settings form can mend it.
    pub fn config_problem(&self) -> Option<(String, bool)> {
        let lang = self.lang();
        if let Some(problem) = self.settings.problems().borrow().as_ref() {
            return Some(problem.describe(lang));
        }
        // Names bitbank does not list are bad values too, found only once it answered.
        let unlisted = self.monitor.snapshot().borrow().unlisted.clone();
        if unlisted.is_empty() {
            return None;
        }
        let path = self.config_path();
        let text = path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines = bbwatch_core::present::settings_form::describe_unlisted(
            &text,
            bbwatch_core::Exchange::Bitbank,
            &unlisted,
            lang,
        );
        let file = path.map(|p| p.display().to_string());
        Some((
            file.into_iter().chain(lines).collect::<Vec<_>>().join("\n"),
            true,
        ))
    }

    /// Remember that the tray menu asked for a check at `at`, to answer it when it is done.
    pub fn request_check_feedback(&self, at: DateTime<Utc>) {
        *lock(&self.check_asked) = Some(at);
    }

    /// When the check was asked for, if a poll at `checked_at` answers it.
    pub fn take_check_feedback(&self, checked_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let mut asked = lock(&self.check_asked);
        let answered = matches!((*asked, checked_at), (Some(a), Some(c)) if c >= a);
        if answered {
            asked.take()
        } else {
            None
        }
    }

    pub fn push_event(&self, event: Event) {
        lock(&self.recent).push(event);
    }

    /// The latest events, said in the language in force now.
    pub fn recent_events(&self) -> Vec<EventView> {
        let lang = self.lang();
        let events = lock(&self.recent).to_vec();
        events.iter().map(|e| event_view(e, lang)).collect()
    }

    pub fn pause(&self) -> Pause {
        *lock(&self.pause)
    }

    pub fn set_pause(&self, pause: Pause) {
        *lock(&self.pause) = pause;
    }

    pub fn paused_now(&self) -> bool {
        self.pause().active(Utc::now())
    }

    /// What the settings section shows, from the settings in force.
    pub fn settings_info(&self) -> SettingsInfo {
        let config = self.config();
        let problem = self.config_problem();
        SettingsInfo {
            config_path: self.config_path().map(|p| p.display().to_string()),
            interval_secs: config.interval.0.as_secs(),
            pairs: config
                .pairs
                .as_ref()
                .map(|p| p.iter().map(ToString::to_string).collect()),
            language: config.language,
            config_problem_in_form: problem.as_ref().is_some_and(|(_, in_form)| *in_form),
            config_problem: problem.map(|(text, _)| text),
            history_path: self.history_path.as_ref().map(|p| p.display().to_string()),
            history_problem: self.history_problem.clone(),
            api_key: self.key_info(),
            welcome: self.welcome.load(std::sync::atomic::Ordering::SeqCst),
            file: Some(Box::new(self.file_seen(config))),
            channel_secrets: lock(&self.channel_secrets).iter().cloned().collect(),
        }
    }

    /// The file as last read, for the window's form, with the settings in force.
    fn file_seen(&self, in_force: Config) -> FileSeen {
        let text = self.settings.file_text();
        FileSeen {
            form: SettingsForm::from_file_text(&text),
            base: base_from_file_text(&text),
            problem: Config::from_toml(&text)
                .err()
                .map(|e| describe_file_problem(&text, &e, self.lang())),
            in_force,
        }
    }

    /// What the window shows now: bitbank's status and the other exchanges' cards.
    pub fn status_view(&self) -> StatusView {
        let snapshot = self.monitor.snapshot().borrow().clone();
        let others = crate::tray::view::others(&self.monitor.exchanges().borrow());
        let lang = self.lang();
        StatusView {
            exchanges: exchange_views(&others, lang),
            ..status_view(&snapshot, lang, self.pause())
        }
    }

    /// Send the current status to the window, if one is open.
    pub fn publish_status(&self) {
        let view = self.status_view();
        // No window, no receiver: nothing to do.
        let _ = self.ui.send(ToWindow::Status { view });
    }
}
