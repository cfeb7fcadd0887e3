//! The stream, end to end: the real `bbwatch watch` at a 30 s interval against fake-bitbank's
//! REST hosts and its socket.io stream on loopback. Timeouts are generous (tens of seconds);
//! what they show is that things happen well inside the 30 s interval, i.e. not by a poll.

mod support;

use std::time::{Duration, Instant};

use fake_bitbank::Stats;
use support::{Homes as _, Sim, Watch};

const WAIT: Duration = Duration::from_secs(30);
const PING: Duration = Duration::from_secs(1);

/// normal, then a phase `second` (TOML lines), then a third `third`, each until the test moves on.
fn scenario(second: &str, third: &str) -> String {
    format!(
        "[[phases]]\nname = \"normal\"\nduration = \"1h\"\n\n\
         [[phases]]\nname = \"second\"\nduration = \"1h\"\n{second}\n\n\
         [[phases]]\nname = \"third\"\n{third}\n"
    )
}

const CIRCUIT_BREAK: &str =
    "circuit_break = { xrp_jpy = { mode = \"CIRCUIT_BREAK\", reopen_in = \"10m\" } }";

fn watch(sim: &Sim, interval: &str) -> Watch {
    Watch::spawn(sim.bbwatch_streaming(&[
        "watch",
        "--json",
        "--interval",
        interval,
        "--timeout",
        "2s",
        "--pairs",
        "btc_jpy,xrp_jpy",
    ]))
}

