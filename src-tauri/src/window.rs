//! The status window: made on demand, destroyed on close, so no web view runs while it is shut.

use bbwatch_core::i18n::Msg;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::state::Shared;

pub const STATUS: &str = "status";

/// Which part of the window to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Status,
    Settings,
}

impl Section {
    fn as_str(self) -> &'static str {
        match self {
            Section::Status => "status",
            Section::Settings => "settings",
        }
    }
}

/// Show the status window (making it if needed), at `section`.
pub fn open(app: &AppHandle, section: Section) {
    if let Some(window) = app.get_webview_window(STATUS) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        let _ = window.emit("bbwatch://section", section.as_str());
        return;
    }
    let lang = app.state::<std::sync::Arc<Shared>>().lang;
    let url = format!("index.html#{}", section.as_str());
    let built = WebviewWindowBuilder::new(app, STATUS, WebviewUrl::App(url.into()))
        .title(Msg::UiTitle.text(lang))
        .inner_size(560.0, 640.0)
        .min_inner_size(420.0, 420.0)
        .build();
    if let Err(e) = built {
        tracing::error!("cannot open the status window: {e}");
    }
}
