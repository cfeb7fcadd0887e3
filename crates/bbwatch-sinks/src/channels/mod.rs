//! Channels to the phone (`[[channels]]`): ntfy, Telegram, LINE and e-mail, for the tray app and
//! `bbwatch watch`/`serve` alike.
//!
//! - What a channel is told, and when, is [`bbwatch_core::present::relay`]'s: the desktop
//!   notifications' choices, words and quiet hours, a flapping source damped.
//! - Each channel has a worker of its own ([`crate::queue`]): a dead or slow one loses its
//!   oldest events, never holds up another sink or channel.
//! - A message is tried again as [`crate::http`] says (e-mail: on a transient SMTP error); when
//!   it cannot be delivered, the channel says so once ([`Told`], and a warning), not again until
//!   it has delivered since.
//! - Its secret comes from a [`SecretStore`] at each delivery, so a secret saved a moment ago
//!   is used at once; it is never logged, and never in an error's words.

pub mod email;
pub mod line;
pub mod ntfy;
pub mod telegram;

use std::sync::Arc;
use std::time::Duration;

use bbwatch_core::config::{trust, Channel, ChannelKind, Config};
use bbwatch_core::engine::sink::Outlet;
use bbwatch_core::i18n::Msg;
use bbwatch_core::present::relay::{Message, Outgoing, Relay};
use bbwatch_core::{Event, EventKind, Exchange, Lang};
use chrono::{Local, Timelike, Utc};
use tokio::sync::{mpsc, watch};

use crate::http::{client, retry_delay, ClientError, Failure, ATTEMPTS};
use crate::queue::{Queue, Target, Workers};

/// How often a channel looks whether a damped event or the end of quiet hours is due.
pub const TICK: Duration = Duration::from_secs(5);

/// Why a channel could not deliver. The words never hold its secret.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// No HTTP client (its TLS backend).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// It needs a secret and none is set.
    #[error("no {what} is set (in the settings, or {env} or secret_file for the command line)")]
    NoSecret {
        /// What the secret is (`bot token`).
        what: &'static str,
        /// The environment variable that would hold it.
        env: String,
    },
    /// The secret could not be read.
    #[error("cannot read its {what}: {why}")]
    Secret {
        /// What the secret is.
        what: &'static str,
        /// Why not.
        why: String,
    },
    /// The HTTP request failed (after any tries again).
    #[error("{0}")]
    Http(Failure),
    /// The e-mail could not be sent (after any tries again).
    #[error("{0}")]
    Mail(String),
}

impl ChannelError {
    /// What went wrong, for a person reading `lang`: the secret missing or unreadable in
    /// their words; what the network or the server said as it said it.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            ChannelError::NoSecret { what, env } => {
                Msg::ChannelNoSecret.fill(lang, &[("what", secret_words(what, lang)), ("env", env)])
            }
            ChannelError::Secret { what, why } => Msg::ChannelSecretUnreadable
                .fill(lang, &[("what", secret_words(what, lang)), ("why", why)]),
            other => other.to_string(),
        }
    }

    /// Whether trying again later could help.
    fn transient(&self) -> bool {
        matches!(self, ChannelError::Http(Failure::Network(_)))
    }
}

/// What the secret of a channel of `kind` is, in words.
pub fn secret_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Ntfy => "access token",
        ChannelKind::Telegram => "bot token",
        ChannelKind::Line => "channel access token",
        ChannelKind::Email => "password",
    }
}

/// [`secret_name`]'s words in `lang`.
fn secret_words(what: &str, lang: Lang) -> &'static str {
    let msg = match what {
        "access token" => Msg::SecretAccessToken,
        "bot token" => Msg::SecretBotToken,
        "channel access token" => Msg::SecretChannelToken,
        _ => Msg::SecretPassword,
    };
    msg.text(lang)
}

/// Where a channel's secret comes from.
pub trait SecretStore: Send + Sync + 'static {
    /// The secret of `channel`, if one is set. May block (a keyring): called on a blocking
    /// thread.
    fn secret(&self, channel: &Channel) -> Result<Option<String>, String>;
}

/// The command line's secrets: the environment variable [`Channel::secret_env`], else the
/// channel's `secret_file` (open to its owner only; its contents trimmed).
#[derive(Clone, Copy, Debug, Default)]
pub struct EnvOrFile;

impl SecretStore for EnvOrFile {
    fn secret(&self, channel: &Channel) -> Result<Option<String>, String> {
        if let Some(value) = std::env::var(channel.secret_env())
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some(value.trim().to_owned()));
        }
        let Some(path) = &channel.secret_file else {
            return Ok(None);
        };
        let text = bbwatch_core::config::read_config_file(path).map_err(|e| e.to_string())?;
        trust::check_secret(path).map_err(|u| u.with_fix(&u.what(), Lang::En))?;
        match text.trim() {
            "" => Err(format!("{} is empty", path.display())),
            secret => Ok(Some(secret.to_owned())),
        }
    }
}

