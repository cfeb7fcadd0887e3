//! The desktop as a person meets it, read by a test: the tray over D-Bus, notifications
//! recorded by our own server, the window through WebDriver.

pub mod app;
pub mod display;
pub mod form;
pub mod keyring;
pub mod notifications;
pub mod panel;
pub mod procs;
pub mod sni;
pub mod sound;
pub mod webdriver;

use std::path::PathBuf;
use std::time::Duration;

/// Poll `f` every 100 ms until it returns `Some`, or fail after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The workspace's target directory (the test binary lives in `target/<profile>/deps`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .expect("target/<profile>")
}

/// fake-bitbank phases that change only when the test or benchmark says so: normal, then
/// maintenance (10007 with HTTP 503), then normal again.
pub const HAND_DRIVEN: &str = r#"
description = "normal, maintenance, normal; switched by hand"
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "maintenance"
duration = "24h"
api = { error = 10007, http_status = 503 }
[[phases]]
name = "recovered"
"#;

/// Normal, then a circuit break on xrp_jpy (pushed on the stream), then reopened; switched by
/// hand.
pub const CIRCUIT_HAND_DRIVEN: &str = r#"
description = "normal, xrp_jpy in a circuit break, reopened; switched by hand"
repeat = true
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "circuit-break"
duration = "24h"
circuit_break = { xrp_jpy = { mode = "CIRCUIT_BREAK", reopen_in = "30m" } }
"#;

/// Normal, then withdrawals of eth on its polygon network stopped (with an API key), then
/// resumed; switched by hand.
pub const WITHDRAWAL_HAND_DRIVEN: &str = r#"
description = "normal, eth withdrawals stopped on polygon, resumed; switched by hand"
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "eth on polygon: withdrawals stopped"
duration = "24h"
stop_withdrawal = ["eth/polygon"]
[[phases]]
name = "resumed"
"#;

/// A fresh directory for one test's config, data and runtime files, mode 0700 whatever the
/// umask (it is the app's home: a configuration others could change has its hooks refused).
pub fn scratch_dir(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("bbwatch-desktop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("scratch dir");
    dir
}

/// The files under `dir` that hold `needle` (the keyring's own files are encrypted with the
/// login password, so they do not).
pub fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    found
}
