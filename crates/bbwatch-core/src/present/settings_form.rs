//! The settings window's form: the values as the user typed them, checked field by field with
//! messages in the user's language, and turned into a [`Config`] to save.
//!
//! The rules are the configuration's ([`parse_duration`], [`check_interval`], [`check_timeout`],
//! [`PairName`], [`HttpUrl`], [`WsUrl`], [`parse_quiet_hours`], [`parse_listen`] and the
//! limits beside them): this
//! module only says which field broke which rule, in words a person can act on. The window asks
//! it as the user types, so the rules live in Rust once.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bitbank::client::{MAX_TIMEOUT, MIN_TIMEOUT};
use crate::config::channel::MAX_NAME;
use crate::config::exchanges::ProductCode;
use crate::config::{
    check_interval, check_timeout, parse_duration, parse_listen, parse_quiet_hours, Channel,
    ChannelKind, ChannelQuiet, Config, ConfigError, ExchangeSettings, LanguageSetting, QuietHours,
    Recipients, SmtpTls, MAX_INTERVAL, MAX_RETENTION_DAYS, MIN_INTERVAL,
};
use crate::exchanges::bitflyer::MAX_PRODUCTS;
use crate::i18n::{Lang, Msg};
use crate::model::event::EventKind;
use crate::model::pair::{PairName, MAX_WATCHED_PAIRS};
use crate::model::url::{HttpUrl, WsUrl};

/// The form's values, as typed (text fields are strings, so that a half-typed value can be
/// shown its error instead of being lost).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// Poll interval, e.g. `"30s"`.
    pub interval: String,
    /// Request timeout, e.g. `"10s"`.
    pub timeout: String,
    /// Failures in a row before down/unreachable, e.g. `"3"`.
    pub failure_threshold: String,
    /// The pairs chosen; `None` for every pair tradable at start (the default).
    pub pairs: Option<Vec<String>>,
    /// Language.
    pub language: LanguageSetting,
    /// Notify on maintenance.
    pub notify_maintenance: bool,
    /// Notify on down.
    pub notify_down: bool,
    /// Notify on unreachable.
    pub notify_unreachable: bool,
    /// Notify on degraded.
    pub notify_degraded: bool,
    /// Notify on pair changes.
    pub notify_pairs: bool,
    /// Notify on busy pairs.
    pub notify_busy: bool,
    /// Play the sound.
    pub sound: bool,
    /// Whether quiet hours apply.
    pub quiet_hours: bool,
    /// Quiet hours start, `"HH:MM"` local time.
    pub quiet_from: String,
    /// Quiet hours end, `"HH:MM"` local time.
    pub quiet_to: String,
    /// The api host.
    pub api_url: String,
    /// The public host.
    pub public_url: String,
    /// Take circuit breaks from bitbank's live stream (`stream`).
    pub stream: bool,
    /// The stream host.
    pub stream_url: String,
    /// Days of history kept, e.g. `"0"` (everything).
    pub retention_days: String,
    /// Whether the desktop app serves the local API (`[api] enabled`).
    pub api_enabled: bool,
    /// Where the local API listens, e.g. `"127.0.0.1:8765"`.
    pub api_listen: String,
    /// The assets whose deposits and withdrawals are watched, comma-separated; empty for
    /// the assets held at the first answer, and JPY (the default).
    pub assets: String,
    /// Notify when deposits or withdrawals stop or resume.
    pub notify_assets: bool,
    /// The channels to the phone (`[[channels]]`), in the file's order. Their secrets are
    /// not here: the tray keeps them in the keyring.
    pub channels: Vec<ChannelForm>,
    /// Watch GMO Coin too (`[exchanges.gmocoin] enabled`).
    pub gmocoin: bool,
    /// Watch bitFlyer too (`[exchanges.bitflyer] enabled`).
    pub bitflyer: bool,
    /// bitFlyer's products, comma-separated (`BTC_JPY, FX_BTC_JPY`).
    pub bitflyer_products: String,
    /// Watch Coincheck too (`[exchanges.coincheck] enabled`).
    pub coincheck: bool,
    /// Coincheck's pairs, comma-separated; empty for every pair it lists.
    pub coincheck_pairs: String,
}

/// One channel as the form shows it: what it has fields for as typed, and the keys it has no
/// field for kept as the file says them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    /// ntfy, Telegram, LINE or e-mail (chosen when it is added).
    pub kind: ChannelKind,
    /// Its name; empty for the kind's.
    pub name: String,
    /// ntfy: the topic's URL. Telegram, LINE: the API's base URL (not shown; kept).
    pub url: String,
    /// The chat id, the LINE user id, or the e-mail addresses, comma-separated.
    pub to: String,
    /// E-mail: the SMTP host.
    pub smtp_host: String,
    /// E-mail: the port as typed; empty for the security's default.
    pub smtp_port: String,
    /// E-mail: STARTTLS or TLS.
    pub tls: SmtpTls,
    /// E-mail: the SMTP user name.
    pub username: String,
    /// E-mail: the sender.
    pub from: String,
    /// In quiet hours, urgent events are still sent at once.
    pub urgent_in_quiet_hours: bool,
    /// The name its secret is stored under (its name in the file when the form was read);
    /// none for a channel added in the form. Not written to the file.
    pub stored_as: Option<String>,
    /// Kept from the file: the event kinds it is told of.
    pub on: Vec<EventKind>,
    /// Kept from the file: its quiet hours.
    pub quiet_hours: ChannelQuiet,
    /// Kept from the file: a CA file (e-mail).
    pub ca_file: Option<std::path::PathBuf>,
    /// Kept from the file: a file holding the secret.
    pub secret_file: Option<std::path::PathBuf>,
}

impl Default for ChannelForm {
    fn default() -> Self {
        ChannelForm::from_channel(&Channel::new(ChannelKind::Ntfy))
    }
}

/// A channel's field that can be wrong, by its key in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelField {
    /// `name`.
    Name,
    /// `url`.
    Url,
    /// `to`.
    To,
    /// `smtp_host`.
    SmtpHost,
    /// `smtp_port`.
    SmtpPort,
    /// `from`.
    From,
}

impl ChannelField {
    /// Its key in the file.
    pub fn key(self) -> &'static str {
        match self {
            ChannelField::Name => "name",
            ChannelField::Url => "url",
            ChannelField::To => "to",
            ChannelField::SmtpHost => "smtp_host",
            ChannelField::SmtpPort => "smtp_port",
            ChannelField::From => "from",
        }
    }

    fn of_key(key: &str) -> Option<ChannelField> {
        [
            ChannelField::Name,
            ChannelField::Url,
            ChannelField::To,
            ChannelField::SmtpHost,
            ChannelField::SmtpPort,
            ChannelField::From,
        ]
        .into_iter()
        .find(|f| f.key() == key)
    }
}

impl ChannelForm {
    /// The form showing `channel`, as the file has it.
    pub fn from_channel(channel: &Channel) -> ChannelForm {
        ChannelForm {
            kind: channel.kind,
            name: channel.name.clone(),
            url: channel
                .url
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            to: channel.to.0.join(", "),
            smtp_host: channel.smtp_host.clone(),
            smtp_port: channel.smtp_port.map(|p| p.to_string()).unwrap_or_default(),
            tls: channel.tls,
            username: channel.username.clone(),
            from: channel.from.clone(),
            urgent_in_quiet_hours: channel.urgent_in_quiet_hours,
            stored_as: Some(channel.id().to_owned()),
            on: channel.on.clone(),
            quiet_hours: channel.quiet_hours,
            ca_file: channel.ca_file.clone(),
            secret_file: channel.secret_file.clone(),
        }
    }

    /// Its name: the one typed, else the kind's.
    pub fn id(&self) -> &str {
        match self.name.trim() {
            "" => self.kind.as_str(),
            name => name,
        }
    }

