//! The fault matrix: the real `bbwatch` against a hostile or broken fake-bitbank (and a few
//! loopback listeners of our own), one test per fault, each naming the level and events it
//! expects. Nothing here leaves 127.0.0.1. No assertion is about speed: waits are generous
//! upper bounds for something that must happen, never a measure of how fast.
// Linux only: memory is read from /proc, a stuck reader is a Unix socket.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{bbwatch_at, empty_dir, Sim, Watch};

const WAIT: Duration = Duration::from_secs(60);
const QUIET: Duration = Duration::from_millis(3000);

/// Two phases: normal for an hour (the test moves on), then `api`/`public` and `extra` keys.
fn fault(api: &str, public: &str, extra: &str) -> String {
    format!(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\
         [[phases]]\nname = \"fault\"\nduration = \"1h\"\napi = {api}\npublic = {public}\n{extra}\n\
         [[phases]]\nname = \"recovered\"\n"
    )
}

/// Watch: normal first, then the fault phase must give `during`, then recovery `after`.
fn watch_fault(sim: &Sim, during: &[&str], after: &[&str]) -> Vec<serde_json::Value> {
    let mut watch = sim.watch(&[]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let events = watch.expect(during, WAIT);
    if !after.is_empty() {
        sim.server.next_phase();
        watch.expect(after, WAIT);
    }
    assert!(watch.exited().is_none(), "bbwatch died: {:#?}", watch.seen);
    assert!(watch.terminate().success(), "exits 0 on SIGTERM");
    events
}

/// Peak resident memory of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// An ambiguous api failure while the public host answers: down, then back.
const DOWN: [&str; 1] = ["down_started down"];
const DOWN_ENDED: [&str; 1] = ["down_ended normal"];

/// The child's exit status once it ends; killed, and the test failed with `why`, if it has not
/// ended within 20 s.
fn exit_within_20s(child: &mut std::process::Child, why: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{why}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn html_5xx_on_the_api_host_is_down() {
    let sim = Sim::from_toml(&fault("{ html = 503 }", "\"ok\"", ""));
    let events = watch_fault(&sim, &DOWN, &DOWN_ENDED);
    assert_eq!(events[0]["reason"], "api host: HTTP 503 (error page)");
}

#[test]
fn both_hosts_failing_is_unreachable() {
    let sim = Sim::from_toml(&fault("{ html = 502 }", "\"drop\"", ""));
    watch_fault(
        &sim,
        &["unreachable_started unreachable"],
        &["unreachable_ended normal"],
    );
}

#[test]
fn connection_refused_on_both_hosts_is_unreachable() {
    let sim = Sim::from_toml(&fault("\"refuse\"", "\"refuse\"", ""));
    watch_fault(
        &sim,
        &["unreachable_started unreachable"],
        &["unreachable_ended normal"],
    );
}

#[test]
fn truncated_json_on_both_hosts_is_down_not_our_own_network() {
    let sim = Sim::from_toml(&fault("\"truncated\"", "\"truncated\"", ""));
    let events = watch_fault(&sim, &DOWN, &DOWN_ENDED);
    assert_eq!(events[0]["level"], "down");
}

#[test]
fn valid_json_of_the_wrong_shape_is_a_failure_not_normal() {
    let sim = Sim::from_toml(&fault("\"wrong_shape\"", "\"ok\"", ""));
    watch_fault(&sim, &DOWN, &DOWN_ENDED);
    let sim = Sim::from_toml(&fault("\"wrong_shape\"", "\"wrong_shape\"", ""));
    sim.server.next_phase();
    let out = sim.status(&[]);
    assert_eq!(
        out.status.code(),
        Some(12),
        "wrong shape on both hosts: down"
    );
}

#[test]
fn maintenance_10007_with_200_and_with_503() {
    for status in [200, 503] {
        let sim = Sim::from_toml(&fault(
            &format!("{{ error = 10007, http_status = {status} }}"),
            "\"ok\"",
            "",
        ));
        watch_fault(
            &sim,
            &["maintenance_started maintenance"],
            &["maintenance_ended normal"],
        );
    }
}

/// Watch an answer too big to read turn the level down, with bbwatch's memory bounded all
/// along; returns the events.
fn down_with_bounded_memory(api: &str, public: &str) -> Vec<serde_json::Value> {
    let sim = Sim::from_toml(&fault(api, public, ""));
    let mut watch = sim.watch(&[]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let events = watch.expect(&DOWN, WAIT);
    let rss = peak_rss_kib(watch.pid());
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
    assert!(watch.terminate().success());
    events
}

#[test]
fn an_endless_body_is_a_failure_and_memory_stays_bounded() {
    down_with_bounded_memory("\"endless\"", "\"ok\"");
}

#[test]
fn a_200_mb_body_is_a_failure_not_normal_and_memory_stays_bounded() {
    let events = down_with_bounded_memory("{ huge = 200000000 }", "\"ok\"");
    assert_eq!(events[0]["reason"], "api host: malformed answer (HTTP 200)");
}

#[test]
fn a_gzip_bomb_is_a_failure_and_memory_stays_bounded() {
    down_with_bounded_memory("\"gzip_bomb\"", "\"gzip_bomb\"");
}

#[test]
fn a_body_that_stalls_midway_is_a_timeout() {
    let sim = Sim::from_toml(&fault("\"stall\"", "\"ok\"", ""));
    let events = watch_fault(&sim, &DOWN, &DOWN_ENDED);
    assert_eq!(events[0]["reason"], "api host: timeout");
}

#[test]
fn a_flood_of_100_continue_is_a_timeout() {
    let sim = Sim::from_toml(&fault("\"continue_flood\"", "\"ok\"", ""));
    let events = watch_fault(&sim, &DOWN, &DOWN_ENDED);
    assert_eq!(events[0]["reason"], "api host: timeout");
}

/// A loopback listener that answers every request with a healthy-looking spot/status and
/// counts the connections it gets.
fn impostor() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body =
                r#"{"success":1,"data":{"statuses":[{"pair":"btc_jpy","status":"NORMAL"}]}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}

#[test]
fn a_redirect_off_the_configured_origin_is_not_followed_nor_believed() {
    let (port, hits) = impostor();
    let sim = Sim::from_toml(&fault(
        &format!("{{ redirect = \"http://127.0.0.1:{port}/v1/spot/status\" }}"),
        "\"ok\"",
        "",
    ));
    let events = watch_fault(&sim, &DOWN, &DOWN_ENDED);
    assert_eq!(events[0]["reason"], "api host: HTTP 302");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}

/// A loopback listener that answers every connection with bytes that are not TLS.
fn not_tls() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        }
    });
    port
}

