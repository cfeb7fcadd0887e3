//! `bbwatch-desktop --window`: the status window's own process. It connects to the tray
//! process, shows what it is sent, and exits when the window closes (or the tray quits).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use bbwatch_core::bitbank::client::{Client, DEFAULT_API_URL, DEFAULT_PUBLIC_URL};
use bbwatch_core::config::file as config_file;
use bbwatch_core::i18n::{catalogue, Msg};
use bbwatch_core::model::url::check_url;
use bbwatch_core::present::alert::next_time_of_day;
use bbwatch_core::present::render;
use bbwatch_core::present::settings_form::{
    parse_time_of_day, ChannelForm, SettingsForm, ShownIssue,
};
use bbwatch_core::{Lang, PairState};
use bbwatch_history::{Filter, PeriodKind};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_opener::OpenerExt as _;

use crate::history::{self, HistoryPayload};
use crate::ipc::messages::{
    self, ChannelTest, EventView, FileSeen, HistoryProblem, KeyInfo, KeyPair, SecretChange,
    Section, SettingsInfo, StatusView, ToTray, ToWindow,
};
use crate::ipc::{self, Link};
use crate::state::{lock, RecentEvents};
use crate::tray::ANNOUNCEMENTS_URL;

const LABEL: &str = "status";

/// What the window knows, kept current from the tray's messages.
struct Window {
    /// Follows the settings in force (a Status in another language changes it).
    lang: Mutex<Lang>,
    view: Mutex<StatusView>,
    events: Mutex<RecentEvents>,
    settings: Mutex<SettingsInfo>,
    to_tray: Mutex<Link>,
    /// The settings form has changes not saved: closing the window asks first.
    dirty: AtomicBool,
    /// Key requests sent to the tray, waiting for its answer.
    pending: Mutex<HashMap<u64, tokio::sync::oneshot::Sender<KeyAnswer>>>,
    /// Requests to read the file again, waiting for the tray's answer.
    reloads: Mutex<HashMap<u64, tokio::sync::oneshot::Sender<()>>>,
    next_id: AtomicU64,
}

/// The tray's answer to a key request: whether it went as asked, and what to show.
#[derive(Clone, Debug, Serialize)]
pub struct KeyAnswer {
    ok: bool,
    text: String,
}

/// How long a key request may take: bitbank's answer (within the timeout) or the keyring.
const KEY_ANSWER_WAIT: Duration = Duration::from_secs(60);
/// How long the tray may take to read the file again.
const RELOAD_WAIT: Duration = Duration::from_secs(10);

impl Window {
    /// The language now (the lock is let go at once, so two uses in one expression are fine).
    fn lang(&self) -> Lang {
        *lock(&self.lang)
    }

    fn tell_tray(&self, request: &ToTray) -> Result<(), CommandError> {
        lock(&self.to_tray)
            .write_all(messages::line(request).as_bytes())
            .map_err(|e| CommandError::new("tray", e))
    }
}

/// An error the UI can show: `{ "kind": "autostart", "message": "…" }`.
#[derive(Debug, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CommandError {
    kind: &'static str,
    message: String,
}

impl CommandError {
    fn new(kind: &'static str, e: impl std::fmt::Display) -> CommandError {
        CommandError {
            kind,
            message: e.to_string(),
        }
    }
}

#[derive(Serialize)]
pub struct StatusPayload {
    messages: BTreeMap<&'static str, &'static str>,
    view: StatusView,
    events: Vec<EventView>,
    /// Why the configuration file is not in force, if it is not.
    config_problem: Option<String>,
    /// Whether the settings form can mend it (else: open the file).
    config_problem_in_form: bool,
    /// The very first start: welcome the user (once).
    welcome: bool,
}

#[tauri::command]
fn get_status(w: State<'_, Arc<Window>>) -> StatusPayload {
    // One lock at a time: a guard in the struct expression below lives to its end.
    let (config_problem, config_problem_in_form, welcome) = {
        let s = lock(&w.settings);
        (
            s.config_problem.clone(),
            s.config_problem_in_form,
            s.welcome,
        )
    };
    StatusPayload {
        messages: catalogue(w.lang()),
        view: lock(&w.view).clone(),
        events: lock(&w.events).to_vec(),
        config_problem,
        config_problem_in_form,
        welcome,
    }
}

/// The welcome was read (closed, or one of its settings chosen): no window shows it again.
#[tauri::command]
fn welcome_seen(w: State<'_, Arc<Window>>) -> Result<(), CommandError> {
    lock(&w.settings).welcome = false;
    w.tell_tray(&ToTray::WelcomeSeen)
}

