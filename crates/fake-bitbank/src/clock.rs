//! The scenario clock: which phase is in force, computed from the phase start instant.
//!
//! The clock is the one place that knows the current phase. It advances lazily whenever someone
//! asks (every request asks), so a switch is visible to the very next request; a timer task in
//! the server only asks at each boundary so that watchers hear about changes on time.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};

/// The phase in force and when it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PhaseNow {
    pub index: usize,
    pub started: Instant,
}

struct State {
    index: usize,
    started: Instant,
}

pub(crate) struct Clock {
    names: Vec<String>,
    /// Phase durations already divided by the speed.
    durations: Vec<Option<Duration>>,
    repeat: bool,
    /// Length of a whole loop when repeating (every phase has a duration then).
    cycle: Option<Duration>,
    origin: Instant,
    origin_wall_ms: i64,
    state: Mutex<State>,
    tx: watch::Sender<(usize, String)>,
    /// Wakes the timer task when `skip` moved the next boundary.
    pub(crate) wake: Notify,
}

/// Divides a scenario duration by the speed, never panicking and never reaching zero (a
/// zero-length phase would make the repeat loop spin).
pub(crate) fn scale(d: Duration, speed: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() / speed)
        .unwrap_or(Duration::MAX)
        .max(Duration::from_micros(1))
}

impl Clock {
    /// A clock whose first phase starts now. `phases` are (name, unscaled duration).
    pub fn new(phases: Vec<(String, Option<Duration>)>, repeat: bool, speed: f64) -> Clock {
        let (names, raw): (Vec<_>, Vec<_>) = phases.into_iter().unzip();
        let durations: Vec<Option<Duration>> = raw
            .into_iter()
            .map(|d| d.map(|d| scale(d, speed)))
            .collect();
        let cycle = if repeat {
            durations
                .iter()
                .try_fold(Duration::ZERO, |acc, d| d.and_then(|d| acc.checked_add(d)))
        } else {
            None
        };
        let first = names.first().cloned().unwrap_or_default();
        let (tx, _) = watch::channel((0, first));
        let origin = Instant::now();
        Clock {
            names,
            durations,
            repeat,
            cycle,
            origin,
            origin_wall_ms: chrono::Utc::now().timestamp_millis(),
            state: Mutex::new(State {
                index: 0,
                started: origin,
            }),
            tx,
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave `State` half-written (two plain fields), so keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves `st` forward to `now`; true if the phase changed.
    fn step(&self, st: &mut State, now: Instant) -> bool {
        let n = self.durations.len();
        let mut changed = false;
        let mut wrapped = false;
        loop {
            let last = st.index + 1 >= n;
            if last && !self.repeat {
                break; // stay in the last phase forever
            }
            let Some(end) = self
                .durations
                .get(st.index)
                .copied()
                .flatten()
                .and_then(|d| st.started.checked_add(d))
            else {
                break;
            };
            if now < end {
                break;
            }
            st.started = end;
            st.index = if last { 0 } else { st.index + 1 };
            changed = true;
            if last && !wrapped {
                wrapped = true;
                // Whole loops behind (huge speed, or a stalled process): skip them at once.
                if let Some(cycle) = self.cycle.filter(|c| !c.is_zero()) {
                    let behind = now.saturating_duration_since(st.started);
                    let loops = behind.as_nanos() / cycle.as_nanos();
                    let skip =
                        u64::try_from(loops.saturating_mul(cycle.as_nanos())).unwrap_or(u64::MAX);
                    if let Some(s) = st.started.checked_add(Duration::from_nanos(skip)) {
                        st.started = s;
                    }
                }
            }
        }
        changed
    }

    fn publish(&self, index: usize) {
        let name = self.names.get(index).cloned().unwrap_or_default();
        self.tx.send_replace((index, name));
    }

    /// The phase in force at `now`. `on_change` runs (under the clock's lock, so changes are
    /// seen in order) with the new index when the phase changed.
    pub fn at(&self, now: Instant, on_change: impl FnOnce(usize)) -> PhaseNow {
        let mut st = self.lock();
        if self.step(&mut st, now) {
            on_change(st.index);
            self.publish(st.index);
        }
        PhaseNow {
            index: st.index,
            started: st.started,
        }
    }

    /// The phase in force now.
    pub fn now(&self, on_change: impl FnOnce(usize)) -> PhaseNow {
        self.at(Instant::now(), on_change)
    }

    /// Switches to the next phase now (the new phase's timer starts now). On the last phase of
    /// a non-repeating scenario there is no next phase: nothing happens.
    pub fn skip(&self, on_change: impl FnOnce(usize)) -> PhaseNow {
        let now = Instant::now();
        let mut st = self.lock();
        let mut changed = self.step(&mut st, now);
        let next = st.index + 1;
        if next < self.durations.len() || self.repeat {
            st.index = if next < self.durations.len() { next } else { 0 };
            st.started = now;
            changed = true;
        }
        if changed {
            on_change(st.index);
            self.publish(st.index);
        }
        self.wake.notify_one();
        PhaseNow {
            index: st.index,
            started: st.started,
        }
    }

    /// When the current phase ends, if it ever does.
    pub fn deadline(&self) -> Option<Instant> {
        let st = self.lock();
        if st.index + 1 >= self.durations.len() && !self.repeat {
            return None;
        }
        let d = self.durations.get(st.index).copied().flatten()?;
        st.started.checked_add(d)
    }

    /// Name of a phase.
    pub fn name(&self, index: usize) -> String {
        self.names.get(index).cloned().unwrap_or_default()
    }

    /// Wall-clock milliseconds since the epoch at `instant`.
    pub fn wall_ms(&self, instant: Instant) -> i64 {
        let since = instant.saturating_duration_since(self.origin).as_millis();
        self.origin_wall_ms
            .saturating_add(i64::try_from(since).unwrap_or(i64::MAX))
    }

    /// Watch phase changes.
    pub fn subscribe(&self) -> watch::Receiver<(usize, String)> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(durations: &[Option<u64>], repeat: bool, speed: f64) -> Clock {
        let phases = durations
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("p{i}"), d.map(Duration::from_secs)))
            .collect();
        Clock::new(phases, repeat, speed)
    }

