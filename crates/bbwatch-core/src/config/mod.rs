//! The configuration file shared by the CLI and the desktop app, with its validation.
//!
//! A missing key takes its default; an unknown key is returned as a warning; a bad value is an
//! error that names the key and, read from text, the line. Quiet hours, the listen address,
//! URLs and pair names are typed as they are read ([`QuietHours`], `SocketAddr`,
//! [`HttpUrl`], [`WsUrl`], [`PairName`]): nothing downstream parses them again.

pub mod channel;
pub mod exchanges;
pub mod file;
pub mod quiet_hours;
pub mod trust;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bitbank::client::{
    Endpoints, DEFAULT_API_URL, DEFAULT_PUBLIC_URL, MAX_TIMEOUT, MIN_TIMEOUT,
};
use crate::bitbank::source::{BitbankConfig, StreamConfig};
use crate::engine::detect::Thresholds;
use crate::engine::monitor::MonitorConfig;
use crate::exchanges::bitflyer::BitFlyerConfig;
use crate::exchanges::coincheck::CoincheckConfig;
use crate::exchanges::gmocoin::GmoCoinConfig;
use crate::i18n::{Lang, Msg};
use crate::model::event::EventKind;
use crate::model::exchange::Exchange;
use crate::model::pair::PairName;
use crate::model::url::{HttpUrl, WsUrl};

pub use channel::{Channel, ChannelKind, ChannelQuiet, Recipients, SmtpTls};
pub use exchanges::ExchangeSettings;
pub use quiet_hours::{parse_quiet_hours, QuietHours};

/// The shortest allowed poll interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest allowed poll interval.
pub use crate::engine::pace::MAX_INTERVAL;
/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax, a value of the wrong type, or one its type refuses as it is read (a URL
    /// that is not one).
    #[error("line {line}{key}: {message}", key = key.as_deref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Parse {
        /// 1-based line.
        line: usize,
        /// The key on that line, when there is one.
        key: Option<String>,
        /// What TOML said.
        message: String,
    },
    /// A value of the right type but not allowed.
    #[error("{}key `{key}`: {message}", line.map(|l| format!("line {l}, ")).unwrap_or_default())]
    Value {
        /// Dotted key, e.g. `notifications.quiet_hours`.
        key: String,
        /// What is wrong.
        message: String,
        /// The 1-based line of the key in the file, when it was read from one and found.
        line: Option<usize>,
    },
    /// The file was there and is gone: the settings in force stay until it is back.
    #[error("{path} was removed")]
    Removed {
        /// The file.
        path: PathBuf,
    },
    /// A part of a file others can change, set aside: the rest of the file is in force.
    #[error("{}key `{key}`: {}", line.map(|l| format!("line {l}, ")).unwrap_or_default(), part.detail(untrusted, Lang::En))]
    SetAside {
        /// `hooks`, `webhooks`, `api.token` or `api.token_file`.
        key: String,
        /// What it was.
        part: SetAside,
        /// Who else could change the file, and how to mend it (boxed: errors stay small).
        untrusted: Box<crate::config::trust::Untrusted>,
        /// The 1-based line of the key in the file, when found.
        line: Option<usize>,
    },
    /// More than one value is wrong: each of them, in the file's order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ConfigError>),
}

/// What of a file others can change is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetAside {
    /// Its hooks: not run.
    Hooks,
    /// Its webhooks: not sent.
    Webhooks,
    /// Its API token: not used, and the API not served.
    Token,
    /// Its channels to the phone: not sent (they would carry a stored secret wherever the
    /// file points them).
    Channels,
}

impl SetAside {
    /// Why it is set aside and how to mend that, in `lang`.
    pub fn detail(self, untrusted: &crate::config::trust::Untrusted, lang: Lang) -> String {
        let msg = match self {
            SetAside::Hooks => Msg::SetAsideHooks,
            SetAside::Webhooks => Msg::SetAsideWebhooks,
            SetAside::Token => Msg::SetAsideToken,
            SetAside::Channels => Msg::SetAsideChannels,
        };
        let detail = msg.fill(lang, &[("what", &untrusted.what_in(lang))]);
        untrusted.with_fix(&detail, lang)
    }
}

impl ConfigError {
    /// Each problem on its own (one for all but [`ConfigError::Several`]).
    pub fn each(&self) -> Vec<&ConfigError> {
        match self {
            ConfigError::Several(all) => all.iter().collect(),
            one => vec![one],
        }
    }

    /// The dotted key at fault, when one is known.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Value { key, .. } | ConfigError::SetAside { key, .. } => Some(key),
            ConfigError::Parse { key, .. } => key.as_deref(),
            _ => None,
        }
    }

    /// The 1-based line at fault, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Value { line, .. } | ConfigError::SetAside { line, .. } => *line,
            ConfigError::Parse { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// The 1-based line where dotted `key` (`interval`, `notifications.quiet_hours`,
/// `webhooks[1].url`; `hooks` alone for where the first `[[hooks]]` starts) is set in TOML
/// `text`, for a file written as people write them (tables and arrays of tables with one key a
/// line); `None` when it cannot be found.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    // `webhooks[1].url` → table `webhooks`, its second `[[webhooks]]`, key `url`.
    let (table, index, leaf) = match key.rsplit_once('.') {
        Some((path, leaf)) => match path.split_once('[') {
            Some((table, rest)) => {
                let index = rest.trim_end_matches(']').parse::<usize>().ok()?;
                (Some(table), Some(index), leaf)
            }
            None => (Some(path), None, leaf),
        },
        None => (None, None, key),
    };
    let mut current: Option<String> = None;
    let mut seen_of_table = 0usize;
    let mut in_wanted = table.is_none();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix("[[").and_then(|l| l.split_once("]]")) {
            let name = header.0.trim().to_owned();
            // A bare key naming an array of tables (`hooks`): where the first one starts.
            if table.is_none() && name == leaf {
                return Some(n + 1);
            }
            if Some(name.as_str()) == table {
                seen_of_table += 1;
            }
            in_wanted =
                Some(name.as_str()) == table && index.is_none_or(|i| seen_of_table == i + 1);
            current = Some(name);
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split_once(']')) {
            let name = header.0.trim().to_owned();
            in_wanted = index.is_none() && Some(name.as_str()) == table;
            current = Some(name);
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches('"');
        let top_level_dotted = current.is_none()
            && table.is_some_and(|t| index.is_none() && k == format!("{t}.{leaf}"));
        if (in_wanted && k == leaf) || top_level_dotted {
            return Some(n + 1);
        }
    }
    None
}

/// A duration written as `"30s"`, `"2m"`, `"1h 30m"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl Serialize for HumanDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(HumanDuration)
            .map_err(serde::de::Error::custom)
    }
}

/// Parse `"30s"`, `"500ms"`, `"2m"`; the message says what is expected.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        format!("invalid duration {s:?} ({e}); write it like \"30s\", \"2m\" or \"1h\"")
    })
}

