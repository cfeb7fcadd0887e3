//! `bbwatch`: watch bitbank for maintenance, halts and outages from the command line.

mod args;
mod history;
mod output;
mod writer;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use bbwatch_core::bitbank::credentials::Credentials;
use bbwatch_core::bitbank::source::{Bitbank, BitbankConfig};
use bbwatch_core::config::Config;
use bbwatch_core::engine::monitor::check_once;
use bbwatch_core::engine::sink::Sink;
use bbwatch_core::exchanges::bitflyer::BitFlyer;
use bbwatch_core::exchanges::coincheck::Coincheck;
use bbwatch_core::exchanges::gmocoin::GmoCoin;
use bbwatch_core::exchanges::Rest;
use bbwatch_core::i18n::{HistoryMsg, Msg};
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::present::render::event_line;
use bbwatch_core::runtime::settings::Settings as LiveSettings;
use bbwatch_history::History;
use bbwatch_runtime::{Api, Options, Runtime};
use bbwatch_sinks::{Notifier, NotifierOptions};
use clap::Parser;

use crate::args::{Cli, Command, Settings, Until};

/// Where the history goes by default, for messages.
#[cfg(windows)]
const DATA_DIR: &str = "%LOCALAPPDATA% is not set";
#[cfg(not(windows))]
const DATA_DIR: &str = "neither XDG_DATA_HOME nor HOME is set";

/// Exit code for a runtime error (the README's CLI contract); usage errors exit 2.
const EXIT_RUNTIME: u8 = 1;
const EXIT_USAGE: u8 = 2;
/// Exit code of `bbwatch wait` interrupted by Ctrl-C (128 + SIGINT), or by SIGTERM.
const EXIT_INTERRUPTED: u8 = 130;
const EXIT_TERMINATED: u8 = 143;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.common.verbose);
    // Before any socket: clients of the local API must not use up the monitor's descriptors.
    bbwatch_core::present::descriptors::raise_limit();
    let settings = match cli.common.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bbwatch: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // One thread does for a monitor that waits on the network: each worker thread costs its
    // stack and a malloc arena of its own. The local API (`serve`) keeps two for its clients.
    let mut builder = match cli.command {
        Command::Serve { .. } => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bbwatch: cannot start: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Status { json } => status(&settings, json).await,
            Command::Watch { json, notify } => watch(&settings, json, notify).await.map(|()| 0),
            Command::History(args) => show_history(&settings, &args),
            Command::Wait { until, max_wait } => wait(&settings, until, max_wait).await,
            Command::Serve { listen } => serve(&settings, listen).await,
            Command::TestChannels { name } => test_channels(&settings, name.as_deref()).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("bbwatch: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

/// `bbwatch test-channels`: the settings window's "Send a test", for each channel (or the one
/// named), a line each saying how it went.
async fn test_channels(settings: &Settings, name: Option<&str>) -> anyhow::Result<u8> {
    use bbwatch_sinks::channels::{send_test, EnvOrFile, SecretStore as _};
    let config = &settings.config;
    let lang = config.language.resolve();
    let chosen: Vec<_> = config
        .channels
        .iter()
        .filter(|c| name.is_none_or(|n| c.id() == n))
        .collect();
    if chosen.is_empty() {
        anyhow::bail!(match name {
            Some(name) => Msg::ChannelNotFound.fill(lang, &[("name", name)]),
            None => Msg::NoChannels.text(lang).to_owned(),
        });
    }
    let mut failed = false;
    for channel in chosen {
        let sent = match EnvOrFile.secret(channel) {
            Ok(secret) => send_test(channel, secret.as_deref(), lang)
                .await
                .map_err(|e| e.words(lang)),
            Err(why) => Err(why),
        };
        let name = channel.id();
        match sent {
            Ok(()) => println!("{}", Msg::ChannelTestSent.fill(lang, &[("name", name)])),
            Err(why) => {
                failed = true;
                println!(
                    "{}",
                    Msg::ChannelTestFailed.fill(lang, &[("name", name), ("why", &why)])
                );
            }
        }
    }
    Ok(u8::from(failed))
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // `target=level` directives, as EnvFilter reads them, without its span and field
    // matchers: those bring a regex engine and its Unicode tables into every page of the
    // binary that a watch keeps resident.
    let filter = std::env::var("BBWATCH_LOG")
        .ok()
        .and_then(|v| log_targets(&v))
        .or_else(|| log_targets(default))
        .unwrap_or_default();
    use std::io::IsTerminal as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colour codes only for a person at a terminal, never into a pipe or a log file.
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false),
        )
        .with(filter)
        .init();
}