/// Told when a channel stops delivering (its name and why) and when it delivers again
/// (`None`).
pub type Told = Arc<dyn Fn(&str, Option<&ChannelError>) + Send + Sync>;

/// How a binary's channels get their secrets and say their problems.
#[derive(Clone)]
pub struct ChannelOptions {
    /// Where secrets come from.
    pub secrets: Arc<dyn SecretStore>,
    /// Told of a channel that stops and starts delivering (the tray app's popup); the log
    /// says it anyway.
    pub told: Option<Told>,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions {
            secrets: Arc::new(EnvOrFile),
            told: None,
        }
    }
}

impl Target for Channel {
    fn kinds(&self) -> &[EventKind] {
        // Every event reaches the worker: the relay chooses, with the settings in force.
        &[]
    }

    fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    fn name(&self) -> String {
        format!("channel {} ({})", self.id(), self.kind)
    }
}

/// Minutes after local midnight, now.
fn local_minute() -> u16 {
    let now = Local::now();
    u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0)
}

/// Read `channel`'s secret from `secrets` on a blocking thread; a kind that needs one and has
/// none is an error.
async fn secret_of(
    secrets: &Arc<dyn SecretStore>,
    channel: &Channel,
) -> Result<Option<String>, ChannelError> {
    let (store, looked_up) = (secrets.clone(), channel.clone());
    let what = secret_name(channel.kind);
    let found = tokio::task::spawn_blocking(move || store.secret(&looked_up))
        .await
        .map_err(|e| ChannelError::Secret {
            what,
            why: e.to_string(),
        })?
        .map_err(|why| ChannelError::Secret { what, why })?;
    if found.is_none() && channel.needs_secret() {
        return Err(ChannelError::NoSecret {
            what,
            env: channel.secret_env(),
        });
    }
    Ok(found)
}

/// One try of `message` through `channel`.
async fn send_once(
    http: &reqwest::Client,
    channel: &Channel,
    secret: Option<&str>,
    message: &Message,
    retry_key: &str,
) -> Result<(), ChannelError> {
    match channel.kind {
        ChannelKind::Ntfy => ntfy::send(http, channel, secret, message).await,
        ChannelKind::Telegram => telegram::send(http, channel, secret, message).await,
        ChannelKind::Line => line::send(http, channel, secret, message, retry_key).await,
        ChannelKind::Email => email::send(channel, secret, message).await,
    }
}

