//! docs/bots.md's freqtrade and ccxt recipes, run for real against fake-bitbank: freqtrade
//! from PyPI (dry-run, in the venv `scripts/install-deps.sh test` makes) trades through ccxt's
//! bitbank with its URLs pointed at the simulator; `bbwatch serve` runs
//! docs/examples/freqtrade-lock-hook.py as docs/examples/bbwatch-freqtrade.toml says.
//! freqtrade's own REST API shows that it enters no trade while the simulator is in
//! maintenance and trades again after it; docs/examples/ccxt_bbwatch_status.py, ccxt's bitbank
//! asking bbwatch's `/v1/ccxt/status`, says "ok", then "maintenance", then "ok".
//!
//! The strategy (tests/fixtures/freqtrade/always_in.py) enters on every 1-minute candle and
//! leaves at once, so the whole run takes two to three minutes.
// Linux only: the venv is made by scripts/install-deps.sh (Debian); the hook is a script.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::group::Group;
use support::{empty_dir, free_port, write_private, Sim, MAINTENANCE};

/// freqtrade's username in the test's api_server (the example's own).
const USER: &str = "bbwatch";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    repo()
        .join("docs/examples")
        .join(name)
        .canonicalize()
        .unwrap()
}

/// The venv `scripts/install-deps.sh test` fills with freqtrade (and ccxt).
fn venv() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    let venv = cache.join("bbwatch/freqtrade");
    assert!(
        venv.join("bin/freqtrade").is_file(),
        "freqtrade is not installed in {}: run `scripts/install-deps.sh test` (make test does)",
        venv.display()
    );
    venv
}

/// Standard base64, for a Basic authorization.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `GET path` on 127.0.0.1:`port` (with Basic `auth` if given): the status code and the JSON
/// body, or `None` while nothing answers.
fn get(port: u16, path: &str, auth: Option<&str>) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let auth = auth
        .map(|a| format!("Authorization: Basic {}\r\n", base64(a.as_bytes())))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
    Some((status, serde_json::from_str(body).ok()?))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// freqtrade, its REST API on `port`, and where it logs.
struct Freqtrade {
    _child: Group,
    /// How many pairs it trades.
    pairs: usize,
    port: u16,
    auth: String,
    log: PathBuf,
}

impl Freqtrade {
    /// `GET /api/v1/{path}`'s JSON; panics (with the log) on an error status.
    fn api(&self, path: &str) -> Option<Value> {
        let (status, body) = get(self.port, &format!("/api/v1/{path}"), Some(&self.auth))?;
        assert_eq!(
            status,
            200,
            "freqtrade /api/v1/{path}: {body}\n{}",
            self.log_tail()
        );
        Some(body)
    }

