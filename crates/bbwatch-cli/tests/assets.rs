//! Deposits and withdrawals, end to end: the real `bbwatch` with an API key against
//! fake-bitbank's signed `/v1/user/assets` on loopback (its account: `fake-key`/`fake-secret`,
//! holding btc, eth, xrp and jpy; eth has two networks, eth and polygon).
// Unix only: the key file's mode is part of what is tested.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::{empty_dir, write_file, Sim, Watch, MAINTENANCE};

const WAIT: Duration = Duration::from_secs(30);
const KEY: &str = "fake-key";
const SECRET: &str = "fake-secret";

/// normal → `second` (TOML lines) → normal, each phase until the test moves on.
fn scenario(second: &str) -> String {
    format!(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\n\
         [[phases]]\nname = \"second\"\nduration = \"1h\"\n{second}\n\n\
         [[phases]]\nname = \"again\"\n"
    )
}

fn watch_with_key(sim: &Sim, data: &Path, secret: &str) -> Watch {
    let mut cmd = sim.bbwatch(&[
        "watch",
        "--json",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy",
    ]);
    cmd.env("XDG_DATA_HOME", data)
        .env("BBWATCH_API_KEY", KEY)
        .env("BBWATCH_API_SECRET", secret);
    Watch::spawn_keeping_stderr(cmd)
}

/// Every file under `dir`, read as bytes, that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn a_networks_withdrawal_stop_is_one_asset_changed_event_and_its_resumption_ends_it() {
    let sim = Sim::from_toml(&scenario("stop_withdrawal = [\"eth/polygon\"]"));
    let data = empty_dir();
    let mut watch = watch_with_key(&sim, &data, SECRET);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    let events = watch.expect(
        &[
            "degraded_started degraded",
            "asset_changed eth polygon deposit open withdrawal stopped",
        ],
        WAIT,
    );
    assert_eq!(events[0]["reason"], "eth withdrawals stopped on polygon");
    assert_eq!(events[1]["previous_withdrawal"], "open");
    assert_eq!(events[1]["previous_deposit"], "open");
    assert_eq!(events[1]["level"], "degraded");
    watch.expect_quiet(Duration::from_secs(3));
    sim.server.next_phase();
    watch.expect(
        &[
            "degraded_ended normal",
            "asset_changed eth polygon deposit open withdrawal open",
        ],
        WAIT,
    );
    let (_, stderr) = watch.terminate_keeping_stderr();
    let stats = sim.server.stats();
    assert!(stats.requests.user_assets >= 3, "{stats:#?}");
    assert_eq!(stats.auth_failures, 0, "{stats:#?}");
    assert_eq!(stats.secret_seen, 0, "no request carries the secret");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert_eq!(files_containing(&data, SECRET), Vec::<String>::new());
    assert_eq!(files_containing(&data, KEY), Vec::<String>::new());
    // The history has the events, in the same schema.
    let out = sim.history(&data, &["--json", "--events"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"asset_changed\""), "{text}");
}

