//! Successive [`Reading`]s → the confirmed [`Snapshot`] and the [`Event`]s between them.
//! A pure state machine: time comes from each reading, nothing here sleeps or does I/O.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::asset::{AssetState, KeyState};
use crate::model::event::{Event, EventKind};
use crate::model::level::{Level, PairState};
use crate::model::reading::Context;
use crate::model::reading::{Certainty, Reading};
use crate::model::reason::Reason;
use crate::model::unlisted::Unlisted;

/// How many polls in a row confirm an ambiguous failure, or a recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Ambiguous failures in a row before `down`/`unreachable` (default 3).
    pub failure: u32,
    /// Good polls in a row before a less severe level is believed (default 1).
    pub success: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            failure: 3,
            success: 1,
        }
    }
}

/// The confirmed state: what the tray, the window and `GET /v1/status` show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Snapshot {
    /// The overall level.
    pub level: Level,
    /// Since when this level holds.
    #[serde(with = "crate::model::event::rfc3339_opt")]
    pub since: Option<DateTime<Utc>>,
    /// Whether the start of this level was seen. False when it was already under way at the
    /// first answer: `since` is then only when we first saw it, and the level began earlier.
    #[serde(default)]
    pub start_observed: bool,
    /// Why (in JSON, in English words as the events' `reason`; not read back).
    #[serde(
        serialize_with = "crate::model::words::serialize_reason_text",
        skip_deserializing
    )]
    pub reason: Option<Reason>,
    /// Every watched pair's state.
    pub pairs: BTreeMap<String, PairState>,
    /// When bitbank was last polled.
    #[serde(with = "crate::model::event::rfc3339_opt")]
    pub checked_at: Option<DateTime<Utc>>,
    /// Whether the last poll was rate limited (polling is slowed; the level is kept).
    pub rate_limited: bool,
    /// When rate limited: how long bitbank asked us to wait (`Retry-After`, in seconds, capped
    /// at [`crate::engine::pace::MAX_RETRY_AFTER`]); `None` when it did not say.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// Whether live updates from bitbank's stream are in use (the monitor sets it).
    #[serde(default)]
    pub stream: crate::model::link::Link,
    /// The watched assets' deposits and withdrawals (empty without an API key).
    #[serde(default)]
    pub assets: BTreeMap<String, AssetState>,
    /// Whether an API key is given and what bitbank made of it (the monitor sets it).
    #[serde(default)]
    pub api_key: KeyState,
    /// Names in the settings that bitbank does not list: they cannot be watched (the monitor
    /// sets it).
    #[serde(default)]
    pub unlisted: Unlisted,
    /// The exchange (`bitbank` unless the user added others; the monitor sets it).
    #[serde(default)]
    pub exchange: crate::model::exchange::Exchange,
}

fn capped_retry_after(reading: &Reading) -> Option<u64> {
    (reading.certainty == Certainty::RateLimited)
        .then_some(reading.retry_after)
        .flatten()
        .map(|d| d.min(crate::engine::pace::MAX_RETRY_AFTER).as_secs())
}

impl Snapshot {
    /// What one reading alone says, for one-shot checks where thresholds do not apply.
    pub fn from_reading(reading: Reading) -> Snapshot {
        let retry_after_secs = capped_retry_after(&reading);
        Snapshot {
            level: reading.level,
            since: None,
            start_observed: false,
            reason: reading.reason,
            pairs: reading.pairs,
            checked_at: Some(reading.at),
            rate_limited: reading.certainty == Certainty::RateLimited,
            retry_after_secs,
            stream: crate::model::link::Link::Off,
            assets: reading.assets.unwrap_or_default(),
            api_key: KeyState::None,
            unlisted: Unlisted::default(),
            exchange: crate::model::exchange::Exchange::Bitbank,
        }
    }
}

/// How long bbwatch may have been away (no snapshot recorded) for a stored state to be
/// continued. Past it, what was under way is said to have ended at an unknown time: a
/// maintenance seen at 02:00 and again at 09:00 may be two.
pub const RESUME_MAX_GAP: chrono::TimeDelta = chrono::TimeDelta::hours(6);

/// What an earlier run left: the state to continue (produced by the history store, which
/// keeps the last confirmed snapshot; the core only defines it).
#[derive(Clone, Debug, PartialEq)]
pub struct Resume {
    /// The level in force at the last confirmed snapshot.
    pub level: Level,
    /// When that level's episode truly began (across earlier restarts too).
    pub since: DateTime<Utc>,
    /// Whether that start was seen.
    pub start_observed: bool,
    /// Why the level was what it was.
    pub reason: Option<Reason>,
    /// Each watched pair's state then; a pair's episode start lives in its `pair_changed`
    /// event, the detector needs only the state to continue it without a second event.
    pub pairs: BTreeMap<String, PairState>,
    /// When bitbank was last polled: the start of the gap measured against [`RESUME_MAX_GAP`].
    pub checked_at: DateTime<Utc>,
}

/// What [`Detector::resume`] made of the stored state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumed {
    /// The episode goes on: no second `_started`; its `_ended` counts from the true start.
    Continued,
    /// Too long ago (or in the future): at the first answer, what was under way ends with
    /// no duration (the end is unknown) and the present state starts afresh.
    TooOld,
    /// Nothing to continue (nothing under way, or the detector had already started).
    Nothing,
}

impl Resume {
    /// Whether the gap from the last snapshot to `now` is short enough to continue.
    pub fn continues_at(&self, now: DateTime<Utc>) -> bool {
        let gap = now - self.checked_at;
        // A little slack backwards: two processes' clocks, or a snapshot written just now.
        gap <= RESUME_MAX_GAP && gap >= -chrono::TimeDelta::minutes(5)
    }
}

/// The detector. Feed it every reading with [`Detector::step`].
#[derive(Clone, Debug)]
pub struct Detector {
    thresholds: Thresholds,
    snapshot: Snapshot,
    watched: Option<BTreeSet<String>>,
    excused: BTreeSet<String>,
    failures_in_a_row: u32,
    successes_in_a_row: u32,
    /// A continued state not yet confirmed by an answer: `monitor_started` is still to come.
    resumed: bool,
    /// A state too old to continue: ended (end unknown) at the first answer.
    stale: Option<Resume>,
    /// The pairs' states when the maintenance under way began (`None`: not seen, as when the
    /// monitor started in it): its end compares with them.
    before_maintenance: Option<BTreeMap<String, PairState>>,
    /// What the user stopped watching while it was restricted, told at the next answer.
    unwatched: Option<Unwatched>,
}