/// `auto`, `ja` or `en`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    /// From the locale.
    #[default]
    Auto,
    /// 日本語
    Ja,
    /// English
    En,
}

impl LanguageSetting {
    /// The language to use.
    pub fn resolve(self) -> Lang {
        match self {
            LanguageSetting::Auto => Lang::from_env(),
            LanguageSetting::Ja => Lang::Ja,
            LanguageSetting::En => Lang::En,
        }
    }
}

/// Which transitions raise a desktop notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Notifications {
    /// Maintenance started / ended.
    pub maintenance: bool,
    /// Down / back.
    pub down: bool,
    /// Unreachable / back.
    pub unreachable: bool,
    /// Degraded / restrictions lifted.
    pub degraded: bool,
    /// A watched pair halted, suspended, in circuit break, resumed.
    pub pairs: bool,
    /// A watched pair busy / very busy.
    pub busy: bool,
    /// A watched asset's deposits or withdrawals stopped / resumed (with an API key).
    pub assets: bool,
    /// Play the notification sound.
    pub sound: bool,
    /// Local times between which notifications are silent, written `"23:00-07:00"`.
    pub quiet_hours: Option<QuietHours>,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            maintenance: true,
            down: true,
            unreachable: true,
            degraded: true,
            pairs: true,
            busy: false,
            assets: true,
            sound: true,
            quiet_hours: None,
        }
    }
}

/// A program to run on events (argv, never a shell).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hook {
    /// Event kinds that trigger it; empty for every event.
    pub on: Vec<EventKind>,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// How long it may run.
    pub timeout: HumanDuration,
    /// The exchanges whose events trigger it; empty for every exchange watched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
}

impl Default for Hook {
    fn default() -> Self {
        Hook {
            on: Vec::new(),
            command: Vec::new(),
            timeout: HumanDuration(Duration::from_secs(30)),
            exchanges: Vec::new(),
        }
    }
}

/// A webhook's payload format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The event JSON as is.
    #[default]
    Json,
    /// A Discord message.
    Discord,
    /// A Slack message.
    Slack,
}

/// An HTTP endpoint to POST events to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Where to POST (required: there is no default).
    pub url: HttpUrl,
    /// The payload format.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Event kinds that trigger it; empty for every event.
    #[serde(default)]
    pub on: Vec<EventKind>,
    /// The exchanges whose events trigger it; empty for every exchange watched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
}

/// The local HTTP API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocalApi {
    /// Whether the desktop app serves it too.
    pub enabled: bool,
    /// Address to listen on, written `"127.0.0.1:8765"`.
    #[serde(with = "listen_addr")]
    pub listen: SocketAddr,
    /// Bearer token; a token (or a token file) is required when `listen` is not a loopback
    /// address.
    pub token: String,
    /// A file holding the token instead (absolute path; its contents, trimmed, are the token),
    /// so the configuration file can be shared without the secret. It must be open to its
    /// owner only ([`crate::config::trust::check_secret`]).
    pub token_file: Option<PathBuf>,
    /// Web pages allowed to call the API from a browser, by origin (`https://dash.example`):
    /// a request carrying any other `Origin` is refused, so a page on any site cannot open
    /// event streams to it.
    pub origins: Vec<String>,
    /// Why `token` or `token_file` may not be used: the file that set it can be changed by
    /// others ([`crate::config::trust`]). The API is then not served at all, rather than served
    /// without the token asked for. Never read from nor written to the file.
    #[serde(skip)]
    pub refused: Option<String>,
}

impl Default for LocalApi {
    fn default() -> Self {
        LocalApi {
            enabled: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            token: String::new(),
            token_file: None,
            origins: Vec::new(),
            refused: None,
        }
    }
}

impl LocalApi {
    /// Check the section without reading the token file: `token` and `token_file` are not
    /// both set, `token_file` is absolute, and a non-loopback `listen` has a token. Returns
    /// the address.
    pub fn check(&self) -> Result<SocketAddr, ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value {
            key: key.into(),
            message,
            line: None,
        };
        let listen = self.listen;
        let has_token = !self.token.trim().is_empty();
        if let Some(path) = &self.token_file {
            if has_token {
                return Err(bad(
                    "api.token_file",
                    "set either api.token or api.token_file, not both".into(),
                ));
            }
            if !path.is_absolute() {
                return Err(bad(
                    "api.token_file",
                    format!("{path:?} must be an absolute path"),
                ));
            }
        }
        if !listen.ip().is_loopback() && !has_token && self.token_file.is_none() {
            return Err(bad(
                "api.token",
                format!(
                    "required when api.listen ({listen}) is not a loopback address \
                     (or api.token_file)"
                ),
            ));
        }
        self.allowed_origins()?;
        Ok(listen)
    }

    /// `origins`, each as a browser sends it in `Origin` (`scheme://host[:port]`, lower case,
    /// no default port); anything else (a path, a query, `null`, not http or https) is an
    /// error naming `api.origins`.
    pub fn allowed_origins(&self) -> Result<Vec<String>, ConfigError> {
        self.origins
            .iter()
            .map(|o| {
                web_origin(o).ok_or_else(|| ConfigError::Value {
                    key: "api.origins".into(),
                    message: format!(
                        "{o:?} is not a web origin like https://dash.example or \
                         http://localhost:3000 (scheme, host and port only)"
                    ),
                    line: None,
                })
            })
            .collect()
    }

    /// The token in force: `token`, or the trimmed contents of `token_file`; `None` when
    /// neither is set. An unreadable or empty token file, or one others can read, is an error
    /// naming `api.token_file`; a token from a file others can change is an error too.
    pub fn resolve_token(&self) -> Result<Option<String>, ConfigError> {
        self.check()?;
        if let Some(why) = &self.refused {
            return Err(ConfigError::Value {
                key: self.token_key().into(),
                message: why.clone(),
                line: None,
            });
        }
        let Some(path) = &self.token_file else {
            let token = self.token.trim();
            return Ok((!token.is_empty()).then(|| token.to_owned()));
        };
        let bad = |message: String| ConfigError::Value {
            key: "api.token_file".into(),
            message,
            line: None,
        };
        let text =
            read_config_file(path).map_err(|e| bad(format!("cannot read the token: {e}")))?;
        // Read first: a file that is not there is said as such.
        crate::config::trust::check_secret(path).map_err(|u| {
            bad(u.with_fix(
                &format!(
                    "not used, and the local API not served: {}, so others could learn the token",
                    u.what()
                ),
                Lang::En,
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(bad(format!("{} is empty", path.display())));
        }
        Ok(Some(token.to_owned()))
    }

    /// Whether a token is set, by `token` or `token_file`.
    fn has_token(&self) -> bool {
        !self.token.trim().is_empty() || self.token_file.is_some()
    }

    /// The key that sets the token: `api.token_file` when there is one, else `api.token`.
    fn token_key(&self) -> &'static str {
        if self.token_file.is_some() {
            "api.token_file"
        } else {
            "api.token"
        }
    }
}

/// `"127.0.0.1:8765"` (spaces around it allowed) as the address to listen on, or what is
/// expected: the one parser of `api.listen` and `--listen`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an address like 127.0.0.1:8765"))
}

