//! A panel and a notification server on the test's own bus, as the desktop provides them,
//! and what a person reads off the tray item: its colour, its tooltip, its menu's Quit.

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use anyhow::Result;

use super::app::start_tray;
use super::display::Desktop;
use super::eventually;
use super::notifications::NotificationServer;
use super::sni::{colour_name, mean_colour, Item, Watcher};

/// How long the tray may take to show what it was told.
pub const WAIT: Duration = Duration::from_secs(30);

async fn serve(
    bus: &str,
    name: &str,
    path: &str,
    iface: impl zbus::object_server::Interface,
) -> Result<zbus::Connection> {
    Ok(zbus::connection::Builder::address(bus)?
        .name(name.to_owned())?
        .serve_at(path.to_owned(), iface)?
        .build()
        .await?)
}

pub async fn icon_colour(item: &Item) -> Option<&'static str> {
    let (_, _, argb) = item.icon_pixmap().await.ok()?;
    mean_colour(&argb).ok().map(colour_name)
}

/// The tooltip a panel shows on hover (its title line).
pub async fn tooltip(item: &Item) -> String {
    item.tooltip().await.map(|(t, _)| t).unwrap_or_default()
}

/// Start a watcher and a notification server on the desktop's bus, as a panel would.
pub async fn panel(
    desktop: &Desktop,
) -> Result<(
    Watcher,
    zbus::Connection,
    NotificationServer,
    zbus::Connection,
)> {
    let watcher = Watcher::default();
    let watcher_conn = serve(
        &desktop.bus_address,
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        watcher.clone(),
    )
    .await?;
    let notifications = NotificationServer::default();
    let notify_conn = serve(
        &desktop.bus_address,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        notifications.clone(),
    )
    .await?;
    Ok((watcher, watcher_conn, notifications, notify_conn))
}

/// The tray item, once it has registered.
pub async fn tray_item(watcher: &Watcher, conn: &zbus::Connection) -> Result<Item> {
    let (bus, path) = eventually(WAIT, "the tray item to register", || async {
        watcher.items.lock().unwrap().first().cloned()
    })
    .await?;
    Ok(Item::new(conn.clone(), bus, path))
}

/// Wait (up to [`WAIT`]) for `app` to exit; its status.
pub async fn exited(app: &mut std::process::Child, what: &str) -> Result<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = app.try_wait()? {
            return Ok(status);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Quit from the menu and wait for the app to exit successfully.
pub async fn quit(item: &Item, app: &mut std::process::Child, dir: &Path) -> Result<()> {
    quit_labelled(item, app, dir, "Quit").await
}

/// The same, with the menu in another language (`終了`).
pub async fn quit_labelled(
    item: &Item,
    app: &mut std::process::Child,
    dir: &Path,
    label: &str,
) -> Result<()> {
    // The app may exit before it answers the click.
    let _ = item.click(label).await;
    let status = exited(app, "the app to exit on Quit").await?;
    assert!(
        status.success(),
        "{status:?}: {}",
        std::fs::read_to_string(dir.join("app.log"))?
    );
    Ok(())
}

/// What a test keeps while the app runs on its panel: the panel's connections (the tray item
/// is watched and the popups are recorded as long as they live).
pub struct Held {
    _watcher: zbus::Connection,
    _notifications: zbus::Connection,
}

/// Start the app at `bin` with `env`, on a panel and a notification server started first, and
/// return once its tray item has registered.
pub async fn start_on_panel(
    desktop: &Desktop,
    bin: &Path,
    env: &[(String, String)],
    dir: &Path,
) -> Result<(Child, Item, NotificationServer, Held)> {
    let (watcher, watcher_conn, notifications, notify_conn) = panel(desktop).await?;
    let app = start_tray(bin, env, dir)?;
    let item = tray_item(&watcher, &watcher_conn).await?;
    Ok((
        app,
        item,
        notifications,
        Held {
            _watcher: watcher_conn,
            _notifications: notify_conn,
        },
    ))
}
