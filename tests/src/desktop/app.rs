//! The real `bbwatch-desktop` as the desktop tests start it: its binary, its environment (the
//! private display and bus, its own config and data dirs, the simulator's hosts) and its tray
//! process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Result;
use fake_bitbank::FakeBitbank;

use super::display::Desktop;
use super::target_dir;

/// The app binary that `cargo build --workspace` made.
pub fn app_binary() -> PathBuf {
    let bin = target_dir().join("bbwatch-desktop");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build --workspace`, as `make test` does)",
        bin.display()
    );
    bin
}

/// The app's environment in locale `lang`, and its configuration file (written with `config`).
pub fn app_env(
    desktop: &Desktop,
    dir: &Path,
    sim: &FakeBitbank,
    lang: &str,
    config: &str,
) -> (Vec<(String, String)>, PathBuf) {
    let config_home = dir.join("config");
    std::fs::create_dir_all(config_home.join("bbwatch")).expect("config dir");
    let file = config_home.join("bbwatch/config.toml");
    std::fs::write(&file, config).expect("config file");
    let mut env = desktop.env();
    env.extend([
        ("XDG_CONFIG_HOME".into(), config_home.display().to_string()),
        (
            "XDG_DATA_HOME".into(),
            dir.join("data").display().to_string(),
        ),
        ("HOME".into(), dir.display().to_string()),
        ("BBWATCH_API_URL".into(), sim.api_url()),
        ("BBWATCH_PUBLIC_URL".into(), sim.public_url()),
        ("BBWATCH_STREAM_URL".into(), sim.stream_url()),
        ("TAURI_WEBVIEW_AUTOMATION".into(), "true".into()),
        ("LANG".into(), lang.into()),
        ("TZ".into(), "UTC".into()),
        (
            "BBWATCH_LOG".into(),
            "warn,bbwatch_desktop=info,bbwatch_core=info".into(),
        ),
    ]);
    (env, file)
}

/// Start the tray process; its log goes to `dir/app.log`.
pub fn start_tray(bin: &Path, env: &[(String, String)], dir: &Path) -> Result<Child> {
    Ok(Command::new(bin)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("app.log"))?)
        .spawn()?)
}
