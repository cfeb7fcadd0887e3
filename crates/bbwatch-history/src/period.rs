//! Periods derived from events: each maintenance, outage, unreachable or degraded spell, and
//! each pair's halt, suspension, circuit break or busy spell, with its start, end, duration
//! and reason. Pure: the events and the time are passed in.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a period is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// The exchange in maintenance.
    Maintenance,
    /// The api host down.
    Down,
    /// Neither host reachable.
    Unreachable,
    /// Some watched pair (or the server) restricted.
    Degraded,
    /// A pair halted.
    Halted,
    /// A pair with operations stopped.
    Suspended,
    /// A pair in circuit break.
    CircuitBreak,
    /// A pair busy.
    Busy,
    /// A pair very busy.
    VeryBusy,
    /// A pair in a state bbwatch does not know.
    Other,
}

impl PeriodKind {
    /// Every kind: the level periods, then the pair periods.
    pub const ALL: [PeriodKind; 10] = [
        PeriodKind::Maintenance,
        PeriodKind::Down,
        PeriodKind::Unreachable,
        PeriodKind::Degraded,
        PeriodKind::Halted,
        PeriodKind::Suspended,
        PeriodKind::CircuitBreak,
        PeriodKind::Busy,
        PeriodKind::VeryBusy,
        PeriodKind::Other,
    ];

    /// The period a level makes, if any.
    pub fn of_level(level: Level) -> Option<PeriodKind> {
        match level {
            Level::Maintenance => Some(PeriodKind::Maintenance),
            Level::Down => Some(PeriodKind::Down),
            Level::Unreachable => Some(PeriodKind::Unreachable),
            Level::Degraded => Some(PeriodKind::Degraded),
            Level::Normal | Level::Unknown => None,
        }
    }

    /// The period a pair's state makes, if any.
    pub fn of_pair_state(state: &PairState) -> Option<PeriodKind> {
        match state {
            PairState::Halted => Some(PeriodKind::Halted),
            PairState::Suspended { .. } => Some(PeriodKind::Suspended),
            PairState::CircuitBreak { .. } => Some(PeriodKind::CircuitBreak),
            PairState::Busy => Some(PeriodKind::Busy),
            PairState::VeryBusy => Some(PeriodKind::VeryBusy),
            PairState::Other { .. } => Some(PeriodKind::Other),
            PairState::Normal | PairState::Unknown => None,
        }
    }

    /// Whether the period is about one pair.
    pub fn is_pair(self) -> bool {
        !matches!(
            self,
            PeriodKind::Maintenance
                | PeriodKind::Down
                | PeriodKind::Unreachable
                | PeriodKind::Degraded
        )
    }

    /// The snake_case name (`--kind`, JSON, CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Maintenance => "maintenance",
            PeriodKind::Down => "down",
            PeriodKind::Unreachable => "unreachable",
            PeriodKind::Degraded => "degraded",
            PeriodKind::Halted => "halted",
            PeriodKind::Suspended => "suspended",
            PeriodKind::CircuitBreak => "circuit_break",
            PeriodKind::Busy => "busy",
            PeriodKind::VeryBusy => "very_busy",
            PeriodKind::Other => "other",
        }
    }

    /// The level events that start and end this kind of period (none for pair periods).
    pub fn level_event_kinds(self) -> Vec<EventKind> {
        let level = match self {
            PeriodKind::Maintenance => Level::Maintenance,
            PeriodKind::Down => Level::Down,
            PeriodKind::Unreachable => Level::Unreachable,
            PeriodKind::Degraded => Level::Degraded,
            _ => return Vec::new(),
        };
        EventKind::started(level)
            .into_iter()
            .chain(EventKind::ended(level))
            .collect()
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a period kind.
#[derive(Debug, thiserror::Error)]
#[error("unknown kind {0:?}: expected one of maintenance, down, unreachable, degraded, halted, suspended, circuit_break, busy, very_busy, other")]
pub struct UnknownKind(pub String);

impl FromStr for PeriodKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        PeriodKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownKind(s))
    }
}

/// How a period ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Still under way at the last event.
    Ongoing,
    /// Ended then.
    At(DateTime<Utc>),
    /// Ended while bbwatch was not running, too long ago to say when
    /// ([`bbwatch_core::engine::detect::RESUME_MAX_GAP`]), or its end was never recorded.
    Unknown,
    /// No longer watched from then, by the user's choice (`watch_changed`): how it went on
    /// is not known, and it is not said to have ended.
    Unwatched(DateTime<Utc>),
}

