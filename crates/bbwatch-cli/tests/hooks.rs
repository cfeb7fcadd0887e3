//! Hooks end to end, with the real `bbwatch watch` against fake-bitbank: a recording script
//! sees the chosen kinds with the event on stdin and in its environment; a hook that hangs is
//! killed with its process group and holds up nothing; shell metacharacters run nothing.
// Linux only: the hooks are shell scripts, their processes read from /proc.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{empty_dir, write_file, write_private, Sim, MAINTENANCE};

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(40);

/// Appends one record per run to `$1`: its arguments, its environment, its stdin, then `---`.
/// Every value is written with `printf %s`: nothing is evaluated.
const RECORDER: &str = r#"#!/bin/sh
log="$1"
shift
{
  for a in "$@"; do printf 'arg=%s\n' "$a"; done
  printf 'kind=%s\n' "$BBWATCH_KIND"
  printf 'level=%s\n' "$BBWATCH_LEVEL"
  printf 'previous_level=%s\n' "$BBWATCH_PREVIOUS_LEVEL"
  printf 'pair=%s\n' "$BBWATCH_PAIR"
  printf 'reason=%s\n' "$BBWATCH_REASON"
  printf 'duration_secs=%s\n' "$BBWATCH_DURATION_SECS"
  printf 'stdin=%s\n' "$(cat)"
  printf -- '---\n'
} >> "$log"
"#;

/// Says it started, leaves a background `sleep 1000` in its process group, and hangs.
const HANGER: &str = r#"#!/bin/sh
sleep 1000 &
echo $! >> "$1/children"
echo "$BBWATCH_KIND" >> "$1/started"
sleep 1000
"#;

fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    write_file(dir, name, text, 0o755)
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A `[[hooks]]` table.
fn hook(on: &[&str], command: &[&str], timeout: &str) -> String {
    let on: Vec<String> = on.iter().map(|k| toml_str(k)).collect();
    let command: Vec<String> = command.iter().map(|c| toml_str(c)).collect();
    format!(
        "[[hooks]]\non = [{}]\ncommand = [{}]\ntimeout = {}\n\n",
        on.join(", "),
        command.join(", "),
        toml_str(timeout)
    )
}

fn config(dir: &Path, hooks: &[String]) -> String {
    let path = dir.join("config.toml");
    write_private(&path, &hooks.concat());
    path.display().to_string()
}

/// One run of the recorder.
#[derive(Debug, Default)]
struct Run {
    args: Vec<String>,
    env: std::collections::BTreeMap<String, String>,
    stdin: Value,
}

