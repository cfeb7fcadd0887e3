//! docs/bots.md, run: every example it shows is a file of the repository (checked byte for
//! byte), and each file is run here against fake-bitbank with a stand-in `my-bot` on `PATH`
//! that records what it was asked to do.
// Unix only: the examples are shell scripts, found through symlinks on PATH.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{empty_dir, write_private, Sim, MAINTENANCE};

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    repo().join("docs/examples").join(name)
}

/// A directory for `PATH` with `bbwatch` and a `my-bot` that appends its arguments to
/// `bot.log` beside it.
struct Bin {
    dir: PathBuf,
}

impl Bin {
    fn new() -> Bin {
        let dir = empty_dir();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_bbwatch"), dir.join("bbwatch")).unwrap();
        let bot = dir.join("my-bot");
        std::fs::write(
            &bot,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {:?}\n",
                dir.join("bot.log")
            ),
        )
        .unwrap();
        std::fs::set_permissions(&bot, std::fs::Permissions::from_mode(0o755)).unwrap();
        Bin { dir }
    }

    fn path(&self) -> String {
        format!("{}:{}", self.dir.display(), std::env::var("PATH").unwrap())
    }

    /// What `my-bot` was asked, in order.
    fn asked(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("bot.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_for(&self, want: &[&str]) {
        let deadline = Instant::now() + WAIT;
        while self.asked() != want {
            assert!(
                Instant::now() < deadline,
                "my-bot was asked {:?}, not {want:?}",
                self.asked()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `command` in an environment aimed at `sim`: bbwatch and my-bot on `PATH`, empty config and
/// data directories, its own process group (so a test can stop a script and what it runs).
fn aimed(mut command: Command, sim: &Sim, bin: &Bin) -> Command {
    command
        .env("PATH", bin.path())
        .env("BBWATCH_API_URL", sim.server.api_url())
        .env("BBWATCH_PUBLIC_URL", sim.server.public_url())
        .env("BBWATCH_STREAM_URL", sim.server.stream_url())
        .env("XDG_CONFIG_HOME", empty_dir())
        .env("XDG_DATA_HOME", empty_dir())
        .env("LANG", "C.UTF-8")
        .env_remove("BBWATCH_LOG")
        .process_group(0);
    command
}

/// A child killed with its process group when the test ends, however it ends.
struct Group(Child);

impl Group {
    fn spawn(mut command: Command) -> Group {
        Group(command.spawn().unwrap())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:`port`: the status code and the body, or `None` while nothing
/// answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

fn wait_until_serving(port: u16) {
    let deadline = Instant::now() + WAIT;
    while get(port, "/v1/status").is_none() {
        assert!(Instant::now() < deadline, "nothing answers on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `bbwatch serve` on `port`, aimed at `sim`.
fn serve(sim: &Sim, bin: &Bin, port: u16) -> Group {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bbwatch"));
    command.args([
        "serve",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let served = Group::spawn(aimed(command, sim, bin));
    wait_until_serving(port);
    served
}

/// Through MAINTENANCE's phases: the bot is left alone while bitbank is normal, paused when
/// the maintenance starts, resumed when it ends.
fn pauses_then_resumes(sim: &Sim, bin: &Bin) {
    std::thread::sleep(Duration::from_secs(3));
    assert!(bin.asked().is_empty(), "normal: the bot is left alone");
    sim.server.next_phase();
    bin.wait_for(&["pause"]);
    sim.server.next_phase();
    bin.wait_for(&["pause", "resume"]);
}

/// Each `<!-- file: PATH -->` of docs/bots.md is followed by a fenced block holding PATH's
/// text exactly.
#[test]
fn every_example_in_bots_md_is_the_file_it_names() {
    let doc = std::fs::read_to_string(repo().join("docs/bots.md")).unwrap();
    let mut shown = 0;
    for part in doc.split("<!-- file: ").skip(1) {
        let (path, rest) = part.split_once(" -->\n").unwrap();
        let rest = rest.strip_prefix("```").unwrap();
        let (_lang, rest) = rest.split_once('\n').unwrap();
        let (code, _) = rest.split_once("```\n").unwrap();
        let file = std::fs::read_to_string(repo().join(path))
            .unwrap_or_else(|e| panic!("docs/bots.md shows {path}: {e}"));
        assert_eq!(
            code, file,
            "docs/bots.md's copy of {path} differs from the file"
        );
        shown += 1;
    }
    assert_eq!(shown, 10, "the ten examples of docs/bots.md");
}

#[test]
fn the_status_loop_pauses_the_bot_during_maintenance_and_resumes_it_after() {
    let sim = Sim::from_toml(MAINTENANCE);
    let bin = Bin::new();
    let mut command = Command::new("sh");
    command
        .arg(example("status-loop.sh"))
        .env("CHECK_EVERY", "1");
    let _looping = Group::spawn(aimed(command, &sim, &bin));
    pauses_then_resumes(&sim, &bin);
}

#[test]
fn wait_then_start_starts_the_bot_only_once_the_maintenance_is_over() {
    let sim = Sim::from_toml(MAINTENANCE);
    sim.server.next_phase();
    let bin = Bin::new();
    let mut command = Command::new("sh");
    command.arg(example("wait-then-start.sh"));
    let mut waiting = Group::spawn(aimed(command, &sim, &bin));
    std::thread::sleep(Duration::from_secs(4));
    assert!(waiting.0.try_wait().unwrap().is_none(), "still waiting");
    assert!(bin.asked().is_empty(), "not started during the maintenance");
    sim.server.next_phase();
    bin.wait_for(&["start"]);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = waiting.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the script did not end");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn the_hook_script_pauses_the_bot_and_resumes_it() {
    let sim = Sim::from_toml(MAINTENANCE);
    let bin = Bin::new();
    let config = empty_dir().join("config.toml");
    write_private(
        &config,
        &format!(
            "[[hooks]]\non = [\"maintenance_started\", \"maintenance_ended\", \"down_started\", \"down_ended\"]\ncommand = [{:?}]\ntimeout = \"30s\"\n",
            example("pause-bot-hook.sh").canonicalize().unwrap()
        ),
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_bbwatch"));
    command
        .args(["watch", "--json", "--interval", "1s", "--timeout", "2s"])
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null());
    let _watching = Group::spawn(aimed(command, &sim, &bin));
    pauses_then_resumes(&sim, &bin);
}

/// A consumer of `/v1/events` pauses and resumes the bot, and one that connects while a
/// maintenance is under way pauses at once (the stream's first events say so).
fn consumer_follows_the_maintenance(consumer: Command) {
    let sim = Sim::from_toml(MAINTENANCE);
    let bin = Bin::new();
    let port = free_port();
    let _served = serve(&sim, &bin, port);
    let mut consumer = aimed(consumer, &sim, &bin);
    consumer.env("BBWATCH_URL", format!("http://127.0.0.1:{port}"));
    let _following = Group::spawn(consumer);
    pauses_then_resumes(&sim, &bin);
}

#[test]
fn the_python_consumer_pauses_the_bot_and_resumes_it() {
    let mut command = Command::new("python3");
    command.arg(example("follow_events.py"));
    consumer_follows_the_maintenance(command);
}

#[test]
fn the_rust_consumer_pauses_the_bot_and_resumes_it() {
    // Examples are built with the tests, beside them: target/<profile>/examples/.
    let deps = std::env::current_exe().unwrap();
    let built = deps
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/follow_events");
    assert!(built.exists(), "{} is not built", built.display());
    consumer_follows_the_maintenance(Command::new(built));
}

#[test]
fn the_systemd_unit_is_valid_and_its_command_serves_the_api() {
    let unit = std::fs::read_to_string(example("bbwatch.service")).unwrap();
    // systemd's own check, with the unit's %h a home where bbwatch is installed as it says.
    let home = empty_dir();
    std::fs::create_dir_all(home.join(".cargo/bin")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_bbwatch"),
        home.join(".cargo/bin/bbwatch"),
    )
    .unwrap();
    let runtime = empty_dir();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let units = empty_dir();
    std::fs::write(units.join("bbwatch.service"), &unit).unwrap();
    let verified = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(units.join("bbwatch.service"))
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("systemd-analyze (Debian's systemd package)");
    assert!(
        verified.status.success(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // Its ExecStart, as systemd would run it, on a free port of its own.
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .replace("%h", home.to_str().unwrap());
    let port = free_port();
    let mut argv: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
    let listen = argv.iter().position(|a| a == "--listen").unwrap() + 1;
    assert_eq!(
        argv[listen], "127.0.0.1:8765",
        "the unit listens on loopback"
    );
    argv[listen] = format!("127.0.0.1:{port}");
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).args(["--interval", "1s"]);
    let sim = Sim::from_toml(MAINTENANCE);
    let bin = Bin::new();
    let _served = Group::spawn(aimed(command, &sim, &bin));
    wait_until_serving(port);
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = get(port, "/v1/status").unwrap();
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        if answer["snapshot"]["level"] == "normal" {
            assert_eq!(answer["exit_code"], 0, "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "never normal: {answer}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