    /// Every trade: `(pair, open_timestamp ms)`.
    fn trades(&self) -> Vec<(String, i64)> {
        self.api("trades?limit=500").map_or_else(Vec::new, |t| {
            t["trades"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["pair"].as_str().unwrap().to_owned(),
                        t["open_timestamp"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
    }

    /// The active locks of every pair (`"*"`) that bbwatch's hook made.
    fn hook_locks(&self) -> Vec<Value> {
        self.api("locks").map_or_else(Vec::new, |l| {
            l["locks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| {
                    l["pair"] == "*"
                        && l["active"] == true
                        && l["reason"].as_str().unwrap_or("").starts_with("bbwatch")
                })
                .cloned()
                .collect()
        })
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "freqtrade's log ends:\n{}",
            lines[lines.len().saturating_sub(30)..].join("\n")
        )
    }

    /// Waits up to `limit` for `what` to give something.
    fn wait<T>(&self, limit: Duration, about: &str, mut what: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = what() {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{about}: not within {limit:?}\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// freqtrade in dry-run with docs/examples/freqtrade-config.json, but for the test's own: its
/// API port and secrets, its database, and ccxt's bitbank pointed at `sim`.
fn freqtrade(sim: &Sim, dir: &Path) -> Freqtrade {
    let venv = venv();
    let port = free_port();
    let password = format!("pw-{}-{}", std::process::id(), now_ms());
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(example("freqtrade-config.json")).unwrap())
            .unwrap();
    config["api_server"]["listen_port"] = port.into();
    config["api_server"]["password"] = password.clone().into();
    config["api_server"]["jwt_secret_key"] = format!("{password}-{:032}", 0).into();
    // Only the test does this: ccxt's bitbank, its three hosts on the simulator.
    let api = sim.server.api_url();
    let urls = serde_json::json!({"urls": {"api": {
        "public": sim.server.public_url(),
        "private": api.strip_suffix("/v1").unwrap(),
        "markets": api,
    }}});
    config["exchange"]["ccxt_config"] = urls.clone();
    config["exchange"]["ccxt_async_config"] = urls;
    config["db_url"] = format!("sqlite:///{}", dir.join("trades.sqlite").display()).into();
    let path = dir.join("freqtrade.json");
    write_private(&path, &serde_json::to_string_pretty(&config).unwrap());
    let userdir = dir.join("user_data");
    let made = Command::new(venv.join("bin/freqtrade"))
        .args(["create-userdir", "--userdir"])
        .arg(&userdir)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "freqtrade create-userdir: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let log = dir.join("freqtrade.log");
    let mut command = Command::new(venv.join("bin/freqtrade"));
    command
        .args(["trade", "--config"])
        .arg(&path)
        .args(["--strategy", "AlwaysIn", "--strategy-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/freqtrade"))
        .arg("--userdir")
        .arg(&userdir)
        .arg("--logfile")
        .arg(&log)
        .current_dir(dir)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("freqtrade.stderr")).unwrap());
    Freqtrade {
        _child: Group::spawn(command),
        pairs: config["exchange"]["pair_whitelist"]
            .as_array()
            .unwrap()
            .len(),
        port,
        auth: format!("{USER}:{password}"),
        log,
    }
}

/// `bbwatch serve` on `port`, aimed at `sim`, with docs/examples/bbwatch-freqtrade.toml's hook
/// aimed at `ft`.
fn bbwatch(sim: &Sim, dir: &Path, ft: &Freqtrade, port: u16) -> Group {
    let auth_file = dir.join("freqtrade-auth");
    write_private(&auth_file, &format!("{}\n", ft.auth));
    let mut config = std::fs::read_to_string(example("bbwatch-freqtrade.toml")).unwrap();
    for (from, to) in [
        (
            "/home/me/bin/freqtrade-lock-hook.py",
            example("freqtrade-lock-hook.py").display().to_string(),
        ),
        (
            "http://127.0.0.1:8080",
            format!("http://127.0.0.1:{}", ft.port),
        ),
        (
            "/home/me/.config/bbwatch/freqtrade-auth",
            auth_file.display().to_string(),
        ),
    ] {
        assert!(config.contains(from), "{from} in bbwatch-freqtrade.toml");
        config = config.replace(from, &to);
    }
    let path = dir.join("config.toml");
    write_private(&path, &config);
    let listen = format!("127.0.0.1:{port}");
    let config = path.display().to_string();
    let mut command = sim.bbwatch_streaming(&[
        "serve",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--listen",
        &listen,
        "--config",
        &config,
    ]);
    command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("bbwatch.stderr")).unwrap());
    Group::spawn(command)
}

