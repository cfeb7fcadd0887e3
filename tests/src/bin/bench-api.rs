//! `make bench`: what the local API's clients can cost `bbwatch serve` (release build), against
//! an in-process fake-bitbank on 127.0.0.1.
//!
//! 1. History readers: a history of 32 768 or 262 144 events, four clients looping on
//!    `/v1/history` (events, a default page or 10 000 a page, or periods) while the exchange
//!    goes into maintenance and out again ten times. Measured: the pause hook's delay (from the
//!    event's time to the hook's first instruction), the pages read, and the RSS of
//!    `bbwatch serve` (peak `VmHWM`, and at the end).
//! 2. Half-open connections: 1 100 connections from 127.0.0.2 each sending half a request
//!    line, with the default descriptor limit and with `ulimit -n 1024`. Measured: how many the
//!    server holds, how long `/v1/status` takes meanwhile, and whether the monitor's polls fail.
//!
//! Prints a Markdown report for docs/benchmarks.md.

use std::io::{BufRead as _, BufReader};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use tokio::io::AsyncWriteExt as _;

/// normal ↔ maintenance, each phase until the bench moves on.
const CYCLES: &str = r#"
repeat = true

[[phases]]
name = "normal"
duration = "1h"

[[phases]]
name = "maintenance"
duration = "1h"
api = { error = 10007, http_status = 200 }
"#;

/// Maintenances measured per run.
const MAINTENANCES: usize = 10;

