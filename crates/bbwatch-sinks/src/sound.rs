//! The notification's sound, played by bbwatch itself where the notification server plays
//! none (xfce4-notifyd, for one, has no `sound` capability and ignores the sound hint): the
//! freedesktop sound theme's `message-new-instant`, through libcanberra's player (which follows
//! the user's theme and mute settings), else PulseAudio's or PipeWire's player with the theme's
//! file. The player runs on its own; nothing waits for it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The sound theme's name of the sound.
pub const SOUND_NAME: &str = "message-new-instant";

/// Where the freedesktop theme keeps it, below a data directory.
const THEME_FILE: &str = "sounds/freedesktop/stereo/message-new-instant.oga";

/// A way to play the sound: a program and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Player {
    /// The program found on `PATH`.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The first executable named `name` in the directories of `path` (a `PATH` value).
fn find_on(path: &OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The theme's file, in the first of `data_dirs` (an `XDG_DATA_DIRS` value) that has it.
fn theme_file(data_dirs: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(data_dirs)
        .map(|dir| dir.join(THEME_FILE))
        .find(|f| f.is_file())
}

/// How to play the sound with what this machine has: `path` and `data_dirs` are `PATH` and
/// `XDG_DATA_DIRS`, passed in so the choice is tested without the machine's own.
pub fn player(path: &OsStr, data_dirs: &OsStr) -> Option<Player> {
    if let Some(program) = find_on(path, "canberra-gtk-play") {
        return Some(Player {
            program,
            args: vec![
                "--id".into(),
                SOUND_NAME.into(),
                "--description".into(),
                "bbwatch".into(),
            ],
        });
    }
    let file = theme_file(data_dirs)?;
    ["paplay", "pw-play"].iter().find_map(|name| {
        find_on(path, name).map(|program| Player {
            program,
            args: vec![file.display().to_string()],
        })
    })
}

/// Play the sound now, if this machine can; says once in the log when it cannot.
pub fn play() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let data_dirs = std::env::var_os("XDG_DATA_DIRS")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    let Some(player) = player(&path, &data_dirs) else {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            tracing::warn!(
                "the notification server plays no sound and no player was found \
                 (canberra-gtk-play, or paplay/pw-play with the freedesktop sound theme)"
            );
        });
        return;
    };
    let spawned = tokio::process::Command::new(&player.program)
        .args(&player.args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(false)
        .spawn();
    match spawned {
        // Reaped on its own task: no zombie, and no one waits for the sound.
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => tracing::warn!(
            "cannot play the sound with {}: {e}",
            player.program.display()
        ),
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn program(dir: &Path, name: &str) {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_themes_player_comes_first_then_a_sound_servers_player_with_the_file() {
        let root = std::env::temp_dir().join(format!("bbwatch-sound-{}", std::process::id()));
        let (bin, data) = (root.join("bin"), root.join("data"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(data.join("sounds/freedesktop/stereo")).unwrap();
        let (path, dirs) = (bin.as_os_str(), data.as_os_str());
        assert_eq!(player(path, dirs), None, "nothing to play with");
        program(&bin, "paplay");
        assert_eq!(player(path, dirs), None, "no theme file");
        std::fs::write(data.join(THEME_FILE), b"OggS").unwrap();
        let p = player(path, dirs).unwrap();
        assert_eq!(p.program, bin.join("paplay"));
        assert_eq!(p.args, [data.join(THEME_FILE).display().to_string()]);
        // A file that is not executable is no player.
        std::fs::write(bin.join("canberra-gtk-play"), "").unwrap();
        assert_eq!(player(path, dirs).unwrap().program, bin.join("paplay"));
        program(&bin, "canberra-gtk-play");
        let p = player(path, dirs).unwrap();
        assert_eq!(p.program, bin.join("canberra-gtk-play"));
        assert_eq!(p.args[..2], ["--id", SOUND_NAME]);
        let _ = std::fs::remove_dir_all(root);
    }
}
