//! Command-line flags and how they combine with the configuration file.

use std::path::PathBuf;
use std::time::Duration;

use bbwatch_core::config::{self, Config, ConfigError, LanguageSetting};
use bbwatch_core::settings::Overrides;
use bbwatch_core::Lang;
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
    #[arg(long, global = true, value_delimiter = ',', value_parser = parse_pair, value_name = "PAIRS")]
    pub pairs: Option<Vec<String>>,
    /// Configuration file (default: $XDG_CONFIG_HOME/bbwatch/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Language of human output (default: from the config file, else the locale).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    /// bitbank's api host.
    #[arg(long, global = true, env = "BBWATCH_API_URL", value_parser = parse_url, value_name = "URL")]
    pub api_url: Option<String>,
    /// bitbank's public host.
    #[arg(long, global = true, env = "BBWATCH_PUBLIC_URL", value_parser = parse_url, value_name = "URL")]
    pub public_url: Option<String>,
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

fn parse_pair(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    config::check_pair_name(&s)?;
    Ok(s)
}

fn parse_url(s: &str) -> Result<String, String> {
    config::check_url(s)?;
    Ok(s.to_owned())
}

/// The effective settings: file, then environment and flags on top.
pub struct Settings {
    pub config: Config,
    pub lang: Lang,
    /// The file the configuration came from (followed by `watch`).
    pub path: Option<PathBuf>,
    /// The flags, laid over the file again on every reload.
    pub overrides: Overrides,
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
    /// Load the file and apply the flags. Unknown keys are warned about on stderr.
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
        let overrides = Overrides {
            interval: self.interval,
            timeout: self.timeout,
            pairs: self.pairs.clone(),
            api_url: self.api_url.clone(),
            public_url: self.public_url.clone(),
            language: self.lang.map(|l| match l {
                LangArg::Ja => LanguageSetting::Ja,
                LangArg::En => LanguageSetting::En,
            }),
        };
        let config = overrides.apply(loaded.config);
        let lang = config.language.resolve();
        Ok(Settings {
            config,
            lang,
            path,
            overrides,
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
        ] {
            let err = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
