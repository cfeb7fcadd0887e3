//! One runtime for every binary: `bbwatch watch --notify`, `bbwatch serve` and the tray app
//! start the same pipeline, and one maintenance start goes through it in the same order —
//! recorded in the history, shown, then to the hooks, the webhooks, the local API's event
//! stream and the notifier, as far as each binary has them. The order is the pipeline's own
//! (its log, `BBWATCH_LOG=bbwatch::pipeline=debug`): every sink takes the event without
//! waiting, so when each peer hears of it depends on the peer. That each one did is read from
//! the peer: the history's row, the hook's file, the webhook and channel receiver, the SSE client and the
//! notification server.
// Linux only: the desktop (Xvfb, a D-Bus session) the notifier and the tray app need.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Result;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::{eventually, scratch_dir, target_dir, HAND_DRIVEN};
use bbwatch_e2e::peers::HttpPeer;
use bbwatch_history::{Filter, History};
use fake_bitbank::{FakeBitbank, Options, Scenario};

const WAIT: Duration = Duration::from_secs(30);
const KIND: &str = "maintenance_started";

/// Whether `peer` got the webhook's POST of an event of `kind` (at `/hook`), and the ntfy
/// channel's message (published at `/`).
fn got(peer: &HttpPeer, kind: &str) -> (bool, bool) {
    let needle = format!("\"kind\":\"{kind}\"");
    let requests = peer.requests();
    (
        requests
            .iter()
            .any(|r| r.path == "/hook" && r.body.contains(&needle)),
        requests
            .iter()
            .any(|r| r.path == "/" && r.json()["topic"] == "alerts"),
    )
}