    /// The channel the form describes, as the `i`-th (`names`: the names of those before
    /// it), or each problem by its field. The rules are [`Channel::problems`]'; the words
    /// are the form's.
    pub fn to_channel(&self, i: usize, names: &[&str]) -> Result<Channel, Vec<Issue>> {
        let mut issues = Vec::new();
        let field = |f: ChannelField| Field::Channel(i, f);
        let mut channel = Channel::new(self.kind);
        channel.name = self.name.trim().to_owned();
        channel.on = self.on.clone();
        channel.quiet_hours = self.quiet_hours;
        channel.urgent_in_quiet_hours = self.urgent_in_quiet_hours;
        channel.ca_file = self.ca_file.clone();
        channel.secret_file = self.secret_file.clone();
        let url = self.url.trim();
        if !url.is_empty() {
            match url.parse() {
                Ok(u) => channel.url = Some(u),
                Err(_) => issues.push(Issue {
                    field: field(ChannelField::Url),
                    error: FieldError::NotUrl(url.to_owned()),
                }),
            }
        }
        let to: Vec<String> = self
            .to
            .split(if self.kind == ChannelKind::Email {
                ','
            } else {
                '\n'
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        channel.to = Recipients(to);
        if self.kind == ChannelKind::Email {
            channel.smtp_host = self.smtp_host.trim().to_owned();
            channel.tls = self.tls;
            channel.username = self.username.trim().to_owned();
            channel.from = self.from.trim().to_owned();
            match self.smtp_port.trim() {
                "" => {}
                port => match port.parse::<u16>() {
                    Ok(p) if p > 0 => channel.smtp_port = Some(p),
                    _ => issues.push(Issue {
                        field: field(ChannelField::SmtpPort),
                        error: FieldError::NotPort(port.to_owned()),
                    }),
                },
            }
        }
        for (key, message) in channel.problems(i, names) {
            let short = key.rsplit('.').next().unwrap_or_default();
            let Some(f) = ChannelField::of_key(short) else {
                // A key the form has no field for (ca_file, secret_file): the file's words.
                issues.push(Issue {
                    field: Field::Other,
                    error: FieldError::Other(format!("key `{key}`: {message}")),
                });
                continue;
            };
            if issues.iter().any(|i| i.field == field(f)) {
                continue;
            }
            issues.push(Issue {
                field: field(f),
                error: self.channel_error(&channel, f, names),
            });
        }
        if issues.is_empty() {
            Ok(channel)
        } else {
            Err(issues)
        }
    }

    /// What is wrong with `f` of `channel`, in the form's words.
    fn channel_error(&self, channel: &Channel, f: ChannelField, names: &[&str]) -> FieldError {
        let first_bad = |values: &[String], ok: fn(&str) -> bool| {
            values.iter().find(|v| !ok(v)).cloned().unwrap_or_default()
        };
        match f {
            ChannelField::Name if names.contains(&channel.id()) => {
                FieldError::NameTaken(channel.id().to_owned())
            }
            ChannelField::Name => FieldError::NotChannelName(channel.id().to_owned()),
            ChannelField::Url if self.url.trim().is_empty() => FieldError::Required,
            ChannelField::Url => FieldError::NoTopic(self.url.trim().to_owned()),
            ChannelField::To if channel.to.0.is_empty() => FieldError::Required,
            ChannelField::To => match self.kind {
                ChannelKind::Telegram => FieldError::NotChatId(self.to.trim().to_owned()),
                ChannelKind::Line => FieldError::NotLineId(self.to.trim().to_owned()),
                _ => FieldError::NotEmail(first_bad(&channel.to.0, |a| {
                    let mut probe = Channel::new(ChannelKind::Email);
                    probe.from = a.to_owned();
                    !probe
                        .problems(0, &[])
                        .iter()
                        .any(|(key, _)| key == "channels[0].from")
                })),
            },
            ChannelField::From => FieldError::NotEmail(channel.from.clone()),
            ChannelField::SmtpHost if channel.smtp_host.is_empty() => FieldError::Required,
            ChannelField::SmtpHost => FieldError::NotHost(channel.smtp_host.clone()),
            ChannelField::SmtpPort => FieldError::NotPort(self.smtp_port.trim().to_owned()),
        }
    }
}

impl Default for SettingsForm {
    fn default() -> Self {
        SettingsForm::from_config(&Config::default())
    }
}

/// A field of the form that can be wrong. Serialized as its name (`interval`), a channel's
/// as its key in the file (`channels[0].to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Poll interval.
    Interval,
    /// Request timeout.
    Timeout,
    /// Failure threshold.
    FailureThreshold,
    /// Watched pairs.
    Pairs,
    /// Quiet hours start.
    QuietFrom,
    /// Quiet hours end.
    QuietTo,
    /// The api host.
    ApiUrl,
    /// The public host.
    PublicUrl,
    /// The stream host.
    StreamUrl,
    /// Days of history kept.
    RetentionDays,
    /// The local API's address.
    ApiListen,
    /// Watched assets.
    Assets,
    /// bitFlyer's products.
    BitflyerProducts,
    /// Coincheck's pairs.
    CoincheckPairs,
    /// A value of the file the form does not show.
    Other,
    /// A field of the `i`-th channel.
    Channel(usize, ChannelField),
}

impl Field {
    /// Its name as the window knows it: `interval`, `channels[0].to`.
    pub fn name(self) -> String {
        let plain = match self {
            Field::Interval => "interval",
            Field::Timeout => "timeout",
            Field::FailureThreshold => "failure_threshold",
            Field::Pairs => "pairs",
            Field::QuietFrom => "quiet_from",
            Field::QuietTo => "quiet_to",
            Field::ApiUrl => "api_url",
            Field::PublicUrl => "public_url",
            Field::StreamUrl => "stream_url",
            Field::RetentionDays => "retention_days",
            Field::ApiListen => "api_listen",
            Field::Assets => "assets",
            Field::BitflyerProducts => "bitflyer_products",
            Field::CoincheckPairs => "coincheck_pairs",
            Field::Other => "other",
            Field::Channel(i, f) => return format!("channels[{i}].{}", f.key()),
        };
        plain.to_owned()
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Nothing typed.
    #[error("required")]
    Required,
    /// Not a duration like `30s`.
    #[error("{0:?} is not a duration")]
    NotDuration(String),
    /// An interval below [`MIN_INTERVAL`] (bitbank's rate limits).
    #[error("below the minimum interval")]
    IntervalTooShort,
    /// Below a minimum.
    #[error("below {0:?}")]
    TooShort(Duration),
    /// Above a maximum.
    #[error("above {0:?}")]
    TooLong(Duration),
    /// Not a whole number of at least 1.
    #[error("not a whole number of at least 1")]
    NotWholeNumber,
    /// An empty list of pairs.
    #[error("no pair chosen")]
    NoPairs,
    /// More than [`MAX_WATCHED_PAIRS`] pairs.
    #[error("{0} pairs chosen")]
    TooManyPairs(usize),
    /// Not a pair name.
    #[error("{0:?} is not a pair name")]
    NotPairName(String),
    /// Not an asset name.
    #[error("{0:?} is not an asset name")]
    NotAssetName(String),
    /// Not a bitFlyer product code.
    #[error("{0:?} is not a product code")]
    NotProductCode(String),
    /// No bitFlyer product named.
    #[error("no product named")]
    NoProducts,
    /// More than [`MAX_PRODUCTS`] products.
    #[error("{0} products named")]
    TooManyProducts(usize),
    /// Not a number of days of history to keep.
    #[error("not a number of days from 0 to {MAX_RETENTION_DAYS}")]
    NotDays,
    /// Not a time of day.
    #[error("{0:?} is not a time")]
    NotTime(String),
    /// Not an http(s) URL.
    #[error("{0:?} is not an http(s) URL")]
    NotUrl(String),
    /// Not a ws(s) URL.
    #[error("{0:?} is not a ws(s) URL")]
    NotStreamUrl(String),
    /// Not an address and port like `127.0.0.1:8765`.
    #[error("{0:?} is not an address")]
    NotAddress(String),
    /// An address other machines can reach, and no `[api] token` in the file.
    #[error("a token is needed")]
    NeedsToken,
    /// Another value of the file is wrong (config.rs's own message).
    #[error("{0}")]
    Other(String),
    /// A channel's name that is not one.
    #[error("{0:?} is not a channel name")]
    NotChannelName(String),
    /// A channel's name another channel has too.
    #[error("{0:?} names another channel too")]
    NameTaken(String),
    /// An ntfy URL that names no topic.
    #[error("{0:?} names no topic")]
    NoTopic(String),
    /// Not a Telegram chat id.
    #[error("{0:?} is not a chat id")]
    NotChatId(String),
    /// Not a LINE user id.
    #[error("{0:?} is not a LINE id")]
    NotLineId(String),
    /// Not an e-mail address.
    #[error("{0:?} is not an e-mail address")]
    NotEmail(String),
    /// Not a host name.
    #[error("{0:?} is not a host name")]
    NotHost(String),
    /// Not a port.
    #[error("{0:?} is not a port")]
    NotPort(String),
}

/// `1s`, `2m`, `1h`: the way the fields are written.
fn short(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl FieldError {
    /// The error in `lang`, saying the rule.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            FieldError::Required => Msg::ErrRequired.text(lang).to_owned(),
            FieldError::NotDuration(v) => Msg::ErrDuration.fill(lang, &[("value", v)]),
            FieldError::IntervalTooShort => {
                Msg::ErrIntervalMin.fill(lang, &[("min", &short(MIN_INTERVAL))])
            }
            FieldError::TooShort(d) => Msg::ErrTooShort.fill(lang, &[("min", &short(*d))]),
            FieldError::TooLong(d) => Msg::ErrTooLong.fill(lang, &[("max", &short(*d))]),
            FieldError::NotWholeNumber => Msg::ErrWholeNumber.text(lang).to_owned(),
            FieldError::NoPairs => Msg::ErrNoPairs.text(lang).to_owned(),
            FieldError::TooManyPairs(n) => Msg::ErrTooManyPairs.fill(
                lang,
                &[
                    ("count", &n.to_string()),
                    ("max", &MAX_WATCHED_PAIRS.to_string()),
                ],
            ),
            FieldError::NotPairName(v) => Msg::ErrPairName.fill(lang, &[("value", v)]),
            FieldError::NotAssetName(v) => Msg::ErrAssetName.fill(lang, &[("value", v)]),
            FieldError::NotProductCode(v) => Msg::ErrProductCode.fill(lang, &[("value", v)]),
            FieldError::NoProducts => Msg::ErrNoProducts.text(lang).to_owned(),
            FieldError::TooManyProducts(n) => Msg::ErrTooManyProducts.fill(
                lang,
                &[
                    ("count", &n.to_string()),
                    ("max", &MAX_PRODUCTS.to_string()),
                ],
            ),
            FieldError::NotTime(v) => Msg::ErrTime.fill(lang, &[("value", v)]),
            FieldError::NotDays => {
                Msg::ErrDays.fill(lang, &[("max", &MAX_RETENTION_DAYS.to_string())])
            }
            FieldError::NotUrl(v) => Msg::ErrUrl.fill(lang, &[("value", v)]),
            FieldError::NotStreamUrl(v) => Msg::ErrStreamUrl.fill(lang, &[("value", v)]),
            FieldError::NotAddress(v) => Msg::ErrAddress.fill(lang, &[("value", v)]),
            FieldError::NeedsToken => Msg::ErrNeedsToken.text(lang).to_owned(),
            FieldError::Other(m) => Msg::ErrOther.fill(lang, &[("message", m)]),
            FieldError::NotChannelName(v) => {
                Msg::ErrChannelName.fill(lang, &[("value", v), ("max", &MAX_NAME.to_string())])
            }
            FieldError::NameTaken(v) => Msg::ErrChannelNameTaken.fill(lang, &[("value", v)]),
            FieldError::NoTopic(v) => Msg::ErrNtfyTopic.fill(lang, &[("value", v)]),
            FieldError::NotChatId(v) => Msg::ErrTelegramChat.fill(lang, &[("value", v)]),
            FieldError::NotLineId(v) => Msg::ErrLineId.fill(lang, &[("value", v)]),
            FieldError::NotEmail(v) => Msg::ErrEmail.fill(lang, &[("value", v)]),
            FieldError::NotHost(v) => Msg::ErrSmtpHost.fill(lang, &[("value", v)]),
            FieldError::NotPort(v) => Msg::ErrPort.fill(lang, &[("value", v)]),
        }
    }
}

/// One problem: the field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The field.
    pub field: Field,
    /// What is wrong.
    pub error: FieldError,
}