/// Poll the simulator's counters until `done` holds; panics after `timeout`.
fn wait_for(sim: &Sim, what: &str, timeout: Duration, done: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + timeout;
    loop {
        let stats = sim.server.stats();
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "waited for {what}: {stats:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Both rooms joined and answered: from then on the stream covers both pairs.
fn wait_covered(sim: &Sim) -> Stats {
    let stats = wait_for(sim, "both rooms' first frames", WAIT, |s| {
        s.stream.joins >= 2 && s.stream.pushes >= 2
    });
    // Let the monitor take the frames in (it reads them between polls).
    std::thread::sleep(Duration::from_millis(500));
    stats
}

fn rest_circuit(stats: &Stats) -> u64 {
    stats.requests.circuit_break_info
}

#[test]
fn a_circuit_break_pushed_on_the_stream_is_a_pair_changed_event_at_once() {
    let sim = Sim::streaming(&scenario(CIRCUIT_BREAK, ""), PING);
    let mut watch = watch(&sim, "30s");
    watch.expect(&["monitor_started normal"], WAIT);
    let before = wait_covered(&sim);
    let switched = Instant::now();
    sim.server.next_phase();
    watch.expect(
        &[
            "degraded_started degraded",
            "pair_changed xrp_jpy circuit_break",
        ],
        WAIT,
    );
    let took = switched.elapsed();
    // Far inside the 30 s interval: the push, not a poll, brought it.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let after = sim.server.stats();
    assert_eq!(rest_circuit(&after), rest_circuit(&before), "{after:#?}");
    assert_eq!(after.requests.spot_status, before.requests.spot_status);
    // And back: the end of the circuit break is pushed too.
    sim.server.next_phase();
    watch.expect(
        &["degraded_ended normal", "pair_changed xrp_jpy normal"],
        WAIT,
    );
}

#[test]
fn while_the_stream_is_healthy_no_rest_circuit_break_info_is_requested() {
    let sim = Sim::streaming(&scenario("", ""), PING);
    // A short interval here, so that many polls are seen while the stream covers the pairs.
    let mut watch = watch(&sim, "1s");
    watch.expect(&["monitor_started normal"], WAIT);
    wait_covered(&sim);
    // A poll already under way when the frames came may still have asked.
    std::thread::sleep(Duration::from_secs(3));
    let before = sim.server.stats();
    let after = wait_for(&sim, "five more polls", WAIT, |s| {
        s.requests.spot_status >= before.requests.spot_status + 5
    });
    assert_eq!(rest_circuit(&after), rest_circuit(&before), "{after:#?}");
    assert!(after.requests.spot_pairs >= before.requests.spot_pairs + 5);
    assert_eq!(after.stream.connections, 1, "{after:#?}");
    watch.expect_quiet(Duration::from_secs(1));
}

#[test]
fn killing_the_stream_resumes_rest_polling_of_the_pairs_with_an_immediate_poll() {
    let sim = Sim::streaming(&scenario("stream = \"refuse\"", ""), PING);
    let mut watch = watch(&sim, "30s");
    watch.expect(&["monitor_started normal"], WAIT);
    wait_covered(&sim);
    let before = sim.server.stats();
    sim.server.next_phase();
    let after = wait_for(
        &sim,
        "an immediate poll of both pairs",
        Duration::from_secs(20),
        |s| {
            s.requests.spot_status > before.requests.spot_status
                && ["btc_jpy", "xrp_jpy"]
                    .iter()
                    .all(|p| s.circuit_break_by_pair.get(*p) > before.circuit_break_by_pair.get(*p))
        },
    );
    assert!(rest_circuit(&after) >= rest_circuit(&before) + 2);
    // It keeps trying, with backoff; once the stream is back, it is followed again.
    wait_for(&sim, "a refused reconnect", WAIT, |s| s.stream.refused >= 1);
    sim.server.next_phase();
    wait_for(&sim, "a reconnect", Duration::from_secs(90), |s| {
        s.stream.connections >= 2 && s.stream.pushes >= before.stream.pushes + 2
    });
    assert!(watch.exited().is_none());
    watch.expect_quiet(Duration::from_secs(1));
}

#[test]
fn a_silent_stream_is_detected_and_reconnected() {
    let sim = Sim::streaming(&scenario("stream = \"silent\"", ""), PING);
    let mut watch = watch(&sim, "30s");
    watch.expect(&["monitor_started normal"], WAIT);
    wait_covered(&sim);
    let before = sim.server.stats();
    assert_eq!(before.stream.connections, 1);
    sim.server.next_phase();
    // No ping within pingInterval + pingTimeout (2 s here): dead, an immediate REST poll of
    // the pairs, and a new connection.
    let after = wait_for(
        &sim,
        "a poll and a reconnect",
        Duration::from_secs(25),
        |s| {
            s.stream.connections >= 2
                && s.requests.spot_status > before.requests.spot_status
                && rest_circuit(s) >= rest_circuit(&before) + 2
        },
    );
    assert!(after.stream.connections >= 2);
    // A circuit break while the stream is silent still comes, by REST at the next polls;
    // once the stream speaks again, the pairs are followed on it again.
    sim.server.next_phase();
    wait_for(
        &sim,
        "the stream followed again",
        Duration::from_secs(90),
        |s| s.stream.pushes >= before.stream.pushes + 2,
    );
    assert!(watch.exited().is_none());
    watch.expect_quiet(Duration::from_secs(1));
}

#[test]
fn garbage_frames_change_no_level_and_crash_nothing() {
    let sim = Sim::streaming(
        &scenario(
            "stream = \"garbage\"",
            &format!("stream = \"garbage\"\n{CIRCUIT_BREAK}"),
        ),
        PING,
    );
    let mut watch = watch(&sim, "30s");
    watch.expect(&["monitor_started normal"], WAIT);
    wait_covered(&sim);
    sim.server.next_phase();
    // Several rounds of garbage (one with every ping): no event, no crash.
    watch.expect_quiet(Duration::from_secs(5));
    assert!(watch.exited().is_none());
    // The session survived it: a push still arrives, on the same connection.
    sim.server.next_phase();
    watch.expect(
        &[
            "degraded_started degraded",
            "pair_changed xrp_jpy circuit_break",
        ],
        Duration::from_secs(20),
    );
    let stats = sim.server.stats();
    assert_eq!(stats.stream.connections, 1, "{stats:#?}");
}

#[test]
fn a_room_that_never_answers_stays_on_rest_polling() {
    let sim = Sim::streaming(
        &scenario("", "").replacen(
            "duration = \"1h\"\n",
            "duration = \"1h\"\nmute_rooms = [\"xrp_jpy\"]\n",
            1,
        ),
        PING,
    );
    let mut watch = watch(&sim, "1s");
    watch.expect(&["monitor_started normal"], WAIT);
    wait_for(&sim, "btc_jpy's first frame", WAIT, |s| {
        s.stream.joins >= 2 && s.stream.pushes >= 1
    });
    std::thread::sleep(Duration::from_secs(3));
    let before = sim.server.stats();
    // Four more polls begun, so three are surely over: a snapshot taken in the middle of a
    // poll has counted its status request but maybe not yet its circuit_break_info.
    let after = wait_for(&sim, "four more polls", WAIT, |s| {
        s.requests.spot_status >= before.requests.spot_status + 4
    });
    let by = |s: &Stats, p: &str| s.circuit_break_by_pair.get(p).copied().unwrap_or(0);
    assert_eq!(by(&after, "btc_jpy"), by(&before, "btc_jpy"), "{after:#?}");
    assert!(
        by(&after, "xrp_jpy") >= by(&before, "xrp_jpy") + 3,
        "{after:#?}"
    );
}

/// The early trigger: bitbank's ticker stops with its matching engine. A maintenance that
/// begins between two polls 60 s apart is seen about 15 s (`silence::BOUND`) after the last
/// ticker frame, by one extra poll, instead of at the next poll.
#[test]
fn a_silent_ticker_polls_early_and_sees_a_maintenance_before_the_interval() {
    let maintenance = "api = { error = 10007, http_status = 503 }\nticker = false";
    let sim = Sim::streaming(&scenario(maintenance, ""), PING);
    let mut watch = watch(&sim, "60s");
    watch.expect(&["monitor_started normal"], WAIT);
    let before = wait_covered(&sim);
    let ticking = wait_for(&sim, "ticker frames", WAIT, |s| s.stream.ticks >= 3);
    // While the ticker ticks, no extra poll.
    assert_eq!(ticking.requests.spot_status, before.requests.spot_status);
    let switched = Instant::now();
    sim.server.next_phase();
    watch.expect(
        &["maintenance_started maintenance"],
        Duration::from_secs(45),
    );
    let took = switched.elapsed();
    // Not before the bound (less the last frame's age), and by one poll, not the 60 s one.
    assert!(took >= Duration::from_secs(13), "took {took:?}");
    let after = sim.server.stats();
    assert_eq!(
        after.requests.spot_status,
        before.requests.spot_status + 1,
        "{after:#?}"
    );
    assert!(after.stream.ticks <= ticking.stream.ticks + 2, "{after:#?}");
    // Its end: the ticker's first frame back polls at once, rather than the next silence's
    // poll 15 s later. How long it lasted is measured by bbwatch, from poll to poll.
    sim.server.next_phase();
    let ended = watch.expect(&["maintenance_ended normal"], WAIT);
    let lasted = ended[0]["duration_secs"].as_u64().unwrap();
    assert!(lasted <= 8, "the end was seen {lasted} s after the start");
}

/// `early_poll = false` in the file: a silent ticker changes nothing.
#[test]
fn without_the_early_trigger_a_silent_ticker_waits_for_the_interval() {
    let sim = Sim::streaming(&scenario("ticker = false", ""), PING);
    let config = support::empty_dir().join("bbwatch");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "early_poll = false\n").unwrap();
    let mut cmd = sim.bbwatch_streaming(&[
        "watch",
        "--json",
        "--interval",
        "60s",
        "--pairs",
        "btc_jpy,xrp_jpy",
    ]);
    cmd.config_home(config.parent().unwrap());
    let mut watch = Watch::spawn(cmd);
    watch.expect(&["monitor_started normal"], WAIT);
    let before = wait_covered(&sim);
    sim.server.next_phase();
    std::thread::sleep(Duration::from_secs(20));
    let after = sim.server.stats();
    assert_eq!(
        after.requests.spot_status, before.requests.spot_status,
        "{after:#?}"
    );
    watch.expect_quiet(Duration::from_millis(100));
}
