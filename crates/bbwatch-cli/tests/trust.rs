//! Who may configure programs and secrets, end to end with the real `bbwatch` against
//! fake-bitbank: a configuration file others can change (mode 0666, or in a 0777 or 1777
//! directory) has its `[[hooks]]` not run, its `[[webhooks]]` not sent and its API token not
//! used, each said on stderr with the file, its mode and the fix, while the rest of the file
//! applies; a token file others can read is refused; a chmod applies at once. The same files
//! made private work, which shows the tests can pass. Nothing reaches beyond loopback.
//! (A file owned by another user cannot be made without root: trust.rs's unit tests cover it.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{empty_dir, write_file, write_private, Sim, Watch, MAINTENANCE};

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(40);

/// Appends the event's kind to `$1`.
const RECORDER: &str = "#!/bin/sh\nprintf '%s\\n' \"$BBWATCH_KIND\" >> \"$1\"\n";

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Until `ok` holds, or fail saying `what`.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A small HTTP server on 127.0.0.1 that records the path of each request it gets and
/// answers 200.
struct Receiver {
    addr: SocketAddr,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let recorded = paths.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let recorded = recorded.clone();
                std::thread::spawn(move || answer(stream, &recorded));
            }
        });
        Receiver { addr, paths }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// Read one request (its head and its body), record its path, answer 200.
