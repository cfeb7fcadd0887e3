//! Quiet hours (`"23:00-07:00"`), parsed once where they are read.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Local times between which notifications are silent, in minutes after midnight; `end`
/// before `start` wraps past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// When they start.
    pub start: u16,
    /// When they end (not included).
    pub end: u16,
}

impl QuietHours {
    /// Whether `minute` (minutes after local midnight) falls in them.
    pub fn contains(self, minute: u16) -> bool {
        if self.start <= self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// `"HH:MM-HH:MM"` → minutes after midnight of start and end: the one parser of quiet hours
/// (the file's, the flags' and the settings form's).
pub fn parse_quiet_hours(s: &str) -> Result<(u16, u16), String> {
    let err = || format!("{s:?} is not a range like \"23:00-07:00\"");
    let (a, b) = s.split_once('-').ok_or_else(err)?;
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    Ok((minutes(a).ok_or_else(err)?, minutes(b).ok_or_else(err)?))
}

impl FromStr for QuietHours {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (start, end) = parse_quiet_hours(s)?;
        Ok(QuietHours { start, end })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

impl Serialize for QuietHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_read_and_write_back_the_same() {
        let q: QuietHours = "23:00-07:30".parse().unwrap();
        assert_eq!(
            q,
            QuietHours {
                start: 1380,
                end: 450
            }
        );
        assert_eq!(q.to_string(), "23:00-07:30");
        assert!(q.contains(23 * 60) && q.contains(0) && !q.contains(450));
        assert!("7:00-8:00".parse::<QuietHours>().is_ok());
        assert!("late".parse::<QuietHours>().is_err());
    }
}
