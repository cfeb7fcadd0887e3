//! The tray icon: the level's colour and glyph, a title saying since when and why, and the menu.

use std::sync::Arc;

use bbwatch_core::i18n::Msg;
use bbwatch_core::render::summary_line;
use bbwatch_core::{Lang, Level, Snapshot};
use chrono::Utc;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_opener::OpenerExt as _;

use crate::state::{Pause, Shared};
use crate::window::{self, Section};

/// bitbank's announcements (maintenance notices are posted there).
pub const ANNOUNCEMENTS_URL: &str = "https://blog.bitbank.cc/tag/service";

const STATUS: &str = "status";
const OPEN: &str = "open";
const CHECK: &str = "check";
const PAUSE_HOUR: &str = "pause_hour";
const PAUSE_FOREVER: &str = "pause_forever";
const RESUME: &str = "resume";
const SETTINGS: &str = "settings";
const ANNOUNCEMENTS: &str = "announcements";
const QUIT: &str = "quit";

fn icon_bytes(level: Level) -> &'static [u8] {
    match level {
        Level::Normal => include_bytes!("../../icons/tray/normal-32.png"),
        Level::Degraded => include_bytes!("../../icons/tray/degraded-32.png"),
        Level::Maintenance => include_bytes!("../../icons/tray/maintenance-32.png"),
        Level::Down => include_bytes!("../../icons/tray/down-32.png"),
        Level::Unreachable => include_bytes!("../../icons/tray/unreachable-32.png"),
        Level::Unknown => include_bytes!("../../icons/tray/unknown-32.png"),
    }
}

/// The tray icon and the menu items whose text or check mark changes.
pub struct Tray {
    icon: TrayIcon<Wry>,
    status: MenuItem<Wry>,
    pause_hour: CheckMenuItem<Wry>,
    pause_forever: CheckMenuItem<Wry>,
    resume: MenuItem<Wry>,
}

/// The label beside the icon (Linux panels show no tooltips): level, since when, why.
pub fn title(snapshot: &Snapshot, lang: Lang) -> String {
    summary_line(snapshot, lang, &Utc::now())
}

pub fn build(app: &AppHandle, lang: Lang) -> tauri::Result<Tray> {
    let t = |m: Msg| m.text(lang);
    let status = MenuItem::with_id(
        app,
        STATUS,
        format!("bitbank: {}", title(&Snapshot::default(), lang)),
        false,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, OPEN, t(Msg::MenuOpen), true, None::<&str>)?;
    let check = MenuItem::with_id(app, CHECK, t(Msg::CheckNow), true, None::<&str>)?;
    let pause_hour = CheckMenuItem::with_id(
        app,
        PAUSE_HOUR,
        t(Msg::MenuPauseHour),
        true,
        false,
        None::<&str>,
    )?;
    let pause_forever = CheckMenuItem::with_id(
        app,
        PAUSE_FOREVER,
        t(Msg::MenuPauseForever),
        true,
        false,
        None::<&str>,
    )?;
    let resume = MenuItem::with_id(app, RESUME, t(Msg::MenuResume), false, None::<&str>)?;
    let pause = Submenu::with_id_and_items(
        app,
        "pause",
        t(Msg::MenuPause),
        true,
        &[&pause_hour, &pause_forever, &resume],
    )?;
    let settings = MenuItem::with_id(app, SETTINGS, t(Msg::MenuSettings), true, None::<&str>)?;
    let announcements = MenuItem::with_id(
        app,
        ANNOUNCEMENTS,
        t(Msg::MenuAnnouncements),
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, QUIT, t(Msg::MenuQuit), true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &check,
            &pause,
            &settings,
            &announcements,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let icon = TrayIconBuilder::with_id("bbwatch")
        .icon(Image::from_bytes(icon_bytes(Level::Unknown))?)
        .title(title(&Snapshot::default(), lang))
        .tooltip(title(&Snapshot::default(), lang))
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(Tray {
        icon,
        status,
        pause_hour,
        pause_forever,
        resume,
    })
}

impl Tray {
    /// Show the snapshot: icon, title, and the status line of the menu.
    pub fn show(&self, snapshot: &Snapshot, lang: Lang) {
        let text = title(snapshot, lang);
        let result = Image::from_bytes(icon_bytes(snapshot.level))
            .and_then(|img| self.icon.set_icon(Some(img)))
            .and_then(|()| self.icon.set_title(Some(&text)))
            .and_then(|()| self.icon.set_tooltip(Some(&text)))
            .and_then(|()| self.status.set_text(format!("bitbank: {text}")));
        if let Err(e) = result {
            tracing::warn!("cannot update the tray: {e}");
        }
    }

    /// Show whether notifications are paused.
    pub fn show_pause(&self, pause: Pause) {
        let active = pause.active(Utc::now());
        let result = self
            .pause_hour
            .set_checked(active && matches!(pause, Pause::Until(_)))
            .and_then(|()| {
                self.pause_forever
                    .set_checked(active && pause == Pause::Forever)
            })
            .and_then(|()| self.resume.set_enabled(active));
        if let Err(e) = result {
            tracing::warn!("cannot update the tray menu: {e}");
        }
    }
}

fn set_pause(app: &AppHandle, pause: Pause) {
    let shared = app.state::<Arc<Shared>>();
    shared.set_pause(pause);
    if let Some(tray) = app.try_state::<Tray>() {
        tray.show_pause(pause);
    }
    crate::publish_status(app);
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

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let shared = app.state::<Arc<Shared>>().inner().clone();
    let now = Utc::now();
    match event.id().as_ref() {
        OPEN => window::open(app, Section::Status),
        CHECK => shared.monitor.check_now(),
        PAUSE_HOUR if matches!(shared.pause(), Pause::Until(t) if t > now) => {
            set_pause(app, Pause::Off)
        }
        PAUSE_HOUR => set_pause(app, Pause::Until(now + chrono::Duration::hours(1))),
        PAUSE_FOREVER if shared.pause() == Pause::Forever => set_pause(app, Pause::Off),
        PAUSE_FOREVER => set_pause(app, Pause::Forever),
        RESUME => set_pause(app, Pause::Off),
        SETTINGS => window::open(app, Section::Settings),
        ANNOUNCEMENTS => {
            if let Err(e) = app.opener().open_url(ANNOUNCEMENTS_URL, None::<&str>) {
                tracing::warn!("cannot open {ANNOUNCEMENTS_URL}: {e}");
            }
        }
        QUIT => {
            shared.shutdown.notify_waiters();
            app.exit(0);
        }
        other => tracing::debug!("unknown menu item {other}"),
    }
}
