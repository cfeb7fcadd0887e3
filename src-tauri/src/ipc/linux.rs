//! The link's transport on Linux: a Unix socket in the user's runtime directory, mode 0600,
//! and a peer check (only our own uid may talk to the tray).

use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::UnixListener;

/// A window's connection, as the tray sees it.
pub type Stream = tokio::net::UnixStream;

/// The tray's connection, as the (blocking) window process sees it.
pub type Link = std::os::unix::net::UnixStream;

/// The uid this process runs as (the owner of `/proc/self`).
fn own_uid() -> std::io::Result<u32> {
    std::fs::metadata("/proc/self").map(|m| m.uid())
}

/// A directory only we can use: ours, not a link, nobody else may enter.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != own_uid()? || meta.mode() & 0o077 != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} is not a private directory of this user", dir.display()),
        ));
    }
    Ok(())
}

/// `$XDG_RUNTIME_DIR/bbwatch-desktop.sock`; without a runtime directory, the same name in a
/// `0700` directory of our own in the temp directory (never a name anyone could take first).
fn socket_path() -> std::io::Result<PathBuf> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        Some(dir) => dir,
        None => {
            let dir = std::env::temp_dir().join(format!("bbwatch-{}", own_uid()?));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
            private_dir(&dir)?;
            dir
        }
    };
    Ok(dir.join("bbwatch-desktop.sock"))
}

/// Take our socket away (on Quit): nothing of the app is left in the runtime directory.
pub fn unpublish() {
    if let Ok(path) = socket_path() {
        let _ = std::fs::remove_file(path);
    }
}

/// Whether the socket at `path` is our own user's (checked before a window trusts it).
fn ours(path: &Path) -> bool {
    match (std::fs::symlink_metadata(path), own_uid()) {
        (Ok(meta), Ok(uid)) => meta.uid() == uid,
        _ => false,
    }
}

/// The tray's socket, listening.
pub struct Listener {
    inner: UnixListener,
    uid: u32,
}

/// A connection accepted, not yet admitted.
pub struct Incoming {
    stream: Stream,
    uid: u32,
}

impl Listener {
    /// Listen for windows. The single-instance guard makes this process the only tray of the
    /// session, so a socket left by a crashed one is stale and replaced.
    pub async fn bind() -> std::io::Result<Listener> {
        let path = socket_path()?;
        let _ = std::fs::remove_file(&path);
        let inner = UnixListener::bind(&path)?;
        // Only this user may connect, whatever the directory allows.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Listener {
            inner,
            uid: own_uid()?,
        })
    }

    /// The next connection.
    pub async fn accept(&self) -> std::io::Result<Incoming> {
        let (stream, _) = self.inner.accept().await?;
        Ok(Incoming {
            stream,
            uid: self.uid,
        })
    }
}

impl Incoming {
    /// The stream, if the peer is our own user.
    pub async fn admit(self) -> Option<Stream> {
        match self.stream.peer_cred() {
            Ok(peer) if peer.uid() == self.uid => Some(self.stream),
            Ok(peer) => {
                tracing::warn!("refused a window of another user (uid {})", peer.uid());
                None
            }
            Err(e) => {
                tracing::warn!("refused a window whose user is unknown: {e}");
                None
            }
        }
    }
}

/// The tray's socket, waited for briefly (the tray may be starting); only our own user's.
pub fn connect() -> anyhow::Result<Link> {
    let path = socket_path()?;
    for _ in 0..50 {
        if ours(&path) {
            if let Ok(s) = Link::connect(&path) {
                return Ok(s);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    anyhow::bail!(
        "the bbwatch tray app is not running (no {} of this user): start bbwatch-desktop",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_directory_is_private() {
        let dir = std::env::temp_dir().join(format!("bbwatch-ipc-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
        assert!(private_dir(&dir).is_err(), "0755 is not private");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(private_dir(&dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