/// An [`Issue`] as the window shows it: `{ "field": "interval", "message": "…" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShownIssue {
    /// The field.
    pub field: Field,
    /// The message in the user's language.
    pub message: String,
}

impl Issue {
    /// The issue with its message in `lang`.
    pub fn shown(&self, lang: Lang) -> ShownIssue {
        ShownIssue {
            field: self.field,
            message: self.error.message(lang),
        }
    }
}

/// A configuration file's problems as a person reads them: one line each, naming the file's
/// line and the key, what is wrong in the reader's language where the form knows the rule (the
/// rule's English words otherwise), and whether the settings window's form can mend them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProblem {
    /// A line per problem, in the file's order.
    pub lines: Vec<String>,
    /// Whether every problem is in a field of the form (else only the file can mend it).
    pub in_form: bool,
}

/// The form's field that edits `key`, if any.
fn field_of_key(key: &str) -> Option<Field> {
    Some(match key {
        "interval" => Field::Interval,
        "timeout" => Field::Timeout,
        "failure_threshold" => Field::FailureThreshold,
        "pairs" => Field::Pairs,
        "assets" => Field::Assets,
        "exchanges.bitflyer.products" => Field::BitflyerProducts,
        "exchanges.coincheck.pairs" => Field::CoincheckPairs,
        "api_url" => Field::ApiUrl,
        "public_url" => Field::PublicUrl,
        "stream_url" => Field::StreamUrl,
        "notifications.quiet_hours" => Field::QuietFrom,
        "history.retention_days" => Field::RetentionDays,
        "api.listen" | "api.token" => Field::ApiListen,
        _ => return channel_field_of_key(key),
    })
}

/// `channels[2].to` → the third channel's `to` field, if the form has that field.
fn channel_field_of_key(key: &str) -> Option<Field> {
    let rest = key.strip_prefix("channels[")?;
    let (i, field) = rest.split_once("].")?;
    Some(Field::Channel(
        i.parse().ok()?,
        ChannelField::of_key(field)?,
    ))
}

/// The string at dotted `key` (`webhooks[1].url`) in TOML `text`, if there is one.
fn value_at(text: &str, key: &str) -> Option<String> {
    let root: toml::Value = toml::from_str(text).ok()?;
    let mut node = &root;
    for part in key.split('.') {
        node = match part.split_once('[') {
            Some((name, index)) => {
                let i: usize = index.trim_end_matches(']').parse().ok()?;
                node.get(name)?.get(i)?
            }
            None => node.get(part)?,
        };
    }
    node.as_str().map(str::to_owned)
}

/// `error`, from reading the file whose text is `text`, in `lang`.
pub fn describe_file_problem(text: &str, error: &ConfigError, lang: Lang) -> FileProblem {
    let form_issues = SettingsForm::from_file_text(text).issues();
    let mut in_form = true;
    let lines = error
        .each()
        .into_iter()
        .map(|e| {
            let key = e.key().unwrap_or_default().to_owned();
            let field = field_of_key(&key);
            in_form &= field.is_some();
            let english = match e {
                ConfigError::Value { message, .. } | ConfigError::Parse { message, .. } => {
                    message.clone()
                }
                other => other.to_string(),
            };
            let localized = field
                .and_then(|f| {
                    form_issues.iter().find(|i| {
                        i.field == f || (f == Field::QuietFrom && i.field == Field::QuietTo)
                    })
                })
                .map(|i| i.error.message(lang))
                .or_else(|| {
                    // Every URL of the file follows the same rule, the form's or not.
                    key.ends_with("url")
                        .then(|| value_at(text, &key))
                        .flatten()
                        .map(|v| FieldError::NotUrl(v).message(lang))
                });
            // Where no rule of ours says it, TOML's own words, as a syntax error.
            let syntax = localized.is_none() && matches!(e, ConfigError::Parse { .. });
            let detail = localized.unwrap_or(english);
            match (syntax, e.line()) {
                (true, Some(line)) => Msg::ConfigSyntax
                    .fill(lang, &[("line", &line.to_string()), ("detail", &detail)]),
                (_, None) if key.is_empty() => detail,
                (_, line) => issue_line(line, &key, &detail, lang),
            }
        })
        .collect();
    FileProblem { lines, in_form }
}

/// The names of the settings `exchange` does not list, a line each naming its key (and its
/// line in `text`, the file): `pairs`/`assets` for bitbank, `exchanges.NAME.pairs` (or
/// `.products`) for another exchange.
pub fn describe_unlisted(
    text: &str,
    exchange: crate::model::exchange::Exchange,
    unlisted: &crate::model::unlisted::Unlisted,
    lang: Lang,
) -> Vec<String> {
    use crate::model::exchange::Exchange;
    let sep = if lang == Lang::Ja { "、" } else { ", " };
    let pairs_key = match exchange {
        Exchange::Bitbank => "pairs".to_owned(),
        Exchange::Bitflyer => "exchanges.bitflyer.products".to_owned(),
        other => format!("exchanges.{other}.pairs"),
    };
    [
        (pairs_key, &unlisted.pairs),
        ("assets".to_owned(), &unlisted.assets),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(key, names)| {
        let detail = Msg::UnlistedDetail.fill(
            lang,
            &[
                ("exchange", exchange.name(lang)),
                ("names", &names.join(sep)),
            ],
        );
        issue_line(crate::config::line_of_key(text, &key), &key, &detail, lang)
    })
    .collect()
}

/// One problem of the file: `line 12, webhooks[0].url: …`, or without the line when it was
/// not found.
/// One problem of the file, `key` at `line`, said as `detail`, in `lang`.
pub(crate) fn issue_line(line: Option<usize>, key: &str, detail: &str, lang: Lang) -> String {
    match line {
        Some(line) => Msg::ConfigIssueLine.fill(
            lang,
            &[
                ("line", &line.to_string()),
                ("key", key),
                ("detail", detail),
            ],
        ),
        None => Msg::ConfigIssueKey.fill(lang, &[("key", key), ("detail", detail)]),
    }
}

