//! bbwatch-window: the status window (Tauri, WebKitGTK), started by the tray app on demand and
//! fed by it over the window link; it ends when the window closes. On Linux the tray app
//! (`bbwatch-desktop`) links no GTK or WebKit: this is the only program of the app that does.
//! Elsewhere the tray app is its own window (`bbwatch-desktop --window`), and this program,
//! though built, is not installed.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(target_os = "linux")]
#[path = "../webview_tuning.rs"]
mod webview_tuning;
#[path = "../window_app.rs"]
mod window_app;

// What the window shares with the tray app, under the names `window_app` uses.
#[cfg(target_os = "linux")]
use bbwatch_desktop::{autostart, input_method};
use bbwatch_desktop::{history, ipc, state, tray};

use bbwatch_desktop::ipc::messages::Section;

fn main() -> anyhow::Result<()> {
    window_app::prepare();
    bbwatch_desktop::init_logging();
    let args: Vec<String> = std::env::args().collect();
    window_app::run(Section::from_args(&args), tauri::generate_context!())
}
