//! Command-line flags and how they combine with the configuration file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bbwatch_core::config::{self, Config, ConfigError, LanguageSetting};
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::model::pair::PairName;
use bbwatch_core::model::url::{HttpUrl, WsUrl};
use bbwatch_core::runtime::settings::Overrides;
use bbwatch_core::Lang;
use bbwatch_history::query::{parse_pair, parse_since, parse_until};
use bbwatch_history::PeriodKind;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Watch bitbank for maintenance, halts and outages.
#[derive(Debug, Parser)]
#[command(name = "bbwatch", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check once and exit: 0 normal, 10 degraded, 11 maintenance, 12 down, 13 unreachable.
    Status {
        /// Print the snapshot as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run until interrupted, printing one line per event.
    Watch {
        /// Print events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Also raise a desktop notification per event.
        #[arg(long)]
        notify: bool,
    },
    /// What happened: maintenance, outages and pair halts, from the history file.
    History(HistoryArgs),
    /// Block until bitbank is usable (exit 0) or --max-wait passes (exit 1):
    /// `bbwatch wait && start-my-bot`.
    Wait {
        /// What counts as usable: `normal`, or `not-maintenance` (any level but maintenance).
        #[arg(long, value_enum, default_value_t = Until::Normal)]
        until: Until,
        /// Give up after this long, e.g. 2h (default: wait as long as it takes).
        #[arg(long, value_name = "DURATION", value_parser = parse_max_wait)]
        max_wait: Option<Duration>,
    },
    /// Serve the local HTTP API (status, events as SSE, history, Prometheus metrics) while
    /// watching, as `watch` does (history, hooks), until interrupted.
    Serve {
        /// Address to listen on (default: [api] listen, 127.0.0.1:8765); port 0 picks a free
        /// one. A non-loopback address needs [api] token or token_file.
        #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
        listen: Option<SocketAddr>,
    },
    /// Send a test message through each channel to the phone ([[channels]]), or the one
    /// named; each secret from BBWATCH_SECRET_<NAME> or its secret_file. Exit 0 when every
    /// one was delivered, 1 otherwise.
    TestChannels {
        /// The channel's name (default: every channel).
        name: Option<String>,
    },
}

/// What `bbwatch wait` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Until {
    /// The level is normal.
    Normal,
    /// The level is known and is not maintenance.
    NotMaintenance,
}

impl Until {
    /// Whether `level` is what is waited for. `unknown` (no confirmed answer yet) never is.
    pub fn reached(self, level: bbwatch_core::Level) -> bool {
        use bbwatch_core::Level;
        match self {
            Until::Normal => level == Level::Normal,
            Until::NotMaintenance => !matches!(level, Level::Maintenance | Level::Unknown),
        }
    }
}

/// `bbwatch history`'s flags.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// One JSON object per line.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Comma-separated values with a header line.
    #[arg(long)]
    pub csv: bool,
    /// The events themselves instead of the periods they make.
    #[arg(long)]
    pub events: bool,
    /// From: 2026-11-27, "2026-11-27 14:00" (local time), RFC 3339, or a time ago like 7d.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Up to: as --since; a bare date means the end of that day.
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Only periods of this kind: maintenance, down, unreachable, degraded, halted,
    /// suspended, circuit_break, busy, very_busy, other (comma-separated).
    #[arg(long, value_name = "KIND", value_delimiter = ',')]
    pub kind: Vec<PeriodKind>,
    /// Only this pair's periods or events.
    #[arg(long, value_name = "PAIR", value_parser = parse_pair)]
    pub pair: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LangArg {
    Ja,
    En,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Time between polls, e.g. 30s (1s to 1h).
    #[arg(long, global = true, value_parser = parse_interval, value_name = "DURATION")]
    pub interval: Option<Duration>,
    /// Timeout of each request, e.g. 10s (1s to 2m).
    #[arg(long, global = true, value_parser = parse_timeout, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Pairs to watch, comma-separated (default: every pair tradable at start).
    #[arg(long, global = true, value_delimiter = ',', value_parser = parse_pair_name, value_name = "PAIRS")]
    pub pairs: Option<Vec<PairName>>,
    /// Configuration file (default: $XDG_CONFIG_HOME/bbwatch/config.toml; on Windows
    /// %APPDATA%\bbwatch\config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Language of human output (default: from the config file, else the locale).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    /// bitbank's api host.
    #[arg(long, global = true, env = "BBWATCH_API_URL", value_parser = parse_url, value_name = "URL")]
    pub api_url: Option<HttpUrl>,
    /// bitbank's public host.
    #[arg(long, global = true, env = "BBWATCH_PUBLIC_URL", value_parser = parse_url, value_name = "URL")]
    pub public_url: Option<HttpUrl>,
    /// bitbank's stream host, for live circuit-break changes (ws:// or wss://).
    #[arg(long, global = true, env = "BBWATCH_STREAM_URL", value_parser = parse_stream_url, value_name = "URL")]
    pub stream_url: Option<WsUrl>,
    /// Poll every pair's circuit_break_info over REST instead of following the stream.
    #[arg(long, global = true)]
    pub no_stream: bool,
    /// History file (default: [history] path, else $XDG_DATA_HOME/bbwatch/history.sqlite3;
    /// on Windows %LOCALAPPDATA%\bbwatch\history.sqlite3).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "no_history"
    )]
    pub history: Option<PathBuf>,
    /// Record no history (`watch`, `serve`).
    #[arg(long, global = true)]
    pub no_history: bool,
    /// Exchanges to show, comma-separated: bitbank, gmocoin, bitflyer, coincheck (default:
    /// bitbank and those the configuration adds). Those named besides bitbank are watched,
    /// with the file's settings or the defaults.
    #[arg(long, global = true, value_delimiter = ',', value_name = "EXCHANGES")]
    pub exchange: Option<Vec<Exchange>>,
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = config::parse_duration(s)?;
    config::check_interval(d)?;
    Ok(d)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = config::parse_duration(s)?;
    config::check_timeout(d)?;
    Ok(d)
}

