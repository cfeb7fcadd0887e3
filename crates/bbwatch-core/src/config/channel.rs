//! Channels to the phone (`[[channels]]`): ntfy, Telegram, LINE and e-mail, beside hooks and
//! webhooks. What a channel is told follows the desktop notifications' choices unless it says
//! otherwise; its secret (a token, a password) is never in this file: the tray app keeps it in
//! the system keyring, the CLI reads it from [`Channel::secret_env`] or `secret_file`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::quiet_hours::QuietHours;
use crate::model::event::EventKind;
use crate::model::url::HttpUrl;

/// Where a channel delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A topic on ntfy.sh or the user's own ntfy server.
    Ntfy,
    /// A Telegram chat, through a bot (`sendMessage`).
    Telegram,
    /// A LINE user, through the Messaging API's push (LINE Notify ended in 2025).
    Line,
    /// E-mail, over SMTP.
    Email,
}

impl ChannelKind {
    /// Every kind, in the order the settings window offers them.
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Ntfy,
        ChannelKind::Telegram,
        ChannelKind::Line,
        ChannelKind::Email,
    ];

    /// Its name in the file (`ntfy`, `telegram`, `line`, `email`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Line => "line",
            ChannelKind::Email => "email",
        }
    }

    /// Whether a channel of this kind cannot send without a secret.
    pub fn needs_secret(self) -> bool {
        matches!(self, ChannelKind::Telegram | ChannelKind::Line)
    }

    /// The API a channel of this kind talks to unless its `url` says otherwise (none for ntfy,
    /// whose `url` is the topic, nor e-mail).
    pub fn default_api(self) -> Option<&'static str> {
        match self {
            ChannelKind::Telegram => Some("https://api.telegram.org"),
            ChannelKind::Line => Some("https://api.line.me"),
            ChannelKind::Ntfy | ChannelKind::Email => None,
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an e-mail channel secures its SMTP connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpTls {
    /// The port used when `port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// A channel's quiet hours: the desktop notifications' (`"same"`, the default), none
/// (`"never"`), or its own (`"23:00-07:00"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChannelQuiet {
    /// Those of `[notifications]`.
    #[default]
    Same,
    /// None: everything is sent at once, day and night.
    Never,
    /// Its own.
    Hours(QuietHours),
}

impl ChannelQuiet {
    /// The quiet hours in force for the channel, given the desktop notifications' (`desktop`).
    pub fn resolve(self, desktop: Option<QuietHours>) -> Option<QuietHours> {
        match self {
            ChannelQuiet::Same => desktop,
            ChannelQuiet::Never => None,
            ChannelQuiet::Hours(q) => Some(q),
        }
    }
}

impl FromStr for ChannelQuiet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "same" => Ok(ChannelQuiet::Same),
            "never" => Ok(ChannelQuiet::Never),
            hours => hours.parse().map(ChannelQuiet::Hours).map_err(|_| {
                format!("{s:?} is not \"same\", \"never\" or a range like \"23:00-07:00\"")
            }),
        }
    }
}

impl fmt::Display for ChannelQuiet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelQuiet::Same => f.write_str("same"),
            ChannelQuiet::Never => f.write_str("never"),
            ChannelQuiet::Hours(q) => q.fmt(f),
        }
    }
}

impl Serialize for ChannelQuiet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChannelQuiet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Who a channel writes to: one chat or user id, or e-mail addresses. Written as a string or
/// a list of strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OneOrMany", into = "OneOrMany")]
pub struct Recipients(pub Vec<String>);

#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Recipients {
    fn from(v: OneOrMany) -> Self {
        match v {
            OneOrMany::One(s) => Recipients(vec![s]),
            OneOrMany::Many(v) => Recipients(v),
        }
    }
}

impl From<Recipients> for OneOrMany {
    fn from(r: Recipients) -> Self {
        match <[String; 1]>::try_from(r.0) {
            Ok([one]) => OneOrMany::One(one),
            Err(many) => OneOrMany::Many(many),
        }
    }
}

