//! When to poll next: the interval with a little jitter, slowed down when rate limited.

use std::time::Duration;

/// Jitter is at most this fraction of the interval, always added (never early).
const JITTER_FRACTION: f64 = 0.02;
/// Exponential backoff never waits longer than this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// The longest poll interval accepted (config, flag or caller): a monitor that polls less
/// often than this is not watching.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);
/// A server's `Retry-After` is honoured up to this; more is a server's bug or a hostile
/// answer, and would stop polling for as long as it likes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// During a maintenance, poll at least this often, to see its end soon after it comes.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(5);
/// What polling faster may cost: at most this many requests a second on average, well inside
/// bitbank's documented limit (about 10 a second).
const FAST_REQUESTS_PER_SEC: u32 = 5;
/// A wall clock that moved this much further than the monotonic clock means the machine slept.
const CLOCK_JUMP: Duration = Duration::from_secs(3);

/// Paces polls. Pure: the caller supplies the random jitter.
#[derive(Clone, Debug)]
pub struct Pacer {
    interval: Duration,
    /// The shorter interval in force while something urgent (a maintenance) is under way.
    urgent: Option<Duration>,
    backoff_steps: u32,
}

impl Pacer {
    /// A pacer for `interval`, clamped to [`MAX_INTERVAL`].
    pub fn new(interval: Duration) -> Pacer {
        Pacer {
            interval: interval.min(MAX_INTERVAL),
            urgent: None,
            backoff_steps: 0,
        }
    }

    /// Poll every `interval` from the next wait on (clamped to [`MAX_INTERVAL`]).
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval.min(MAX_INTERVAL);
    }

    /// While a maintenance is under way (`requests` a poll, `Some`), poll every
    /// [`MAINTENANCE_INTERVAL`], or as often as the request budget allows, if that is sooner
    /// than the interval; `None` goes back to the interval. Rate limiting still backs off.
    pub fn hurry(&mut self, requests: Option<usize>) {
        self.urgent = requests.map(|n| {
            let per_poll = u32::try_from(n).unwrap_or(u32::MAX);
            MAINTENANCE_INTERVAL
                .max(Duration::from_secs(1).saturating_mul(per_poll) / FAST_REQUESTS_PER_SEC)
        });
    }

    /// The interval in force: the configured one, or the urgent one when sooner.
    fn current(&self) -> Duration {
        match self.urgent {
            Some(urgent) => urgent.min(self.interval),
            None => self.interval,
        }
    }

    /// The wait before the next poll. `rate_limited` is `Some(retry_after)` when the poll was
    /// rate limited; `jitter` is a random number in `[0, 1)`. Never more than
    /// `max(interval, MAX_RETRY_AFTER, MAX_BACKOFF)` plus jitter, whatever the server said.
    pub fn next_delay(&mut self, rate_limited: Option<Option<Duration>>, jitter: f64) -> Duration {
        let interval = self.current();
        let base = match rate_limited {
            None => {
                self.backoff_steps = 0;
                interval
            }
            Some(retry_after) => {
                self.backoff_steps = self.backoff_steps.saturating_add(1);
                match retry_after {
                    Some(r) => r.min(MAX_RETRY_AFTER).max(interval),
                    None => {
                        let factor = 2u32.saturating_pow(self.backoff_steps.min(16));
                        interval
                            .saturating_mul(factor)
                            .min(MAX_BACKOFF)
                            .max(interval)
                    }
                }
            }
        };
        // NaN jitter would make `mul_f64` panic; `clamp` keeps NaN, so test it first.
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        base.saturating_add(interval.mul_f64(JITTER_FRACTION * jitter))
    }
}