fn runs(log: &Path) -> Vec<Run> {
    let Ok(text) = std::fs::read_to_string(log) else {
        return Vec::new();
    };
    let mut all = Vec::new();
    let mut run = Run::default();
    for line in text.lines() {
        if line == "---" {
            all.push(std::mem::take(&mut run));
            continue;
        }
        let (key, value) = line.split_once('=').unwrap();
        match key {
            "arg" => run.args.push(value.to_owned()),
            "stdin" => run.stdin = serde_json::from_str(value).unwrap(),
            _ => {
                run.env.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    all
}

/// The recorder's runs once there are `n` of them (within [`WAIT`]).
fn wait_for_runs(log: &Path, n: usize) -> Vec<Run> {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = runs(log);
        if got.len() >= n || Instant::now() > deadline {
            assert_eq!(got.len(), n, "runs of {}: {got:#?}", log.display());
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An event's environment, as bbwatch documents it (empty for a value it does not have).
fn expected_env(event: &Value) -> std::collections::BTreeMap<String, String> {
    let s = |k: &str| match &event[k] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    [
        "kind",
        "level",
        "previous_level",
        "pair",
        "reason",
        "duration_secs",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), s(k)))
    .collect()
}

#[test]
fn a_hook_gets_the_chosen_kinds_with_the_event_on_stdin_and_in_its_environment() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let recorder = script(&dir, "record.sh", RECORDER);
    let (log, unused) = (dir.join("runs.log"), dir.join("unused.log"));
    let recorder_s = recorder.display().to_string();
    let config = config(
        &dir,
        &[
            hook(
                &["maintenance_started", "maintenance_ended"],
                &[&recorder_s, &log.display().to_string(), "--from-bbwatch"],
                "20s",
            ),
            hook(
                &["down_started", "pair_changed"],
                &[&recorder_s, &unused.display().to_string()],
                "20s",
            ),
        ],
    );
    let mut watch = sim.watch(&["--config", &config]);
    let started = watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let maintenance = watch.expect(&["maintenance_started maintenance"], WAIT);
    sim.server.next_phase();
    let ended = watch.expect(&["maintenance_ended normal"], WAIT);

    let got = wait_for_runs(&log, 2);
    for (run, event) in got.iter().zip([&maintenance[0], &ended[0]]) {
        assert_eq!(run.args, ["--from-bbwatch"]);
        assert_eq!(run.env, expected_env(event));
        assert_eq!(&run.stdin, event, "stdin is the event JSON as printed");
    }
    assert_eq!(got[0].env["kind"], "maintenance_started");
    assert_eq!(got[0].env["previous_level"], "normal");
    assert_eq!(got[0].env["reason"], "api error 10007: System maintenance");
    assert_eq!(got[0].env["duration_secs"], "");
    assert_eq!(got[1].env["kind"], "maintenance_ended");
    assert_eq!(got[1].env["level"], "normal");
    assert!(
        got[1].env["duration_secs"].parse::<u64>().is_ok(),
        "{got:?}"
    );
    // monitor_started was chosen by neither hook; the second hook's kinds never happened.
    assert_ne!(started[0]["kind"], got[0].stdin["kind"]);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(runs(&log).len(), 2);
    assert!(!unused.exists(), "a hook ran for a kind it did not choose");
    watch.terminate();
}

/// Whether a process `pid` is alive (not gone, not a zombie).
fn alive(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn children(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("children"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Until `f` holds (within [`WAIT`]).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_hanging_hook_is_killed_with_its_group_and_holds_up_nothing() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let hanger = script(&dir, "hang.sh", HANGER);
    let recorder = script(&dir, "record.sh", RECORDER);
    let log = dir.join("runs.log");
    let config = config(
        &dir,
        &[
            // Every event, and never ends by itself.
            hook(
                &[],
                &[&hanger.display().to_string(), &dir.display().to_string()],
                "1s",
            ),
            hook(
                &["maintenance_started", "maintenance_ended"],
                &[&recorder.display().to_string(), &log.display().to_string()],
                "20s",
            ),
        ],
    );
    let mut watch = sim.watch(&["--config", &config]);
    watch.expect(&["monitor_started normal"], WAIT);
    eventually("the hanging hook starts", || children(&dir).len() == 1);
    let first = children(&dir)[0].clone();
    // Killed at its timeout, the `sleep 1000 &` it left behind with it.
    eventually("the hook's background child is killed", || !alive(&first));

    // While it hangs again for each event, the events still come, to stdout and the other
    // hook alike.
    sim.server.next_phase();
    let maintenance = watch.expect(&["maintenance_started maintenance"], WAIT);
    sim.server.next_phase();
    let ended = watch.expect(&["maintenance_ended normal"], WAIT);
    let got = wait_for_runs(&log, 2);
    assert_eq!(got[0].stdin, maintenance[0]);
    assert_eq!(got[1].stdin, ended[0]);

    // The hanging hook ran once per event, in order, one at a time.
    eventually("the hanging hook runs for every event", || {
        std::fs::read_to_string(dir.join("started")).unwrap_or_default()
            == "monitor_started\nmaintenance_started\nmaintenance_ended\n"
    });
    watch.terminate();
    // Whatever ran when bbwatch stopped is gone too: no `sleep 1000` of ours is left.
    for pid in children(&dir) {
        eventually(&format!("child {pid} is killed"), || !alive(&pid));
    }
}

#[test]
fn shell_metacharacters_reach_the_hook_verbatim_and_run_nothing() {
    // No reason can carry raw text from bitbank: pair names are validated and status strings
    // are sanitized to `[A-Za-z0-9_.-]` (a `?` for anything else) where they enter the model.
    // So a status string full of metacharacters shows that the reason reaches the hook as the
    // event has it, and the metacharacters themselves go through the hook's argv.
    let dir = empty_dir();
    let canary = |name: &str| dir.join(name).display().to_string();
    let status = format!("$(touch {});`touch {}`", canary("s1"), canary("s2"));
    let scenario = format!(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\n\
         [[phases]]\nname = \"odd\"\nduration = \"1h\"\nstatus = {{ btc_jpy = {} }}\n",
        toml_str(&status)
    );
    let sim = Sim::from_toml(&scenario);
    let recorder = script(&dir, "record.sh", RECORDER);
    let log = dir.join("runs.log");
    let args = [
        format!("$(touch {})", canary("a1")),
        format!("`touch {}`", canary("a2")),
        format!("; touch {}", canary("a3")),
        format!("x && touch {} | cat > {} $HOME", canary("a4"), canary("a5")),
        "*".to_owned(),
    ];
    let mut command = vec![recorder.display().to_string(), log.display().to_string()];
    command.extend(args.iter().cloned());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let config = config(
        &dir,
        &[hook(&["degraded_started", "pair_changed"], &command, "20s")],
    );
    let mut watch = sim.watch(&["--config", &config, "--pairs", "btc_jpy"]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let events = watch.expect(
        &["degraded_started degraded", "pair_changed btc_jpy other"],
        WAIT,
    );
    let got = wait_for_runs(&log, 2);
    for (run, event) in got.iter().zip(&events) {
        assert_eq!(run.args, args, "argv verbatim");
        assert_eq!(run.env, expected_env(event));
        assert_eq!(&run.stdin, event);
        assert!(run.env["reason"].contains("btc_jpy status"), "{run:?}");
    }
    watch.terminate();
    for name in ["s1", "s2", "a1", "a2", "a3", "a4", "a5"] {
        assert!(
            !dir.join(name).exists(),
            "{name} was created: something ran"
        );
    }
}

#[test]
fn a_change_of_the_hooks_in_the_file_applies_to_the_next_event() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let recorder = script(&dir, "record.sh", RECORDER).display().to_string();
    let (old_log, new_log) = (dir.join("old.log"), dir.join("new.log"));
    let path = config(
        &dir,
        &[hook(
            &["maintenance_started"],
            &[&recorder, &old_log.display().to_string()],
            "20s",
        )],
    );
    let mut watch = sim.watch_in(&empty_dir(), &["--config", &path, "-v"]);
    watch.expect(&["monitor_started normal"], WAIT);

    // The old hook replaced by another, then SIGHUP: once it has been read, the next
    // events go to the new hook only.
    let tmp = dir.join("config.toml.swp");
    write_private(
        &tmp,
        &hook(
            &["maintenance_started", "maintenance_ended"],
            &[&recorder, &new_log.display().to_string()],
            "20s",
        ),
    );
    std::fs::rename(&tmp, &path).unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &watch.pid().to_string()])
        .status();
    eventually("the file to be read again", || {
        watch.stderr().contains("SIGHUP: ")
    });
    sim.server.next_phase();
    let started = watch.expect(&["maintenance_started maintenance"], WAIT);
    sim.server.next_phase();
    let ended = watch.expect(&["maintenance_ended normal"], WAIT);
    let got = wait_for_runs(&new_log, 2);
    assert_eq!(got[0].stdin, started[0]);
    assert_eq!(got[1].stdin, ended[0]);
    assert!(!old_log.exists(), "a removed hook ran");
    watch.terminate();
}

#[test]
fn two_bbwatch_on_one_history_run_each_hook_once_per_event() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let recorder = script(&dir, "record.sh", RECORDER);
    let log = dir.join("runs.log");
    let config = config(
        &dir,
        &[hook(
            &["maintenance_started", "maintenance_ended"],
            &[&recorder.display().to_string(), &log.display().to_string()],
            "20s",
        )],
    );
    // Both record into one history, as the tray app and `bbwatch serve` do on one machine.
    let data = empty_dir();
    let mut first = sim.watch_in(&data, &["--config", &config]);
    let mut second = sim.watch_in(&data, &["--config", &config]);
    for watch in [&mut first, &mut second] {
        watch.expect(&["monitor_started normal"], WAIT);
    }
    sim.server.next_phase();
    for watch in [&mut first, &mut second] {
        watch.expect(&["maintenance_started maintenance"], WAIT);
    }
    sim.server.next_phase();
    for watch in [&mut first, &mut second] {
        watch.expect(&["maintenance_ended normal"], WAIT);
    }
    let got = wait_for_runs(&log, 2);
    assert_eq!(got[0].env["kind"], "maintenance_started");
    assert_eq!(got[1].env["kind"], "maintenance_ended");
    // Both saw each event; only the one recording the history ran the hook for it.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(runs(&log).len(), 2, "{:#?}", runs(&log));
    first.terminate();
    second.terminate();
}

/// A hook gets a minimal environment: what a program needs (the path, home, locale), never
/// bbwatch's secrets (the API key and secret it was given in its environment).
#[test]
fn a_hook_never_sees_the_api_key_or_secret() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let dump = script(
        &dir,
        "dump.sh",
        "#!/bin/sh\nenv > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n",
    );
    let seen = dir.join("env.txt");
    let config = config(
        &dir,
        &[hook(
            &["maintenance_started"],
            &[&dump.display().to_string(), &seen.display().to_string()],
            "20s",
        )],
    );
    let mut cmd = sim.bbwatch(&[
        "watch",
        "--json",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--config",
        &config,
    ]);
    cmd.env("BBWATCH_API_KEY", "fake-key")
        .env("BBWATCH_API_SECRET", "fake-secret")
        .env("MY_OWN_TOKEN", "not for hooks");
    let mut watch = support::Watch::spawn(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    eventually("the hook to run", || seen.exists());
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(!env.contains("fake-secret"), "{env}");
    assert!(!env.contains("BBWATCH_API_"), "{env}");
    assert!(!env.contains("MY_OWN_TOKEN"), "{env}");
    assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");
    assert!(
        env.lines().any(|l| l == "BBWATCH_KIND=maintenance_started"),
        "{env}"
    );
    watch.terminate();
}

/// A hook whose program does not exist, or is not executable, is a bad value at load, named
/// by its key: not a surprise at the first event, which may be the maintenance it was for.
#[test]
fn a_hook_that_cannot_run_is_refused_at_load() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let not_executable = write_file(&dir, "plain.sh", "#!/bin/sh\n", 0o644);
    for (program, says) in [
        (
            "/nonexistent/pause-bot".to_owned(),
            "does not exist".to_owned(),
        ),
        (
            "no-such-program-anywhere".to_owned(),
            "is not found on PATH".to_owned(),
        ),
        (
            not_executable.display().to_string(),
            "is not an executable program".to_owned(),
        ),
    ] {
        let config = config(&dir, &[hook(&["maintenance_started"], &[&program], "20s")]);
        let out = sim
            .bbwatch(&["watch", "--json", "--config", &config])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{program}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("key `hooks[0].command`") && stderr.contains(&says),
            "{program}: {stderr}"
        );
    }
}

