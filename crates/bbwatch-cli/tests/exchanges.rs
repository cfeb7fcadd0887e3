//! The other exchanges end to end: the real `bbwatch` against fake-bitbank's GMO Coin,
//! bitFlyer and Coincheck on 127.0.0.1. For each: `watch` shows a maintenance begun and
//! ended, every event carrying its exchange; `status` and `wait --exchange` follow it; the
//! fault matrix (error pages, broken JSON, refused connections, rate limits) tells down from
//! unreachable from nothing. No assertion is about speed: waits are generous upper bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{arg_path, empty_dir, write_private, Sim, Watch};

const WAIT: Duration = Duration::from_secs(60);

/// One of the other exchanges, as the tests drive it.
#[derive(Clone, Copy)]
struct Other {
    /// Its name in the configuration and on `--exchange`.
    name: &'static str,
    /// A phase key that puts it in maintenance.
    maintenance: &'static str,
}

const GMOCOIN: Other = Other {
    name: "gmocoin",
    maintenance: r#"gmocoin = { status = "MAINTENANCE" }"#,
};
const BITFLYER: Other = Other {
    name: "bitflyer",
    maintenance: r#"bitflyer = { health = "STOP", state = "CLOSED" }"#,
};
const COINCHECK: Other = Other {
    name: "coincheck",
    maintenance: r#"coincheck = { status = "stop" }"#,
};

/// normal → `during` → normal, each phase until the test moves on.
fn scenario(during: &str) -> String {
    format!(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\
         [[phases]]\nname = \"incident\"\nduration = \"1h\"\n{during}\n\
         [[phases]]\nname = \"recovered\"\n"
    )
}

fn url(sim: &Sim, name: &str) -> String {
    match name {
        "gmocoin" => sim.server.gmocoin_url(),
        "bitflyer" => sim.server.bitflyer_url(),
        "coincheck" => sim.server.coincheck_url(),
        other => panic!("no simulator for {other}"),
    }
}

/// A configuration watching `names` on the simulator; its path.
fn config(sim: &Sim, names: &[&str]) -> String {
    let dir = empty_dir();
    let mut text = String::new();
    for name in names {
        text.push_str(&format!(
            "[exchanges.{name}]\nurl = \"{}\"\n",
            url(sim, name)
        ));
    }
    let path = dir.join("config.toml");
    write_private(&path, &text);
    arg_path(&path)
}

fn watch(sim: &Sim, config: &str, extra: &[&str]) -> Watch {
    let mut args = vec![
        "watch",
        "--json",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--config",
        config,
    ];
    args.extend_from_slice(extra);
    Watch::spawn(sim.bbwatch(&args))
}

fn status(sim: &Sim, config: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["status", "--timeout", "2s", "--config", config];
    args.extend_from_slice(extra);
    sim.bbwatch(&args).output().unwrap()
}