fn scratch(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bbwatch-bench-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// `kB` of a `/proc/PID/status` field.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A running `bbwatch serve` and where it listens.
struct Serve {
    child: Child,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `bbwatch serve --interval 1s` on `sim`, with `config` and its data in `dir`, run by `sh`
/// with `ulimit -n` first when `fd_limit` is set.
fn serve(sim: &FakeBitbank, dir: &Path, config: &Path, fd_limit: Option<u32>) -> Result<Serve> {
    let bin = std::env::var_os("BBWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/bbwatch"));
    let mut command = match fd_limit {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                .arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let mut child = command
        .args([
            "serve",
            "--interval",
            "1s",
            "--listen",
            "127.0.0.1:0",
            "--no-stream",
        ])
        .arg("--config")
        .arg(config)
        .args([
            "--api-url",
            &sim.api_url(),
            "--public-url",
            &sim.public_url(),
        ])
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("BBWATCH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("bbwatch: listening on http://") {
                let _ = tx.send(addr.to_owned());
            } else if !line.contains("refused") {
                eprintln!("{line}");
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .context("bbwatch serve did not say where it listens")?;
    Ok(Serve { child, addr })
}

/// The level `/v1/status` gives.
async fn level(client: &reqwest::Client, addr: &str) -> Result<String> {
    let json: serde_json::Value = client
        .get(format!("http://{addr}/v1/status"))
        .send()
        .await?
        .json()
        .await?;
    Ok(json["snapshot"]["level"].as_str().unwrap_or("?").to_owned())
}

async fn until_level(client: &reqwest::Client, addr: &str, want: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while level(client, addr).await.ok().as_deref() != Some(want) {
        if Instant::now() > deadline {
            bail!("never {want}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    bbwatch_core::present::descriptors::raise_limit();
    println!("### History readers\n");
    println!(
        "| history | readers | pause hook delay: median · max | pages read | RSS peak · at the end |"
    );
    println!("|---|---|---|---|---|");
    // 32 768 and 262 144 events.
    for (events, doublings) in [("32 768", 13), ("262 144", 16)] {
        for readers in [
            None,
            Some("/v1/history?events=true"),
            Some("/v1/history?events=true&limit=10000"),
            Some("/v1/history"),
        ] {
            readers_run(events, doublings, readers).await?;
        }
    }
    println!("\n### Half-open connections\n");
    println!(
        "| descriptor limit | connections held by the server | `/v1/status` meanwhile: median · max | polls failed (network) | events recorded |"
    );
    println!("|---|---|---|---|---|");
    for limit in [None, Some(1024)] {
        flood_run(limit).await?;
    }
    Ok(())
}

/// One run of the history readers (`path`, four clients looping on it; `None`: no reader).
async fn readers_run(events: &str, doublings: u32, path: Option<&str>) -> Result<()> {
    let sim = FakeBitbank::start(Scenario::from_toml(CYCLES)?, Options::default()).await?;
    let dir = scratch("readers")?;
    bbwatch_history::sample::repeated_maintenances(
        &dir.join("data/bbwatch/history.sqlite3"),
        chrono::Utc::now() - chrono::Duration::days(30),
        doublings,
    )?;
    let hook = dir.join("hook.sh");
    let log = dir.join("hook.log");
    std::fs::write(
        &hook,
        "#!/bin/sh\nnow=$(date +%s.%N)\nread -r event\necho \"$now $event\" >> \"$1\"\n",
    )?;
    #[cfg(unix)]
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[hooks]]\non = [\"maintenance_started\"]\ncommand = [{:?}, {:?}]\n",
            hook.display().to_string(),
            log.display().to_string()
        ),
    )?;
    let server = serve(&sim, &dir, &config, None)?;
    let client = reqwest::Client::new();
    until_level(&client, &server.addr, "normal").await?;

    let stop = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    if let Some(path) = path {
        for _ in 0..4 {
            let (stop, pages) = (stop.clone(), pages.clone());
            let url = format!("http://{}{path}", server.addr);
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(resp) = client.get(&url).send().await {
                        if resp.bytes().await.is_ok() {
                            pages.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
    }
    for _ in 0..MAINTENANCES {
        sim.next_phase();
        until_level(&client, &server.addr, "maintenance").await?;
        sim.next_phase();
        until_level(&client, &server.addr, "normal").await?;
    }
    // The last hook run may still be on its way.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut delays: Vec<f64> = Vec::new();
    while Instant::now() < deadline {
        delays = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (ran, json) = line.split_once(' ')?;
                let ran: f64 = ran.parse().ok()?;
                let event: serde_json::Value = serde_json::from_str(json).ok()?;
                let at = chrono::DateTime::parse_from_rfc3339(event["at"].as_str()?).ok()?;
                Some((ran - at.timestamp_millis() as f64 / 1000.0) * 1000.0)
            })
            .collect();
        if delays.len() >= MAINTENANCES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        let _ = t.await;
    }
    let pid = server.child.id();
    let (peak, now) = (status_kib(pid, "VmHWM:"), status_kib(pid, "VmRSS:"));
    drop(server);
    sim.shutdown().await;
    delays.sort_by(f64::total_cmp);
    println!(
        "| {events} | {} | {:.0} ms · {:.0} ms ({} runs) | {} | {:.1} MiB · {:.1} MiB |",
        path.map_or("none".to_owned(), |p| format!("4 × `{p}`")),
        percentile(&delays, 0.5),
        delays.last().copied().unwrap_or(f64::NAN),
        delays.len(),
        pages.load(Ordering::Relaxed),
        peak as f64 / 1024.0,
        now as f64 / 1024.0,
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One run of the half-open flood, under `ulimit -n limit` if set.
async fn flood_run(limit: Option<u32>) -> Result<()> {
    let sim = FakeBitbank::start(Scenario::from_toml(CYCLES)?, Options::default()).await?;
    let dir = scratch("flood")?;
    let config = dir.join("config.toml");
    std::fs::write(&config, "")?;
    let server = serve(&sim, &dir, &config, limit)?;
    let client = reqwest::Client::new();
    until_level(&client, &server.addr, "normal").await?;
    let to: std::net::SocketAddr = server.addr.parse()?;
    let mut held = Vec::new();
    for _ in 0..1100 {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind("127.0.0.2:0".parse()?)?;
        if let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_secs(1), socket.connect(to)).await
        {
            let _ = stream.write_all(b"GET /v1/sta").await;
            held.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open = held
        .iter()
        .filter(|s| {
            let mut buf = [0u8; 16];
            matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count();
    // `/v1/status` from 127.0.0.1 while they are held, once a second for 5 s; and through a
    // maintenance, to see the monitor still polls.
    let mut took = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let ok = tokio::time::timeout(Duration::from_secs(10), level(&client, &server.addr))
            .await
            .is_ok_and(|r| r.is_ok());
        took.push(if ok {
            start.elapsed().as_secs_f64() * 1000.0
        } else {
            f64::INFINITY
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    sim.next_phase();
    let recorded = until_level(&client, &server.addr, "maintenance")
        .await
        .is_ok();
    let metrics = client
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await?
        .text()
        .await?;
    // Transport failures (`too many open files` would be one); a maintenance is an `api` one.
    let failed: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("bbwatch_poll_failures_total") && l.contains("kind=\"network\""))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum();
    let events = client
        .get(format!("http://{}/v1/history?events=true", server.addr))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    let kinds: Vec<&str> = events
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    drop(held);
    drop(server);
    sim.shutdown().await;
    took.sort_by(f64::total_cmp);
    println!(
        "| {} | {open} of {} | {:.1} ms · {:.1} ms | {failed} | {} |",
        limit.map_or(
            "default (raised to the hard limit)".to_owned(),
            |n| format!("`ulimit -n {n}`")
        ),
        1100,
        percentile(&took, 0.5),
        took.last().copied().unwrap_or(f64::NAN),
        if recorded {
            kinds.join(", ")
        } else {
            "the maintenance was never seen".into()
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