/// The configuration file deleted while `watch` runs: the settings in force stay (its hook
/// still runs), and that is said; a new file is read when it appears.
#[test]
fn a_deleted_config_file_keeps_its_hooks_and_says_so() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let recorder = script(&dir, "record.sh", RECORDER);
    let log = dir.join("runs.log");
    let conf_dir = dir.join("conf");
    support::private_dir(&conf_dir.join("bbwatch"));
    let file = conf_dir.join("bbwatch/config.toml");
    write_private(
        &file,
        &hook(
            &["maintenance_started", "maintenance_ended"],
            &[&recorder.display().to_string(), &log.display().to_string()],
            "20s",
        ),
    );
    let mut cmd = sim.bbwatch(&["watch", "--json", "--interval", "1s", "--timeout", "2s"]);
    cmd.env("XDG_CONFIG_HOME", &conf_dir);
    let mut watch = support::Watch::spawn_keeping_stderr(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    std::fs::remove_file(&file).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    let got = wait_for_runs(&log, 1);
    assert_eq!(got[0].env["kind"], "maintenance_started");
    // A new file, without the hook: read when it appears.
    std::fs::write(&file, "interval = \"1s\"\n").unwrap();
    std::thread::sleep(Duration::from_secs(3));
    sim.server.next_phase();
    watch.expect(&["maintenance_ended normal"], WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        runs(&log).len(),
        1,
        "the new file's settings were not taken"
    );
    let (_, stderr) = watch.terminate_keeping_stderr();
    assert!(
        stderr.contains("config.toml was removed; the last good settings stay in force"),
        "{stderr}"
    );
}

