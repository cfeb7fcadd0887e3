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
/// A wall clock that moved this much further than the monotonic clock means the machine slept.
const CLOCK_JUMP: Duration = Duration::from_secs(3);

/// Paces polls. Pure: the caller supplies the random jitter.
#[derive(Clone, Debug)]
pub struct Pacer {
    interval: Duration,
    backoff_steps: u32,
}

impl Pacer {
    /// A pacer for `interval`, clamped to [`MAX_INTERVAL`].
    pub fn new(interval: Duration) -> Pacer {
        Pacer {
            interval: interval.min(MAX_INTERVAL),
            backoff_steps: 0,
        }
    }

    /// Poll every `interval` from the next wait on (clamped to [`MAX_INTERVAL`]).
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval.min(MAX_INTERVAL);
    }

    /// The wait before the next poll. `rate_limited` is `Some(retry_after)` when the poll was
    /// rate limited; `jitter` is a random number in `[0, 1)`. Never more than
    /// `max(interval, MAX_RETRY_AFTER, MAX_BACKOFF)` plus jitter, whatever the server said.
    pub fn next_delay(&mut self, rate_limited: Option<Option<Duration>>, jitter: f64) -> Duration {
        let base = match rate_limited {
            None => {
                self.backoff_steps = 0;
                self.interval
            }
            Some(retry_after) => {
                self.backoff_steps = self.backoff_steps.saturating_add(1);
                match retry_after {
                    Some(r) => r.min(MAX_RETRY_AFTER).max(self.interval),
                    None => {
                        let factor = 2u32.saturating_pow(self.backoff_steps.min(16));
                        self.interval
                            .saturating_mul(factor)
                            .min(MAX_BACKOFF)
                            .max(self.interval)
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
        base.saturating_add(self.interval.mul_f64(JITTER_FRACTION * jitter))
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
    fn clock_jumps() {
        assert!(!clock_jumped(30 * S, Some(30 * S)));
        assert!(!clock_jumped(30 * S, Some(31 * S)));
        assert!(clock_jumped(30 * S, Some(3600 * S)));
        assert!(clock_jumped(30 * S, None));
    }
}
