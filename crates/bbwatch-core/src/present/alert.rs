//! Which events become desktop notifications, and how a flapping source is collapsed.
//! Pure: the time and the pause state are passed in.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::config::{Notifications, QuietHours};
use crate::model::asset::Flow;
use crate::model::event::{Event, EventKind};
use crate::model::exchange::Exchange;
use crate::model::level::{Level, PairState};
use crate::model::reason::Reason;

/// Notifications about the same source within this many seconds replace each other.
pub const COLLAPSE_SECS: i64 = 120;

/// Whether the user's settings want a notification for `event` (before pause and quiet hours).
pub fn wanted(event: &Event, settings: &Notifications) -> bool {
    match event.kind {
        EventKind::MonitorStarted => false,
        EventKind::MaintenanceStarted | EventKind::MaintenanceEnded => settings.maintenance,
        EventKind::DownStarted | EventKind::DownEnded => settings.down,
        EventKind::UnreachableStarted | EventKind::UnreachableEnded => settings.unreachable,
        // Deposits and withdrawals stopping are told by their `asset_changed`, in words
        // about transfers: a "trading restricted" beside it would say something false.
        EventKind::DegradedStarted | EventKind::DegradedEnded => {
            settings.degraded && !matches!(event.reason, Some(Reason::Assets(_)))
        }
        EventKind::AssetChanged => settings.assets,
        // The user's own change: the history and the window say it, a popup would only echo.
        EventKind::WatchChanged => false,
        EventKind::PairChanged => {
            let busy =
                |s: &Option<PairState>| matches!(s, Some(PairState::Busy | PairState::VeryBusy));
            let quiet = |s: &Option<PairState>| {
                matches!(s, None | Some(PairState::Normal | PairState::Unknown))
            };
            // A pair's move between normal and busy is "busy"; anything involving a halt,
            // suspension or circuit break is "pairs".
            if (busy(&event.pair_state) || quiet(&event.pair_state))
                && (busy(&event.previous_pair_state) || quiet(&event.previous_pair_state))
            {
                settings.busy
            } else {
                settings.pairs
            }
        }
    }
}

/// Whether `minute` (minutes after local midnight) falls in `quiet_hours`, if set.
pub fn in_quiet_hours(quiet_hours: Option<QuietHours>, minute: u16) -> bool {
    quiet_hours.is_some_and(|q| q.contains(minute))
}

