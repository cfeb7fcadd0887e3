//! The status window lives in a process of its own (`bbwatch-desktop --window`), started on
//! demand and gone when the window closes: WebKit's processes and memory go with it, and the
//! tray process never loads a web view.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tauri::{AppHandle, Manager};

use crate::ipc::messages::{Section, ToWindow};
use crate::state::Shared;

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
