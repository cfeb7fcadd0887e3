//! The commands the status window may call. Each returns a serializable error.

use std::collections::BTreeMap;
use std::sync::Arc;

use bbwatch_core::i18n::catalogue;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_opener::OpenerExt as _;

use crate::state::Shared;
use crate::tray::ANNOUNCEMENTS_URL;
use crate::view::{status_view, EventView, StatusView};

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
}

#[tauri::command]
pub fn get_status(shared: State<'_, Arc<Shared>>) -> StatusPayload {
    let snapshot = shared.monitor.snapshot().borrow().clone();
    StatusPayload {
        messages: catalogue(shared.lang),
        view: status_view(&snapshot, shared.lang, shared.paused_now()),
        events: shared.recent_events(),
    }
}

#[tauri::command]
pub fn check_now(shared: State<'_, Arc<Shared>>) {
    shared.monitor.check_now();
}

pub fn open_url(app: &AppHandle, url: &str) {
    if let Err(e) = app.opener().open_url(url, None::<&str>) {
        tracing::warn!("cannot open {url}: {e}");
    }
}

#[tauri::command]
pub fn open_announcements(app: AppHandle) -> Result<(), CommandError> {
    app.opener()
        .open_url(ANNOUNCEMENTS_URL, None::<&str>)
        .map_err(|e| CommandError::new("open", e))
}

#[derive(Serialize)]
pub struct SettingsView {
    config_path: Option<String>,
    interval_secs: u64,
    pairs: Option<Vec<String>>,
    language: bbwatch_core::config::LanguageSetting,
    autostart: bool,
}

#[tauri::command]
pub fn get_settings(
    app: AppHandle,
    shared: State<'_, Arc<Shared>>,
) -> Result<SettingsView, CommandError> {
    let autostart = app
        .autolaunch()
        .is_enabled()
        .map_err(|e| CommandError::new("autostart", e))?;
    Ok(SettingsView {
        config_path: shared.config_path.as_ref().map(|p| p.display().to_string()),
        interval_secs: shared.config.interval.0.as_secs(),
        pairs: shared.config.pairs.clone(),
        language: shared.config.language,
        autostart,
    })
}

#[tauri::command]
pub fn set_autostart(app: AppHandle, enabled: bool) -> Result<(), CommandError> {
    let launcher = app.autolaunch();
    let result = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| CommandError::new("autostart", e))
}

/// Ctrl+W: close (destroy) the status window; the app stays in the tray.
#[tauri::command]
pub fn close_window(window: tauri::WebviewWindow) -> Result<(), CommandError> {
    window.destroy().map_err(|e| CommandError::new("window", e))
}