/// Pairs and assets the user stopped watching while they were restricted.
#[derive(Clone, Debug, Default)]
struct Unwatched {
    pairs: Vec<(String, PairState)>,
    assets: Vec<(String, AssetState)>,
    key_removed: bool,
}

impl Unwatched {
    fn into_reason(self) -> Reason {
        Reason::Unwatched {
            pairs: self.pairs,
            assets: self.assets,
            key_removed: self.key_removed,
        }
    }
}

impl Detector {
    /// A detector with a configured watch list, or `None` to watch the pairs tradable at the
    /// first answer.
    pub fn new(thresholds: Thresholds, watched: Option<BTreeSet<String>>) -> Detector {
        Detector {
            thresholds: Thresholds {
                failure: thresholds.failure.max(1),
                success: thresholds.success.max(1),
            },
            snapshot: Snapshot::default(),
            watched,
            excused: BTreeSet::new(),
            failures_in_a_row: 0,
            successes_in_a_row: 0,
            resumed: false,
            stale: None,
            before_maintenance: None,
            unwatched: None,
        }
    }

    /// Continue what an earlier run left (call before the first [`Detector::step`]). `now` is
    /// the time of the decision, passed in so the rule is tested without a clock.
    pub fn resume(&mut self, prior: Resume, now: DateTime<Utc>) -> Resumed {
        if self.snapshot.level != Level::Unknown || matches!(prior.level, Level::Unknown) {
            return Resumed::Nothing;
        }
        if !prior.continues_at(now) {
            let under_way = prior.level != Level::Normal
                || prior
                    .pairs
                    .values()
                    .any(|s| !s.is_normal() && *s != PairState::Unknown);
            if !under_way {
                return Resumed::Nothing;
            }
            self.stale = Some(prior);
            return Resumed::TooOld;
        }
        if let Some(set) = &self.watched {
            self.snapshot.pairs = prior
                .pairs
                .into_iter()
                .filter(|(p, _)| set.contains(p))
                .collect();
        } else {
            self.snapshot.pairs = prior.pairs;
        }
        if prior.level == Level::Maintenance {
            self.before_maintenance = Some(self.snapshot.pairs.clone());
        }
        self.snapshot.level = prior.level;
        self.snapshot.since = Some(prior.since);
        self.snapshot.start_observed = prior.start_observed;
        self.snapshot.reason = prior.reason;
        self.snapshot.checked_at = Some(prior.checked_at);
        self.resumed = true;
        Resumed::Continued
    }

    /// New thresholds, from the next reading on.
    pub fn set_thresholds(&mut self, thresholds: Thresholds) {
        self.thresholds = Thresholds {
            failure: thresholds.failure.max(1),
            success: thresholds.success.max(1),
        };
    }

    /// A new watch list (`None`: the pairs tradable at the next answer), from the next reading
    /// on. Pairs that join raise no event (there is no "before" to compare with); pairs that
    /// leave take their restrictions with them, so the level may change, and that is said.
    pub fn set_watched(&mut self, watched: Option<BTreeSet<String>>) {
        if let Some(set) = &watched {
            let (kept, gone): (BTreeMap<_, _>, BTreeMap<_, _>) =
                std::mem::take(&mut self.snapshot.pairs)
                    .into_iter()
                    .partition(|(pair, _)| set.contains(pair));
            self.snapshot.pairs = kept;
            let restricted: Vec<(String, PairState)> = gone
                .into_iter()
                .filter(|(pair, state)| {
                    !state.is_normal()
                        && *state != PairState::Unknown
                        && !self.excused.contains(pair)
                })
                .collect();
            if !restricted.is_empty() {
                self.unwatched
                    .get_or_insert_with(Unwatched::default)
                    .pairs
                    .extend(restricted);
            }
            self.excused.retain(|pair| set.contains(pair));
        }
        self.watched = watched;
    }

    /// Stop watching the assets `keep` refuses (all of them with `key_removed`, the API key
    /// being gone). Those that were stopped are told at the next answer as the user's change,
    /// never as a resumption.
    pub fn unwatch_assets(&mut self, keep: impl Fn(&str) -> bool, key_removed: bool) {
        let (kept, gone): (BTreeMap<_, _>, BTreeMap<_, _>) =
            std::mem::take(&mut self.snapshot.assets)
                .into_iter()
                .partition(|(asset, _)| !key_removed && keep(asset));
        self.snapshot.assets = kept;
        let stopped: Vec<(String, AssetState)> =
            gone.into_iter().filter(|(_, s)| !s.is_open()).collect();
        if !stopped.is_empty() {
            let unwatched = self.unwatched.get_or_insert_with(Unwatched::default);
            unwatched.assets.extend(stopped);
            unwatched.key_removed |= key_removed;
        }
    }

