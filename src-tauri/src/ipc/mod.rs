//! The link between the tray process and the window process: JSON lines over a transport
//! only this user can reach. The tray process owns the monitor and serves; a window process
//! connects, gets everything it needs in one `Hello`, then follows `Status` and `Event` lines.
//!
//! The protocol is here, generic over the stream; the transport is a module of its own: a Unix
//! socket with a peer check on Linux (`linux`), loopback TCP with a token elsewhere
//! (`loopback`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt,
    BufReader,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::app::App;
use crate::pause::Pause;
use crate::state::Shared;

pub mod messages;
use messages::{line, ToTray, ToWindow};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as transport;

// Built on Linux too for its tests, though only used elsewhere.
#[cfg(any(not(target_os = "linux"), test))]
#[cfg_attr(target_os = "linux", allow(dead_code))]
mod loopback;
#[cfg(not(target_os = "linux"))]
use loopback as transport;

pub use transport::{connect, unpublish, Link};

/// The longest line a window may send (its messages are a few bytes).
const MAX_REQUEST: usize = 4096;

/// The next line a window sent, at most [`MAX_REQUEST`] bytes; `None` at the end. Lines are
/// gathered in `buf` across calls, so a read interrupted by `select!` loses nothing.
async fn next_request<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    loop {
        let room = (MAX_REQUEST + 1).saturating_sub(buf.len()) as u64;
        let n = (&mut *reader).take(room).read_until(b'\n', buf).await?;
        if buf.last() == Some(&b'\n') {
            let line = String::from_utf8_lossy(buf).trim_end().to_owned();
            buf.clear();
            return Ok(Some(line));
        }
        if buf.len() > MAX_REQUEST {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a line longer than any message",
            ));
        }
        if n == 0 {
            return Ok(None);
        }
    }
}

fn hello(shared: &Shared) -> ToWindow {
    let lang = shared.lang();
    ToWindow::Hello {
        lang,
        view: shared.status_view(),
        events: shared.recent_events(),
        settings: Box::new(shared.settings_info()),
    }
}

/// Serve window processes until the app exits.
pub async fn serve(app: App) {
    let listener = match transport::Listener::bind().await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen for the status window: it will not open: {e}");
            return;
        }
    };
    loop {
        match listener.accept().await {
            Ok(incoming) => {
                let app = app.clone();
                // Admitted on its own task: a window slow to identify holds up no other.
                tokio::spawn(async move {
                    if let Some(stream) = incoming.admit().await {
                        serve_window(stream, app).await;
                    }
                });
            }
            Err(e) => tracing::warn!("window connection failed: {e}"),
        }
    }
}

async fn serve_window<S>(stream: S, app: App)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let shared = app.shared().clone();
    shared.windows_connected.fetch_add(1, Ordering::SeqCst);
    // Which channels have a secret stored: the window is told when the keyring answers.
    tokio::spawn(crate::channel_secrets::refresh(shared.clone()));
    follow_window(stream, &app, &shared).await;
    shared.windows_connected.fetch_sub(1, Ordering::SeqCst);
}

/// Do what a window asked. Key requests take a while (a request to bitbank, the keyring over
/// D-Bus): they run on their own and answer through `replies`.
fn take_request(
    app: &App,
    shared: &Arc<Shared>,
    request: ToTray,
    replies: &mpsc::UnboundedSender<ToWindow>,
) {
    let answer = |id: u64, job: crate::keys::Job| {
        let (shared, replies) = (shared.clone(), replies.clone());
        tokio::spawn(async move {
            let (ok, text) = crate::keys::run(&shared, job).await;
            let _ = replies.send(ToWindow::KeyAnswer { id, ok, text });
        });
    };
    match request {
        ToTray::CheckNow => shared.monitor.check_now(),
        ToTray::Pause { until: Some(t) } => crate::control::set_pause(app, Pause::Until(t)),
        ToTray::Pause { until: None } => crate::control::set_pause(app, Pause::Forever),
        ToTray::Resume => crate::control::set_pause(app, Pause::Off),
        ToTray::TestKey { id, pair } => answer(id, crate::keys::Job::Test(pair)),
        ToTray::SaveKey { id, pair } => answer(id, crate::keys::Job::Save(pair)),
        ToTray::RemoveKey { id } => answer(id, crate::keys::Job::Remove),
        ToTray::TestChannel { id, test } => {
            let (shared, replies) = (shared.clone(), replies.clone());
            tokio::spawn(async move {
                let (ok, text) = crate::channel_secrets::test(&shared, *test).await;
                let _ = replies.send(ToWindow::KeyAnswer { id, ok, text });
            });
        }
        ToTray::ChannelSecret { id, change } => {
            let (shared, replies) = (shared.clone(), replies.clone());
            tokio::spawn(async move {
                let (ok, text) = crate::channel_secrets::change(&shared, change).await;
                let _ = replies.send(ToWindow::KeyAnswer { id, ok, text });
            });
        }
        ToTray::Reload { id } => {
            // A bad file is published as the problem, which the answer carries.
            let _ = shared.settings.reload();
            tokio::spawn(crate::channel_secrets::refresh(shared.clone()));
            let settings = Box::new(shared.settings_info());
            let _ = replies.send(ToWindow::Reloaded { id, settings });
        }
        ToTray::WelcomeSeen => {
            shared
                .welcome
                .store(false, std::sync::atomic::Ordering::SeqCst);
            let _ = shared.ui.send(ToWindow::Settings {
                settings: shared.settings_info(),
            });
        }
    }
}

