//! `bbwatch serve` end to end against fake-bitbank, with a real HTTP client: the status and
//! its exit code, the event stream (live, resumed with `Last-Event-ID`, heartbeats), the
//! history with filters, `/metrics` through Prometheus's own `promtool`, and the bearer
//! token. Every connection goes to 127.0.0.1, even when the server binds 0.0.0.0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{empty_dir, write_file, write_private, Homes as _, Sim, MAINTENANCE};

const WAIT: Duration = Duration::from_secs(40);

/// A running `bbwatch serve`, with what it wrote on stderr.
struct Serve {
    child: Child,
    /// Where to connect (always 127.0.0.1).
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Serve {
    /// `bbwatch serve --listen LISTEN` at a 1 s interval, its history in `data`, heartbeats
    /// every second.
    fn start(sim: &Sim, data: &Path, listen: &str, extra: &[&str]) -> Serve {
        Serve::spawn(Serve::command(sim, data, listen, extra))
    }

    /// The command [`Serve::start`] runs.
    fn command(sim: &Sim, data: &Path, listen: &str, extra: &[&str]) -> Command {
        let mut args = vec![
            "serve",
            "--listen",
            listen,
            "--interval",
            "1s",
            "--timeout",
            "2s",
        ];
        args.extend_from_slice(extra);
        let mut cmd = sim.bbwatch(&args);
        cmd.data_home(data)
            .env("BBWATCH_SSE_HEARTBEAT", "1s")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Run `cmd` (a `bbwatch serve --listen …`) and wait until it listens.
    fn spawn(mut cmd: Command) -> Serve {
        let mut child = cmd.spawn().unwrap();
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let kept = stderr.clone();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if let Some(addr) = line.strip_prefix("bbwatch: listening on http://") {
                    let _ = tx.send(addr.parse::<SocketAddr>().unwrap());
                }
                let mut t = kept.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
        });
        let bound = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("bbwatch serve did not say where it listens"));
        Serve {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], bound.port())),
            stderr,
            reader: Some(reader),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM (under Wine, Ctrl-C); the exit status and everything it wrote on stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args([support::stop_signal(), &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "bbwatch serve did not exit on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let text = self.stderr.lock().unwrap().clone();
        (status, text)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn request(sim: &Sim, method: reqwest::Method, url: &str, token: Option<&str>) -> Got {
    sim.rt.block_on(async {
        let mut req = client().request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        Got {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    })
}

fn get(sim: &Sim, url: &str) -> Got {
    request(sim, reqwest::Method::GET, url, None)
}

/// `/v1/status` once the level is `level`.
fn status_at(sim: &Sim, serve: &Serve, level: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = get(sim, &serve.url("/v1/status"));
        assert_eq!(got.status, 200, "{}", got.body);
        let json = got.json();
        if json["snapshot"]["level"] == level {
            return json;
        }
        assert!(Instant::now() < deadline, "never {level}: {json}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `/v1/history?events=true` once it has an event of `kind`.
fn events_once_recorded(sim: &Sim, serve: &Serve, kind: &str) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = get(sim, &serve.url("/v1/history?events=true"));
        assert_eq!(got.status, 200, "{}", got.body);
        let events = got.json().as_array().unwrap().clone();
        if events.iter().any(|e| e["kind"] == kind) {
            return events;
        }
        assert!(Instant::now() < deadline, "never recorded {kind}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Normal, then maintenance, then normal again with the maintenance recorded.
fn through_maintenance(sim: &Sim, serve: &Serve) {
    status_at(sim, serve, "normal");
    sim.server.next_phase();
    status_at(sim, serve, "maintenance");
    sim.server.next_phase();
    status_at(sim, serve, "normal");
    events_once_recorded(sim, serve, "maintenance_ended");
}

/// One SSE frame.
#[derive(Debug)]
enum Frame {
    Comment,
    Event { id: i64, kind: String, data: Value },
}

/// An open `/v1/events` stream, parsed by hand.
struct Stream {
    resp: reqwest::Response,
    buf: String,
}

impl Stream {
    fn open(sim: &Sim, url: &str, last_event_id: Option<&str>) -> Stream {
        sim.rt.block_on(async {
            let mut req = reqwest::Client::new().get(url);
            if let Some(id) = last_event_id {
                req = req.header("Last-Event-ID", id);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("text/event-stream"), "{ct}");
            Stream {
                resp,
                buf: String::new(),
            }
        })
    }

    /// The next frame within `timeout`.
    fn next(&mut self, sim: &Sim, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        sim.rt.block_on(async {
            loop {
                if let Some(end) = self.buf.find("\n\n") {
                    let block: String = self.buf.drain(..end + 2).collect();
                    return Some(parse_frame(&block));
                }
                let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                    .await
                    .ok()?
                    .unwrap()?;
                self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
    }

    /// Events until none comes for `quiet` (heartbeats do not count); and how many
    /// heartbeats came meanwhile.
    fn until_quiet(&mut self, sim: &Sim, quiet: Duration) -> (Vec<(i64, String, Value)>, usize) {
        let mut events = Vec::new();
        let mut beats = 0;
        let mut deadline = Instant::now() + quiet;
        while let Some(frame) = self.next(sim, deadline.saturating_duration_since(Instant::now())) {
            match frame {
                Frame::Comment => beats += 1,
                Frame::Event { id, kind, data } => {
                    events.push((id, kind, data));
                    deadline = Instant::now() + quiet;
                }
            }
        }
        (events, beats)
    }

    /// Events until one of `kind` (included).
    fn until_kind(&mut self, sim: &Sim, kind: &str) -> Vec<(i64, String, Value)> {
        let mut events = Vec::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(sim, left) {
                Some(Frame::Event { id, kind: k, data }) => {
                    let done = k == kind;
                    events.push((id, k, data));
                    if done {
                        return events;
                    }
                }
                Some(Frame::Comment) => {}
                None => panic!("no {kind} on the stream; got {events:#?}"),
            }
        }
    }
}

fn parse_frame(block: &str) -> Frame {
    let (mut id, mut kind, mut data) = (None, None, String::new());
    let mut comment = false;
    for line in block.lines() {
        let field = |name: &str| {
            line.strip_prefix(name)
                .map(|v| v.strip_prefix(' ').unwrap_or(v).to_owned())
        };
        if line.starts_with(':') {
            comment = true;
        } else if let Some(v) = field("id:") {
            id = Some(v.parse().unwrap());
        } else if let Some(v) = field("event:") {
            kind = Some(v);
        } else if let Some(v) = field("data:") {
            data.push_str(&v);
        }
    }
    match (id, kind) {
        (Some(id), Some(kind)) => {
            let data: Value = serde_json::from_str(&data).unwrap();
            assert_eq!(data["id"], id, "the id is in the data too");
            assert_eq!(data["kind"], kind.as_str());
            Frame::Event { id, kind, data }
        }
        _ => {
            assert!(comment, "neither an event nor a comment: {block:?}");
            Frame::Comment
        }
    }
}

fn ids_and_kinds(events: &[(i64, String, Value)]) -> Vec<(i64, String)> {
    events.iter().map(|(i, k, _)| (*i, k.clone())).collect()
}

#[test]
fn status_gives_the_snapshot_and_the_exit_code() {
    let sim = Sim::from_toml(MAINTENANCE);
    let serve = Serve::start(&sim, &empty_dir(), "127.0.0.1:0", &[]);
    let normal = status_at(&sim, &serve, "normal");
    assert_eq!(normal["exit_code"], 0);
    assert!(normal["snapshot"]["checked_at"].is_string(), "{normal}");
    assert_eq!(
        normal["snapshot"]["pairs"]["btc_jpy"]["state"], "normal",
        "{normal}"
    );
    // The same state as ccxt's fetch_status answers it (docs/bots.md's ccxt recipe).
    let ccxt = get(&sim, &serve.url("/v1/ccxt/status")).json();
    assert_eq!(ccxt["status"], "ok", "{ccxt}");
    assert!(ccxt["updated"].as_i64().unwrap() > 0, "{ccxt}");
    assert!(ccxt["eta"].is_null() && ccxt["url"].is_null(), "{ccxt}");
    sim.server.next_phase();
    let maintenance = status_at(&sim, &serve, "maintenance");
    assert_eq!(maintenance["exit_code"], 11);
    assert!(
        maintenance["snapshot"]["reason"]
            .as_str()
            .unwrap()
            .contains("10007"),
        "{maintenance}"
    );
    let ccxt = get(&sim, &serve.url("/v1/ccxt/status")).json();
    assert_eq!(ccxt["status"], "maintenance", "{ccxt}");
    let checked = maintenance["snapshot"]["checked_at"].as_str().unwrap();
    let checked = chrono::DateTime::parse_from_rfc3339(checked).unwrap();
    assert!(
        ccxt["updated"].as_i64().unwrap() >= checked.timestamp_millis(),
        "{ccxt} {maintenance}"
    );
    assert!(
        ccxt["url"].as_str().unwrap().starts_with("https://"),
        "{ccxt}"
    );

    let missing = get(&sim, &serve.url("/v2/nothing"));
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    // DNS rebinding: a page's own name pointed at 127.0.0.1 is refused.
    let rebound = sim.rt.block_on(async {
        client()
            .get(serve.url("/v1/status"))
            .header("Host", "evil.example:8765")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(rebound, 403);
    let post = request(&sim, reqwest::Method::POST, &serve.url("/v1/status"), None);
    assert_eq!(post.status, 405);
    assert!(post.json()["error"].is_string());

    let (status, _) = serve.terminate();
    assert!(status.success(), "exit 0 on SIGTERM: {status}");
}

#[test]
fn events_stream_live_and_resume_with_last_event_id() {
    let sim = Sim::from_toml(MAINTENANCE);
    let data = empty_dir();
    let serve = Serve::start(&sim, &data, "127.0.0.1:0", &[]);
    let url = serve.url("/v1/events");
    status_at(&sim, &serve, "normal");

    // From the first event on; and one from now on, kept open throughout.
    let mut first = Stream::open(&sim, &url, Some("0"));
    let mut live = Stream::open(&sim, &url, None);
    let before = first.until_kind(&sim, "monitor_started");
    sim.server.next_phase();
    let mut seen = before;
    seen.extend(first.until_kind(&sim, "maintenance_started"));
    // Gone before the maintenance ends.
    drop(first);
    let last_seen = seen.last().unwrap().0;

    sim.server.next_phase();
    let started = live.until_kind(&sim, "maintenance_started");
    let ended = live.until_kind(&sim, "maintenance_ended");
    let end = ended.last().unwrap();
    assert!(end.2["duration_secs"].is_u64(), "{}", end.2);
    assert_eq!(end.2["level"], "normal");
    assert!(started.iter().chain(&ended).all(|(id, ..)| *id > 0));
    let (_, beats) = live.until_quiet(&sim, Duration::from_millis(2500));
    assert!(beats >= 1, "a heartbeat comes while nothing happens");
    events_once_recorded(&sim, &serve, "maintenance_ended");

    // Reconnected: exactly what it missed, as the history has it.
    let mut again = Stream::open(&sim, &url, Some(&last_seen.to_string()));
    let (missed, _) = again.until_quiet(&sim, Duration::from_millis(2500));
    let out = sim.history(&data, &["--events", "--json"]);
    assert!(out.status.success());
    let stored: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stored_after: Vec<(i64, String)> = stored
        .iter()
        .filter(|e| e["id"].as_i64().unwrap() > last_seen)
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(ids_and_kinds(&missed), stored_after);
    assert!(stored_after.iter().any(|(_, k)| k == "maintenance_ended"));
    let mut all = ids_and_kinds(&seen);
    all.extend(ids_and_kinds(&missed));
    let ids: Vec<i64> = all.iter().map(|(i, _)| *i).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids grow, no duplicate: {all:?}"
    );
    assert_eq!(all.len(), stored.len(), "nothing missed: {all:?}");

    // The same by query parameter, from the start: the whole story in one stream.
    let mut replay = Stream::open(&sim, &format!("{url}?last_event_id=0"), None);
    let (everything, _) = replay.until_quiet(&sim, Duration::from_millis(2500));
    assert_eq!(ids_and_kinds(&everything), all);
    let kinds: Vec<&str> = everything.iter().map(|(_, k, _)| k.as_str()).collect();
    let s = kinds
        .iter()
        .position(|k| *k == "maintenance_started")
        .unwrap();
    let e = kinds
        .iter()
        .position(|k| *k == "maintenance_ended")
        .unwrap();
    assert!(s < e, "{kinds:?}");

    let bad = get(&sim, &format!("{url}?last_event_id=soon"));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]
        .as_str()
        .unwrap()
        .contains("last_event_id"));
    let (status, _) = serve.terminate();
    assert!(status.success(), "exit 0 with streams open: {status}");
}

#[test]
fn history_endpoint_filters_as_the_cli_does() {
    let sim = Sim::from_toml(MAINTENANCE);
    let data = empty_dir();
    let serve = Serve::start(&sim, &data, "127.0.0.1:0", &[]);
    through_maintenance(&sim, &serve);

    let periods = get(&sim, &serve.url("/v1/history")).json();
    let maintenance: Vec<&Value> = periods
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "maintenance")
        .collect();
    assert_eq!(maintenance.len(), 1, "{periods}");
    assert_eq!(maintenance[0]["ended"], "at");
    assert!(maintenance[0]["duration_secs"].is_u64());

    let only = get(&sim, &serve.url("/v1/history?kind=maintenance")).json();
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    let none = get(&sim, &serve.url("/v1/history?kind=down&since=1h")).json();
    assert_eq!(none, serde_json::json!([]));
    let old = get(&sim, &serve.url("/v1/history?until=2000-01-01")).json();
    assert_eq!(old, serde_json::json!([]));

    let events = get(&sim, &serve.url("/v1/history?events=true&kind=maintenance")).json();
    let out = sim.history(&data, &["--events", "--json", "--kind", "maintenance"]);
    let cli: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events, Value::Array(cli));
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["maintenance_started", "maintenance_ended"]);

    for (query, names) in [
        ("since=soon", "since"),
        ("until=2026-13-45", "until"),
        ("kind=sometimes", "kind"),
        ("pair=btc/jpy", "pair"),
        ("sinse=7d", "sinse"),
    ] {
        let bad = get(&sim, &serve.url(&format!("/v1/history?{query}")));
        assert_eq!(bad.status, 400, "{query}: {}", bad.body);
        let error = bad.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(names), "{query}: {error}");
    }
    let (status, _) = serve.terminate();
    assert!(status.success());
}

#[test]
fn metrics_pass_promtool_and_count_the_maintenance() {
    let sim = Sim::from_toml(MAINTENANCE);
    let serve = Serve::start(&sim, &empty_dir(), "127.0.0.1:0", &[]);
    status_at(&sim, &serve, "normal");
    sim.server.next_phase();
    status_at(&sim, &serve, "maintenance");
    // Another poll in maintenance, so its failures are counted more than once.
    std::thread::sleep(Duration::from_millis(1500));
    let got = get(&sim, &serve.url("/metrics"));
    assert_eq!(got.status, 200);
    let ct = got.headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package: scripts/install-deps.sh test)");
    use std::io::Write as _;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(got.body.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr),
        got.body
    );

    let value = |series: &str| -> f64 {
        got.body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{}", got.body))
            .parse()
            .unwrap()
    };
    assert_eq!(value("bbwatch_level{level=\"maintenance\"}"), 1.0);
    assert_eq!(value("bbwatch_level{level=\"normal\"}"), 0.0);
    assert_eq!(value("bbwatch_status_exit_code"), 11.0);
    assert!(value("bbwatch_poll_failures_total{host=\"api\",kind=\"api\"}") >= 2.0);
    assert_eq!(
        value("bbwatch_poll_failures_total{host=\"api\",kind=\"timeout\"}"),
        0.0
    );
    assert!(value("bbwatch_poll_duration_seconds_count") >= 3.0);
    assert_eq!(
        value("bbwatch_poll_duration_seconds_bucket{le=\"+Inf\"}"),
        value("bbwatch_poll_duration_seconds_count")
    );
    assert_eq!(value("bbwatch_rate_limited_total"), 0.0);
    let last = value("bbwatch_last_success_timestamp_seconds");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(last > now - 60.0 && last <= now + 1.0, "{last} vs {now}");
    assert!(got
        .body
        .contains("bbwatch_pair_state{pair=\"btc_jpy\",state="));
    let (status, _) = serve.terminate();
    assert!(status.success());
}

#[test]
fn a_public_address_needs_a_token_and_requests_without_it_get_401() {
    let sim = Sim::start("normal");
    let out = sim
        .bbwatch(&["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("api.token"), "{err}");
    let out = sim
        .bbwatch(&["serve", "--listen", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let dir = empty_dir();
    let config = dir.join("config.toml");
    write_private(&config, "[api]\ntoken = \"correct-horse-battery\"\n");
    let serve = Serve::start(
        &sim,
        &empty_dir(),
        "0.0.0.0:0",
        &["--config", config.to_str().unwrap()],
    );
    let status = serve.url("/v1/status");
    let none = get(&sim, &status);
    assert_eq!(none.status, 401);
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    assert!(none.json()["error"].is_string());
    let wrong = request(&sim, reqwest::Method::GET, &status, Some("wrong-guess-123"));
    assert_eq!(wrong.status, 401);
    for path in ["/metrics", "/v1/events", "/v1/history", "/nothing"] {
        assert_eq!(get(&sim, &serve.url(path)).status, 401, "{path}");
    }
    let right = request(
        &sim,
        reqwest::Method::GET,
        &status,
        Some("correct-horse-battery"),
    );
    assert_eq!(right.status, 200, "{}", right.body);
    let (exit, stderr) = serve.terminate();
    assert!(exit.success());
    assert!(
        stderr.contains("401") && stderr.contains("GET /v1/status") && stderr.contains("127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-guess-123"), "{stderr}");
    assert!(!stderr.contains("correct-horse-battery"), "{stderr}");

    // The token from a file.
    let token_file = dir.join("token");
    write_private(&token_file, "from-a-file-42\n");
    std::fs::write(
        &config,
        format!("[api]\ntoken_file = {:?}\n", token_file.to_str().unwrap()),
    )
    .unwrap();
    let serve = Serve::start(
        &sim,
        &empty_dir(),
        "0.0.0.0:0",
        &["--config", config.to_str().unwrap()],
    );
    let status = serve.url("/v1/status");
    assert_eq!(get(&sim, &status).status, 401);
    let right = request(&sim, reqwest::Method::GET, &status, Some("from-a-file-42"));
    assert_eq!(right.status, 200);
    drop(serve);

    std::fs::write(&token_file, "\n").unwrap();
    let out = sim
        .bbwatch(&[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("api.token_file"), "{err}");
}

/// normal → eth's withdrawals over polygon stopped → normal, each phase until the test moves on.
const WITHDRAWAL_STOP: &str = r#"
[[phases]]
name = "normal"
duration = "1h"

[[phases]]
name = "withdrawal-stop"
duration = "1h"
stop_withdrawal = ["eth/polygon"]

[[phases]]
name = "recovered"
"#;

/// Appends, per run, the asset fields of its environment and then its stdin, one line each.
const ASSET_RECORDER: &str = r#"#!/bin/sh
{
  printf '%s %s %s %s %s\n' "$BBWATCH_KIND" "$BBWATCH_ASSET" "$BBWATCH_NETWORK" "$BBWATCH_DEPOSIT" "$BBWATCH_WITHDRAWAL"
  cat
} >> "$1"
"#;

#[test]
fn an_asset_change_is_the_same_event_on_the_stream_in_the_status_and_to_a_hook() {
    let sim = Sim::from_toml(WITHDRAWAL_STOP);
    let (data, dir) = (empty_dir(), empty_dir());
    let key = write_file(
        &dir,
        "key.toml",
        "key = \"fake-key\"\nsecret = \"fake-secret\"\n",
        0o600,
    );
    let recorder = write_file(&dir, "record.sh", ASSET_RECORDER, 0o755);
    let log = dir.join("runs.log");
    let config = dir.join("config.toml");
    let command = serde_json::json!([recorder.display().to_string(), log.display().to_string()]);
    write_private(
        &config,
        &format!(
            "api_secret_file = {}\n\n[[hooks]]\non = [\"asset_changed\"]\ncommand = {command}\n",
            serde_json::json!(key.display().to_string())
        ),
    );
    let config = config.display().to_string();
    let serve = Serve::start(&sim, &data, "127.0.0.1:0", &["--config", &config]);
    let status = status_at(&sim, &serve, "normal");
    assert_eq!(
        status["snapshot"]["api_key"]["state"], "accepted",
        "{status}"
    );
    let mut live = Stream::open(&sim, &serve.url("/v1/events"), None);

    sim.server.next_phase();
    let streamed = live.until_kind(&sim, "asset_changed");
    let (_, _, event) = streamed.last().unwrap();
    assert_eq!(event["asset"], "eth");
    assert_eq!(event["network"], "polygon");
    assert_eq!(event["withdrawal"], "stopped");
    assert_eq!(event["previous_withdrawal"], "open");
    assert_eq!(event["deposit"], "open");
    let status = status_at(&sim, &serve, "degraded");
    let polygon = &status["snapshot"]["assets"]["eth"]["networks"]["polygon"];
    assert_eq!(polygon["withdrawal"], "stopped", "{status}");
    assert_eq!(status["snapshot"]["assets"]["eth"]["withdrawal"], "open");

    sim.server.next_phase();
    let streamed = live.until_kind(&sim, "asset_changed");
    let (_, _, resumed) = streamed.last().unwrap();
    assert_eq!(resumed["withdrawal"], "open");
    assert_eq!(resumed["previous_withdrawal"], "stopped");
    assert_eq!(resumed["reason"], Value::Null, "nothing is stopped");
    status_at(&sim, &serve, "normal");

    // The hook ran once per change, with the fields in its environment and the event on stdin.
    let deadline = Instant::now() + WAIT;
    let runs = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let runs: Vec<String> = text.lines().map(str::to_owned).collect();
        if runs.len() >= 4 || Instant::now() > deadline {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        runs[0], "asset_changed eth polygon open stopped",
        "{runs:#?}"
    );
    let stdin: Value = serde_json::from_str(&runs[1]).unwrap();
    assert_eq!(stdin["kind"], "asset_changed");
    assert_eq!(stdin["withdrawal"], "stopped");
    assert_eq!(runs[2], "asset_changed eth polygon open open", "{runs:#?}");
    assert_eq!(runs.len(), 4, "one run per change: {runs:#?}");
    assert_eq!(sim.server.stats().secret_seen, 0);
    let (status, stderr) = serve.terminate();
    assert!(status.success(), "{status}");
    assert!(!stderr.contains("fake-secret"), "{stderr}");
}

/// A client looping on a wrong token cannot flood the log: one line a minute per peer, with a
/// count of the rest.
#[test]
fn refused_requests_are_logged_once_a_minute_per_peer() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let config = dir.join("config.toml");
    write_private(&config, "[api]\ntoken = \"correct-horse-battery\"\n");
    let serve = Serve::start(
        &sim,
        &empty_dir(),
        "127.0.0.1:0",
        &["--config", config.to_str().unwrap()],
    );
    let status = serve.url("/v1/status");
    for _ in 0..50 {
        let wrong = request(&sim, reqwest::Method::GET, &status, Some("wrong-guess-123"));
        assert_eq!(wrong.status, 401);
    }
    let (exit, stderr) = serve.terminate();
    assert!(exit.success());
    assert_eq!(
        stderr.matches("local API: 401").count(),
        1,
        "one line for 50 refusals: {stderr}"
    );
}

/// A config file in `dir` with a pause hook on `maintenance_started` that notes each run in a
/// log: the config's path and the log's.
fn pause_hook(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("hook.log");
    let hook = write_file(
        dir,
        "hook.sh",
        "#!/bin/sh\necho \"$BBWATCH_KIND\" >> \"$1\"\n",
        0o755,
    );
    let config = write_file(
        dir,
        "config.toml",
        &format!(
            "[[hooks]]\non = [\"maintenance_started\"]\ncommand = [{:?}, {:?}]\n",
            hook.to_str().unwrap(),
            log.to_str().unwrap()
        ),
        0o600,
    );
    (config, log)
}

/// Until the pause hook of [`pause_hook`] has run (within [`WAIT`]).
fn wait_for_pause_hook(log: &Path) {
    let deadline = Instant::now() + WAIT;
    while !std::fs::read_to_string(log).is_ok_and(|l| l.contains("maintenance_started")) {
        assert!(Instant::now() < deadline, "the hook never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `cmd` run with at most `n` open descriptors (soft and hard limit), stderr piped.
fn with_descriptor_limit(cmd: &Command, n: u32) -> Command {
    let mut limited = Command::new("sh");
    limited
        .arg("-c")
        .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => limited.env(key, v),
            None => limited.env_remove(key),
        };
    }
    limited
}

/// `n` connections to `to` from `from`, each having sent half a request line.
fn half_open(sim: &Sim, from: &str, to: SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt as _;
    sim.rt.block_on(async {
        let mut held = Vec::new();
        for _ in 0..n {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
            // A server that accepts nothing more leaves a connect pending for minutes.
            let connect = tokio::time::timeout(Duration::from_secs(1), socket.connect(to));
            let Ok(Ok(mut stream)) = connect.await else {
                continue;
            };
            let _ = stream.write_all(b"GET /v1/sta").await;
            held.push(stream);
        }
        held
    })
}

/// How many of `streams` the server has not closed.
fn still_open(streams: &[tokio::net::TcpStream]) -> usize {
    streams
        .iter()
        .filter(|s| {
            let mut buf = [0u8; 64];
            matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count()
}

#[test]
fn half_open_connections_neither_take_the_api_down_nor_fake_an_outage() {
    // Enough descriptors for this process's end of the flood.
    bbwatch_core::present::descriptors::raise_limit();
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let (config, log) = pause_hook(&dir);
    let data = empty_dir();
    // 320 descriptors: 64 connections for clients (32 from one address), the rest kept.
    let serve = Serve::spawn(with_descriptor_limit(
        &Serve::command(
            &sim,
            &data,
            "127.0.0.1:0",
            &["--config", config.to_str().unwrap()],
        ),
        320,
    ));
    status_at(&sim, &serve, "normal");

    // 500 connections from one address, each stuck halfway through its request line: more
    // than the process has descriptors.
    let flood = half_open(&sim, "127.0.0.2", serve.addr, 500);
    assert!(flood.len() > 400, "only {} connected", flood.len());
    std::thread::sleep(Duration::from_secs(1));
    let held = still_open(&flood);
    assert!(held <= 32, "{held} connections from one address held open");

    // Everyone else is still answered, the monitor still polls, and the hook still runs.
    let json = status_at(&sim, &serve, "normal");
    assert_eq!(json["exit_code"], 0);
    sim.server.next_phase();
    status_at(&sim, &serve, "maintenance");
    wait_for_pause_hook(&log);
    sim.server.next_phase();
    status_at(&sim, &serve, "normal");
    let events = events_once_recorded(&sim, &serve, "maintenance_ended");
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "monitor_started",
            "maintenance_started",
            "maintenance_ended"
        ]
    );

    // Connections that never finish their request are closed after the head timeout (10 s).
    let deadline = Instant::now() + Duration::from_secs(20);
    while still_open(&flood) > 0 {
        assert!(
            Instant::now() < deadline,
            "{} half-open connections were never closed",
            still_open(&flood)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (exit, stderr) = serve.terminate();
    assert!(exit.success(), "{stderr}");
    assert!(
        !stderr.to_lowercase().contains("too many open files"),
        "{stderr}"
    );
    let refusals = stderr.matches("refused").count();
    assert!(
        (1..=2).contains(&refusals),
        "refused connections are logged once a minute: {stderr}"
    );
    drop(flood);
}

/// `n` requests for `/v1/events` as a browser page of `origin` sends them, each to a loopback
/// name of its own (`pN.localhost`, as a page gets round a browser's per-host limit); the
/// answers, their streams left open.
fn page_streams(sim: &Sim, serve: &Serve, origin: &str, n: usize) -> Vec<reqwest::Response> {
    sim.rt.block_on(async {
        let client = reqwest::Client::new();
        let mut answers = Vec::new();
        for i in 0..n {
            let resp = client
                .get(serve.url("/v1/events"))
                .header("Host", format!("p{i}.localhost:{}", serve.addr.port()))
                .header("Origin", origin)
                .send()
                .await
                .unwrap();
            answers.push(resp);
        }
        answers
    })
}

fn statuses(answers: &[reqwest::Response]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for a in answers {
        *counts.entry(a.status().as_u16()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn web_pages_cannot_take_the_event_streams_from_the_bots() {
    let sim = Sim::start("normal");
    let serve = Serve::start(&sim, &empty_dir(), "127.0.0.1:0", &[]);
    // A page of any site is refused before it holds anything.
    let pages = page_streams(&sim, &serve, "https://evil.example", 64);
    assert_eq!(statuses(&pages), BTreeMap::from([(403, 64)]));
    let body = sim.rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(serve.url("/v1/status"))
            .header("Origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    assert_eq!(body.0, 403);
    assert!(body.1.contains("[api] origins"), "{}", body.1);
    let bot = Stream::open(&sim, &serve.url("/v1/events"), None);
    drop((bot, pages));
    let (_, stderr) = serve.terminate();
    assert_eq!(
        stderr.matches("403").count(),
        1,
        "refusals are logged once a minute per peer: {stderr}"
    );
    assert!(stderr.contains("https://evil.example"), "{stderr}");

    // A page of an origin the user listed gets its streams, at most 16, and a bot still
    // gets one.
    let dir = empty_dir();
    let config = write_file(
        &dir,
        "config.toml",
        "[api]\norigins = [\"http://dash.localhost:8080\"]\n",
        0o600,
    );
    let serve = Serve::start(
        &sim,
        &empty_dir(),
        "127.0.0.1:0",
        &["--config", config.to_str().unwrap()],
    );
    let pages = page_streams(&sim, &serve, "http://dash.localhost:8080", 64);
    assert_eq!(statuses(&pages), BTreeMap::from([(200, 16), (429, 48)]));
    assert_eq!(
        pages[0].headers()["access-control-allow-origin"],
        "http://dash.localhost:8080"
    );
    let bot = Stream::open(&sim, &serve.url("/v1/events"), None);
    // The page's preflight (for a token or Last-Event-ID) is answered.
    let preflight = sim.rt.block_on(async {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, serve.url("/v1/events"))
            .header("Origin", "http://dash.localhost:8080")
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
            .await
            .unwrap()
    });
    assert_eq!(preflight.status(), 204);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    drop((bot, pages));
    let (exit, _) = serve.terminate();
    assert!(exit.success());
}

#[test]
fn history_is_read_a_page_at_a_time_and_never_holds_up_recording_or_hooks() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let data = empty_dir();
    // 32 768 events.
    bbwatch_history::sample::repeated_maintenances(
        &data.join("bbwatch").join("history.sqlite3"),
        chrono::Utc::now() - chrono::Duration::days(30),
        13,
    )
    .unwrap();
    let (config, log) = pause_hook(&dir);
    let serve = Serve::start(
        &sim,
        &data,
        "127.0.0.1:0",
        &["--config", config.to_str().unwrap()],
    );
    status_at(&sim, &serve, "normal");

    // A page is 1 000 items unless `limit` says otherwise; `Link` gives the next one.
    let first = get(&sim, &serve.url("/v1/history?events=true"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json().as_array().unwrap().len(), 1000);
    let link = first.headers["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with("</v1/history?events=true&after=1000>") && link.ends_with("rel=\"next\""),
        "{link}"
    );
    // Following the links gives every event once, in order.
    let mut ids = Vec::new();
    let mut next = Some("/v1/history?events=true&limit=10000".to_owned());
    while let Some(path) = next.take() {
        let page = get(&sim, &serve.url(&path));
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.json();
        let items = items.as_array().unwrap();
        assert!(items.len() <= 10_000);
        ids.extend(items.iter().map(|e| e["id"].as_i64().unwrap()));
        next = page.headers.get("link").map(|l| {
            let l = l.to_str().unwrap();
            l[1..l.find('>').unwrap()].to_owned()
        });
    }
    assert!(ids.len() > 32_768, "{}", ids.len());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, no repeat");
    // Periods page the same way, a filter applied before the cut.
    let halted = get(&sim, &serve.url("/v1/history?kind=halted&limit=7"));
    let halted = halted.json();
    let halted = halted.as_array().unwrap();
    assert_eq!(halted.len(), 7);
    assert!(halted.iter().all(|p| p["kind"] == "halted"), "{halted:?}");
    for (query, names) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=many", "limit"),
        ("after=p1.x", "after"),
        ("events=true&after=p1.2", "after"),
    ] {
        let got = get(&sim, &serve.url(&format!("/v1/history?{query}")));
        assert_eq!(got.status, 400, "{query}");
        let error = got.json()["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with(names), "{query}: {error}");
    }

    // Four clients reading the whole history over and over: a maintenance is still recorded
    // and its hook still runs.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let stop = stop.clone();
            let url = serve.url(if i % 2 == 0 {
                "/v1/history?events=true&limit=10000"
            } else {
                "/v1/history?limit=10000"
            });
            sim.rt.spawn(async move {
                let client = client();
                let mut pages = 0u32;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let resp = client.get(&url).send().await.unwrap();
                    assert_eq!(resp.status(), 200);
                    resp.bytes().await.unwrap();
                    pages += 1;
                }
                pages
            })
        })
        .collect();
    sim.server.next_phase();
    status_at(&sim, &serve, "maintenance");
    wait_for_pause_hook(&log);
    let recorded = get(
        &sim,
        &serve.url("/v1/history?events=true&kind=maintenance&since=1h"),
    );
    assert_eq!(recorded.json().as_array().unwrap().len(), 1);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for r in readers {
        let pages = sim.rt.block_on(r).unwrap();
        assert!(pages > 0);
    }
    let (exit, stderr) = serve.terminate();
    assert!(exit.success(), "{stderr}");
}