/// `api.listen`'s serde: an address written as a string, checked as it is read.
mod listen_addr {
    use std::net::SocketAddr;

    use serde::Deserialize as _;

    pub fn serialize<S: serde::Serializer>(addr: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(addr)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_listen(&text).map_err(serde::de::Error::custom)
    }
}

/// `text` as a browser's `Origin` header would give it, if it is one (http or https, a host,
/// maybe a port, nothing after).
fn web_origin(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text.trim()).ok()?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    bare.then(|| url.origin().ascii_serialization())
}

/// The history of events (`[history]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistorySettings {
    /// Whether events are recorded.
    pub enabled: bool,
    /// The file; absent for `$XDG_DATA_HOME/bbwatch/history.sqlite3`.
    pub path: Option<PathBuf>,
    /// Forget events older than this many days; 0 keeps everything.
    pub retention_days: u32,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            enabled: true,
            path: None,
            retention_days: 0,
        }
    }
}

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Time between polls (at least 1 s).
    pub interval: HumanDuration,
    /// Timeout of each request.
    pub timeout: HumanDuration,
    /// Ambiguous failures in a row before `down`/`unreachable`.
    pub failure_threshold: u32,
    /// Good polls in a row before a recovery is believed.
    pub success_threshold: u32,
    /// Watched pairs; absent for every pair tradable at the first answer.
    pub pairs: Option<Vec<PairName>>,
    /// Assets whose deposits and withdrawals are watched (with an API key); absent for those
    /// held at the first answer plus JPY.
    pub assets: Option<Vec<String>>,
    /// A file holding the API key and secret for the CLI (`key = "…"`, `secret = "…"`, mode
    /// 0600). The key itself is never written to this configuration.
    pub api_secret_file: Option<std::path::PathBuf>,
    /// Language of human output.
    pub language: LanguageSetting,
    /// The api host.
    pub api_url: HttpUrl,
    /// The public host.
    pub public_url: HttpUrl,
    /// Take circuit-break changes from bitbank's public stream as they happen (and poll
    /// `circuit_break_info` over REST only for the pairs the stream does not cover).
    pub stream: bool,
    /// The stream host (`wss://`, or `ws://` for a simulator on loopback).
    pub stream_url: WsUrl,
    /// With the stream: poll at once when btc_jpy's ticker falls silent on it for longer than
    /// [`crate::bitbank::silence::BOUND`] (at most one extra poll per bound).
    pub early_poll: bool,
    /// Desktop notifications.
    pub notifications: Notifications,
    /// Programs to run on events.
    pub hooks: Vec<Hook>,
    /// HTTP endpoints to POST events to.
    pub webhooks: Vec<Webhook>,
    /// Channels to the phone: ntfy, Telegram, LINE, e-mail.
    pub channels: Vec<Channel>,
    /// The local HTTP API.
    pub api: LocalApi,
    /// The history of events.
    pub history: HistorySettings,
    /// The other exchanges watched besides bitbank (none unless the user adds them).
    pub exchanges: ExchangeSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            interval: HumanDuration(Duration::from_secs(30)),
            timeout: HumanDuration(Duration::from_secs(10)),
            failure_threshold: 3,
            success_threshold: 1,
            pairs: None,
            assets: None,
            api_secret_file: None,
            language: LanguageSetting::Auto,
            api_url: HttpUrl::known(DEFAULT_API_URL),
            public_url: HttpUrl::known(DEFAULT_PUBLIC_URL),
            stream: true,
            stream_url: WsUrl::known(crate::bitbank::stream::DEFAULT_STREAM_URL),
            early_poll: true,
            notifications: Notifications::default(),
            hooks: Vec::new(),
            webhooks: Vec::new(),
            channels: Vec::new(),
            api: LocalApi::default(),
            history: HistorySettings::default(),
            exchanges: ExchangeSettings::default(),
        }
    }
}

/// A parsed configuration, the unknown keys it contained and what was set aside (warnings,
/// not errors: the rest is in force).
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Dotted paths of keys bbwatch does not know.
    pub unknown_keys: Vec<String>,
    /// What runs programs or carries a secret, set aside because others can change the file
    /// ([`crate::config::trust`]): each a [`ConfigError::Value`] naming its key (`hooks`, `webhooks`,
    /// `api.token`, `api.token_file`) with its line, in the file's order.
    pub refused: Vec<ConfigError>,
}

/// The directory the environment variable `name` holds, if it is set to an absolute path.
pub fn absolute_env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
}

