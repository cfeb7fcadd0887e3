//! What a channel to the phone is told, and when: the same choices, words and quiet hours as
//! the desktop notifications, and a flapping source collapsed. Pure: the time and the local
//! minute are passed in.
//!
//! - An event goes out if the channel wants it ([`Channel::wants`]): its own `on` list, else
//!   what `[notifications]` choose ([`alert::wanted`]).
//! - In the channel's quiet hours it is held, and one summary goes out when they end; with
//!   `urgent_in_quiet_hours`, urgent events ([`alert::urgent`]) still go at once.
//! - A phone cannot take a message back as a popup is replaced, so a source that flaps is
//!   damped instead: within [`alert::COLLAPSE_SECS`] of the last message about a source, an
//!   event that ends what it said waits for the end of that window; one that starts it again
//!   cancels the wait and says nothing (the phone says so already). When the window ends, what
//!   waits goes out. Something new (another level) goes out at once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::{Channel, Notifications};
use crate::i18n::{Lang, Msg};
use crate::model::event::{Event, EventKind};
use crate::model::level::Level;
use crate::present::alert::{self, Source, COLLAPSE_SECS};
use crate::present::render::{popup_body, popup_title, quiet_summary, sentence};

/// Events held back by quiet hours, at most, as for popups.
pub const MAX_HELD: usize = 100;

/// What a channel sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// One event.
    Event(Box<Event>),
    /// What quiet hours held back, told when they end.
    Summary(Vec<Event>),
}

/// How loudly a message should arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Something ended, a summary, a test.
    Default,
    /// Something stopped or got worse.
    High,
    /// bitbank stopped: maintenance or an outage started.
    Urgent,
}

/// A message in words, ready for any channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The popup's title.
    pub title: String,
    /// The popup's body.
    pub body: String,
    /// How loudly.
    pub priority: Priority,
    /// The level it tells of (the summary: the last one), for an icon or a tag.
    pub level: Level,
}

impl Message {
    /// The words of `outgoing` in `lang`, the same as the popups' (`now` for the summary's
    /// times).
    pub fn of(outgoing: &Outgoing, lang: Lang, now: &DateTime<Utc>) -> Message {
        match outgoing {
            Outgoing::Event(event) => Message {
                title: popup_title(event, lang),
                body: sentence(&popup_body(event, lang)),
                priority: priority(event),
                level: event.level,
            },
            Outgoing::Summary(held) => {
                let (title, body) = quiet_summary(held, lang, now);
                Message {
                    title,
                    body,
                    priority: Priority::Default,
                    level: held.last().map_or(Level::Unknown, |e| e.level),
                }
            }
        }
    }

    /// The message "Send a test" sends.
    pub fn test(lang: Lang) -> Message {
        Message {
            title: Msg::ChannelTestTitle.text(lang).to_owned(),
            body: Msg::ChannelTestBody.text(lang).to_owned(),
            priority: Priority::Default,
            level: Level::Normal,
        }
    }

    /// Title and body on lines of their own, for channels that have no title.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

/// How loudly `event` should arrive.
pub fn priority(event: &Event) -> Priority {
    if alert::urgent(event) {
        Priority::Urgent
    } else if alert::ends_its_source(event) {
        Priority::Default
    } else {
        Priority::High
    }
}

/// The last message about a source, and what waits for its window to end.
#[derive(Clone, Debug)]
struct Said {
    event: Event,
    at: DateTime<Utc>,
    waiting: Option<Event>,
}

/// One channel's memory: what it said per source, what quiet hours hold.
#[derive(Debug, Default)]
pub struct Relay {
    said: HashMap<Source, Said>,
    held: Vec<Event>,
}

/// Whether two events say the same of their source (a flap back to it says nothing new).
fn same_news(a: &Event, b: &Event) -> bool {
    a.kind == b.kind
        && a.level == b.level
        && a.pair_state == b.pair_state
        && a.deposit == b.deposit
        && a.withdrawal == b.withdrawal
}

impl Relay {
    /// What to send now for `event`, reaching `channel` at `now` (`minute`: minutes after
    /// local midnight), the desktop settings being `notifications`.
    pub fn offer(
        &mut self,
        event: &Event,
        channel: &Channel,
        notifications: &Notifications,
        minute: u16,
        now: DateTime<Utc>,
    ) -> Option<Outgoing> {
        if !channel.wants(event.kind, alert::wanted(event, notifications))
            || event.kind == EventKind::MonitorStarted && channel.on.is_empty()
        {
            return None;
        }
        let quiet = alert::in_quiet_hours(
            channel.quiet_hours.resolve(notifications.quiet_hours),
            minute,
        );
        if quiet && !(channel.urgent_in_quiet_hours && alert::urgent(event)) {
            if self.held.len() < MAX_HELD {
                self.held.push(event.clone());
            }
            return None;
        }
        self.damp(event, now)
    }