/// Whether the wall clock moved `CLOCK_JUMP` more (or less) than the monotonic clock over the
/// same wait: the machine was suspended, or the clock was set.
pub fn clock_jumped(monotonic: Duration, wall: Option<Duration>) -> bool {
    match wall {
        // The wall clock went backwards.
        None => true,
        Some(wall) => wall.abs_diff(monotonic) > CLOCK_JUMP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_interval_with_a_little_jitter_and_never_early() {
        let mut p = Pacer::new(30 * S);
        assert_eq!(p.next_delay(None, 0.0), 30 * S);
        let d = p.next_delay(None, 0.999);
        assert!(d > 30 * S && d < Duration::from_millis(30_600), "{d:?}");
    }

    #[test]
    fn retry_after_is_honoured_but_never_shortens_the_interval() {
        let mut p = Pacer::new(S);
        assert_eq!(p.next_delay(Some(Some(5 * S)), 0.0), 5 * S);
        let mut p = Pacer::new(30 * S);
        assert_eq!(p.next_delay(Some(Some(5 * S)), 0.0), 30 * S);
    }

    #[test]
    fn without_retry_after_backoff_doubles_up_to_a_cap_and_resets() {
        let mut p = Pacer::new(10 * S);
        assert_eq!(p.next_delay(Some(None), 0.0), 20 * S);
        assert_eq!(p.next_delay(Some(None), 0.0), 40 * S);
        assert_eq!(p.next_delay(Some(None), 0.0), 80 * S);
        for _ in 0..40 {
            assert!(p.next_delay(Some(None), 0.0) <= MAX_BACKOFF);
        }
        assert_eq!(p.next_delay(None, 0.0), 10 * S);
        assert_eq!(p.next_delay(Some(None), 0.0), 20 * S);
    }

    #[test]
    fn an_overflowing_retry_after_is_capped_and_never_panics() {
        let mut p = Pacer::new(30 * S);
        let d = p.next_delay(Some(Some(Duration::MAX)), 0.999);
        assert!(d <= MAX_RETRY_AFTER + S, "{d:?}");
        let d = p.next_delay(Some(Some(Duration::from_secs(u64::MAX))), f64::NAN);
        assert_eq!(d, MAX_RETRY_AFTER);
    }

    #[test]
    fn an_enormous_interval_is_capped_and_never_panics() {
        let mut p = Pacer::new(Duration::MAX);
        assert!(p.next_delay(None, 0.999) <= MAX_INTERVAL + MAX_INTERVAL / 50);
        for _ in 0..40 {
            assert!(p.next_delay(Some(None), 0.999) <= MAX_INTERVAL * 2);
            assert!(p.next_delay(Some(Some(Duration::MAX)), 0.999) <= MAX_INTERVAL * 2);
        }
    }

    #[test]
    fn a_maintenance_polls_faster_within_the_request_budget_and_then_slows_again() {
        let mut p = Pacer::new(Duration::from_secs(30));
        p.hurry(Some(2));
        assert_eq!(p.next_delay(None, 0.0), MAINTENANCE_INTERVAL);
        // 92 requests a poll at 5 a second: every 18.4 s, still sooner than 30 s.
        p.hurry(Some(92));
        assert_eq!(p.next_delay(None, 0.0), Duration::from_millis(18_400));
        // Never slower than the interval itself.
        p.hurry(Some(1_000));
        assert_eq!(p.next_delay(None, 0.0), Duration::from_secs(30));
        // Nor faster than the user asked for.
        p.set_interval(Duration::from_secs(2));
        p.hurry(Some(2));
        assert_eq!(p.next_delay(None, 0.0), Duration::from_secs(2));
        // Rate limiting still backs off from the faster pace.
        p.set_interval(Duration::from_secs(30));
        assert_eq!(p.next_delay(Some(None), 0.0), MAINTENANCE_INTERVAL * 2);
        p.hurry(None);
        assert_eq!(p.next_delay(None, 0.0), Duration::from_secs(30));
        p.hurry(Some(usize::MAX));
        assert_eq!(p.next_delay(None, 0.0), Duration::from_secs(30));
    }

    #[test]
    fn clock_jumps() {
        assert!(!clock_jumped(30 * S, Some(30 * S)));
        assert!(!clock_jumped(30 * S, Some(31 * S)));
        assert!(clock_jumped(30 * S, Some(3600 * S)));
        assert!(clock_jumped(30 * S, None));
    }
}