#[tauri::command]
fn check_now(w: State<'_, Arc<Window>>) -> Result<(), CommandError> {
    w.tell_tray(&ToTray::CheckNow)
}

/// "Pause until": `until` is a local time of day (`"18:30"`, the next time the clock shows it);
/// none resumes. A time that is not one comes back as the field's error, in the window's
/// language.
#[tauri::command]
fn pause_notifications(
    w: State<'_, Arc<Window>>,
    until: Option<String>,
) -> Result<(), CommandError> {
    let request = match until {
        Some(text) => {
            let minute = parse_time_of_day(&text)
                .map_err(|e| CommandError::new("pause_until", e.message(w.lang())))?;
            ToTray::Pause {
                until: Some(next_time_of_day(minute, &chrono::Local::now())),
            }
        }
        None => ToTray::Resume,
    };
    w.tell_tray(&request)
}

/// Send a key request to the tray (which holds the key and the keyring) and wait for its answer.
async fn key_request(
    w: &Window,
    request: impl FnOnce(u64) -> ToTray,
) -> Result<KeyAnswer, CommandError> {
    let id = w.next_id.fetch_add(1, Ordering::SeqCst);
    let (tx, rx) = tokio::sync::oneshot::channel();
    lock(&w.pending).insert(id, tx);
    if let Err(e) = w.tell_tray(&request(id)) {
        lock(&w.pending).remove(&id);
        return Err(e);
    }
    match tokio::time::timeout(KEY_ANSWER_WAIT, rx).await {
        Ok(Ok(answer)) => Ok(answer),
        _ => {
            lock(&w.pending).remove(&id);
            Err(CommandError::new("tray", "the tray app did not answer"))
        }
    }
}

/// "Test": one signed request with the typed key, made by the tray; the verdict's words.
#[tauri::command]
async fn test_key(
    key: String,
    secret: String,
    w: State<'_, Arc<Window>>,
) -> Result<KeyAnswer, CommandError> {
    let pair = KeyPair { key, secret };
    key_request(&w, |id| ToTray::TestKey { id, pair }).await
}

/// "Save key": the tray stores it in the keyring and the monitor starts using it.
#[tauri::command]
async fn save_key(
    key: String,
    secret: String,
    w: State<'_, Arc<Window>>,
) -> Result<KeyAnswer, CommandError> {
    let pair = KeyPair { key, secret };
    key_request(&w, |id| ToTray::SaveKey { id, pair }).await
}

/// "Remove key": out of the keyring and out of the monitor.
#[tauri::command]
async fn remove_key(w: State<'_, Arc<Window>>) -> Result<KeyAnswer, CommandError> {
    key_request(&w, |id| ToTray::RemoveKey { id }).await
}

/// "Send a test" of the `index`-th channel of `form` as it is now, with the secret typed
/// (none: the stored one). Sent by the tray, which holds the keyring; a channel the form finds
/// wrong is not sent (its fields say why).
#[tauri::command]
async fn test_channel(
    form: SettingsForm,
    index: usize,
    secret: Option<String>,
    w: State<'_, Arc<Window>>,
) -> Result<KeyAnswer, CommandError> {
    let lang = w.lang();
    let Some(entry) = form.channels.get(index) else {
        return Err(CommandError::new("channel", "no such channel"));
    };
    let names: Vec<&str> = form.channels[..index].iter().map(ChannelForm::id).collect();
    let channel = entry.to_channel(index, &names).map_err(|issues| {
        let shown: Vec<String> = issues.iter().map(|i| i.error.message(lang)).collect();
        CommandError::new("invalid", shown.join("; "))
    })?;
    let test = Box::new(ChannelTest {
        channel,
        secret: secret.filter(|s| !s.trim().is_empty()),
        stored_as: entry.stored_as.clone(),
    });
    key_request(&w, |id| ToTray::TestChannel { id, test }).await
}

/// The keyring changes that saving `form` makes, with `secrets` typed (one per channel,
/// none where nothing was typed) over the file's `before` channel names: secrets of channels
/// gone are deleted, those of renamed ones move, those typed are stored.
fn secret_changes(
    before: &[String],
    form: &SettingsForm,
    secrets: &[Option<String>],
) -> Vec<SecretChange> {
    let kept: Vec<&str> = form
        .channels
        .iter()
        .filter_map(|c| c.stored_as.as_deref())
        .collect();
    let mut changes: Vec<SecretChange> = before
        .iter()
        .filter(|name| !kept.contains(&name.as_str()))
        .map(|name| SecretChange::Delete { name: name.clone() })
        .collect();
    for (i, c) in form.channels.iter().enumerate() {
        let typed = secrets
            .get(i)
            .cloned()
            .flatten()
            .filter(|s| !s.trim().is_empty());
        match (typed, c.stored_as.as_deref()) {
            (Some(secret), _) => {
                if let Some(old) = c.stored_as.as_deref().filter(|old| *old != c.id()) {
                    changes.push(SecretChange::Delete {
                        name: old.to_owned(),
                    });
                }
                changes.push(SecretChange::Store {
                    name: c.id().to_owned(),
                    secret,
                });
            }
            (None, Some(old)) if old != c.id() => changes.push(SecretChange::Rename {
                from: old.to_owned(),
                to: c.id().to_owned(),
            }),
            (None, _) => {}
        }
    }
    changes
}

