//! `make bench`, third part: 10 000 polls of the real monitor loop (bbwatch-core's `Monitor`:
//! client, classify, detect, event delivery) against a flapping fake-bitbank on 127.0.0.1,
//! including hostile answers (an endless body, a gzip bomb, a huge body). Resident memory and
//! open file descriptors are sampled every 1 000 polls: both must stay flat.
//!
//! The simulator runs in the same process (so the figures include it); the monitor polls back
//! to back (interval 1 ms, which the CLI does not allow; the core does not care).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bbwatch_core::bitbank::client::Endpoints;
use bbwatch_core::bitbank::source::BitbankConfig;
use bbwatch_core::engine::detect::Thresholds;
use bbwatch_core::engine::monitor::{Monitor, MonitorConfig};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const POLLS: u64 = 10_000;
const SAMPLE_EVERY: u64 = 1_000;

/// Every 40 ms something else: normal, maintenance, error pages, broken and hostile answers.
const FLAPPING: &str = r#"
description = "bench: flapping between normal and every failure"
repeat = true
[[phases]]
name = "normal"
duration = "40ms"
[[phases]]
name = "maintenance"
duration = "40ms"
api = { error = 10007, http_status = 503 }
[[phases]]
name = "halt"
duration = "40ms"
status = { btc_jpy = "HALT" }
[[phases]]
name = "html"
duration = "40ms"
api = { html = 502 }
public = "drop"
[[phases]]
name = "truncated"
duration = "40ms"
api = "truncated"
[[phases]]
name = "endless"
duration = "40ms"
api = "endless"
[[phases]]
name = "gzip-bomb"
duration = "40ms"
api = "gzip_bomb"
[[phases]]
name = "huge"
duration = "40ms"
api = { huge = 5000000 }
[[phases]]
name = "rate-limited"
duration = "40ms"
api = { rate_limit = 0 }
"#;

fn rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

fn open_fds() -> Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<()> {
    let scenario = Scenario::from_toml(FLAPPING)?;
    let sim = FakeBitbank::start(scenario, Options::default()).await?;
    let pairs: BTreeSet<String> = ["btc_jpy", "eth_jpy"].map(String::from).into();
    let (monitor, handle) = Monitor::new(MonitorConfig {
        interval: Duration::from_millis(1),
        thresholds: Thresholds::default(),
        pairs: Some(pairs),
        source: BitbankConfig {
            timeout: Duration::from_secs(1),
            endpoints: Endpoints {
                api_url: sim.api_url().parse().map_err(anyhow::Error::msg)?,
                public_url: sim.public_url().parse().map_err(anyhow::Error::msg)?,
            },
            stream: None,
            assets: None,
        },
    })?;
    let mut events = handle.events();
    let mut snapshots = handle.snapshot();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(monitor.run(async {
        let _ = stop_rx.await;
    }));
    let counter = tokio::spawn(async move {
        let mut n = 0u64;
        while events.recv().await.is_some() {
            n += 1;
        }
        n
    });

    println!("| polls | RSS (MiB) | open fds | elapsed (s) |");
    println!("|---|---|---|---|");
    let start = Instant::now();
    let mut polls = 0u64;
    let mut samples = Vec::new();
    while polls < POLLS {
        snapshots.changed().await.context("the monitor stopped")?;
        polls += 1;
        if polls == 1 || polls.is_multiple_of(SAMPLE_EVERY) {
            let (rss, fds) = (rss_kib()?, open_fds()?);
            samples.push((polls, rss, fds));
            println!(
                "| {polls} | {:.1} | {fds} | {:.1} |",
                rss as f64 / 1024.0,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let _ = stop_tx.send(());
    task.await?;
    let events = counter.await?;
    let stats = sim.stats();
    sim.shutdown().await;

    let after_warmup: Vec<_> = samples.iter().filter(|s| s.0 >= SAMPLE_EVERY).collect();
    let rss_min = after_warmup.iter().map(|s| s.1).min().unwrap_or(0);
    let rss_max = after_warmup.iter().map(|s| s.1).max().unwrap_or(0);
    let fd_min = after_warmup.iter().map(|s| s.2).min().unwrap_or(0);
    let fd_max = after_warmup.iter().map(|s| s.2).max().unwrap_or(0);
    println!();
    println!(
        "{POLLS} polls in {:.1} s, {events} events, {} api + {} public requests served",
        start.elapsed().as_secs_f64(),
        stats.requests.api,
        stats.requests.public
    );
    println!(
        "from poll {SAMPLE_EVERY} on: RSS {:.1}–{:.1} MiB, open fds {fd_min}–{fd_max}",
        rss_min as f64 / 1024.0,
        rss_max as f64 / 1024.0
    );
    Ok(())
}
