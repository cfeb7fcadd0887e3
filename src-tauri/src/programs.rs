//! The app's programs, installed beside each other: the tray (`bbwatch-desktop`) and, on
//! Linux, the window (`bbwatch-window`); elsewhere the tray program is the window too, with
//! [`WINDOW_FLAG`].

use std::path::PathBuf;

/// The window's flag: `bbwatch-desktop --window` is the window (on Linux by handing over to
/// `bbwatch-window`).
pub const WINDOW_FLAG: &str = "--window";

/// The tray app's program name.
const TRAY: &str = "bbwatch-desktop";

/// The window's program name on Linux.
#[cfg(target_os = "linux")]
pub const WINDOW: &str = "bbwatch-window";

/// The window's program and its first arguments, from either process.
pub fn window() -> std::io::Result<(PathBuf, Vec<&'static str>)> {
    let exe = std::env::current_exe()?;
    #[cfg(target_os = "linux")]
    return Ok((exe.with_file_name(WINDOW), Vec::new()));
    #[cfg(not(target_os = "linux"))]
    Ok((
        exe.with_file_name(TRAY)
            .with_extension(std::env::consts::EXE_EXTENSION),
        vec![WINDOW_FLAG],
    ))
}

/// The tray app's program (what starts at login), from either process.
pub fn tray() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe
        .with_file_name(TRAY)
        .with_extension(std::env::consts::EXE_EXTENSION))
}