/// One period.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    /// The exchange it was on.
    pub exchange: Exchange,
    /// What it is of.
    pub kind: PeriodKind,
    /// The pair, for pair periods.
    pub pair: Option<String>,
    /// When it began; `None` when the history does not say (pruned, or its end alone kept).
    pub start: Option<DateTime<Utc>>,
    /// Whether the start was seen (false: it was under way when monitoring began, and the
    /// start is when it was first seen).
    pub start_observed: bool,
    /// How it ended.
    pub end: End,
    /// Start to end, or to now while under way; `None` when the end is unknown.
    pub duration_secs: Option<u64>,
    /// Why, as told when it began.
    pub reason: Option<Reason>,
    /// The pair's state, for pair periods (with its details).
    pub pair_state: Option<PairState>,
}

/// A period under way.
struct Open {
    kind: PeriodKind,
    start: DateTime<Utc>,
    start_observed: bool,
    reason: Option<Reason>,
    pair_state: Option<PairState>,
}

impl Open {
    fn close(
        self,
        exchange: Exchange,
        pair: Option<String>,
        end: End,
        now: DateTime<Utc>,
    ) -> Period {
        let to = match end {
            End::At(t) | End::Unwatched(t) => Some(t),
            End::Ongoing => Some(now),
            End::Unknown => None,
        };
        Period {
            exchange,
            kind: self.kind,
            pair,
            start: Some(self.start),
            start_observed: self.start_observed,
            end,
            duration_secs: to.map(|t| secs_between(self.start, t)),
            reason: self.reason,
            pair_state: self.pair_state,
        }
    }
}

fn secs_between(a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
    u64::try_from((b - a).num_seconds()).unwrap_or(0)
}

/// The periods `events` (in recorded order) tell of, ordered by start (periods that begin
/// together in the order their first events were recorded); those still open at the end are
/// [`End::Ongoing`], with their duration to `now`.
///
/// The rules: `X_started` opens a period, `X_ended` closes it (with the event's duration,
/// which counts from the true start across restarts; with none, the end is unknown). A
/// `monitor_started` that continues a stored state (its `previous_level` is set) keeps what
/// is open; one that does not closes it with the end unknown. A `pair_changed` closes the
/// pair's period, and opens one when the new state is not normal. Each exchange's periods
/// follow from its own events only, whatever others are recorded between them.
pub fn derive(events: &[Event], now: DateTime<Utc>) -> Vec<Period> {
    let mut out = Vec::new();
    let mut deriver = Deriver::new(now);
    for (key, e) in (0i64..).zip(events) {
        deriver.feed(key, e, |key, p| out.push((key, p)));
    }
    deriver.finish(|key, p| out.push((key, p)));
    out.sort_by_key(|(key, p)| (p.start, *key));
    out.into_iter().map(|(_, p)| p).collect()
}

/// [`derive`], one event at a time, so that a long history is never held in memory whole.
/// Each period is given, as it closes, with the key of the event that began it (or, for a
/// period whose start is not in the history, of the event that ended it): sorting by start
/// and then key gives [`derive`]'s order.
///
/// Events of every watched exchange are recorded interleaved; each exchange's periods follow
/// from its own events alone (a GMO Coin `monitor_started` closes nothing of bitbank's), so
/// each exchange has a deriver of its own and their periods are merged by start.
pub struct Deriver {
    now: DateTime<Utc>,
    exchanges: BTreeMap<Exchange, OneExchange>,
}

impl Deriver {
    /// Nothing open yet; periods still open at the end last until `now`.
    pub fn new(now: DateTime<Utc>) -> Deriver {
        Deriver {
            now,
            exchanges: BTreeMap::new(),
        }
    }

    /// The next event `e` (`key`: its id, increasing); `out` gets each period it closes.
    pub fn feed(&mut self, key: i64, e: &Event, out: impl FnMut(i64, Period)) {
        let one = self
            .exchanges
            .entry(e.exchange)
            .or_insert_with(|| OneExchange::new(e.exchange));
        one.feed(self.now, key, e, out);
    }

    /// No more events: `out` gets the periods still under way.
    pub fn finish(self, mut out: impl FnMut(i64, Period)) {
        for one in self.exchanges.into_values() {
            one.finish(self.now, &mut out);
        }
    }
}

/// What is open on one exchange.
struct OneExchange {
    exchange: Exchange,
    level: Option<(i64, Open)>,
    pairs: BTreeMap<String, (i64, Open)>,
}

