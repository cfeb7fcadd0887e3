//! Reading the history a page at a time, through a connection of its own. The local API's
//! clients read this way: they never wait on the recorder's connection nor hold it up (the
//! file is in WAL mode, so readers and the writer do not block each other), and a page costs
//! memory for its own items and one chunk of rows, however long the history.

use std::collections::BinaryHeap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags};

use crate::error::HistoryError;
use crate::period::{Deriver, Period};
use crate::store::{
    classify, event_matches, id_and_data, millis, period_matches, stored_event, Filter,
    StoredEvent, BUSY_TIMEOUT,
};

/// Rows read from the file at once.
const CHUNK: i64 = 500;

/// One page of items, and where the next one starts if there may be more.
#[derive(Debug)]
pub struct Page<T, C> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Where the next page starts (`None`: this is the last).
    pub next: Option<C>,
}

/// Where a page of events starts: after the event with this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventCursor(pub i64);

/// Where a page of periods starts: after the period with this start and key (periods are
/// ordered by start, then by the id of the event that began them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PeriodCursor {
    /// Its start in milliseconds since the epoch (`None`: not known; those come first).
    start_ms: Option<i64>,
    /// The id of the event that began it.
    key: i64,
}

/// A cursor that is not one this history gave.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a cursor from a previous page")]
pub struct BadCursor(String);

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for EventCursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse()
            .map(EventCursor)
            .map_err(|_| BadCursor(s.to_owned()))
    }
}

impl fmt::Display for PeriodCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.start_ms {
            Some(ms) => write!(f, "p{ms}.{}", self.key),
            None => write!(f, "p.{}", self.key),
        }
    }
}

impl FromStr for PeriodCursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadCursor(s.to_owned());
        let (start, key) = s
            .trim()
            .strip_prefix('p')
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(bad)?;
        let start_ms = match start {
            "" => None,
            ms => Some(ms.parse().map_err(|_| bad())?),
        };
        Ok(PeriodCursor {
            start_ms,
            key: key.parse().map_err(|_| bad())?,
        })
    }
}

impl PeriodCursor {
    fn of(key: i64, p: &Period) -> PeriodCursor {
        PeriodCursor {
            start_ms: p.start.map(millis),
            key,
        }
    }
}

/// A period with its place in the order, kept in a heap of the first ones.
struct Ranked(PeriodCursor, Period);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// A read-only connection to a history file, for reading it a page at a time.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    conn: Connection,
}

impl Reader {
    /// A connection of its own to the history at `path` (which must exist).
    pub fn open(path: &Path) -> Result<Reader, HistoryError> {
        let c = |e| classify(path, e);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(c)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(c)?;
        Ok(Reader {
            path: path.to_owned(),
            conn,
        })
    }

    /// Up to `limit` (at least 1) of the events `filter` selects, after `after`, in the order
    /// they were recorded.
    pub fn events(
        &self,
        filter: &Filter,
        after: Option<EventCursor>,
        limit: usize,
    ) -> Result<Page<StoredEvent, EventCursor>, HistoryError> {
        let limit = limit.max(1);
        let from = filter.since.map_or(i64::MIN, millis);
        let to = filter.until.map_or(i64::MAX, millis);
        let sql = if filter.pair.is_some() {
            "SELECT id, data FROM events WHERE id > ?1 AND at_ms >= ?2 AND at_ms <= ?3 \
             AND pair = ?4 ORDER BY id LIMIT ?5"
        } else {
            "SELECT id, data FROM events WHERE id > ?1 AND at_ms >= ?2 AND at_ms <= ?3 \
             AND ?4 IS NULL ORDER BY id LIMIT ?5"
        };
        let mut items = Vec::new();
        let mut last = after.map_or(0, |c| c.0);
        loop {
            let rows = self.chunk(sql, params![last, from, to, filter.pair, CHUNK])?;
            let Some((id, _)) = rows.last() else {
                return Ok(Page { items, next: None });
            };
            last = *id;
            for (id, data) in rows {
                let Some(stored) = stored_event(id, &data) else {
                    continue;
                };
                if event_matches(&stored.event, filter) {
                    items.push(stored);
                    if items.len() == limit {
                        return Ok(Page {
                            items,
                            next: Some(EventCursor(id)),
                        });
                    }
                }
            }
        }
    }

