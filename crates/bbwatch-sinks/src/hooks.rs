//! Hooks: run a program of the user's on chosen events (`[[hooks]]` in the configuration).
//!
//! - The command is an argv list, run directly, never through a shell: nothing in an event
//!   (a reason, a pair name) can become a command.
//! - The event is the program's stdin, as one line of the event JSON; its environment has
//!   `BBWATCH_EXCHANGE` (`bitbank`, `gmocoin`, `bitflyer`, `coincheck`), `BBWATCH_KIND`,
//!   `BBWATCH_LEVEL`, `BBWATCH_PREVIOUS_LEVEL`, `BBWATCH_PAIR`,
//!   `BBWATCH_REASON` (the English reason), `BBWATCH_DURATION_SECS`, and for `asset_changed`
//!   `BBWATCH_ASSET`, `BBWATCH_NETWORK`, `BBWATCH_DEPOSIT` and `BBWATCH_WITHDRAWAL` (`open` or
//!   `stopped`) — an empty string when the event has no such value — on top of a minimal part
//!   of bbwatch's own environment ([`inherited`]: the path, home, user, locale, time zone and
//!   the session's display and bus), never its secrets (`BBWATCH_API_KEY`/`_SECRET`).
//! - The program starts in a process group of its own. When it exits, at its `timeout` and
//!   when bbwatch stops while it runs, the whole group is killed (SIGKILL, so a `sleep &` it
//!   left behind goes too) and the program is reaped. On Linux every process of the run is
//!   also found by the [`RUN_TAG`] in its environment (`/proc/PID/environ`) and killed, so one
//!   that left the group (`setsid`, a double fork) goes too; only one that clears its
//!   environment, or runs as another user, escapes.
//! - Its stdout and stderr (the first [`MAX_OUTPUT`] bytes of each) and its exit status are
//!   logged: info when it exits 0, a warning otherwise.
//! - Each hook has a worker of its own (see [`crate::queue`]) that runs it once at a time, in
//!   event order, from a queue of at most [`QUEUE`] events. A hook that cannot keep up loses
//!   the *oldest* queued events (with a warning), never holds up the monitor, the output or
//!   another hook.
//! - The hook list follows the settings: a change applies from the next event. A hook that
//!   is removed finishes the run under way; what it had queued is dropped.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bbwatch_core::config::{Config, Hook};
use bbwatch_core::engine::sink::Outlet;
use bbwatch_core::{Event, EventKind, Exchange};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{mpsc, watch};

use crate::queue::{Target, Workers};

/// Events one hook may have waiting; beyond that the oldest go.
pub use crate::queue::QUEUE;

/// The environment variable that marks every process of one run of a hook
/// (`<bbwatch's pid>.<run>`): inherited by whatever it starts, wherever that goes.
pub const RUN_TAG: &str = "BBWATCH_HOOK_RUN";

/// Runs started by this process, for [`RUN_TAG`].
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How much of a hook's stdout and of its stderr is kept for the log (bytes, each).
pub const MAX_OUTPUT: usize = 4096;

/// After a hook exits, how long its output may still take to arrive (a child it left running
/// may hold the pipe open).
const OUTPUT_GRACE: Duration = Duration::from_secs(1);

impl Target for Hook {
    fn kinds(&self) -> &[EventKind] {
        &self.on
    }

    fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    fn name(&self) -> String {
        // Only the program: an argument's value may be a secret.
        format!("hook {:?}", self.command.first().map_or("", String::as_str))
    }
}

