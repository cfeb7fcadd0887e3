fn main() {
    // Each command is declared so that a capability can allow exactly the ones a window uses.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "get_status",
            "welcome_seen",
            "check_now",
            "pause_notifications",
            "open_announcements",
            "get_settings",
            "set_autostart",
            "open_config_file",
            "close_window",
            "load_settings",
            "validate_settings",
            "save_settings",
            "set_dirty",
            "get_pairs",
            "get_history",
            "export_history_csv",
            "send_test_notification",
            "test_key",
            "save_key",
            "test_channel",
            "remove_key",
            "open_api_key_page",
            "open_api_docs",
        ]),
    ))
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