/// One channel to the phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// What it is (required).
    pub kind: ChannelKind,
    /// Its name, unique among channels: it names the channel in logs and popups and its
    /// secret in the keyring and the environment. Empty for the kind's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Event kinds it is told of; empty for what `[notifications]` chooses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<EventKind>,
    /// The exchanges it is told of; empty for every exchange watched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<crate::model::exchange::Exchange>,
    /// Its quiet hours.
    #[serde(default, skip_serializing_if = "is_same")]
    pub quiet_hours: ChannelQuiet,
    /// In quiet hours, urgent events (maintenance and outages starting) are still sent at
    /// once; the rest wait for the summary.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent_in_quiet_hours: bool,
    /// ntfy: the topic's URL (`https://ntfy.sh/my-topic`). Telegram, LINE: the API's base
    /// URL, when not the real one (a test server, a proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpUrl>,
    /// Telegram: the chat id; LINE: the user (or group) id; e-mail: the addresses.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub to: Recipients,
    /// E-mail: the SMTP server's host name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub smtp_host: String,
    /// E-mail: the SMTP port; by default 587 with STARTTLS, 465 with TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// E-mail: how the connection is secured (never in clear).
    #[serde(default, skip_serializing_if = "is_starttls")]
    pub tls: SmtpTls,
    /// E-mail: the SMTP user name; empty to send without logging in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// E-mail: the sender (`bbwatch <me@example.com>`); by default the first address of `to`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// E-mail: a PEM file of a certificate authority to trust besides the usual ones (a
    /// server of one's own with its own certificate). Absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// A file holding the secret (the token; e-mail: the password), open to its owner only.
    /// Absolute. The environment variable [`Channel::secret_env`] comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
}

fn is_same(q: &ChannelQuiet) -> bool {
    *q == ChannelQuiet::Same
}

fn is_empty(r: &Recipients) -> bool {
    r.0.is_empty()
}

fn is_starttls(t: &SmtpTls) -> bool {
    *t == SmtpTls::Starttls
}

/// The longest channel name.
pub const MAX_NAME: usize = 32;

impl Channel {
    /// A channel of `kind` with nothing else set.
    pub fn new(kind: ChannelKind) -> Channel {
        Channel {
            kind,
            name: String::new(),
            on: Vec::new(),
            exchanges: Vec::new(),
            quiet_hours: ChannelQuiet::Same,
            urgent_in_quiet_hours: false,
            url: None,
            to: Recipients::default(),
            smtp_host: String::new(),
            smtp_port: None,
            tls: SmtpTls::Starttls,
            username: String::new(),
            from: String::new(),
            ca_file: None,
            secret_file: None,
        }
    }

    /// Its name: `name`, or the kind's when empty.
    pub fn id(&self) -> &str {
        match self.name.trim() {
            "" => self.kind.as_str(),
            name => name,
        }
    }

    /// The environment variable that holds its secret for the CLI:
    /// `BBWATCH_SECRET_<NAME>`, the name upper-cased with anything but letters and digits as
    /// `_` (`phone-ntfy` → `BBWATCH_SECRET_PHONE_NTFY`).
    pub fn secret_env(&self) -> String {
        let name: String = self
            .id()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("BBWATCH_SECRET_{name}")
    }

    /// Whether it is told of events of `kind`, before quiet hours: its own list, else what
    /// the desktop notifications choose (`wanted_by_notifications`).
    pub fn wants(&self, kind: EventKind, wanted_by_notifications: bool) -> bool {
        if self.on.is_empty() {
            wanted_by_notifications
        } else {
            self.on.contains(&kind)
        }
    }

    /// Whether it cannot send without a secret: Telegram and LINE always, e-mail when it logs
    /// in.
    pub fn needs_secret(&self) -> bool {
        self.kind.needs_secret()
            || (self.kind == ChannelKind::Email && !self.username.trim().is_empty())
    }

    /// The API base URL in force (Telegram, LINE): `url`, else the real one.
    pub fn api_base(&self) -> Option<&str> {
        match &self.url {
            Some(url) => Some(url.as_str()),
            None => self.kind.default_api(),
        }
    }