/// bitbank's page where API keys are made.
const API_KEY_URL: &str = "https://app.bitbank.cc/account/api";
/// bitbank's API documentation, linked from the About section.
const API_DOCS_URL: &str = "https://github.com/bitbankinc/bitbank-api-docs";

/// One of bitbank's pages, in the user's browser. Each page is a command of its own, so that
/// the window can open only these addresses, never one it was handed.
fn open_page(app: &AppHandle, url: &str) -> Result<(), CommandError> {
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| CommandError::new("open", e))
}

#[tauri::command]
fn open_api_key_page(app: AppHandle) -> Result<(), CommandError> {
    open_page(&app, API_KEY_URL)
}

#[tauri::command]
fn open_api_docs(app: AppHandle) -> Result<(), CommandError> {
    open_page(&app, API_DOCS_URL)
}

#[tauri::command]
fn open_announcements(app: AppHandle) -> Result<(), CommandError> {
    open_page(&app, ANNOUNCEMENTS_URL)
}

#[derive(Serialize)]
struct SettingsView {
    #[serde(flatten)]
    info: SettingsInfo,
    autostart: bool,
}

#[cfg(target_os = "linux")]
fn autostart_enabled(_app: &AppHandle) -> Result<bool, CommandError> {
    crate::autostart::is_enabled().map_err(|e| CommandError::new("autostart", e))
}

#[cfg(not(target_os = "linux"))]
fn autostart_enabled(app: &AppHandle) -> Result<bool, CommandError> {
    app.autolaunch()
        .is_enabled()
        .map_err(|e| CommandError::new("autostart", e))
}

#[tauri::command]
fn get_settings(app: AppHandle, w: State<'_, Arc<Window>>) -> Result<SettingsView, CommandError> {
    Ok(SettingsView {
        info: lock(&w.settings).clone(),
        autostart: autostart_enabled(&app)?,
    })
}

#[cfg(target_os = "linux")]
#[tauri::command]
fn set_autostart(enabled: bool) -> Result<(), CommandError> {
    let result = if enabled {
        crate::autostart::enable()
    } else {
        crate::autostart::disable()
    };
    result.map_err(|e| CommandError::new("autostart", e))
}

#[cfg(not(target_os = "linux"))]
#[tauri::command]
fn set_autostart(app: AppHandle, enabled: bool) -> Result<(), CommandError> {
    let launcher = app.autolaunch();
    let result = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| CommandError::new("autostart", e))
}

/// Open the configuration file in the user's editor; a file not written yet is made first
/// (a comment only, mode 0600), so there is something to open.
#[tauri::command]
fn open_config_file(app: AppHandle, w: State<'_, Arc<Window>>) -> Result<(), CommandError> {
    let Some(path) = lock(&w.settings)
        .config_path
        .as_deref()
        .map(std::path::PathBuf::from)
    else {
        return Err(CommandError::new("config", "no configuration directory"));
    };
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CommandError::new("config", e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .map_err(|e| CommandError::new("config", e))?;
        file.write_all(b"# bbwatch settings: see the README for every key.\n")
            .map_err(|e| CommandError::new("config", e))?;
    }
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| CommandError::new("open", e))
}

/// The settings form as the window opens it: what the file says now (read afresh: the file is
/// the source of truth), each field's problem, and why the file is not in force, if it is not.
#[derive(Serialize)]
struct FormState {
    form: SettingsForm,
    issues: Vec<ShownIssue>,
    config_path: Option<String>,
    /// The file's own problem (with its key or line), when it cannot be used as it is.
    problem: Option<String>,
    /// Whether the form has a field for each of its problems.
    problem_in_form: bool,
    autostart: bool,
    /// The API key stored (its start only) and whether the keyring can be used.
    api_key: KeyInfo,
    /// The channels (by name) whose secret is in the keyring.
    channel_secrets: Vec<String>,
    default_api_url: &'static str,
    default_public_url: &'static str,
    default_stream_url: &'static str,
    /// The hosts the environment sets, which the tray uses instead of the file's.
    env_urls: Vec<EnvUrl>,
    about: About,
}

