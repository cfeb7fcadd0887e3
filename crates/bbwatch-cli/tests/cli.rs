//! The command line's contract: usage errors, configuration errors, warnings, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{arg_path, bbwatch_program, empty_dir, Homes as _, Sim};

fn bbwatch(args: &[&str]) -> std::process::Output {
    bbwatch_program()
        .args(args)
        .config_home(&empty_dir())
        .env("BBWATCH_API_URL", "http://127.0.0.1:9/v1")
        .env("BBWATCH_PUBLIC_URL", "http://127.0.0.1:9")
        .env("BBWATCH_STREAM_URL", "ws://127.0.0.1:9")
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One version, the workspace's: the packages and the window's About say the same.
#[test]
fn version_is_the_workspace_version() {
    let manifest = include_str!("../../../Cargo.toml");
    let workspace = manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("version = ")))
        .unwrap()
        .trim_matches('"');
    for flag in ["--version", "-V"] {
        let out = bbwatch(&[flag]);
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("bbwatch {workspace}\n")
        );
    }
    let sub = bbwatch(&["status", "--version"]);
    assert_eq!(
        String::from_utf8_lossy(&sub.stdout),
        format!("bbwatch-status {workspace}\n")
    );
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    for (args, needle) in [
        (vec!["watch", "--interval", "0.5s"], "--interval"),
        (vec!["watch", "--interval", "soon"], "--interval"),
        (vec!["status", "--pairs", "BTC/JPY"], "--pairs"),
        (vec!["status", "--lang", "fr"], "--lang"),
        (vec!["status", "--api-url", "ftp://x"], "--api-url"),
        (vec!["frobnicate"], "frobnicate"),
    ] {
        let out = bbwatch(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_bad_config_file_exits_2_naming_the_key_and_line() {
    let dir = empty_dir();
    let path = dir.join("config.toml");
    std::fs::write(&path, "pairs = [\"btc_jpy\"]\ninterval = \"often\"\n").unwrap();
    let out = bbwatch(&["status", "--config", &arg_path(&path)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("line 2") && err.contains("interval"), "{err}");

    std::fs::write(&path, "[api]\nlisten = \"0.0.0.0:8765\"\n").unwrap();
    let out = bbwatch(&["status", "--config", &arg_path(&path)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("api.token"), "{}", stderr(&out));

    let out = bbwatch(&["status", "--config", &arg_path(&dir.join("missing.toml"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn unknown_config_keys_are_warnings_and_the_config_is_used() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    std::fs::create_dir_all(dir.join("bbwatch")).unwrap();
    std::fs::write(
        dir.join("bbwatch/config.toml"),
        "pairs = [\"btc_jpy\", \"eth_jpy\"]\nlanguage = \"ja\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    let out = sim.bbwatch(&["status"]).config_home(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("unknown key `colour`"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("監視中の2銘柄はすべて通常"), "{text}");
}

#[test]
fn the_environment_chooses_the_hosts_and_flags_override_it() {
    // Nothing listens on port 9: both hosts fail.
    let out = bbwatch(&["status", "--json", "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(13));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["level"], "unreachable");
    let sim = Sim::start("normal");
    let out = bbwatch_program()
        .args(["status", "--api-url", &sim.server.api_url()])
        .config_home(&empty_dir())
        .env("BBWATCH_API_URL", "http://127.0.0.1:9/v1")
        .env("BBWATCH_PUBLIC_URL", sim.server.public_url())
        .env("BBWATCH_STREAM_URL", sim.server.stream_url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn logs_go_to_stderr_and_stdout_has_only_events() {
    let sim = Sim::start("normal");
    let mut watch =
        support::Watch::spawn(sim.bbwatch(&["watch", "--json", "--interval", "1s", "-vv"]));
    let line = watch.next_line(std::time::Duration::from_secs(30)).unwrap();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["kind"], "monitor_started");
    assert!(watch.terminate().success());
}

/// `status` in words: each line its own line, the break between them never shown as an
/// escape (it was printed as `\u{a}`).
#[test]
fn status_prints_its_lines_as_lines() {
    let sim = Sim::start("normal");
    let out = sim.status(&["--pairs", "btc_jpy,eth_jpy", "--lang", "en"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert!(
        lines[0].ends_with(" Normal — trading and the API work normally"),
        "{text:?}"
    );
    assert_eq!(lines[1], "  all 2 watched pairs normal", "{text:?}");
    assert!(!text.contains("\\u{"), "{text:?}");
}

/// Logs into a pipe or a file are plain text: colour codes are for a person at a terminal.
#[test]
fn logs_into_a_pipe_or_a_file_carry_no_colour_codes() {
    let sim = Sim::start("normal");
    let out = sim.status(&["-vv"]);
    let piped = stderr(&out);
    assert!(piped.contains("DEBUG"), "{piped}");
    assert!(!piped.contains('\u{1b}'), "{piped:?}");

    let log = empty_dir().join("bbwatch.log");
    let out = sim
        .bbwatch(&["status", "--timeout", "2s", "-vv"])
        .stderr(std::fs::File::create(&log).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let filed = std::fs::read_to_string(&log).unwrap();
    assert!(filed.contains("DEBUG"), "{filed}");
    assert!(!filed.contains('\u{1b}'), "{filed:?}");
}

/// `watch` in words through a maintenance: one line when it begins, one when it ends.
#[test]
fn watch_in_words_through_a_maintenance() {
    let sim = Sim::from_toml(support::MAINTENANCE);
    let mut watch = support::Watch::spawn(sim.bbwatch(&[
        "watch",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy",
        "--lang",
        "en",
    ]));
    let wait = std::time::Duration::from_secs(40);
    let started = watch.next_line(wait).expect("a first line");
    assert!(
        started.ends_with(" Monitoring started (now: Normal) — trading and the API work normally"),
        "{started}"
    );
    sim.server.next_phase();
    let began = watch.next_line(wait).expect("the maintenance");
    assert!(
        began.contains(
            " Maintenance started — trading, deposits, withdrawals and the API are stopped"
        ) && began.ends_with("(api error 10007)"),
        "{began}"
    );
    sim.server.next_phase();
    let ended = watch.next_line(wait).expect("its end");
    assert!(
        ended.contains(" Maintenance ended — trading can resume (lasted "),
        "{ended}"
    );
    assert!(watch.terminate().success());
}
