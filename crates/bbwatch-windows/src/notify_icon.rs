//! The tray icon's entry in the shell, reached past Tauri's tray: a balloon from it
//! (`Shell_NotifyIconW` with `NIF_INFO`; Windows 10 and 11 show it as a toast under the app's
//! name, Windows 7 and Wine as a balloon over the icon), and its removal.

use windows_sys::Win32::Foundation::HWND;
use windows_sys::Win32::UI::Shell::{
    Shell_NotifyIconW, NIF_INFO, NIIF_ERROR, NIIF_INFO, NIIF_WARNING, NIM_DELETE, NIM_MODIFY,
    NOTIFYICONDATAW, NOTIFY_ICON_MESSAGE,
};

use crate::wide::fill;

/// Which of the shell's icons the balloon carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// All is well (a recovery, an answer).
    Info,
    /// Something is wrong but trading goes on (busy, a pair restricted).
    Warning,
    /// Trading is stopped (maintenance, a halt).
    Error,
}

/// What a balloon says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balloon<'a> {
    /// The bold first line (at most 63 characters are shown; the rest is cut).
    pub title: &'a str,
    /// The text (at most 255 characters).
    pub body: &'a str,
    /// The icon beside it.
    pub severity: Severity,
}

/// Why the shell did not do it.
#[derive(Debug, thiserror::Error)]
pub enum NotifyIconError {
    /// The window has no tray icon the shell knows (no tray, the icon is not added yet, or
    /// it is gone).
    #[error("the shell has no tray icon of this window")]
    NoIcon,
}

/// The highest icon id tried. The tray library numbers its icons from 1 and keeps the number
/// to itself; each icon has a window of its own, so the one id that window answers to is ours.
const MAX_ICON_ID: u32 = 32;

/// Show `balloon` from the tray icon of `window` (the icon's hidden window, as Tauri's
/// `TrayIcon::with_inner_tray_icon(|i| i.window_handle())` gives it, as an address).
pub fn show_balloon(window: isize, balloon: &Balloon<'_>) -> Result<(), NotifyIconError> {
    let mut data = NOTIFYICONDATAW {
        uFlags: NIF_INFO,
        dwInfoFlags: match balloon.severity {
            Severity::Info => NIIF_INFO,
            Severity::Warning => NIIF_WARNING,
            Severity::Error => NIIF_ERROR,
        },
        ..Default::default()
    };
    fill(&mut data.szInfoTitle, balloon.title);
    fill(&mut data.szInfo, balloon.body);
    tell(NIM_MODIFY, window, data)
}

/// Take the tray icon of `window` out of the shell now. A hidden icon of a process that has
/// ended otherwise stays until the shell happens to notice.
pub fn remove(window: isize) -> Result<(), NotifyIconError> {
    tell(NIM_DELETE, window, NOTIFYICONDATAW::default())
}

/// Send `message` with `data` about the tray icon of `window`.
fn tell(
    message: NOTIFY_ICON_MESSAGE,
    window: isize,
    mut data: NOTIFYICONDATAW,
) -> Result<(), NotifyIconError> {
    data.cbSize = u32::try_from(std::mem::size_of::<NOTIFYICONDATAW>()).unwrap_or(u32::MAX);
    data.hWnd = window as HWND;
    for id in 1..=MAX_ICON_ID {
        data.uID = id;
        // SAFETY: `data` is a whole NOTIFYICONDATAW with its size in `cbSize`, alive for the
        // call; the shell only reads it. A window that is gone or an id it does not know is
        // an error return, not undefined behaviour.
        #[allow(unsafe_code)]
        let done = unsafe { Shell_NotifyIconW(message, &data) } != 0;
        if done {
            return Ok(());
        }
    }
    Err(NotifyIconError::NoIcon)
}