impl OneExchange {
    fn new(exchange: Exchange) -> OneExchange {
        OneExchange {
            exchange,
            level: None,
            pairs: BTreeMap::new(),
        }
    }

    /// The next event of this exchange.
    fn feed(&mut self, now: DateTime<Utc>, key: i64, e: &Event, mut out: impl FnMut(i64, Period)) {
        let exchange = self.exchange;
        let level = &mut self.level;
        let pairs = &mut self.pairs;
        match e.kind {
            EventKind::MonitorStarted => {
                if e.previous_level.is_none() {
                    if let Some((k, open)) = level.take() {
                        out(k, open.close(exchange, None, End::Unknown, now));
                    }
                    for (pair, (k, open)) in std::mem::take(pairs) {
                        out(k, open.close(exchange, Some(pair), End::Unknown, now));
                    }
                }
            }
            EventKind::WatchChanged => {
                // What the user stopped watching leaves the history as no longer watched;
                // a level that stays (other pairs still restricted) goes on.
                if e.previous_level != Some(e.level) {
                    if let Some((k, open)) = level.take() {
                        out(k, open.close(exchange, None, End::Unwatched(e.at), now));
                    }
                }
                if let Some(Reason::Unwatched { pairs: gone, .. }) = &e.reason {
                    for (pair, _) in gone {
                        if let Some((k, open)) = pairs.remove(pair) {
                            out(
                                k,
                                open.close(exchange, Some(pair.clone()), End::Unwatched(e.at), now),
                            );
                        }
                    }
                }
            }
            EventKind::PairChanged => {
                let Some(pair) = &e.pair else { return };
                if let Some((k, open)) = pairs.remove(pair) {
                    out(
                        k,
                        open.close(exchange, Some(pair.clone()), End::At(e.at), now),
                    );
                }
                let state = e.pair_state.clone().unwrap_or_default();
                if let Some(kind) = PeriodKind::of_pair_state(&state) {
                    let open = Open {
                        kind,
                        start: e.at,
                        start_observed: true,
                        reason: e.reason.clone(),
                        pair_state: Some(state),
                    };
                    pairs.insert(pair.clone(), (key, open));
                }
            }
            kind => {
                let started = Level::ALL
                    .into_iter()
                    .find(|l| EventKind::started(*l) == Some(kind));
                let ended = Level::ALL
                    .into_iter()
                    .find(|l| EventKind::ended(*l) == Some(kind));
                if let Some(l) = started.and_then(PeriodKind::of_level) {
                    if let Some((k, open)) = level.take() {
                        // A start while one is open: that one's end was never recorded.
                        out(k, open.close(exchange, None, End::Unknown, now));
                    }
                    *level = Some((
                        key,
                        Open {
                            kind: l,
                            start: e.at,
                            start_observed: e.start_observed.unwrap_or(true),
                            reason: e.reason.clone(),
                            pair_state: None,
                        },
                    ));
                } else if let Some(l) = ended.and_then(PeriodKind::of_level) {
                    match level.take() {
                        Some((k, open)) if open.kind == l => {
                            let mut p = open.close(exchange, None, End::At(e.at), now);
                            match e.duration_secs {
                                Some(d) => p.duration_secs = Some(d),
                                None => {
                                    p.end = End::Unknown;
                                    p.duration_secs = None;
                                }
                            }
                            out(k, p);
                        }
                        other => {
                            if let Some((k, open)) = other {
                                out(k, open.close(exchange, None, End::Unknown, now));
                            }
                            // Its start is not in the history (pruned, or recorded elsewhere).
                            if let Some(d) = e.duration_secs {
                                let start = i64::try_from(d)
                                    .ok()
                                    .and_then(chrono::TimeDelta::try_seconds)
                                    .and_then(|d| e.at.checked_sub_signed(d));
                                out(
                                    key,
                                    Period {
                                        exchange,
                                        kind: l,
                                        pair: None,
                                        start,
                                        start_observed: e.start_observed.unwrap_or(false),
                                        end: End::At(e.at),
                                        duration_secs: Some(d),
                                        reason: e.reason.clone(),
                                        pair_state: None,
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// No more events: `out` gets the periods still under way.
    fn finish(self, now: DateTime<Utc>, mut out: impl FnMut(i64, Period)) {
        if let Some((k, open)) = self.level {
            out(k, open.close(self.exchange, None, End::Ongoing, now));
        }
        for (pair, (k, open)) in self.pairs {
            out(k, open.close(self.exchange, Some(pair), End::Ongoing, now));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::model::code::ErrorCode;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    fn level(kind: EventKind, secs: i64, to: Level, from: Option<Level>) -> Event {
        Event::level_change(kind, at(secs), to, from)
    }

    fn ended(kind: EventKind, secs: i64, duration: Option<u64>, from: Level) -> Event {
        let mut e = level(kind, secs, Level::Normal, Some(from));
        e.duration_secs = duration;
        e
    }

    fn pair(secs: i64, name: &str, state: PairState) -> Event {
        let mut e = level(EventKind::PairChanged, secs, Level::Degraded, None);
        e.pair = Some(name.into());
        e.pair_state = Some(state);
        e
    }

    #[test]
    fn a_maintenance_across_a_restart_is_one_period_with_its_full_duration() {
        let mut started = level(
            EventKind::MaintenanceStarted,
            60,
            Level::Maintenance,
            Some(Level::Normal),
        );
        started.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        let events = vec![
            level(EventKind::MonitorStarted, 0, Level::Normal, None),
            started,
            // The restart: it continues the maintenance.
            level(
                EventKind::MonitorStarted,
                300,
                Level::Maintenance,
                Some(Level::Maintenance),
            ),
            ended(
                EventKind::MaintenanceEnded,
                660,
                Some(600),
                Level::Maintenance,
            ),
        ];
        let periods = derive(&events, at(1000));
        assert_eq!(periods.len(), 1, "{periods:#?}");
        let p = &periods[0];
        assert_eq!(p.kind, PeriodKind::Maintenance);
        assert_eq!(p.start, Some(at(60)));
        assert_eq!(p.end, End::At(at(660)));
        assert_eq!(p.duration_secs, Some(600));
        assert!(matches!(p.reason, Some(Reason::ApiError { .. })));
    }

    #[test]
    fn a_restart_too_late_says_the_end_is_unknown() {
        let events = vec![
            level(EventKind::MonitorStarted, 0, Level::Maintenance, None),
            level(EventKind::MaintenanceStarted, 0, Level::Maintenance, None),
            level(EventKind::MonitorStarted, 90_000, Level::Normal, None),
            ended(
                EventKind::MaintenanceEnded,
                90_000,
                None,
                Level::Maintenance,
            ),
        ];
        let periods = derive(&events, at(100_000));
        assert_eq!(periods.len(), 1, "{periods:#?}");
        assert_eq!(periods[0].end, End::Unknown);
        assert_eq!(periods[0].duration_secs, None);
    }

    #[test]
    fn pair_periods_follow_pair_changes_and_an_open_one_is_ongoing() {
        let events = vec![
            level(EventKind::MonitorStarted, 0, Level::Normal, None),
            pair(10, "btc_jpy", PairState::Halted),
            pair(70, "btc_jpy", PairState::Busy),
            pair(100, "btc_jpy", PairState::Normal),
            pair(110, "xrp_jpy", PairState::Suspended { stopped: vec![] }),
        ];
        let periods = derive(&events, at(200));
        let got: Vec<_> = periods
            .iter()
            .map(|p| (p.kind, p.pair.as_deref().unwrap(), p.duration_secs, p.end))
            .collect();
        assert_eq!(
            got,
            vec![
                (PeriodKind::Halted, "btc_jpy", Some(60), End::At(at(70))),
                (PeriodKind::Busy, "btc_jpy", Some(30), End::At(at(100))),
                (PeriodKind::Suspended, "xrp_jpy", Some(90), End::Ongoing),
            ]
        );
    }

    #[test]
    fn an_end_whose_start_was_pruned_is_a_period_counted_back_from_its_end() {
        let events = vec![ended(EventKind::DownEnded, 500, Some(200), Level::Down)];
        let periods = derive(&events, at(600));
        assert_eq!(periods[0].kind, PeriodKind::Down);
        assert_eq!(periods[0].start, Some(at(300)));
        // A start with one still open: the first one's end was not recorded.
        let events = vec![
            level(EventKind::DegradedStarted, 0, Level::Degraded, None),
            level(EventKind::DegradedStarted, 50, Level::Degraded, None),
        ];
        let periods = derive(&events, at(60));
        assert_eq!(periods[0].end, End::Unknown);
        assert_eq!(periods[1].end, End::Ongoing);
        assert_eq!(periods[1].duration_secs, Some(10));
    }

    #[test]
    fn what_the_user_stops_watching_ends_as_no_longer_watched_not_as_ended() {
        let mut unwatched = level(
            EventKind::WatchChanged,
            100,
            Level::Normal,
            Some(Level::Degraded),
        );
        unwatched.reason = Some(Reason::Unwatched {
            pairs: vec![("btc_jpy".into(), PairState::Halted)],
            assets: Vec::new(),
            key_removed: false,
        });
        let events = vec![
            level(EventKind::MonitorStarted, 0, Level::Normal, None),
            level(
                EventKind::DegradedStarted,
                10,
                Level::Degraded,
                Some(Level::Normal),
            ),
            pair(10, "btc_jpy", PairState::Halted),
            unwatched,
        ];
        let periods = derive(&events, at(200));
        let got: Vec<_> = periods
            .iter()
            .map(|p| (p.kind, p.end, p.duration_secs))
            .collect();
        assert_eq!(
            got,
            vec![
                (PeriodKind::Degraded, End::Unwatched(at(100)), Some(90)),
                (PeriodKind::Halted, End::Unwatched(at(100)), Some(90)),
            ]
        );
        assert_eq!(
            crate::words::period_duration(&periods[0], bbwatch_core::Lang::En),
            "1 min 30 s, then no longer watched"
        );
    }

    fn on(exchange: Exchange, mut e: Event) -> Event {
        e.exchange = exchange;
        e
    }

    #[test]
    fn interleaved_exchanges_each_make_their_own_periods() {
        let gmo = |e| on(Exchange::Gmocoin, e);
        let events = vec![
            level(EventKind::MonitorStarted, 0, Level::Normal, None),
            gmo(level(EventKind::MonitorStarted, 1, Level::Normal, None)),
            level(
                EventKind::MaintenanceStarted,
                10,
                Level::Maintenance,
                Some(Level::Normal),
            ),
            pair(15, "btc_jpy", PairState::Halted),
            gmo(level(
                EventKind::MaintenanceStarted,
                20,
                Level::Maintenance,
                Some(Level::Normal),
            )),
            // GMO Coin's monitor starts afresh: its maintenance ends unknown, bitbank's goes on.
            gmo(level(EventKind::MonitorStarted, 30, Level::Normal, None)),
            // The same pair name on GMO Coin is another pair.
            gmo(pair(35, "btc_jpy", PairState::Normal)),
            ended(
                EventKind::MaintenanceEnded,
                70,
                Some(60),
                Level::Maintenance,
            ),
            gmo(level(
                EventKind::DownStarted,
                80,
                Level::Down,
                Some(Level::Normal),
            )),
        ];
        let periods = derive(&events, at(100));
        let got: Vec<_> = periods
            .iter()
            .map(|p| (p.exchange, p.kind, p.start, p.end, p.duration_secs))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Exchange::Bitbank,
                    PeriodKind::Maintenance,
                    Some(at(10)),
                    End::At(at(70)),
                    Some(60)
                ),
                (
                    Exchange::Bitbank,
                    PeriodKind::Halted,
                    Some(at(15)),
                    End::Ongoing,
                    Some(85)
                ),
                (
                    Exchange::Gmocoin,
                    PeriodKind::Maintenance,
                    Some(at(20)),
                    End::Unknown,
                    None
                ),
                (
                    Exchange::Gmocoin,
                    PeriodKind::Down,
                    Some(at(80)),
                    End::Ongoing,
                    Some(20)
                ),
            ]
        );
        // Each exchange alone derives what it derives within the mix.
        for exchange in [Exchange::Bitbank, Exchange::Gmocoin] {
            let alone: Vec<Event> = events
                .iter()
                .filter(|e| e.exchange == exchange)
                .cloned()
                .collect();
            let mixed: Vec<Period> = periods
                .iter()
                .filter(|p| p.exchange == exchange)
                .cloned()
                .collect();
            assert_eq!(derive(&alone, at(100)), mixed, "{exchange}");
        }
    }

    #[test]
    fn kinds_parse_and_name_themselves() {
        for k in PeriodKind::ALL {
            assert_eq!(k.as_str().parse::<PeriodKind>().unwrap(), k);
        }
        assert_eq!(
            "circuit-break".parse::<PeriodKind>().unwrap(),
            PeriodKind::CircuitBreak
        );
        assert!("sometimes".parse::<PeriodKind>().is_err());
        assert_eq!(
            PeriodKind::Maintenance.level_event_kinds(),
            vec![EventKind::MaintenanceStarted, EventKind::MaintenanceEnded]
        );
    }
}