/// A host set by the environment: in use, whatever the file says.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct EnvUrl {
    /// The form's field: `api_url`, `public_url` or `stream_url`.
    field: &'static str,
    var: &'static str,
    url: String,
}

/// The hosts `BBWATCH_API_URL` / `BBWATCH_PUBLIC_URL` / `BBWATCH_STREAM_URL` set, checked as
/// the tray checks them (a wrong one is ignored there, so it is not shown as in use here).
fn env_urls(var: impl Fn(&str) -> Option<String>) -> Vec<EnvUrl> {
    [
        ("api_url", "BBWATCH_API_URL"),
        ("public_url", "BBWATCH_PUBLIC_URL"),
        ("stream_url", "BBWATCH_STREAM_URL"),
    ]
    .into_iter()
    .filter_map(|(field, name)| {
        let url = var(name)?;
        let ok = if field == "stream_url" {
            bbwatch_core::model::url::check_stream_url(&url).is_ok()
        } else {
            check_url(&url).is_ok()
        };
        ok.then_some(EnvUrl {
            field,
            var: name,
            url,
        })
    })
    .collect()
}

/// The About section: this build's version and licence, the workspace's (one version for the
/// packages, `bbwatch --version` and this window).
#[derive(Serialize)]
struct About {
    version: &'static str,
    licence: &'static str,
}

const ABOUT: About = About {
    version: env!("CARGO_PKG_VERSION"),
    licence: env!("CARGO_PKG_LICENSE"),
};

fn config_path(w: &Window) -> Result<PathBuf, CommandError> {
    lock(&w.settings)
        .config_path
        .as_deref()
        .map(PathBuf::from)
        .ok_or_else(|| CommandError::new("config", "no configuration directory"))
}

/// Ask the tray to read the file again now, and wait for the settings it then has.
async fn reload(w: &Window) -> Result<(), CommandError> {
    let id = w.next_id.fetch_add(1, Ordering::SeqCst);
    let (tx, rx) = tokio::sync::oneshot::channel();
    lock(&w.reloads).insert(id, tx);
    if let Err(e) = w.tell_tray(&ToTray::Reload { id }) {
        lock(&w.reloads).remove(&id);
        return Err(e);
    }
    match tokio::time::timeout(RELOAD_WAIT, rx).await {
        Ok(Ok(())) => Ok(()),
        _ => {
            lock(&w.reloads).remove(&id);
            Err(CommandError::new("tray", "the tray app did not answer"))
        }
    }
}

/// The file as the tray last read it.
fn file_seen(w: &Window) -> Result<FileSeen, CommandError> {
    lock(&w.settings)
        .file
        .as_deref()
        .cloned()
        .ok_or_else(|| CommandError::new("tray", "the tray app did not say the settings"))
}

fn form_state(app: &AppHandle, w: &Window) -> Result<FormState, CommandError> {
    let info = lock(&w.settings).clone();
    let seen = file_seen(w)?;
    let lang = w.lang();
    // What is in force meanwhile, as the tray says; a file that went bad since it last read
    // it leaves the tray's last good settings in force.
    let in_force = info
        .config_problem
        .as_deref()
        .and_then(|p| p.lines().next().map(str::to_owned))
        .unwrap_or_else(|| Msg::ConfigProblemKept.text(lang).to_owned());
    let problem_in_form = seen.problem.as_ref().is_some_and(|d| d.in_form);
    let problem = seen.problem.map(|d| {
        [in_force]
            .into_iter()
            .chain(info.config_path.clone())
            .chain(d.lines)
            .collect::<Vec<_>>()
            .join("\n")
    });
    // A file the form reads well may still not be all in force (its hooks set aside, as
    // others can change it): as the tray says, and not for the form to mend.
    let problem = problem.or(info.config_problem);
    Ok(FormState {
        issues: seen.form.issues().iter().map(|i| i.shown(lang)).collect(),
        form: seen.form,
        config_path: info.config_path,
        problem,
        problem_in_form,
        autostart: autostart_enabled(app)?,
        api_key: info.api_key,
        channel_secrets: info.channel_secrets,
        default_api_url: DEFAULT_API_URL,
        default_public_url: DEFAULT_PUBLIC_URL,
        default_stream_url: bbwatch_core::bitbank::stream::DEFAULT_STREAM_URL,
        env_urls: env_urls(|v| std::env::var(v).ok()),
        about: ABOUT,
    })
}

