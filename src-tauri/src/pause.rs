//! Whether notifications are paused, and until when.

use chrono::{DateTime, Utc};

/// Whether notifications are paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pause {
    /// Notifications are shown.
    Off,
    /// Paused until this time.
    Until(DateTime<Utc>),
    /// Paused until the user resumes.
    Forever,
}

impl Pause {
    /// Whether notifications are held back at `now`.
    pub fn active(self, now: DateTime<Utc>) -> bool {
        match self {
            Pause::Off => false,
            Pause::Until(t) => now < t,
            Pause::Forever => true,
        }
    }
}
