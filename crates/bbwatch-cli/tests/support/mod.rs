//! Runs the real `bbwatch` binary against an in-process fake-bitbank on 127.0.0.1.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::Value;

/// A simulator with the runtime that serves it.
pub struct Sim {
    pub rt: tokio::runtime::Runtime,
    pub server: FakeBitbank,
}

impl Sim {
    pub fn start(scenario: &str) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario =
            Scenario::builtin(scenario).unwrap_or_else(|| panic!("no scenario {scenario}"));
        let server = rt
            .block_on(FakeBitbank::start(scenario, Options::default()))
            .unwrap();
        Sim { rt, server }
    }

    /// A simulator playing the scenario `text` (TOML).
    pub fn from_toml(text: &str) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::from_toml(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let server = rt
            .block_on(FakeBitbank::start(scenario, Options::default()))
            .unwrap();
        Sim { rt, server }
    }

    pub fn phase(&self) -> String {
        self.server.phase().1
    }

    /// A `bbwatch` command aimed at this simulator, with an empty config directory.
    pub fn bbwatch(&self, args: &[&str]) -> Command {
        bbwatch_at(&self.server.api_url(), &self.server.public_url(), args)
    }
}

/// A `bbwatch` command aimed at these hosts, with an empty config directory.
pub fn bbwatch_at(api_url: &str, public_url: &str, args: &[&str]) -> Command {
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bbwatch"));
        cmd.args(args)
            .args(["--api-url", api_url, "--public-url", public_url])
            .env("XDG_CONFIG_HOME", empty_dir())
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env_remove("LC_ALL")
            .env_remove("BBWATCH_API_URL")
            .env_remove("BBWATCH_PUBLIC_URL")
            .env_remove("BBWATCH_LOG");
        cmd
    }
}

impl Sim {
    /// `bbwatch watch --json` at a 1 s interval.
    pub fn watch(&self, extra: &[&str]) -> Watch {
        let mut args = vec!["watch", "--json", "--interval", "1s", "--timeout", "2s"];
        args.extend_from_slice(extra);
        Watch::spawn(self.bbwatch(&args))
    }

    /// `bbwatch status` with the given extra flags.
    pub fn status(&self, extra: &[&str]) -> Output {
        let mut args = vec!["status", "--timeout", "2s"];
        args.extend_from_slice(extra);
        self.bbwatch(&args).output().unwrap()
    }
}

/// A fresh, empty directory under the system temp dir.
pub fn empty_dir() -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("bbwatch-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `bbwatch watch`, its stdout read line by line.
pub struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Watch {
    pub fn spawn(mut cmd: Command) -> Watch {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited (without waiting).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// The next stdout line within `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// The next event, parsed.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        let line = self.next_line(timeout)?;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
    }

    /// Read events until `expected` (summaries, see [`summary`]) have all arrived in order;
    /// returns the events. Fails on the first one that differs, or after `timeout`.
    pub fn expect(&mut self, expected: &[&str], timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        for want in expected {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .next_event(left)
                .unwrap_or_else(|| panic!("waited for {want:?}; got only {:#?}", self.seen));
            assert_eq!(summary(&event), *want, "events so far: {:#?}", self.seen);
            events.push(event);
        }
        events
    }

    /// Assert nothing more is printed for `quiet`.
    pub fn expect_quiet(&mut self, quiet: Duration) {
        if let Some(line) = self.next_line(quiet) {
            panic!("unexpected extra event {line}; all: {:#?}", self.seen);
        }
    }

    /// Stop it with SIGTERM and return its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("bbwatch did not exit on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kind level` for level events, `pair_changed PAIR STATE` for pair events.
pub fn summary(event: &Value) -> String {
    let s = |k: &str| event[k].as_str().unwrap_or("null").to_owned();
    if s("kind") == "pair_changed" {
        format!("pair_changed {} {}", s("pair"), s("pair_state"))
    } else {
        format!("{} {}", s("kind"), s("level"))
    }
}