/// The settings form, from the file as the tray read it.
#[tauri::command]
fn load_settings(app: AppHandle, w: State<'_, Arc<Window>>) -> Result<FormState, CommandError> {
    form_state(&app, &w)
}

/// The form's problems, field by field, in the window's language (asked as the user types).
#[tauri::command]
fn validate_settings(form: SettingsForm, w: State<'_, Arc<Window>>) -> Vec<ShownIssue> {
    let base = file_seen(&w).map(|f| f.base).unwrap_or_default();
    match form.apply(&base) {
        Ok(_) => Vec::new(),
        Err(issues) => issues.iter().map(|i| i.shown(w.lang())).collect(),
    }
}

/// Write the form to the file (atomically, keeping what the user wrote there), then have the
/// tray read it and answer what it now says. The tray reads it first too, so the form is laid
/// over the file as it is now. Nothing is written while a field is wrong.
///
/// The channels' secrets typed (`secrets`, one per channel of the form, none where nothing was
/// typed) go to the keyring once the file is written, by the tray; those of channels removed
/// are deleted, those of channels renamed move with them.
#[tauri::command]
async fn save_settings(
    form: SettingsForm,
    secrets: Option<Vec<Option<String>>>,
    app: AppHandle,
    w: State<'_, Arc<Window>>,
) -> Result<FormState, CommandError> {
    let path = config_path(&w)?;
    reload(&w).await?;
    let seen = file_seen(&w)?;
    let config = form.apply(&seen.base).map_err(|issues| {
        let shown: Vec<String> = issues.iter().map(|i| i.error.message(w.lang())).collect();
        CommandError::new("invalid", shown.join("; "))
    })?;
    let before: Vec<String> = seen
        .form
        .channels
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    let changes = secret_changes(&before, &form, &secrets.unwrap_or_default());
    config_file::save(&path, &config).map_err(|e| CommandError::new("save", e))?;
    w.dirty.store(false, Ordering::SeqCst);
    let mut failed = None;
    for change in changes {
        let answer = key_request(&w, |id| ToTray::ChannelSecret { id, change }).await?;
        if !answer.ok {
            failed = Some(answer.text);
        }
    }
    reload(&w).await?;
    match failed {
        // The file is saved; the secret is not: said, and the form shows the file.
        Some(why) => Err(CommandError::new("keyring", why)),
        None => form_state(&app, &w),
    }
}

/// The form has (or no longer has) changes that are not saved.
#[tauri::command]
fn set_dirty(dirty: bool, w: State<'_, Arc<Window>>) {
    w.dirty.store(dirty, Ordering::SeqCst);
}

/// A pair as the settings list shows it.
#[derive(Serialize)]
struct PairChoice {
    name: String,
    /// Trades freely now (what the default watch list takes).
    tradable: bool,
    /// Why it does not, in the window's language.
    why: Option<String>,
}

/// The hosts to ask: the tray's, in force (the file's or bitbank's, with the environment's
/// `BBWATCH_API_URL` / `BBWATCH_PUBLIC_URL` over them).
fn endpoints(w: &Window) -> (bbwatch_core::bitbank::client::Endpoints, Duration) {
    let config = file_seen(w).map(|f| f.in_force).unwrap_or_default();
    (config.endpoints(), config.timeout.0)
}

/// bitbank's pairs (`spot/pairs` with `spot/status`), asked once when the pairs are shown.
#[tauri::command]
async fn get_pairs(w: State<'_, Arc<Window>>) -> Result<Vec<PairChoice>, CommandError> {
    let (endpoints, timeout) = endpoints(&w);
    let client = Client::new(endpoints, timeout).map_err(|e| CommandError::new("pairs", e))?;
    let (pairs, status) = tokio::join!(client.spot_pairs(), client.spot_status());
    let pairs =
        pairs.map_err(|e| CommandError::new("pairs", render::failure_text(&e, w.lang())))?;
    let status: HashMap<String, _> = status
        .map(|s| s.into_iter().map(|e| (e.pair.clone(), e.status)).collect())
        .unwrap_or_default();
    Ok(pairs
        .iter()
        .map(|info| {
            let state = bbwatch_core::bitbank::classify::pair_state(
                status.get(&info.name),
                Some(info),
                None,
                None,
            );
            let stopped = matches!(state, PairState::Halted | PairState::Suspended { .. });
            PairChoice {
                name: info.name.clone(),
                tradable: info.is_tradable() && !stopped,
                why: stopped.then(|| render::pair_state_detail(&state, w.lang())),
            }
        })
        .collect())
}

