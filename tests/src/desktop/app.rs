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
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    let config_home = dir.join("config");
    // Private whatever the umask: hooks and webhooks are taken only from a file nobody else
    // can change.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(config_home.join("bbwatch"))
        .expect("config dir");
    let file = config_home.join("bbwatch/config.toml");
    std::fs::write(&file, config).expect("config file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("config file");
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

/// A stand-in for the desktop's opener (`xdg-open`) that writes down what it was asked to
/// open, one line a call: put first on the app's `PATH` with the returned entry; what it
/// opened is read from the returned file.
pub fn recording_opener(
    dir: &Path,
    env: &[(String, String)],
) -> Result<((String, String), PathBuf)> {
    use std::os::unix::fs::PermissionsExt as _;
    let opened = dir.join("opened.txt");
    let bin = dir.join("opener");
    std::fs::create_dir_all(&bin)?;
    let xdg_open = bin.join("xdg-open");
    std::fs::write(
        &xdg_open,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", opened.display()),
    )?;
    std::fs::set_permissions(&xdg_open, std::fs::Permissions::from_mode(0o755))?;
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    Ok((("PATH".into(), format!("{}:{path}", bin.display())), opened))
}
