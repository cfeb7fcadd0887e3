//! The tray app's notifications: the shared notifier (`bbwatch_sinks`) with the level's icon
//! as the popup's picture, and a click that opens the status window (at the settings for a
//! configuration problem). On Windows a toast under the app's own id where the installer
//! registered it, else (and wherever toasts fail) the tray icon's balloon.

use bbwatch_core::config::Config;
use bbwatch_core::present::alert::Source;
use bbwatch_sinks::popup::Clicked;
use bbwatch_sinks::{Notifier, NotifierOptions};
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

/// The app's AppUserModelID on Windows (its identifier in tauri.conf.json): the installer
/// registers it with the app's name and icon, and toasts are sent under it.
#[cfg(windows)]
pub const APP_ID: &str = "io.github.bbwatch.desktop";

use crate::app::App;
use crate::ipc::messages::Section;
use crate::window;

/// The level's icon as the notification's image (no file, no theme icon). Image data is a
/// D-Bus hint: elsewhere popups have no picture of ours.
#[cfg(target_os = "linux")]
fn level_image(level: bbwatch_core::Level) -> Option<notify_rust::Hint> {
    use crate::tray::view::icon_rgba;
    use notify_rust::Hint;

    let (w, h, rgba) = icon_rgba(level, 64)?;
    let (w, h) = (i32::try_from(w).ok()?, i32::try_from(h).ok()?);
    notify_rust::Image::from_rgba(w, h, rgba)
        .ok()
        .map(Hint::ImageData)
}

/// The notifier of the tray app, following `settings`. `app` is set once the app exists
/// (it holds the notifier): until then a click does nothing, and on Windows no balloon shows.
pub fn new(app: Arc<OnceLock<App>>, settings: watch::Receiver<Config>) -> Notifier {
    #[cfg(windows)]
    let balloon_app = app.clone();
    let on_click = move |source: &Source, clicked: Clicked| {
        let Some(app) = app.get() else { return };
        if clicked == Clicked::Announcements {
            crate::control::open_announcements(app);
            return;
        }
        let section = if matches!(source, Source::Config | Source::Channel(_)) {
            Section::Settings
        } else {
            Section::Status
        };
        window::open(app, section);
    };
    #[allow(unused_mut)] // set further on Windows only
    let mut options = NotifierOptions {
        on_click: Some(Arc::new(on_click)),
        #[cfg(target_os = "linux")]
        level_image: Some(Arc::new(level_image)),
        ..NotifierOptions::default()
    };
    #[cfg(windows)]
    {
        options.app_id = Some(APP_ID);
        options.fallback = Some(Arc::new(move |title: &str, body: &str, level| {
            let app = balloon_app.get().ok_or("the app is not there yet")?;
            crate::control::balloon(app, title, body, level)
        }));
        // Windows drops a toast of an id it does not know without a word.
        options.fallback_only = !bbwatch_windows::registered(APP_ID);
    }
    Notifier::new(settings, options)
}