    /// Up to `limit` (at least 1) of the periods `filter` selects, after `after`, ordered by
    /// start (as [`crate::derive`] orders them); those under way last until `now`. Every
    /// event is read (a period may have begun long before), a chunk at a time.
    pub fn periods(
        &self,
        filter: &Filter,
        after: Option<PeriodCursor>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Page<Period, PeriodCursor>, HistoryError> {
        let limit = limit.max(1);
        let to = filter.until.map_or(i64::MAX, millis);
        // The first `limit + 1` periods after the cursor (the last says whether there are
        // more): a max-heap that drops its largest.
        let mut first: BinaryHeap<Ranked> = BinaryHeap::new();
        let mut keep = |key: i64, p: Period| {
            let place = PeriodCursor::of(key, &p);
            if after.is_some_and(|a| place <= a) || !period_matches(&p, filter) {
                return;
            }
            first.push(Ranked(place, p));
            if first.len() > limit + 1 {
                first.pop();
            }
        };
        let mut deriver = Deriver::new(now);
        let mut last = 0;
        loop {
            let rows = self.chunk(
                "SELECT id, data FROM events WHERE id > ?1 AND at_ms <= ?2 ORDER BY id LIMIT ?3",
                params![last, to, CHUNK],
            )?;
            let Some((id, _)) = rows.last() else { break };
            last = *id;
            for (id, data) in rows {
                if let Some(stored) = stored_event(id, &data) {
                    // Another exchange's events make only that exchange's periods.
                    if filter.selects_exchange(stored.event.exchange) {
                        deriver.feed(id, &stored.event, &mut keep);
                    }
                }
            }
        }
        deriver.finish(&mut keep);
        let mut items: Vec<Ranked> = first.into_sorted_vec();
        let more = items.len() > limit;
        items.truncate(limit);
        let next = more.then(|| items.last().map(|r| r.0)).flatten();
        Ok(Page {
            items: items.into_iter().map(|r| r.1).collect(),
            next,
        })
    }

    /// The `(id, data)` rows of `sql`.
    fn chunk(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<(i64, String)>, HistoryError> {
        let c = |e| classify(&self.path, e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(c)?;
        let rows = stmt.query_map(params, id_and_data).map_err(c)?;
        rows.collect::<Result<_, _>>().map_err(c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::History;
    use bbwatch_core::EventKind;
    use chrono::TimeZone;

    /// A history of `4 × 2^doublings` events.
    fn history(doublings: u32) -> (History, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("bbwatch-page-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("history.sqlite3");
        let at = Utc
            .with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap();
        crate::sample::repeated_maintenances(&path, at, doublings).unwrap();
        (History::open(&path).unwrap(), dir)
    }

    #[test]
    fn pages_of_events_and_periods_add_up_to_the_whole() {
        let (h, dir) = history(9);
        let reader = Reader::open(h.path()).unwrap();
        let all_events = h.events(&Filter::default()).unwrap();
        let all_periods = h.periods(&Filter::default()).unwrap();
        assert_eq!((all_events.len(), all_periods.len()), (2048, 1024));

        let mut events = Vec::new();
        let mut after = None;
        loop {
            let page = reader.events(&Filter::default(), after, 333).unwrap();
            assert!(page.items.len() <= 333);
            events.extend(page.items);
            match page.next {
                Some(next) => after = Some(next.to_string().parse().unwrap()),
                None => break,
            }
        }
        assert_eq!(events, all_events);

        let mut periods = Vec::new();
        let mut after = None;
        let now = Utc::now();
        loop {
            let page = reader.periods(&Filter::default(), after, 250, now).unwrap();
            periods.extend(page.items);
            match page.next {
                Some(next) => after = Some(next.to_string().parse().unwrap()),
                None => break,
            }
        }
        assert_eq!(periods, all_periods);

        // A filter applies before the page is cut.
        let halted = Filter {
            kinds: vec![crate::PeriodKind::Halted],
            ..Filter::default()
        };
        let page = reader.periods(&halted, None, 5, now).unwrap();
        assert_eq!(page.items.len(), 5);
        assert!(page
            .items
            .iter()
            .all(|p| p.kind == crate::PeriodKind::Halted));
        let page = reader.events(&halted, None, 5).unwrap();
        assert!(page
            .items
            .iter()
            .all(|e| e.event.kind == EventKind::PairChanged));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn interleaved_exchanges_are_read_apart_whole_or_a_page_at_a_time() {
        use bbwatch_core::model::exchange::Exchange;
        use bbwatch_core::{Event, Level};
        let dir = std::env::temp_dir().join(format!("bbwatch-page-ex-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let h = History::open(&dir.join("history.sqlite3")).unwrap();
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap();
        let at = |s| t0 + chrono::Duration::seconds(s);
        let ev = |exchange, kind, s, to, from| {
            let mut e = Event::level_change(kind, at(s), to, from);
            e.exchange = exchange;
            e
        };
        let (b, g) = (Exchange::Bitbank, Exchange::Gmocoin);
        let mut ended = ev(
            b,
            EventKind::MaintenanceEnded,
            40,
            Level::Normal,
            Some(Level::Maintenance),
        );
        ended.duration_secs = Some(30);
        for e in [
            ev(b, EventKind::MonitorStarted, 0, Level::Normal, None),
            ev(g, EventKind::MonitorStarted, 1, Level::Normal, None),
            ev(
                b,
                EventKind::MaintenanceStarted,
                10,
                Level::Maintenance,
                Some(Level::Normal),
            ),
            ev(
                g,
                EventKind::MaintenanceStarted,
                20,
                Level::Maintenance,
                Some(Level::Normal),
            ),
            // GMO Coin's fresh start: it must not close bitbank's maintenance.
            ev(g, EventKind::MonitorStarted, 30, Level::Normal, None),
            ended,
        ] {
            h.record(&e).unwrap();
        }
        let reader = Reader::open(h.path()).unwrap();
        let now = at(100);
        let of = |exchanges: Vec<Exchange>| Filter {
            exchanges,
            ..Filter::default()
        };
        let page = reader.periods(&of(vec![]), None, 100, now).unwrap();
        let got: Vec<_> = page.items.iter().map(|p| (p.exchange, p.end)).collect();
        assert_eq!(
            got,
            vec![(b, crate::End::At(at(40))), (g, crate::End::Unknown)]
        );
        let page = reader.periods(&of(vec![g]), None, 1, now).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].exchange, g);
        assert!(page.next.is_none());
        let bitbank = reader.periods(&of(vec![b]), None, 100, now).unwrap();
        assert_eq!(bitbank.items.len(), 1);
        assert_eq!(bitbank.items[0].duration_secs, Some(30));
        assert_eq!(h.periods(&of(vec![b])).unwrap().len(), 1);

        let events = reader.events(&of(vec![g]), None, 100).unwrap();
        assert_eq!(events.items.len(), 3);
        assert!(events.items.iter().all(|e| e.event.exchange == g));
        assert_eq!(h.events(&of(vec![g, b])).unwrap().len(), 6);
        assert_eq!(h.events(&of(vec![Exchange::Coincheck])).unwrap().len(), 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn cursors_read_back_and_foreign_ones_are_refused() {
        for c in ["p1764219064120.42", "p.7", "p-5.3"] {
            assert_eq!(c.parse::<PeriodCursor>().unwrap().to_string(), c);
        }
        for bad in ["", "p", "p1.x", "42", "px.1"] {
            assert!(bad.parse::<PeriodCursor>().is_err(), "{bad}");
        }
        assert_eq!("42".parse::<EventCursor>().unwrap(), EventCursor(42));
        assert!("p1.2".parse::<EventCursor>().is_err());
    }
}