    /// What `classify` needs from before the next poll.
    pub fn context(&self) -> Context<'_> {
        Context {
            watched: self.watched.as_ref(),
            excused: &self.excused,
            previous: &self.snapshot.pairs,
        }
    }

    /// The watch list, once known.
    pub fn watched(&self) -> Option<&BTreeSet<String>> {
        self.watched.as_ref()
    }

    /// The confirmed state.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Take one reading; return what happened, in order.
    pub fn step(&mut self, reading: Reading) -> Vec<Event> {
        self.snapshot.checked_at = Some(reading.at);
        self.snapshot.rate_limited = reading.certainty == Certainty::RateLimited;
        self.snapshot.retry_after_secs = capped_retry_after(&reading);
        if self.watched.is_none() {
            self.watched = reading.watched.clone();
        }
        let current = self.snapshot.level;
        let at = reading.at;
        match reading.certainty {
            Certainty::RateLimited => Vec::new(),
            Certainty::Ambiguous => {
                self.successes_in_a_row = 0;
                self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
                let confirmed = self.failures_in_a_row >= self.thresholds.failure;
                // An explicit maintenance stays until bitbank answers again: a CDN error page
                // in the middle of it is more likely the maintenance than a new outage.
                if current == reading.level {
                    self.snapshot.reason = reading.reason;
                    self.announce(at)
                } else if confirmed && current != Level::Maintenance {
                    self.transition(reading.level, reading.reason, at)
                } else if confirmed {
                    self.announce(at)
                } else {
                    Vec::new()
                }
            }
            Certainty::Definite if self.unwatched.is_some() && current == Level::Degraded => {
                self.unwatch(reading)
            }
            Certainty::Definite => {
                // Nothing that holds the level was unwatched: nothing to tell of it.
                self.unwatched = None;
                self.failures_in_a_row = 0;
                // The first answer after a resume is believed at once, as a first answer is.
                let first_after_resume = self.resumed && reading.level != current;
                let move_now = if current == Level::Unknown
                    || first_after_resume
                    || reading.level.severity() > current.severity()
                {
                    true
                } else if reading.level == current {
                    self.successes_in_a_row = 0;
                    false
                } else {
                    self.successes_in_a_row = self.successes_in_a_row.saturating_add(1);
                    self.successes_in_a_row >= self.thresholds.success
                };
                let previous_pairs = std::mem::replace(&mut self.snapshot.pairs, reading.pairs);
                let previous_assets = reading
                    .assets
                    .map(|a| std::mem::replace(&mut self.snapshot.assets, a));
                self.excused = reading.excused;
                let mut events = Vec::new();
                if move_now {
                    self.successes_in_a_row = 0;
                    events = self.transition(reading.level, reading.reason, at);
                } else if reading.level == current {
                    self.snapshot.reason = reading.reason;
                    events = self.announce(at);
                }
                let now = self.snapshot.level;
                if now == Level::Maintenance && current != Level::Maintenance {
                    self.before_maintenance =
                        (current != Level::Unknown).then(|| previous_pairs.clone());
                }
                if current == Level::Maintenance && now != Level::Maintenance {
                    events.extend(self.after_maintenance(at));
                }
                let quiet = current == Level::Unknown
                    || current == Level::Maintenance
                    || now == Level::Maintenance;
                if !quiet {
                    events.extend(self.changes(&previous_pairs, previous_assets, at));
                }
                events
            }
        }
    }

    /// The first answer after the user stopped watching restricted pairs or assets: the level
    /// follows at once (no success threshold: nothing at bitbank changed) and the change is
    /// one `watch_changed`, never an `_ended` that would say the restriction is over.
    fn unwatch(&mut self, reading: Reading) -> Vec<Event> {
        let unwatched = self.unwatched.take().unwrap_or_default();
        let at = reading.at;
        let from = self.snapshot.level;
        self.failures_in_a_row = 0;
        self.successes_in_a_row = 0;
        let previous_pairs = std::mem::replace(&mut self.snapshot.pairs, reading.pairs);
        let previous_assets = reading
            .assets
            .map(|a| std::mem::replace(&mut self.snapshot.assets, a));
        self.excused = reading.excused;
        let mut events = Vec::new();
        if reading.level == Level::Degraded || reading.level == Level::Normal {
            let mut changed =
                Event::level_change(EventKind::WatchChanged, at, reading.level, Some(from));
            changed.reason = Some(unwatched.into_reason());
            events.push(changed);
            if reading.level != from {
                self.snapshot.level = reading.level;
                self.snapshot.since = Some(at);
                self.snapshot.start_observed = true;
            }
            self.snapshot.reason = reading.reason;
        } else {
            // Something worse came meanwhile: it is told as it always is.
            events = self.transition(reading.level, reading.reason, at);
        }
        if self.snapshot.level != Level::Maintenance {
            events.extend(self.changes(&previous_pairs, previous_assets, at));
        }
        events
    }

    /// The pair and asset events from the states before this reading to the snapshot's.
    fn changes(
        &self,
        previous_pairs: &BTreeMap<String, PairState>,
        previous_assets: Option<BTreeMap<String, AssetState>>,
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        let mut events = self.pair_changes(previous_pairs, at);
        if let Some(before) = previous_assets {
            events.extend(crate::engine::asset_changes::changes(
                &before,
                &self.snapshot.assets,
                at,
                self.snapshot.level,
            ));
        }
        events
    }

    /// Pair events, except around maintenance, where every pair halting is one story, told once.
    fn pair_changes(
        &self,
        previous: &BTreeMap<String, PairState>,
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        self.snapshot
            .pairs
            .iter()
            .filter_map(|(pair, state)| {
                let before = previous.get(pair)?;
                if *before == PairState::Unknown
                    || *state == PairState::Unknown
                    || before.same_as(state)
                {
                    return None;
                }
                Some(self.pair_event(pair, state, before.clone(), at))
            })
            .collect()
    }

    /// At the end of a maintenance, every watched pair that does not trade normally again is
    /// told on its own: "trading can resume" must not hide a pair still halted. A pair in the
    /// same state as before the maintenance was told then, and its period goes on.
    fn after_maintenance(&mut self, at: DateTime<Utc>) -> Vec<Event> {
        let before = self.before_maintenance.take().unwrap_or_default();
        self.snapshot
            .pairs
            .iter()
            .filter(|(pair, state)| {
                !state.is_normal()
                    && **state != PairState::Unknown
                    && !self.excused.contains(*pair)
                    && !before.get(*pair).is_some_and(|b| b.same_as(state))
            })
            .map(|(pair, state)| {
                let was = before.get(pair).cloned().unwrap_or_default();
                self.pair_event(pair, state, was, at)
            })
            .collect()
    }

    /// `pair_changed` for `pair`, from `before` to `state`.
    fn pair_event(
        &self,
        pair: &str,
        state: &PairState,
        before: PairState,
        at: DateTime<Utc>,
    ) -> Event {
        let mut e = Event::level_change(EventKind::PairChanged, at, self.snapshot.level, None);
        e.pair = Some(pair.to_owned());
        e.reopen_at = state.reopen_at();
        e.reason = Some(Reason::Pairs(vec![(pair.to_owned(), state.clone())]));
        e.pair_state = Some(state.clone());
        e.previous_pair_state = Some(before);
        e
    }

    /// `monitor_started` for a resumed state the first answer confirms (nothing otherwise).
    /// Its `previous_level` is the level continued: the episode goes on, no `_started` follows.
    fn announce(&mut self, at: DateTime<Utc>) -> Vec<Event> {
        if !std::mem::take(&mut self.resumed) {
            return Vec::new();
        }
        let level = self.snapshot.level;
        let mut started = Event::level_change(EventKind::MonitorStarted, at, level, Some(level));
        started.reason = self.snapshot.reason.clone();
        vec![started]
    }

    fn transition(&mut self, to: Level, reason: Option<Reason>, at: DateTime<Utc>) -> Vec<Event> {
        let from = self.snapshot.level;
        let mut events = Vec::new();
        if std::mem::take(&mut self.resumed) {
            // A resumed monitor says it started, and that it continues `from`.
            let mut started = Event::level_change(EventKind::MonitorStarted, at, to, Some(from));
            started.reason = reason.clone();
            events.push(started);
        }
        if from == Level::Unknown {
            let mut started = Event::level_change(EventKind::MonitorStarted, at, to, None);
            started.reason = reason.clone();
            events.push(started);
            if let Some(stale) = self.stale.take() {
                // Too long ago to continue: it ended while we were away, when is not known.
                if let Some(kind) = EventKind::ended(stale.level) {
                    let mut ended = Event::level_change(kind, at, to, Some(stale.level));
                    ended.reason = stale.reason;
                    ended.duration_secs = None;
                    ended.start_observed = Some(stale.start_observed);
                    events.push(ended);
                }
            }
        } else if let Some(kind) = EventKind::ended(from) {
            let mut ended = Event::level_change(kind, at, to, Some(from));
            ended.reason = self.snapshot.reason.clone();
            ended.duration_secs = self
                .snapshot
                .since
                .map(|since| u64::try_from((at - since).num_seconds()).unwrap_or(0));
            ended.start_observed = Some(self.snapshot.start_observed);
            events.push(ended);
        }
        if let Some(kind) = EventKind::started(to) {
            let previous = (from != Level::Unknown).then_some(from);
            let mut started = Event::level_change(kind, at, to, previous);
            started.reason = reason.clone();
            started.start_observed = Some(from != Level::Unknown);
            started.reopen_at = self
                .snapshot
                .pairs
                .values()
                .filter_map(PairState::reopen_at)
                .min();
            events.push(started);
        }
        self.snapshot.level = to;
        self.snapshot.since = Some(at);
        self.snapshot.start_observed = from != Level::Unknown;
        self.snapshot.reason = reason;
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::code::ErrorCode;
    use crate::model::fetch::{Failure, Host};
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    fn pairs(states: &[(&str, PairState)]) -> BTreeMap<String, PairState> {
        states
            .iter()
            .map(|(p, s)| (p.to_string(), s.clone()))
            .collect()
    }

    fn reading(
        secs: i64,
        level: Level,
        certainty: Certainty,
        pair_states: &[(&str, PairState)],
    ) -> Reading {
        let reason = match level {
            Level::Maintenance => Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            }),
            Level::Down => Some(Reason::HostFailed {
                failures: vec![(Host::Api, Failure::Timeout)],
            }),
            _ => None,
        };
        Reading {
            at: at(secs),
            level,
            certainty,
            reason,
            pairs: pairs(pair_states),
            watched: Some(pair_states.iter().map(|(p, _)| p.to_string()).collect()),
            excused: BTreeSet::new(),
            retry_after: None,
            assets: None,
        }
    }

    fn ok(secs: i64) -> Reading {
        reading(
            secs,
            Level::Normal,
            Certainty::Definite,
            &[("btc_jpy", PairState::Normal)],
        )
    }

    fn kinds(events: &[Event]) -> Vec<&'static str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    fn detector() -> Detector {
        Detector::new(Thresholds::default(), None)
    }

    fn with_assets(mut r: Reading, polygon_withdrawal: crate::model::asset::Flow) -> Reading {
        use crate::bitbank::assets::Seen;
        use crate::model::asset::{AssetState, Flows};
        let mut eth = AssetState::default();
        eth.networks.insert("eth".into(), Flows::default());
        eth.networks.insert(
            "polygon".into(),
            Flows {
                withdrawal: polygon_withdrawal,
                ..Flows::default()
            },
        );
        crate::bitbank::assets::fold(&mut r, &Seen::States([("eth".to_string(), eth)].into()));
        r
    }

    #[test]
    fn a_networks_withdrawal_stop_degrades_and_its_end_restores() {
        use crate::model::asset::Flow;
        let mut d = detector();
        assert_eq!(
            kinds(&d.step(with_assets(ok(0), Flow::Open))),
            ["monitor_started"]
        );
        let events = d.step(with_assets(ok(30), Flow::Stopped));
        assert_eq!(kinds(&events), ["degraded_started", "asset_changed"]);
        assert!(matches!(events[0].reason, Some(Reason::Assets(_))));
        assert_eq!(events[1].network.as_deref(), Some("polygon"));
        assert_eq!(d.snapshot().level, Level::Degraded);
        assert!(!d.snapshot().assets["eth"].is_open());
        assert!(d.step(with_assets(ok(60), Flow::Stopped)).is_empty());
        let events = d.step(with_assets(ok(90), Flow::Open));
        assert_eq!(kinds(&events), ["degraded_ended", "asset_changed"]);
        assert_eq!(events[1].withdrawal, Some(Flow::Open));
        assert_eq!(events[1].previous_withdrawal, Some(Flow::Stopped));
    }

    #[test]
    fn a_key_added_during_a_withdrawal_stop_tells_the_stop() {
        use crate::bitbank::assets::Seen;
        use crate::model::asset::Flow;
        let mut d = detector();
        // No key: no assets.
        let mut none = ok(0);
        crate::bitbank::assets::fold(&mut none, &Seen::Off);
        none.assets = Some(BTreeMap::new());
        d.step(none);
        let events = d.step(with_assets(ok(30), Flow::Stopped));
        assert_eq!(kinds(&events), ["degraded_started", "asset_changed"]);
        let stop = &events[1];
        assert_eq!(stop.network.as_deref(), Some("polygon"));
        assert_eq!(stop.withdrawal, Some(Flow::Stopped));
        assert_eq!(stop.previous_withdrawal, None, "not known before the key");
        assert_eq!(
            crate::present::render::event_title(stop, crate::i18n::Lang::En),
            "ETH (polygon network) withdrawals stopped"
        );
        // Open assets that join say nothing.
        let mut d = detector();
        let mut none = ok(0);
        none.assets = Some(BTreeMap::new());
        d.step(none);
        assert!(d.step(with_assets(ok(30), Flow::Open)).is_empty());
    }

    #[test]
    fn unwatching_a_stopped_asset_is_the_users_change_not_a_resumption() {
        use crate::bitbank::assets::Seen;
        use crate::model::asset::Flow;
        let mut d = detector();
        d.step(with_assets(ok(0), Flow::Open));
        d.step(with_assets(ok(30), Flow::Stopped));
        assert_eq!(d.snapshot().level, Level::Degraded);
        // The user watches something else: eth leaves at once, its stop with it.
        d.unwatch_assets(|a| a == "btc", false);
        let mut r = ok(60);
        crate::bitbank::assets::fold(&mut r, &Seen::States(BTreeMap::new()));
        let events = d.step(r);
        assert_eq!(kinds(&events), ["watch_changed"]);
        assert_eq!(events[0].level, Level::Normal);
        assert_eq!(events[0].previous_level, Some(Level::Degraded));
        assert_eq!(
            events[0]
                .reason
                .as_ref()
                .map(crate::model::words::reason_text)
                .as_deref(),
            Some("no longer watching eth")
        );
        assert_eq!(d.snapshot().level, Level::Normal);
        assert!(d.step(ok(90)).is_empty());
    }

    #[test]
    fn removing_the_key_during_a_stop_says_so_and_nothing_resumes() {
        use crate::bitbank::assets::Seen;
        use crate::model::asset::Flow;
        let mut d = detector();
        d.step(with_assets(ok(0), Flow::Open));
        d.step(with_assets(ok(30), Flow::Stopped));
        d.unwatch_assets(|_| true, true);
        let mut r = ok(60);
        crate::bitbank::assets::fold(&mut r, &Seen::Off);
        r.assets = Some(BTreeMap::new());
        let events = d.step(r);
        assert_eq!(kinds(&events), ["watch_changed"]);
        assert_eq!(
            crate::present::render::event_title(&events[0], crate::i18n::Lang::En),
            "API key removed"
        );
        assert_eq!(
            crate::present::render::event_body(&events[0], crate::i18n::Lang::En),
            "API key removed: deposits and withdrawals are no longer checked"
        );
        // With nothing stopped, removing the key is nothing to tell.
        let mut d = detector();
        d.step(with_assets(ok(0), Flow::Open));
        d.unwatch_assets(|_| true, true);
        let mut r = ok(30);
        r.assets = Some(BTreeMap::new());
        assert!(d.step(r).is_empty());
    }

    #[test]
    fn unwatching_a_halted_pair_keeps_what_else_is_restricted() {
        let mut d = detector();
        let both = |secs, btc: PairState, eth: PairState| {
            reading(
                secs,
                if btc.is_normal() && eth.is_normal() {
                    Level::Normal
                } else {
                    Level::Degraded
                },
                Certainty::Definite,
                &[("btc_jpy", btc), ("eth_jpy", eth)],
            )
        };
        d.step(both(0, PairState::Normal, PairState::Normal));
        d.step(both(30, PairState::Halted, PairState::Busy));
        assert_eq!(d.snapshot().level, Level::Degraded);
        d.set_watched(Some(["eth_jpy".to_string()].into()));
        let mut r = reading(
            60,
            Level::Degraded,
            Certainty::Definite,
            &[("eth_jpy", PairState::Busy)],
        );
        r.reason = Some(Reason::Pairs(vec![("eth_jpy".into(), PairState::Busy)]));
        let events = d.step(r);
        assert_eq!(kinds(&events), ["watch_changed"]);
        assert_eq!(events[0].level, Level::Degraded);
        assert_eq!(events[0].previous_level, Some(Level::Degraded));
        assert_eq!(
            events[0]
                .reason
                .as_ref()
                .map(crate::model::words::reason_text)
                .as_deref(),
            Some("no longer watching btc_jpy")
        );
        // The level's start stays: eth_jpy is still busy since 30.
        assert_eq!(d.snapshot().since, Some(at(30)));
        // Unwatching a pair that trades normally says nothing.
        d.set_watched(Some(["eth_jpy".to_string(), "xrp_jpy".to_string()].into()));
        assert!(d.unwatched.is_none());
    }

    #[test]
    fn a_maintenance_tells_no_asset_events() {
        use crate::model::asset::Flow;
        let mut d = detector();
        d.step(with_assets(ok(0), Flow::Open));
        let m = reading(
            30,
            Level::Maintenance,
            Certainty::Definite,
            &[("btc_jpy", PairState::Halted)],
        );
        let events = d.step(with_assets(m, Flow::Stopped));
        assert_eq!(kinds(&events), ["maintenance_started"]);
        let events = d.step(with_assets(ok(60), Flow::Open));
        assert_eq!(kinds(&events), ["maintenance_ended"]);
    }

    #[test]
    fn the_first_answer_starts_the_monitor() {
        let mut d = detector();
        let events = d.step(ok(0));
        assert_eq!(kinds(&events), vec!["monitor_started"]);
        assert_eq!(events[0].level, Level::Normal);
        assert_eq!(events[0].previous_level, None);
        assert_eq!(d.snapshot().since, Some(at(0)));
    }

    #[test]
    fn starting_in_maintenance_also_says_maintenance_started() {
        let mut d = detector();
        let events = d.step(reading(0, Level::Maintenance, Certainty::Definite, &[]));
        assert_eq!(
            kinds(&events),
            vec!["monitor_started", "maintenance_started"]
        );
        assert!(events.iter().all(|e| e.level == Level::Maintenance));
        assert_eq!(events[1].start_observed, Some(false));
        assert!(!d.snapshot().start_observed);
    }

    #[test]
    fn a_maintenance_seen_from_its_middle_ends_as_a_lower_bound() {
        let mut d = detector();
        d.step(reading(0, Level::Maintenance, Certainty::Definite, &[]));
        let events = d.step(ok(25));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
        assert_eq!(events[0].duration_secs, Some(25));
        assert_eq!(events[0].start_observed, Some(false));
        // The next one is seen whole.
        let events = d.step(reading(40, Level::Maintenance, Certainty::Definite, &[]));
        assert_eq!(events[0].start_observed, Some(true));
        assert!(d.snapshot().start_observed);
        let events = d.step(ok(70));
        assert_eq!(events[0].start_observed, Some(true));
        assert_eq!(events[0].duration_secs, Some(30));
    }

    #[test]
    fn explicit_maintenance_acts_on_the_first_poll_and_ends_with_its_duration() {
        let mut d = detector();
        d.step(ok(0));
        let events = d.step(reading(
            30,
            Level::Maintenance,
            Certainty::Definite,
            &[("btc_jpy", PairState::Normal)],
        ));
        assert_eq!(kinds(&events), vec!["maintenance_started"]);
        assert_eq!(events[0].previous_level, Some(Level::Normal));
        assert_eq!(
            crate::model::words::reason_text(events[0].reason.as_ref().unwrap()),
            "api error 10007: System maintenance"
        );
        let events = d.step(ok(330));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
        assert_eq!(events[0].duration_secs, Some(300));
        assert_eq!(events[0].level, Level::Normal);
        assert_eq!(events[0].previous_level, Some(Level::Maintenance));
    }

    #[test]
    fn a_wall_clock_that_jumps_back_or_forward_never_panics_or_gives_a_negative_duration() {
        let mut d = detector();
        d.step(ok(1_000));
        let events = d.step(reading(
            2_000,
            Level::Maintenance,
            Certainty::Definite,
            &[("btc_jpy", PairState::Normal)],
        ));
        assert_eq!(kinds(&events), vec!["maintenance_started"]);
        // The clock was set back by an hour during the maintenance.
        let events = d.step(ok(-1_600));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
        assert_eq!(events[0].duration_secs, Some(0));
        // And forward by a year.
        let events = d.step(ok(31_536_000));
        assert!(events.is_empty());
    }

    #[test]
    fn a_change_a_to_b_ends_a_then_starts_b() {
        let mut d = detector();
        d.step(ok(0));
        d.step(reading(
            10,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", PairState::Busy)],
        ));
        let events = d.step(reading(
            70,
            Level::Maintenance,
            Certainty::Definite,
            &[("btc_jpy", PairState::Halted)],
        ));
        assert_eq!(
            kinds(&events),
            vec!["degraded_ended", "maintenance_started"]
        );
        assert_eq!(events[0].duration_secs, Some(60));
        assert_eq!(events[0].level, Level::Maintenance);
        assert_eq!(events[1].previous_level, Some(Level::Degraded));
    }

    #[test]
    fn ambiguous_failures_need_the_threshold() {
        let mut d = detector();
        d.step(ok(0));
        assert!(d
            .step(reading(1, Level::Down, Certainty::Ambiguous, &[]))
            .is_empty());
        assert!(d
            .step(reading(2, Level::Down, Certainty::Ambiguous, &[]))
            .is_empty());
        assert_eq!(d.snapshot().level, Level::Normal);
        let events = d.step(reading(3, Level::Down, Certainty::Ambiguous, &[]));
        assert_eq!(kinds(&events), vec!["down_started"]);
        assert_eq!(d.snapshot().since, Some(at(3)));
        let events = d.step(ok(63));
        assert_eq!(kinds(&events), vec!["down_ended"]);
        assert_eq!(events[0].duration_secs, Some(60));
    }

    #[test]
    fn a_good_poll_resets_the_failure_count() {
        let mut d = detector();
        d.step(ok(0));
        d.step(reading(1, Level::Down, Certainty::Ambiguous, &[]));
        d.step(reading(2, Level::Down, Certainty::Ambiguous, &[]));
        d.step(ok(3));
        d.step(reading(4, Level::Down, Certainty::Ambiguous, &[]));
        assert!(d
            .step(reading(5, Level::Down, Certainty::Ambiguous, &[]))
            .is_empty());
        assert_eq!(d.snapshot().level, Level::Normal);
    }

    #[test]
    fn down_and_unreachable_count_together_and_the_latest_wins() {
        let mut d = detector();
        d.step(ok(0));
        d.step(reading(1, Level::Down, Certainty::Ambiguous, &[]));
        d.step(reading(2, Level::Unreachable, Certainty::Ambiguous, &[]));
        let events = d.step(reading(3, Level::Unreachable, Certainty::Ambiguous, &[]));
        assert_eq!(kinds(&events), vec!["unreachable_started"]);
    }

    #[test]
    fn the_first_confirmation_may_be_a_failure() {
        let mut d = detector();
        assert!(d
            .step(reading(0, Level::Unreachable, Certainty::Ambiguous, &[]))
            .is_empty());
        assert!(d
            .step(reading(1, Level::Unreachable, Certainty::Ambiguous, &[]))
            .is_empty());
        let events = d.step(reading(2, Level::Unreachable, Certainty::Ambiguous, &[]));
        assert_eq!(
            kinds(&events),
            vec!["monitor_started", "unreachable_started"]
        );
    }

    #[test]
    fn recovery_needs_the_success_threshold() {
        let mut d = Detector::new(
            Thresholds {
                failure: 3,
                success: 2,
            },
            None,
        );
        d.step(ok(0));
        d.step(reading(1, Level::Maintenance, Certainty::Definite, &[]));
        assert!(d.step(ok(2)).is_empty());
        d.step(reading(3, Level::Maintenance, Certainty::Definite, &[]));
        assert!(d.step(ok(4)).is_empty());
        let events = d.step(ok(5));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
        assert_eq!(events[0].duration_secs, Some(4));
    }

    #[test]
    fn rate_limiting_changes_no_level_and_no_counter() {
        let mut d = detector();
        d.step(ok(0));
        d.step(reading(1, Level::Down, Certainty::Ambiguous, &[]));
        d.step(reading(2, Level::Down, Certainty::Ambiguous, &[]));
        for s in 3..10 {
            assert!(d
                .step(reading(s, Level::Unknown, Certainty::RateLimited, &[]))
                .is_empty());
            assert_eq!(d.snapshot().level, Level::Normal);
            assert!(d.snapshot().rate_limited);
        }
        assert_eq!(
            kinds(&d.step(reading(10, Level::Down, Certainty::Ambiguous, &[]))),
            vec!["down_started"]
        );
    }

    #[test]
    fn an_ambiguous_failure_does_not_replace_explicit_maintenance() {
        let mut d = detector();
        d.step(ok(0));
        d.step(reading(1, Level::Maintenance, Certainty::Definite, &[]));
        for s in 2..8 {
            assert!(d
                .step(reading(s, Level::Down, Certainty::Ambiguous, &[]))
                .is_empty());
        }
        assert_eq!(d.snapshot().level, Level::Maintenance);
        assert_eq!(kinds(&d.step(ok(8))), vec!["maintenance_ended"]);
    }

    #[test]
    fn pair_changes_are_events_with_the_new_and_old_state() {
        let mut d = detector();
        d.step(reading(
            0,
            Level::Normal,
            Certainty::Definite,
            &[
                ("btc_jpy", PairState::Normal),
                ("eth_jpy", PairState::Normal),
            ],
        ));
        let events = d.step(reading(
            1,
            Level::Degraded,
            Certainty::Definite,
            &[
                ("btc_jpy", PairState::Halted),
                ("eth_jpy", PairState::Normal),
            ],
        ));
        assert_eq!(kinds(&events), vec!["degraded_started", "pair_changed"]);
        assert_eq!(events[1].pair.as_deref(), Some("btc_jpy"));
        assert_eq!(events[1].pair_state, Some(PairState::Halted));
        assert_eq!(events[1].previous_pair_state, Some(PairState::Normal));
        assert_eq!(events[1].level, Level::Degraded);
        let events = d.step(reading(
            2,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", PairState::Halted), ("eth_jpy", PairState::Busy)],
        ));
        assert_eq!(kinds(&events), vec!["pair_changed"]);
        let events = d.step(reading(
            3,
            Level::Normal,
            Certainty::Definite,
            &[
                ("btc_jpy", PairState::Normal),
                ("eth_jpy", PairState::Normal),
            ],
        ));
        assert_eq!(
            kinds(&events),
            vec!["degraded_ended", "pair_changed", "pair_changed"]
        );
        assert_eq!(events[0].duration_secs, Some(2));
    }

    #[test]
    fn all_pairs_halting_for_maintenance_is_one_event_not_one_per_pair() {
        let mut d = detector();
        let both = |s: PairState| [("btc_jpy", s.clone()), ("eth_jpy", s)];
        d.step(reading(
            0,
            Level::Normal,
            Certainty::Definite,
            &both(PairState::Normal),
        ));
        let events = d.step(reading(
            1,
            Level::Maintenance,
            Certainty::Definite,
            &both(PairState::Halted),
        ));
        assert_eq!(kinds(&events), vec!["maintenance_started"]);
        let events = d.step(reading(
            2,
            Level::Normal,
            Certainty::Definite,
            &both(PairState::Normal),
        ));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
    }

    #[test]
    fn a_pair_still_halted_after_a_maintenance_is_told_on_its_own() {
        use PairState::{Halted, Normal};
        let mut d = detector();
        let three = |secs, level, btc: PairState, eth: PairState| {
            let mut r = reading(
                secs,
                level,
                Certainty::Definite,
                &[("btc_jpy", btc), ("eth_jpy", eth), ("xrp_jpy", Halted)],
            );
            // Suspended when first seen: it holds no level and is not told.
            r.excused = ["xrp_jpy".to_string()].into();
            r
        };
        d.step(three(0, Level::Normal, Normal, Normal));
        let events = d.step(three(2, Level::Maintenance, Halted, Halted));
        assert_eq!(kinds(&events), vec!["maintenance_started"]);
        // Back, but btc_jpy stays halted: its own event, from the state before the
        // maintenance; xrp_jpy, halted before and excused, is not told again.
        let events = d.step(three(3, Level::Degraded, Halted, Normal));
        assert_eq!(
            kinds(&events),
            vec!["maintenance_ended", "degraded_started", "pair_changed"]
        );
        assert_eq!(events[2].pair.as_deref(), Some("btc_jpy"));
        assert_eq!(events[2].pair_state, Some(Halted));
        assert_eq!(events[2].previous_pair_state, Some(Normal));
        assert_eq!(events[2].level, Level::Degraded);
        // Its reopening is then an ordinary change.
        let events = d.step(three(4, Level::Normal, Normal, Normal));
        assert!(kinds(&events).contains(&"pair_changed"));
    }

    #[test]
    fn a_maintenance_the_monitor_started_in_tells_what_it_left_behind() {
        let mut d = detector();
        d.step(reading(
            0,
            Level::Maintenance,
            Certainty::Definite,
            &[("btc_jpy", PairState::Halted)],
        ));
        let events = d.step(reading(
            1,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", PairState::Busy), ("eth_jpy", PairState::Normal)],
        ));
        let pair = events.iter().find(|e| e.kind == EventKind::PairChanged);
        assert_eq!(pair.and_then(|e| e.pair.as_deref()), Some("btc_jpy"));
        assert_eq!(
            pair.and_then(|e| e.previous_pair_state.clone()),
            Some(PairState::Unknown)
        );
    }

    #[test]
    fn a_circuit_break_event_carries_the_reopen_time() {
        let mut d = detector();
        d.step(ok(0));
        let cb = PairState::CircuitBreak {
            mode: crate::model::level::CircuitMode::CircuitBreak,
            reopen_at: Some(at(1800)),
        };
        let events = d.step(reading(
            1,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", cb.clone())],
        ));
        assert_eq!(kinds(&events), vec!["degraded_started", "pair_changed"]);
        assert_eq!(events[0].reopen_at, Some(at(1800)));
        assert_eq!(events[1].reopen_at, Some(at(1800)));
        // The reopen time moving is not a new event.
        let later = PairState::CircuitBreak {
            mode: crate::model::level::CircuitMode::CircuitBreak,
            reopen_at: Some(at(2400)),
        };
        assert!(d
            .step(reading(
                2,
                Level::Degraded,
                Certainty::Definite,
                &[("btc_jpy", later)]
            ))
            .is_empty());
    }

    fn maintenance_since(secs: i64, checked: i64) -> Resume {
        Resume {
            level: Level::Maintenance,
            since: at(secs),
            start_observed: true,
            reason: Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            }),
            pairs: BTreeMap::new(),
            checked_at: at(checked),
        }
    }

    #[test]
    fn a_resumed_maintenance_goes_on_without_a_second_start_and_ends_with_its_full_duration() {
        let mut d = detector();
        assert_eq!(
            d.resume(maintenance_since(0, 100), at(160)),
            Resumed::Continued
        );
        let events = d.step(reading(160, Level::Maintenance, Certainty::Definite, &[]));
        assert_eq!(kinds(&events), vec!["monitor_started"]);
        assert_eq!(events[0].level, Level::Maintenance);
        assert_eq!(events[0].previous_level, Some(Level::Maintenance));
        assert_eq!(d.snapshot().since, Some(at(0)));
        assert!(d
            .step(reading(170, Level::Maintenance, Certainty::Definite, &[]))
            .is_empty());
        let events = d.step(ok(400));
        assert_eq!(kinds(&events), vec!["maintenance_ended"]);
        assert_eq!(events[0].duration_secs, Some(400));
        assert_eq!(events[0].start_observed, Some(true));
    }

    #[test]
    fn a_maintenance_that_ended_while_away_ends_at_the_first_answer() {
        let mut d = detector();
        d.resume(maintenance_since(0, 100), at(200));
        let events = d.step(ok(200));
        assert_eq!(kinds(&events), vec!["monitor_started", "maintenance_ended"]);
        assert_eq!(events[0].level, Level::Normal);
        assert_eq!(events[0].previous_level, Some(Level::Maintenance));
        assert_eq!(events[1].duration_secs, Some(200));
        let mut d = detector();
        d.resume(maintenance_since(0, 100), at(200));
        let events = d.step(reading(
            200,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", PairState::Busy)],
        ));
        // The pair it left busy is told: nothing was stored of it.
        assert_eq!(
            kinds(&events),
            vec![
                "monitor_started",
                "maintenance_ended",
                "degraded_started",
                "pair_changed"
            ]
        );
    }

    #[test]
    fn a_state_older_than_the_bound_ends_with_no_duration_and_starts_afresh() {
        let mut d = detector();
        let gap = RESUME_MAX_GAP.num_seconds();
        assert_eq!(
            d.resume(maintenance_since(0, 100), at(100 + gap + 1)),
            Resumed::TooOld
        );
        let events = d.step(reading(
            100 + gap + 1,
            Level::Maintenance,
            Certainty::Definite,
            &[],
        ));
        assert_eq!(
            kinds(&events),
            vec![
                "monitor_started",
                "maintenance_ended",
                "maintenance_started"
            ]
        );
        assert_eq!(events[0].previous_level, None);
        assert_eq!(events[1].duration_secs, None, "the end is not known");
        assert_eq!(events[2].start_observed, Some(false));
        // Exactly at the bound it still continues; a snapshot from the future does not.
        let mut d = detector();
        assert_eq!(
            d.resume(maintenance_since(0, 100), at(100 + gap)),
            Resumed::Continued
        );
        let mut d = detector();
        assert_eq!(
            d.resume(maintenance_since(0, 100_000), at(100)),
            Resumed::TooOld
        );
    }

    #[test]
    fn resumed_pairs_change_from_their_stored_state() {
        let mut d = detector();
        let prior = Resume {
            level: Level::Degraded,
            since: at(0),
            start_observed: true,
            reason: Some(Reason::Pairs(vec![("btc_jpy".into(), PairState::Halted)])),
            pairs: pairs(&[("btc_jpy", PairState::Halted)]),
            checked_at: at(10),
        };
        d.resume(prior.clone(), at(20));
        let events = d.step(reading(
            20,
            Level::Degraded,
            Certainty::Definite,
            &[("btc_jpy", PairState::Halted)],
        ));
        assert_eq!(kinds(&events), vec!["monitor_started"]);
        let mut d = detector();
        d.resume(prior, at(20));
        let events = d.step(ok(20));
        assert_eq!(
            kinds(&events),
            vec!["monitor_started", "degraded_ended", "pair_changed"]
        );
        assert_eq!(events[1].duration_secs, Some(20));
        assert_eq!(events[2].previous_pair_state, Some(PairState::Halted));
    }

    #[test]
    fn a_resumed_outage_is_confirmed_by_a_failure_like_it() {
        let mut d = detector();
        let prior = Resume {
            level: Level::Down,
            since: at(0),
            start_observed: true,
            reason: None,
            pairs: BTreeMap::new(),
            checked_at: at(10),
        };
        d.resume(prior, at(20));
        assert_eq!(d.snapshot().level, Level::Down);
        let events = d.step(reading(20, Level::Down, Certainty::Ambiguous, &[]));
        assert_eq!(kinds(&events), vec!["monitor_started"]);
        assert!(d
            .step(reading(21, Level::Down, Certainty::Ambiguous, &[]))
            .is_empty());
        assert_eq!(kinds(&d.step(ok(30))), vec!["down_ended"]);
    }

    #[test]
    fn nothing_is_resumed_once_running_or_from_a_normal_past() {
        let mut d = detector();
        d.step(ok(0));
        assert_eq!(d.resume(maintenance_since(0, 0), at(1)), Resumed::Nothing);
        let mut d = detector();
        let mut prior = maintenance_since(0, 0);
        prior.level = Level::Normal;
        assert_eq!(d.resume(prior, at(100_000)), Resumed::Nothing);
        assert_eq!(kinds(&d.step(ok(100_000))), vec!["monitor_started"]);
    }

    #[test]
    fn the_watch_list_is_resolved_once() {
        let mut d = detector();
        d.step(ok(0));
        assert_eq!(d.watched().unwrap().len(), 1);
        let mut r = ok(1);
        r.watched = Some(["a".to_string(), "b".to_string()].into());
        d.step(r);
        assert_eq!(d.watched().unwrap().len(), 1);
    }
}