/// The first moment after `now` at which the local clock (`now`'s zone) reads `minute`
/// (minutes after midnight): later today, else tomorrow. "Pause until 08:00" at 23:00 means the
/// next morning. A time skipped by a clock change is taken an hour later.
pub fn next_time_of_day<Tz: TimeZone>(minute: u16, now: &DateTime<Tz>) -> DateTime<Utc> {
    let zone = now.timezone();
    let at = |day: chrono::NaiveDate| {
        let naive =
            day.and_time(chrono::NaiveTime::MIN) + Duration::minutes(i64::from(minute % (24 * 60)));
        zone.from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(naive + Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    let today = now.date_naive();
    let now_utc = now.with_timezone(&Utc);
    match at(today) {
        Some(t) if t > now_utc => t,
        _ => today
            .succ_opt()
            .and_then(at)
            .unwrap_or(now_utc + Duration::days(1)),
    }
}

/// Whether the notification is urgent (it should stay until seen).
pub fn urgent(event: &Event) -> bool {
    matches!(
        event.kind,
        EventKind::MaintenanceStarted | EventKind::DownStarted
    ) || (event.kind == EventKind::MonitorStarted && event.level == Level::Maintenance)
}

/// What a notification is about: a later notification about the same thing replaces or
/// closes the earlier one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// An exchange's overall level.
    Level(Exchange),
    /// One pair of an exchange.
    Pair(Exchange, String),
    /// One asset (and network, when the event is about one).
    Asset(String, Option<String>),
    /// The answer to a "check now" asked for by hand.
    Check,
    /// A problem with the configuration file.
    Config,
    /// The local API cannot be served.
    Api,
    /// The history cannot be recorded.
    History,
    /// The status window cannot be shown (Windows: no WebView2).
    Window,
    /// What quiet hours held back, told when they end.
    Quiet,
    /// A channel to the phone (by name) cannot deliver.
    Channel(String),
}

impl Source {
    /// What `event` is about.
    pub fn of(event: &Event) -> Source {
        match (&event.pair, &event.asset) {
            (Some(p), _) => Source::Pair(event.exchange, p.clone()),
            (None, Some(a)) => Source::Asset(a.clone(), event.network.clone()),
            (None, None) => Source::Level(event.exchange),
        }
    }
}

/// Whether `event` ends what its source's last notification announced (a level's end, a pair
/// trading normally again): that popup is stale from now on, whether or not this one is shown.
pub fn ends_its_source(event: &Event) -> bool {
    match event.kind {
        EventKind::MaintenanceEnded
        | EventKind::DownEnded
        | EventKind::UnreachableEnded
        | EventKind::DegradedEnded
        | EventKind::WatchChanged => true,
        EventKind::PairChanged => {
            matches!(
                event.pair_state,
                None | Some(PairState::Normal | PairState::Unknown)
            )
        }
        EventKind::AssetChanged => {
            event.deposit != Some(Flow::Stopped) && event.withdrawal != Some(Flow::Stopped)
        }
        _ => false,
    }
}

/// Remembers the last notification per source, so a source that flaps within
/// [`COLLAPSE_SECS`] replaces its previous notification instead of adding another.
#[derive(Debug, Default)]
pub struct Collapser {
    last: HashMap<Source, (u32, DateTime<Utc>)>,
}

impl Collapser {
    /// The notification id to replace for `event` at `now`, if any.
    pub fn replaces(&self, event: &Event, now: DateTime<Utc>) -> Option<u32> {
        self.last
            .get(&Source::of(event))
            .filter(|(_, at)| (now - *at).num_seconds() < COLLAPSE_SECS)
            .map(|(id, _)| *id)
    }

    /// Record that `event`'s notification got `id` at `now`.
    pub fn shown(&mut self, event: &Event, id: u32, now: DateTime<Utc>) {
        self.last.insert(Source::of(event), (id, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn a_pause_ends_at_the_next_time_the_clock_shows() {
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        let evening = tokyo.with_ymd_and_hms(2026, 12, 1, 17, 0, 0).unwrap();
        // Later today.
        assert_eq!(
            next_time_of_day(18 * 60 + 30, &evening),
            tokyo.with_ymd_and_hms(2026, 12, 1, 18, 30, 0).unwrap()
        );
        // Earlier than now: tomorrow morning.
        assert_eq!(
            next_time_of_day(8 * 60, &evening),
            tokyo.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()
        );
        // Exactly now is a day away, never a pause that is over before it begins.
        assert_eq!(
            next_time_of_day(17 * 60, &evening),
            tokyo.with_ymd_and_hms(2026, 12, 2, 17, 0, 0).unwrap()
        );
        // Across the month's end.
        let late = tokyo.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap();
        assert_eq!(
            next_time_of_day(60, &late),
            tokyo.with_ymd_and_hms(2027, 1, 1, 1, 0, 0).unwrap()
        );
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    fn event(kind: EventKind) -> Event {
        Event::level_change(kind, at(0), Level::Maintenance, None)
    }

    fn pair(from: PairState, to: PairState) -> Event {
        let mut e = event(EventKind::PairChanged);
        e.pair = Some("btc_jpy".into());
        e.previous_pair_state = Some(from);
        e.pair_state = Some(to);
        e
    }

    #[test]
    fn defaults_notify_levels_and_pair_halts_but_not_busy() {
        let s = Notifications::default();
        assert!(wanted(&event(EventKind::MaintenanceStarted), &s));
        assert!(wanted(&event(EventKind::DownEnded), &s));
        assert!(!wanted(&event(EventKind::MonitorStarted), &s));
        assert!(wanted(&pair(PairState::Normal, PairState::Halted), &s));
        assert!(wanted(&pair(PairState::Halted, PairState::Normal), &s));
        assert!(!wanted(&pair(PairState::Normal, PairState::Busy), &s));
        assert!(!wanted(&pair(PairState::VeryBusy, PairState::Normal), &s));
        let s = Notifications {
            busy: true,
            maintenance: false,
            ..Notifications::default()
        };
        assert!(wanted(&pair(PairState::Normal, PairState::Busy), &s));
        assert!(!wanted(&event(EventKind::MaintenanceEnded), &s));
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        // As the file gives them: a bad value never gets this far.
        let read = |s: &str| s.parse::<QuietHours>().ok();
        let q = read("23:00-07:00");
        assert!(in_quiet_hours(q, 23 * 60));
        assert!(in_quiet_hours(q, 3 * 60));
        assert!(!in_quiet_hours(q, 7 * 60));
        assert!(!in_quiet_hours(q, 12 * 60));
        assert!(in_quiet_hours(read("12:00-13:00"), 12 * 60 + 30));
        assert!(!in_quiet_hours(None, 0));
        assert!(!in_quiet_hours(read("garbage"), 0));
    }

    #[test]
    fn a_flapping_source_replaces_its_notification() {
        let mut c = Collapser::default();
        let e = event(EventKind::DownStarted);
        assert_eq!(c.replaces(&e, at(0)), None);
        c.shown(&e, 7, at(0));
        assert_eq!(c.replaces(&event(EventKind::DownEnded), at(30)), Some(7));
        assert_eq!(
            c.replaces(&pair(PairState::Normal, PairState::Halted), at(30)),
            None
        );
        assert_eq!(c.replaces(&e, at(COLLAPSE_SECS + 1)), None);
    }

    #[test]
    fn an_end_makes_the_start_popup_stale() {
        assert!(ends_its_source(&event(EventKind::MaintenanceEnded)));
        assert!(!ends_its_source(&event(EventKind::MaintenanceStarted)));
        assert!(ends_its_source(&pair(PairState::Halted, PairState::Normal)));
        assert!(!ends_its_source(&pair(
            PairState::Normal,
            PairState::Halted
        )));
        assert_eq!(
            Source::of(&pair(PairState::Normal, PairState::Halted)),
            Source::Pair(Exchange::Bitbank, "btc_jpy".into())
        );
    }

    #[test]
    fn maintenance_start_is_urgent() {
        assert!(urgent(&event(EventKind::MaintenanceStarted)));
        assert!(!urgent(&event(EventKind::MaintenanceEnded)));
    }
}