impl Config {
    /// `$XDG_CONFIG_HOME/bbwatch/config.toml` (else `~/.config/bbwatch/config.toml`); on
    /// Windows `%APPDATA%\bbwatch\config.toml`. A relative directory is ignored, as the XDG
    /// spec says: it would load a configuration from whatever the working directory is.
    pub fn default_path() -> Option<PathBuf> {
        #[cfg(windows)]
        let base = absolute_env_dir("APPDATA")?;
        #[cfg(not(windows))]
        let base = absolute_env_dir("XDG_CONFIG_HOME")
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("bbwatch").join("config.toml"))
    }

    /// Parse and validate TOML text, trusted with everything it says.
    pub fn from_toml(text: &str) -> Result<Loaded, ConfigError> {
        Config::parse(text, None)
    }

    /// Parse and validate `text`, read from the file at `path`. When others could change that
    /// file ([`crate::config::trust::check_config`]), its hooks, webhooks and API token are set aside
    /// ([`Loaded::refused`]) and the rest is in force.
    pub fn from_file_text(path: &Path, text: &str) -> Result<Loaded, ConfigError> {
        Config::parse(text, Some(path))
    }

    /// Parse `text`; what runs programs or carries a secret is taken only from a file (`path`)
    /// nobody else can change, and is set aside before the values are checked: what does not
    /// apply is not checked either (but a value that cannot be read as its type, a URL that
    /// is not one, is an error wherever it is).
    fn parse(text: &str, path: Option<&Path>) -> Result<Loaded, ConfigError> {
        let (mut config, unknown_keys, unreadable) = read_typed(text)?;
        // The files are looked at only when there is something to refuse.
        let refused = match path.filter(|_| config.needs_trust()) {
            Some(path) => match crate::config::trust::check_config(path) {
                Ok(()) => Vec::new(),
                Err(untrusted) => located(text, config.set_aside(&untrusted)),
            },
            None => Vec::new(),
        };
        let mut errors = unreadable;
        errors.extend(config.validate_all());
        in_text(text, errors)?;
        Ok(Loaded {
            config,
            unknown_keys,
            refused,
        })
    }

    /// Whether the configuration runs programs or carries a secret: the parts only a file
    /// nobody else can change may set.
    fn needs_trust(&self) -> bool {
        !self.hooks.is_empty()
            || !self.webhooks.is_empty()
            || !self.channels.is_empty()
            || self.api.has_token()
    }

    /// Set aside the hooks and webhooks, and refuse the API token, of a file others can
    /// change (`untrusted` says how): each as a problem naming its key.
    fn set_aside(&mut self, untrusted: &crate::config::trust::Untrusted) -> Vec<ConfigError> {
        let refused = |key: &str, part: SetAside| ConfigError::SetAside {
            key: key.into(),
            part,
            untrusted: Box::new(untrusted.clone()),
            line: None,
        };
        let mut set_aside = Vec::new();
        if !self.hooks.is_empty() {
            self.hooks.clear();
            set_aside.push(refused("hooks", SetAside::Hooks));
        }
        if !self.webhooks.is_empty() {
            self.webhooks.clear();
            set_aside.push(refused("webhooks", SetAside::Webhooks));
        }
        if !self.channels.is_empty() {
            self.channels.clear();
            set_aside.push(refused("channels", SetAside::Channels));
        }
        if self.api.has_token() {
            // Kept where it is, refused where it is read: a refused token must never leave
            // the API open, wherever it listens.
            self.api.refused = Some(SetAside::Token.detail(untrusted, Lang::En));
            set_aside.push(refused(self.api.token_key(), SetAside::Token));
        }
        set_aside
    }

    /// Read `path`; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
        match read_config_file(path) {
            Ok(text) => Config::from_file_text(path, &text),
            Err(ConfigError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(Loaded {
                    config: Config::default(),
                    unknown_keys: Vec::new(),
                    refused: Vec::new(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Read `path`, which must exist (a file named on the command line).
    pub fn load_existing(path: &Path) -> Result<Loaded, ConfigError> {
        Config::from_file_text(path, &read_config_file(path)?)
    }

    /// Check every value; the first bad one is reported by its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.validate_all().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Check every value: each bad one, by its key, in the file's order of sections.
    pub fn validate_all(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let mut bad = |key: &str, message: String| {
            errors.push(ConfigError::Value {
                key: key.into(),
                message,
                line: None,
            });
        };
        if let Err(m) = check_interval(self.interval.0) {
            bad("interval", m);
        }
        if let Err(m) = check_timeout(self.timeout.0) {
            bad("timeout", m);
        }
        if self.failure_threshold == 0 {
            bad("failure_threshold", "must be at least 1".into());
        }
        if self.success_threshold == 0 {
            bad("success_threshold", "must be at least 1".into());
        }
        if let Some(pairs) = &self.pairs {
            if pairs.len() > crate::model::pair::MAX_WATCHED_PAIRS {
                bad(
                    "pairs",
                    format!(
                        "{} pairs listed; at most {} can be watched",
                        pairs.len(),
                        crate::model::pair::MAX_WATCHED_PAIRS
                    ),
                );
            }
        }
        if let Some(assets) = &self.assets {
            if assets.len() > crate::model::asset::MAX_WATCHED_ASSETS {
                bad(
                    "assets",
                    format!(
                        "{} assets listed; at most {} can be watched",
                        assets.len(),
                        crate::model::asset::MAX_WATCHED_ASSETS
                    ),
                );
            }
            for a in assets {
                if let Err(m) = crate::model::asset::check_asset_name(a) {
                    bad("assets", m);
                }
            }
        }
        for (i, hook) in self.hooks.iter().enumerate() {
            if hook.command.first().is_none_or(|c| c.trim().is_empty()) {
                bad(
                    &format!("hooks[{i}].command"),
                    "must name a program, e.g. [\"/usr/local/bin/pause-bot\"]".into(),
                );
            }
            if let Some(program) = hook.command.first().filter(|c| !c.trim().is_empty()) {
                let path = std::path::Path::new(program);
                if !path.is_absolute() && program.contains('/') {
                    bad(
                        &format!("hooks[{i}].command"),
                        format!(
                            "{program:?} must be an absolute path or a bare name found on PATH \
                             (a relative path would depend on where bbwatch was started)"
                        ),
                    );
                } else if let Some(problem) = program_problem(program) {
                    // Said now, not at the first event: that may be the maintenance it was for.
                    bad(&format!("hooks[{i}].command"), problem);
                }
            }
            if hook.timeout.0.is_zero() {
                bad(
                    &format!("hooks[{i}].timeout"),
                    "must be more than 0s".into(),
                );
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, channel) in self.channels.iter().enumerate() {
            errors.extend(
                channel
                    .problems(i, &names)
                    .into_iter()
                    .map(|(key, message)| ConfigError::Value {
                        key,
                        message,
                        line: None,
                    }),
            );
            names.push(channel.id());
        }
        let mut bad = |key: &str, message: String| {
            errors.push(ConfigError::Value {
                key: key.into(),
                message,
                line: None,
            });
        };
        if let Some(path) = &self.history.path {
            if !path.is_absolute() {
                bad("history.path", format!("{path:?} must be an absolute path"));
            }
        }
        if self.history.retention_days > MAX_RETENTION_DAYS {
            bad(
                "history.retention_days",
                "must be at most 36500 (100 years); 0 keeps everything".into(),
            );
        }
        for (key, message) in self.exchanges.problems() {
            bad(&key, message);
        }
        if let Err(e) = self.api.check() {
            errors.push(e);
        }
        errors
    }

    /// Another exchange's monitor settings: this one's pace and thresholds, its own source.
    fn other_monitor<C>(
        &self,
        source: Option<C>,
        pairs: Option<BTreeSet<String>>,
    ) -> Option<MonitorConfig<C>> {
        Some(MonitorConfig {
            interval: self.interval.0,
            thresholds: self.thresholds(),
            pairs,
            source: source?,
        })
    }

    /// GMO Coin's monitor settings, when it is watched.
    pub fn gmocoin_monitor(&self) -> Option<MonitorConfig<GmoCoinConfig>> {
        self.other_monitor(self.exchanges.gmocoin(self.timeout.0), None)
    }

    /// bitFlyer's monitor settings, when it is watched: its products are the watch list.
    pub fn bitflyer_monitor(&self) -> Option<MonitorConfig<BitFlyerConfig>> {
        let source = self.exchanges.bitflyer(self.timeout.0)?;
        let products = source.products.clone();
        self.other_monitor(Some(source), Some(products))
    }

    /// Coincheck's monitor settings, when it is watched.
    pub fn coincheck_monitor(&self) -> Option<MonitorConfig<CoincheckConfig>> {
        let source = self.exchanges.coincheck(self.timeout.0)?;
        let pairs = source.pairs.clone();
        self.other_monitor(Some(source), pairs)
    }

    /// What the monitor takes from these settings.
    pub fn monitor_config(&self) -> MonitorConfig {
        MonitorConfig {
            interval: self.interval.0,
            thresholds: self.thresholds(),
            pairs: self.pair_set(),
            source: BitbankConfig {
                timeout: self.timeout.0,
                endpoints: self.endpoints(),
                stream: self.stream.then(|| StreamConfig {
                    url: self.stream_url.clone(),
                    early_poll: self.early_poll,
                }),
                assets: self.asset_set(),
            },
        }
    }

    /// Watched assets as a set, or `None` for the default.
    pub fn asset_set(&self) -> Option<BTreeSet<String>> {
        self.assets.as_ref().map(|a| a.iter().cloned().collect())
    }

    /// Watched pairs as a set, or `None` for the default.
    pub fn pair_set(&self) -> Option<BTreeSet<String>> {
        self.pairs
            .as_ref()
            .map(|p| p.iter().map(|p| p.as_str().to_owned()).collect())
    }

    /// The thresholds.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            failure: self.failure_threshold,
            success: self.success_threshold,
        }
    }

    /// The hosts.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            api_url: self.api_url.clone(),
            public_url: self.public_url.clone(),
        }
    }
}

/// The largest configuration file read: a real one is a few hundred bytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The most days of history `[history] retention_days` may keep (100 years); 0 keeps all.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// Read a configuration file: a regular file (never a FIFO or a device, which would block
/// or never end) of at most [`MAX_CONFIG_BYTES`].
pub fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    let io = |source: std::io::Error| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    // `metadata` follows symlinks and does not open the file, so a FIFO cannot block it.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CONFIG_BYTES} bytes"),
        )));
    }
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        // The file may grow between the check and the read.
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CONFIG_BYTES} bytes"),
        )));
    }
    Ok(text)
}

