//! `bbwatch watch` follows its configuration file without a restart: edited by hand (a new
//! file renamed over the old, as editors save), turned invalid (the last good settings stay),
//! and on SIGHUP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{empty_dir, Homes as _, Sim, Watch};

const WAIT: Duration = Duration::from_secs(30);

/// Save `text` the way an editor does: a new file, renamed over the old one.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.swp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Requests for one pair's circuit_break_info so far.
fn requests(sim: &Sim, pair: &str) -> u64 {
    sim.server
        .stats()
        .circuit_break_by_pair
        .get(pair)
        .copied()
        .unwrap_or(0)
}

/// Wait until `ok` holds, or fail saying `what`.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_follows_its_file_without_a_restart() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let path = dir.join("bbwatch/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "interval = \"30s\"\npairs = [\"btc_jpy\"]\n").unwrap();
    let mut cmd = sim.bbwatch(&["watch", "--json", "--timeout", "2s"]);
    cmd.config_home(&dir);
    let mut watch = Watch::spawn(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    assert_eq!(requests(&sim, "btc_jpy"), 1);

    // New pairs and a new interval, by hand: the monitor polls exactly the new pairs, every
    // second, with no restart, and adding pairs that trade normally raises nothing.
    save(
        &path,
        "interval = \"1s\"\npairs = [\"eth_jpy\", \"xrp_jpy\"]\n",
    );
    eventually("the new pairs to be polled", || {
        requests(&sim, "eth_jpy") >= 2 && requests(&sim, "xrp_jpy") >= 2
    });
    let btc = requests(&sim, "btc_jpy");
    let eth = requests(&sim, "eth_jpy");
    eventually("three more polls at the new interval", || {
        requests(&sim, "eth_jpy") >= eth + 3
    });
    assert_eq!(
        requests(&sim, "btc_jpy"),
        btc,
        "a pair no longer watched was polled"
    );
    watch.expect_quiet(Duration::from_secs(1));
    assert!(watch.exited().is_none());

    // A file that turns invalid: the last good settings stay (still every second).
    save(&path, "interval = \"often\"\npairs = [\"btc_jpy\"]\n");
    std::thread::sleep(Duration::from_secs(2));
    let eth = requests(&sim, "eth_jpy");
    eventually("polling to go on with the last good settings", || {
        requests(&sim, "eth_jpy") >= eth + 2
    });
    assert_eq!(
        requests(&sim, "btc_jpy"),
        btc,
        "the bad file's pairs were used"
    );

    // SIGHUP reads the file again, as daemons do (and does not end the watch).
    save(&path, "interval = \"1s\"\npairs = [\"btc_jpy\"]\n");
    let _ = Command::new("kill")
        .args(["-HUP", &watch.pid().to_string()])
        .status();
    eventually("the pair of the fixed file to be polled", || {
        requests(&sim, "btc_jpy") >= btc + 2
    });
    assert!(watch.exited().is_none(), "SIGHUP ended the watch");
    assert!(watch.terminate().success());
}

/// A halted pair taken off the watch list: the user's change, said as such; not "trading
/// restored" while the pair is still halted.
#[test]
fn unwatching_a_halted_pair_is_a_watch_change_not_a_recovery() {
    let sim = Sim::from_toml(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\n\
         [[phases]]\nname = \"halt\"\nduration = \"1h\"\nstatus = { btc_jpy = \"HALT\" }\n",
    );
    let dir = empty_dir();
    let path = dir.join("bbwatch/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "interval = \"1s\"\npairs = [\"btc_jpy\", \"eth_jpy\"]\n",
    )
    .unwrap();
    let mut cmd = sim.bbwatch(&["watch", "--json", "--timeout", "2s"]);
    cmd.config_home(&dir);
    let mut watch = Watch::spawn(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    sim.server.next_phase();
    watch.expect(
        &["degraded_started degraded", "pair_changed btc_jpy halted"],
        WAIT,
    );
    save(&path, "interval = \"1s\"\npairs = [\"eth_jpy\"]\n");
    let changed = watch.expect(&["watch_changed normal"], WAIT);
    assert_eq!(changed[0]["reason"], "no longer watching btc_jpy");
    watch.expect_quiet(Duration::from_secs(3));
    assert!(watch.terminate().success());
}

/// With no configuration file yet, `watch` follows the place where it would be: nothing to
/// warn about at the start, and a file saved there later is in force without a restart.
#[test]
fn a_file_saved_after_the_start_is_followed() {
    let sim = Sim::start("normal");
    let dir = empty_dir();
    let mut cmd = sim.bbwatch(&["watch", "--json", "--timeout", "2s"]);
    cmd.config_home(&dir);
    let mut watch = Watch::spawn_keeping_stderr(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    let path = dir.join("bbwatch/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    save(&path, "interval = \"1s\"\npairs = [\"eth_jpy\"]\n");
    let btc = requests(&sim, "btc_jpy");
    eventually("polls every second of the pair the new file names", || {
        requests(&sim, "eth_jpy") >= 4
    });
    assert_eq!(requests(&sim, "btc_jpy"), btc, "a pair no longer watched");
    let (status, stderr) = watch.terminate_keeping_stderr();
    assert!(status.success());
    for unwanted in ["no configuration file to follow", "cannot follow"] {
        assert!(!stderr.contains(unwanted), "{stderr}");
    }
}
