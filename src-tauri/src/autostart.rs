//! Start at login on Linux: an XDG autostart entry of our own, `bbwatch.desktop` in
//! `$XDG_CONFIG_HOME/autostart`, with the app's name and comment in both languages, its icon
//! and the binary's path quoted as the Desktop Entry spec says (the autostart plugin's entry
//! had a generic comment, no icon and a stray space).

use std::io::Write as _;
use std::path::{Path, PathBuf};

const ICON_PNG: &[u8] = include_bytes!("../../icons/128x128.png");

#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("no home directory: set XDG_CONFIG_HOME or HOME")]
    NoHome,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AutostartError + '_ {
    move |source| AutostartError::Io {
        path: path.to_owned(),
        source,
    }
}

/// An absolute directory from the environment variable, else `$HOME/<fallback>`.
fn base_dir(var: &str, fallback: &str) -> Result<PathBuf, AutostartError> {
    if let Some(dir) = std::env::var_os(var).map(PathBuf::from) {
        if dir.is_absolute() {
            return Ok(dir);
        }
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .map(|h| h.join(fallback))
        .ok_or(AutostartError::NoHome)
}

fn entry_path() -> Result<PathBuf, AutostartError> {
    Ok(base_dir("XDG_CONFIG_HOME", ".config")?.join("autostart/bbwatch.desktop"))
}

fn icon_path() -> Result<PathBuf, AutostartError> {
    Ok(base_dir("XDG_DATA_HOME", ".local/share")?.join("bbwatch/bbwatch.png"))
}

/// An `Exec` argument, quoted per the Desktop Entry spec when it needs to be.
fn exec_quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.+".contains(c))
    {
        return arg.to_owned();
    }
    let mut out = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    // `%` is a field code in Exec, even inside quotes.
    out.replace('%', "%%")
}

/// The menu entry the packages install (a Handlebars template for Tauri's bundler): the
/// autostart entry is the same, so both say the same name in both languages.
const MENU_ENTRY: &str = include_str!("../packaging/bbwatch.desktop");

/// The autostart entry for the binary at `exe` with its icon at `icon`.
pub fn entry(exe: &Path, icon: &Path) -> String {
    let mut entry = MENU_ENTRY
        .replace("{{icon}}", &icon.display().to_string())
        .replace("{{exec}}", &exec_quote(&exe.display().to_string()));
    entry.push_str("X-GNOME-Autostart-enabled=true\n");
    entry
}

/// Whether the app starts at login.
pub fn is_enabled() -> Result<bool, AutostartError> {
    Ok(entry_path()?.is_file())
}

/// Start the app at login: write its icon and the entry.
pub fn enable() -> Result<(), AutostartError> {
    let (path, icon) = (entry_path()?, icon_path()?);
    // The tray, also when the window (a program of its own) switches this on.
    let exe = crate::programs::tray().map_err(io(&path))?;
    for (file, bytes) in [
        (&icon, ICON_PNG.to_vec()),
        (&path, entry(&exe, &icon).into_bytes()),
    ] {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let tmp = file.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, file).map_err(io(file))?;
    }
    Ok(())
}

/// Do not start at login: remove the entry and its icon.
pub fn disable() -> Result<(), AutostartError> {
    for file in [entry_path()?, icon_path()?] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&file)(e)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_is_complete_and_exact() {
        let e = entry(
            Path::new("/opt/my apps/bbwatch-desktop"),
            Path::new("/home/u/.local/share/bbwatch/bbwatch.png"),
        );
        assert!(
            e.contains("\nExec=\"/opt/my apps/bbwatch-desktop\"\n"),
            "{e}"
        );
        assert!(e.contains("\nIcon=/home/u/.local/share/bbwatch/bbwatch.png\n"));
        assert!(e.contains("\nComment=Shows bitbank maintenance and outages in the tray\n"));
        assert!(e.contains("\nComment[ja]="));
        assert!(e.contains("\nName[ja]=bitbank メンテナンス監視 (bbwatch)\n"));
        assert!(!e.contains("{{"), "{e}");
        assert!(e.lines().all(|l| !l.ends_with(' ')), "{e}");
        assert_eq!(
            exec_quote("/usr/bin/bbwatch-desktop"),
            "/usr/bin/bbwatch-desktop"
        );
        assert_eq!(exec_quote("/a/100%"), "\"/a/100%%\"");
    }
}