/// An interval between [`MIN_INTERVAL`] and [`MAX_INTERVAL`].
pub fn check_interval(d: Duration) -> Result<(), String> {
    if d < MIN_INTERVAL {
        return Err(format!(
            "{} is below the minimum of 1s",
            humantime::format_duration(d)
        ));
    }
    if d > MAX_INTERVAL {
        return Err(format!(
            "{} is above the maximum of 1h",
            humantime::format_duration(d)
        ));
    }
    Ok(())
}

/// A request timeout between [`MIN_TIMEOUT`] and [`MAX_TIMEOUT`].
pub fn check_timeout(d: Duration) -> Result<(), String> {
    if d < MIN_TIMEOUT {
        return Err(format!(
            "{} is below the minimum of 1s",
            humantime::format_duration(d)
        ));
    }
    if d > MAX_TIMEOUT {
        return Err(format!(
            "{} is above the maximum of 2m",
            humantime::format_duration(d)
        ));
    }
    Ok(())
}

/// Why `program` (an absolute path, or a bare name looked up on `PATH`) cannot be run, if it
/// cannot: it does not exist, or is not an executable file.
fn program_problem(program: &str) -> Option<String> {
    let path = std::path::Path::new(program);
    let found = if path.is_absolute() {
        Some(path.to_owned())
    } else {
        std::env::var_os("PATH").and_then(|dirs| {
            std::env::split_paths(&dirs)
                .map(|d| d.join(program))
                .find(|p| p.exists())
        })
    };
    let Some(found) = found.filter(|p| p.exists()) else {
        return Some(if path.is_absolute() {
            format!("{program:?} does not exist")
        } else {
            format!("{program:?} is not found on PATH")
        });
    };
    #[cfg(unix)]
    let runnable = {
        use std::os::unix::fs::PermissionsExt as _;
        found
            .metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    #[cfg(not(unix))]
    let runnable = found.is_file();
    (!runnable).then(|| format!("{} is not an executable program", found.display()))
}

/// `errors` of a file's `text`, each with its line, as one error (none: `Ok`).
pub fn in_text(text: &str, errors: Vec<ConfigError>) -> Result<(), ConfigError> {
    let mut located = located(text, errors);
    match located.len() {
        0 => Ok(()),
        1 => Err(located.remove(0)),
        _ => Err(ConfigError::Several(located)),
    }
}

/// `errors` of a file's `text`, each with its line, in the file's order.
fn located(text: &str, errors: Vec<ConfigError>) -> Vec<ConfigError> {
    let mut located: Vec<ConfigError> = errors
        .into_iter()
        .map(|e| match e {
            ConfigError::Value { key, message, .. } => ConfigError::Value {
                line: line_of_key(text, &key),
                key,
                message,
            },
            ConfigError::SetAside {
                key,
                part,
                untrusted,
                ..
            } => ConfigError::SetAside {
                line: line_of_key(text, &key),
                key,
                part,
                untrusted,
            },
            other => other,
        })
        .collect();
    located.sort_by_key(|e| e.line().unwrap_or(usize::MAX));
    located
}

/// `text` read into a [`Config`], with the keys it does not know and each value that cannot
/// be read as its type (a wrong type, a bad URL, address, pair name or quiet hours), by key
/// and line. Every such value is reported, not only the first: each is left out in turn (its
/// line blanked, so the lines of the others stay) and the rest read again. An entry of an
/// array of tables that lacks a required key (a webhook's `url`) is left out whole; when it
/// lacks it because its bad value was left out, that is not a second error. TOML syntax
/// errors are one error.
fn read_typed(text: &str) -> Result<(Config, Vec<String>, Vec<ConfigError>), ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| parse_error(text, &e))?;
    let mut lines: Vec<&str> = text.lines().collect();
    let mut left_out: Vec<usize> = Vec::new();
    let mut unreadable = Vec::new();
    // Each pass blanks at least one more line: at most as many passes as lines.
    for _ in 0..=lines.len() {
        let current = lines.join("\n");
        let mut unknown_keys = Vec::new();
        let de = toml::Deserializer::new(&current);
        let e: toml::de::Error =
            match serde_ignored::deserialize(de, |p| unknown_keys.push(p.to_string())) {
                Ok(config) => return Ok((config, unknown_keys, unreadable)),
                Err(e) => e,
            };
        let error = parse_error(&current, &e);
        // Without a position, the line is a guess: nothing is left out on it.
        let Some(n) = error.line().filter(|_| e.span().is_some()) else {
            unreadable.push(error);
            break;
        };
        let Some(line) = lines.get(n - 1) else {
            unreadable.push(error);
            break;
        };
        let blank = if is_key_line(line) {
            unreadable.push(error);
            n - 1..n
        } else if line.trim_start().starts_with("[[") {
            // The entry, from its header to the next table.
            let end = (n..lines.len())
                .find(|&i| lines[i].trim_start().starts_with('['))
                .unwrap_or(lines.len());
            if !left_out.iter().any(|l| (n - 1..end).contains(l)) {
                unreadable.push(error);
            }
            n - 1..end
        } else {
            // Not a value on one line (a table, a value over several lines): no way to go on.
            unreadable.push(error);
            break;
        };
        for i in blank {
            lines[i] = "";
            left_out.push(i);
        }
        if lines.join("\n").parse::<toml::Table>().is_err() {
            break;
        }
    }
    Err(match unreadable.len() {
        1 => unreadable.remove(0),
        _ => ConfigError::Several(unreadable),
    })
}