#[test]
fn a_rejected_key_is_said_and_changes_no_level() {
    let sim = Sim::start("normal");
    let data = empty_dir();
    let mut watch = watch_with_key(&sim, &data, "not-the-secret");
    watch.expect(&["monitor_started normal"], WAIT);
    watch.expect_quiet(Duration::from_secs(3));
    let (_, stderr) = watch.terminate_keeping_stderr();
    assert!(stderr.contains("bitbank rejected the API key"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
    assert!(sim.server.stats().auth_failures >= 1);

    let out = sim
        .bbwatch(&["status", "--timeout", "2s", "--lang", "en"])
        .env("BBWATCH_API_KEY", KEY)
        .env("BBWATCH_API_SECRET", "not-the-secret")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "not bitbank's fault: {text}");
    assert!(
        text.contains("bitbank rejected the API key (code 20005)"),
        "{text}"
    );
}

#[test]
fn a_maintenance_is_told_once_not_per_asset() {
    let sim = Sim::from_toml(MAINTENANCE);
    let data = empty_dir();
    let mut watch = watch_with_key(&sim, &data, SECRET);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(&["maintenance_started maintenance"], WAIT);
    watch.expect_quiet(Duration::from_secs(3));
    sim.server.next_phase();
    watch.expect(&["maintenance_ended normal"], WAIT);
    watch.expect_quiet(Duration::from_secs(3));
}

#[test]
fn status_reads_the_key_from_a_private_file_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let sim = Sim::from_toml(&scenario("stop_deposit = [\"xrp\"]"));
    sim.server.next_phase();
    let dir = empty_dir();
    let key = format!("key = \"{KEY}\"\nsecret = \"{SECRET}\"\n");
    let file = write_file(&dir, "key.toml", &key, 0o644);
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("api_secret_file = \"{}\"\n", file.display()),
    )
    .unwrap();
    let config = config.display().to_string();
    let status = |lang: &str| {
        sim.bbwatch(&[
            "status",
            "--timeout",
            "2s",
            "--pairs",
            "btc_jpy",
            "--lang",
            lang,
            "--config",
            &config,
        ])
        .output()
        .unwrap()
    };
    let out = status("en");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains("readable by others") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = status("en");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(10), "degraded: {text}");
    assert!(text.contains("XRP deposits stopped"), "{text}");
    // Trading goes on: the one watched pair is named, not counted.
    assert!(text.contains("watched pair btc_jpy normal"), "{text}");
    let out = status("ja");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("XRPの入金が停止されました"), "{text}");
    assert!(text.contains("監視中のbtc_jpyは通常"), "{text}");
    let json = sim
        .bbwatch(&[
            "status",
            "--json",
            "--timeout",
            "2s",
            "--pairs",
            "btc_jpy",
            "--config",
            &config,
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["api_key"]["state"], "accepted");
    assert_eq!(v["assets"]["xrp"]["deposit"], "stopped");
    assert!(
        v["assets"].get("jpy").is_some(),
        "JPY is always watched by default"
    );
    assert_eq!(sim.server.stats().secret_seen, 0);
}

/// The user stops watching an asset whose withdrawals are stopped (the file edited while
/// `watch` runs): that is said as their change, never as the withdrawals resuming, and the
/// history does not end the stop as if it were over.
#[test]
fn unwatching_a_stopped_asset_is_a_watch_change_not_a_resumption() {
    let sim = Sim::from_toml(&scenario("stop_withdrawal = [\"eth/polygon\"]"));
    let data = empty_dir();
    let config = empty_dir();
    let file = config.join("bbwatch/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "assets = [\"eth\", \"btc\"]\n").unwrap();
    let mut cmd = sim.bbwatch(&[
        "watch",
        "--json",
        "--interval",
        "1s",
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy",
    ]);
    cmd.env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", &config)
        .env("BBWATCH_API_KEY", KEY)
        .env("BBWATCH_API_SECRET", SECRET);
    let mut watch = Watch::spawn(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(
        &[
            "degraded_started degraded",
            "asset_changed eth polygon deposit open withdrawal stopped",
        ],
        WAIT,
    );
    // Saved as an editor does: a new file renamed over the old.
    let tmp = file.with_extension("toml.swp");
    std::fs::write(&tmp, "assets = [\"btc\"]\n").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    let changed = watch.expect(&["watch_changed normal"], WAIT);
    assert_eq!(changed[0]["previous_level"], "degraded");
    assert_eq!(changed[0]["reason"], "no longer watching eth");
    assert_eq!(changed[0]["duration_secs"], serde_json::Value::Null);
    // No "transfers restored", no "withdrawals open": the stop goes on at bitbank.
    watch.expect_quiet(Duration::from_secs(3));
    assert!(watch.terminate().success());
    let out = sim.history(&data, &["--json"]);
    let periods = String::from_utf8_lossy(&out.stdout).to_string();
    let degraded: Vec<serde_json::Value> = periods
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|p: &serde_json::Value| p["kind"] == "degraded")
        .collect();
    assert_eq!(degraded.len(), 1, "{periods}");
    assert_eq!(degraded[0]["ended"], "unwatched", "{periods}");
    let text = sim.history(&data, &["--lang", "en"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("(no longer watched)"), "{text}");
}
