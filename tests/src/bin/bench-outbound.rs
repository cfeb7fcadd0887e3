//! `make bench`: what dead endpoints cost `bbwatch serve`. Against an in-process fake-bitbank
//! on 127.0.0.1 that halts and reopens 30 pairs every second (60 events a second), the release
//! `bbwatch serve` runs with a webhook to a server that accepts and never answers, one to a
//! closed port, a hook that hangs until its timeout, and one SSE client of its local API
//! reading every event. Its RSS is sampled every 30 s, beside a run without the dead targets
//! and one without the history: the queues (64 events each) must cost nothing that grows
//! however long the endpoints stay dead. Prints a Markdown report for docs/benchmarks.md.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use bbwatch_e2e::desktop::procs::rss_kib;
use fake_bitbank::{FakeBitbank, Options, Scenario};

const PAIRS: &str = "btc_jpy xrp_jpy xrp_btc ltc_jpy ltc_btc eth_jpy eth_btc mona_jpy \
    mona_btc bcc_jpy bcc_btc xlm_jpy xlm_btc qtum_jpy qtum_btc bat_jpy bat_btc omg_jpy \
    omg_btc xym_jpy xym_btc link_jpy link_btc mkr_jpy mkr_btc boba_jpy boba_btc enj_jpy \
    enj_btc matic_jpy";

fn flood() -> String {
    let halted: Vec<String> = PAIRS
        .split_whitespace()
        .map(|p| format!("{p} = \"HALT\""))
        .collect();
    format!(
        "repeat = true\n\n[[phases]]\nname = \"normal\"\nduration = \"1s\"\n\n\
         [[phases]]\nname = \"halts\"\nduration = \"1s\"\nstatus = {{ {} }}\n",
        halted.join(", ")
    )
}

fn scratch() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bbwatch-bench-outbound-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // The configuration's directory must be one nobody else can write (hooks, webhooks).
    #[cfg(unix)]
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// Accepts connections and never answers (holds them open).
fn silent_server() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    Ok(addr.to_string())
}

/// A port nothing listens on.
fn closed_port() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

/// Read `/v1/events` forever, counting `event:` lines.
fn follow_events(addr: String, seen: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        let Ok(mut stream) = TcpStream::connect(&addr) else {
            return;
        };
        let _ = write!(
            stream,
            "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        );
        let mut buf = [0u8; 8192];
        let mut carry = String::new();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                return;
            }
            carry.push_str(&String::from_utf8_lossy(&buf[..n]));
            let complete = carry.rfind('\n').map_or(0, |i| i + 1);
            let lines: String = carry.drain(..complete).collect();
            let events = lines.lines().filter(|l| l.starts_with("event:")).count();
            seen.fetch_add(events, Ordering::Relaxed);
        }
    });
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let secs: u64 = std::env::var("BENCH_OUTBOUND_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    let bin = std::env::var_os("BBWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/bbwatch"));
    println!("### Two dead webhooks and a hanging hook\n");
    serve(&bin, secs, true, true).await?;
    println!("\n### The same flood, no hook or webhook (the baseline)\n");
    serve(&bin, secs, false, true).await?;
    println!("\n### Two dead webhooks and a hanging hook, `--no-history`\n");
    serve(&bin, secs, true, false).await
}

/// One run of `bbwatch serve` under the flood for `secs`: with the dead targets or without,
/// recording the history or not.
async fn serve(bin: &PathBuf, secs: u64, dead: bool, history: bool) -> Result<()> {
    let sim = FakeBitbank::start(Scenario::from_toml(&flood())?, Options::default()).await?;
    let dir = scratch()?;
    let hook = dir.join("hang.sh");
    std::fs::write(&hook, "#!/bin/sh\nsleep 1000\n")?;
    #[cfg(unix)]
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    let config = dir.join("config.toml");
    let targets = if dead {
        format!(
            "[[webhooks]]\nurl = \"http://{silent}/silent\"\nformat = \"slack\"\n\n\
             [[webhooks]]\nurl = \"http://{closed}/closed\"\n\n\
             [[hooks]]\ncommand = [{hook:?}]\ntimeout = \"30s\"\n",
            silent = silent_server()?,
            closed = closed_port()?,
        )
    } else {
        String::new()
    };
    std::fs::write(&config, targets)?;
    // Hooks and webhooks are taken only from a file nobody else can change.
    #[cfg(unix)]
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))?;
    let mut child = Command::new(bin)
        .args(["serve", "--interval", "1s", "--listen", "127.0.0.1:0"])
        .arg("--config")
        .arg(&config)
        .args((!history).then_some("--no-history"))
        .args([
            "--api-url",
            &sim.api_url(),
            "--public-url",
            &sim.public_url(),
            "--stream-url",
            &sim.stream_url(),
        ])
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("BBWATCH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let pid = child.id();
    let stderr = child.stderr.take().context("no stderr")?;
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let drops = Arc::new(AtomicUsize::new(0));
    let last_drop = Arc::new(Mutex::new(String::new()));
    {
        let (drops, last_drop) = (drops.clone(), last_drop.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("bbwatch: listening on http://") {
                    let _ = addr_tx.send(addr.to_owned());
                } else if line.contains("cannot keep up") {
                    drops.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut last) = last_drop.lock() {
                        *last = line;
                    }
                }
            }
        });
    }
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(30))
        .context("bbwatch serve did not say where it listens")?;
    let seen = Arc::new(AtomicUsize::new(0));
    follow_events(addr, seen.clone());

    println!("| elapsed (s) | RSS (MiB) | events streamed | events dropped by full queues |");
    println!("|---|---|---|---|");
    let started = Instant::now();
    let mut samples = Vec::new();
    loop {
        let elapsed = started.elapsed().as_secs();
        let rss = rss_kib(pid) as f64 / 1024.0;
        if rss == 0.0 {
            bail!("bbwatch serve is gone");
        }
        let (events, dropped) = (seen.load(Ordering::Relaxed), drops.load(Ordering::Relaxed));
        println!("| {elapsed} | {rss:.1} | {events} | {dropped} |");
        samples.push((elapsed, rss));
        if elapsed >= secs {
            break;
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    sim.shutdown().await;
    let after_first_minute: Vec<f64> = samples
        .iter()
        .filter(|(t, _)| *t >= 60)
        .map(|(_, r)| *r)
        .collect();
    let (lo, hi) = after_first_minute
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!();
    println!(
        "{} events streamed in {secs} s; from 60 s on: RSS {lo:.1}–{hi:.1} MiB",
        seen.load(Ordering::Relaxed)
    );
    if let Ok(last) = last_drop.lock() {
        if !last.is_empty() {
            println!("last drop warning: `{}`", last.trim());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
