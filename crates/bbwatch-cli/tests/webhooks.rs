//! Webhooks end to end, with the real `bbwatch watch` against fake-bitbank and a recording
//! HTTP receiver on 127.0.0.1: each format's body, the chosen kinds only, retries for 5xx and
//! 429 but not for 4xx, and an endpoint that is down or never answers holds up nothing.
//! Nothing here reaches beyond loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{empty_dir, write_private, Sim, MAINTENANCE};

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(40);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    /// Path and query, as sent.
    target: String,
    /// Header names in lower case.
    headers: BTreeMap<String, String>,
    body: String,
    at: Instant,
}

/// How the receiver answers one request: a status and extra headers.
type Answer = (u16, Vec<(String, String)>);

/// A small HTTP/1.1 server on 127.0.0.1 that records each request and answers with the
/// programmed statuses in turn (200 once they are used up), one request per connection.
struct Receiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    fn start(answers: &[(u16, &[(&str, &str)])]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answers: Arc<Mutex<VecDeque<Answer>>> = Arc::new(Mutex::new(
            answers
                .iter()
                .map(|(s, h)| {
                    let h = h
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect();
                    (*s, h)
                })
                .collect(),
        ));
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (recorded, answers) = (recorded.clone(), answers.clone());
                std::thread::spawn(move || serve(stream, &recorded, &answers));
            }
        });
        Receiver { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests once there are at least `n` (within [`WAIT`]).
    fn wait_for_at_least(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{} of {n} requests", got.len());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The requests once there are `n` (within [`WAIT`]); fails on more.
    fn wait_for(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.requests();
            if got.len() >= n || Instant::now() > deadline {
                assert_eq!(got.len(), n, "requests to {}: {got:#?}", self.addr);
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Request>>, answers: &Mutex<VecDeque<Answer>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    recorded.lock().unwrap().push(Request {
        method,
        target,
        headers,
        body: String::from_utf8(body).unwrap(),
        at: Instant::now(),
    });
    let (status, extra) = answers.lock().unwrap().pop_front().unwrap_or((200, vec![]));
    let mut answer =
        format!("HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n");
    for (k, v) in extra {
        answer.push_str(&format!("{k}: {v}\r\n"));
    }
    answer.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(answer.as_bytes());
}

/// A port on 127.0.0.1 with nothing listening on it.
fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A server on 127.0.0.1 that accepts connections and never reads or answers.
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    addr
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A `[[webhooks]]` table.
fn webhook(url: &str, format: &str, on: &[&str]) -> String {
    let on: Vec<String> = on.iter().map(|k| toml_str(k)).collect();
    format!(
        "[[webhooks]]\nurl = {}\nformat = {}\non = [{}]\n\n",
        toml_str(url),
        toml_str(format),
        on.join(", ")
    )
}

fn config(dir: &Path, tables: &[String]) -> String {
    let path = dir.join("config.toml");
    write_private(&path, &tables.concat());
    path.display().to_string()
}

const STARTED_ENDED: &[&str] = &["maintenance_started", "maintenance_ended"];

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn each_format_gets_the_chosen_events_with_its_body() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let (as_json, discord, slack, every, unused) = (
        Receiver::start(&[]),
        Receiver::start(&[]),
        Receiver::start(&[]),
        Receiver::start(&[]),
        Receiver::start(&[]),
    );
    let discord_url = discord.url("/api/webhooks/123/SECRET-discord?wait=true");
    let slack_url = slack.url("/services/T0/B0/SECRET-slack");
    let config = config(
        &dir,
        &[
            webhook(&as_json.url("/events"), "json", STARTED_ENDED),
            webhook(&discord_url, "discord", STARTED_ENDED),
            webhook(&slack_url, "slack", STARTED_ENDED),
            webhook(&every.url("/all"), "json", &[]),
            webhook(
                &unused.url("/unused"),
                "json",
                &["down_started", "pair_changed"],
            ),
        ],
    );
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &config, "-v"]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    sim.server.next_phase();
    watch.expect(&["maintenance_ended normal"], WAIT);
    let printed = watch.seen.clone();

    // JSON: exactly the line `watch --json` printed.
    let got = as_json.wait_for(2);
    for (request, line) in got.iter().zip(&printed[1..]) {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/events");
        assert_eq!(request.headers["content-type"], "application/json");
        assert!(
            request.headers["user-agent"].starts_with("bbwatch/"),
            "{request:?}"
        );
        assert_eq!(&request.body, line);
    }

    // Discord: the event's line in English (LANG=C.UTF-8), pinging nobody.
    let got = discord.wait_for(2);
    assert_eq!(got[0].target, "/api/webhooks/123/SECRET-discord?wait=true");
    let bodies: Vec<Value> = got.iter().map(|r| json(&r.body)).collect();
    for (request, body) in got.iter().zip(&bodies) {
        assert_eq!(request.method, "POST");
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(body["username"], "bbwatch");
        assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    }
    let content = |b: &Value| b["content"].as_str().unwrap().to_owned();
    assert!(
        content(&bodies[0]).contains("Maintenance started"),
        "{bodies:?}"
    );
    assert!(
        content(&bodies[0]).contains("api error 10007"),
        "{bodies:?}"
    );
    assert!(
        content(&bodies[1]).contains("Maintenance ended"),
        "{bodies:?}"
    );
    assert!(content(&bodies[1]).contains("(lasted "), "{bodies:?}");

    // Slack: the same lines as `text`.
    let got = slack.wait_for(2);
    assert_eq!(got[0].target, "/services/T0/B0/SECRET-slack");
    let texts: Vec<String> = got
        .iter()
        .map(|r| {
            assert_eq!(r.headers["content-type"], "application/json");
            let body = json(&r.body);
            assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
            body["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(texts[0], content(&bodies[0]));
    assert_eq!(texts[1], content(&bodies[1]));

    // No `on`: every event printed, in order. Kinds that never happened: nothing.
    let got = every.wait_for(3);
    let bodies: Vec<&str> = got.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, printed);
    std::thread::sleep(Duration::from_secs(1));
    assert!(unused.requests().is_empty());
    assert_eq!(as_json.requests().len(), 2);

    let (_, stderr) = watch.terminate_keeping_stderr();
    assert!(
        stderr.contains(&format!("webhook http://{}/… ", discord.addr)),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SECRET"),
        "a webhook's secret reached the log: {stderr}"
    );
}

#[test]
fn server_errors_are_retried_and_client_errors_are_not() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let flaky = Receiver::start(&[(503, &[]), (502, &[])]);
    let limited = Receiver::start(&[(429, &[("Retry-After", "1")])]);
    let refusing = Receiver::start(&[(400, &[])]);
    let moved = Receiver::start(&[(308, &[("Location", "http://127.0.0.1:9/elsewhere")])]);
    let started = &["maintenance_started"];
    let config = config(
        &dir,
        &[
            webhook(&flaky.url("/flaky?token=SECRET"), "slack", started),
            webhook(&limited.url("/limited"), "discord", started),
            webhook(&refusing.url("/refusing?token=SECRET"), "json", started),
            webhook(&moved.url("/moved"), "json", started),
        ],
    );
    // In Japanese this time: the message follows the language in force.
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &config, "--lang", "ja"]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let event = watch.expect(&["maintenance_started maintenance"], WAIT);

    // 503, 502, then 200: three tries of the same body, the waits growing (1 s, then 2 s,
    // each with up to half again of jitter).
    let got = flaky.wait_for(3);
    assert!(got.iter().all(|r| r.body == got[0].body));
    let text = json(&got[0].body)["text"].as_str().unwrap().to_owned();
    assert!(text.contains("メンテナンス開始"), "{text}");
    let (first, second) = (got[1].at - got[0].at, got[2].at - got[1].at);
    assert!(first >= Duration::from_millis(900), "{first:?}");
    assert!(second >= Duration::from_millis(1900), "{second:?}");

    // 429 with Retry-After: 1, then 200.
    let got = limited.wait_for(2);
    assert!(got[1].at - got[0].at >= Duration::from_millis(900));
    assert!(json(&got[1].body)["content"]
        .as_str()
        .unwrap()
        .contains("メンテナンス開始"));

    // 400 and a redirect: one try each, never again (a retry would come within 1.5 s).
    let got = refusing.wait_for(1);
    assert_eq!(json(&got[0].body), event[0]);
    moved.wait_for(1);
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(refusing.requests().len(), 1);
    assert_eq!(moved.requests().len(), 1);
    assert_eq!(flaky.requests().len(), 3);
    assert_eq!(limited.requests().len(), 2);

    let (_, stderr) = watch.terminate_keeping_stderr();
    let flaky_name = format!("webhook http://{}/…", flaky.addr);
    let refusing_name = format!("webhook http://{}/…", refusing.addr);
    assert!(
        stderr.contains(&format!(
            "{flaky_name} (maintenance_started): answered 503 Service Unavailable (try 1 of 5)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{refusing_name} (maintenance_started): answered 400 Bad Request; not retried"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("answered 308 Permanent Redirect; not retried"),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn an_endpoint_that_is_down_or_silent_holds_up_nothing() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let healthy = Receiver::start(&[]);
    let (down, silent) = (closed_port(), silent_server());
    let config = config(
        &dir,
        &[
            // Every event, to endpoints that never take one; listed first.
            webhook(&format!("http://{down}/down"), "json", &[]),
            webhook(&format!("http://{silent}/silent"), "discord", &[]),
            webhook(&healthy.url("/healthy"), "json", &[]),
        ],
    );
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &config]);
    let began = Instant::now();
    watch.expect(&["monitor_started normal"], WAIT);
    healthy.wait_for(1);

    // Each later event reaches stdout and the healthy endpoint within a few seconds, while
    // the silent endpoint holds each try for its 10 s timeout and the dead one is retried.
    for (want, n) in [
        ("maintenance_started maintenance", 2),
        ("maintenance_ended normal", 3),
    ] {
        let asked = Instant::now();
        sim.server.next_phase();
        watch.expect(&[want], WAIT);
        let printed = Instant::now();
        assert!(
            printed - asked < Duration::from_secs(8),
            "{want} took {:?} to be printed",
            printed - asked
        );
        let got = healthy.wait_for(n);
        let delivered = got[n - 1].at;
        assert!(
            delivered.saturating_duration_since(printed) < Duration::from_secs(8),
            "{want} reached the healthy webhook {:?} after it was printed",
            delivered.saturating_duration_since(printed)
        );
    }
    let (_, stderr) = watch.terminate_keeping_stderr();
    // The dead endpoint was tried and will be tried again; the silent one timed out at most
    // once per 10 s (it may not have yet on a fast run).
    assert!(
        stderr.contains(&format!("webhook http://{down}/… (monitor_started): ")),
        "{stderr}"
    );
    assert!(stderr.contains("trying again in"), "{stderr}");
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "the run took {:?}",
        began.elapsed()
    );
}

/// Thirty pairs HALT for a second, then NORMAL for a second, over and over: some thirty
/// events a poll (not every pair: that would be one maintenance, not pair events).
fn flood() -> String {
    const PAIRS: &str = "btc_jpy xrp_jpy xrp_btc ltc_jpy ltc_btc eth_jpy eth_btc mona_jpy \
        mona_btc bcc_jpy bcc_btc xlm_jpy xlm_btc qtum_jpy qtum_btc bat_jpy bat_btc omg_jpy \
        omg_btc xym_jpy xym_btc link_jpy link_btc mkr_jpy mkr_btc boba_jpy boba_btc enj_jpy \
        enj_btc matic_jpy";
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

#[test]
fn a_silent_endpoint_loses_its_oldest_events_and_the_others_get_every_one() {
    let sim = Sim::from_toml(&flood());
    let dir = empty_dir();
    let healthy = Receiver::start(&[]);
    let silent = silent_server();
    let config = config(
        &dir,
        &[
            webhook(&format!("http://{silent}/silent?key=SECRET"), "slack", &[]),
            webhook(&healthy.url("/healthy"), "json", &[]),
        ],
    );
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &config]);
    // The silent endpoint holds its first event for minutes (5 tries of 10 s): its queue is
    // full after some 65 events, and from then on each new one drops the oldest.
    let deadline = Instant::now() + WAIT;
    while !watch.stderr().contains("cannot keep up") {
        assert!(
            Instant::now() < deadline,
            "no drop said; printed {} events: {:#?}",
            watch.seen.len(),
            watch.seen
        );
        let _ = watch.next_line(Duration::from_millis(200));
    }
    // Events still come, and the healthy endpoint has had every one printed, in order.
    let seen = watch.seen.len();
    let more = watch.next_line(WAIT).is_some();
    assert!(more, "no event after the drops began");
    let printed = watch.seen.clone();
    let got = healthy.wait_for_at_least(printed.len());
    let bodies: Vec<&str> = got.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(&bodies[..printed.len()], &printed[..]);
    assert!(printed.len() > seen);
    let (_, stderr) = watch.terminate_keeping_stderr();
    // The first event is the one under way; the oldest queued, the second, goes first.
    let second = json(&printed[1]);
    let first_drop = stderr
        .lines()
        .find(|l| l.contains("cannot keep up"))
        .unwrap();
    assert!(
        first_drop.contains(&format!(
            "webhook http://{silent}/… cannot keep up: {} at {} dropped",
            second["kind"].as_str().unwrap(),
            second["at"].as_str().unwrap()
        )),
        "{first_drop}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
}
