//! `bbwatch`: watch bitbank for maintenance, halts and outages from the command line.

mod args;
mod history;
mod output;
mod writer;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use bbwatch_core::bitbank::client::Client;
use bbwatch_core::bitbank::credentials::Credentials;
use bbwatch_core::config::Config;
use bbwatch_core::engine::monitor::check_once;
use bbwatch_core::i18n::HistoryMsg;
use bbwatch_core::present::render::event_line;
use bbwatch_core::runtime::settings::{FileWatch, Settings as LiveSettings};
use bbwatch_core::{Monitor, MonitorHandle};
use bbwatch_history::{History, Recorder};
use bbwatch_sinks::{Notifier, NotifierOptions};
use clap::Parser;

use crate::args::{Cli, Command, Settings, Until};

/// Where the history goes by default, for messages.
#[cfg(windows)]
const DATA_DIR: &str = "%LOCALAPPDATA% is not set";
#[cfg(not(windows))]
const DATA_DIR: &str = "neither XDG_DATA_HOME nor HOME is set";

/// Exit code for a runtime error (DESIGN.md); usage errors exit 2.
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
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

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BBWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a pipe or a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

/// One observation, reported as seen (no thresholds). Returns the level's exit code.
async fn status(settings: &Settings, json: bool) -> anyhow::Result<u8> {
    let config = &settings.config;
    let client = Client::new(config.endpoints(), config.timeout.0)?;
    let key = credentials(config)?;
    let snapshot = check_once(
        &client,
        config.pair_set().as_ref(),
        key.as_ref(),
        config.asset_set().as_ref(),
    )
    .await;
    if snapshot.rate_limited {
        match snapshot.retry_after_secs {
            Some(secs) => anyhow::bail!(
                "bitbank rate-limited this check and asked us to wait {secs}s (Retry-After)"
            ),
            None => anyhow::bail!("bitbank rate-limited this check; try again in a minute"),
        }
    }
    let lines = if json {
        vec![serde_json::to_string(&snapshot)?]
    } else {
        output::status_lines(&snapshot, settings.lang)
    };
    for line in &lines {
        output::line(line).context("cannot write to stdout")?;
    }
    u8::try_from(snapshot.level.exit_code()).context("exit code out of range")
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

/// What `watch` and `serve` both run: a monitor following the settings in force, the
/// history it records into (pruned daily, its snapshot kept for the next start), the hooks
/// and webhooks of the settings in force, and SIGHUP reading the file again. Events are the
/// caller's to read from `handle` and pass to `bbwatch_history::record_and_claim`.
struct Running {
    config: tokio::sync::watch::Receiver<Config>,
    monitor: Monitor,
    handle: MonitorHandle,
    recorder: Option<Recorder>,
    history: Option<Arc<History>>,
    following: Option<FileWatch>,
    /// The hooks and webhooks (none unless configured; a change of the file applies to the
    /// next event). Sending never waits for a hook or an endpoint.
    outbound: tokio::sync::mpsc::UnboundedSender<bbwatch_core::Event>,
}

fn start_running(settings: &Settings) -> anyhow::Result<Running> {
    // The settings in force follow the file (edited by hand, or SIGHUP), flags laid over it.
    let live = Arc::new(LiveSettings::new(
        settings.path.clone(),
        settings.overrides.clone(),
        settings.config.clone(),
        true,
    ));
    let config = live.subscribe();
    let history = settings
        .history
        .as_deref()
        .and_then(history::open_for_watch);
    let resume = history.as_ref().and_then(|h| match h.resume_state() {
        Ok(resume) => resume,
        Err(e) => {
            eprintln!("bbwatch: {e}; starting without the stored state");
            None
        }
    });
    let key = credentials(&settings.config)?;
    let (mut monitor, handle, following) = live.start_monitor(resume)?;
    monitor.set_credentials(key_channel(key));
    let recorder = history.clone().map(|h| {
        tokio::spawn(bbwatch_history::prune_daily(h.clone(), config.clone()));
        tokio::spawn(bbwatch_history::keep_snapshot(h.clone(), handle.snapshot()));
        Recorder::new(h)
    });
    tokio::spawn(reload_on_hangup(live.clone()));
    let outbound = bbwatch_sinks::outbound::start(config.clone());
    Ok(Running {
        config,
        monitor,
        handle,
        recorder,
        history,
        following,
        outbound,
    })
}

/// Run the monitor until Ctrl-C or SIGTERM, printing each event. Stdout is written by a
/// thread of its own ([`writer`]): a reader that stops reading never blocks the monitor or
/// the signal; a reader that goes away ends the watch (exit 0); any other write error is a
/// runtime error (exit 1).
async fn watch(settings: &Settings, json: bool, notify: bool) -> anyhow::Result<()> {
    let Running {
        config,
        monitor,
        handle,
        mut recorder,
        following: _following,
        outbound,
        ..
    } = start_running(settings)?;
    let mut out = writer::Writer::spawn().context("cannot start the output thread")?;
    let mut events = handle.events();
    // Each event is passed on once printed: a slow notification server never holds up the
    // output.
    let to_notifier = notify.then(|| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let notifier = Arc::new(Notifier::new(config.clone(), NotifierOptions::default()));
        tokio::spawn(notifier.run(rx, || false));
        tx
    });
    let mut run = tokio::spawn(monitor.run(shutdown_signal()));
    // A name bitbank does not list is a bad value, said once it is known (stderr).
    let mut snapshots = handle.snapshot();
    tokio::spawn(async move {
        let mut told = bbwatch_core::Unlisted::default();
        while snapshots.changed().await.is_ok() {
            let unlisted = snapshots.borrow_and_update().unlisted.clone();
            if unlisted != told {
                for line in bbwatch_core::present::settings_form::describe_unlisted(
                    "",
                    &unlisted,
                    bbwatch_core::Lang::En,
                ) {
                    tracing::error!("configuration: {line}");
                }
                told = unlisted;
            }
        }
    });
    loop {
        tokio::select! {
            // Events first, so none still queued is lost when the monitor stops.
            biased;
            received = events.recv() => match received {
                Some(event) => {
                    // Recorded before it is printed; then to the hooks and webhooks.
                    let claimed = bbwatch_history::record_and_claim(recorder.as_mut(), &event);
                    let lang = config.borrow().language.resolve();
                    let text = if json { event.to_json_line() } else { event_line(&event, lang) };
                    out.line(text, bbwatch_core::engine::delivery::is_level_change(&event));
                    if let Some(notifier) = &to_notifier {
                        let _ = notifier.send(event.clone());
                    }
                    if claimed {
                        let _ = outbound.send(event);
                    }
                }
                None => return Ok(()),
            },
            gone = out.gone.recv() => {
                run.abort();
                return match gone {
                    // Nobody reads our output any more: stop quietly.
                    Some(writer::Gone::Closed) | None => Ok(()),
                    Some(writer::Gone::Failed(e)) => Err(e).context("cannot write to stdout"),
                };
            }
            joined = &mut run => {
                joined.context("the monitor task failed")?;
                return Ok(());
            }
        }
    }
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
    let Running {
        monitor,
        handle,
        mut recorder,
        history,
        following: _following,
        outbound,
        ..
    } = start_running(settings)?;
    let mut state = bbwatch_api::ApiState::new(&handle, history, token);
    state.heartbeat = heartbeat;
    state.origins = api.allowed_origins()?;
    let server = bbwatch_api::Server::spawn(listener, state)?;
    eprintln!("bbwatch: listening on http://{}", server.local_addr());
    let mut events = handle.events();
    let run = tokio::spawn(monitor.run(shutdown_signal()));
    // Recorded before anything else sees it: the API's event ids come from the history.
    while let Some(event) = events.recv().await {
        if bbwatch_history::record_and_claim(recorder.as_mut(), &event) {
            let _ = outbound.send(event);
        }
    }
    run.await.context("the monitor task failed")?;
    server.stop().await?;
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
    let live = Arc::new(LiveSettings::new(
        settings.path.clone(),
        settings.overrides.clone(),
        settings.config.clone(),
        true,
    ));
    let key = credentials(&settings.config)?;
    let (mut monitor, handle, _following) = live.start_monitor(None)?;
    monitor.set_credentials(key_channel(key));
    let mut snapshot = handle.snapshot();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(monitor.run(async move {
        let _ = stopped.await;
    }));
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
    let (msg, code) = loop {
        let level = snapshot.borrow_and_update().level;
        if until.reached(level) {
            break (Msg::WaitReady, 0);
        }
        tokio::select! {
            changed = snapshot.changed() => {
                if changed.is_err() {
                    anyhow::bail!("the monitor stopped");
                }
            }
            () = &mut give_up => break (Msg::WaitGaveUp, EXIT_RUNTIME),
            code = &mut signal => break (Msg::WaitInterrupted, code),
        }
    };
    let _ = stop.send(());
    let _ = run.await;
    let level = snapshot.borrow().level;
    let waited = format_duration(started.elapsed().as_secs(), lang);
    eprintln!(
        "{}",
        msg.fill(
            lang,
            &[("level", level_name(level, lang)), ("waited", &waited)]
        )
    );
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
    for line in history::lines(&history, args, settings.lang)? {
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