/// A hook that writes the kind of each event it runs for into `dir/hook.log`.
fn hook_script(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("hook.log");
    let script = dir.join("hook.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$BBWATCH_KIND\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

/// The settings every binary runs with: one pair, polled every second, a hook, a webhook and
/// an ntfy channel for the maintenance start, and `extra`.
fn config(script: &Path, peer: &HttpPeer, extra: &str) -> String {
    format!(
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n{extra}\n\
         [[hooks]]\non = [\"{KIND}\"]\ncommand = [\"{}\"]\n\n\
         [[webhooks]]\nurl = \"{url}/hook\"\nformat = \"json\"\non = [\"{KIND}\"]\n\n\
         [[channels]]\nkind = \"ntfy\"\nurl = \"{url}/alerts\"\non = [\"{KIND}\"]\n",
        script.display(),
        url = peer.url()
    )
}

/// The environment of the binaries under test, with the pipeline's steps in their log.
fn env_with_pipeline_log(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.retain(|(k, _)| k != "BBWATCH_LOG");
    env.push((
        "BBWATCH_LOG".into(),
        "warn,bbwatch_desktop=info,bbwatch::pipeline=debug".into(),
    ));
    env
}

/// The steps the pipeline logged for the maintenance start, in order, with the id it was
/// recorded as.
fn steps(log: &Path) -> (Vec<String>, Option<i64>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let prefix = format!("{KIND}: ");
    let mut id = None;
    let steps = text
        .lines()
        .filter_map(|l| {
            l.split_once(prefix.as_str())
                .map(|(_, step)| step.to_owned())
        })
        .map(|step| match step.strip_prefix("recorded as ") {
            Some(n) => {
                id = n.trim().parse().ok();
                "recorded".to_owned()
            }
            None => step,
        })
        .collect();
    (steps, id)
}

/// The history's id of the maintenance start, once it is recorded.
fn recorded_id(dir: &Path) -> Option<i64> {
    let history = History::open(&dir.join("data/bbwatch/history.sqlite3")).ok()?;
    let events = history.events(&Filter::default()).ok()?;
    events
        .iter()
        .find(|e| e.event.kind.as_str() == KIND)
        .map(|e| e.id)
}

fn hook_ran(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| t.lines().any(|l| l == KIND))
}

/// Read `/v1/events` from `port` until the maintenance start: its `id:` line.
async fn sse_id(mut events: reqwest::Response) -> Result<i64> {
    let mut seen = String::new();
    tokio::time::timeout(WAIT, async {
        while !seen.contains(&format!("event: {KIND}\n")) || !seen.ends_with("\n\n") {
            match events.chunk().await {
                Ok(Some(chunk)) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
    })
    .await?;
    let block = seen
        .split("\n\n")
        .find(|b| b.contains(&format!("event: {KIND}")))
        .unwrap_or_else(|| panic!("no {KIND} in {seen:?}"));
    let id = block
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or_else(|| panic!("no id in {block:?}"));
    Ok(id.trim().parse()?)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_cli(args: &[&str], env: &[(String, String)], log: &Path) -> Result<Child> {
    let bin = target_dir().join("bbwatch");
    assert!(
        bin.is_file(),
        "{} is missing: build it first",
        bin.display()
    );
    Ok(Command::new(bin)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()?)
}

/// Follow `/v1/events` on `port` once it answers.
async fn follow_events(port: u16) -> Result<reqwest::Response> {
    let client = reqwest::Client::new();
    eventually(WAIT, "the local API's event stream", || async {
        client
            .get(format!("http://127.0.0.1:{port}/v1/events"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await
}

/// Once the binary has polled: the maintenance starts.
async fn start_maintenance(sim: &FakeBitbank) -> Result<()> {
    let polls = || sim.stats().requests.api;
    eventually(WAIT, "the first polls", || async {
        (polls() > 1).then_some(())
    })
    .await?;
    sim.next_phase();
    Ok(())
}

/// The pipeline's log says each step, in order, for an event recorded as the history's row.
async fn wait_for_steps(log: &Path, dir: &Path, want: &[&str]) -> Result<i64> {
    let (steps, id) = eventually(WAIT, "the pipeline's steps in the log", || async {
        let (steps, id) = steps(log);
        (steps.len() >= want.len()).then_some((steps, id))
    })
    .await?;
    assert_eq!(steps, want, "the pipeline's steps");
    let row = eventually(WAIT, "the history's row", || async { recorded_id(dir) }).await?;
    assert_eq!(id, Some(row), "recorded as the history's row");
    Ok(row)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_records_shows_then_runs_hooks_webhooks_and_the_notifier() -> Result<()> {
    let dir = scratch_dir("pipeline-watch");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let webhook = HttpPeer::start().await;
    let (script, hook_log) = hook_script(&dir);
    let (env, _) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        &config(&script, &webhook, ""),
    );
    let log = dir.join("cli.log");
    let mut watch = start_cli(&["watch", "--notify"], &env_with_pipeline_log(env), &log)?;

    start_maintenance(&sim).await?;
    let want = [
        "recorded",
        "shown",
        "sent to hooks",
        "sent to webhooks",
        "sent to channels",
        "sent to notifier",
    ];
    wait_for_steps(&log, &dir, &want).await?;
    eventually(WAIT, "the hook", || async {
        hook_ran(&hook_log).then_some(())
    })
    .await?;
    eventually(WAIT, "the webhook and the channel", || async {
        (got(&webhook, KIND) == (true, true)).then_some(())
    })
    .await?;
    notifications
        .first_with("maintenance started", WAIT)
        .await?;

    let _ = watch.kill();
    let _ = watch.wait();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_records_then_runs_hooks_webhooks_and_streams_the_recorded_id() -> Result<()> {
    let dir = scratch_dir("pipeline-serve");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let webhook = HttpPeer::start().await;
    let (script, hook_log) = hook_script(&dir);
    let port = free_port();
    let (env, _) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        &config(&script, &webhook, ""),
    );
    let log = dir.join("serve.log");
    let listen = format!("127.0.0.1:{port}");
    let mut serve = start_cli(
        &["serve", "--listen", &listen],
        &env_with_pipeline_log(env),
        &log,
    )?;

    let events = follow_events(port).await?;
    start_maintenance(&sim).await?;
    let want = [
        "recorded",
        "shown",
        "sent to hooks",
        "sent to webhooks",
        "sent to channels",
        "sent to local API",
    ];
    let row = wait_for_steps(&log, &dir, &want).await?;
    assert_eq!(
        sse_id(events).await?,
        row,
        "the stream's id is the history's"
    );
    eventually(WAIT, "the hook", || async {
        hook_ran(&hook_log).then_some(())
    })
    .await?;
    eventually(WAIT, "the webhook and the channel", || async {
        (got(&webhook, KIND) == (true, true)).then_some(())
    })
    .await?;

    let _ = serve.kill();
    let _ = serve.wait();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_app_records_shows_then_runs_every_sink_in_order() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("pipeline-tray");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let (notifications, _conn) = NotificationServer::start(&desktop.bus_address).await?;
    let webhook = HttpPeer::start().await;
    let (script, hook_log) = hook_script(&dir);
    let port = free_port();
    let api = format!("[api]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n");
    let (env, _) = app_env(
        &desktop,
        &dir,
        &sim,
        "C.UTF-8",
        &config(&script, &webhook, &api),
    );
    let mut tray = start_tray(&bin, &env_with_pipeline_log(env), &dir)?;

    let events = follow_events(port).await?;
    start_maintenance(&sim).await?;
    let want = [
        "recorded",
        "shown",
        "sent to hooks",
        "sent to webhooks",
        "sent to channels",
        "sent to local API",
        "sent to notifier",
    ];
    let row = wait_for_steps(&dir.join("app.log"), &dir, &want).await?;
    assert_eq!(
        sse_id(events).await?,
        row,
        "the stream's id is the history's"
    );
    eventually(WAIT, "the hook", || async {
        hook_ran(&hook_log).then_some(())
    })
    .await?;
    eventually(WAIT, "the webhook and the channel", || async {
        (got(&webhook, KIND) == (true, true)).then_some(())
    })
    .await?;
    notifications
        .first_with("maintenance started", WAIT)
        .await?;

    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
