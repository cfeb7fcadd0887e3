//! The `fake-bitbank` binary: its stdout contract, --list, exit codes and clean shutdown.

// Test code: a failed unwrap is a failed test (clippy.toml only covers #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fake-bitbank");

fn http_get(host_port: &str, path: &str) -> String {
    let mut s = TcpStream::connect(host_port).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host_port}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Kills the child if the test panics before it exits, so no server outlives the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn prints_urls_serves_and_exits_cleanly_on_sigterm() {
    let mut guard = KillOnDrop(
        Command::new(BIN)
            .args(["--scenario", "pair-busy", "--speed", "30"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut api = String::new();
    let mut public = String::new();
    stdout.read_line(&mut api).unwrap();
    stdout.read_line(&mut public).unwrap();
    let mut stream = String::new();
    stdout.read_line(&mut stream).unwrap();
    let stream = stream
        .trim()
        .strip_prefix("stream_url=ws://")
        .unwrap()
        .to_string();
    assert!(stream.starts_with("127.0.0.1:"), "{stream}");
    let api = api
        .trim()
        .strip_prefix("api_url=http://")
        .unwrap()
        .to_string();
    let public = public
        .trim()
        .strip_prefix("public_url=http://")
        .unwrap()
        .to_string();
    let api_host = api.strip_suffix("/v1").unwrap();
    assert!(api_host.starts_with("127.0.0.1:"), "{api_host}");
    assert!(public.starts_with("127.0.0.1:"), "{public}");

    let status = http_get(api_host, "/v1/spot/status");
    assert!(status.starts_with("HTTP/1.1 200 OK\r\n"), "{status}");
    assert!(status.contains(r#""pair":"btc_jpy""#));
    let ticker = http_get(&public, "/btc_jpy/ticker");
    assert!(ticker.starts_with("HTTP/1.1 200 OK\r\n"), "{ticker}");

    // Then the other exchanges, one line each, in this order.
    for (name, path, needle) in [
        ("gmocoin", "/public/v1/status", r#""status":"OPEN""#),
        ("bitflyer", "/v1/gethealth", r#"{"status":"NORMAL"}"#),
        ("coincheck", "/api/exchange_status", r#""pair":"btc_jpy""#),
    ] {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let prefix = format!("{name}_url=http://");
        let host = line
            .trim()
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{line}"));
        assert!(
            host.starts_with("127.0.0.1:") && !host.ends_with('/'),
            "{line}"
        );
        let answer = http_get(host, path);
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains(needle), "{answer}");
    }

    // 3 s + 6 s at speed 30 = 300 ms until the last phase.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let stats = http_get(api_host, "/_fake/stats");
        if stats.contains(r#""phase":"recovered""#) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{stats}");
        std::thread::sleep(Duration::from_millis(50));
    }

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "only six lines on stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, expected) in
        lines
            .iter()
            .zip(["phase 0 normal", "phase 1 busy", "phase 2 recovered"])
    {
        let (time, rest) = line.split_once(' ').unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{line}");
        assert!(time.ends_with('Z'), "{line}");
        assert_eq!(rest, expected);
    }
}

#[test]
fn list_prints_every_builtin_with_its_description() {
    let out = Command::new(BIN).arg("--list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in fake_bitbank::Scenario::builtin_names() {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
        assert!(line.len() > name.len() + 10, "{line}");
    }
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--scenario", "no-such-scenario"][..],
        &["--speed", "0"],
        &["--speed", "-3"],
        &["--speed", "fast"],
        &["--api-port", "70000"],
        &["--gmocoin-port", "70000"],
        &["--bitflyer-port", "-1"],
        &["--coincheck-port", "x"],
        &["--holdings", "btc,nope"],
        &["--frobnicate"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = Command::new(BIN)
        .args(["--scenario", "no-such-scenario"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-such-scenario"), "{err}");
}

#[test]
fn account_flags_set_the_key_pair_and_holdings() {
    use hmac::{Hmac, Mac};
    let mut guard = KillOnDrop(
        Command::new(BIN)
            .args(["--api-key", "k", "--api-secret", "s", "--holdings", "sol"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut api = String::new();
    stdout.read_line(&mut api).unwrap();
    let api_host = api
        .trim()
        .strip_prefix("api_url=http://")
        .and_then(|a| a.strip_suffix("/v1"))
        .unwrap()
        .to_string();
    let nonce = "5";
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s").unwrap();
    mac.update(format!("{nonce}/v1/user/assets").as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut s = TcpStream::connect(&api_host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /v1/user/assets HTTP/1.1\r\nHost: {api_host}\r\nACCESS-KEY: k\r\n\
         ACCESS-NONCE: {nonce}\r\nACCESS-SIGNATURE: {signature}\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let assets = body["data"]["assets"].as_array().unwrap();
    let onhand = |name: &str| {
        assets.iter().find(|a| a["asset"] == name).unwrap()["onhand_amount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(onhand("sol") > 0.0, "{body}");
    assert_eq!(onhand("btc"), 0.0, "{body}");
}

#[test]
fn exchange_port_flags_pick_the_ports() {
    // Free ports, found by binding port 0 and letting go (a race only with other processes).
    let ports: Vec<u16> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect::<Vec<_>>()
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let args: Vec<String> = ["--gmocoin-port", "--bitflyer-port", "--coincheck-port"]
        .iter()
        .zip(&ports)
        .flat_map(|(flag, port)| [flag.to_string(), port.to_string()])
        .collect();
    let mut guard = KillOnDrop(
        Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let lines: Vec<String> = stdout.lines().take(6).map(Result::unwrap).collect();
    for (name, port) in ["gmocoin", "bitflyer", "coincheck"].iter().zip(&ports) {
        let expected = format!("{name}_url=http://127.0.0.1:{port}");
        assert!(lines.contains(&expected), "{expected} not in {lines:?}");
    }
}