    fn index_after(c: &Clock, secs: f64) -> usize {
        c.at(c.origin + Duration::from_secs_f64(secs), |_| {}).index
    }

    #[test]
    fn advances_through_phases_and_stays_in_the_last() {
        let c = clock(&[Some(3), Some(6), None], false, 1.0);
        assert_eq!(index_after(&c, 0.0), 0);
        assert_eq!(index_after(&c, 2.9), 0);
        assert_eq!(index_after(&c, 3.0), 1);
        assert_eq!(index_after(&c, 8.9), 1);
        assert_eq!(index_after(&c, 9.0), 2);
        assert_eq!(index_after(&c, 1e6), 2);
    }

    #[test]
    fn last_phase_duration_is_ignored_without_repeat() {
        let c = clock(&[Some(1), Some(1)], false, 1.0);
        assert_eq!(index_after(&c, 100.0), 1);
        assert_eq!(c.deadline(), None);
    }

    #[test]
    fn speed_divides_durations() {
        // 6 h at speed 3600 is 6 s.
        let c = clock(&[Some(6 * 3600), None], false, 3600.0);
        assert_eq!(index_after(&c, 5.9), 0);
        assert_eq!(index_after(&c, 6.0), 1);
    }

    #[test]
    fn repeat_loops_and_skips_whole_cycles() {
        let c = clock(&[Some(2), Some(3)], true, 1.0);
        assert_eq!(index_after(&c, 1.0), 0);
        assert_eq!(index_after(&c, 2.5), 1);
        assert_eq!(index_after(&c, 5.5), 0);
        assert_eq!(index_after(&c, 5.0 * 1000.0 + 2.5), 1);
        let st = c.lock();
        assert_eq!(st.started, c.origin + Duration::from_secs(5002));
    }

    #[test]
    fn skip_moves_on_and_restarts_the_timer() {
        let c = clock(&[Some(100), Some(100), None], false, 1.0);
        let mut rx = c.subscribe();
        let mut seen = Vec::new();
        let p = c.skip(|i| seen.push(i));
        assert_eq!(p.index, 1);
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().1, "p1");
        assert!(c.deadline().unwrap() > Instant::now() + Duration::from_secs(99));
        c.skip(|i| seen.push(i));
        // No next phase after the last one: no change.
        c.skip(|i| seen.push(i));
        assert_eq!(seen, [1, 2]);
        assert_eq!(c.now(|_| {}).index, 2);
    }

    #[test]
    fn scale_never_panics() {
        assert_eq!(scale(Duration::from_secs(1), 1e-300), Duration::MAX);
        assert_eq!(
            scale(Duration::from_secs(1), 1e300),
            Duration::from_micros(1)
        );
    }
}