#[test]
fn a_tls_handshake_failure_is_down() {
    let sim = Sim::from_toml(&fault("\"ok\"", "\"ok\"", ""));
    let api = format!("https://127.0.0.1:{}/v1", not_tls());
    let mut watch = Watch::spawn(bbwatch_at(
        &api,
        &sim.server.public_url(),
        &["watch", "--json", "--interval", "1s", "--timeout", "2s"],
    ));
    let events = watch.expect(&["monitor_started down", "down_started down"], WAIT);
    assert_eq!(events[1]["reason"], "api host: connection failed");
    assert!(watch.terminate().success());
}

#[test]
fn a_connect_timeout_on_both_hosts_is_unreachable() {
    // A listener that never accepts, its backlog filled: further SYNs are dropped, so
    // connecting hangs until bbwatch's connect timeout.
    let sim = Sim::from_toml(&fault("\"ok\"", "\"ok\"", ""));
    let (listener, addr) = sim.rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        (listener, addr)
    });
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    let url = format!("http://{addr}");
    let mut watch = Watch::spawn(bbwatch_at(
        &format!("{url}/v1"),
        &url,
        &["watch", "--json", "--interval", "1s", "--timeout", "2s"],
    ));
    let events = watch.expect(
        &[
            "monitor_started unreachable",
            "unreachable_started unreachable",
        ],
        WAIT,
    );
    assert_eq!(
        events[1]["reason"],
        "api host: timeout; public host: timeout"
    );
    assert!(watch.terminate().success());
    drop((listener, fillers));
}

