//! The tray icon: the level's colour and glyph, a tooltip and title saying since when and why,
//! and the menu. On Linux it is a StatusNotifierItem of our own (`sni`, through ksni): Tauri's
//! tray there is libappindicator, which has no tooltip, writes a PNG file per icon change and
//! shows a label that most panels do not draw. Elsewhere it is Tauri's tray (`tauri_tray`).

#[cfg(target_os = "linux")]
mod sni;
#[cfg(not(target_os = "linux"))]
mod tauri_tray;
pub mod view;

pub use view::{Action, TrayView};

use std::sync::Arc;

use chrono::Utc;
use tauri::{AppHandle, Manager};
use tauri_plugin_opener::OpenerExt as _;

use crate::ipc::messages::Section;
use crate::pause::Pause;
use crate::state::Shared;
use crate::window;

#[cfg(target_os = "linux")]
pub use sni::Tray;
#[cfg(not(target_os = "linux"))]
pub use tauri_tray::Tray;

/// bitbank's announcements (maintenance notices are posted there).
pub const ANNOUNCEMENTS_URL: &str = "https://blog.bitbank.cc/tag/service";

/// Open bitbank's announcements in the user's browser (the menu, a maintenance popup).
pub fn open_announcements(app: &AppHandle) {
    if let Err(e) = app.opener().open_url(ANNOUNCEMENTS_URL, None::<&str>) {
        tracing::warn!("cannot open {ANNOUNCEMENTS_URL}: {e}");
    }
}

/// Show a popup's `title` and `body` as a balloon from the tray icon (Windows: where toasts
/// cannot be shown).
#[cfg(windows)]
pub fn balloon(
    app: &AppHandle,
    title: &str,
    body: &str,
    level: Option<bbwatch_core::Level>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let tray = app
        .try_state::<Tray>()
        .ok_or("the tray icon is not there yet")?;
    tray.balloon(title, body, level)
}

/// Show the current snapshot and pause state in the tray, if there is one.
pub fn refresh(app: &AppHandle) {
    let shared = app.state::<Arc<Shared>>();
    let snapshot = shared.monitor.snapshot().borrow().clone();
    let view = TrayView::new(
        &snapshot,
        shared.lang(),
        shared.pause(),
        Some(&shared.started_at),
    );
    if let Some(tray) = app.try_state::<Tray>() {
        tray.show(view);
    }
}

/// Pause notifications (or resume them) and show it in the tray and the window; a timed pause
/// ends by itself.
pub fn set_pause(app: &AppHandle, pause: Pause) {
    let shared = app.state::<Arc<Shared>>();
    shared.set_pause(pause);
    refresh(app);
    shared.publish_status();
    if let Pause::Until(until) = pause {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let wait = (until - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            let shared = app.state::<Arc<Shared>>();
            if shared.pause() == pause {
                set_pause(&app, Pause::Off);
            }
        });
    }
}

/// Do what a menu entry says. Called from the tray's own thread or task: nothing here waits
/// for the tray.
pub fn act(app: &AppHandle, action: Action) {
    let shared = app.state::<Arc<Shared>>().inner().clone();
    let now = Utc::now();
    match action {
        Action::Open => window::open(app, Section::Status),
        Action::CheckNow => {
            shared.request_check_feedback(now);
            shared.monitor.check_now();
        }
        Action::PauseHour if matches!(shared.pause(), Pause::Until(t) if t > now) => {
            set_pause(app, Pause::Off)
        }
        Action::PauseHour => set_pause(app, Pause::Until(now + chrono::Duration::hours(1))),
        Action::PauseForever if shared.pause() == Pause::Forever => set_pause(app, Pause::Off),
        Action::PauseForever => set_pause(app, Pause::Forever),
        Action::Resume => set_pause(app, Pause::Off),
        Action::Settings => window::open(app, Section::Settings),
        Action::Announcements => open_announcements(app),
        // The app quits in main, where everything it must take down is known.
        Action::Quit => shared.quit.notify_one(),
    }
}
