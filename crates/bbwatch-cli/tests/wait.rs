//! `bbwatch wait` end to end against fake-bitbank: at once when bitbank is usable, through a
//! maintenance, exit 1 at `--max-wait`, 130 on Ctrl-C, 2 on a bad flag.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::Sim;

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(40);

const MAINTENANCE_THEN_NORMAL: &str = r#"
[[phases]]
name = "maintenance"
duration = "1h"
api = { error = 10007, http_status = 200 }

[[phases]]
name = "recovered"
"#;

fn wait_cmd(sim: &Sim, extra: &[&str]) -> Command {
    let mut args = vec![
        "wait",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--lang",
        "en",
    ];
    args.extend_from_slice(extra);
    let mut cmd = sim.bbwatch(&args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Its exit within `within`, with what it wrote on stdout and stderr.
fn finish(mut child: Child, within: Duration) -> (ExitStatus, String, String) {
    let deadline = Instant::now() + within;
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status,
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("bbwatch wait did not return within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Once bitbank's api host has seen `n` polls (within [`WAIT`]).
fn polled(sim: &Sim, n: u64) {
    let deadline = Instant::now() + WAIT;
    while sim.server.stats().requests.spot_status < n {
        assert!(Instant::now() < deadline, "only {:?}", sim.server.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn returns_at_once_when_bitbank_is_normal() {
    let sim = Sim::start("normal");
    let (status, stdout, stderr) = finish(wait_cmd(&sim, &[]).spawn().unwrap(), WAIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("bitbank: Normal (waited"), "{stderr}");
    assert_eq!(stdout, "", "wait prints nothing on stdout");
}

#[test]
fn waits_through_a_maintenance_and_returns_when_it_ends() {
    let sim = Sim::from_toml(MAINTENANCE_THEN_NORMAL);
    let mut child = wait_cmd(&sim, &["--max-wait", "10m"]).spawn().unwrap();
    // Several polls see the maintenance; it goes on waiting.
    polled(&sim, 3);
    assert!(
        child.try_wait().unwrap().is_none(),
        "returned during the maintenance"
    );
    sim.server.next_phase();
    let (status, _, stderr) = finish(child, WAIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("bitbank: Normal"), "{stderr}");
}

#[test]
fn not_maintenance_accepts_a_degraded_bitbank() {
    let sim = Sim::from_toml(
        "[[phases]]\nname = \"busy\"\nduration = \"1h\"\nstatus = { btc_jpy = \"BUSY\" }\n",
    );
    let (status, _, stderr) = finish(
        wait_cmd(&sim, &["--pairs", "btc_jpy", "--until", "not-maintenance"])
            .spawn()
            .unwrap(),
        WAIT,
    );
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("bitbank: Degraded"), "{stderr}");
}

#[test]
fn gives_up_at_max_wait() {
    let sim = Sim::from_toml(MAINTENANCE_THEN_NORMAL);
    let started = Instant::now();
    let (status, _, stderr) = finish(wait_cmd(&sim, &["--max-wait", "3s"]).spawn().unwrap(), WAIT);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(
        stderr.contains("bitbank: still Maintenance after"),
        "{stderr}"
    );
    // A degraded bitbank is not normal either.
    let busy = Sim::from_toml(
        "[[phases]]\nname = \"busy\"\nduration = \"1h\"\nstatus = { btc_jpy = \"BUSY\" }\n",
    );
    let (status, _, stderr) = finish(
        wait_cmd(&busy, &["--pairs", "btc_jpy", "--max-wait", "3s"])
            .spawn()
            .unwrap(),
        WAIT,
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
}

#[test]
fn ctrl_c_exits_130() {
    let sim = Sim::from_toml(MAINTENANCE_THEN_NORMAL);
    let child = wait_cmd(&sim, &[]).spawn().unwrap();
    // It is waiting (and so listening for Ctrl-C) once it has polled.
    polled(&sim, 2);
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let (status, _, stderr) = finish(child, WAIT);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped waiting"), "{stderr}");
}

#[test]
fn bad_flags_exit_2() {
    let sim = Sim::start("normal");
    for extra in [["--until", "soon"], ["--max-wait", "forever"]] {
        let out = wait_cmd(&sim, &extra).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
    }
}
