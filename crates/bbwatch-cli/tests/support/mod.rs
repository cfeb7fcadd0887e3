//! Runs the real `bbwatch` binary against an in-process fake-bitbank on 127.0.0.1.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[cfg(unix)]
pub mod group;

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

    /// A simulator playing the scenario `text` (TOML), its stream pinging every
    /// `ping_interval` and closing a client that does not answer within the same time.
    pub fn streaming(text: &str, ping_interval: Duration) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::from_toml(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let options = Options {
            ping_interval,
            ping_timeout: ping_interval,
            ..Options::default()
        };
        let server = rt.block_on(FakeBitbank::start(scenario, options)).unwrap();
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

    /// A `bbwatch` command aimed at this simulator, with an empty config directory, polling
    /// over REST only (`--no-stream`).
    pub fn bbwatch(&self, args: &[&str]) -> Command {
        bbwatch_at(&self.server.api_url(), &self.server.public_url(), args)
    }

    /// A `bbwatch` command aimed at this simulator, its stream included.
    pub fn bbwatch_streaming(&self, args: &[&str]) -> Command {
        let mut cmd = bbwatch_base(&self.server.api_url(), &self.server.public_url(), args);
        cmd.args(["--stream-url", &self.server.stream_url()]);
        cmd
    }
}

/// A `bbwatch` command aimed at these hosts, with an empty config directory and an empty
/// data directory (the history goes there, never into the real one), and no stream (it would
/// otherwise reach bitbank's real one).
pub fn bbwatch_at(api_url: &str, public_url: &str, args: &[&str]) -> Command {
    let mut cmd = bbwatch_base(api_url, public_url, args);
    cmd.arg("--no-stream");
    cmd
}

/// The Windows `bbwatch.exe` to test instead of the native binary, and the Wine loader that
/// runs it (`scripts/wine-tests.sh` sets both, with a Wine prefix of the tests' own).
const WINE_EXE: &str = "BBWATCH_TEST_WINE_EXE";
const WINE_LOADER: &str = "BBWATCH_TEST_WINE";

/// Whether these tests run the Windows `bbwatch.exe` under Wine.
pub fn under_wine() -> bool {
    std::env::var_os(WINE_EXE).is_some()
}

/// A command running `bbwatch` with no arguments yet: the native binary, or under Wine the
/// Windows one.
pub fn bbwatch_program() -> Command {
    match std::env::var_os(WINE_EXE) {
        Some(exe) => {
            let loader = std::env::var_os(WINE_LOADER)
                .unwrap_or_else(|| panic!("{WINE_EXE} is set but not {WINE_LOADER}"));
            let mut cmd = Command::new(loader);
            cmd.arg(exe);
            cmd
        }
        None => Command::new(env!("CARGO_BIN_EXE_bbwatch")),
    }
}

/// `path` as the program under test names it: as is, or under Wine the same file on the
/// `Z:` drive (Wine's view of `/`).
pub fn arg_path(path: &std::path::Path) -> String {
    let unix = path.to_str().unwrap();
    if under_wine() {
        format!("Z:{}", unix.replace('/', "\\"))
    } else {
        unix.to_owned()
    }
}

/// Where the configuration and the history are looked for by default, per platform.
pub trait Homes {
    /// The directory holding `bbwatch/config.toml`: `$XDG_CONFIG_HOME`, on Windows
    /// `%APPDATA%`.
    fn config_home(&mut self, dir: &std::path::Path) -> &mut Self;
    /// The directory holding `bbwatch/history.sqlite3`: `$XDG_DATA_HOME`, on Windows
    /// `%LOCALAPPDATA%`.
    fn data_home(&mut self, dir: &std::path::Path) -> &mut Self;
}

impl Homes for Command {
    fn config_home(&mut self, dir: &std::path::Path) -> &mut Self {
        if under_wine() {
            self.env("APPDATA", arg_path(dir))
        } else {
            self.env("XDG_CONFIG_HOME", dir)
        }
    }

    fn data_home(&mut self, dir: &std::path::Path) -> &mut Self {
        if under_wine() {
            self.env("LOCALAPPDATA", arg_path(dir))
        } else {
            self.env("XDG_DATA_HOME", dir)
        }
    }
}

/// How a test asks `bbwatch` to stop: SIGTERM, or under Wine SIGINT, which Wine turns into
/// the Ctrl-C a Windows console program gets (Windows has no SIGTERM).
pub fn stop_signal() -> &'static str {
    if under_wine() {
        "-INT"
    } else {
        "-TERM"
    }
}