fn answer(stream: TcpStream, recorded: &Mutex<Vec<String>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let path = first.split_whitespace().nth(1).unwrap_or("").to_owned();
    recorded.lock().unwrap().push(path);
    let mut stream = stream;
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

/// One configuration under test: a file of mode `file_mode` in a directory of mode
/// `dir_mode`, with a hook recording into `log` and a webhook to `/{name}` of the receiver.
struct Case {
    name: &'static str,
    config: PathBuf,
    log: PathBuf,
}

impl Case {
    fn new(name: &'static str, file_mode: u32, dir_mode: u32, receiver: &Receiver) -> Case {
        let base = empty_dir();
        let recorder = write_file(&base, "record.sh", RECORDER, 0o755);
        let log = base.join("runs.log");
        let conf = base.join("conf");
        std::fs::create_dir(&conf).unwrap();
        let config = conf.join("config.toml");
        write_file(
            &conf,
            "config.toml",
            &format!(
                "language = \"ja\"\npairs = [\"btc_jpy\", \"eth_jpy\"]\n\n\
                 [[hooks]]\non = [\"maintenance_started\"]\ncommand = [{:?}, {:?}]\n\n\
                 [[webhooks]]\nurl = {:?}\non = [\"maintenance_started\"]\n",
                recorder.display().to_string(),
                log.display().to_string(),
                receiver.url(&format!("/{name}")),
            ),
            file_mode,
        );
        set_mode(&conf, dir_mode);
        Case { name, config, log }
    }

    fn config(&self) -> String {
        self.config.display().to_string()
    }

    /// The directory the file is in, as the message names it.
    fn dir(&self) -> String {
        std::fs::canonicalize(self.config.parent().unwrap())
            .unwrap()
            .display()
            .to_string()
    }

    fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        // No directory every user can write is left behind.
        if let Some(dir) = self.config.parent() {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
}

#[test]
fn only_a_config_nobody_else_can_change_runs_hooks_and_sends_webhooks() {
    let sim = Sim::from_toml(MAINTENANCE);
    let receiver = Receiver::start();
    let trusted = Case::new("trusted", 0o600, 0o700, &receiver);
    let untrusted = [
        Case::new("file-0666", 0o666, 0o700, &receiver),
        Case::new("file-0620", 0o620, 0o700, &receiver),
        Case::new("dir-0777", 0o600, 0o777, &receiver),
        Case::new("dir-1777", 0o600, 0o1777, &receiver),
    ];
    // What is said, and where the fix goes: the file, or its directory.
    let expected = [
        (untrusted[0].config(), "writable by every user (mode 0666)"),
        (untrusted[1].config(), "writable by its group (mode 0620)"),
        (untrusted[2].dir(), "writable by every user (mode 0777)"),
        // A sticky bit does not make it better.
        (untrusted[3].dir(), "writable by every user (mode 1777)"),
    ];

    // The rest of the file applies: its language and its two pairs (and the warning is said
    // by every command, not only by those that run hooks).
    let status = sim.status(&["--config", &untrusted[0].config()]);
    let (out, err) = (
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr),
    );
    assert_eq!(status.status.code(), Some(0), "{err}");
    assert!(out.contains("監視中の2銘柄はすべて通常"), "{out}");
    assert!(err.contains("key `hooks`: not run"), "{err}");

    let mut watches: Vec<Watch> = std::iter::once(&trusted)
        .chain(&untrusted)
        .map(|case| sim.watch_in(&empty_dir(), &["--config", &case.config()]))
        .collect();
    for watch in &mut watches {
        watch.expect(&["monitor_started normal"], WAIT);
    }
    sim.server.next_phase();
    for watch in &mut watches {
        watch.expect(&["maintenance_started maintenance"], WAIT);
    }
    // The trusted file's hook and webhook: proof that the maintenance was there to act on.
    eventually("the trusted hook", || trusted.runs().len() == 1);
    eventually("the trusted webhook", || {
        receiver.paths().contains(&"/trusted".to_owned())
    });
    // Time for any other to run, had it been going to.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(trusted.runs(), ["maintenance_started"]);
    assert_eq!(
        receiver.paths(),
        ["/trusted"],
        "webhooks of untrusted files"
    );
    for case in &untrusted {
        assert!(case.runs().is_empty(), "{}: {:?}", case.name, case.runs());
    }

    let mut watches = watches.into_iter();
    let (_, said) = watches.next().unwrap().terminate_keeping_stderr();
    assert!(
        !said.contains("not run") && !said.contains("not sent"),
        "{said}"
    );
    for ((case, watch), (at, what)) in untrusted.iter().zip(watches).zip(&expected) {
        let (_, said) = watch.terminate_keeping_stderr();
        let shown = case.config();
        for (line, key, verb) in [(4, "hooks", "not run"), (8, "webhooks", "not sent")] {
            let want = format!(
                "bbwatch: warning: {shown}: line {line}, key `{key}`: {verb}: {at} is {what}"
            );
            assert!(said.contains(&want), "{}: no {want:?} in {said}", case.name);
        }
        assert!(
            said.contains("so others could make bbwatch run programs as you")
                && said.contains(&format!("run `chmod go-w {at}`")),
            "{}: {said}",
            case.name
        );
    }
}

/// Run `cmd`, which should refuse to start: its exit code (`None` when it was still running
/// after 20 s, and was killed) and its stderr.
fn refused(mut cmd: std::process::Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (code, reader.join().unwrap())
}

/// `GET path` at `addr` without a token: the status code.
fn status_code(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut first = String::new();
    BufReader::new(stream).read_line(&mut first).unwrap();
    first.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_token_others_could_read_or_choose_is_never_used() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let token = write_file(&dir, "token", "s3cret-from-a-file\n", 0o644);
    let config = dir.join("config.toml");
    write_private(
        &config,
        &format!("[api]\ntoken_file = {:?}\n", token.display().to_string()),
    );
    let serve = |listen: &str, config: &Path| {
        refused(sim.bbwatch(&[
            "serve",
            "--listen",
            listen,
            "--config",
            config.to_str().unwrap(),
        ]))
    };
    // Readable by every user: not served at all, on loopback as on a public address (never
    // served without the token asked for).
    let shown = token.display();
    for listen in ["127.0.0.1:0", "0.0.0.0:0"] {
        let (code, err) = serve(listen, &config);
        assert_eq!(code, Some(2), "{listen}: {err}");
        assert!(
            err.contains("key `api.token_file`: not used, and the local API not served")
                && err.contains(&format!("{shown} is readable by every user (mode 0644)"))
                && err.contains(&format!("run `chmod 600 {shown}`")),
            "{listen}: {err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }

    // A token in a configuration file others can change: the same.
    let open = empty_dir().join("config.toml");
    write_file(
        open.parent().unwrap(),
        "config.toml",
        "[api]\ntoken = \"chosen-by-someone-else\"\n",
        0o666,
    );
    for listen in ["127.0.0.1:0", "0.0.0.0:0"] {
        let (code, err) = serve(listen, &open);
        assert_eq!(code, Some(2), "{listen}: {err}");
        let want = format!(
            "key `api.token`: not used, and the local API not served: {} is writable by every \
             user (mode 0666)",
            open.display()
        );
        assert!(err.contains(&want), "{listen}: no {want:?} in {err}");
    }

    // Mended: served, and the token asked for.
    set_mode(&token, 0o600);
    let mut cmd = sim.bbwatch(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    cmd.env("XDG_DATA_HOME", empty_dir());
    let watch = Watch::spawn_keeping_stderr(cmd);
    let mut addr = None;
    eventually("bbwatch serve to listen", || {
        addr = watch.stderr().lines().find_map(|l| {
            l.strip_prefix("bbwatch: listening on http://")
                .and_then(|a| a.parse::<SocketAddr>().ok())
        });
        addr.is_some()
    });
    assert_eq!(status_code(addr.unwrap(), "/v1/status"), 401);
    let (_, said) = watch.terminate_keeping_stderr();
    assert!(!said.contains("not used"), "{said}");
}

#[test]
fn a_chmod_applies_at_once_either_way() {
    let sim = Sim::from_toml(MAINTENANCE);
    let base = empty_dir();
    let recorder = write_file(&base, "record.sh", RECORDER, 0o755);
    let log = base.join("runs.log");
    let config = write_file(
        &base,
        "config.toml",
        &format!(
            "[[hooks]]\non = [\"maintenance_started\", \"maintenance_ended\"]\n\
             command = [{:?}, {:?}]\n",
            recorder.display().to_string(),
            log.display().to_string()
        ),
        0o666,
    );
    let runs = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let shown = config.display().to_string();
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &shown, "-v"]);
    watch.expect(&["monitor_started normal"], WAIT);
    assert!(watch.stderr().contains("key `hooks`: not run"));

    // Made private: read again on its own, and the hook runs.
    set_mode(&config, 0o600);
    eventually("the file to be read again", || {
        watch
            .stderr()
            .contains("configuration file changed: new settings in force")
    });
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    eventually("the hook", || runs() == ["maintenance_started"]);

    // Opened to every user again: the hook is set aside at once, and that is said.
    set_mode(&config, 0o666);
    // Said at the start, and again now.
    let warned = format!("{shown}: line 1, key `hooks`: not run: {shown} is writable");
    eventually("the hook to be set aside", || {
        watch.stderr().matches(&warned).count() == 2
    });
    sim.server.next_phase();
    watch.expect(&["maintenance_ended normal"], WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(runs(), ["maintenance_started"]);
    watch.terminate();
}