/// `BBWATCH_LOG`'s directives (`warn`, `bbwatch::pipeline=debug,warn`); none is nothing
/// logged, as with EnvFilter; a bad one is `None`.
fn log_targets(spec: &str) -> Option<tracing_subscriber::filter::Targets> {
    let directives: Vec<&str> = spec.split(',').filter(|d| !d.is_empty()).collect();
    if directives.is_empty() {
        return Some(tracing_subscriber::filter::Targets::new());
    }
    directives.join(",").parse().ok()
}

/// One observation of each exchange shown, reported as seen (no thresholds). Returns the
/// exit code of the worst level among them.
async fn status(settings: &Settings, json: bool) -> anyhow::Result<u8> {
    let mut snapshots = Vec::new();
    for exchange in &settings.exchanges {
        let snapshot = check(settings, *exchange).await?;
        if snapshot.rate_limited {
            let name = exchange.name(bbwatch_core::Lang::En);
            match snapshot.retry_after_secs {
                Some(secs) => anyhow::bail!(
                    "{name} rate-limited this check and asked us to wait {secs}s (Retry-After)"
                ),
                None => anyhow::bail!("{name} rate-limited this check; try again in a minute"),
            }
        }
        snapshots.push(snapshot);
    }
    let lines = match &snapshots[..] {
        // One exchange: its snapshot, as bitbank's always was.
        [one] if json => vec![serde_json::to_string(one)?],
        [one] => output::status_lines(one, settings.lang),
        several if json => vec![serde_json::to_string(several)?],
        several => several
            .iter()
            .flat_map(|s| output::named_status_lines(s, settings.lang))
            .collect(),
    };
    for line in &lines {
        output::line(line).context("cannot write to stdout")?;
    }
    let worst = snapshots
        .iter()
        .map(|s| s.level)
        .max_by_key(|l| l.severity())
        .unwrap_or(bbwatch_core::Level::Unknown);
    u8::try_from(worst.exit_code()).context("exit code out of range")
}

/// One look at `exchange`, as its settings say.
async fn check(settings: &Settings, exchange: Exchange) -> anyhow::Result<bbwatch_core::Snapshot> {
    let config = &settings.config;
    // Settings of an exchange the flags did not ask for and the file does not watch.
    let missing = || anyhow::anyhow!("{exchange} is not watched");
    Ok(match exchange {
        Exchange::Bitbank => {
            // One look: no stream to follow.
            let bitbank = BitbankConfig {
                stream: None,
                ..config.monitor_config().source
            };
            let mut source = Bitbank::new(bitbank, Arc::default())?;
            source.set_credentials(key_channel(credentials(config)?));
            check_once(&mut source, config.pair_set().as_ref()).await
        }
        Exchange::Gmocoin => {
            let c = config.gmocoin_monitor().ok_or_else(missing)?;
            check_once(&mut Rest::<GmoCoin>::new(c.source)?, c.pairs.as_ref()).await
        }
        Exchange::Bitflyer => {
            let c = config.bitflyer_monitor().ok_or_else(missing)?;
            check_once(&mut Rest::<BitFlyer>::new(c.source)?, c.pairs.as_ref()).await
        }
        Exchange::Coincheck => {
            let c = config.coincheck_monitor().ok_or_else(missing)?;
            check_once(&mut Rest::<Coincheck>::new(c.source)?, c.pairs.as_ref()).await
        }
    })
}

