//! `make bench`: detection latency and the footprint of `bbwatch watch`, against fake-bitbank
//! on 127.0.0.1 only. Prints a Markdown report for docs/benchmarks.md.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bbwatch_e2e::desktop::procs::cpu_seconds;
use fake_bitbank::{FakeBitbank, Options, Scenario};

/// Two phases that only change when the bench says so.
const SWITCHING: &str = r#"
description = "bench: normal and maintenance, switched by hand"
repeat = true
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "maintenance"
duration = "24h"
api = { error = 10007, http_status = 503 }
"#;

const SWITCHES: usize = 20;
const FOOTPRINT_SECS: u64 = 180;
/// Issue 26: a watch with the history and the stream on keeps at most 10 MiB resident.
const RSS_TARGET_KIB: u64 = 10 * 1024;
/// Traffic is counted over this long, after the first poll and the rooms' first frames.
const TRAFFIC_WARMUP_SECS: u64 = 30;
const TRAFFIC_SECS: u64 = 240;

struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watch {
    fn start(bin: &PathBuf, sim: &FakeBitbank, interval: &str, extra: &[&str]) -> Result<Watch> {
        // A history of its own, new each run: never the user's, and no state left by the last
        // run to continue (a run stopped in a maintenance would begin with its end).
        let data = std::env::temp_dir().join("bbwatch-bench-data");
        let _ = std::fs::remove_dir_all(&data);
        let mut child = Command::new(bin)
            .args(["watch", "--json", "--interval", interval])
            .args(extra)
            .args([
                "--api-url",
                &sim.api_url(),
                "--public-url",
                &sim.public_url(),
                "--stream-url",
                &sim.stream_url(),
            ])
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join("bbwatch-bench-config"),
            )
            .env("XDG_DATA_HOME", &data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Watch { child, lines })
    }

    fn next(&self) -> Result<String> {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .context("no event within 30 s")
    }

    /// (RSS now, peak RSS) in KiB and CPU seconds (user + system), from /proc.
    fn footprint(&self) -> Result<(u64, u64, f64)> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = |key: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok((kib("VmRSS:"), kib("VmHWM:"), cpu_seconds(pid)))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn latency(bin: &PathBuf) -> Result<Vec<f64>> {
    let sim = FakeBitbank::start(Scenario::from_toml(SWITCHING)?, Options::default()).await?;
    let watch = Watch::start(bin, &sim, "1s", &[])?;
    let first = watch.next()?;
    if !first.contains("monitor_started") {
        bail!("unexpected first event {first}");
    }
    let mut millis = Vec::new();
    for i in 0..SWITCHES {
        // Switch at a random point of the poll cycle.
        tokio::time::sleep(Duration::from_millis(1000 + fastrand_ms(i))).await;
        let switched = Instant::now();
        sim.next_phase();
        let line = watch.next()?;
        millis.push(switched.elapsed().as_secs_f64() * 1000.0);
        let want = if i % 2 == 0 {
            "maintenance_started"
        } else {
            "maintenance_ended"
        };
        if !line.contains(want) {
            bail!("expected {want}, got {line}");
        }
    }
    sim.shutdown().await;
    Ok(millis)
}

/// A cheap spread of switch times across the interval, without another dependency.
fn fastrand_ms(i: usize) -> u64 {
    ((i as u64).wrapping_mul(7919) + 13) % 1000
}

async fn footprint(bin: &PathBuf, interval: &str, secs: u64) -> Result<(u64, u64, f64)> {
    let sim = FakeBitbank::start(Scenario::load("normal")?, Options::default()).await?;
    let watch = Watch::start(bin, &sim, interval, &[])?;
    watch.next()?;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let result = watch.footprint()?;
    let polls = sim.stats().requests.spot_status;
    eprintln!("  {interval}: {polls} polls in {secs} s");
    drop(watch);
    sim.shutdown().await;
    Ok(result)
}

/// Circuit break switch → `pair_changed` line at the default 30 s interval, with the stream;
/// and how many polls happened meanwhile (the pushes, not polls, bring the events).
async fn stream_latency(bin: &PathBuf) -> Result<(Vec<f64>, u64)> {
    let sim = FakeBitbank::start(
        Scenario::from_toml(bbwatch_e2e::desktop::CIRCUIT_HAND_DRIVEN)?,
        Options::default(),
    )
    .await?;
    let watch = Watch::start(bin, &sim, "30s", &[])?;
    let first = watch.next()?;
    if !first.contains("monitor_started") {
        bail!("unexpected first event {first}");
    }
    // Every room's first frame in.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let polls = sim.stats().requests.spot_status;
    let mut millis = Vec::new();
    for i in 0..SWITCHES {
        tokio::time::sleep(Duration::from_millis(1000 + fastrand_ms(i))).await;
        let switched = Instant::now();
        sim.next_phase();
        loop {
            let line = watch.next()?;
            if line.contains("\"pair_changed\"") && line.contains("xrp_jpy") {
                break;
            }
        }
        millis.push(switched.elapsed().as_secs_f64() * 1000.0);
    }
    let polls = sim.stats().requests.spot_status - polls;
    sim.shutdown().await;
    Ok((millis, polls))
}