/// A duration field: parsed by config.rs, then bounded by `check` (whose limits say which
/// error it is).
fn duration_field(
    text: &str,
    check: fn(Duration) -> Result<(), String>,
    min: Duration,
    max: Duration,
    too_short: FieldError,
) -> Result<Duration, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::Required);
    }
    let d = parse_duration(text).map_err(|_| FieldError::NotDuration(text.to_owned()))?;
    match check(d) {
        Ok(()) => Ok(d),
        Err(_) if d < min => Err(too_short),
        Err(_) => Err(FieldError::TooLong(max)),
    }
}

fn time_field(text: &str) -> Result<String, FieldError> {
    parse_time_of_day(text).map(|_| text.trim().to_owned())
}

/// `"18:30"` → minutes after midnight, with the error the window shows beside the field.
pub fn parse_time_of_day(text: &str) -> Result<u16, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::Required);
    }
    // config.rs parses ranges only: a range from the time to itself checks one time.
    parse_quiet_hours(&format!("{text}-{text}"))
        .map(|(start, _)| start)
        .map_err(|_| FieldError::NotTime(text.to_owned()))
}

fn url_field(text: &str) -> Result<HttpUrl, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::Required);
    }
    text.parse()
        .map_err(|_| FieldError::NotUrl(text.to_owned()))
}

impl SettingsForm {
    /// The form showing `config`.
    pub fn from_config(config: &Config) -> SettingsForm {
        let n = &config.notifications;
        let quiet = n.quiet_hours.map(|q| q.to_string());
        let (quiet_from, quiet_to) = match quiet.as_deref().and_then(|q| q.split_once('-')) {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => ("23:00".to_owned(), "07:00".to_owned()),
        };
        SettingsForm {
            interval: short(config.interval.0),
            timeout: short(config.timeout.0),
            failure_threshold: config.failure_threshold.to_string(),
            pairs: config
                .pairs
                .as_ref()
                .map(|p| p.iter().map(ToString::to_string).collect()),
            language: config.language,
            notify_maintenance: n.maintenance,
            notify_down: n.down,
            notify_unreachable: n.unreachable,
            notify_degraded: n.degraded,
            notify_pairs: n.pairs,
            notify_busy: n.busy,
            sound: n.sound,
            quiet_hours: n.quiet_hours.is_some(),
            quiet_from,
            quiet_to,
            api_url: config.api_url.to_string(),
            public_url: config.public_url.to_string(),
            stream: config.stream,
            stream_url: config.stream_url.to_string(),
            retention_days: config.history.retention_days.to_string(),
            api_enabled: config.api.enabled,
            api_listen: config.api.listen.to_string(),
            assets: config.assets.as_deref().unwrap_or_default().join(", "),
            notify_assets: n.assets,
            channels: config
                .channels
                .iter()
                .map(ChannelForm::from_channel)
                .collect(),
            gmocoin: false,
            bitflyer: false,
            bitflyer_products: String::new(),
            coincheck: false,
            coincheck_pairs: String::new(),
        }
        .with_exchanges(&config.exchanges)
    }

