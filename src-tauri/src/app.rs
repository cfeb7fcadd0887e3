//! The tray process's handle: what the tray, the notifications and the window link reach the
//! rest of the app through. On Linux the process is plain tokio (no Tauri: see `main.rs`);
//! elsewhere it wraps Tauri's app handle, whose tray and opener serve there.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use bbwatch_sinks::Notifier;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::state::Shared;
use crate::tray::Tray;

/// What the platform gives the tray process.
pub struct Platform {
    /// Where its tasks run (menu callbacks come from threads of their own).
    pub runtime: Handle,
    /// Tauri's app, off Linux.
    #[cfg(not(target_os = "linux"))]
    pub tauri: tauri::AppHandle,
}

struct Inner {
    shared: Arc<Shared>,
    notifier: Arc<Notifier>,
    tray: OnceLock<Tray>,
    platform: Platform,
    /// Set once the app has taken everything down; `main` returns.
    exited: tokio::sync::Notify,
}

/// The tray process, cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl App {
    /// The app around what it shares, before its tray icon exists.
    pub fn new(shared: Arc<Shared>, notifier: Arc<Notifier>, platform: Platform) -> App {
        App(Arc::new(Inner {
            shared,
            notifier,
            tray: OnceLock::new(),
            platform,
            exited: tokio::sync::Notify::new(),
        }))
    }

    /// The monitor's handle, the settings and the window link's state.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.0.shared
    }

    /// The notifications.
    pub fn notifier(&self) -> &Arc<Notifier> {
        &self.0.notifier
    }

    /// The tray icon, once built (there is none where no tray could be made).
    pub fn tray(&self) -> Option<&Tray> {
        self.0.tray.get()
    }

    /// Keep the tray icon once it is built.
    pub fn set_tray(&self, tray: Tray) {
        let _ = self.0.tray.set(tray);
    }

    /// Run `task` on the app's runtime, from any thread.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.platform.runtime.spawn(task)
    }

    /// Tauri's app handle (its tray and windows), off Linux.
    #[cfg(not(target_os = "linux"))]
    pub fn tauri(&self) -> &tauri::AppHandle {
        &self.0.platform.tauri
    }

    /// Open `url` in the user's browser.
    pub fn open_url(&self, url: &str) {
        #[cfg(target_os = "linux")]
        let opened = crate::open::url(url);
        #[cfg(not(target_os = "linux"))]
        let opened = {
            use tauri_plugin_opener::OpenerExt as _;
            self.tauri()
                .opener()
                .open_url(url, None::<&str>)
                .map_err(|e| e.to_string())
        };
        if let Err(e) = opened {
            tracing::warn!("cannot open {url}: {e}");
        }
    }

    /// The app has taken everything down: end the process.
    pub fn exit(&self) {
        self.0.exited.notify_one();
        #[cfg(not(target_os = "linux"))]
        self.tauri().exit(0);
    }

    /// Wait until [`App::exit`].
    pub async fn exited(&self) {
        self.0.exited.notified().await;
    }
}