/// Maintenance begun and ended on `other`, in `watch`, `status` and `wait`.
fn maintenance_begins_and_ends(other: Other) {
    let sim = Sim::from_toml(&scenario(other.maintenance));
    let config = config(&sim, &[other.name]);
    let mut watch = watch(&sim, &config, &["--exchange", other.name]);
    let started = watch.expect(&["monitor_started normal"], WAIT);
    assert_eq!(started[0]["exchange"], other.name);

    sim.server.next_phase();
    let began = watch.expect(&["maintenance_started maintenance"], WAIT);
    assert_eq!(began[0]["exchange"], other.name, "{:#?}", began);
    assert_eq!(began[0]["previous_level"], "normal");

    // `status` sees it too, and exits as a maintenance does; bitbank's is normal beside it.
    let out = status(&sim, &config, &["--exchange", other.name, "--json"]);
    assert_eq!(out.status.code(), Some(11), "{out:?}");
    let snapshot: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snapshot["exchange"], other.name);
    assert_eq!(snapshot["level"], "maintenance");
    let out = status(&sim, &config, &["--json"]);
    assert_eq!(out.status.code(), Some(11), "the worst of both: {out:?}");
    let both: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        (both[0]["exchange"].as_str(), both[0]["level"].as_str()),
        (Some("bitbank"), Some("normal"))
    );
    assert_eq!(both[1]["exchange"], other.name);

    // `wait --exchange` blocks through it and returns when it ends.
    let mut wait = sim
        .bbwatch(&[
            "wait",
            "--interval",
            "1s",
            "--timeout",
            "2s",
            "--lang",
            "en",
            "--config",
            &config,
            "--exchange",
            other.name,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        wait.try_wait().unwrap().is_none(),
        "wait returned during the maintenance"
    );

    sim.server.next_phase();
    let ended = watch.expect(&["maintenance_ended normal"], WAIT);
    assert_eq!(ended[0]["exchange"], other.name);
    assert!(ended[0]["duration_secs"].as_u64().is_some());
    let deadline = Instant::now() + WAIT;
    let code = loop {
        if let Some(status) = wait.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "wait did not return after the maintenance"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::io::read_to_string(wait.stderr.take().unwrap()).unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let name = match other.name {
        "gmocoin" => "GMO Coin",
        "bitflyer" => "bitFlyer",
        _ => "Coincheck",
    };
    assert!(
        stderr.contains(&format!("{name}: Normal (waited")),
        "{stderr}"
    );
    // bitbank's own events were not asked for.
    watch.expect_quiet(Duration::from_secs(2));
    assert!(watch.terminate().success());
}

#[test]
fn gmo_coin_maintenance_begins_and_ends() {
    maintenance_begins_and_ends(GMOCOIN);
}

#[test]
fn bitflyer_maintenance_begins_and_ends() {
    maintenance_begins_and_ends(BITFLYER);
}

#[test]
fn coincheck_maintenance_begins_and_ends() {
    maintenance_begins_and_ends(COINCHECK);
}

/// Several at once: each exchange's events say which, and the human lines name it.
#[test]
fn every_exchange_in_one_watch_and_in_human_words() {
    let sim = Sim::from_toml(&scenario(
        r#"gmocoin = { error = "ERR-5202" }
bitflyer = { boards = { FX_BTC_JPY = "CIRCUIT BREAK" } }
coincheck = { pairs = { etc_jpy = "stop" } }"#,
    ));
    let config = config(&sim, &["gmocoin", "bitflyer", "coincheck"]);
    let mut args = vec![
        "watch",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--lang",
        "en",
        "--config",
        &config,
    ];
    args.push("--no-history");
    let mut watch = Watch::spawn(sim.bbwatch(&args));
    let mut started = Vec::new();
    while started.len() < 4 {
        let line = watch.next_line(WAIT).expect("four monitor_started lines");
        started.push(line);
    }
    sim.server.next_phase();
    let mut lines = Vec::new();
    let deadline = Instant::now() + WAIT;
    let want = [
        "GMO Coin: Maintenance started",
        "bitFlyer: Trading restricted",
        "Coincheck: Trading restricted",
    ];
    while !want
        .iter()
        .all(|w| lines.iter().any(|l: &String| l.contains(w)))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match watch.next_line(left) {
            Some(line) => lines.push(line),
            None => panic!("waited for {want:?}; got {lines:#?}"),
        }
    }
    let gmo = lines
        .iter()
        .find(|l| l.contains("GMO Coin: Maintenance started"))
        .unwrap();
    assert!(gmo.contains("emergency maintenance (ERR-5202)"), "{gmo}");
    // bitbank's lines read as they always have: no name in front.
    assert!(
        started
            .iter()
            .any(|l| !l.contains(": Monitoring started") && l.contains("Monitoring started")),
        "{started:#?}"
    );
    assert!(watch.terminate().success());

    let out = status(&sim, &config, &["--lang", "en"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(11), "{text}");
    for head in ["bitbank: ", "GMO Coin: ", "bitFlyer: ", "Coincheck: "] {
        assert!(text.lines().any(|l| l.starts_with(head)), "{head}: {text}");
    }
    assert!(text.contains("FX_BTC_JPY"), "{text}");
    // One look with no pairs named watches those trading now: the stopped one is not among them.
    assert!(!text.contains("etc_jpy"), "{text}");
}

/// A user who adds no exchange sees what they always saw: one snapshot, no name, no other
/// exchange asked.
#[test]
fn without_other_exchanges_nothing_changes() {
    let sim = Sim::start("normal");
    let out = sim.status(&["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let snapshot: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(snapshot.is_object());
    assert_eq!(snapshot["exchange"], "bitbank");
    let out = sim.status(&["--lang", "en"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("bitbank: "), "{text}");
    let stats = sim.server.stats();
    assert_eq!(
        (
            stats.requests.gmocoin,
            stats.requests.bitflyer,
            stats.requests.coincheck
        ),
        (0, 0, 0)
    );
}

/// The fault matrix against one exchange: `fault` must give `during`, and recovery `after`.
fn fault(other: Other, fault: &str, during: &str, after: &str) {
    let sim = Sim::from_toml(&scenario(&format!("{} = {fault}", other.name)));
    let config = config(&sim, &[other.name]);
    let mut watch = watch(&sim, &config, &["--exchange", other.name]);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let events = watch.expect(&[during], WAIT);
    assert_eq!(events[0]["exchange"], other.name);
    sim.server.next_phase();
    watch.expect(&[after], WAIT);
    assert!(watch.terminate().success());
}

#[test]
fn an_error_page_is_down_on_each_exchange() {
    for other in [GMOCOIN, BITFLYER, COINCHECK] {
        fault(
            other,
            "{ html = 503 }",
            "down_started down",
            "down_ended normal",
        );
    }
}

#[test]
fn broken_json_is_down_on_each_exchange() {
    for other in [GMOCOIN, BITFLYER, COINCHECK] {
        fault(
            other,
            "\"truncated\"",
            "down_started down",
            "down_ended normal",
        );
    }
}

#[test]
fn a_refused_connection_is_unreachable_on_each_exchange() {
    for other in [GMOCOIN, BITFLYER, COINCHECK] {
        fault(
            other,
            "\"refuse\"",
            "unreachable_started unreachable",
            "unreachable_ended normal",
        );
    }
}

#[test]
fn rate_limiting_changes_no_level_on_each_exchange() {
    for other in [GMOCOIN, BITFLYER, COINCHECK] {
        let sim = Sim::from_toml(&scenario(&format!("{} = {{ rate_limit = 1 }}", other.name)));
        let config = config(&sim, &[other.name]);
        let mut watch = watch(&sim, &config, &["--exchange", other.name]);
        watch.expect(&["monitor_started normal"], WAIT);
        sim.server.next_phase();
        // Rate limited for several polls: said on stderr, no event.
        watch.expect_quiet(Duration::from_secs(5));
        assert!(watch.terminate().success());
    }
}

/// A pair the exchange does not list is said by its key, as bitbank's are.
#[test]
fn a_pair_coincheck_does_not_list_is_named_by_its_key() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let path = dir.join("config.toml");
    write_private(
        &path,
        &format!(
            "[exchanges.coincheck]\nurl = \"{}\"\npairs = [\"btc_jpy\", \"nope_jpy\"]\n",
            sim.server.coincheck_url()
        ),
    );
    let out = status(
        &sim,
        &arg_path(&path),
        &["--exchange", "coincheck", "--lang", "en"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("exchanges.coincheck.pairs: Coincheck does not list nope_jpy"),
        "{text}"
    );
}

/// A bad value under `[exchanges]` is an error naming its key; nothing starts.
#[test]
fn a_bad_exchange_setting_is_named() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let path = dir.join("config.toml");
    write_private(&path, "[exchanges.bitflyer]\nproducts = [\"BTC/JPY\"]\n");
    let out = status(&sim, &arg_path(&path), &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exchanges.bitflyer.products"), "{stderr}");
    let out: std::process::Output = Command::new(support::bbwatch_program().get_program())
        .args(["status", "--exchange", "binance"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gmocoin"));
}