/// Whether `line` sets a key (`key = value`), not a table header nor part of a longer value.
fn is_key_line(line: &str) -> bool {
    let line = line.trim_start();
    !line.starts_with('[')
        && line
            .split_once('=')
            .is_some_and(|(k, _)| !k.trim().is_empty())
}

/// The dotted key set on 1-based `line` of `text` (`notifications.quiet_hours`,
/// `webhooks[1].url`), or the table that starts there (`webhooks[1]`): the inverse of
/// [`line_of_key`], for errors TOML gives by position.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let mut table: Option<String> = None;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for raw in text.lines().take(line) {
        let raw = raw.trim();
        if let Some((name, _)) = raw.strip_prefix("[[").and_then(|l| l.split_once("]]")) {
            let name = name.trim().to_owned();
            let count = seen.entry(name.clone()).or_insert(0);
            table = Some(format!("{name}[{count}]"));
            *count += 1;
        } else if let Some((name, _)) = raw.strip_prefix('[').and_then(|l| l.split_once(']')) {
            table = Some(name.trim().to_owned());
        }
    }
    let last = text.lines().nth(line.checked_sub(1)?)?.trim();
    if last.starts_with('[') {
        return table;
    }
    let key = last.split_once('=')?.0.trim().trim_matches('"');
    if key.is_empty() {
        return None;
    }
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