/// Send `message` through `channel`, trying again as [`retry_delay`] says (`transient` e-mail
/// errors like network ones).
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    secret: Option<&str>,
    message: &Message,
) -> Result<(), ChannelError> {
    // The same key on every try: LINE delivers a message once however often it is retried.
    let retry_key = retry_key();
    let mut attempt = 1;
    loop {
        let failure = match send_once(http, channel, secret, message, &retry_key).await {
            Ok(()) => return Ok(()),
            Err(ChannelError::Http(failure)) => failure,
            Err(e) if e.transient() => Failure::Network(e.to_string()),
            Err(ChannelError::Mail(why)) if email::is_transient(&why) => Failure::Network(why),
            Err(e) => return Err(e),
        };
        match retry_delay(attempt, &failure, fastrand::f64()) {
            Some(wait) => {
                tracing::info!(
                    "channel {}: {failure} (try {attempt} of {ATTEMPTS}); trying again in {:.1}s",
                    channel.id(),
                    wait.as_secs_f64()
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            None => return Err(ChannelError::Http(failure)),
        }
    }
}

/// A random UUID (version 4), as LINE's `X-Line-Retry-Key` asks.
fn retry_key() -> String {
    let mut b: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Send the test message through `channel` as it is in the form, with `secret` as typed (else
/// none): what "Send a test" in the settings does.
pub async fn send_test(
    channel: &Channel,
    secret: Option<&str>,
    lang: Lang,
) -> Result<(), ChannelError> {
    if secret.is_none() && channel.needs_secret() {
        return Err(ChannelError::NoSecret {
            what: secret_name(channel.kind),
            env: channel.secret_env(),
        });
    }
    let http = client()?;
    send(&http, channel, secret, &Message::test(lang)).await
}

/// One channel's worker: events from its queue through its relay, and the relay's due
/// messages every [`TICK`], each sent in the language in force.
async fn run_channel(
    channel: Channel,
    queue: Arc<Queue>,
    settings: watch::Receiver<Config>,
    http: reqwest::Client,
    options: ChannelOptions,
) {
    let mut relay = Relay::default();
    let mut failing = false;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let outgoing: Vec<Outgoing> = tokio::select! {
            event = queue.next() => match event {
                Some(event) => {
                    let notifications = settings.borrow().notifications.clone();
                    relay
                        .offer(&event, &channel, &notifications, local_minute(), Utc::now())
                        .into_iter()
                        .collect()
                }
                None => return,
            },
            _ = tick.tick() => {
                let notifications = settings.borrow().notifications.clone();
                relay.due(&channel, &notifications, local_minute(), Utc::now())
            }
        };
        for out in outgoing {
            let lang = settings.borrow().language.resolve();
            let message = Message::of(&out, lang, &Utc::now());
            let what = match &out {
                Outgoing::Event(e) => e.kind.to_string(),
                Outgoing::Summary(held) => format!("summary of {} events", held.len()),
            };
            let result = match secret_of(&options.secrets, &channel).await {
                Ok(secret) => send(&http, &channel, secret.as_deref(), &message).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    tracing::info!("channel {} ({what}): delivered", channel.id());
                    if std::mem::take(&mut failing) {
                        tracing::info!("channel {} delivers again", channel.id());
                        if let Some(told) = &options.told {
                            told(channel.id(), None);
                        }
                    }
                }
                Err(e) if failing => {
                    tracing::info!("channel {} ({what}): still failing: {e}", channel.id());
                }
                Err(e) => {
                    failing = true;
                    tracing::warn!("channel {} ({what}): not delivered: {e}", channel.id());
                    if let Some(told) = &options.told {
                        told(channel.id(), Some(&e));
                    }
                }
            }
        }
    }
}

/// Start the channels of the settings in force as a sink (none send until `[[channels]]` are
/// configured). Without an HTTP client there are none, said once. Call inside a tokio runtime.
pub fn start(settings: watch::Receiver<Config>, options: ChannelOptions) -> Option<Outlet> {
    let http = match client() {
        Ok(http) => http,
        Err(e) => {
            tracing::error!("{e}; channels to the phone are off");
            return None;
        }
    };
    Some(Outlet::spawn("channels", move |events| {
        run(settings, http, options, events)
    }))
}

async fn run(
    settings: watch::Receiver<Config>,
    http: reqwest::Client,
    options: ChannelOptions,
    mut events: mpsc::UnboundedReceiver<Event>,
) {
    let mut workers = Workers::with_runner({
        let settings = settings.clone();
        move |channel: Channel, queue: Arc<Queue>| {
            run_channel(
                channel,
                queue,
                settings.clone(),
                http.clone(),
                options.clone(),
            )
        }
    });
    let mut changed = settings.clone();
    workers.follow(&settings.borrow().channels.clone());
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    let channels = settings.borrow().channels.clone();
                    workers.follow(&channels);
                    workers.push(&event);
                }
                None => return,
            },
            // A channel added or removed starts or stops now, not at the next event.
            moved = changed.changed() => {
                if moved.is_err() {
                    return;
                }
                let channels = changed.borrow_and_update().channels.clone();
                workers.follow(&channels);
            }
        }
    }
}

/// The words of a channel problem for a person, in `lang`: a title and a body.
pub fn problem_words(name: &str, why: &str, lang: Lang) -> (String, String) {
    (
        Msg::ChannelProblemTitle.fill(lang, &[("name", name)]),
        Msg::ChannelProblemBody.fill(
            lang,
            &[("why", &bbwatch_core::present::render::sentence(why))],
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn retry_keys_are_version_4_uuids() {
        let k = retry_key();
        assert_eq!(k.len(), 36);
        assert_eq!(&k[14..15], "4");
        assert!("89ab".contains(&k[19..20]));
        assert_ne!(k, retry_key());
    }

    #[test]
    fn what_bbwatch_says_is_in_the_readers_language() {
        let e = ChannelError::NoSecret {
            what: secret_name(ChannelKind::Line),
            env: "BBWATCH_SECRET_LINE".into(),
        };
        assert!(e
            .words(Lang::Ja)
            .starts_with("チャネルアクセストークンが設定されていません"));
        assert!(e
            .words(Lang::En)
            .starts_with("no channel access token is set"));
        let e = ChannelError::Http(Failure::Status {
            status: 401,
            retry_after: None,
        });
        assert_eq!(e.words(Lang::Ja), "answered 401 Unauthorized");
    }

    #[test]
    fn a_missing_secret_names_where_it_goes() {
        let c = Channel::new(ChannelKind::Telegram);
        let e = ChannelError::NoSecret {
            what: secret_name(c.kind),
            env: c.secret_env(),
        };
        assert_eq!(
            e.to_string(),
            "no bot token is set (in the settings, or BBWATCH_SECRET_TELEGRAM or secret_file for \
             the command line)"
        );
    }
}