#[test]
fn a_429_storm_with_an_overflowing_retry_after_changes_no_level_and_never_panics() {
    let sim = Sim::from_toml(&fault(
        "{ rate_limit = \"99999999999999999999999999\" }",
        "\"ok\"",
        "",
    ));
    let mut watch = sim.watch(&[]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect_quiet(QUIET);
    assert!(watch.exited().is_none(), "bbwatch died");
    let out = sim.status(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("asked us to wait 600s"), "{stderr}");
    assert!(watch.terminate().success());
}

#[test]
fn a_pair_that_disappears_from_the_lists_and_reappears() {
    // A watched pair bitbank stops listing is `unknown`: it holds no level and makes no event
    // (it may be a listing glitch); when it comes back it is simply watched again.
    let sim = Sim::from_toml(&fault("\"ok\"", "\"ok\"", "hidden = [\"eth_jpy\"]"));
    let pairs = ["--pairs", "btc_jpy,eth_jpy"];
    let state = |sim: &Sim| {
        let out = sim.status(&["--json", pairs[0], pairs[1]]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["pairs"]["eth_jpy"].to_string()
    };
    let mut watch = sim.watch(&pairs);
    watch.expect(&["monitor_started normal"], WAIT);
    assert!(state(&sim).contains("normal"));
    sim.server.next_phase();
    watch.expect_quiet(QUIET);
    assert!(state(&sim).contains("unknown"), "{}", state(&sim));
    sim.server.next_phase();
    watch.expect_quiet(QUIET);
    assert!(state(&sim).contains("normal"), "{}", state(&sim));
    assert!(watch.exited().is_none());
    assert!(watch.terminate().success());
}

#[test]
fn suspend_and_resume_picks_up_what_happened_meanwhile() {
    let sim = Sim::from_toml(&fault("{ error = 10007, http_status = 503 }", "\"ok\"", ""));
    let mut watch = sim.watch(&[]);
    watch.expect(&["monitor_started normal"], WAIT);
    let pid = watch.pid().to_string();
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    sim.server.next_phase();
    std::thread::sleep(Duration::from_secs(3));
    assert!(Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    watch.expect(&["maintenance_started maintenance"], WAIT);
    assert!(watch.terminate().success());
}

fn assert_terminal_safe(text: &str) {
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\r'] {
        assert!(
            !text.contains(bad),
            "{bad:?} reached the terminal: {text:?}"
        );
    }
    assert!(!text.contains("\n2026-01-01"), "a forged line: {text:?}");
}

#[test]
fn status_strings_from_the_server_never_reach_the_terminal_raw() {
    let escaped = "\\u001b]0;pwned\\u0007\\u001b[2J\\n2026-01-01 00:00:00 Maintenance ended";
    let sim = Sim::from_toml(&fault(
        "\"ok\"",
        "\"ok\"",
        &format!("status = {{ btc_jpy = \"{escaped}\" }}"),
    ));
    let mut watch = Watch::spawn(sim.bbwatch(&[
        "watch",
        "--lang",
        "en",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy",
    ]));
    watch.next_line(WAIT).expect("monitor started");
    sim.server.next_phase();
    for _ in 0..2 {
        let line = watch.next_line(WAIT).expect("an event line");
        assert_terminal_safe(&line);
    }
    watch.expect_quiet(QUIET);
    let status = sim.status(&["--lang", "en", "--pairs", "btc_jpy"]);
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(text.contains("btc_jpy"), "{text}");
    assert_terminal_safe(&text);
    assert!(watch.terminate().success());
}

#[test]
fn pair_names_from_the_server_are_validated_and_never_requested() {
    let sim = Sim::from_toml(
        "[[phases]]\nname = \"hostile\"\n\
         extra_pairs = [\"../../_fake/next\", \"x_jpy?a=1\", \"\\u001b]0;pwned\\u0007_jpy\", \"btc_jpy/../../v1\", \"\"]\n",
    );
    let out = sim.status(&["--lang", "en", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let snapshot: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs = snapshot["pairs"].as_object().unwrap();
    assert!(pairs.contains_key("btc_jpy"));
    for name in pairs.keys() {
        bbwatch_core_rule(name);
    }
    // One circuit_break_info per tradable, valid pair, none for the hostile names.
    let requested = sim.server.stats().requests.circuit_break_info;
    assert_eq!(requested as usize, pairs.len());
}

/// The pair-name rule, restated: `[a-z0-9]+_[a-z0-9]+`.
fn bbwatch_core_rule(name: &str) {
    let (a, b) = name.split_once('_').unwrap();
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    assert!(ok(a) && ok(b), "{name:?}");
}

#[test]
fn ten_thousand_tradable_pairs_make_a_bounded_number_of_requests() {
    let sim = Sim::from_toml("[[phases]]\nname = \"many\"\ngenerated_pairs = 10000\n");
    let out = sim.status(&["--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let snapshot: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snapshot["pairs"].as_object().unwrap().len(), 200);
    assert_eq!(sim.server.stats().requests.circuit_break_info, 200);
    let mut watch = sim.watch(&[]);
    watch.expect(&["monitor_started normal"], WAIT);
    watch.expect_quiet(QUIET);
    assert!(watch.terminate().success());
}

// ---- output and shutdown ----

#[test]
fn watch_exits_non_zero_when_stdout_fails() {
    let sim = Sim::start("normal");
    let out = sim
        .bbwatch(&["watch", "--interval", "1s", "--timeout", "2s"])
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
}

#[test]
fn watch_notices_a_closed_pipe_while_the_state_is_stable() {
    let sim = Sim::start("normal");
    let mut child = sim
        .bbwatch(&["watch", "--interval", "1s", "--timeout", "2s"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("started"), "{first}");
    // The reader is gone (dropped above); nothing more will be written: the state is stable.
    let status = exit_within_20s(&mut child, "bbwatch did not notice its reader went away");
    assert!(status.success(), "a closed pipe is a normal end: {status}");
}

#[test]
fn a_reader_that_stops_reading_blocks_neither_the_monitor_nor_sigterm() {
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    let sim = Sim::start("pair-busy");
    let (ours, theirs) = UnixStream::pair().unwrap();
    // Fill the socket until a write would block: bbwatch's first line will block forever.
    let filler = ours.try_clone().unwrap();
    filler.set_nonblocking(true).unwrap();
    let chunk = [b'x'; 4096];
    while (&filler).write(&chunk).is_ok() {}
    // O_NONBLOCK belongs to the shared file description: give bbwatch a blocking stdout.
    filler.set_nonblocking(false).unwrap();
    let mut child = sim
        .bbwatch(&["watch", "--interval", "1s", "--timeout", "2s"])
        .stdout(Stdio::from(OwnedFd::from(ours)))
        .spawn()
        .unwrap();
    // Let it poll and get stuck writing (pair-busy changes phase after a few seconds).
    std::thread::sleep(Duration::from_secs(4));
    assert!(child.try_wait().unwrap().is_none());
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = exit_within_20s(
        &mut child,
        "SIGTERM was ineffective while stdout was blocked",
    );
    assert!(status.success(), "{status}");
    drop((filler, theirs));
}

// ---- smaller ones ----

#[test]
fn a_fifo_as_config_file_is_an_error_not_a_hang() {
    let dir = empty_dir();
    std::fs::create_dir_all(dir.join("bbwatch")).unwrap();
    let fifo = dir.join("bbwatch").join("config.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let sim = Sim::start("normal");
    for named in [true, false] {
        let mut cmd = sim.bbwatch(&["status"]);
        if named {
            cmd.arg("--config").arg(&fifo);
        }
        let out = cmd.env("XDG_CONFIG_HOME", &dir).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

#[test]
fn a_relative_xdg_config_home_does_not_load_from_the_working_directory() {
    let cwd = empty_dir();
    std::fs::create_dir_all(cwd.join("rel/bbwatch")).unwrap();
    std::fs::write(
        cwd.join("rel/bbwatch/config.toml"),
        "interval = \"broken\"\n",
    )
    .unwrap();
    let sim = Sim::start("normal");
    let out = sim
        .bbwatch(&["status"])
        .current_dir(&cwd)
        .env("XDG_CONFIG_HOME", "rel")
        .env("HOME", empty_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_timeout_below_the_minimum_is_a_usage_error() {
    let sim = Sim::start("normal");
    for t in ["1ms", "999ms"] {
        let out = sim.bbwatch(&["status", "--timeout", t]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{t}");
    }
    let out = sim
        .bbwatch(&["watch", "--interval", "18446744073709551615s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn credentials_in_a_url_never_reach_the_logs_and_logs_to_a_pipe_have_no_colours() {
    let sim = Sim::from_toml(&fault("{ html = 503 }", "\"ok\"", ""));
    sim.server.next_phase();
    let api = sim
        .server
        .api_url()
        .replace("http://", "http://alice:s3cret@");
    let public = sim
        .server
        .public_url()
        .replace("http://", "http://bob:hunter2@");
    let out = bbwatch_at(&api, &public, &["status", "-vv", "--timeout", "2s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(12));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("request failed"), "{stderr}");
    for secret in ["s3cret", "hunter2", "alice", "bob:"] {
        assert!(!stderr.contains(secret), "{secret} in {stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes into a pipe: {stderr:?}"
    );
}
