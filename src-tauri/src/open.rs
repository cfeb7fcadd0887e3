//! Opening a web page from the tray process on Linux, as desktop apps do: `xdg-open` (the
//! desktop's own choice of browser), else GIO's `gio open`.

use std::io::ErrorKind;
use std::process::{Command, Stdio};

/// Hand `url` to the desktop. The opener is reaped on a thread of its own (it may wait for
/// the browser).
pub fn url(url: &str) -> Result<(), String> {
    let mut tried = Vec::new();
    for opener in [&["xdg-open"][..], &["gio", "open"][..]] {
        let spawned = Command::new(opener[0])
            .args(&opener[1..])
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        match spawned {
            Ok(mut child) => {
                std::thread::spawn(move || {
                    if let Ok(status) = child.wait() {
                        if !status.success() {
                            tracing::warn!("{} said {status}", opener.join(" "));
                        }
                    }
                });
                return Ok(());
            }
            Err(e) if e.kind() == ErrorKind::NotFound => tried.push(opener.join(" ")),
            Err(e) => return Err(format!("{}: {e}", opener.join(" "))),
        }
    }
    Err(format!("none of {} is installed", tried.join(", ")))
}