/// docs/examples/ccxt_bbwatch_status.py against bbwatch on `port`: its exit code and the
/// status it printed.
fn ccxt_status(port: u16) -> (i32, Value) {
    let out = Command::new(venv().join("bin/python"))
        .arg(example("ccxt_bbwatch_status.py"))
        .env("BBWATCH_URL", format!("http://127.0.0.1:{port}"))
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let status = serde_json::from_str(printed.trim()).unwrap_or_else(|e| {
        panic!(
            "ccxt_bbwatch_status.py printed {printed:?} ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), status)
}

/// `GET /v1/ccxt/status`'s `status` from bbwatch on `port`.
fn bbwatch_says(port: u16) -> Option<String> {
    let (_, body) = get(port, "/v1/ccxt/status", None)?;
    body["status"].as_str().map(str::to_owned)
}

/// The next start of a minute (a 1-minute candle) after `ms`.
fn next_minute(ms: i64) -> i64 {
    (ms / 60_000 + 1) * 60_000
}

#[test]
fn freqtrade_enters_no_trade_during_a_maintenance_and_trades_again_after() {
    let started = Instant::now();
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let ft = freqtrade(&sim, &dir);
    let port = free_port();
    let _bbwatch = bbwatch(&sim, &dir, &ft, port);

    // Normal: bbwatch says "ok" (to ccxt too), and freqtrade trades.
    ft.wait(Duration::from_secs(60), "bbwatch says ok", || {
        (bbwatch_says(port).as_deref() == Some("ok")).then_some(())
    });
    let (code, status) = ccxt_status(port);
    assert_eq!((code, &status["status"]), (0, &"ok".into()), "{status}");
    assert!(
        status["updated"].as_i64().unwrap() > now_ms() - 60_000,
        "{status}"
    );
    let first = ft.wait(Duration::from_secs(180), "freqtrade's first trade", || {
        ft.trades().into_iter().next()
    });
    eprintln!("first trade {first:?} after {:?}", started.elapsed());

    // freqtrade enters at the start of each candle, every pair at once: the maintenance starts
    // well inside a candle once each pair has entered in it, so that the lock is in force
    // before the next.
    let pairs = ft.pairs;
    let maintenance_from = ft.wait(Duration::from_secs(180), "a quiet moment", || {
        let now = now_ms();
        let minute = now - now.rem_euclid(60_000);
        let entered = ft.trades().iter().filter(|(_, at)| *at >= minute).count();
        ((10_000..40_000).contains(&(now - minute)) && entered >= pairs).then_some(now)
    });
    sim.server.next_phase();
    let locks = ft.wait(Duration::from_secs(30), "the hook's lock", || {
        Some(ft.hook_locks()).filter(|l| !l.is_empty())
    });
    assert_eq!(locks.len(), 1, "{locks:?}");
    let locked_at = locks[0]["lock_timestamp"].as_i64().unwrap();
    assert!(
        locked_at < next_minute(maintenance_from),
        "the lock came after the next candle had started: {}",
        ft.log_tail()
    );
    assert_eq!(bbwatch_says(port).as_deref(), Some("maintenance"));
    let (code, status) = ccxt_status(port);
    assert_eq!(
        (code, &status["status"]),
        (1, &"maintenance".into()),
        "{status}"
    );
    assert!(status["url"].as_str().unwrap().starts_with("https://"));

    // Past the next candle's start, when freqtrade would have entered again.
    let until = next_minute(maintenance_from) + 15_000;
    while now_ms() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    let during: Vec<_> = ft
        .trades()
        .into_iter()
        .filter(|(_, at)| *at >= maintenance_from)
        .collect();
    assert!(
        during.is_empty(),
        "trades entered during the maintenance: {during:?}"
    );
    let maintenance_to = now_ms();
    sim.server.next_phase();

    // Recovered: the lock goes, and freqtrade trades again.
    ft.wait(Duration::from_secs(30), "the lock's removal", || {
        ft.hook_locks().is_empty().then_some(())
    });
    let after = ft.wait(
        Duration::from_secs(120),
        "a trade after the maintenance",
        || {
            ft.trades()
                .into_iter()
                .find(|(_, at)| *at >= maintenance_to)
        },
    );
    eprintln!(
        "maintenance {:.1} s; a trade {:.1} s after it: {after:?}",
        (maintenance_to - maintenance_from) as f64 / 1000.0,
        (after.1 - maintenance_to) as f64 / 1000.0
    );
    // Within the candle the maintenance ended in: the pairs were free to enter all along,
    // but for the hook's lock.
    assert!(
        after.1 < next_minute(maintenance_to),
        "freqtrade waited for a new candle: {after:?}"
    );
    let during: Vec<_> = ft
        .trades()
        .into_iter()
        .filter(|(_, at)| (maintenance_from..maintenance_to).contains(at))
        .collect();
    assert!(during.is_empty(), "{during:?}");
    let (code, status) = ccxt_status(port);
    assert_eq!((code, &status["status"]), (0, &"ok".into()), "{status}");
    // Locked, never stopped: freqtrade ran all along.
    let config = ft.api("show_config").unwrap();
    assert_eq!(config["state"], "running", "{config}");
    eprintln!("the whole run took {:?}", started.elapsed());
}
