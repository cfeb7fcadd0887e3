//! `bbwatch-desktop --window`: the status window's own process. It connects to the tray
//! process, shows what it is sent, and exits when the window closes (or the tray quits).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use bbwatch_core::i18n::{catalogue, Msg};
use bbwatch_core::Lang;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_opener::OpenerExt as _;

use crate::ipc::{self, SettingsInfo, ToTray, ToWindow};
use crate::state::{lock, RecentEvents};
use crate::tray::ANNOUNCEMENTS_URL;
use crate::view::{EventView, StatusView};
use crate::window::Section;

const LABEL: &str = "status";

/// What the window knows, kept current from the tray's messages.
struct Window {
    /// Follows the settings in force (a Status in another language changes it).
    lang: Mutex<Lang>,
    view: Mutex<StatusView>,
    events: Mutex<RecentEvents>,
    settings: Mutex<SettingsInfo>,
    to_tray: Mutex<UnixStream>,
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
}

#[tauri::command]
fn get_status(w: State<'_, Arc<Window>>) -> StatusPayload {
    StatusPayload {
        messages: catalogue(*lock(&w.lang)),
        view: lock(&w.view).clone(),
        events: lock(&w.events).to_vec(),
        config_problem: lock(&w.settings).config_problem.clone(),
    }
}

#[tauri::command]
fn check_now(w: State<'_, Arc<Window>>) -> Result<(), CommandError> {
    lock(&w.to_tray)
        .write_all(ipc::line(&ToTray::CheckNow).as_bytes())
        .map_err(|e| CommandError::new("tray", e))
}

#[tauri::command]
fn open_announcements(app: AppHandle) -> Result<(), CommandError> {
    app.opener()
        .open_url(ANNOUNCEMENTS_URL, None::<&str>)
        .map_err(|e| CommandError::new("open", e))
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

/// Ctrl+W: close the window (and so this process; the tray keeps running).
#[tauri::command]
fn close_window(window: tauri::WebviewWindow) -> Result<(), CommandError> {
    window.destroy().map_err(|e| CommandError::new("window", e))
}

/// The tray's socket, waited for briefly (the tray may be starting); only our own user's.
fn connect() -> anyhow::Result<UnixStream> {
    let path = ipc::socket_path()?;
    for _ in 0..50 {
        if ipc::ours(&path) {
            if let Ok(s) = UnixStream::connect(&path) {
                return Ok(s);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    anyhow::bail!(
        "the bbwatch tray app is not running (no {} of this user): start bbwatch-desktop",
        path.display()
    )
}

/// Follow the tray until it goes away, then close.
fn follow(app: AppHandle, reader: BufReader<UnixStream>) {
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
            ToWindow::Settings { settings } => {
                *lock(&w.settings) = settings.clone();
                let _ = app.emit("bbwatch://settings", settings);
            }
        }
    }
    app.exit(0);
}

pub fn run(section: Section, context: tauri::Context) -> anyhow::Result<()> {
    let stream = connect()?;
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
        settings: Mutex::new(settings),
        to_tray: Mutex::new(stream),
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
            check_now,
            open_announcements,
            get_settings,
            set_autostart,
            open_config_file,
            close_window,
        ])
        .setup(move |app| {
            let url = format!("index.html#{}", section.as_str());
            WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App(url.into()))
                .title(Msg::UiTitle.text(lang))
                .inner_size(560.0, 640.0)
                .min_inner_size(420.0, 420.0)
                .build()?;
            let handle = app.handle().clone();
            std::thread::spawn(move || follow(handle, reader));
            Ok(())
        })
        .run(context)?;
    Ok(())
}
