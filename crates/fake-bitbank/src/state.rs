//! The running fake's state, shared by the listeners, the connection tasks, the stream and
//! the handle: the scenario and its clock, the counters and the HTTP hosts' doors.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::watch;

use crate::auth::Account;
use crate::clock::{Clock, PhaseNow};
use crate::door::{Door, Host};
use crate::phase::{Behavior, Phase};
use crate::scenario::Scenario;
use crate::stats::{ByteCounts, Counters, Stats, StreamCounts};

/// State shared by the listeners, the connection tasks and the handle.
pub(crate) struct Shared {
    pub(crate) scenario: Scenario,
    pub(crate) speed: f64,
    pub(crate) clock: Clock,
    pub(crate) counters: Counters,
    pub(crate) api: Door,
    pub(crate) public: Door,
    pub(crate) gmocoin: Door,
    pub(crate) bitflyer: Door,
    pub(crate) coincheck: Door,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) ticker_interval: Duration,
    pub(crate) account: Account,
    pub(crate) holdings: BTreeSet<String>,
}

impl Shared {
    pub(crate) fn door(&self, host: Host) -> &Door {
        match host {
            Host::Api => &self.api,
            Host::Public => &self.public,
            Host::GmoCoin => &self.gmocoin,
            Host::BitFlyer => &self.bitflyer,
            Host::Coincheck => &self.coincheck,
        }
    }

    /// The stream's keepalive: PING period and PONG timeout.
    pub(crate) fn keepalive(&self) -> (Duration, Duration) {
        (self.ping_interval, self.ping_timeout)
    }

    /// The phase in force now.
    pub(crate) fn current_phase(&self) -> &Phase {
        self.phase_at(self.current().index)
    }

    /// Phase changes, the clock brought up to date first.
    pub(crate) fn subscribe_phases(&self) -> watch::Receiver<(usize, String)> {
        self.current();
        self.clock.subscribe()
    }

    pub(crate) fn phase_at(&self, index: usize) -> &Phase {
        // The clock only yields indices of this scenario's phases; the fallback is unreachable.
        let phases = self.scenario.phases();
        phases.get(index).or(phases.last()).unwrap_or(&EMPTY_PHASE)
    }

    pub(crate) fn refuses(&self, host: Host, index: usize) -> bool {
        *host.behavior(self.phase_at(index)) == Behavior::Refuse
    }

    fn on_phase_change(&self, index: usize) {
        for host in Host::ALL {
            self.door(host).phase_changed(!self.refuses(host, index));
        }
    }

    /// The phase in force now (advancing the clock if a boundary has passed).
    pub(crate) fn current(&self) -> PhaseNow {
        self.clock.now(|i| self.on_phase_change(i))
    }

    pub(crate) fn next_phase(&self) -> PhaseNow {
        self.clock.skip(|i| self.on_phase_change(i))
    }

    pub(crate) fn stats(&self) -> Stats {
        let now = self.current();
        Stats {
            phase: self.clock.name(now.index),
            phase_index: now.index,
            requests: self.counters.snapshot(),
            circuit_break_by_pair: self.counters.by_pair().clone(),
            stream: StreamCounts {
                connections: self.counters.stream_connections.load(Ordering::Relaxed),
                refused: self.counters.stream_refused.load(Ordering::Relaxed),
                joins: self.counters.stream_joins.load(Ordering::Relaxed),
                pushes: self.counters.stream_pushes.load(Ordering::Relaxed),
                ticks: self.counters.stream_ticks.load(Ordering::Relaxed),
            },
            bytes: ByteCounts {
                http: self.counters.http_bytes.load(Ordering::Relaxed),
                stream: self.counters.stream_bytes.load(Ordering::Relaxed),
            },
            auth_failures: self.counters.auth_failures.load(Ordering::Relaxed),
            secret_seen: self.counters.secret_seen.load(Ordering::Relaxed),
        }
    }
}

static EMPTY_PHASE: LazyLock<Phase> = LazyLock::new(Phase::default);
