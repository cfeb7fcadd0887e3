//! `make bench`, desktop part: the tray app's memory (whole process tree) with the window open
//! and after it is closed, and the time from launch to the first level in the tray. Runs the
//! release `bbwatch-desktop` under Xvfb with a private D-Bus session, against fake-bitbank on
//! 127.0.0.1. Prints a Markdown table for docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::procs::{
    started_in, tree_cpu_seconds, tree_mappings, tree_memory, tree_rss, window_processes,
};
use bbwatch_e2e::desktop::sni::{Item, Watcher};
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const SETTLE: Duration = Duration::from_secs(15);
const LAUNCHES: usize = 5;

struct Rig {
    dir: std::path::PathBuf,
    desktop: Desktop,
    sim: FakeBitbank,
    watcher: Watcher,
    conn: zbus::Connection,
    _notify: zbus::Connection,
}

impl Rig {
    async fn start(name: &str) -> Result<Rig> {
        let dir = scratch_dir(name);
        let desktop = Desktop::start(&dir)?;
        let sim = FakeBitbank::start(Scenario::load("normal")?, Options::default()).await?;
        let watcher = Watcher::default();
        let conn = zbus::connection::Builder::address(desktop.bus_address.as_str())?
            .name("org.kde.StatusNotifierWatcher")?
            .serve_at("/StatusNotifierWatcher", watcher.clone())?
            .build()
            .await?;
        let notify = zbus::connection::Builder::address(desktop.bus_address.as_str())?
            .name("org.freedesktop.Notifications")?
            .serve_at(
                "/org/freedesktop/Notifications",
                NotificationServer::default(),
            )?
            .build()
            .await?;
        let config = dir.join("config/bbwatch");
        std::fs::create_dir_all(&config)?;
        std::fs::write(
            config.join("config.toml"),
            "interval = \"30s\"\nlanguage = \"en\"\n",
        )?;
        Ok(Rig {
            dir,
            desktop,
            sim,
            watcher,
            conn,
            _notify: notify,
        })
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.desktop.env();
        env.extend([
            (
                "XDG_CONFIG_HOME".into(),
                self.dir.join("config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                self.dir.join("data").display().to_string(),
            ),
            ("HOME".into(), self.dir.display().to_string()),
            ("BBWATCH_API_URL".into(), self.sim.api_url()),
            ("BBWATCH_PUBLIC_URL".into(), self.sim.public_url()),
            ("BBWATCH_STREAM_URL".into(), self.sim.stream_url()),
            ("TAURI_WEBVIEW_AUTOMATION".into(), "true".into()),
        ]);
        env
    }

    async fn item(&self) -> Result<Item> {
        let (bus, path) = eventually(Duration::from_secs(30), "the tray item", || async {
            self.watcher.items.lock().unwrap().last().cloned()
        })
        .await?;
        Ok(Item::new(self.conn.clone(), bus, path))
    }
}

/// Launch → the tray's tooltip shows the first level.
async fn launch_to_first_level(bin: &Path) -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for i in 0..LAUNCHES {
        let rig = Rig::start(&format!("launch{i}")).await?;
        let started = Instant::now();
        let mut app = Command::new(bin)
            .envs(rig.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let item = rig.item().await?;
        eventually(Duration::from_secs(30), "the first level", || async {
            let (tooltip, _) = item.tooltip().await.ok()?;
            tooltip.contains("Normal").then_some(())
        })
        .await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let _ = app.kill();
        let _ = app.wait();
    }
    Ok(times)
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = std::fs::canonicalize(
        std::env::var_os("BBWATCH_DESKTOP_BIN")
            .unwrap_or_else(|| "target/release/bbwatch-desktop".into()),
    )
    .context("build the release bbwatch-desktop first")?;
    eprintln!(
        "bench-desktop: {} ({LAUNCHES} launches, then window open/closed)",
        bin.display()
    );

    let mut launches = launch_to_first_level(&bin).await?;
    launches.sort_by(f64::total_cmp);

    // Idle with no window ever opened.
    let rig = Rig::start("idle").await?;
    let mut app = Command::new(&bin)
        .envs(rig.env())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    rig.item().await?;
    let cpu_before = tree_cpu_seconds(app.id());
    tokio::time::sleep(SETTLE).await;
    let idle_cpu = tree_cpu_seconds(app.id()) - cpu_before;
    let (never_opened, _) = tree_rss(app.id());
    let mappings = tree_mappings(app.id());
    let _ = app.kill();
    let _ = app.wait();
    drop(rig);

    // The window open (its own process, started through WebDriver so it can be closed the way
    // a person does, with Ctrl+W), then closed.
    let rig = Rig::start("window").await?;
    let mut tray = Command::new(&bin)
        .envs(rig.env())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    rig.item().await?;
    let driver = Driver::start(&rig.env()).await?;
    let opening = Instant::now();
    let session = driver
        .session(&bin.display().to_string(), &["--window"])
        .await?;
    eventually(
        Duration::from_secs(30),
        "the window's first level",
        || async {
            let level = session.text(&driver, "#level-name").await.ok()??;
            (!level.is_empty()).then_some(())
        },
    )
    .await?;
    let first_paint = opening.elapsed().as_secs_f64() * 1000.0;
    let window = eventually(Duration::from_secs(30), "the window process", || async {
        window_processes(&rig.dir).first().copied()
    })
    .await?;
    tokio::time::sleep(SETTLE).await;
    let mut open_procs = tree_memory(tray.id());
    open_procs.extend(tree_memory(window));
    let window_mappings = tree_mappings(window);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let open = mib(open_procs.iter().map(|(_, rss, _)| rss).sum());
    let open_pss = mib(open_procs.iter().map(|(_, _, pss)| pss).sum());
    let open_each: Vec<String> = open_procs
        .iter()
        .map(|(comm, rss, pss)| format!("{comm} {:.1} (PSS {:.1})", mib(*rss), mib(*pss)))
        .collect();
    session
        .run(&driver, "setTimeout(() => document.dispatchEvent(new KeyboardEvent('keydown', {key: 'w', ctrlKey: true})), 1000); return null;")
        .await?;
    drop(driver);
    eventually(Duration::from_secs(30), "the window to close", || async {
        window_processes(&rig.dir).is_empty().then_some(())
    })
    .await?;
    tokio::time::sleep(SETTLE).await;
    let (closed, closed_procs) = tree_rss(tray.id());
    let webkit_left = started_in(&rig.dir, |comm, _| comm.starts_with("WebKit")).len();
    let _ = tray.kill();
    let _ = tray.wait();

    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| launch → first level in the tray ({} launches) | median {:.0} ms · min {:.0} ms · max {:.0} ms | — |",
        launches.len(),
        launches[launches.len() / 2],
        launches[0],
        launches[launches.len() - 1]
    );
    println!(
        "| RSS, whole process tree, idle, window never opened | {never_opened:.1} MiB | ≤ 20 MiB |"
    );
    println!(
        "| CPU, whole process tree, idle for {} s (interval 30 s, stream on) | {idle_cpu:.2} s | ≈ 0 |",
        SETTLE.as_secs()
    );
    println!("| window opened (through WebDriver) → its level shown | {first_paint:.0} ms | — |");
    println!(
        "| RSS, all processes, status window open ({} MiB) | {open:.1} MiB (PSS {open_pss:.1} MiB) | ≤ 300 MiB |",
        open_each.join(", ")
    );
    println!(
        "| RSS, whole process tree, idle after the window was opened and closed ({}) | {closed:.1} MiB, {webkit_left} WebKit processes left | ≤ 20 MiB, none left |",
        closed_procs.join(", ")
    );
    print_mappings(
        "the idle tray's resident pages (window never opened)",
        &mappings,
    );
    print_mappings(
        "the window's resident pages (its process and WebKit's, window open)",
        &window_mappings,
    );
    Ok(())
}

/// The top ten mappings of `mappings` (from `tree_mappings`) and the rest, as a table.
fn print_mappings(what: &str, mappings: &[(String, u64)]) {
    println!("\nWhere {what} are (smaps, by mapping):\n");
    println!("| mapping | RSS |");
    println!("|---|---|");
    for (name, kib) in mappings.iter().take(10) {
        println!("| `{name}` | {:.1} MiB |", *kib as f64 / 1024.0);
    }
    let rest: u64 = mappings.iter().skip(10).map(|(_, kib)| kib).sum();
    println!(
        "| {} other mappings | {:.1} MiB |",
        mappings.len().saturating_sub(10),
        rest as f64 / 1024.0
    );
}
