//! The Windows shell's pieces that Tauri and notify-rust do not reach: the tray icon's balloon
//! (the notification that works where toasts cannot) and its removal on Quit, and whether the installer registered
//! the app's AppUserModelID (without it, Windows drops a toast without a word). Elsewhere
//! this crate is empty.

#[cfg(windows)]
mod aumid;
#[cfg(windows)]
mod notify_icon;
mod wide;

#[cfg(windows)]
pub use aumid::registered;
#[cfg(windows)]
pub use notify_icon::{remove, show_balloon, Balloon, NotifyIconError, Severity};
