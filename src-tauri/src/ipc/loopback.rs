//! The link's transport off Linux: TCP on 127.0.0.1 at a port the system picks. Any local
//! process can connect to a loopback port, so the tray writes the port and a random token to
//! a file only the user can read (mode 0600 on macOS; on Windows the user's profile directory
//! is the user's alone), and drops a connection whose first line is not that token.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

/// A window's connection, as the tray sees it.
pub type Stream = tokio::net::TcpStream;

/// The tray's connection, as the (blocking) window process sees it.
pub type Link = std::net::TcpStream;

/// The token's length in hex digits (128 bits).
const TOKEN_LEN: usize = 32;

/// How long a connection may take to say the token.
const TOKEN_WAIT: Duration = Duration::from_secs(5);

/// The file that says where the tray listens: in the app's configuration directory (where
/// `config.toml` is), else the user's local application data.
fn address_file() -> std::io::Result<PathBuf> {
    let dir = bbwatch_core::config::Config::default_path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(|d| PathBuf::from(d).join("bbwatch")))
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no configuration directory for the window's address",
            )
        })?;
    Ok(dir.join("bbwatch-desktop.port"))
}

/// A fresh token: 128 bits from the operating system's secure random source, in hex (a
/// seeded generator's output could be guessed by another local user).
fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; TOKEN_LEN / 2];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `a` and `b` are equal, taking as long whatever the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Write `port token` to `path`, readable by this user only. The old file goes first, so the
/// new one is made with our mode whatever the old one had.
fn publish(path: &Path, port: u16, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{port} {token}")
}

/// The port and token in `path`, if it holds them.
fn read_address(path: &Path) -> Option<(u16, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (port, token) = text.trim().split_once(' ')?;
    let token = token.trim();
    if token.len() != TOKEN_LEN {
        return None;
    }
    Some((port.parse().ok()?, token.to_owned()))
}

/// Take the address file away (on Quit): a window started later says the tray is not running.
pub fn unpublish() {
    if let Ok(path) = address_file() {
        let _ = std::fs::remove_file(path);
    }
}

/// The tray's loopback port, listening.
pub struct Listener {
    inner: TcpListener,
    token: String,
}

/// A connection accepted, not yet admitted.
pub struct Incoming {
    stream: Stream,
    token: String,
}

impl Listener {
    /// Listen for windows, and say where in the address file.
    pub async fn bind() -> std::io::Result<Listener> {
        Listener::bind_at(&address_file()?).await
    }

    async fn bind_at(path: &Path) -> std::io::Result<Listener> {
        let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let token = new_token()?;
        publish(path, inner.local_addr()?.port(), &token)?;
        Ok(Listener { inner, token })
    }

    /// The next connection.
    pub async fn accept(&self) -> std::io::Result<Incoming> {
        let (stream, _) = self.inner.accept().await?;
        Ok(Incoming {
            stream,
            token: self.token.clone(),
        })
    }
}

impl Incoming {
    /// The stream, if its first line is the token (read to the byte: nothing after it is
    /// taken).
    pub async fn admit(mut self) -> Option<Stream> {
        let expected = format!("{}\n", self.token);
        let mut first = vec![0u8; expected.len()];
        let read = tokio::time::timeout(TOKEN_WAIT, self.stream.read_exact(&mut first)).await;
        match read {
            Ok(Ok(_)) if same(&first, expected.as_bytes()) => {
                // Lines are small and answered at once: do not hold them back.
                let _ = self.stream.set_nodelay(true);
                Some(self.stream)
            }
            Ok(Ok(_)) => {
                tracing::warn!("refused a window connection without the token");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!("refused a window connection: {e}");
                None
            }
            Err(_) => {
                tracing::warn!("refused a window connection that did not say the token");
                None
            }
        }
    }
}

/// The tray's port, waited for briefly (the tray may be starting), and the token said.
pub fn connect() -> anyhow::Result<Link> {
    connect_at(&address_file()?)
}

fn connect_at(path: &Path) -> anyhow::Result<Link> {
    for _ in 0..50 {
        if let Some((port, token)) = read_address(path) {
            if let Ok(mut s) = Link::connect((Ipv4Addr::LOCALHOST, port)) {
                let _ = s.set_nodelay(true);
                s.write_all(format!("{token}\n").as_bytes())?;
                return Ok(s);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    anyhow::bail!(
        "the bbwatch tray app is not running (no {}): start bbwatch-desktop",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;
    use tokio::io::AsyncWriteExt as _;

    /// Whether the peer closed `link` (how a refused connection looks).
    fn closed(link: &mut Link) -> bool {
        let _ = link.set_read_timeout(Some(Duration::from_secs(10)));
        matches!(link.read(&mut [0u8; 1]), Ok(0) | Err(_))
    }

    fn temp_file(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bbwatch-loopback-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("bbwatch-desktop.port")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_window_with_the_token_is_admitted_and_one_without_is_dropped() {
        let path = temp_file("admit");
        let listener = Listener::bind_at(&path).await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (port, _) = read_address(&path).unwrap();

        // With the token: admitted, and what follows it arrives whole.
        let window = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let mut link = connect_at(&path).unwrap();
                link.write_all(b"{\"type\":\"check_now\"}\n").unwrap();
                link
            })
        };
        let mut stream = listener.accept().await.unwrap().admit().await.unwrap();
        let _window = window.await.unwrap();
        let mut line = [0u8; 21];
        stream.read_exact(&mut line).await.unwrap();
        assert_eq!(&line, b"{\"type\":\"check_now\"}\n");
        stream.write_all(b"ok\n").await.unwrap();

        // Without it: dropped.
        let stranger = tokio::task::spawn_blocking(move || {
            let mut link = Link::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
            link.write_all(&[b'0'; TOKEN_LEN]).unwrap();
            link.write_all(b"\n").unwrap();
            closed(&mut link)
        });
        assert!(listener.accept().await.unwrap().admit().await.is_none());
        assert!(
            stranger.await.unwrap(),
            "the stranger's connection stays open"
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn tokens_are_fresh_and_compared_whole() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), TOKEN_LEN);
        assert_ne!(a, b);
        assert!(same(a.as_bytes(), a.as_bytes()));
        assert!(!same(a.as_bytes(), b.as_bytes()));
        assert!(!same(a.as_bytes(), &a.as_bytes()[1..]));
    }
}
