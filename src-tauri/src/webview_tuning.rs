//! The status window's WebKit, sized for what it shows: one small local page. WebKitGTK's
//! defaults suit a browser (GPU rendering, JIT, caches for many pages, media, WebGL…); what
//! the page never uses should cost the window's processes no memory.
//!
//! Measured with the window open (`bench-desktop`, release build, RSS): the environment below
//! takes the window process from ~154 to ~98 MiB; the web view's settings change no RSS
//! measurably, but keep features the page does not use from being reached. JavaScriptCore's
//! JIT stays: without it the web process is ~7 MiB smaller but the window shows its first
//! level ~200 ms later (803 against 592 ms; docs/benchmarks.md).

use tauri::WebviewWindow;
use webkit2gtk::{
    CacheModel, HardwareAccelerationPolicy, SettingsExt as _, WebContextExt as _, WebViewExt as _,
};

/// Environment for WebKit and the processes it starts, set before GTK starts (while the
/// process has one thread). A user's own value wins.
pub fn before_gtk() {
    // Only without compositing (window_app sets it off unless the user turned it on): with it,
    // WebKit needs the DMA-BUF renderer and the GPU's render node.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|v| v != "0") {
        for (var, value) in NO_GL_IN_THE_WINDOW {
            set_default(var, value);
        }
    }
}

fn set_default(var: &str, value: &str) {
    if std::env::var_os(var).is_none() {
        // Before any other thread exists: nothing else reads the environment yet.
        std::env::set_var(var, value);
    }
}

/// Without compositing the web process hands its frames over in shared memory, yet WebKit's
/// window process still opens an EGL display twice, and so loads the GL driver (with Mesa,
/// libLLVM: ~55 MiB): to find the GPU's render node for the web process, and to see whether
/// the DMA-BUF renderer could work. A render node named here and the DMA-BUF renderer off skip
/// both. (The web process opens its own display whatever the settings, up to WebKitGTK 2.50:
/// WebKit bug 306862.)
const NO_GL_IN_THE_WINDOW: [(&str, &str); 2] = [
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
];

/// Trims the window's web view and its context to the page's needs.
pub fn apply(window: Option<&WebviewWindow>) {
    let Some(window) = window else { return };
    let result = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(context) = view.context() {
            // One document, never browsed away from: the smallest memory and disk caches.
            context.set_cache_model(CacheModel::DocumentViewer);
            // The form's fields are checked in Rust; no dictionaries.
            context.set_spell_checking_enabled(false);
        }
        let Some(settings) = view.settings() else {
            return;
        };
        // Drawn in software, as the environment above expects.
        settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        // No back/forward navigation: nothing to keep in the page cache.
        settings.set_enable_page_cache(false);
        settings.set_enable_back_forward_navigation_gestures(false);
        // No 3D, audio, video, camera, DRM, offline storage or prefetching on this page.
        settings.set_enable_webgl(false);
        settings.set_enable_media(false);
        settings.set_enable_mediasource(false);
        settings.set_enable_media_stream(false);
        settings.set_enable_media_capabilities(false);
        settings.set_enable_encrypted_media(false);
        settings.set_enable_webaudio(false);
        settings.set_enable_webrtc(false);
        settings.set_enable_html5_database(false);
        settings.set_enable_offline_web_application_cache(false);
        settings.set_enable_dns_prefetching(false);
    });
    if let Err(e) = result {
        tracing::warn!("cannot tune the window's web view: {e}");
    }
}
