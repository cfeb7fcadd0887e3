//! The status window lives in a process of its own (`bbwatch-desktop --window`), started on
//! demand and gone when the window closes: WebKit's processes and memory go with it, and the
//! tray process never loads a web view.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};

use crate::ipc::ToWindow;
use crate::state::Shared;

/// Which part of the window to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Status,
    Settings,
    History,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Status => "status",
            Section::Settings => "settings",
            Section::History => "history",
        }
    }

    /// From `--section=settings` or `--section=history`; anything else is the status view.
    pub fn from_args(args: &[String]) -> Section {
        if args.iter().any(|a| a == "--section=settings") {
            Section::Settings
        } else if args.iter().any(|a| a == "--section=history") {
            Section::History
        } else {
            Section::Status
        }
    }
}

/// Show the status window at `section`: bring the running one forward, or start one.
pub fn open(app: &AppHandle, section: Section) {
    let shared = app.state::<Arc<Shared>>().inner().clone();
    if shared.windows_connected.load(Ordering::SeqCst) > 0
        || shared.window_alive.swap(true, Ordering::SeqCst)
    {
        let _ = shared.ui.send(ToWindow::Show { section });
        return;
    }
    #[cfg(windows)]
    if let Err(e) = tauri::webview_version() {
        shared.window_alive.store(false, Ordering::SeqCst);
        tracing::error!("cannot open the status window: no WebView2 runtime ({e})");
        if let Some(notifier) = app.try_state::<Arc<bbwatch_sinks::Notifier>>() {
            let notifier = notifier.inner().clone();
            tauri::async_runtime::spawn(async move { notifier.webview_missing().await });
        }
        return;
    }
    let spawned = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .arg("--window")
            .arg(format!("--section={}", section.as_str()))
            .spawn()
    });
    match spawned {
        Ok(mut child) => {
            // Reap it, and know when it is gone.
            std::thread::spawn(move || {
                let _ = child.wait();
                shared.window_alive.store(false, Ordering::SeqCst);
            });
        }
        Err(e) => {
            shared.window_alive.store(false, Ordering::SeqCst);
            tracing::error!("cannot start the status window: {e}");
        }
    }
}
