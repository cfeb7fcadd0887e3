//! The window link's messages: what the tray process and a window process say to each other,
//! one JSON object a line. A leaf: it names the core's types and nothing of the shell, so
//! both processes (and their tests) read the protocol from one place.

use bbwatch_core::config::{Channel, Config, LanguageSetting};
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::model::link::Link;
use bbwatch_core::present::settings_form::{FileProblem, SettingsForm};
use bbwatch_core::{Lang, Level};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the settings section shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettingsInfo {
    pub config_path: Option<String>,
    pub interval_secs: u64,
    pub pairs: Option<Vec<String>>,
    pub language: LanguageSetting,
    /// Why the file could not be used, in the user's language (what is in force meanwhile,
    /// the file, each key at fault with its line).
    pub config_problem: Option<String>,
    /// Whether the settings form has a field for every problem (else only the file mends it).
    #[serde(default)]
    pub config_problem_in_form: bool,
    /// The history file the tray records to, and what is wrong with it.
    #[serde(default)]
    pub history_path: Option<String>,
    #[serde(default)]
    pub history_problem: Option<HistoryProblem>,
    /// The API key in the keyring (its start only, never the secret).
    #[serde(default)]
    pub api_key: KeyInfo,
    /// The very first start (no config file, no history): the window welcomes the user once.
    #[serde(default)]
    pub welcome: bool,
    /// The file as the tray last read it, for the settings form (the window never reads the
    /// file itself); kept from the page.
    #[serde(default)]
    pub file: Option<Box<FileSeen>>,
    /// The channels (by name) whose secret is in the keyring, as the tray last looked.
    #[serde(default)]
    pub channel_secrets: Vec<String>,
}

/// The configuration file as the tray last read it, and the settings in force.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileSeen {
    /// Its values as the form shows them (what the user wrote, wrong values too).
    pub form: SettingsForm,
    /// What the form's values are laid over when saved: the file's settings, its defaults
    /// where it has none.
    pub base: Config,
    /// What is wrong with it, in the window's language.
    pub problem: Option<FileProblem>,
    /// The settings in force (the hosts the window asks for the pair list).
    pub in_force: Config,
}

/// What the settings window shows of the API key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The stored key's first characters and "…"; none when no key is stored.
    pub stored: Option<String>,
    /// Why the keyring cannot be used, in the user's language.
    pub keyring_problem: Option<String>,
}

/// A key and secret as typed in the settings window. They travel over this link only;
/// `Debug` hides both, so no log can show them.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyPair {
    pub key: String,
    pub secret: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair { key: ***, secret: *** }")
    }
}

/// A change to the channels' secrets in the keyring, made when the settings are saved.
/// `Debug` hides the secret, so no log can show it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum SecretChange {
    /// Store `secret` for the channel `name`, replacing any.
    Store { name: String, secret: String },
    /// Delete the secret of the channel `name` (removed).
    Delete { name: String },
    /// The channel `from` was renamed `to`: its secret goes with it.
    Rename { from: String, to: String },
}

impl std::fmt::Debug for SecretChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretChange::Store { name, .. } => {
                write!(f, "Store {{ name: {name:?}, secret: *** }}")
            }
            SecretChange::Delete { name } => write!(f, "Delete {{ name: {name:?} }}"),
            SecretChange::Rename { from, to } => write!(f, "Rename {{ {from:?} → {to:?} }}"),
        }
    }
}

/// A channel to test, as the form has it, with the secret typed (none: the stored one, under
/// `stored_as`). `Debug` hides the secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct ChannelTest {
    pub channel: Channel,
    pub secret: Option<String>,
    pub stored_as: Option<String>,
}

impl std::fmt::Debug for ChannelTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChannelTest {{ channel: {:?}, secret: {}, stored_as: {:?} }}",
            self.channel.id(),
            if self.secret.is_some() { "***" } else { "none" },
            self.stored_as
        )
    }
}

/// Tray → window.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWindow {
    /// The first line: the language, the status, the latest events and the settings.
    Hello {
        lang: Lang,
        view: StatusView,
        events: Vec<EventView>,
        /// Boxed: the largest part, and this message is sent once per window.
        settings: Box<SettingsInfo>,
    },
    /// The status changed.
    Status { view: StatusView },
    /// Something happened.
    Event { view: EventView },
    /// The latest events again, said anew (the language changed).
    Events { events: Vec<EventView> },
    /// Come to the front, at this section.
    Show { section: Section },
    /// The settings in force changed (the file was edited, or became invalid).
    Settings { settings: SettingsInfo },
    /// The answer to the window's key request `id` (to that window only).
    KeyAnswer { id: u64, ok: bool, text: String },
    /// The file was read again as the window asked (`id`): the settings now.
    Reloaded {
        id: u64,
        settings: Box<SettingsInfo>,
    },
}