/// The History view: the file the tray records to, read afresh (the tray keeps writing it).
#[tauri::command]
async fn get_history(w: State<'_, Arc<Window>>) -> Result<HistoryPayload, CommandError> {
    let lang = w.lang();
    let (path, problem) = {
        let s = lock(&w.settings);
        (s.history_path.clone(), s.history_problem.clone())
    };
    let problem_text = problem.as_ref().map(|p| p.text(lang));
    let Some(path) = path.filter(|_| problem != Some(HistoryProblem::Off)) else {
        return Ok(history::view(
            &[],
            false,
            problem_text,
            lang,
            &chrono::Local::now(),
        ));
    };
    let read = tokio::task::spawn_blocking(move || history::read_view_data(Path::new(&path)))
        .await
        .map_err(|e| CommandError::new("history", e))?;
    match read {
        Ok((periods, has_data)) => Ok(history::view(
            &periods,
            has_data,
            problem_text,
            lang,
            &chrono::Local::now(),
        )),
        // Unreadable now (locked for long, gone): said in the view, with nothing to list.
        Err(e) => {
            let problem = HistoryProblem::Unusable {
                error: e.to_string(),
            };
            Ok(history::view(
                &[],
                false,
                Some(problem.text(lang)),
                lang,
                &chrono::Local::now(),
            ))
        }
    }
}

/// "Export CSV": the periods the filters select, to the download directory. Returns the file.
#[tauri::command]
async fn export_history_csv(
    w: State<'_, Arc<Window>>,
    kind: Option<String>,
    pair: Option<String>,
) -> Result<String, CommandError> {
    let lang = w.lang();
    let path = lock(&w.settings)
        .history_path
        .clone()
        .ok_or_else(|| CommandError::new("history", HistoryProblem::Off.text(lang)))?;
    let kinds = match kind {
        Some(k) => vec![k
            .parse::<PeriodKind>()
            .map_err(|e| CommandError::new("history", e))?],
        None => Vec::new(),
    };
    let filter = Filter {
        kinds,
        pair,
        ..Filter::default()
    };
    tokio::task::spawn_blocking(move || {
        history::export_csv(
            Path::new(&path),
            &filter,
            &history::downloads_dir(),
            lang,
            &chrono::Local::now(),
        )
    })
    .await
    .map_err(|e| CommandError::new("export", e))?
    .map(|to| to.display().to_string())
    .map_err(|e| CommandError::new("export", e))
}

/// "Send a test notification": straight from this process, so it shows what the desktop
/// does with bbwatch's notifications whatever the tray is doing.
#[tauri::command]
async fn send_test_notification(w: State<'_, Arc<Window>>) -> Result<(), CommandError> {
    let mut n = bbwatch_sinks::popup::ours();
    n.summary(Msg::TestNotifyTitle.text(w.lang()))
        .body(Msg::TestNotifyBody.text(w.lang()));
    bbwatch_sinks::popup::send(&n)
        .await
        .map(|_| ())
        .map_err(|e| CommandError::new("notify", e))
}

/// Ctrl+W: close the window (and so this process; the tray keeps running).
#[tauri::command]
fn close_window(window: tauri::WebviewWindow) -> Result<(), CommandError> {
    window.destroy().map_err(|e| CommandError::new("window", e))
}

/// Follow the tray until it goes away, then close.
/// The settings the tray sent: kept, and shown to the page (without the file and the settings
/// in force, which only the window's commands use).
fn take_settings(app: &AppHandle, w: &Window, settings: SettingsInfo) {
    let shown = SettingsInfo {
        file: None,
        ..settings.clone()
    };
    *lock(&w.settings) = settings;
    let _ = app.emit("bbwatch://settings", shown);
}

fn follow(app: AppHandle, reader: BufReader<Link>) {
    for text in reader.lines().map_while(Result::ok) {
        let Ok(msg) = serde_json::from_str::<ToWindow>(&text) else {
            tracing::warn!("bad message from the tray");
            continue;
        };
        let w = app.state::<Arc<Window>>();
        match msg {
            ToWindow::Status { view } => {
                *lock(&w.lang) = view.lang;
                *lock(&w.view) = view.clone();
                let _ = app.emit("bbwatch://status", view);
            }
            ToWindow::Event { view } => {
                lock(&w.events).push(view.clone());
                let _ = app.emit("bbwatch://event", view);
            }
            ToWindow::Events { events } => {
                *lock(&w.events) = events.clone().into();
                let _ = app.emit("bbwatch://events", events);
            }
            ToWindow::Hello { view, events, .. } => {
                *lock(&w.view) = view.clone();
                *lock(&w.events) = events.into();
                let _ = app.emit("bbwatch://status", view);
            }
            ToWindow::Show { section } => {
                if let Some(win) = app.get_webview_window(LABEL) {
                    let _ = win.unminimize();
                    let _ = win.show();
                    let _ = win.set_focus();
                }
                let _ = app.emit("bbwatch://section", section.as_str());
            }
            ToWindow::Settings { settings } => take_settings(&app, &w, settings),
            ToWindow::Reloaded { id, settings } => {
                take_settings(&app, &w, *settings);
                if let Some(tx) = lock(&w.reloads).remove(&id) {
                    let _ = tx.send(());
                }
            }
            ToWindow::KeyAnswer { id, ok, text } => {
                if let Some(tx) = lock(&w.pending).remove(&id) {
                    let _ = tx.send(KeyAnswer { ok, text });
                }
            }
        }
    }
    app.exit(0);
}