    /// Send `event` now, hold it until its source's window ends, or drop it as a flap.
    fn damp(&mut self, event: &Event, now: DateTime<Utc>) -> Option<Outgoing> {
        let source = Source::of(event);
        let window = Duration::seconds(COLLAPSE_SECS);
        if let Some(said) = self.said.get_mut(&source) {
            if now - said.at < window {
                if alert::ends_its_source(event) {
                    said.waiting = Some(event.clone());
                    return None;
                }
                if same_news(event, &said.event) {
                    // Back to what the phone already says: the end that waited is void.
                    said.waiting = None;
                    return None;
                }
            }
        }
        self.said.insert(
            source,
            Said {
                event: event.clone(),
                at: now,
                waiting: None,
            },
        );
        Some(Outgoing::Event(Box::new(event.clone())))
    }

    /// What is due at `now`: events whose source's window has ended, then the summary of
    /// quiet hours that are over. Call it every few seconds, and when the settings change.
    pub fn due(
        &mut self,
        channel: &Channel,
        notifications: &Notifications,
        minute: u16,
        now: DateTime<Utc>,
    ) -> Vec<Outgoing> {
        let window = Duration::seconds(COLLAPSE_SECS);
        let mut out = Vec::new();
        for said in self.said.values_mut() {
            if now - said.at >= window {
                if let Some(event) = said.waiting.take() {
                    said.event = event.clone();
                    said.at = now;
                    out.push(Outgoing::Event(Box::new(event)));
                }
            }
        }
        out.sort_by_key(|o| match o {
            Outgoing::Event(e) => e.at,
            Outgoing::Summary(_) => now,
        });
        let quiet = alert::in_quiet_hours(
            channel.quiet_hours.resolve(notifications.quiet_hours),
            minute,
        );
        if !quiet && !self.held.is_empty() {
            out.push(Outgoing::Summary(std::mem::take(&mut self.held)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::config::{ChannelKind, ChannelQuiet};
    use crate::model::level::PairState;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).single().unwrap() + Duration::seconds(secs)
    }

    fn level(kind: EventKind, at: i64) -> Event {
        let (level, before) = match kind {
            EventKind::MaintenanceStarted => (Level::Maintenance, Level::Normal),
            EventKind::MaintenanceEnded => (Level::Normal, Level::Maintenance),
            EventKind::DownStarted => (Level::Down, Level::Normal),
            EventKind::DownEnded => (Level::Normal, Level::Down),
            _ => (Level::Normal, Level::Normal),
        };
        Event::level_change(kind, t(at), level, Some(before))
    }

    fn pair(state: PairState, before: PairState, at: i64) -> Event {
        let mut e = Event::level_change(EventKind::PairChanged, t(at), Level::Normal, None);
        e.pair = Some("btc_jpy".into());
        e.pair_state = Some(state);
        e.previous_pair_state = Some(before);
        e
    }

    fn kinds(out: &[Outgoing]) -> Vec<EventKind> {
        out.iter()
            .filter_map(|o| match o {
                Outgoing::Event(e) => Some(e.kind),
                Outgoing::Summary(_) => None,
            })
            .collect()
    }

    const NOON: u16 = 12 * 60;

    fn ntfy() -> Channel {
        Channel::new(ChannelKind::Ntfy)
    }

    #[test]
    fn the_desktop_choices_apply_unless_the_channel_lists_its_own() {
        let mut r = Relay::default();
        let n = Notifications {
            maintenance: false,
            ..Default::default()
        };
        let c = ntfy();
        let start = level(EventKind::MaintenanceStarted, 0);
        assert_eq!(r.offer(&start, &c, &n, NOON, t(0)), None);
        let mut own = ntfy();
        own.on = vec![EventKind::MaintenanceStarted];
        assert_eq!(
            r.offer(&start, &own, &n, NOON, t(0)),
            Some(Outgoing::Event(Box::new(start.clone())))
        );
        let down = level(EventKind::DownStarted, 1);
        assert_eq!(r.offer(&down, &own, &n, NOON, t(1)), None);
        let started = Event::level_change(EventKind::MonitorStarted, t(2), Level::Normal, None);
        assert_eq!(
            r.offer(&started, &c, &Notifications::default(), NOON, t(2)),
            None
        );
    }

    #[test]
    fn a_flap_back_says_nothing_and_an_end_waits_for_the_window() {
        let (c, n) = (ntfy(), Notifications::default());
        let mut r = Relay::default();
        let start = level(EventKind::MaintenanceStarted, 0);
        assert!(r.offer(&start, &c, &n, NOON, t(0)).is_some());
        // Ended 30 s later: held; started again: nothing new.
        assert_eq!(
            r.offer(&level(EventKind::MaintenanceEnded, 30), &c, &n, NOON, t(30)),
            None
        );
        assert_eq!(
            r.offer(
                &level(EventKind::MaintenanceStarted, 60),
                &c,
                &n,
                NOON,
                t(60)
            ),
            None
        );
        assert!(r.due(&c, &n, NOON, t(200)).is_empty());
        // Ended for good: it waits for the window of the last message (t 0 → 120).
        let mut r = Relay::default();
        assert!(r.offer(&start, &c, &n, NOON, t(0)).is_some());
        assert_eq!(
            r.offer(&level(EventKind::MaintenanceEnded, 40), &c, &n, NOON, t(40)),
            None
        );
        assert!(r.due(&c, &n, NOON, t(100)).is_empty());
        assert_eq!(
            kinds(&r.due(&c, &n, NOON, t(120))),
            [EventKind::MaintenanceEnded]
        );
        assert!(r.due(&c, &n, NOON, t(300)).is_empty());
        // Long after, an end goes at once.
        assert!(r.offer(&start, &c, &n, NOON, t(1000)).is_some());
        assert!(r
            .offer(
                &level(EventKind::MaintenanceEnded, 1200),
                &c,
                &n,
                NOON,
                t(1200)
            )
            .is_some());
    }

    #[test]
    fn something_new_is_never_held() {
        let (c, n) = (ntfy(), Notifications::default());
        let mut r = Relay::default();
        assert!(r
            .offer(&level(EventKind::DownStarted, 0), &c, &n, NOON, t(0))
            .is_some());
        // Down turned into maintenance 10 s later: said at once.
        assert!(r
            .offer(
                &level(EventKind::MaintenanceStarted, 10),
                &c,
                &n,
                NOON,
                t(10)
            )
            .is_some());
        // Pairs are sources of their own.
        assert!(r
            .offer(
                &pair(PairState::Halted, PairState::Normal, 11),
                &c,
                &n,
                NOON,
                t(11)
            )
            .is_some());
        assert_eq!(
            r.offer(
                &pair(PairState::Normal, PairState::Halted, 12),
                &c,
                &n,
                NOON,
                t(12)
            ),
            None
        );
        assert_eq!(
            r.offer(
                &pair(PairState::Halted, PairState::Normal, 13),
                &c,
                &n,
                NOON,
                t(13)
            ),
            None
        );
    }

    #[test]
    fn quiet_hours_hold_until_a_summary_unless_urgent_may_pass() {
        let n = Notifications {
            quiet_hours: Some("23:00-07:00".parse().unwrap()),
            ..Default::default()
        };
        let night = 2 * 60;
        let morning = 7 * 60;
        let mut c = ntfy();
        let mut r = Relay::default();
        let start = level(EventKind::MaintenanceStarted, 0);
        assert_eq!(r.offer(&start, &c, &n, night, t(0)), None);
        assert!(r.due(&c, &n, night, t(500)).is_empty());
        let out = r.due(&c, &n, morning, t(600));
        assert!(matches!(&out[..], [Outgoing::Summary(held)] if held.len() == 1));
        // Urgent passes at night when asked; the end waits for the morning.
        c.urgent_in_quiet_hours = true;
        let mut r = Relay::default();
        assert!(r.offer(&start, &c, &n, night, t(0)).is_some());
        assert_eq!(
            r.offer(
                &level(EventKind::MaintenanceEnded, 900),
                &c,
                &n,
                night,
                t(900)
            ),
            None
        );
        // Its own quiet hours, or none.
        c.quiet_hours = ChannelQuiet::Never;
        let mut r = Relay::default();
        assert!(r
            .offer(&level(EventKind::DownEnded, 0), &c, &n, night, t(0))
            .is_some());
    }

    #[test]
    fn messages_use_the_popups_words_and_maintenance_is_urgent() {
        let start = level(EventKind::MaintenanceStarted, 0);
        for lang in [Lang::En, Lang::Ja] {
            let m = Message::of(&Outgoing::Event(Box::new(start.clone())), lang, &t(0));
            assert_eq!(m.title, popup_title(&start, lang));
            assert_eq!(m.body, sentence(&popup_body(&start, lang)));
            assert_eq!(m.priority, Priority::Urgent);
        }
        let end = level(EventKind::MaintenanceEnded, 60);
        assert_eq!(priority(&end), Priority::Default);
        assert_eq!(
            priority(&pair(PairState::Halted, PairState::Normal, 0)),
            Priority::High
        );
    }
}