/// Window → tray.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToTray {
    /// "Check now".
    CheckNow,
    /// Pause notifications until this time (none: until resumed).
    Pause { until: Option<DateTime<Utc>> },
    /// Show notifications again.
    Resume,
    /// "Test": one signed request with this key; answered with the verdict.
    TestKey { id: u64, pair: KeyPair },
    /// "Save key": into the keyring, and to the monitor.
    SaveKey { id: u64, pair: KeyPair },
    /// "Remove key": out of the keyring; the monitor stops asking for the assets.
    RemoveKey { id: u64 },
    /// The first start's welcome was read: no window shows it again.
    WelcomeSeen,
    /// Read the configuration file again now (the window is about to write it, or just did);
    /// answered with the settings then.
    Reload { id: u64 },
    /// "Send a test" of a channel; answered (KeyAnswer) with what happened.
    TestChannel { id: u64, test: Box<ChannelTest> },
    /// Store, delete or move a channel's secret in the keyring; answered (KeyAnswer).
    ChannelSecret { id: u64, change: SecretChange },
}

/// One line of JSON (serializing these plain types cannot fail).
pub fn line<T: Serialize>(msg: &T) -> String {
    let mut s = serde_json::to_string(msg).unwrap_or_default();
    s.push('\n');
    s
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PairView {
    pub pair: String,
    pub state: String,
    pub state_name: String,
    pub detail: String,
    pub reopen_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusView {
    pub lang: Lang,
    pub level: Level,
    pub level_name: String,
    pub meaning: String,
    pub since: Option<String>,
    /// False when the level held already at the first answer: `since` is a lower bound.
    pub start_observed: bool,
    pub checked_at: Option<String>,
    pub reason_text: Option<String>,
    pub rate_limited: bool,
    /// Whether live updates from bitbank's stream are in use.
    pub stream: Link,
    /// What the footer says of them; none when the stream is off.
    pub stream_text: Option<String>,
    pub notifications_paused: bool,
    /// Until when notifications are paused (none: until resumed, or not paused).
    pub paused_until: Option<String>,
    pub pairs: Vec<PairView>,
    /// When bitbank gives no pair data (a maintenance, no answer), what the pairs' line says
    /// instead of "all normal"; the pairs are then shown as not known.
    pub pairs_unknown: Option<String>,
    /// What is stopped of the watched assets' deposits and withdrawals, one line each
    /// (with an API key only).
    #[serde(default)]
    pub assets_stopped: Vec<String>,
    /// bitbank refused the API key: why nothing of the assets is known.
    #[serde(default)]
    pub key_problem: Option<String>,
    /// The other watched exchanges, one card each under bitbank's (none with bitbank alone).
    #[serde(default)]
    pub exchanges: Vec<ExchangeView>,
}

/// Another watched exchange's card in the status view: its level, since when, why, and its
/// pairs (bitFlyer's products), in the user's language.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExchangeView {
    pub exchange: Exchange,
    /// Its name as a person knows it (`GMO Coin`, `GMOコイン`).
    pub name: String,
    pub level: Level,
    pub level_name: String,
    pub since: Option<String>,
    /// False when the level held already at its first answer: `since` is a lower bound.
    pub start_observed: bool,
    pub checked_at: Option<String>,
    pub reason_text: Option<String>,
    pub pairs: Vec<PairView>,
    /// When it gives no pair data (a maintenance, no answer), what the pairs' line says.
    pub pairs_unknown: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventView {
    /// Which exchange it is about (bitbank unless the user added others).
    #[serde(default)]
    pub exchange: Exchange,
    /// The exchange's name for the list's label; none for bitbank, whose events are listed as
    /// they always were.
    #[serde(default)]
    pub exchange_name: Option<String>,
    pub kind: bbwatch_core::EventKind,
    pub at: String,
    pub level: Level,
    pub pair: Option<String>,
    pub title: String,
    pub body: String,
    pub reason_text: Option<String>,
}

/// Which part of the window to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Status,
    Settings,
    History,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Status => "status",
            Section::Settings => "settings",
            Section::History => "history",
        }
    }

    /// From `--section=settings` or `--section=history`; anything else is the status view.
    pub fn from_args(args: &[String]) -> Section {
        if args.iter().any(|a| a == "--section=settings") {
            Section::Settings
        } else if args.iter().any(|a| a == "--section=history") {
            Section::History
        } else {
            Section::Status
        }
    }
}

/// What the History view has to say about the file. Typed here, put into words in the
/// window's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryProblem {
    /// `[history] enabled = false`.
    Off,
    /// The file was not a readable history: moved aside, a new one started.
    MovedAside { path: String, aside: String },
    /// The file cannot be used (locked, read-only directory, …): nothing is recorded.
    Unusable { error: String },
}
