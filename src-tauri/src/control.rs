//! What the tray menu, a popup's click and the window ask the tray app to do: open the window
//! or bitbank's announcements, check now, pause or resume notifications, quit.

use chrono::Utc;

use crate::app::App;
use crate::ipc::messages::Section;
use crate::pause::Pause;
use crate::tray::{Action, TrayView, ANNOUNCEMENTS_URL};
use crate::window;

/// Open bitbank's announcements in the user's browser (the menu, a maintenance popup).
pub fn open_announcements(app: &App) {
    app.open_url(ANNOUNCEMENTS_URL);
}

/// Show a popup's `title` and `body` as a balloon from the tray icon (Windows: where toasts
/// cannot be shown).
#[cfg(windows)]
pub fn balloon(
    app: &App,
    title: &str,
    body: &str,
    level: Option<bbwatch_core::Level>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let tray = app.tray().ok_or("the tray icon is not there yet")?;
    tray.balloon(title, body, level)
}

/// Show the current snapshots (bitbank's and the other watched exchanges') and pause state in
/// the tray, if there is one.
pub fn refresh(app: &App) {
    let shared = app.shared();
    let snapshot = shared.monitor.snapshot().borrow().clone();
    let others = crate::tray::view::others(&shared.monitor.exchanges().borrow());
    let view = TrayView::new(
        &snapshot,
        &others,
        shared.lang(),
        shared.pause(),
        Some(&shared.started_at),
    );
    if let Some(tray) = app.tray() {
        tray.show(view);
    }
}

/// Pause notifications (or resume them) and show it in the tray and the window; a timed pause
/// ends by itself.
pub fn set_pause(app: &App, pause: Pause) {
    let shared = app.shared();
    shared.set_pause(pause);
    refresh(app);
    shared.publish_status();
    if let Pause::Until(until) = pause {
        let later = app.clone();
        app.spawn(async move {
            let wait = (until - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            if later.shared().pause() == pause {
                set_pause(&later, Pause::Off);
            }
        });
    }
}

/// Do what a menu entry says. Called from the tray's own thread or task: nothing here waits
/// for the tray.
pub fn act(app: &App, action: Action) {
    let shared = app.shared();
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