/// [`bbwatch_at`] without `--no-stream`: the caller says where the stream is.
pub fn bbwatch_base(api_url: &str, public_url: &str, args: &[&str]) -> Command {
    {
        let mut cmd = bbwatch_program();
        cmd.args(args)
            .args(["--api-url", api_url, "--public-url", public_url])
            .config_home(&empty_dir())
            .data_home(&empty_dir())
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env_remove("LC_ALL")
            .env_remove("BBWATCH_API_URL")
            .env_remove("BBWATCH_PUBLIC_URL")
            .env_remove("BBWATCH_STREAM_URL")
            .env_remove("BBWATCH_API_KEY")
            .env_remove("BBWATCH_API_SECRET")
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

    /// `bbwatch watch --json` at a 1 s interval, recording its history in `data_dir`
    /// (`$XDG_DATA_HOME`); stderr is kept (see [`Watch::stderr`]).
    pub fn watch_in(&self, data_dir: &std::path::Path, extra: &[&str]) -> Watch {
        let mut args = vec!["watch", "--json", "--interval", "1s", "--timeout", "2s"];
        args.extend_from_slice(extra);
        let mut cmd = self.bbwatch(&args);
        cmd.data_home(data_dir);
        Watch::spawn_keeping_stderr(cmd)
    }

    /// `bbwatch history ARGS` on the history in `data_dir`.
    pub fn history(&self, data_dir: &std::path::Path, args: &[&str]) -> Output {
        let mut all = vec!["history"];
        all.extend_from_slice(args);
        self.bbwatch(&all).data_home(data_dir).output().unwrap()
    }

    /// `bbwatch status` with the given extra flags.
    pub fn status(&self, extra: &[&str]) -> Output {
        let mut args = vec!["status", "--timeout", "2s"];
        args.extend_from_slice(extra);
        self.bbwatch(&args).output().unwrap()
    }
}

/// normal → maintenance → normal, each phase until the test moves on.
pub const MAINTENANCE: &str = r#"
[[phases]]
name = "normal"
duration = "1h"

[[phases]]
name = "maintenance"
duration = "1h"
api = { error = 10007, http_status = 200 }

[[phases]]
name = "recovered"
"#;

/// A fresh, empty directory under the system temp dir, mode 0700 whatever the umask: a
/// configuration file in a directory others can write has its hooks, webhooks and API token
/// refused.
pub fn empty_dir() -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("bbwatch-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

/// `dir` and the directories above it that are missing, mode 0700 whatever the umask.
pub fn private_dir(dir: &std::path::Path) {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).unwrap();
}

/// `text` written to `path`, mode 0600 whatever the umask (a configuration file with hooks,
/// webhooks or a token, or a token file, must be its owner's alone).
pub fn write_private(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// `text` written to `dir/name` with the permission bits `mode` (0o600 for a key file, 0o755
/// for a script; Unix only); its path.
pub fn write_file(dir: &std::path::Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

/// A running `bbwatch watch`, its stdout read line by line.
pub struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    stderr: Option<std::sync::Arc<std::sync::Mutex<String>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    pub fn spawn(cmd: Command) -> Watch {
        Watch::start(cmd, false)
    }

    /// As [`Watch::spawn`], keeping what it writes on stderr (and passing it on).
    pub fn spawn_keeping_stderr(cmd: Command) -> Watch {
        Watch::start(cmd, true)
    }

    fn start(mut cmd: Command, keep_stderr: bool) -> Watch {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(if keep_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .unwrap();
        let mut stderr_reader = None;
        let stderr = child.stderr.take().map(|pipe| {
            let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            let kept = text.clone();
            stderr_reader = Some(std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    let mut t = kept.lock().unwrap();
                    t.push_str(&line);
                    t.push('\n');
                }
            }));
            text
        });
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
            stderr,
            stderr_reader,
        }
    }

    /// What it wrote on stderr so far (with [`Watch::spawn_keeping_stderr`]).
    pub fn stderr(&self) -> String {
        self.stderr
            .as_ref()
            .map(|t| t.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// Stop it with SIGTERM; its exit status and all it wrote on stderr.
    pub fn terminate_keeping_stderr(mut self) -> (std::process::ExitStatus, String) {
        let reader = self.stderr_reader.take();
        let text = self.stderr.clone();
        let status = self.terminate();
        if let Some(r) = reader {
            let _ = r.join();
        }
        let text = text.map(|t| t.lock().unwrap().clone()).unwrap_or_default();
        (status, text)
    }

    /// SIGKILL it, then read every line it had written before it died.
    pub fn kill_and_drain(&mut self) -> Vec<String> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        // The pipe still holds what it wrote; the reader ends at its end.
        while self.next_line(Duration::from_secs(10)).is_some() {}
        self.seen.clone()
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

    /// Stop it with SIGTERM (under Wine, Ctrl-C) and return its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args([stop_signal(), &pid]).status();
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
    } else if s("kind") == "asset_changed" {
        format!(
            "asset_changed {} {} deposit {} withdrawal {}",
            s("asset"),
            s("network"),
            s("deposit"),
            s("withdrawal")
        )
    } else {
        format!("{} {}", s("kind"), s("level"))
    }
}

/// A port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