fn parse_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, key) = match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            (line, key_at_line(text, line))
        }
        None => (1, None),
    };
    ConfigError::Parse {
        line,
        key,
        message: e.message().trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_value_is_reported_with_its_line() {
        let text = "interval = \"100ms\"\nlanguage = \"en\"\n\n[notifications]\nquiet_hours = \"25:00-07:00\"\n\n\
                    [[webhooks]]\nurl = \"https://example.com/ok\"\n\n[[webhooks]]\nurl = \"ftp://nope\"\n";
        let e = Config::from_toml(text).unwrap_err();
        let each: Vec<(Option<usize>, Option<&str>)> =
            e.each().iter().map(|e| (e.line(), e.key())).collect();
        assert_eq!(
            each,
            vec![
                (Some(1), Some("interval")),
                (Some(5), Some("notifications.quiet_hours")),
                (Some(11), Some("webhooks[1].url")),
            ]
        );
        let text = e.to_string();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with("line 1, key `interval`: "), "{text}");
        assert!(
            text.lines()
                .nth(2)
                .unwrap()
                .starts_with("line 11, key `webhooks[1].url`: "),
            "{text}"
        );
        // One bad value is one error, as before.
        let one = Config::from_toml("timeout = \"0s\"\n").unwrap_err();
        assert!(
            matches!(one, ConfigError::Value { line: Some(1), .. }),
            "{one}"
        );
    }

    #[test]
    fn keys_are_found_where_people_write_them() {
        let text = "a = 1\nnotifications.sound = true\n[api]\nlisten = \"x\"\n[[hooks]]\ncommand = [\"a\"]\n[[hooks]]\n  command = [\"b\"]\n";
        assert_eq!(line_of_key(text, "a"), Some(1));
        assert_eq!(line_of_key(text, "notifications.sound"), Some(2));
        assert_eq!(line_of_key(text, "api.listen"), Some(4));
        assert_eq!(line_of_key(text, "hooks[0].command"), Some(6));
        assert_eq!(line_of_key(text, "hooks[1].command"), Some(8));
        assert_eq!(line_of_key(text, "hooks[2].command"), None);
        assert_eq!(line_of_key(text, "hooks"), Some(5));
        assert_eq!(line_of_key(text, "listen"), None);
        assert_eq!(line_of_key("", "x[9].y"), None);
        assert_eq!(line_of_key("[[x]]\n", "x[bad].y"), None);
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let loaded = Config::from_toml("").unwrap();
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.unknown_keys.is_empty());
        assert_eq!(loaded.config.interval.0, Duration::from_secs(30));
        assert_eq!(loaded.config.endpoints(), Endpoints::default());
    }

    #[test]
    fn the_design_example_parses() {
        let text = r#"
interval = "30s"
timeout = "10s"
failure_threshold = 3
success_threshold = 1
pairs = ["btc_jpy", "eth_jpy"]
language = "auto"
api_url = "https://api.bitbank.cc/v1"
public_url = "https://public.bitbank.cc"
stream = true
stream_url = "wss://stream.bitbank.cc"
early_poll = true

[notifications]
maintenance = true
down = true
unreachable = true
degraded = true
pairs = true
busy = false
sound = true
quiet_hours = "23:00-07:00"

[[hooks]]
on = ["maintenance_started", "maintenance_ended"]
command = ["/bin/sh", "-c", "true"]
timeout = "30s"

[[webhooks]]
url = "https://example.invalid/hook"
format = "json"
on = ["maintenance_started", "maintenance_ended"]

[api]
enabled = false
listen = "127.0.0.1:8765"
token = ""
"#;
        let loaded = Config::from_toml(text).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let c = loaded.config;
        assert_eq!(c.pair_set().unwrap().len(), 2);
        assert_eq!(
            c.hooks[0].on,
            vec![EventKind::MaintenanceStarted, EventKind::MaintenanceEnded]
        );
        let quiet = c.notifications.quiet_hours.map(|q| q.to_string());
        assert_eq!(quiet.as_deref(), Some("23:00-07:00"));
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let loaded =
            Config::from_toml("intervall = \"5s\"\n[notifications]\nloud = true\n").unwrap();
        assert_eq!(loaded.unknown_keys, vec!["intervall", "notifications.loud"]);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("interval = \"500ms\"", "interval"),
            ("interval = \"soon\"", "interval"),
            ("interval = 30", "interval"),
            ("timeout = \"0s\"", "timeout"),
            ("timeout = \"10ms\"", "timeout"),
            ("timeout = \"1h\"", "timeout"),
            ("interval = \"100000000000000000s\"", "interval"),
            ("interval = \"2h\"", "interval"),
            ("failure_threshold = 0", "failure_threshold"),
            ("failure_threshold = -1", "failure_threshold"),
            ("pairs = [\"BTC/JPY\"]", "pairs"),
            ("language = \"fr\"", "language"),
            ("api_url = \"ftp://x\"", "api_url"),
            ("public_url = \"not a url\"", "public_url"),
            ("stream_url = \"https://stream.bitbank.cc\"", "stream_url"),
            ("stream_url = \"wss://\"", "stream_url"),
            ("stream = \"yes\"", "stream"),
            ("early_poll = 1", "early_poll"),
            (
                "[notifications]\nquiet_hours = \"late\"",
                "notifications.quiet_hours",
            ),
            ("[[hooks]]\ncommand = []", "hooks[0].command"),
            (
                "[[hooks]]\ncommand = [\"bin/pause-bot\"]",
                "hooks[0].command",
            ),
            ("[[hooks]]\ncommand = [\"./pause-bot\"]", "hooks[0].command"),
            (
                "[[hooks]]\ncommand = [\"/bin/true\"]\n[[hooks]]\ncommand = [\"\"]",
                "hooks[1].command",
            ),
            ("[[webhooks]]\nurl = \"x\"", "webhooks[0].url"),
            (
                "[[webhooks]]\nurl = \"https://a.invalid\"\nformat = \"teams\"",
                "format",
            ),
            ("[api]\nlisten = \"0.0.0.0:8765\"", "api.token"),
            ("[api]\nlisten = \"here\"", "api.listen"),
            (
                "[api]\norigins = [\"https://a.example/page\"]",
                "api.origins",
            ),
            ("[api]\norigins = [\"null\"]", "api.origins"),
            ("[api]\norigins = [\"file:///tmp/x.html\"]", "api.origins"),
            ("[api]\norigins = [\"https://a.example?x\"]", "api.origins"),
            (
                "[api]\ntoken = \"t\"\ntoken_file = \"/etc/bbwatch-token\"",
                "api.token_file",
            ),
            ("[api]\ntoken_file = \"rel/token\"", "api.token_file"),
            ("[api]\ntoken_file = 3", "token_file"),
            ("[history]\nretention_days = -1", "retention_days"),
            (
                "[history]\nretention_days = 99999",
                "history.retention_days",
            ),
            ("[history]\npath = \"rel/h.sqlite3\"", "history.path"),
            ("[history]\nenabled = \"yes\"", "enabled"),
        ];
        for (text, key) in cases {
            let err = Config::from_toml(text).unwrap_err().to_string();
            assert!(
                err.contains(key),
                "{text:?} gave {err:?}, which does not name {key}"
            );
        }
    }

    #[test]
    fn the_api_token_comes_from_the_key_or_a_file() {
        let api = |text: &str| Config::from_toml(text).unwrap().config.api;
        assert_eq!(api("").resolve_token().unwrap(), None);
        assert_eq!(
            api("[api]\ntoken = \" abc \"").resolve_token().unwrap(),
            Some("abc".into())
        );
        let dir = std::env::temp_dir().join(format!("bbwatch-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o700);
        let file = dir.join("token");
        std::fs::write(&file, "from-the-file\n").unwrap();
        set_mode(&file, 0o600);
        let public = |path: &Path| {
            api(&format!(
                "[api]\nlisten = \"0.0.0.0:8765\"\ntoken_file = {:?}",
                path.display().to_string()
            ))
        };
        assert_eq!(
            public(&file).resolve_token().unwrap(),
            Some("from-the-file".into())
        );
        std::fs::write(&file, "  \n").unwrap();
        let err = public(&file).resolve_token().unwrap_err().to_string();
        assert!(
            err.contains("api.token_file") && err.contains("empty"),
            "{err}"
        );
        let err = public(&dir.join("missing"))
            .resolve_token()
            .unwrap_err()
            .to_string();
        assert!(err.contains("api.token_file"), "{err}");
        // Readable by others: refused, naming the file, its mode and the fix.
        std::fs::write(&file, "from-the-file\n").unwrap();
        set_mode(&file, 0o644);
        let err = public(&file).resolve_token().unwrap_err().to_string();
        let shown = file.display();
        assert!(
            err.contains("key `api.token_file`")
                && err.contains(&format!("{shown} is readable by every user (mode 0644)"))
                && err.contains(&format!("run `chmod 600 {shown}`")),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Set `path`'s permission bits (tests write files whatever the umask is).
    fn set_mode(path: &Path, mode: u32) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = (path, mode);
    }

    #[cfg(unix)]
    const PROGRAMS_AND_SECRETS: &str = "pairs = [\"btc_jpy\"]\n\n[[hooks]]\ncommand = [\"/no/such/program\"]\n\n\
         [[webhooks]]\nurl = \"https://example.invalid/hook\"\n\n[api]\nlisten = \"0.0.0.0:8765\"\ntoken = \"t0ken\"\n";

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_change_has_its_programs_and_secrets_set_aside() {
        let dir = std::env::temp_dir().join(format!("bbwatch-trusted-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o700);
        let path = dir.join("config.toml");
        std::fs::write(&path, PROGRAMS_AND_SECRETS).unwrap();
        set_mode(&path, 0o666);
        let loaded = Config::load(&path).unwrap();
        let c = &loaded.config;
        // The rest applies.
        let pairs = c
            .pairs
            .as_ref()
            .map(|p| p.iter().map(ToString::to_string).collect());
        assert_eq!(pairs, Some(vec!["btc_jpy".to_string()]));
        assert_eq!(c.api.listen.to_string(), "0.0.0.0:8765");
        assert!(c.hooks.is_empty() && c.webhooks.is_empty());
        let each: Vec<(Option<usize>, Option<&str>)> =
            loaded.refused.iter().map(|e| (e.line(), e.key())).collect();
        assert_eq!(
            each,
            vec![
                (Some(3), Some("hooks")),
                (Some(6), Some("webhooks")),
                (Some(11), Some("api.token")),
            ]
        );
        let shown = path.display();
        let first = loaded.refused[0].to_string();
        assert_eq!(
            first,
            format!(
                "line 3, key `hooks`: not run: {shown} is writable by every user (mode 0666), \
                 so others could make bbwatch run programs as you; run `chmod go-w {shown}`"
            )
        );
        // The token is never used: not on this address, not on loopback.
        let err = c.api.resolve_token().unwrap_err().to_string();
        assert!(err.contains("api.token") && err.contains("0666"), "{err}");
        let mut loopback = c.api.clone();
        loopback.listen = "127.0.0.1:8765".parse().unwrap();
        assert!(loopback.resolve_token().is_err());

        // Made private: everything applies (and the hook's program is checked again).
        set_mode(&path, 0o600);
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("hooks[0].command"), "{err}");
        std::fs::write(
            &path,
            PROGRAMS_AND_SECRETS.replace("/no/such/program", "/bin/sh"),
        )
        .unwrap();
        let loaded = Config::load_existing(&path).unwrap();
        assert!(loaded.refused.is_empty());
        assert_eq!(loaded.config.hooks.len(), 1);
        assert_eq!(loaded.config.webhooks.len(), 1);
        assert_eq!(
            loaded.config.api.resolve_token().unwrap(),
            Some("t0ken".into())
        );

        // In a directory others can write, sticky or not.
        set_mode(&dir, 0o1777);
        let loaded = Config::load(&path).unwrap();
        assert_eq!(loaded.refused.len(), 3);
        let real = std::fs::canonicalize(&dir).unwrap();
        assert!(
            loaded.refused[0].to_string().contains(&format!(
                "{} is writable by every user (mode 1777)",
                real.display()
            )),
            "{}",
            loaded.refused[0]
        );
        // Text alone, as the settings form reads it, is trusted: it names no file.
        assert!(Config::from_toml(&std::fs::read_to_string(&path).unwrap())
            .unwrap()
            .refused
            .is_empty());
        set_mode(&dir, 0o700);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_without_programs_or_secrets_is_not_looked_at() {
        // Nothing to refuse: the file's mode is not even read.
        let dir = std::env::temp_dir().join(format!("bbwatch-plain-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o777);
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "pairs = [\"btc_jpy\"]\n[api]\nlisten = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        set_mode(&path, 0o666);
        let loaded = Config::load(&path).unwrap();
        assert!(loaded.refused.is_empty());
        assert_eq!(loaded.config.api.resolve_token().unwrap(), None);
        set_mode(&dir, 0o700);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let err = Config::from_toml("interval = \"30s\"\ntimeout = \n").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn a_missing_file_is_the_defaults_and_an_unreadable_one_is_an_error() {
        let loaded = Config::load(Path::new("/nonexistent/bbwatch/config.toml")).unwrap();
        assert_eq!(loaded.config, Config::default());
        assert!(matches!(
            Config::load(Path::new("/")),
            Err(ConfigError::Io { .. })
        ));
    }

    #[test]
    fn a_fifo_as_config_file_is_an_error_not_a_hang() {
        let dir = std::env::temp_dir().join(format!("bbwatch-fifo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let fifo = dir.join("config.toml");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = Config::load(&fifo).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let err = Config::load_existing(&fifo).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_relative_xdg_config_home_is_ignored() {
        // Only this test sets the variable in this process's test binary.
        std::env::set_var("HOME", "/home/someone");
        std::env::set_var("XDG_CONFIG_HOME", "relative/dir");
        assert_eq!(
            Config::default_path(),
            Some(PathBuf::from("/home/someone/.config/bbwatch/config.toml"))
        );
        std::env::set_var("XDG_CONFIG_HOME", "/etc/xdg-test");
        assert_eq!(
            Config::default_path(),
            Some(PathBuf::from("/etc/xdg-test/bbwatch/config.toml"))
        );
    }

    /// The one error of `text`, as it is shown.
    fn one_error(text: &str) -> (Option<usize>, Option<String>, String) {
        let e = Config::from_toml(text).unwrap_err();
        (e.line(), e.key().map(str::to_owned), e.to_string())
    }

    #[test]
    fn bad_quiet_hours_are_an_error_at_load_by_key_and_line() {
        let (line, key, shown) =
            one_error("sound = true\n\n[notifications]\nquiet_hours = \"23:00-25:00\"\n");
        assert_eq!(
            (line, key.as_deref()),
            (Some(4), Some("notifications.quiet_hours"))
        );
        assert!(
            shown.starts_with("line 4, key `notifications.quiet_hours`: ")
                && shown.contains("\"23:00-25:00\" is not a range like \"23:00-07:00\""),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_listen_address_is_an_error_at_load_by_key_and_line() {
        let (line, key, shown) = one_error("[history]\nenabled = true\n[api]\nlisten = \"here\"\n");
        assert_eq!((line, key.as_deref()), (Some(4), Some("api.listen")));
        assert!(
            shown.starts_with("line 4, key `api.listen`: ")
                && shown.contains("\"here\" is not an address like 127.0.0.1:8765"),
            "{shown}"
        );
    }

    #[test]
    fn bad_urls_are_errors_at_load_by_key_and_line() {
        let (line, key, shown) = one_error("interval = \"30s\"\napi_url = \"ftp://x\"\n");
        assert_eq!((line, key.as_deref()), (Some(2), Some("api_url")));
        assert!(
            shown.contains("\"ftp://x\" is not an http(s) URL"),
            "{shown}"
        );
        let (line, key, shown) = one_error("\nstream_url = \"https://stream.bitbank.cc\"\n");
        assert_eq!((line, key.as_deref()), (Some(2), Some("stream_url")));
        assert!(shown.contains("is not a ws(s) URL"), "{shown}");
        let text = "[[webhooks]]\nurl = \"https://a.example/ok\"\n\n[[webhooks]]\nformat = \"json\"\nurl = \"not a url\"\n";
        let (line, key, shown) = one_error(text);
        assert_eq!((line, key.as_deref()), (Some(6), Some("webhooks[1].url")));
        assert!(
            shown.starts_with("line 6, key `webhooks[1].url`: "),
            "{shown}"
        );
        // A webhook without a URL names the webhook.
        let (_, key, _) = one_error("[[webhooks]]\nformat = \"json\"\n");
        assert!(key.is_some_and(|k| k.starts_with("webhooks[0]")));
    }

    #[test]
    fn a_bad_pair_name_is_an_error_at_load_by_key_and_line() {
        let (line, key, shown) = one_error("\npairs = [\"btc_jpy\", \"BTC/JPY\"]\n");
        assert_eq!((line, key.as_deref()), (Some(2), Some("pairs")));
        assert!(
            shown.starts_with("line 2, key `pairs`: ")
                && shown.contains("\"BTC/JPY\" is not a pair name like \"btc_jpy\""),
            "{shown}"
        );
    }

    #[test]
    fn typed_values_write_back_as_they_were_written() {
        let text = "pairs = [\"btc_jpy\", \"eth_jpy\"]\napi_url = \"https://api.bitbank.cc/v1\"\npublic_url = \"https://public.bitbank.cc\"\nstream_url = \"wss://stream.bitbank.cc\"\n\n[notifications]\nquiet_hours = \"23:00-07:00\"\n\n[api]\nlisten = \"127.0.0.1:8765\"\n";
        let config = Config::from_toml(text).unwrap().config;
        let written = toml::to_string(&config).unwrap();
        for line in text.lines().filter(|l| l.contains('=')) {
            assert!(written.contains(line), "{line} not in {written}");
        }
    }

    #[test]
    fn quiet_hours() {
        assert_eq!(parse_quiet_hours("23:00-07:30"), Ok((1380, 450)));
        assert!(parse_quiet_hours("25:00-07:00").is_err());
    }

    #[test]
    fn origins_are_kept_as_a_browser_sends_them() {
        let api = LocalApi {
            origins: vec![
                "HTTPS://Dash.Example/".into(),
                "http://localhost:3000".into(),
                "https://a.example:443".into(),
            ],
            ..LocalApi::default()
        };
        assert_eq!(
            api.allowed_origins().unwrap(),
            [
                "https://dash.example",
                "http://localhost:3000",
                "https://a.example"
            ]
        );
    }
}
