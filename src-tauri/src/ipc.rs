//! The link between the tray process and the window process: JSON lines over a Unix socket in
//! the user's runtime directory. The tray process owns the monitor and serves; a window process
//! connects, gets everything it needs in one `Hello`, then follows `Status` and `Event` lines.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bbwatch_core::config::LanguageSetting;
use bbwatch_core::Lang;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;

use crate::state::Shared;
use crate::view::{status_view, EventView, StatusView};
use crate::window::Section;

/// What the settings section shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettingsInfo {
    pub config_path: Option<String>,
    pub interval_secs: u64,
    pub pairs: Option<Vec<String>>,
    pub language: LanguageSetting,
    /// Why the file could not be used (the defaults are in force).
    pub config_problem: Option<String>,
}

/// Tray → window.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWindow {
    /// The first line: the language, the status, the latest events and the settings.
    Hello {
        lang: Lang,
        view: StatusView,
        events: Vec<EventView>,
        settings: SettingsInfo,
    },
    /// The status changed.
    Status { view: StatusView },
    /// Something happened.
    Event { view: EventView },
    /// Come to the front, at this section.
    Show { section: Section },
}

/// Window → tray.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToTray {
    /// "Check now".
    CheckNow,
}

/// `$XDG_RUNTIME_DIR/bbwatch-desktop.sock` (else in the temp directory, per user).
pub fn socket_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("bbwatch-desktop.sock"),
        None => std::env::temp_dir().join(format!(
            "bbwatch-desktop-{}.sock",
            std::env::var("USER").unwrap_or_default()
        )),
    }
}

/// Take our socket away (on Quit): nothing of the app is left in the runtime directory.
pub fn remove_socket() {
    let _ = std::fs::remove_file(socket_path());
}

/// One line of JSON (serializing these plain types cannot fail).
pub fn line<T: Serialize>(msg: &T) -> String {
    let mut s = serde_json::to_string(msg).unwrap_or_default();
    s.push('\n');
    s
}

fn hello(shared: &Shared) -> ToWindow {
    let snapshot = shared.monitor.snapshot().borrow().clone();
    ToWindow::Hello {
        lang: shared.lang,
        view: status_view(&snapshot, shared.lang, shared.pause()),
        events: shared.recent_events(),
        settings: SettingsInfo {
            config_path: shared.config_path.as_ref().map(|p| p.display().to_string()),
            interval_secs: shared.config.interval.0.as_secs(),
            pairs: shared.config.pairs.clone(),
            language: shared.config.language,
            config_problem: shared.config_problem.clone(),
        },
    }
}

/// Serve window processes until the app exits. The single-instance guard makes this process
/// the only tray of the session, so a socket left by a crashed one is stale and replaced.
pub async fn serve(shared: Arc<Shared>) {
    let path = socket_path();
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(
                "cannot listen on {}: the status window will not open: {e}",
                path.display()
            );
            return;
        }
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_window(stream, shared.clone()));
            }
            Err(e) => tracing::warn!("window connection failed: {e}"),
        }
    }
}

async fn serve_window(stream: UnixStream, shared: Arc<Shared>) {
    shared.windows_connected.fetch_add(1, Ordering::SeqCst);
    follow_window(stream, &shared).await;
    shared.windows_connected.fetch_sub(1, Ordering::SeqCst);
}

async fn follow_window(stream: UnixStream, shared: &Shared) {
    let mut updates = shared.ui.subscribe();
    let (read, mut write) = stream.into_split();
    if write
        .write_all(line(&hello(shared)).as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut lines = BufReader::new(read).lines();
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(msg) => {
                    if write.write_all(line(&msg).as_bytes()).await.is_err() {
                        return;
                    }
                }
                // A window that fell behind starts over from a fresh Hello.
                Err(RecvError::Lagged(_)) => {
                    if write.write_all(line(&hello(shared)).as_bytes()).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            request = lines.next_line() => match request {
                Ok(Some(text)) => match serde_json::from_str::<ToTray>(&text) {
                    Ok(ToTray::CheckNow) => shared.monitor.check_now(),
                    Err(e) => tracing::warn!("bad message from the window: {e}"),
                },
                _ => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_json_lines() {
        let l = line(&ToTray::CheckNow);
        assert_eq!(l, "{\"type\":\"check_now\"}\n");
        let back: ToTray = serde_json::from_str(l.trim()).unwrap();
        assert!(matches!(back, ToTray::CheckNow));
        let show = line(&ToWindow::Show {
            section: Section::Settings,
        });
        assert_eq!(show, "{\"type\":\"show\",\"section\":\"settings\"}\n");
    }
}