    /// The SMTP port in force.
    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or_else(|| self.tls.default_port())
    }

    /// Each bad value of the `i`-th channel: its key (`channels[0].to`) and what is wrong;
    /// `names` are the names of the channels before it, to find a name used twice.
    pub fn problems(&self, i: usize, names: &[&str]) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut bad = |key: &str, message: String| {
            errors.push((format!("channels[{i}].{key}"), message));
        };
        let name = self.id();
        if name.len() > MAX_NAME
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bad(
                "name",
                format!(
                    "{name:?} must be at most {MAX_NAME} letters, digits, - or _ (it names the \
                     channel's secret)"
                ),
            );
        } else if names.contains(&name) {
            bad(
                "name",
                format!("{name:?} names another channel too: give each a name of its own"),
            );
        }
        let to = &self.to.0;
        match self.kind {
            ChannelKind::Ntfy => match &self.url {
                None => bad(
                    "url",
                    "required: the topic's URL, e.g. \"https://ntfy.sh/my-bitbank-alerts\"".into(),
                ),
                Some(url) if ntfy_topic(url).is_none() => bad(
                    "url",
                    format!("{url} names no topic: it ends with the topic, like https://ntfy.sh/my-topic"),
                ),
                Some(_) => {}
            },
            ChannelKind::Telegram => match to.as_slice() {
                [id] if telegram_chat(id) => {}
                [id] => bad(
                    "to",
                    format!("{id:?} is not a chat id (a number like \"123456789\" or \"-1001234567890\", or \"@channel\")"),
                ),
                _ => bad("to", "one chat id, e.g. \"123456789\"".into()),
            },
            ChannelKind::Line => match to.as_slice() {
                [id] if line_id(id) => {}
                [id] => bad(
                    "to",
                    format!("{id:?} is not a LINE user, group or room id (U, C or R and 32 hex digits)"),
                ),
                _ => bad("to", "one LINE user id, e.g. \"U4af4980629…\"".into()),
            },
            ChannelKind::Email => {
                if to.is_empty() {
                    bad("to", "at least one address, e.g. [\"me@example.com\"]".into());
                }
                for address in to {
                    if !looks_like_address(address) {
                        bad("to", format!("{address:?} is not an e-mail address"));
                    }
                }
                if !self.from.trim().is_empty() && !looks_like_address(&self.from) {
                    bad(
                        "from",
                        format!("{:?} is not an e-mail address", self.from),
                    );
                }
                let host = self.smtp_host.trim();
                if host.is_empty() || host.contains(['/', ' ', ':']) {
                    bad(
                        "smtp_host",
                        "required: the SMTP server's host name, e.g. \"smtp.example.com\"".into(),
                    );
                }
                if self.smtp_port == Some(0) {
                    bad("smtp_port", "must be 1 to 65535".into());
                }
            }
        }
        for (key, path) in [
            ("ca_file", &self.ca_file),
            ("secret_file", &self.secret_file),
        ] {
            if let Some(path) = path.as_ref().filter(|p| !p.is_absolute()) {
                bad(key, format!("{path:?} must be an absolute path"));
            }
        }
        errors
    }
}

/// The topic of an ntfy topic URL: its last path segment, if it has one.
pub fn ntfy_topic(url: &HttpUrl) -> Option<&str> {
    url.url()
        .path_segments()?
        .next_back()
        .filter(|t| !t.is_empty())
}

/// A Telegram chat id: an integer, or `@` and a public channel's name.
fn telegram_chat(id: &str) -> bool {
    match id.strip_prefix('@') {
        Some(name) => {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => id.parse::<i64>().is_ok(),
    }
}

/// A LINE id: `U`, `C` or `R`, then 32 hex digits.
fn line_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('U' | 'C' | 'R'))
        && id.len() == 33
        && chars.all(|c| c.is_ascii_hexdigit())
}