/// The window's size when the screen has room (logical pixels), and its smallest.
const WANTED: (f64, f64) = (560.0, 640.0);
const SMALLEST: (f64, f64) = (420.0, 420.0);
/// Room left for the title bar the window manager adds above the inner size, and around.
const TITLE_BAR: f64 = 40.0;
const MARGIN: f64 = 8.0;

/// The inner size and the smallest inner size that fit a work area of `area` (logical pixels):
/// the wanted size when it fits, else as much as the area holds once the title bar and a
/// margin are taken off, so that Save and Cancel stay on the screen.
fn fit(area: (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let room = (
        (area.0 - 2.0 * MARGIN).max(1.0),
        (area.1 - TITLE_BAR - 2.0 * MARGIN).max(1.0),
    );
    let size = (WANTED.0.min(room.0), WANTED.1.min(room.1));
    let smallest = (SMALLEST.0.min(size.0), SMALLEST.1.min(size.1));
    (size, smallest)
}

/// The work area (logical pixels) of the monitor under the pointer, else the primary one.
fn work_area(app: &tauri::App) -> Option<(f64, f64)> {
    let monitor = app
        .cursor_position()
        .ok()
        .and_then(|p| app.monitor_from_point(p.x, p.y).ok().flatten())
        .or_else(|| app.primary_monitor().ok().flatten())?;
    let scale = monitor.scale_factor();
    let size = monitor.work_area().size;
    (size.width > 0 && size.height > 0 && scale > 0.0).then(|| {
        (
            f64::from(size.width) / scale,
            f64::from(size.height) / scale,
        )
    })
}

/// Before GTK and WebKit start (and before any other thread exists: nothing else reads the
/// environment yet).
pub fn prepare() {
    prefer_lean_rendering();
    #[cfg(target_os = "linux")]
    crate::webview_tuning::before_gtk();
    respect_no_at_bridge();
    #[cfg(target_os = "linux")]
    crate::input_method::avoid_serverless_xim();
}

/// A simple page that WebKit draws as fast without compositing: keep OpenGL (and the software
/// renderer a driver may pull in, tens of MiB) out of the window. A user's own setting wins.
fn prefer_lean_rendering() {
    for (var, value) in [
        ("GDK_GL", "disable"),
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ] {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, value);
        }
    }
}

/// `NO_AT_BRIDGE=1` says "no accessibility bus": GTK honours it, but WebKit's UI process asks
/// the session bus for the bus's address anyway, which starts at-spi-bus-launcher and its
/// registry. An address of our own that nothing listens on keeps it from asking; the web
/// process then only logs that it cannot connect.
fn respect_no_at_bridge() {
    if std::env::var_os("NO_AT_BRIDGE").is_some_and(|v| v == "1")
        && std::env::var_os("AT_SPI_BUS_ADDRESS").is_none()
    {
        std::env::set_var(
            "AT_SPI_BUS_ADDRESS",
            "unix:path=/nonexistent/bbwatch-no-a11y",
        );
    }
}