    /// The form with its exchanges' fields showing `[exchanges.*]`: an exchange without a
    /// table is unchecked, with bitFlyer's default products in its field.
    fn with_exchanges(self, e: &ExchangeSettings) -> SettingsForm {
        let bitflyer = e.bitflyer.clone().unwrap_or_default();
        SettingsForm {
            gmocoin: e.gmocoin.as_ref().is_some_and(|g| g.enabled),
            bitflyer: e.bitflyer.as_ref().is_some_and(|b| b.enabled),
            bitflyer_products: bitflyer
                .products
                .iter()
                .map(ProductCode::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            coincheck: e.coincheck.as_ref().is_some_and(|c| c.enabled),
            coincheck_pairs: e
                .coincheck
                .as_ref()
                .and_then(|c| c.pairs.as_ref())
                .map(|p| {
                    p.iter()
                        .map(PairName::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            ..self
        }
    }

    /// The form showing a file that may not be valid: each value the form has a field for is
    /// taken as written (so a bad one appears in its field, with its error, to be corrected);
    /// the defaults fill in the rest. Text that is not TOML at all gives the defaults; a valid
    /// file is its configuration.
    pub fn from_file_text(text: &str) -> SettingsForm {
        if let Ok(loaded) = Config::from_toml(text) {
            return SettingsForm::from_config(&loaded.config);
        }
        let mut form = SettingsForm::default();
        let Ok(table) = text.parse::<toml::Table>() else {
            return form;
        };
        let as_text = |v: &toml::Value| match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let text_of = |key: &str, slot: &mut String| {
            if let Some(v) = table.get(key) {
                *slot = as_text(v);
            }
        };
        text_of("interval", &mut form.interval);
        text_of("timeout", &mut form.timeout);
        text_of("failure_threshold", &mut form.failure_threshold);
        text_of("api_url", &mut form.api_url);
        text_of("public_url", &mut form.public_url);
        text_of("stream_url", &mut form.stream_url);
        if let Some(on) = table.get("stream").and_then(toml::Value::as_bool) {
            form.stream = on;
        }
        if let Some(toml::Value::Array(items)) = table.get("pairs") {
            form.pairs = Some(items.iter().map(as_text).collect());
        }
        if let Some(toml::Value::Array(items)) = table.get("assets") {
            form.assets = items.iter().map(as_text).collect::<Vec<_>>().join(", ");
        }
        if let Some(lang) = table
            .get("language")
            .and_then(|v| v.clone().try_into::<LanguageSetting>().ok())
        {
            form.language = lang;
        }
        if let Some(days) = table
            .get("history")
            .and_then(toml::Value::as_table)
            .and_then(|h| h.get("retention_days"))
        {
            form.retention_days = as_text(days);
        }
        if let Some(api) = table.get("api").and_then(toml::Value::as_table) {
            if let Some(on) = api.get("enabled").and_then(toml::Value::as_bool) {
                form.api_enabled = on;
            }
            if let Some(listen) = api.get("listen") {
                form.api_listen = as_text(listen);
            }
        }
        if let Some(toml::Value::Array(items)) = table.get("channels") {
            form.channels = items.iter().filter_map(channel_form_of_value).collect();
        }
        if let Some(e) = table.get("exchanges").and_then(toml::Value::as_table) {
            // A table present is watched unless it says `enabled = false`.
            let on = |name: &str| {
                e.get(name).and_then(toml::Value::as_table).map(|t| {
                    t.get("enabled")
                        .and_then(toml::Value::as_bool)
                        .unwrap_or(true)
                })
            };
            let list = |name: &str, key: &str| match e
                .get(name)
                .and_then(toml::Value::as_table)
                .and_then(|t| t.get(key))
            {
                Some(toml::Value::Array(items)) => {
                    Some(items.iter().map(as_text).collect::<Vec<_>>().join(", "))
                }
                Some(other) => Some(as_text(other)),
                None => None,
            };
            form.gmocoin = on("gmocoin").unwrap_or(false);
            form.bitflyer = on("bitflyer").unwrap_or(false);
            form.coincheck = on("coincheck").unwrap_or(false);
            if let Some(products) = list("bitflyer", "products") {
                form.bitflyer_products = products;
            }
            if let Some(pairs) = list("coincheck", "pairs") {
                form.coincheck_pairs = pairs;
            }
        }
        if let Some(n) = table.get("notifications").and_then(toml::Value::as_table) {
            let flag = |key: &str, slot: &mut bool| {
                if let Some(b) = n.get(key).and_then(toml::Value::as_bool) {
                    *slot = b;
                }
            };
            flag("maintenance", &mut form.notify_maintenance);
            flag("down", &mut form.notify_down);
            flag("unreachable", &mut form.notify_unreachable);
            flag("degraded", &mut form.notify_degraded);
            flag("pairs", &mut form.notify_pairs);
            flag("busy", &mut form.notify_busy);
            flag("assets", &mut form.notify_assets);
            flag("sound", &mut form.sound);
            if let Some(q) = n.get("quiet_hours") {
                let q = as_text(q);
                form.quiet_hours = true;
                match q.split_once('-') {
                    Some((a, b)) => {
                        form.quiet_from = a.trim().to_owned();
                        form.quiet_to = b.trim().to_owned();
                    }
                    None => {
                        form.quiet_from = q;
                        form.quiet_to = String::new();
                    }
                }
            }
        }
        form
    }

    /// Every problem of the form, field by field, in the order the window shows the fields.
    pub fn issues(&self) -> Vec<Issue> {
        self.check().err().unwrap_or_default()
    }

    /// `base` (what the file says of the keys the form does not show: hooks, webhooks, the
    /// local API, …) with the form's values, or every problem.
    pub fn apply(&self, base: &Config) -> Result<Config, Vec<Issue>> {
        let checked = self.check()?;
        let mut config = base.clone();
        config.interval.0 = checked.interval;
        config.timeout.0 = checked.timeout;
        config.failure_threshold = checked.failure_threshold;
        config.pairs = checked.pairs;
        config.language = self.language;
        config.api_url = checked.api_url;
        config.public_url = checked.public_url;
        config.stream = self.stream;
        config.stream_url = checked.stream_url;
        config.history.retention_days = checked.retention_days;
        config.api.enabled = self.api_enabled;
        config.api.listen = checked.api_listen;
        config.assets = checked.assets;
        let n = &mut config.notifications;
        n.maintenance = self.notify_maintenance;
        n.down = self.notify_down;
        n.unreachable = self.notify_unreachable;
        n.degraded = self.notify_degraded;
        n.pairs = self.notify_pairs;
        n.busy = self.notify_busy;
        n.assets = self.notify_assets;
        n.sound = self.sound;
        n.quiet_hours = checked.quiet_hours;
        config.channels = checked.channels;
        self.apply_exchanges(
            &mut config.exchanges,
            checked.bitflyer_products,
            checked.coincheck_pairs,
        );
        // The form's fields are right; anything config.rs still refuses is elsewhere in the
        // file, but for the token an address reachable from elsewhere calls for.
        config.validate().map_err(|e| {
            let issue = match &e {
                ConfigError::Value { key, .. } if key == "api.token" => Issue {
                    field: Field::ApiListen,
                    error: FieldError::NeedsToken,
                },
                _ => Issue {
                    field: Field::Other,
                    error: FieldError::Other(e.to_string()),
                },
            };
            vec![issue]
        })?;
        Ok(config)
    }

    fn check(&self) -> Result<Checked, Vec<Issue>> {
        let mut issues = Vec::new();
        let mut take = |field: Field, r: Result<(), FieldError>| {
            if let Err(error) = r {
                issues.push(Issue { field, error });
            }
        };
        let interval = duration_field(
            &self.interval,
            check_interval,
            MIN_INTERVAL,
            MAX_INTERVAL,
            FieldError::IntervalTooShort,
        );
        take(
            Field::Interval,
            interval.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let timeout = duration_field(
            &self.timeout,
            check_timeout,
            MIN_TIMEOUT,
            MAX_TIMEOUT,
            FieldError::TooShort(MIN_TIMEOUT),
        );
        take(
            Field::Timeout,
            timeout.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let threshold = match self.failure_threshold.trim() {
            "" => Err(FieldError::Required),
            t => t
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(FieldError::NotWholeNumber),
        };
        take(
            Field::FailureThreshold,
            threshold.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let pairs = match &self.pairs {
            None => Ok(None),
            Some(p) if p.is_empty() => Err(FieldError::NoPairs),
            Some(p) if p.len() > MAX_WATCHED_PAIRS => Err(FieldError::TooManyPairs(p.len())),
            Some(p) => p
                .iter()
                .map(|name| {
                    name.parse::<PairName>()
                        .map_err(|_| FieldError::NotPairName(name.clone()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        };
        take(
            Field::Pairs,
            pairs.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let quiet = if self.quiet_hours {
            let from = time_field(&self.quiet_from);
            let to = time_field(&self.quiet_to);
            take(
                Field::QuietFrom,
                from.as_ref().map(|_| ()).map_err(Clone::clone),
            );
            take(
                Field::QuietTo,
                to.as_ref().map(|_| ()).map_err(Clone::clone),
            );
            match (from, to) {
                // Each time is checked: the range of them reads with the file's parser.
                (Ok(a), Ok(b)) => format!("{a}-{b}")
                    .parse::<QuietHours>()
                    .map(Some)
                    .map_err(drop),
                _ => Err(()),
            }
        } else {
            Ok(None)
        };
        let api_url = url_field(&self.api_url);
        take(
            Field::ApiUrl,
            api_url.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let public_url = url_field(&self.public_url);
        take(
            Field::PublicUrl,
            public_url.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let stream_url = match self.stream_url.trim() {
            "" => Err(FieldError::Required),
            text => text
                .parse::<WsUrl>()
                .map_err(|_| FieldError::NotStreamUrl(text.to_owned())),
        };
        take(
            Field::StreamUrl,
            stream_url.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let retention = self
            .retention_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= MAX_RETENTION_DAYS)
            .ok_or(FieldError::NotDays);
        take(
            Field::RetentionDays,
            retention.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let api_listen = match self.api_listen.trim() {
            "" => Err(FieldError::Required),
            text => parse_listen(text).map_err(|_| FieldError::NotAddress(text.to_owned())),
        };
        take(
            Field::ApiListen,
            api_listen.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let assets = assets_field(&self.assets);
        take(
            Field::Assets,
            assets.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        // An unchecked exchange's list is still written when its table is kept, so it is
        // checked too; left empty it keeps what the file had.
        let products = products_field(&self.bitflyer_products, self.bitflyer);
        take(
            Field::BitflyerProducts,
            products.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let coincheck_pairs = coincheck_pairs_field(&self.coincheck_pairs);
        take(
            Field::CoincheckPairs,
            coincheck_pairs.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let mut channels = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            let names: Vec<&str> = self.channels[..i].iter().map(ChannelForm::id).collect();
            match c.to_channel(i, &names) {
                Ok(channel) => channels.push(channel),
                Err(mut found) => issues.append(&mut found),
            }
        }
        match (
            interval,
            timeout,
            threshold,
            pairs,
            quiet,
            api_url,
            public_url,
            stream_url,
            retention,
            api_listen,
            assets,
            products,
            coincheck_pairs,
        ) {
            (
                Ok(interval),
                Ok(timeout),
                Ok(failure_threshold),
                Ok(pairs),
                Ok(quiet_hours),
                Ok(api_url),
                Ok(public_url),
                Ok(stream_url),
                Ok(retention_days),
                Ok(api_listen),
                Ok(assets),
                Ok(bitflyer_products),
                Ok(coincheck_pairs),
            ) if issues.is_empty() => Ok(Checked {
                interval,
                timeout,
                failure_threshold,
                pairs,
                quiet_hours,
                api_url,
                public_url,
                stream_url,
                retention_days,
                api_listen,
                assets,
                channels,
                bitflyer_products,
                coincheck_pairs,
            }),
            _ => Err(issues),
        }
    }
}

/// The form's values, each checked.
struct Checked {
    interval: Duration,
    timeout: Duration,
    failure_threshold: u32,
    pairs: Option<Vec<PairName>>,
    quiet_hours: Option<QuietHours>,
    api_url: HttpUrl,
    public_url: HttpUrl,
    stream_url: WsUrl,
    retention_days: u32,
    api_listen: SocketAddr,
    assets: Option<Vec<String>>,
    channels: Vec<Channel>,
    /// None: left empty, the file's (or the default) kept.
    bitflyer_products: Option<Vec<ProductCode>>,
    coincheck_pairs: Option<Vec<PairName>>,
}

impl SettingsForm {
    /// `[exchanges.*]` as the form says: a checked exchange's table is written with
    /// `enabled = true`; an unchecked one keeps a table the file has, with `enabled = false`
    /// (its settings are there for later), and adds none.
    fn apply_exchanges(
        &self,
        e: &mut ExchangeSettings,
        products: Option<Vec<ProductCode>>,
        coincheck_pairs: Option<Vec<PairName>>,
    ) {
        fn set<T: Default>(slot: &mut Option<T>, on: bool, enable: impl FnOnce(&mut T, bool)) {
            if on && slot.is_none() {
                *slot = Some(T::default());
            }
            if let Some(table) = slot {
                enable(table, on);
            }
        }
        set(&mut e.gmocoin, self.gmocoin, |g, on| g.enabled = on);
        set(&mut e.bitflyer, self.bitflyer, |b, on| {
            b.enabled = on;
            if let Some(products) = products {
                b.products = products;
            }
        });
        set(&mut e.coincheck, self.coincheck, |c, on| {
            c.enabled = on;
            c.pairs = coincheck_pairs;
        });
    }
}

/// bitFlyer's products as typed, `"btc_jpy, FX_BTC_JPY"`: each checked like the file's (and
/// put in upper case); at least one when bitFlyer is `watched`, else empty keeps the file's.
fn products_field(text: &str, watched: bool) -> Result<Option<Vec<ProductCode>>, FieldError> {
    let names: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if names.is_empty() {
        return if watched {
            Err(FieldError::NoProducts)
        } else {
            Ok(None)
        };
    }
    if names.len() > MAX_PRODUCTS {
        return Err(FieldError::TooManyProducts(names.len()));
    }
    let mut codes: Vec<ProductCode> = Vec::new();
    for name in names {
        let code = name
            .parse::<ProductCode>()
            .map_err(|_| FieldError::NotProductCode(name.to_owned()))?;
        // The same product twice is watched once.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(Some(codes))
}

/// Coincheck's pairs as typed, `"btc_jpy, ETH_JPY"`: pair names (lower case); empty for every
/// pair Coincheck lists.
fn coincheck_pairs_field(text: &str) -> Result<Option<Vec<PairName>>, FieldError> {
    let names: Vec<String> = text
        .split(',')
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    if names.len() > MAX_WATCHED_PAIRS {
        return Err(FieldError::TooManyPairs(names.len()));
    }
    let mut pairs: Vec<PairName> = Vec::new();
    for name in names {
        let pair = name
            .parse::<PairName>()
            .map_err(|_| FieldError::NotPairName(name.clone()))?;
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    Ok(Some(pairs))
}

/// A `[[channels]]` table of a file that does not read as a whole: the channel if it reads,
/// else its values as written (a bad one shows in its field). None without a known kind.
fn channel_form_of_value(v: &toml::Value) -> Option<ChannelForm> {
    if let Ok(channel) = v.clone().try_into::<Channel>() {
        return Some(ChannelForm::from_channel(&channel));
    }
    let t = v.as_table()?;
    let kind: ChannelKind = t.get("kind")?.clone().try_into().ok()?;
    let text = |key: &str| match t.get(key) {
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let name = text("name");
    Some(ChannelForm {
        kind,
        stored_as: Some(if name.trim().is_empty() {
            kind.as_str().to_owned()
        } else {
            name.trim().to_owned()
        }),
        name,
        url: text("url"),
        to: text("to"),
        smtp_host: text("smtp_host"),
        smtp_port: text("smtp_port"),
        tls: t
            .get("tls")
            .and_then(|v| v.clone().try_into().ok())
            .unwrap_or_default(),
        username: text("username"),
        from: text("from"),
        urgent_in_quiet_hours: t
            .get("urgent_in_quiet_hours")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false),
        on: t
            .get("on")
            .and_then(|v| v.clone().try_into().ok())
            .unwrap_or_default(),
        quiet_hours: t
            .get("quiet_hours")
            .and_then(|v| v.clone().try_into().ok())
            .unwrap_or_default(),
        ca_file: t.get("ca_file").and_then(|v| v.clone().try_into().ok()),
        secret_file: t.get("secret_file").and_then(|v| v.clone().try_into().ok()),
    })
}

/// The watched assets as typed, `"btc, ETH"`: each checked like the file's (lowercase, as
/// bitbank names them); nothing typed is the default.
fn assets_field(text: &str) -> Result<Option<Vec<String>>, FieldError> {
    let names: Vec<String> = text
        .split(',')
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    match names
        .iter()
        .find(|a| crate::model::asset::check_asset_name(a).is_err())
    {
        Some(bad) => Err(FieldError::NotAssetName(bad.clone())),
        None => Ok(Some(names)),
    }
}

/// The keys the form has fields for: what is left of a bad file without them is its base.
const FORM_KEYS: &[&str] = &[
    "interval",
    "timeout",
    "failure_threshold",
    "pairs",
    "assets",
    "language",
    "api_url",
    "public_url",
    "stream",
    "stream_url",
    "notifications",
    "channels",
];

/// What a file says of the keys the form does not show, for [`SettingsForm::apply`]: the file
/// itself when it is valid; else the file without the form's keys (whose bad value the form
/// is about to correct); the defaults when even that does not read.
pub fn base_from_file_text(text: &str) -> Config {
    if let Ok(loaded) = Config::from_toml(text) {
        return loaded.config;
    }
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return Config::default();
    };
    for key in FORM_KEYS {
        table.remove(*key);
    }
    // Of [history], the form shows only how long it keeps; where and whether stay the file's.
    if let Some(toml::Value::Table(history)) = table.get_mut("history") {
        history.remove("retention_days");
    }
    // Of [api], the form shows whether and where; the token stays the file's.
    if let Some(toml::Value::Table(api)) = table.get_mut("api") {
        api.remove("enabled");
        api.remove("listen");
    }
    // Of [exchanges.*], the form shows whether and what; the URLs stay the file's.
    if let Some(toml::Value::Table(exchanges)) = table.get_mut("exchanges") {
        for (_, t) in exchanges.iter_mut() {
            if let toml::Value::Table(t) = t {
                for key in ["enabled", "products", "pairs"] {
                    t.remove(key);
                }
            }
        }
    }
    toml::to_string(&table)
        .ok()
        .and_then(|rest| Config::from_toml(&rest).ok())
        .map(|loaded| loaded.config)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm::default()
    }

    fn only(form: &SettingsForm) -> (Field, FieldError) {
        let issues = form.issues();
        assert_eq!(issues.len(), 1, "{issues:?}");
        (issues[0].field, issues[0].error.clone())
    }

    fn messages(form: &SettingsForm) -> (String, String) {
        let issues = form.issues();
        assert_eq!(issues.len(), 1, "{issues:?}");
        (
            issues[0].error.message(Lang::Ja),
            issues[0].error.message(Lang::En),
        )
    }

    #[test]
    fn the_defaults_are_valid_and_round_trip() {
        assert!(form().issues().is_empty());
        assert_eq!(form().apply(&Config::default()).unwrap(), Config::default());
        assert_eq!(
            form().pairs,
            None,
            "first run watches every pair tradable then"
        );
        assert!(!form().notify_busy, "busy is off by default");
    }

    #[test]
    fn an_interval_below_the_minimum_is_explained_in_both_languages() {
        let f = SettingsForm {
            interval: "500ms".into(),
            ..form()
        };
        assert_eq!(only(&f), (Field::Interval, FieldError::IntervalTooShort));
        let (ja, en) = messages(&f);
        assert_eq!(
            ja,
            "1sより短くはできません（bitbankのアクセス制限を守るため）"
        );
        assert_eq!(
            en,
            "must be at least 1s, to stay within bitbank's rate limits"
        );
        assert!(f.apply(&Config::default()).is_err());
    }

    #[test]
    fn duration_fields_say_how_to_write_them_and_their_bounds() {
        let f = SettingsForm {
            interval: "often".into(),
            ..form()
        };
        assert_eq!(
            only(&f),
            (Field::Interval, FieldError::NotDuration("often".into()))
        );
        let (ja, en) = messages(&f);
        assert_eq!(
            ja,
            "「often」は時間として読めません。30s、2m、1hのように書いてください"
        );
        assert_eq!(
            en,
            "\"often\" is not a duration: write it like 30s, 2m or 1h"
        );
        let f = SettingsForm {
            interval: "2h".into(),
            ..form()
        };
        assert_eq!(
            messages(&f),
            ("1h以下にしてください".into(), "must be at most 1h".into())
        );
        let f = SettingsForm {
            timeout: "3m".into(),
            ..form()
        };
        assert_eq!(only(&f), (Field::Timeout, FieldError::TooLong(MAX_TIMEOUT)));
        assert_eq!(messages(&f).1, "must be at most 2m");
        let f = SettingsForm {
            timeout: "100ms".into(),
            ..form()
        };
        assert_eq!(
            messages(&f),
            ("1s以上にしてください".into(), "must be at least 1s".into())
        );
        let f = SettingsForm {
            timeout: "  ".into(),
            ..form()
        };
        assert_eq!(messages(&f), ("入力してください".into(), "Required".into()));
    }

    #[test]
    fn the_failure_threshold_is_a_whole_number_of_at_least_one() {
        for bad in ["0", "-1", "2.5", "three"] {
            let f = SettingsForm {
                failure_threshold: bad.into(),
                ..form()
            };
            assert_eq!(
                only(&f),
                (Field::FailureThreshold, FieldError::NotWholeNumber)
            );
            assert_eq!(
                messages(&f),
                (
                    "1以上の整数を入力してください".into(),
                    "must be a whole number, at least 1".into()
                )
            );
        }
        let f = SettingsForm {
            failure_threshold: " 5 ".into(),
            ..form()
        };
        assert_eq!(f.apply(&Config::default()).unwrap().failure_threshold, 5);
    }

    #[test]
    fn watched_assets_are_a_comma_separated_list_of_names() {
        let f = SettingsForm {
            assets: " BTC, eth ,".into(),
            ..form()
        };
        assert_eq!(
            f.apply(&Config::default()).unwrap().assets,
            Some(vec!["btc".to_owned(), "eth".to_owned()])
        );
        let f = SettingsForm {
            assets: "btc_jpy".into(),
            ..form()
        };
        assert_eq!(
            only(&f),
            (Field::Assets, FieldError::NotAssetName("btc_jpy".into()))
        );
        assert_eq!(form().apply(&Config::default()).unwrap().assets, None);
        let text = "assets = [\"xrp\", \"jpy\"]\n[notifications]\nassets = false\n";
        let back = SettingsForm::from_file_text(text);
        assert_eq!(back.assets, "xrp, jpy");
        assert!(!back.notify_assets);
    }

    #[test]
    fn no_exchange_chosen_writes_no_exchange_table() {
        let config = form().apply(&Config::default()).unwrap();
        assert_eq!(config.exchanges, ExchangeSettings::default());
        assert!(!form().gmocoin && !form().bitflyer && !form().coincheck);
        assert_eq!(form().bitflyer_products, "BTC_JPY, ETH_JPY, FX_BTC_JPY");
        assert_eq!(form().coincheck_pairs, "");
    }

    #[test]
    fn chosen_exchanges_are_saved_as_their_tables_and_read_back() {
        let f = SettingsForm {
            gmocoin: true,
            bitflyer: true,
            bitflyer_products: "btc_jpy, FX_BTC_JPY, BTC_JPY".into(),
            coincheck: true,
            coincheck_pairs: " ETH_JPY ,btc_jpy,".into(),
            ..form()
        };
        let config = f.apply(&Config::default()).unwrap();
        let e = &config.exchanges;
        assert_eq!(
            e.watched(),
            [
                crate::model::exchange::Exchange::Gmocoin,
                crate::model::exchange::Exchange::Bitflyer,
                crate::model::exchange::Exchange::Coincheck
            ]
        );
        let products: Vec<_> = e
            .bitflyer
            .as_ref()
            .unwrap()
            .products
            .iter()
            .map(ProductCode::as_str)
            .collect();
        assert_eq!(products, ["BTC_JPY", "FX_BTC_JPY"]);
        let text =
            crate::config::file::edited(std::path::Path::new("config.toml"), "", &config).unwrap();
        assert!(text.contains("[exchanges.gmocoin]"), "{text}");
        let back = SettingsForm::from_file_text(&text);
        assert!(back.gmocoin && back.bitflyer && back.coincheck);
        assert_eq!(back.bitflyer_products, "BTC_JPY, FX_BTC_JPY");
        assert_eq!(back.coincheck_pairs, "eth_jpy, btc_jpy");
    }

    #[test]
    fn unchecking_an_exchange_keeps_its_table_disabled_with_its_url() {
        let text = "[exchanges.gmocoin]\nurl = \"http://127.0.0.1:9/gmo\"\n[exchanges.coincheck]\npairs = [\"btc_jpy\"]\n";
        let base = base_from_file_text(text);
        let f = SettingsForm {
            gmocoin: false,
            coincheck: false,
            ..SettingsForm::from_file_text(text)
        };
        let config = f.apply(&base).unwrap();
        let gmo = config.exchanges.gmocoin.as_ref().unwrap();
        assert!(!gmo.enabled);
        assert_eq!(gmo.url.to_string(), "http://127.0.0.1:9/gmo");
        assert!(!config.exchanges.coincheck.as_ref().unwrap().enabled);
        assert_eq!(config.exchanges.bitflyer, None, "no table is added");
        assert!(config.exchanges.watched().is_empty());
    }

    #[test]
    fn bad_products_and_pairs_are_named_by_their_field_in_both_languages() {
        let f = SettingsForm {
            bitflyer: true,
            bitflyer_products: "BTC-JPY".into(),
            ..form()
        };
        let (field, error) = only(&f);
        assert_eq!(field, Field::BitflyerProducts);
        assert_eq!(field.name(), "bitflyer_products");
        assert_eq!(
            error.message(Lang::En),
            "\"BTC-JPY\" is not a product code like BTC_JPY"
        );
        assert_eq!(
            error.message(Lang::Ja),
            "「BTC-JPY」はBTC_JPYのような商品コードではありません"
        );
        let f = SettingsForm {
            bitflyer: true,
            bitflyer_products: " , ".into(),
            ..form()
        };
        assert_eq!(only(&f), (Field::BitflyerProducts, FieldError::NoProducts));
        // Unchecked and empty: nothing to say, the file's products stay.
        let f = SettingsForm {
            bitflyer: false,
            bitflyer_products: String::new(),
            ..form()
        };
        assert!(f.issues().is_empty());
        let f = SettingsForm {
            coincheck: true,
            coincheck_pairs: "btc/jpy".into(),
            ..form()
        };
        assert_eq!(
            only(&f),
            (
                Field::CoincheckPairs,
                FieldError::NotPairName("btc/jpy".into())
            )
        );
    }

    #[test]
    fn a_bad_product_in_the_file_opens_in_its_field() {
        let text = "[exchanges.bitflyer]\nproducts = [\"BTC JPY\"]\n";
        let problem = describe_file_problem(text, &Config::from_toml(text).unwrap_err(), Lang::En);
        let form = SettingsForm::from_file_text(text);
        assert!(form.bitflyer);
        assert_eq!(form.bitflyer_products, "BTC JPY");
        assert_eq!(form.issues()[0].field, Field::BitflyerProducts);
        assert!(
            problem.lines[0].contains("exchanges.bitflyer.products"),
            "{problem:?}"
        );
    }

    #[test]
    fn pairs_are_named_bounded_and_not_empty() {
        let f = SettingsForm {
            pairs: Some(vec![]),
            ..form()
        };
        assert_eq!(
            messages(&f),
            (
                "少なくとも1銘柄を選んでください".into(),
                "choose at least one pair".into()
            )
        );
        let f = SettingsForm {
            pairs: Some(vec!["btc_jpy".into(), "BTC/JPY".into()]),
            ..form()
        };
        assert_eq!(
            messages(&f),
            (
                "「BTC/JPY」はbtc_jpyのような銘柄名ではありません".into(),
                "\"BTC/JPY\" is not a pair name like btc_jpy".into()
            )
        );
        let many: Vec<String> = (0..=MAX_WATCHED_PAIRS)
            .map(|i| format!("c{i}_jpy"))
            .collect();
        let f = SettingsForm {
            pairs: Some(many),
            ..form()
        };
        assert_eq!(
            messages(&f),
            (
                "201銘柄が選ばれています。監視できるのは200銘柄までです".into(),
                "201 pairs chosen; at most 200 can be watched".into()
            )
        );
        let f = SettingsForm {
            pairs: Some(vec!["eth_jpy".into()]),
            ..form()
        };
        assert_eq!(
            f.apply(&Config::default())
                .unwrap()
                .pairs
                .map(|p| p.iter().map(ToString::to_string).collect()),
            Some(vec!["eth_jpy".to_owned()])
        );
    }

    #[test]
    fn the_stream_switch_and_its_url() {
        let f = SettingsForm {
            stream_url: "https://stream.bitbank.cc".into(),
            ..form()
        };
        assert_eq!(
            only(&f),
            (
                Field::StreamUrl,
                FieldError::NotStreamUrl("https://stream.bitbank.cc".into())
            )
        );
        assert_eq!(
            messages(&f).1,
            "\"https://stream.bitbank.cc\" is not a ws(s) URL"
        );
        let f = SettingsForm {
            stream: false,
            stream_url: " ws://127.0.0.1:9 ".into(),
            ..form()
        };
        let config = f.apply(&Config::default()).unwrap();
        assert!(!config.stream);
        assert_eq!(config.stream_url.as_str(), "ws://127.0.0.1:9");
        let back = SettingsForm::from_file_text("stream = false\nstream_url = \"wss:\"\n");
        assert!(!back.stream);
        assert_eq!(back.stream_url, "wss:");
    }

    #[test]
    fn quiet_hours_and_urls() {
        let f = SettingsForm {
            quiet_hours: true,
            quiet_from: "25:00".into(),
            quiet_to: "07:00".into(),
            ..form()
        };
        assert_eq!(only(&f).0, Field::QuietFrom);
        assert_eq!(
            messages(&f),
            (
                "「25:00」は23:00のような時刻ではありません".into(),
                "\"25:00\" is not a time like 23:00".into()
            )
        );
        // Off, the times are not checked nor written.
        let f = SettingsForm {
            quiet_hours: false,
            ..f
        };
        assert_eq!(
            f.apply(&Config::default())
                .unwrap()
                .notifications
                .quiet_hours,
            None
        );
        let f = SettingsForm {
            quiet_hours: true,
            quiet_from: "23:00".into(),
            quiet_to: "06:30".into(),
            ..form()
        };
        assert_eq!(
            f.apply(&Config::default())
                .unwrap()
                .notifications
                .quiet_hours
                .map(|q| q.to_string())
                .as_deref(),
            Some("23:00-06:30")
        );
        let f = SettingsForm {
            api_url: "ftp://x".into(),
            ..form()
        };
        assert_eq!(only(&f).0, Field::ApiUrl);
        assert_eq!(
            messages(&f),
            (
                "「ftp://x」はhttpsまたはhttpのURLではありません".into(),
                "\"ftp://x\" is not an http(s) URL".into()
            )
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let f = SettingsForm {
            interval: "0s".into(),
            timeout: "x".into(),
            public_url: "".into(),
            ..form()
        };
        let fields: Vec<Field> = f.issues().iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            vec![Field::Interval, Field::Timeout, Field::PublicUrl]
        );
        let shown = f.issues()[0].shown(Lang::En);
        assert_eq!(
            serde_json::to_value(&shown).unwrap(),
            serde_json::json!({"field": "interval", "message": "must be at least 1s, to stay within bitbank's rate limits"})
        );
    }

    #[test]
    fn the_local_api_switch_and_address_keep_the_files_token() {
        let text = "[api]\nenabled = false\nlisten = \"127.0.0.1:8765\"\ntoken = \"s3cret\"\n";
        let base = base_from_file_text(text);
        let f = SettingsForm {
            api_enabled: true,
            api_listen: " 0.0.0.0:9000 ".into(),
            ..SettingsForm::from_file_text(text)
        };
        let config = f.apply(&base).unwrap();
        assert!(config.api.enabled);
        assert_eq!(config.api.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.api.token, "s3cret", "the token is the file's");
    }

    #[test]
    fn a_local_api_address_is_checked_and_one_reachable_from_elsewhere_needs_a_token() {
        let bad = SettingsForm {
            api_listen: "localhost".into(),
            ..form()
        };
        assert_eq!(
            only(&bad),
            (Field::ApiListen, FieldError::NotAddress("localhost".into()))
        );
        assert_eq!(
            messages(&bad).1,
            "\"localhost\" is not an address and port like 127.0.0.1:8765"
        );
        let open = SettingsForm {
            api_enabled: true,
            api_listen: "0.0.0.0:8765".into(),
            ..form()
        };
        let issues = open.apply(&Config::default()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, Field::ApiListen);
        assert_eq!(issues[0].error, FieldError::NeedsToken);
        assert!(issues[0].error.message(Lang::Ja).contains("token"));
        // A bad [api] listen in the file opens in its field, to be corrected there.
        let text = "[api]\nlisten = \"here\"\n";
        let f = SettingsForm::from_file_text(text);
        assert_eq!(f.api_listen, "here");
        let fixed = SettingsForm {
            api_listen: "127.0.0.1:8766".into(),
            ..f
        };
        let config = fixed.apply(&base_from_file_text(text)).unwrap();
        assert_eq!(config.api.listen.to_string(), "127.0.0.1:8766");
    }

    #[test]
    fn a_bad_file_opens_with_its_bad_value_in_its_field() {
        let text = "# mine\ninterval = \"often\"\nfailure_threshold = 0\nmystery = 1\n\n[[hooks]]\ncommand = [\"/bin/true\"]\n";
        let f = SettingsForm::from_file_text(text);
        assert_eq!(f.interval, "often");
        assert_eq!(f.failure_threshold, "0");
        let fields: Vec<Field> = f.issues().iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::Interval, Field::FailureThreshold]);
        // The keys the form does not show are kept from the file.
        let base = base_from_file_text(text);
        assert_eq!(base.hooks.len(), 1);
        let fixed = SettingsForm {
            interval: "1m".into(),
            failure_threshold: "3".into(),
            ..f
        };
        let config = fixed.apply(&base).unwrap();
        assert_eq!(config.interval.0, Duration::from_secs(60));
        assert_eq!(config.hooks.len(), 1);
    }

    #[test]
    fn a_valid_file_reads_the_same_as_its_config() {
        let text = "interval = \"1m 30s\"\npairs = [\"btc_jpy\"]\n[notifications]\nbusy = true\nquiet_hours = \"22:00-06:00\"\n";
        let config = Config::from_toml(text).unwrap().config;
        let f = SettingsForm::from_file_text(text);
        assert_eq!(f.apply(&base_from_file_text(text)).unwrap(), config);
        assert_eq!(
            SettingsForm::from_config(&config).apply(&config).unwrap(),
            config
        );
        assert_eq!(f.interval, "1m 30s");
    }

    #[test]
    fn days_of_history_are_checked_in_both_languages_and_keep_the_files_history_path() {
        for bad in ["-1", "a month", "36501", ""] {
            let f = SettingsForm {
                retention_days: bad.into(),
                ..form()
            };
            assert_eq!(
                only(&f),
                (Field::RetentionDays, FieldError::NotDays),
                "{bad:?}"
            );
            assert_eq!(
                messages(&f),
                (
                    "0（すべて残す）から36500までの日数を入力してください".to_owned(),
                    "must be a number of days from 0 (keep everything) to 36500".to_owned()
                )
            );
        }
        // A bad interval elsewhere: the form corrects it, the file's history path stays.
        let text =
            "interval = \"often\"\n[history]\npath = \"/srv/h.sqlite3\"\nretention_days = 7\n";
        let f = SettingsForm {
            interval: "30s".into(),
            retention_days: " 90 ".into(),
            ..SettingsForm::from_file_text(text)
        };
        let config = f.apply(&base_from_file_text(text)).unwrap();
        assert_eq!(config.history.retention_days, 90);
        assert_eq!(
            config.history.path.as_deref(),
            Some(std::path::Path::new("/srv/h.sqlite3"))
        );
        assert_eq!(SettingsForm::from_file_text(text).retention_days, "7");
    }

    /// The channels to the phone in the form.
    mod channels {
        use super::*;

        fn with(channels: Vec<ChannelForm>) -> SettingsForm {
            SettingsForm {
                channels,
                ..SettingsForm::default()
            }
        }

        fn fields(form: &SettingsForm) -> Vec<String> {
            form.issues().iter().map(|i| i.field.name()).collect()
        }

        #[test]
        fn a_channel_is_checked_by_the_files_rules_and_named_by_its_key() {
            let ntfy = ChannelForm {
                kind: ChannelKind::Ntfy,
                url: "https://ntfy.sh/".into(),
                ..ChannelForm::default()
            };
            let telegram = ChannelForm {
                kind: ChannelKind::Telegram,
                to: "me".into(),
                ..ChannelForm::default()
            };
            let email = ChannelForm {
                kind: ChannelKind::Email,
                to: "a@b.c, nobody".into(),
                smtp_port: "70000".into(),
                ..ChannelForm::default()
            };
            let f = with(vec![ntfy, telegram, email]);
            assert_eq!(
                fields(&f),
                [
                    "channels[0].url",
                    "channels[1].to",
                    "channels[2].smtp_port",
                    "channels[2].to",
                    "channels[2].smtp_host"
                ]
            );
            let messages: Vec<String> = f
                .issues()
                .iter()
                .map(|i| i.error.message(Lang::En))
                .collect();
            assert!(messages[0].contains("names no topic"), "{messages:?}");
            assert_eq!(messages[3], "\"nobody\" is not an e-mail address");
            assert!(f.issues()[1].error.message(Lang::Ja).contains("チャットID"));
            let shown = serde_json::to_value(f.issues()[1].shown(Lang::En)).unwrap();
            assert_eq!(shown["field"], "channels[1].to");
        }

        #[test]
        fn two_channels_of_a_kind_need_names_and_a_good_channel_is_saved() {
            let line = ChannelForm {
                kind: ChannelKind::Line,
                to: format!("U{}", "ab".repeat(16)),
                ..ChannelForm::default()
            };
            let f = with(vec![line.clone(), line.clone()]);
            assert_eq!(fields(&f), ["channels[1].name"]);
            let named = ChannelForm {
                name: "work".into(),
                urgent_in_quiet_hours: true,
                ..line
            };
            let f = with(vec![f.channels[0].clone(), named]);
            let config = f.apply(&Config::default()).unwrap();
            assert_eq!(config.channels.len(), 2);
            assert_eq!(config.channels[1].id(), "work");
            assert!(config.channels[1].urgent_in_quiet_hours);
        }

        #[test]
        fn keys_the_form_does_not_show_are_kept() {
            let text = "[[channels]]\nkind = \"telegram\"\nname = \"tg\"\nto = \"123\"\nurl = \"http://127.0.0.1:9\"\non = [\"maintenance_started\"]\nquiet_hours = \"never\"\n";
            let f = SettingsForm::from_file_text(text);
            assert_eq!(f.channels[0].stored_as.as_deref(), Some("tg"));
            let config = f.apply(&base_from_file_text(text)).unwrap();
            assert_eq!(config, Config::from_toml(text).unwrap().config);
            assert_eq!(config.channels[0].api_base(), Some("http://127.0.0.1:9"));
            // A bad file still shows its channels, the bad value in its field.
            let bad = "interval = \"often\"\n[[channels]]\nkind = \"email\"\nto = [\"me\"]\nsmtp_host = \"smtp.example.com\"\n";
            let f = SettingsForm::from_file_text(bad);
            assert_eq!(f.channels[0].to, "me");
            assert!(fields(&f).contains(&"channels[0].to".to_owned()));
            let problem =
                describe_file_problem(bad, &Config::from_toml(bad).unwrap_err(), Lang::En);
            assert!(problem.in_form, "{problem:?}");
        }
    }
}
