//! bbwatch-desktop's parts: the tray process (a thin shell over bbwatch-core that subscribes
//! to the monitor's snapshot and events and re-emits them to the tray, notifications and the
//! window) and what the window process shares with it. On Linux nothing here uses Tauri: the
//! tray binary links no GTK or WebKit; the window is a binary of its own (`bbwatch-window`).

pub mod app;
#[cfg(target_os = "linux")]
pub mod autostart;
pub mod channel_secrets;
pub mod control;
pub mod history;
#[cfg(target_os = "linux")]
pub mod input_method;
pub mod ipc;
pub mod keys;
pub mod notifier;
#[cfg(target_os = "linux")]
mod open;
pub mod pause;
pub mod programs;
pub mod secrets;
#[cfg(target_os = "linux")]
pub mod single_instance;
pub mod state;
pub mod tray;
pub mod tray_app;
pub mod view;
pub mod window;

/// Logging to stderr, as `BBWATCH_LOG` says (`warn,bbwatch_desktop=info` without it).
pub fn init_logging() {
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BBWATCH_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,bbwatch_desktop=info")
            }),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file or a journal.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