/// The API key for deposits and withdrawals: `BBWATCH_API_KEY` and `BBWATCH_API_SECRET`, else
/// the configuration's `api_secret_file` (mode 0600), else none.
fn credentials(config: &Config) -> anyhow::Result<Option<Credentials>> {
    if let Some(key) = Credentials::from_env()? {
        return Ok(Some(key));
    }
    match &config.api_secret_file {
        Some(path) => Ok(Some(Credentials::from_file(path)?)),
        None => Ok(None),
    }
}

/// A monitor's key channel holding `key` for as long as the monitor runs.
fn key_channel(key: Option<Credentials>) -> tokio::sync::watch::Receiver<Option<Credentials>> {
    // The sender goes: the CLI's key does not change while it runs.
    tokio::sync::watch::channel(key).1
}

/// The settings in force, following the file (edited by hand, or SIGHUP) with the flags laid
/// over it.
fn live_settings(settings: &Settings) -> Arc<LiveSettings> {
    Arc::new(LiveSettings::new(
        settings.path.clone(),
        settings.overrides.clone(),
        settings.config.clone(),
        true,
    ))
}

/// What `watch` and `serve` both start: the one runtime (monitor, history, hooks, webhooks,
/// and the notifier and API they ask for), with SIGHUP reading the file again.
async fn start_runtime(
    settings: &Settings,
    live: &Arc<LiveSettings>,
    notifier: Option<Box<dyn Sink>>,
    api: Api,
) -> anyhow::Result<Runtime> {
    let history = settings
        .history
        .as_deref()
        .and_then(history::open_for_watch);
    let mut runtime = Runtime::start(Options {
        settings: live.clone(),
        credentials: key_channel(credentials(&settings.config)?),
        history,
        api,
        history_failure: None,
        // Secrets from BBWATCH_SECRET_<NAME> or the channel's secret_file.
        channels: Default::default(),
    })
    .await?;
    if let Some(notifier) = notifier {
        runtime.notify(notifier);
    }
    tokio::spawn(reload_on_hangup(live.clone()));
    let stop = runtime.shutdown();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    Ok(runtime)
}

/// Run the monitor until Ctrl-C or SIGTERM, printing each event. Stdout is written by a
/// thread of its own ([`writer`]): a reader that stops reading never blocks the monitor or
/// the signal; a reader that goes away ends the watch (exit 0); any other write error is a
/// runtime error (exit 1).
async fn watch(settings: &Settings, json: bool, notify: bool) -> anyhow::Result<()> {
    let live = live_settings(settings);
    let config = live.subscribe();
    // Each event is passed on once printed: a slow notification server never holds up the
    // output.
    let notifier = notify.then(|| -> Box<dyn Sink> {
        let notifier = Arc::new(Notifier::new(config.clone(), NotifierOptions::default()));
        Box::new(notifier.start(|| false))
    });
    let runtime = start_runtime(settings, &live, notifier, Api::Off).await?;
    let (out, mut gone) = writer::Writer::spawn().context("cannot start the output thread")?;
    // A name an exchange does not list is a bad value, said once it is known (stderr).
    let mut snapshots = runtime.handle().exchanges();
    tokio::spawn(async move {
        let mut told = std::collections::BTreeMap::new();
        while snapshots.changed().await.is_ok() {
            let all = snapshots.borrow_and_update().clone();
            for (exchange, snapshot) in all {
                if told.get(&exchange) == Some(&snapshot.unlisted) {
                    continue;
                }
                for line in bbwatch_core::present::settings_form::describe_unlisted(
                    "",
                    exchange,
                    &snapshot.unlisted,
                    bbwatch_core::Lang::En,
                ) {
                    tracing::error!("configuration: {line}");
                }
                told.insert(exchange, snapshot.unlisted);
            }
        }
    });
    // Nobody reads our output any more: stop quietly; a write that failed otherwise is the
    // watch's error.
    let stop = runtime.shutdown();
    let failed = tokio::spawn(async move {
        let gone = gone.recv().await;
        stop.cancel();
        match gone {
            Some(writer::Gone::Failed(e)) => Some(e),
            Some(writer::Gone::Closed) | None => None,
        }
    });
    let shown = settings.exchanges.clone();
    runtime
        .run(|recorded| {
            let event = &recorded.event;
            if !shown.contains(&event.exchange) {
                return;
            }
            let lang = config.borrow().language.resolve();
            let text = if json {
                event.to_json_line()
            } else {
                event_line(event, lang)
            };
            out.line(text, bbwatch_core::engine::delivery::is_level_change(event));
        })
        .await?;
    if failed.is_finished() {
        if let Ok(Some(e)) = failed.await {
            return Err(e).context("cannot write to stdout");
        }
    }
    Ok(())
}