fn parse_max_wait(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration like 90s, 30m or 2h: {e}"))?;
    if d.is_zero() {
        return Err("must be more than 0s".into());
    }
    Ok(d)
}

// The configuration's parsers: a flag reads as the key it overrides.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    config::parse_listen(s)
}

/// A pair as `--pair` takes it (any case), typed as the file's are.
fn parse_pair_name(s: &str) -> Result<PairName, String> {
    parse_pair(s)?.parse()
}

fn parse_url(s: &str) -> Result<HttpUrl, String> {
    s.parse()
}

fn parse_stream_url(s: &str) -> Result<WsUrl, String> {
    s.parse()
}

/// The effective settings: file, then environment and flags on top.
pub struct Settings {
    pub config: Config,
    pub lang: Lang,
    /// The file the configuration came from (followed by `watch`).
    pub path: Option<PathBuf>,
    /// The flags, laid over the file again on every reload.
    pub overrides: Overrides,
    /// The history file, unless history is off (`--no-history`, `[history] enabled = false`)
    /// or there is no directory to keep it in.
    pub history: Option<PathBuf>,
    /// Whether history is off by choice (`--no-history`, `[history] enabled = false`).
    pub history_off: bool,
    /// The exchanges shown, bitbank first unless `--exchange` leaves it out.
    pub exchanges: Vec<Exchange>,
    /// What `--exchange` named (empty without it): the history's filter.
    pub exchange_flag: Vec<Exchange>,
}

/// A configuration problem, with the file it came from.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct SettingsError {
    pub path: String,
    #[source]
    pub source: ConfigError,
}

impl Common {
    /// Load the file and apply the flags. Unknown keys, and what was set aside from a file
    /// others can change, are warned about on stderr.
    pub fn settings(&self) -> Result<Settings, SettingsError> {
        let path = self.config.clone().or_else(Config::default_path);
        let loaded = match (&path, &self.config) {
            // A file named on the command line must exist.
            (Some(p), Some(_)) => Config::load_existing(p),
            (Some(p), None) => Config::load(p),
            (None, _) => Config::from_toml(""),
        };
        let shown = path
            .as_ref()
            .map_or_else(|| "config".to_owned(), |p| p.display().to_string());
        let loaded = loaded.map_err(|source| SettingsError {
            path: shown.clone(),
            source,
        })?;
        for key in &loaded.unknown_keys {
            eprintln!("bbwatch: warning: {shown}: unknown key `{key}` ignored");
        }
        // Hooks, webhooks and the API token of a file others can change: the rest applies.
        for refused in &loaded.refused {
            eprintln!("bbwatch: warning: {shown}: {refused}");
        }
        let overrides = Overrides {
            interval: self.interval,
            timeout: self.timeout,
            pairs: self.pairs.clone(),
            api_url: self.api_url.clone(),
            public_url: self.public_url.clone(),
            stream_url: self.stream_url.clone(),
            no_stream: self.no_stream,
            language: self.lang.map(|l| match l {
                LangArg::Ja => LanguageSetting::Ja,
                LangArg::En => LanguageSetting::En,
            }),
            exchanges: self
                .exchange
                .as_ref()
                .map(|named| named.iter().copied().filter(|e| !e.is_bitbank()).collect()),
        };
        let config = overrides.apply(loaded.config);
        let lang = config.language.resolve();
        let history = match &self.history {
            _ if self.no_history => None,
            Some(path) if config.history.enabled => Some(path.clone()),
            _ => bbwatch_history::configured_path(&config.history),
        };
        let exchanges = match &self.exchange {
            Some(named) => Exchange::ALL
                .into_iter()
                .filter(|e| named.contains(e))
                .collect(),
            None => std::iter::once(Exchange::Bitbank)
                .chain(config.exchanges.watched())
                .collect(),
        };
        Ok(Settings {
            exchanges,
            exchange_flag: self.exchange.clone().unwrap_or_default(),
            history_off: self.no_history || !config.history.enabled,
            config,
            lang,
            path,
            overrides,
            history,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "bbwatch",
            "watch",
            "--json",
            "--interval",
            "2s",
            "--pairs",
            "BTC_JPY,eth_jpy",
        ])
        .unwrap();
        assert_eq!(cli.common.interval, Some(Duration::from_secs(2)));
        assert_eq!(cli.common.pairs.unwrap(), vec!["btc_jpy", "eth_jpy"]);
    }

