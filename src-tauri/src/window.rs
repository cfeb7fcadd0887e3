//! The status window lives in a process of its own, started on demand and gone when the
//! window closes: WebKit's processes and memory go with it, and the tray process never loads
//! a web view. On Linux it is the `bbwatch-window` binary beside ours (the tray binary links
//! no GTK or WebKit at all); elsewhere the tray binary itself with `--window`.

use std::process::Command;
use std::sync::atomic::Ordering;

use crate::app::App;
use crate::ipc::messages::{Section, ToWindow};

/// Show the status window at `section`: bring the running one forward, or start one.
pub fn open(app: &App, section: Section) {
    let shared = app.shared().clone();
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
        let notifier = app.notifier().clone();
        app.spawn(async move { notifier.webview_missing().await });
        return;
    }
    let spawned = crate::programs::window().and_then(|(program, args)| {
        Command::new(program)
            .args(args)
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
