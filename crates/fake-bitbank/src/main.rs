//! `fake-bitbank`: run the simulator from the command line.
//!
//! Prints `api_url=…`, `public_url=…`, `stream_url=…`, `gmocoin_url=…`, `bitflyer_url=…` and
//! `coincheck_url=…` on stdout, one a line in that order, then logs each phase change on stderr
//! as `<RFC3339 UTC time> phase <index> <name>` until Ctrl-C or SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use fake_bitbank::{FakeBitbank, Options, Scenario};

/// A scriptable bitbank simulator on 127.0.0.1 (for bbwatch's tests and demos).
#[derive(Parser, Debug)]
#[command(name = "fake-bitbank", version)]
struct Cli {
    /// Builtin scenario name (see --list) or path to a scenario TOML file.
    #[arg(long, value_name = "NAME|PATH", default_value = "normal")]
    scenario: String,
    /// Time scale: 1 = real time, 60 = one scenario minute per second.
    #[arg(long, value_name = "F", default_value_t = 1.0, value_parser = parse_speed, allow_negative_numbers = true)]
    speed: f64,
    /// Port of the api host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    api_port: u16,
    /// Port of the public host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    public_port: u16,
    /// Port of the stream host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    stream_port: u16,
    /// Port of GMO Coin's host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    gmocoin_port: u16,
    /// Port of bitFlyer's host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    bitflyer_port: u16,
    /// Port of Coincheck's host on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    coincheck_port: u16,
    /// The stream's PING period (not scaled by --speed).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "25s")]
    ping_interval: std::time::Duration,
    /// How long the stream waits for a PONG (not scaled by --speed).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "20s")]
    ping_timeout: std::time::Duration,
    /// How often each joined ticker room gets a frame (not scaled by --speed).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "1s")]
    ticker_interval: std::time::Duration,
    /// The account's API key (ACCESS-KEY of /v1/user/... requests).
    #[arg(long, value_name = "KEY", default_value = "fake-key")]
    api_key: String,
    /// The account's API secret (signs ACCESS-SIGNATURE; a client never sends it).
    #[arg(long, value_name = "SECRET", default_value = "fake-secret")]
    api_secret: String,
    /// Assets held (non-zero in /v1/user/assets), comma separated.
    #[arg(
        long,
        value_name = "ASSETS",
        value_delimiter = ',',
        default_value = "btc,eth,xrp,jpy",
        value_parser = parse_asset
    )]
    holdings: Vec<String>,
    /// List the builtin scenarios and exit.
    #[arg(long)]
    list: bool,
}

fn parse_speed(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{raw}` is not a positive number")),
    }
}

fn parse_asset(raw: &str) -> Result<String, String> {
    // Empty is allowed so that `--holdings ""` can mean no holdings.
    if raw.is_empty() || fake_bitbank::assets::find(raw).is_some() {
        Ok(raw.to_string())
    } else {
        Err(format!("`{raw}` is not an asset of the simulated exchange"))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot watch Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot watch Ctrl-C")?;
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if cli.list {
        let mut out = std::io::stdout().lock();
        for name in Scenario::builtin_names() {
            let description = Scenario::builtin(name)
                .and_then(|s| s.description().map(str::to_string))
                .unwrap_or_default();
            writeln!(out, "{name:<16} {description}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let scenario = match Scenario::load(&cli.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-bitbank: bad scenario: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let options = Options {
        speed: cli.speed,
        api_port: cli.api_port,
        public_port: cli.public_port,
        stream_port: cli.stream_port,
        gmocoin_port: cli.gmocoin_port,
        bitflyer_port: cli.bitflyer_port,
        coincheck_port: cli.coincheck_port,
        ping_interval: cli.ping_interval,
        ping_timeout: cli.ping_timeout,
        ticker_interval: cli.ticker_interval,
        api_key: cli.api_key,
        api_secret: cli.api_secret,
        // `--holdings ""` means no holdings at all.
        holdings: cli.holdings.into_iter().filter(|a| !a.is_empty()).collect(),
    };
    let fake = FakeBitbank::start(scenario, options)
        .await
        .context("cannot start the fake exchange")?;
    let mut phases = fake.subscribe_phases();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "api_url={}", fake.api_url())?;
        writeln!(out, "public_url={}", fake.public_url())?;
        writeln!(out, "stream_url={}", fake.stream_url())?;
        // After bitbank's three, which scripts and tests read by position or wait for.
        writeln!(out, "gmocoin_url={}", fake.gmocoin_url())?;
        writeln!(out, "bitflyer_url={}", fake.bitflyer_url())?;
        writeln!(out, "coincheck_url={}", fake.coincheck_url())?;
        out.flush()?;
    }
    let logger = tokio::spawn(async move {
        let (index, name) = phases.borrow_and_update().clone();
        eprintln!("{} phase {index} {name}", now());
        while phases.changed().await.is_ok() {
            let (index, name) = phases.borrow_and_update().clone();
            eprintln!("{} phase {index} {name}", now());
        }
    });
    let waited = wait_for_signal().await;
    logger.abort();
    fake.shutdown().await;
    waited?;
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // clap exits with status 2 on bad flags, 0 on --help/--version.
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fake-bitbank: {e:#}");
            ExitCode::FAILURE
        }
    }
}