    #[test]
    fn wait_flags() {
        let cli = Cli::try_parse_from([
            "bbwatch",
            "wait",
            "--until",
            "not-maintenance",
            "--max-wait",
            "2h",
        ])
        .unwrap();
        match cli.command {
            Command::Wait { until, max_wait } => {
                assert_eq!(until, Until::NotMaintenance);
                assert_eq!(max_wait, Some(Duration::from_secs(7200)));
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["bbwatch", "wait", "--timeout", "3s"]).unwrap();
        assert_eq!(cli.common.timeout, Some(Duration::from_secs(3)));
        assert!(matches!(
            cli.command,
            Command::Wait {
                until: Until::Normal,
                max_wait: None
            }
        ));
        use bbwatch_core::Level;
        assert!(Until::Normal.reached(Level::Normal));
        assert!(!Until::Normal.reached(Level::Degraded));
        assert!(Until::NotMaintenance.reached(Level::Degraded));
        assert!(Until::NotMaintenance.reached(Level::Down));
        assert!(!Until::NotMaintenance.reached(Level::Maintenance));
        assert!(!Until::NotMaintenance.reached(Level::Unknown));
    }

    #[test]
    fn exchange_flags() {
        let cli = Cli::try_parse_from(["bbwatch", "wait", "--exchange", "gmocoin"]).unwrap();
        assert_eq!(cli.common.exchange, Some(vec![Exchange::Gmocoin]));
        let cli =
            Cli::try_parse_from(["bbwatch", "status", "--exchange", "BitFlyer,bitbank"]).unwrap();
        assert_eq!(
            cli.common.exchange,
            Some(vec![Exchange::Bitflyer, Exchange::Bitbank])
        );
        let err = Cli::try_parse_from(["bbwatch", "status", "--exchange", "binance"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("gmocoin"), "{err}");
    }

    #[test]
    fn serve_flags() {
        let cli = Cli::try_parse_from(["bbwatch", "serve", "--listen", "127.0.0.1:0"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Serve { listen: Some(a) } if a.port() == 0
        ));
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for args in [
            vec!["bbwatch", "watch", "--interval", "500ms"],
            vec!["bbwatch", "watch", "--interval", "often"],
            vec!["bbwatch", "status", "--pairs", "btc/jpy"],
            vec!["bbwatch", "status", "--lang", "fr"],
            vec!["bbwatch", "status", "--api-url", "nope"],
            vec!["bbwatch", "status", "--timeout", "0s"],
            vec!["bbwatch", "status", "--timeout", "1ms"],
            vec!["bbwatch", "watch", "--interval", "18446744073709551615s"],
            vec!["bbwatch", "watch", "--interval", "1000000h"],
            vec!["bbwatch", "frobnicate"],
            vec!["bbwatch", "history", "--since", "soon"],
            vec!["bbwatch", "history", "--kind", "sometimes"],
            vec!["bbwatch", "history", "--json", "--csv"],
            vec!["bbwatch", "history", "--pair", "btc/jpy"],
            vec!["bbwatch", "watch", "--history", "/x", "--no-history"],
            vec!["bbwatch", "wait", "--until", "soon"],
            vec!["bbwatch", "wait", "--max-wait", "forever"],
            vec!["bbwatch", "wait", "--max-wait", "0s"],
            vec!["bbwatch", "serve", "--listen", "nowhere"],
            vec!["bbwatch", "serve", "--listen", "127.0.0.1"],
        ] {
            let err = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