/// A hook that exits leaving a child behind (`sleep & exit 0`): the child ends with it.
#[test]
fn what_a_hook_leaves_running_ends_with_it() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let leaver = script(
        &dir,
        "leave.sh",
        "#!/bin/sh\nsleep 1000 &\necho $! >> \"$1/children\"\nexit 0\n",
    );
    let config = config(
        &dir,
        &[hook(
            &["monitor_started"],
            &[&leaver.display().to_string(), &dir.display().to_string()],
            "20s",
        )],
    );
    let mut watch = sim.watch(&["--config", &config]);
    watch.expect(&["monitor_started normal"], WAIT);
    eventually("the hook runs", || children(&dir).len() == 1);
    let left = children(&dir)[0].clone();
    eventually("what it left running is killed", || !alive(&left));
    watch.terminate();
}

/// A history lock file that cannot be opened (here: a directory in its place, as a root-owned
/// file is for a user) proves nothing of another bbwatch: it is said once, and this process
/// runs the hooks itself rather than leaving them to no one.
#[test]
fn an_unusable_history_lock_is_said_and_the_hooks_still_run() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("bbwatch/history.sqlite3.lock")).unwrap();
    let recorder = script(&dir, "record.sh", RECORDER);
    let log = dir.join("runs.log");
    let config = config(
        &dir,
        &[hook(
            &["maintenance_started"],
            &[&recorder.display().to_string(), &log.display().to_string()],
            "20s",
        )],
    );
    let mut watch = sim.watch_in(&data, &["--config", &config]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    let got = wait_for_runs(&log, 1);
    assert_eq!(got[0].env["kind"], "maintenance_started");
    let (_, stderr) = watch.terminate_keeping_stderr();
    // Said once for the events and once for the kept state, not at every event.
    for what in [
        "events are not being recorded",
        "the state is not being kept",
    ] {
        let said = stderr
            .lines()
            .filter(|l| l.contains("cannot open the lock file") && l.contains(what))
            .count();
        assert_eq!(said, 1, "{what}: {stderr}");
    }
}

