//! The tray on Windows and macOS: Tauri's own, which has tooltips there.

use std::sync::Mutex;

use bbwatch_core::i18n::Msg;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use super::view::{icon_png, Action, TrayView};
use crate::state::lock;

const ACTIONS: [(&str, Action); 8] = [
    ("open", Action::Open),
    ("check", Action::CheckNow),
    ("pause_hour", Action::PauseHour),
    ("pause_forever", Action::PauseForever),
    ("resume", Action::Resume),
    ("settings", Action::Settings),
    ("announcements", Action::Announcements),
    ("quit", Action::Quit),
];

fn id(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|(_, a)| *a == action)
        .map(|(id, _)| *id)
        .unwrap_or("")
}

/// The tray icon and the menu items whose text or check mark changes.
pub struct Tray {
    icon: TrayIcon<Wry>,
    status: MenuItem<Wry>,
    pause_hour: CheckMenuItem<Wry>,
    pause_forever: CheckMenuItem<Wry>,
    resume: MenuItem<Wry>,
    /// The menu, for the other exchanges' lines under the status line.
    menu: Menu<Wry>,
    /// Those lines' items (none with bitbank alone).
    exchange_items: Mutex<Vec<MenuItem<Wry>>>,
    app: AppHandle,
    shown: Mutex<Option<TrayView>>,
}

impl Tray {
    /// `act` is what a chosen entry does.
    pub async fn build(
        app: &AppHandle,
        view: TrayView,
        act: impl Fn(Action) + Send + Sync + 'static,
    ) -> tauri::Result<Tray> {
        let lang = view.lang;
        let t = |m: Msg| m.text(lang);
        let item =
            |action: Action, m: Msg| MenuItem::with_id(app, id(action), t(m), true, None::<&str>);
        let status = MenuItem::with_id(app, "status", &view.status_line, false, None::<&str>)?;
        let open = item(Action::Open, Msg::MenuOpen)?;
        let check = item(Action::CheckNow, Msg::CheckNow)?;
        let pause_hour = CheckMenuItem::with_id(
            app,
            id(Action::PauseHour),
            t(Msg::MenuPauseHour),
            true,
            false,
            None::<&str>,
        )?;
        let pause_forever = CheckMenuItem::with_id(
            app,
            id(Action::PauseForever),
            t(Msg::MenuPauseForever),
            true,
            false,
            None::<&str>,
        )?;
        let resume = MenuItem::with_id(
            app,
            id(Action::Resume),
            t(Msg::MenuResume),
            false,
            None::<&str>,
        )?;
        let pause = Submenu::with_id_and_items(
            app,
            "pause",
            t(Msg::MenuPause),
            true,
            &[&pause_hour, &pause_forever, &resume],
        )?;
        let settings = item(Action::Settings, Msg::MenuSettings)?;
        let announcements = item(Action::Announcements, Msg::MenuAnnouncements)?;
        let quit = item(Action::Quit, Msg::MenuQuit)?;
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
            .icon(Image::from_bytes(icon_png(view.level, 32))?)
            .tooltip(&view.tooltip)
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(move |_: &AppHandle, event: MenuEvent| {
                if let Some((_, action)) = ACTIONS.iter().find(|(id, _)| event.id() == *id) {
                    act(*action);
                }
            })
            .build(app)?;
        let tray = Tray {
            icon,
            status,
            pause_hour,
            pause_forever,
            resume,
            menu,
            exchange_items: Mutex::new(Vec::new()),
            app: app.clone(),
            shown: Mutex::new(None),
        };
        tray.show(view);
        Ok(tray)
    }

    /// Show `view`, touching only what changed (the icon is set only when the level changes).
    pub fn show(&self, view: TrayView) {
        let mut shown = lock(&self.shown);
        if shown.as_ref() == Some(&view) {
            return;
        }
        let level_changed = shown.as_ref().map(|s| s.level) != Some(view.level);
        let mut result = Ok(());
        if level_changed {
            result = Image::from_bytes(icon_png(view.level, 32))
                .and_then(|img| self.icon.set_icon(Some(img)));
        }
        let lang = view.lang;
        let result = result
            .and_then(|()| self.icon.set_tooltip(Some(&view.tooltip)))
            .and_then(|()| self.status.set_text(&view.status_line))
            .and_then(|()| self.pause_hour.set_checked(view.pause.hour))
            .and_then(|()| self.pause_hour.set_text(view.pause.hour_label(lang)))
            .and_then(|()| self.pause_forever.set_checked(view.pause.forever))
            .and_then(|()| self.resume.set_enabled(view.pause.active()))
            .and_then(|()| self.show_exchanges(&view.exchange_lines));
        if let Err(e) = result {
            tracing::warn!("cannot update the tray: {e}");
        }
        *shown = Some(view);
    }

    /// One disabled line per other watched exchange, under the status line: the items are
    /// made again only when their number changes (an exchange added or removed).
    fn show_exchanges(&self, lines: &[String]) -> tauri::Result<()> {
        let mut items = lock(&self.exchange_items);
        if items.len() != lines.len() {
            for item in items.drain(..) {
                self.menu.remove(&item)?;
            }
            for (i, line) in lines.iter().enumerate() {
                let item = MenuItem::with_id(
                    &self.app,
                    format!("exchange-{i}"),
                    line,
                    false,
                    None::<&str>,
                )?;
                self.menu.insert(&item, i + 1)?;
                items.push(item);
            }
            return Ok(());
        }
        for (item, line) in items.iter().zip(lines) {
            item.set_text(line)?;
        }
        Ok(())
    }

    /// Show `title` and `body` as a balloon from the icon, with the shell's icon for `level`.
    #[cfg(windows)]
    pub fn balloon(
        &self,
        title: &str,
        body: &str,
        level: Option<bbwatch_core::Level>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        use bbwatch_core::Level;
        use bbwatch_windows::{Balloon, Severity};

        // The handle is an address to the shell, not a pointer we follow.
        let window = self.window()?;
        let severity = match level {
            Some(Level::Normal) => Severity::Info,
            Some(Level::Maintenance | Level::Down) => Severity::Error,
            _ => Severity::Warning,
        };
        bbwatch_windows::show_balloon(
            window,
            &Balloon {
                title,
                body,
                severity,
            },
        )?;
        Ok(())
    }

    /// The icon's hidden window, as an address for the shell.
    #[cfg(windows)]
    fn window(&self) -> tauri::Result<isize> {
        self.icon
            .with_inner_tray_icon(|icon| icon.window_handle() as isize)
    }

    /// Take the icon out of the shell now.
    #[cfg(windows)]
    fn remove(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        bbwatch_windows::remove(self.window()?)?;
        Ok(())
    }

    /// Take the icon off the tray.
    pub async fn shutdown(&self) {
        let _ = self.icon.set_visible(false);
        // Tauri removes it only when the icon is dropped, which an exit does not wait for.
        #[cfg(windows)]
        if let Err(e) = self.remove() {
            tracing::warn!("cannot take the icon off the tray: {e}");
        }
    }
}