/// Why a hook could not be run to its end.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The configured command is empty (the configuration's validation forbids it).
    #[error("the hook has no command")]
    NoCommand,
    /// The program could not be started.
    #[error("cannot start {program:?}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the program failed.
    #[error("cannot wait for {program:?}: {source}")]
    Wait {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How one run of a hook ended.
#[derive(Debug)]
pub struct Outcome {
    /// Its exit status (after a timeout: the status of the killed program).
    pub status: ExitStatus,
    /// Whether it was killed at its timeout.
    pub timed_out: bool,
    /// The first [`MAX_OUTPUT`] bytes of its stdout.
    pub stdout: Vec<u8>,
    /// The first [`MAX_OUTPUT`] bytes of its stderr.
    pub stderr: Vec<u8>,
}

/// Whether `hook` runs for events of `kind`: an empty `on` means every kind.
pub fn wants(hook: &Hook, kind: EventKind) -> bool {
    Target::wants(hook, kind)
}

/// The variables a hook gets for `event`; a value the event does not have is an empty string.
pub fn environment(event: &Event) -> Vec<(&'static str, String)> {
    // A NUL cannot be in an environment variable; nothing of ours has one, but be sure.
    let clean = |s: String| s.replace('\0', "");
    vec![
        ("BBWATCH_EXCHANGE", event.exchange.as_str().to_owned()),
        ("BBWATCH_KIND", event.kind.as_str().to_owned()),
        ("BBWATCH_LEVEL", event.level.as_str().to_owned()),
        (
            "BBWATCH_PREVIOUS_LEVEL",
            event
                .previous_level
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
        ),
        (
            "BBWATCH_PAIR",
            clean(event.pair.clone().unwrap_or_default()),
        ),
        (
            "BBWATCH_REASON",
            clean(
                event
                    .reason
                    .as_ref()
                    .map(bbwatch_core::model::words::reason_text)
                    .unwrap_or_default(),
            ),
        ),
        (
            "BBWATCH_DURATION_SECS",
            event
                .duration_secs
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "BBWATCH_ASSET",
            clean(event.asset.clone().unwrap_or_default()),
        ),
        (
            "BBWATCH_NETWORK",
            clean(event.network.clone().unwrap_or_default()),
        ),
        (
            "BBWATCH_DEPOSIT",
            event
                .deposit
                .map(|f| f.as_str().to_owned())
                .unwrap_or_default(),
        ),
        (
            "BBWATCH_WITHDRAWAL",
            event
                .withdrawal
                .map(|f| f.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ]
}

/// What one run started: its process group and its [`RUN_TAG`]. Killed when the run ends,
/// and if the run is given up before (a timeout, or bbwatch shutting down while it runs).
struct Group {
    #[cfg(unix)]
    pid: Option<rustix::process::Pid>,
    tag: Option<String>,
}

impl Group {
    fn of(child: &tokio::process::Child, tag: String) -> Group {
        #[cfg(not(unix))]
        let _ = child;
        Group {
            #[cfg(unix)]
            pid: child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .and_then(rustix::process::Pid::from_raw),
            tag: Some(tag),
        }
    }

    /// Kill the group, then every process that carries the run's tag. On Windows neither
    /// exists: the program itself is killed, and what it started may outlive it.
    fn kill(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.pid.take() {
            if let Err(e) = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL)
            {
                // ESRCH: the group is gone already.
                if e != rustix::io::Errno::SRCH {
                    tracing::warn!("cannot kill a hook's process group {pid:?}: {e}");
                }
            }
        }
        if let Some(tag) = self.tag.take() {
            #[cfg(target_os = "linux")]
            tagged::kill(&tag);
            #[cfg(not(target_os = "linux"))]
            let _ = tag;
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The processes of a run found by their environment, wherever they went.
#[cfg(target_os = "linux")]
mod tagged {
    use std::os::unix::fs::MetadataExt as _;

    use rustix::process::{kill_process, Pid, Signal};

    /// Kill every process of ours whose environment has `RUN_TAG=tag`. Again while some are
    /// found, as one may fork between the look and the kill (a few rounds: a process that
    /// forks faster than that is a fork bomb, and the group kill has its parent).
    pub(super) fn kill(tag: &str) {
        let needle = format!("\0{}={tag}\0", super::RUN_TAG).into_bytes();
        for _ in 0..5 {
            let found = find(&needle);
            if found.is_empty() {
                return;
            }
            for pid in found {
                tracing::info!("killing {pid:?}, left behind by a hook (tagged {tag})");
                let _ = kill_process(pid, Signal::KILL);
            }
        }
    }

    /// Our processes whose environment holds `needle` (`\0NAME=value\0`).
    fn find(needle: &[u8]) -> Vec<Pid> {
        let me = rustix::process::getuid().as_raw();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter(|entry| entry.metadata().is_ok_and(|m| m.uid() == me))
            .filter_map(|entry| {
                let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
                let mut environ = vec![0u8];
                environ.extend(std::fs::read(entry.path().join("environ")).ok()?);
                environ.push(0);
                let has = environ.windows(needle.len()).any(|w| w == needle);
                has.then(|| Pid::from_raw(pid)).flatten()
            })
            .collect()
    }
}

/// What a hook wrote on one pipe so far: the first [`MAX_OUTPUT`] bytes.
type Kept = Arc<Mutex<Vec<u8>>>;

/// Read `pipe` to its end into `kept`, keeping the first [`MAX_OUTPUT`] bytes (the rest is
/// read and dropped, so the program never blocks on a full pipe).
async fn capture(pipe: Option<impl AsyncRead + Unpin>, kept: Kept) {
    let Some(mut pipe) = pipe else {
        return;
    };
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

/// What a hook keeps of bbwatch's environment: what a program needs to find others, speak the
/// user's language and reach the user's session (`systemctl --user`, a notification), and
/// nothing else, so no secret of bbwatch's (the API key) reaches a hook.
pub fn inherited(
    env: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    const KEPT: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "DBUS_SESSION_BUS_ADDRESS",
        "SYSTEMROOT",
        "USERPROFILE",
        "APPDATA",
        "LOCALAPPDATA",
        "TEMP",
        "TMP",
    ];
    env.filter(|(name, _)| {
        name.to_str()
            .is_some_and(|n| KEPT.contains(&n) || n.starts_with("LC_"))
    })
    .collect()
}

/// Run `hook` once for `event`: the command with the event on stdin and in the environment,
/// killed with its process group at the hook's timeout.
pub async fn run_once(hook: &Hook, event: &Event) -> Result<Outcome, HookError> {
    let (program, args) = hook.command.split_first().ok_or(HookError::NoCommand)?;
    let tag = format!(
        "{}.{}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(inherited(std::env::vars_os()))
        .envs(environment(event))
        .env(RUN_TAG, &tag)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(|source| HookError::Spawn {
        program: program.clone(),
        source,
    })?;
    let mut group = Group::of(&child, tag);
    let stdin = child.stdin.take();
    let input = format!("{}\n", event.to_json_line());
    tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            // A hook that does not read its stdin is fine.
            let _ = stdin.write_all(input.as_bytes()).await;
            let _ = stdin.shutdown().await;
        }
    });
    let (stdout, stderr) = (Kept::default(), Kept::default());
    let readers = [
        tokio::spawn(capture(child.stdout.take(), stdout.clone())),
        tokio::spawn(capture(child.stderr.take(), stderr.clone())),
    ];
    let (status, timed_out) = match tokio::time::timeout(hook.timeout.0, child.wait()).await {
        Ok(waited) => {
            let status = waited.map_err(|source| HookError::Wait {
                program: program.clone(),
                source,
            })?;
            // What it left running in its group (`sleep & exit 0`) ends with it. While a
            // member lives the group's id cannot be given to another process, and a group
            // with none left is ESRCH.
            group.kill();
            (status, false)
        }
        Err(_) => {
            group.kill();
            // Without a group to kill, the program itself.
            #[cfg(not(unix))]
            let _ = child.start_kill();
            let status = child.wait().await.map_err(|source| HookError::Wait {
                program: program.clone(),
                source,
            })?;
            (status, true)
        }
    };
    // A child the program left running may hold the pipes open: what came by then is kept.
    let deadline = tokio::time::Instant::now() + OUTPUT_GRACE;
    for reader in readers {
        let abort = reader.abort_handle();
        if tokio::time::timeout_at(deadline, reader).await.is_err() {
            abort.abort();
        }
    }
    let take =
        |kept: Kept| std::mem::take(&mut *kept.lock().unwrap_or_else(PoisonError::into_inner));
    let (stdout, stderr) = (take(stdout), take(stderr));
    Ok(Outcome {
        status,
        timed_out,
        stdout,
        stderr,
    })
}

/// A hook's output for the log: lossy UTF-8, control characters escaped, trimmed.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.trim_end().escape_debug().to_string()
}

/// Run `hook` for `event` and log how it went.
async fn run_logged(hook: &Hook, event: &Event) {
    let program = hook.command.first().map_or("", String::as_str);
    match run_once(hook, event).await {
        Ok(out) => {
            let (stdout, stderr) = (shown(&out.stdout), shown(&out.stderr));
            if out.timed_out {
                tracing::warn!(
                    "hook {program:?} ({}) killed at its timeout of {}s with its process group \
                     ({}); stdout: {stdout:?}; stderr: {stderr:?}",
                    event.kind,
                    hook.timeout.0.as_secs_f64(),
                    out.status,
                );
            } else if out.status.success() {
                tracing::info!(
                    "hook {program:?} ({}) {}; stdout: {stdout:?}; stderr: {stderr:?}",
                    event.kind,
                    out.status,
                );
            } else {
                tracing::warn!(
                    "hook {program:?} ({}) failed: {}; stdout: {stdout:?}; stderr: {stderr:?}",
                    event.kind,
                    out.status,
                );
            }
        }
        Err(e) => tracing::warn!("hook ({}): {e}", event.kind),
    }
}

/// The hooks of one binary, following the settings in force.
pub struct Hooks {
    settings: watch::Receiver<Config>,
}

/// Start the hooks of the settings in force as a sink (none run until `[[hooks]]` are
/// configured; a change applies to the next event). Call inside a tokio runtime.
pub fn start(settings: watch::Receiver<Config>) -> Outlet {
    Outlet::spawn("hooks", |events| Hooks::new(settings).run(events))
}

impl Hooks {
    /// Hooks that follow `settings`: a change of `[[hooks]]` applies to the next event.
    pub fn new(settings: watch::Receiver<Config>) -> Hooks {
        Hooks { settings }
    }

    /// Run the hooks that want each event of `events`, until its sender goes. The binaries
    /// send each event once it is recorded and shown; sending never waits for a hook.
    pub async fn run(self, mut events: mpsc::UnboundedReceiver<Event>) {
        let mut workers =
            Workers::new(|hook: Hook, event: Event| async move { run_logged(&hook, &event).await });
        while let Some(event) = events.recv().await {
            let hooks = self.settings.borrow().hooks.clone();
            workers.follow(&hooks);
            workers.push(&event);
        }
        // The sender is gone: runs under way finish (or time out) unless the runtime ends
        // first; queued events are dropped with the workers.
        drop(workers);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bbwatch_core::config::HumanDuration;
    use bbwatch_core::model::code::ErrorCode;
    use bbwatch_core::model::reason::Reason;
    use bbwatch_core::Level;
    use chrono::Utc;

    fn hook(on: &[EventKind], command: &[&str], timeout: Duration) -> Hook {
        Hook {
            on: on.to_vec(),
            command: command.iter().map(|s| (*s).to_owned()).collect(),
            timeout: HumanDuration(timeout),
            exchanges: Vec::new(),
        }
    }

    #[test]
    fn kinds_chosen_or_every_kind() {
        let some = hook(
            &[EventKind::MaintenanceStarted, EventKind::MaintenanceEnded],
            &["x"],
            Duration::from_secs(1),
        );
        assert!(wants(&some, EventKind::MaintenanceStarted));
        assert!(wants(&some, EventKind::MaintenanceEnded));
        assert!(!wants(&some, EventKind::PairChanged));
        assert!(!wants(&some, EventKind::MonitorStarted));
        let every = hook(&[], &["x"], Duration::from_secs(1));
        assert!(EventKind::ALL.iter().all(|k| wants(&every, *k)));
    }

    #[test]
    fn a_hook_keeps_what_programs_need_of_the_environment_and_no_secret() {
        let env = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("LC_TIME", "ja_JP.UTF-8"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("BBWATCH_API_KEY", "key"),
            ("BBWATCH_API_SECRET", "secret"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("BBWATCH_LOG", "debug"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let kept: Vec<String> = inherited(env.into_iter())
            .into_iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, ["PATH", "HOME", "LC_TIME", "XDG_RUNTIME_DIR"]);
    }

    #[test]
    fn environment_of_an_event() {
        let mut e = Event::level_change(
            EventKind::MaintenanceEnded,
            Utc::now(),
            Level::Normal,
            Some(Level::Maintenance),
        );
        e.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        e.duration_secs = Some(754);
        let env: std::collections::HashMap<_, _> = environment(&e).into_iter().collect();
        assert_eq!(env["BBWATCH_KIND"], "maintenance_ended");
        assert_eq!(env["BBWATCH_LEVEL"], "normal");
        assert_eq!(env["BBWATCH_PREVIOUS_LEVEL"], "maintenance");
        assert_eq!(env["BBWATCH_PAIR"], "");
        assert_eq!(env["BBWATCH_REASON"], "api error 10007: System maintenance");
        assert_eq!(env["BBWATCH_DURATION_SECS"], "754");
        assert_eq!(env["BBWATCH_ASSET"], "");
        assert_eq!(env["BBWATCH_WITHDRAWAL"], "");
        assert_eq!(env["BBWATCH_EXCHANGE"], "bitbank");
        assert_eq!(env.len(), 11);
        e.exchange = bbwatch_core::model::exchange::Exchange::Gmocoin;
        let env: std::collections::HashMap<_, _> = environment(&e).into_iter().collect();
        assert_eq!(env["BBWATCH_EXCHANGE"], "gmocoin");

        let mut p = Event::level_change(EventKind::PairChanged, Utc::now(), Level::Degraded, None);
        p.pair = Some("btc_jpy".into());
        p.reason = Some(Reason::Pairs(vec![(
            "a\0b $(x) `y`; z".into(),
            bbwatch_core::PairState::Halted,
        )]));
        let env: std::collections::HashMap<_, _> = environment(&p).into_iter().collect();
        assert_eq!(env["BBWATCH_PAIR"], "btc_jpy");
        assert_eq!(env["BBWATCH_PREVIOUS_LEVEL"], "");
        assert_eq!(env["BBWATCH_DURATION_SECS"], "");
        assert_eq!(env["BBWATCH_REASON"], "ab $(x) `y`; z halted");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_hung_hook_is_killed_at_its_timeout() {
        let h = hook(&[], &["sleep", "30"], Duration::from_millis(300));
        let e = Event::level_change(EventKind::MonitorStarted, Utc::now(), Level::Normal, None);
        let started = std::time::Instant::now();
        let out = run_once(&h, &e).await.unwrap();
        assert!(out.timed_out);
        assert!(!out.status.success());
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn stdin_is_the_event_and_output_is_bounded() {
        let h = hook(
            &[],
            &[
                "sh",
                "-c",
                "cat; head -c 10000 /dev/zero; echo oops >&2; exit 3",
            ],
            Duration::from_secs(20),
        );
        let e = Event::level_change(EventKind::MonitorStarted, Utc::now(), Level::Normal, None);
        let out = run_once(&h, &e).await.unwrap();
        assert!(!out.timed_out);
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout.len(), MAX_OUTPUT);
        assert!(out.stdout.starts_with(e.to_json_line().as_bytes()));
        assert_eq!(out.stderr, b"oops\n");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn output_is_kept_when_a_child_left_behind_holds_the_pipe() {
        let h = hook(
            &[],
            &["sh", "-c", "echo hi; sleep 5 & exit 0"],
            Duration::from_secs(20),
        );
        let e = Event::level_change(EventKind::MonitorStarted, Utc::now(), Level::Normal, None);
        let out = run_once(&h, &e).await.unwrap();
        assert!(!out.timed_out);
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hi\n");
    }

    #[tokio::test]
    async fn a_missing_program_is_an_error() {
        let h = hook(&[], &["/nonexistent/bbwatch-hook"], Duration::from_secs(1));
        let e = Event::level_change(EventKind::MonitorStarted, Utc::now(), Level::Normal, None);
        assert!(matches!(
            run_once(&h, &e).await,
            Err(HookError::Spawn { .. })
        ));
    }
}