async fn follow_window<S>(stream: S, app: &App, shared: &Arc<Shared>)
where
    S: AsyncRead + AsyncWrite,
{
    let mut updates = shared.ui.subscribe();
    let (replies, mut replied) = mpsc::unbounded_channel();
    let (read, mut write) = tokio::io::split(stream);
    if write
        .write_all(line(&hello(shared)).as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut reader = BufReader::new(read);
    let mut pending = Vec::new();
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(msg) => {
                    if write.write_all(line(&msg).as_bytes()).await.is_err() {
                        return;
                    }
                }
                // A window that fell behind starts over from a fresh Hello.
                Err(RecvError::Lagged(_)) => {
                    if write.write_all(line(&hello(shared)).as_bytes()).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            Some(reply) = replied.recv() => {
                if write.write_all(line(&reply).as_bytes()).await.is_err() {
                    return;
                }
            },
            request = next_request(&mut reader, &mut pending) => match request {
                Ok(Some(text)) => match serde_json::from_str::<ToTray>(&text) {
                    Ok(request) => take_request(app, shared, request, &replies),
                    // Where it broke, not what it said: a key request holds the secret.
                    Err(e) => tracing::warn!(
                        "bad message from the window ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    ),
                },
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!("dropped a window connection: {e}");
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use messages::Section;

    #[tokio::test]
    async fn a_window_line_is_bounded_and_survives_interruption() {
        let mut buf = Vec::new();
        let mut input: &[u8] = b"{\"type\":\"check_now\"}\nrest";
        let first = next_request(&mut input, &mut buf).await.unwrap();
        assert_eq!(first.as_deref(), Some("{\"type\":\"check_now\"}"));
        // An unfinished line at the end is no message.
        assert_eq!(next_request(&mut input, &mut buf).await.unwrap(), None);
        let long = vec![b'x'; MAX_REQUEST * 4];
        let mut input: &[u8] = &long;
        let mut buf = Vec::new();
        assert!(next_request(&mut input, &mut buf).await.is_err());
        assert!(buf.len() <= MAX_REQUEST + 1, "read {} bytes", buf.len());
    }

    #[test]
    fn channel_requests_never_show_their_secret_in_a_log() {
        use bbwatch_core::config::{Channel, ChannelKind};
        let test = ToTray::TestChannel {
            id: 7,
            test: Box::new(messages::ChannelTest {
                channel: Channel::new(ChannelKind::Telegram),
                secret: Some("123:s3cret".into()),
                stored_as: None,
            }),
        };
        let store = ToTray::ChannelSecret {
            id: 8,
            change: messages::SecretChange::Store {
                name: "telegram".into(),
                secret: "123:s3cret".into(),
            },
        };
        for msg in [&test, &store] {
            assert!(!format!("{msg:?}").contains("s3cret"), "{msg:?}");
            // On the link itself it travels, and reads back.
            let l = line(msg);
            assert!(l.contains("s3cret") && l.len() < MAX_REQUEST);
            let back: ToTray = serde_json::from_str(l.trim()).unwrap();
            assert_eq!(format!("{back:?}"), format!("{msg:?}"));
        }
    }

    #[test]
    fn messages_are_tagged_json_lines() {
        let l = line(&ToTray::CheckNow);
        assert_eq!(l, "{\"type\":\"check_now\"}\n");
        let back: ToTray = serde_json::from_str(l.trim()).unwrap();
        assert!(matches!(back, ToTray::CheckNow));
        let until = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 9, 30, 0).unwrap();
        let pause = line(&ToTray::Pause { until: Some(until) });
        assert_eq!(
            pause,
            "{\"type\":\"pause\",\"until\":\"2026-12-01T09:30:00Z\"}\n"
        );
        assert!(matches!(
            serde_json::from_str(pause.trim()).unwrap(),
            ToTray::Pause { until: Some(t) } if t == until
        ));
        let show = line(&ToWindow::Show {
            section: Section::Settings,
        });
        assert_eq!(show, "{\"type\":\"show\",\"section\":\"settings\"}\n");
    }
}