/// `bbwatch serve`: the local HTTP API (see the bbwatch-api crate) over a monitor that
/// records the history and runs the hooks as `watch` does, until Ctrl-C or SIGTERM (exit 0).
/// `--listen` overrides `[api] listen`; an `[api]` that cannot be served (a public address
/// without a token, an unreadable token file, a token others could read or choose) exits 2
/// before anything starts, on any address. Changes to `[api]` in the file apply at the next
/// start.
async fn serve(settings: &Settings, listen: Option<std::net::SocketAddr>) -> anyhow::Result<u8> {
    let mut api = settings.config.api.clone();
    if let Some(addr) = listen {
        api.listen = addr;
    }
    let token = match bbwatch_api::Token::from_config(&api) {
        Ok(token) => token,
        Err(e) => {
            eprintln!("bbwatch: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    // For tests: the default of 15 s is too long to wait for.
    let heartbeat = match std::env::var("BBWATCH_SSE_HEARTBEAT") {
        Ok(v) => match humantime::parse_duration(v.trim()) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                eprintln!("bbwatch: BBWATCH_SSE_HEARTBEAT={v:?} is not a duration like 15s");
                return Ok(EXIT_USAGE);
            }
        },
        Err(_) => bbwatch_api::DEFAULT_HEARTBEAT,
    };
    let listener = bbwatch_api::bind(&api).await?;
    let serve = Api::Serve {
        listener,
        token,
        heartbeat,
        origins: api.allowed_origins()?,
    };
    let runtime = start_runtime(settings, &live_settings(settings), None, serve).await?;
    if let Some(addr) = runtime.api_addr() {
        eprintln!("bbwatch: listening on http://{addr}");
    }
    runtime.run(|_| {}).await?;
    Ok(0)
}

/// `bbwatch wait`: run the monitor until the level is what `until` asks for (exit 0),
/// `max_wait` passes (exit 1), or Ctrl-C (130) / SIGTERM (143). The level is checked as soon
/// as the first answer is confirmed, so an already usable bitbank returns at once. Says how
/// it ended on stderr, in the user's language.
async fn wait(
    settings: &Settings,
    until: Until,
    max_wait: Option<std::time::Duration>,
) -> anyhow::Result<u8> {
    use bbwatch_core::i18n::Msg;
    use bbwatch_core::present::render::{format_duration, level_name};
    let live = live_settings(settings);
    let key = credentials(&settings.config)?;
    let (mut monitor, handle, _following) = live.start_monitor(None)?;
    monitor.set_credentials(key_channel(key));
    let mut watched = handle.exchanges();
    let stop = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(monitor.run(stop.clone().cancelled_owned()));
    let others = bbwatch_runtime::exchanges::follow(&live.subscribe(), &handle, &stop);
    let started = std::time::Instant::now();
    let give_up = async {
        match max_wait {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(give_up);
    let signal = interrupt_signal();
    tokio::pin!(signal);
    let lang = settings.lang;
    // Each exchange waited for, with its level (unknown until its first answer).
    let levels =
        |all: &bbwatch_core::engine::monitor::Exchanges| -> Vec<(Exchange, bbwatch_core::Level)> {
            settings
                .exchanges
                .iter()
                .map(|e| {
                    (
                        *e,
                        all.get(e).map_or(bbwatch_core::Level::Unknown, |s| s.level),
                    )
                })
                .collect()
        };
    let (msg, code) = loop {
        if levels(&watched.borrow_and_update())
            .iter()
            .all(|(_, l)| until.reached(*l))
        {
            break (Msg::WaitReady, 0);
        }
        tokio::select! {
            changed = watched.changed() => {
                if changed.is_err() {
                    anyhow::bail!("the monitor stopped");
                }
            }
            () = &mut give_up => break (Msg::WaitGaveUp, EXIT_RUNTIME),
            code = &mut signal => break (Msg::WaitInterrupted, code),
        }
    };
    let levels = levels(&watched.borrow());
    stop.cancel();
    others.join_all().await;
    let _ = run.await;
    let waited = format_duration(started.elapsed().as_secs(), lang);
    for (exchange, level) in levels {
        eprintln!(
            "{}",
            msg.fill(
                lang,
                &[
                    ("exchange", exchange.name(lang)),
                    ("level", level_name(level, lang)),
                    ("waited", &waited)
                ]
            )
        );
    }
    Ok(code)
}

/// Ctrl-C (130) or SIGTERM (143): the exit code it calls for.
async fn interrupt_signal() -> u8 {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => EXIT_INTERRUPTED,
        () = term => EXIT_TERMINATED,
    }
}

/// `bbwatch history`: the periods (or events) recorded, in the user's language, JSON or CSV.
fn show_history(settings: &Settings, args: &args::HistoryArgs) -> anyhow::Result<u8> {
    let Some(path) = settings.history.as_deref() else {
        if settings.history_off {
            anyhow::bail!("history is off (--no-history or [history] enabled = false)");
        }
        anyhow::bail!(
            "no directory for the history ({}); name a file with --history",
            DATA_DIR
        );
    };
    if !path.exists() {
        eprintln!(
            "{}",
            HistoryMsg::NoHistory.fill(settings.lang, &[("path", &path.display().to_string())])
        );
        return Ok(0);
    }
    let history = History::open(path)?;
    if let Some(aside) = history.moved_aside() {
        eprintln!(
            "bbwatch: {} was not a readable history; it was moved aside to {}",
            path.display(),
            aside.display()
        );
    }
    for line in history::lines(&history, args, &settings.exchange_flag, settings.lang)? {
        match output::line(&line) {
            Ok(()) => {}
            // `| head`: the reader has what it wanted.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) => return Err(e).context("cannot write to stdout"),
        }
    }
    Ok(0)
}

/// SIGHUP, as daemons do: read the configuration file again. A bad file leaves the last good
/// settings in force and says why.
async fn reload_on_hangup(live: Arc<LiveSettings>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            match live.reload() {
                Ok(true) => tracing::info!("SIGHUP: new settings in force"),
                Ok(false) => tracing::info!("SIGHUP: the settings are unchanged"),
                Err(e) => {
                    let shown = live
                        .path()
                        .map_or_else(|| "config".to_owned(), |p| p.display().to_string());
                    eprintln!("bbwatch: {shown}: {e}; the last good settings stay in force");
                }
            }
        }
    }
    #[cfg(not(unix))]
    drop(live);
}

/// Ctrl-C or SIGTERM, for `watch`: it stops with exit 0 either way.
async fn shutdown_signal() {
    interrupt_signal().await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::log_targets;
    use tracing::Level;

    #[test]
    fn log_directives_read_as_env_filter_read_them() {
        let t = log_targets("warn").unwrap();
        assert!(t.would_enable("bbwatch_core::engine", &Level::WARN));
        assert!(!t.would_enable("bbwatch_core::engine", &Level::INFO));
        let t = log_targets("bbwatch::pipeline=debug,warn,").unwrap();
        assert!(t.would_enable("bbwatch::pipeline", &Level::DEBUG));
        assert!(!t.would_enable("bbwatch_core", &Level::INFO));
        assert!(t.would_enable("bbwatch_core", &Level::WARN));
        // Nothing asked for: nothing logged.
        assert!(!log_targets("")
            .unwrap()
            .would_enable("bbwatch", &Level::ERROR));
        // Not a directive: the default applies instead.
        assert!(log_targets("bbwatch[span{x=1}]=debug").is_none());
        assert!(log_targets("=loud").is_none());
    }
}