/// Leaves a `sleep` in a session of its own (`setsid`), so out of the hook's process group,
/// noting its pid in `$1/children` and the event in `$1/started`; then, when `$2` is the
/// event's kind, hangs.
const ESCAPER: &str = r#"#!/bin/sh
setsid sleep 1000 &
echo $! >> "$1/children"
echo "$BBWATCH_KIND" >> "$1/started"
if [ "$BBWATCH_KIND" = "$2" ]; then sleep 1000; fi
exit 0
"#;

#[test]
fn what_a_hook_starts_in_a_session_of_its_own_ends_with_it_and_with_bbwatch() {
    let sim = Sim::from_toml(MAINTENANCE);
    let dir = empty_dir();
    let (quick, last) = (dir.join("quick"), dir.join("last"));
    for d in [&quick, &last] {
        std::fs::create_dir(d).unwrap();
    }
    let escaper = script(&dir, "escape.sh", ESCAPER).display().to_string();
    let config = config(
        &dir,
        &[
            // Exits at once for monitor_started; hangs past its timeout on maintenance_started.
            hook(
                &["monitor_started", "maintenance_started"],
                &[
                    &escaper,
                    &quick.display().to_string(),
                    "maintenance_started",
                ],
                "2s",
            ),
            // Still running when bbwatch stops.
            hook(
                &["maintenance_ended"],
                &[&escaper, &last.display().to_string(), "maintenance_ended"],
                "60s",
            ),
        ],
    );
    let mut watch = sim.watch(&["--config", &config]);
    watch.expect(&["monitor_started normal"], WAIT);
    eventually("the hook runs", || children(&quick).len() == 1);
    let first = children(&quick)[0].clone();
    eventually("what it left in its own session ends when it exits", || {
        !alive(&first)
    });

    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    eventually("the hook runs again", || children(&quick).len() == 2);
    let second = children(&quick)[1].clone();
    eventually("…and at its timeout", || !alive(&second));

    sim.server.next_phase();
    watch.expect(&["maintenance_ended normal"], WAIT);
    eventually("the last hook runs", || children(&last).len() == 1);
    let third = children(&last)[0].clone();
    std::thread::sleep(Duration::from_millis(500));
    assert!(alive(&third), "killed before its hook ended");
    watch.terminate();
    eventually("…and when bbwatch stops", || !alive(&third));
}
