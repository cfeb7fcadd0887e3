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

#[cfg(target_os = "linux")]
pub use sni::Tray;
#[cfg(not(target_os = "linux"))]
pub use tauri_tray::Tray;

pub use bbwatch_core::bitbank::client::ANNOUNCEMENTS_URL;