/// Requests and bytes an hour at the default settings (30 s, every tradable pair), with the
/// stream or without it, counted by the simulator after a warm-up.
async fn traffic(bin: &PathBuf, stream: bool) -> Result<(f64, f64)> {
    let sim = FakeBitbank::start(Scenario::load("normal")?, Options::default()).await?;
    let extra: &[&str] = if stream { &[] } else { &["--no-stream"] };
    let watch = Watch::start(bin, &sim, "30s", extra)?;
    watch.next()?;
    tokio::time::sleep(Duration::from_secs(TRAFFIC_WARMUP_SECS)).await;
    let before = sim.stats();
    tokio::time::sleep(Duration::from_secs(TRAFFIC_SECS)).await;
    let after = sim.stats();
    drop(watch);
    sim.shutdown().await;
    let per_hour = |n: u64| n as f64 * 3600.0 / TRAFFIC_SECS as f64;
    let requests = (after.requests.api + after.requests.public)
        - (before.requests.api + before.requests.public);
    let bytes = (after.bytes.http + after.bytes.stream) - (before.bytes.http + before.bytes.stream);
    eprintln!(
        "  stream {stream}: {requests} requests, {bytes} bytes in {TRAFFIC_SECS} s ({} ticker frames)",
        after.stream.ticks - before.stream.ticks
    );
    Ok((per_hour(requests), per_hour(bytes)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = std::env::var_os("BBWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/bbwatch"));
    eprintln!(
        "bench: {} switches at --interval 1s, then {FOOTPRINT_SECS} s at 1s and at 30s",
        SWITCHES
    );

    // `BENCH_ONLY=footprint`: the memory rows alone, to compare two builds side by side.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("footprint") {
        return print_footprint(&bin).await;
    }
    let mut ms = latency(&bin).await?;
    ms.sort_by(f64::total_cmp);
    let (rss1, peak1, cpu1) = footprint(&bin, "1s", FOOTPRINT_SECS).await?;
    let (rss30, peak30, cpu30) = footprint(&bin, "30s", FOOTPRINT_SECS).await?;
    eprintln!("bench: {SWITCHES} circuit-break switches at --interval 30s, pushed on the stream");
    let (mut pushed, polls_meanwhile) = stream_latency(&bin).await?;
    pushed.sort_by(f64::total_cmp);
    eprintln!("bench: traffic over {TRAFFIC_SECS} s at the defaults, with and without the stream");
    let (req_stream, bytes_stream) = traffic(&bin, true).await?;
    let (req_rest, bytes_rest) = traffic(&bin, false).await?;

    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| detection latency, simulator switch → event line (`--interval 1s`, {} switches) | min {:.0} ms · median {:.0} ms · p95 {:.0} ms · max {:.0} ms | ≤ 1100 ms |",
        ms.len(),
        ms[0],
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1]
    );
    println!(
        "| circuit break pushed on the stream → `pair_changed` line (`--interval 30s`, {} switches, {polls_meanwhile} polls meanwhile) | min {:.0} ms · median {:.0} ms · p95 {:.0} ms · max {:.0} ms | median < 1 s |",
        pushed.len(),
        pushed[0],
        percentile(&pushed, 0.5),
        percentile(&pushed, 0.95),
        pushed[pushed.len() - 1]
    );
    println!(
        "| traffic at the defaults (30 s, every tradable pair), per hour | with the stream: {:.0} requests · {:.2} MB — without (`--no-stream`): {:.0} requests · {:.2} MB | 20× fewer requests |",
        req_stream,
        bytes_stream / 1e6,
        req_rest,
        bytes_rest / 1e6
    );
    footprint_rows(&[("1s", rss1, peak1, cpu1), ("30s", rss30, peak30, cpu30)]);
    Ok(())
}

async fn print_footprint(bin: &PathBuf) -> Result<()> {
    let (rss1, peak1, cpu1) = footprint(bin, "1s", FOOTPRINT_SECS).await?;
    let (rss30, peak30, cpu30) = footprint(bin, "30s", FOOTPRINT_SECS).await?;
    println!("| measure | value | target |");
    println!("|---|---|---|");
    footprint_rows(&[("1s", rss1, peak1, cpu1), ("30s", rss30, peak30, cpu30)]);
    Ok(())
}

fn footprint_rows(rows: &[(&str, u64, u64, f64)]) {
    for (interval, rss, peak, cpu) in rows {
        let within = if *rss <= RSS_TARGET_KIB {
            "within"
        } else {
            "over"
        };
        println!(
            "| `bbwatch watch --interval {interval}`, {FOOTPRINT_SECS} s, 62 pairs served, all tradable watched | RSS {:.1} MiB, {within} ≤ 10 MiB (peak {:.1} MiB) · CPU {:.2} s ({:.2} % of one core) | RSS ≤ 10 MiB; idle CPU ≈ 0 |",
            *rss as f64 / 1024.0,
            *peak as f64 / 1024.0,
            cpu,
            cpu / FOOTPRINT_SECS as f64 * 100.0
        );
    }
}
