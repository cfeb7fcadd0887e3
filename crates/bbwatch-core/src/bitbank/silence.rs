//! The early trigger: when the stream's ticker room ([`crate::bitbank::stream::TICKER_ROOM`]) falls
//! silent for longer than [`BOUND`], poll over REST at once instead of at the end of the
//! interval, because a matching engine that stopped pushing its ticker may be going into
//! maintenance. At most one such poll per [`BOUND`], however long the silence lasts.
//!
//! The bound: bitbank pushes btc_jpy's ticker about once a second even when no price moves
//! (a recorded session of 2023 shows gaps of 0.8 s to 1.3 s between frames with the same
//! prices), and the docs' own 2019 sample shows two frames 10.9 s apart. 15 s is more than ten
//! times the normal gap and above the longest gap on record, and half the default 30 s
//! interval, so a silence is acted on well before the next poll. A false alarm costs one
//! poll (2 requests). docs/architecture.md tells how to measure the gaps again.
//!
//! Pure: time is passed in.

use std::time::Duration;

use tokio::time::Instant;

/// A silence longer than this makes an early poll.
pub const BOUND: Duration = Duration::from_secs(15);

/// What the ticker room has said, and when the last early poll was.
#[derive(Clone, Debug, Default)]
pub struct Silence {
    /// The last ticker frame of the session in progress; none before the first.
    heard: Option<Instant>,
    /// The last early poll.
    fired: Option<Instant>,
}

impl Silence {
    /// Nothing heard yet.
    pub fn new() -> Silence {
        Silence::default()
    }

    /// A ticker frame arrived at `now`. Returns whether it ends a silence that called for an
    /// early poll: the ticker coming back (a maintenance ending) is as worth a poll as its
    /// going quiet was.
    pub fn heard(&mut self, now: Instant) -> bool {
        let back = self
            .fired
            .is_some_and(|fired| self.heard.is_none_or(|heard| heard <= fired));
        self.heard = Some(now);
        back
    }

    /// The session ended: a room not joined says nothing by its silence.
    pub fn reset(&mut self) {
        self.heard = None;
    }

    /// When an early poll is due if the room stays silent: [`BOUND`] after the last frame,
    /// and no sooner than [`BOUND`] after the last early poll. None until a first frame.
    pub fn due(&self) -> Option<Instant> {
        let after_frame = self.heard? + BOUND;
        Some(match self.fired {
            Some(fired) => after_frame.max(fired + BOUND),
            None => after_frame,
        })
    }

    /// The early poll due at [`Silence::due`] is made at `now`.
    pub fn fire(&mut self, now: Instant) {
        self.fired = Some(now);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nothing_is_due_before_a_first_frame_or_after_a_reset() {
        let mut s = Silence::new();
        assert_eq!(s.due(), None);
        let t0 = Instant::now();
        s.heard(t0);
        assert_eq!(s.due(), Some(t0 + BOUND));
        s.reset();
        assert_eq!(s.due(), None);
    }

    #[test]
    fn each_frame_pushes_the_deadline_back() {
        let mut s = Silence::new();
        let t0 = Instant::now();
        for i in 0..100 {
            s.heard(t0 + Duration::from_secs(i));
        }
        assert_eq!(s.due(), Some(t0 + Duration::from_secs(99) + BOUND));
    }

    #[test]
    fn a_long_silence_polls_once_per_bound() {
        let mut s = Silence::new();
        let t0 = Instant::now();
        s.heard(t0);
        let mut polls = Vec::new();
        // Five minutes without a frame: the monitor fires whenever due.
        while let Some(due) = s.due() {
            if due > t0 + Duration::from_secs(300) {
                break;
            }
            s.fire(due);
            polls.push(due - t0);
        }
        assert_eq!(polls.len(), 20);
        assert!(polls.windows(2).all(|w| w[1] - w[0] >= BOUND));
        assert_eq!(polls[0], BOUND);
    }

    #[test]
    fn the_first_frame_after_a_silence_that_polled_calls_for_a_poll_once() {
        let mut s = Silence::new();
        let t0 = Instant::now();
        assert!(!s.heard(t0), "a first frame ends no silence");
        assert!(!s.heard(t0 + Duration::from_secs(1)));
        s.fire(t0 + Duration::from_secs(1) + BOUND);
        assert!(s.heard(t0 + Duration::from_secs(40)), "the ticker is back");
        assert!(
            !s.heard(t0 + Duration::from_secs(41)),
            "only the first frame"
        );
        // A silence that did not last long enough to poll ends with no poll.
        assert!(!s.heard(t0 + Duration::from_secs(50)));
    }

    #[test]
    fn a_frame_after_an_early_poll_still_waits_a_bound_from_that_poll() {
        let mut s = Silence::new();
        let t0 = Instant::now();
        s.heard(t0);
        s.fire(t0 + BOUND);
        s.heard(t0 + BOUND + Duration::from_secs(1));
        assert_eq!(s.due(), Some(t0 + BOUND * 2 + Duration::from_secs(1)));
    }
}