/// Something like an e-mail address, or `Name <address>`: the SMTP client checks it fully.
fn looks_like_address(text: &str) -> bool {
    let text = text.trim();
    let address = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(_)) => &text[open + 1..text.len() - 1],
        _ => text,
    };
    match address.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn keys(c: &Channel) -> Vec<String> {
        c.problems(0, &[]).into_iter().map(|(key, _)| key).collect()
    }

    #[test]
    fn each_kind_says_what_it_lacks_by_its_key() {
        assert_eq!(keys(&Channel::new(ChannelKind::Ntfy)), ["channels[0].url"]);
        assert_eq!(
            keys(&Channel::new(ChannelKind::Telegram)),
            ["channels[0].to"]
        );
        assert_eq!(keys(&Channel::new(ChannelKind::Line)), ["channels[0].to"]);
        assert_eq!(
            keys(&Channel::new(ChannelKind::Email)),
            ["channels[0].to", "channels[0].smtp_host"]
        );
    }

    #[test]
    fn good_channels_pass() {
        let mut ntfy = Channel::new(ChannelKind::Ntfy);
        ntfy.url = Some("https://ntfy.sh/bitbank-alerts".parse().unwrap());
        assert!(keys(&ntfy).is_empty());
        let mut telegram = Channel::new(ChannelKind::Telegram);
        for id in ["123456789", "-1001234567890", "@my_channel"] {
            telegram.to = Recipients(vec![id.into()]);
            assert!(keys(&telegram).is_empty(), "{id}");
        }
        let mut line = Channel::new(ChannelKind::Line);
        line.to = Recipients(vec![format!("U{}", "a1".repeat(16))]);
        assert!(keys(&line).is_empty());
        let mut email = Channel::new(ChannelKind::Email);
        email.to = Recipients(vec!["me@example.com".into()]);
        email.smtp_host = "smtp.example.com".into();
        email.from = "bbwatch <alerts@example.com>".into();
        assert!(keys(&email).is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        let mut ntfy = Channel::new(ChannelKind::Ntfy);
        ntfy.url = Some("https://ntfy.sh/".parse().unwrap());
        ntfy.name = "my phone".into();
        ntfy.secret_file = Some("token.txt".into());
        assert_eq!(
            keys(&ntfy),
            [
                "channels[0].name",
                "channels[0].url",
                "channels[0].secret_file"
            ]
        );
        let mut email = Channel::new(ChannelKind::Email);
        email.to = Recipients(vec!["me".into(), "a@b.c".into()]);
        email.smtp_host = "smtp.example.com:587".into();
        email.smtp_port = Some(0);
        assert_eq!(
            keys(&email),
            [
                "channels[0].to",
                "channels[0].smtp_host",
                "channels[0].smtp_port"
            ]
        );
        let ntfy2 = Channel::new(ChannelKind::Ntfy);
        assert!(ntfy2
            .problems(1, &["ntfy"])
            .iter()
            .any(|(key, _)| key == "channels[1].name"));
    }

    #[test]
    fn the_secret_variable_is_named_after_the_channel() {
        let mut c = Channel::new(ChannelKind::Telegram);
        assert_eq!(c.secret_env(), "BBWATCH_SECRET_TELEGRAM");
        c.name = "phone-ntfy_2".into();
        assert_eq!(c.secret_env(), "BBWATCH_SECRET_PHONE_NTFY_2");
    }

    #[test]
    fn quiet_hours_are_the_desktops_unless_said() {
        let q: QuietHours = "23:00-07:00".parse().unwrap();
        assert_eq!(ChannelQuiet::Same.resolve(Some(q)), Some(q));
        assert_eq!(ChannelQuiet::Never.resolve(Some(q)), None);
        let own: ChannelQuiet = "01:00-05:00".parse().unwrap();
        assert_eq!(own.resolve(Some(q)), Some("01:00-05:00".parse().unwrap()));
        assert!("sometimes".parse::<ChannelQuiet>().is_err());
        assert_eq!(own.to_string(), "01:00-05:00");
    }

    #[test]
    fn recipients_are_one_or_many() {
        #[derive(Deserialize, Serialize)]
        struct T {
            to: Recipients,
        }
        let one: T = toml::from_str("to = \"123\"").unwrap();
        assert_eq!(one.to.0, ["123"]);
        assert_eq!(toml::to_string(&one).unwrap().trim(), "to = \"123\"");
        let many: T = toml::from_str("to = [\"a@b.c\", \"d@e.f\"]").unwrap();
        assert_eq!(many.to.0, ["a@b.c", "d@e.f"]);
    }
}

#[cfg(test)]
mod file_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::config::Config;

    const FILE: &str = r#"
[[channels]]
kind = "ntfy"
url = "https://ntfy.sh/bitbank-alerts"

[[channels]]
kind = "telegram"
name = "tg"
to = "123456789"
on = ["maintenance_started", "maintenance_ended"]
quiet_hours = "never"

[[channels]]
kind = "email"
to = ["me@example.com"]
smtp_host = "smtp.example.com"
tls = "tls"
urgent_in_quiet_hours = true
"#;

    #[test]
    fn channels_are_read_from_the_file_and_written_back_the_same() {
        let loaded = Config::from_toml(FILE).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let c = &loaded.config.channels;
        assert_eq!(c.len(), 3);
        assert_eq!(c[1].id(), "tg");
        assert_eq!(c[2].port(), 465);
        let again = toml::to_string(&loaded.config).unwrap();
        assert_eq!(Config::from_toml(&again).unwrap().config, loaded.config);
    }

    #[test]
    fn a_bad_channel_is_named_with_its_line_and_an_unknown_key_is_a_warning() {
        let text = "[[channels]]\nkind = \"line\"\nto = \"nobody\"\ncolour = \"red\"\n";
        let e = Config::from_toml(text).unwrap_err();
        assert_eq!(e.key(), Some("channels[0].to"));
        assert_eq!(e.line(), Some(3));
        let text = "[[channels]]\nkind = \"ntfy\"\nurl = \"https://ntfy.sh/x\"\ncolour = \"red\"\n";
        let loaded = Config::from_toml(text).unwrap();
        assert_eq!(loaded.unknown_keys, ["channels.0.colour"]);
        assert!(Config::from_toml("[[channels]]\nkind = \"pager\"\n").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn channels_of_a_file_others_can_change_are_set_aside() {
        use crate::config::{ConfigError, SetAside};
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("bbwatch-channel-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let loaded = Config::load(&path).unwrap();
        assert!(loaded.config.channels.is_empty());
        assert!(matches!(
            loaded.refused.as_slice(),
            [ConfigError::SetAside { part: SetAside::Channels, key, .. }] if key == "channels"
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