/// Show the window (at `section`), fed by the tray app over the window link, until it closes.
pub fn run(section: Section, context: tauri::Context) -> anyhow::Result<()> {
    let stream = ipc::connect()?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader
        .read_line(&mut first)
        .context("the tray app did not answer")?;
    let Ok(ToWindow::Hello {
        lang,
        view,
        events,
        settings,
    }) = serde_json::from_str(&first)
    else {
        anyhow::bail!("the tray app answered in an unknown way: {first:?}");
    };
    let window = Arc::new(Window {
        lang: Mutex::new(lang),
        view: Mutex::new(view),
        events: Mutex::new(events.into()),
        settings: Mutex::new(*settings),
        to_tray: Mutex::new(stream),
        dirty: AtomicBool::new(false),
        pending: Mutex::new(HashMap::new()),
        reloads: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
    });
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_autostart::init(
        tauri_plugin_autostart::MacosLauncher::LaunchAgent,
        None,
    ));
    builder
        .plugin(tauri_plugin_opener::init())
        .manage(window)
        .invoke_handler(tauri::generate_handler![
            get_status,
            welcome_seen,
            check_now,
            pause_notifications,
            open_announcements,
            open_api_docs,
            get_settings,
            set_autostart,
            open_config_file,
            close_window,
            load_settings,
            validate_settings,
            save_settings,
            set_dirty,
            get_pairs,
            get_history,
            export_history_csv,
            send_test_notification,
            test_key,
            save_key,
            test_channel,
            remove_key,
            open_api_key_page,
        ])
        .on_window_event(|win, event| {
            // Unsaved settings are not lost silently: the window asks first (the page offers
            // to save, discard or keep editing, and closes itself with `close_window`).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let dirty = win
                    .app_handle()
                    .try_state::<Arc<Window>>()
                    .is_some_and(|w| w.dirty.load(Ordering::SeqCst));
                if dirty {
                    api.prevent_close();
                    let _ = win.emit("bbwatch://close-requested", ());
                }
            }
        })
        .setup(move |app| {
            let url = format!("index.html#{}", section.as_str());
            let (size, smallest) = work_area(app).map(fit).unwrap_or((WANTED, SMALLEST));
            WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App(url.into()))
                .title(Msg::UiTitle.text(lang))
                .inner_size(size.0, size.1)
                .min_inner_size(smallest.0, smallest.1)
                .center()
                .build()?;
            #[cfg(target_os = "linux")]
            crate::webview_tuning::apply(app.get_webview_window(LABEL).as_ref());
            let handle = app.handle().clone();
            std::thread::spawn(move || follow(handle, reader));
            Ok(())
        })
        .run(context)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environments_hosts_are_those_in_use_and_a_wrong_one_is_not() {
        let urls = env_urls(|v| match v {
            "BBWATCH_API_URL" => Some("http://127.0.0.1:9/v1".into()),
            "BBWATCH_PUBLIC_URL" => Some("not a url".into()),
            "BBWATCH_STREAM_URL" => Some("ws://127.0.0.1:9".into()),
            _ => None,
        });
        assert_eq!(
            urls,
            [
                EnvUrl {
                    field: "api_url",
                    var: "BBWATCH_API_URL",
                    url: "http://127.0.0.1:9/v1".into()
                },
                EnvUrl {
                    field: "stream_url",
                    var: "BBWATCH_STREAM_URL",
                    url: "ws://127.0.0.1:9".into()
                },
            ]
        );
        assert!(env_urls(|_| None).is_empty());
    }

    #[test]
    fn saving_deletes_the_secrets_of_channels_gone_and_moves_those_renamed() {
        use bbwatch_core::config::ChannelKind;
        let channel = |kind, name: &str, stored_as: Option<&str>| ChannelForm {
            kind,
            name: name.into(),
            stored_as: stored_as.map(str::to_owned),
            ..ChannelForm::default()
        };
        let form = SettingsForm {
            channels: vec![
                channel(ChannelKind::Telegram, "tg2", Some("tg")),
                channel(ChannelKind::Line, "", None),
                channel(ChannelKind::Ntfy, "", Some("ntfy")),
            ],
            ..SettingsForm::default()
        };
        let before = ["tg".to_owned(), "email".to_owned(), "ntfy".to_owned()];
        let changes = secret_changes(&before, &form, &[None, Some("t0k".into()), None]);
        let shown: Vec<String> = changes.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(
            shown,
            [
                "Delete { name: \"email\" }",
                "Rename { \"tg\" → \"tg2\" }",
                "Store { name: \"line\", secret: *** }",
            ]
        );
    }

    #[test]
    fn the_window_fits_a_small_screen_and_keeps_its_size_on_a_large_one() {
        assert_eq!(fit((1920.0, 1080.0)), (WANTED, SMALLEST));
        // 1024×600: the height is cut so that the title bar and Save both fit.
        let ((w, h), (_, min_h)) = fit((1024.0, 600.0));
        assert_eq!(w, 560.0);
        assert!(h + TITLE_BAR <= 600.0 && h >= 500.0, "{h}");
        assert!(min_h <= h);
        // Tinier than the smallest size: the smallest gives way too; nothing is negative.
        let ((w, h), (min_w, min_h)) = fit((300.0, 200.0));
        assert!(w <= 300.0 && h <= 200.0 && min_w <= w && min_h <= h && h > 0.0);
        let ((w, h), _) = fit((0.0, 0.0));
        assert!(w > 0.0 && h > 0.0);
    }
}
