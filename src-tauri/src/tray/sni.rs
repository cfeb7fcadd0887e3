//! The tray on Linux: a StatusNotifierItem of our own through ksni. The icon goes over D-Bus
//! as pixmaps at every size we draw (the panel picks), so no file is written; ksni compares
//! each property with what it last sent, so an unchanged icon sends no `NewIcon`.

use std::sync::{Arc, Mutex, OnceLock};

use bbwatch_core::i18n::Msg;
use bbwatch_core::Level;
use ksni::menu::{CheckmarkItem, StandardItem};
use ksni::{MenuItem, TrayMethods as _};

use super::view::{icon_rgba, pause_badge, Action, TrayView};
use crate::state::lock;

const SIZES: [u32; 5] = [16, 22, 24, 32, 64];

/// The level's icon at every size, as ARGB32 pixmaps (decoded once); with a pause badge while
/// notifications are paused.
fn pixmaps(level: Level, paused: bool) -> Vec<ksni::Icon> {
    type Cached = Vec<((Level, bool), Vec<ksni::Icon>)>;
    static CACHE: OnceLock<Cached> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        Level::ALL
            .iter()
            .flat_map(|&level| [(level, false), (level, true)])
            .map(|(level, paused)| {
                let icons = SIZES
                    .iter()
                    .filter_map(|&size| {
                        let (width, height, mut data) = icon_rgba(level, size)?;
                        if paused {
                            pause_badge(&mut data, width);
                        }
                        for px in data.chunks_exact_mut(4) {
                            px.rotate_right(1); // RGBA → ARGB
                        }
                        Some(ksni::Icon {
                            width: i32::try_from(width).ok()?,
                            height: i32::try_from(height).ok()?,
                            data,
                        })
                    })
                    .collect();
                ((level, paused), icons)
            })
            .collect()
    });
    cache
        .iter()
        .find(|(key, _)| *key == (level, paused))
        .map(|(_, icons)| icons.clone())
        .unwrap_or_default()
}

/// What ksni asks for its properties and menu.
struct Item {
    view: TrayView,
    /// What a chosen entry does.
    act: Act,
}

/// What a chosen menu entry (or a click on the icon) does.
type Act = Arc<dyn Fn(Action) + Send + Sync>;

fn entry(label: String, action: Action) -> MenuItem<Item> {
    StandardItem {
        label,
        activate: Box::new(move |item: &mut Item| (item.act)(action)),
        ..Default::default()
    }
    .into()
}

fn check(label: String, checked: bool, action: Action) -> MenuItem<Item> {
    CheckmarkItem {
        label,
        checked,
        activate: Box::new(move |item: &mut Item| (item.act)(action)),
        ..Default::default()
    }
    .into()
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "bbwatch".into()
    }

    fn title(&self) -> String {
        self.view.title.clone()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::ApplicationStatus
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        pixmaps(self.view.level, self.view.pause.active())
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.view.tooltip.clone(),
            ..Default::default()
        }
    }

    /// A left click opens the status window (the menu is on the right button).
    fn activate(&mut self, _x: i32, _y: i32) {
        (self.act)(Action::Open);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let lang = self.view.lang;
        let t = |m: Msg| m.text(lang).to_owned();
        let pause = &self.view.pause;
        // bitbank's line, then one per other watched exchange: each with its state.
        let status = std::iter::once(&self.view.status_line)
            .chain(&self.view.exchange_lines)
            .map(|line| {
                StandardItem {
                    label: line.clone(),
                    enabled: false,
                    ..Default::default()
                }
                .into()
            });
        status
            .chain([
                MenuItem::Separator,
                entry(t(Msg::MenuOpen), Action::Open),
                entry(t(Msg::CheckNow), Action::CheckNow),
                // No submenu: XFCE's panel (libdbusmenu) opens ksni's submenus empty.
                MenuItem::Separator,
                check(pause.hour_entry(lang), pause.hour, Action::PauseHour),
                check(
                    pause.forever_entry(lang),
                    pause.forever,
                    Action::PauseForever,
                ),
                StandardItem {
                    label: t(Msg::MenuResume),
                    visible: pause.active(),
                    activate: Box::new(|item: &mut Item| (item.act)(Action::Resume)),
                    ..Default::default()
                }
                .into(),
                MenuItem::Separator,
                entry(t(Msg::MenuSettings), Action::Settings),
                entry(t(Msg::MenuAnnouncements), Action::Announcements),
                MenuItem::Separator,
                entry(t(Msg::MenuQuit), Action::Quit),
            ])
            .collect()
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::warn!("no tray host yet ({reason:?}): the icon appears when a panel starts");
        true
    }
}

/// The running tray item.
pub struct Tray {
    handle: ksni::Handle<Item>,
    /// The latest view; updates read it, so they cannot apply out of order.
    latest: Arc<Mutex<TrayView>>,
    runtime: tokio::runtime::Handle,
}

impl Tray {
    /// Register the item with the session's StatusNotifierWatcher (now, or when one appears).
    /// `act` is what a chosen entry does.
    pub async fn build(
        view: TrayView,
        act: impl Fn(Action) + Send + Sync + 'static,
    ) -> Result<Tray, ksni::Error> {
        let latest = Arc::new(Mutex::new(view.clone()));
        let handle = Item {
            view,
            act: Arc::new(act),
        }
        .assume_sni_available(true)
        .spawn()
        .await?;
        Ok(Tray {
            handle,
            latest,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Show `view`; nothing is sent when it is what the tray shows already.
    pub fn show(&self, view: TrayView) {
        {
            let mut latest = lock(&self.latest);
            if *latest == view {
                return;
            }
            *latest = view;
        }
        let (handle, latest) = (self.handle.clone(), self.latest.clone());
        // From a menu callback too, which runs on ksni's thread, outside the runtime.
        self.runtime.spawn(async move {
            let view = lock(&latest).clone();
            handle.update(move |item| item.view = view).await;
        });
    }

    /// Take the item off the panel.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }
}
