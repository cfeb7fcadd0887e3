//! The history file: opening it (made 0600, WAL, migrated, a corrupt one moved aside), the one
//! writer among the processes that share it, recording and reading back.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::model::reason::Reason;
use bbwatch_core::{Event, EventKind, Level, PairState, Resume, Snapshot};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::HistoryError;
use crate::period::{self, Period, PeriodKind};
use crate::schema;

/// How long a write waits for another process's transaction before the file counts as locked.
/// Ours are a single insert each: another bbwatch never holds the file anywhere near as long.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// `$XDG_DATA_HOME/bbwatch/history.sqlite3` (else `~/.local/share/bbwatch/history.sqlite3`);
/// on Windows `%LOCALAPPDATA%\bbwatch\history.sqlite3` (the history is this machine's, it
/// does not roam). A relative directory is ignored, as the XDG spec says.
pub fn default_path() -> Option<PathBuf> {
    use bbwatch_core::config::absolute_env_dir;
    #[cfg(windows)]
    let base = absolute_env_dir("LOCALAPPDATA")?;
    #[cfg(not(windows))]
    let base = absolute_env_dir("XDG_DATA_HOME")
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("bbwatch").join("history.sqlite3"))
}

/// Which events and periods to read. Empty fields select everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// From this time on (periods: those still under way then, or later).
    pub since: Option<DateTime<Utc>>,
    /// Up to this time (periods: those begun by then).
    pub until: Option<DateTime<Utc>>,
    /// Only these kinds (events: the level events of these periods, and pair events into or
    /// out of these pair states).
    pub kinds: Vec<PeriodKind>,
    /// Only this pair's (pair events and pair periods).
    pub pair: Option<String>,
    /// Only these exchanges' events and periods (empty: every exchange's).
    pub exchanges: Vec<Exchange>,
}

impl Filter {
    /// Whether `exchange`'s events and periods are selected.
    pub fn selects_exchange(&self, exchange: Exchange) -> bool {
        self.exchanges.is_empty() || self.exchanges.contains(&exchange)
    }
}

/// An event as recorded, with its id (increasing in the order events were recorded).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// The id: larger is later, never reused.
    pub id: i64,
    /// The event, exactly as it was recorded.
    pub event: Event,
}

/// An open history file.
#[derive(Debug)]
pub struct History {
    path: PathBuf,
    pub(crate) conn: Mutex<Connection>,
    writer: Mutex<Writer>,
    moved_aside: Option<PathBuf>,
}

/// The lock that makes one process the writer (`history.sqlite3.lock`, `flock`): held from the
/// first write on, until the process ends; the kernel drops it if the process dies.
#[derive(Debug)]
struct Writer {
    path: PathBuf,
    held: Option<File>,
    told_reader: bool,
}

impl Writer {
    /// Whether this process records: `Ok(false)` only when another bbwatch holds the lock. A
    /// lock file that cannot be opened or locked (left root-owned by `sudo`, a read-only
    /// directory) proves nothing of another process: it is an error, not "another one records".
    fn try_take(&mut self) -> Result<bool, HistoryError> {
        if self.held.is_some() {
            return Ok(true);
        }
        let unusable = |message: String| HistoryError::Unwritable {
            path: self.path.clone(),
            message,
        };
        let file = create_private(&self.path)
            .map_err(|e| unusable(format!("cannot open the lock file: {e}")))?;
        match try_lock(&file) {
            Ok(()) => {
                if self.told_reader {
                    tracing::info!("the other bbwatch stopped: this one records the history now");
                }
                self.held = Some(file);
                Ok(true)
            }
            Err(e) if lock_taken(&e) => {
                if !std::mem::replace(&mut self.told_reader, true) {
                    tracing::info!(
                        "another bbwatch records the history; this one leaves it to that one"
                    );
                }
                Ok(false)
            }
            Err(e) => Err(unusable(format!("cannot lock the lock file: {e}"))),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Take `file`'s exclusive lock, without waiting.
#[cfg(unix)]
fn try_lock(file: &File) -> Result<(), rustix::io::Errno> {
    rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
}

/// Whether a failed [`try_lock`] means another process holds the lock.
#[cfg(unix)]
fn lock_taken(e: &rustix::io::Errno) -> bool {
    *e == rustix::io::Errno::WOULDBLOCK
}

#[cfg(not(unix))]
fn lock_taken(e: &std::fs::TryLockError) -> bool {
    matches!(e, std::fs::TryLockError::WouldBlock)
}

/// Take `file`'s exclusive lock, without waiting (`LockFileEx` on Windows).
#[cfg(not(unix))]
fn try_lock(file: &File) -> Result<(), std::fs::TryLockError> {
    file.try_lock()
}

/// Open (or create) a file readable and writable by its owner only.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// What an error from SQLite means for the file.
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> HistoryError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => HistoryError::Locked {
            path: path.to_owned(),
        },
        Some(C::NotADatabase | C::DatabaseCorrupt) => HistoryError::Corrupt {
            path: path.to_owned(),
            message: e.to_string(),
        },
        Some(C::ReadOnly | C::CannotOpen | C::PermissionDenied) => HistoryError::Unwritable {
            path: path.to_owned(),
            message: e.to_string(),
        },
        _ => HistoryError::Sqlite(e),
    }
}

/// Open the file as it is once, checking it can be read and written.
fn open_file_once(path: &Path) -> Result<Connection, HistoryError> {
    let unwritable = |e: std::io::Error| HistoryError::Unwritable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // A directory made here is the user's own (an existing one is left as it is).
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(unwritable)?;
    }
    // Made by us first, so SQLite finds it 0600 and gives its -wal and -shm the same mode.
    let file = create_private(path).map_err(unwritable)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata().map_err(unwritable)?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(unwritable)?;
        }
    }
    drop(file);
    let c = |e| classify(path, e);
    let mut conn = Connection::open(path).map_err(c)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(c)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(c)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("{}: journal mode {mode}, not WAL", path.display());
    }
    // Durable against a killed process (what reached the OS is kept); a power cut may lose
    // the last events, which is the price of not syncing on every one.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(c)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(c)?;
    if check != "ok" {
        return Err(HistoryError::Corrupt {
            path: path.to_owned(),
            message: check,
        });
    }
    schema::migrate(&mut conn).map_err(|e| match e {
        HistoryError::Sqlite(e) => classify(path, e),
        other => other,
    })?;
    // A write, so a file that another process holds locked is said so now, not at the first
    // event.
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;").map_err(c)?;
    Ok(conn)
}

/// Open the file as it is, trying again while another process holds it locked, for up to
/// [`BUSY_TIMEOUT`]. SQLite does not wait on every lock by itself: a switch to WAL while
/// another bbwatch opens the same new file fails at once, and two started together (a tray and
/// a `bbwatch watch`) must both get the history.
fn open_file(path: &Path) -> Result<Connection, HistoryError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match open_file_once(path) {
            Err(HistoryError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Move a corrupt file (and its -wal and -shm) aside, never deleting it: it may be someone's
/// only record, and a person may want to look at it. Returns where it went.
fn move_aside(path: &Path) -> Result<PathBuf, HistoryError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let to = sidecar(path, &format!(".corrupt-{stamp}"));
    std::fs::rename(path, &to).map_err(|e| HistoryError::Unwritable {
        path: path.to_owned(),
        message: format!("corrupt, and it cannot be moved aside: {e}"),
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = sidecar(path, suffix);
        if side.exists() {
            let _ = std::fs::rename(&side, sidecar(&to, suffix));
        }
    }
    Ok(to)
}

impl History {
    /// Open the history at `path`, creating it (and its directory) if need be. A file that is
    /// not a readable history is moved aside (see [`History::moved_aside`]) and a new one made.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let (conn, moved_aside) = match open_file(path) {
            Ok(conn) => (conn, None),
            Err(HistoryError::Corrupt { message, .. }) => {
                let to = move_aside(path)?;
                tracing::info!(
                    "{}: not a readable history ({message}); moved aside to {}",
                    path.display(),
                    to.display()
                );
                (open_file(path)?, Some(to))
            }
            Err(e) => return Err(e),
        };
        Ok(History {
            path: path.to_owned(),
            conn: Mutex::new(conn),
            writer: Mutex::new(Writer {
                path: sidecar(path, ".lock"),
                held: None,
                told_reader: false,
            }),
            moved_aside,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where a corrupt file found at open was moved to, if one was.
    pub fn moved_aside(&self) -> Option<&Path> {
        self.moved_aside.as_deref()
    }

    /// Whether this process is the one that records (it takes over when the other stops);
    /// an error when the lock file cannot be used at all.
    pub fn is_writer(&self) -> Result<bool, HistoryError> {
        lock(&self.writer).try_take()
    }

    fn sql<T>(&self, r: Result<T, rusqlite::Error>) -> Result<T, HistoryError> {
        r.map_err(|e| classify(&self.path, e))
    }

    /// Record `event`, committed before this returns (so it survives this process being
    /// killed). `Ok(None)` when another bbwatch records the history: it sees the same events.
    pub fn record(&self, event: &Event) -> Result<Option<i64>, HistoryError> {
        if !self.is_writer()? {
            return Ok(None);
        }
        // The event's own JSON, compact: it reads back as the same event.
        let data = event.to_compact_json();
        let conn = lock(&self.conn);
        let inserted = conn.execute(
            "INSERT INTO events (at_ms, kind, pair, data) VALUES (?1, ?2, ?3, ?4)",
            params![millis(event.at), event.kind.as_str(), event.pair, data],
        );
        self.sql(inserted)?;
        Ok(Some(conn.last_insert_rowid()))
    }

    /// Keep `snapshot` as the last confirmed state (what [`History::resume_state`] returns).
    /// A snapshot with nothing confirmed yet is not kept.
    pub fn record_snapshot(&self, snapshot: &Snapshot) -> Result<(), HistoryError> {
        let Some(record) = KeptSnapshot::of(snapshot) else {
            return Ok(());
        };
        if !self.is_writer()? {
            return Ok(());
        }
        let data = serde_json::to_string(&record)?;
        let conn = lock(&self.conn);
        let saved = conn.execute(
            "INSERT INTO snapshot (id, data) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            params![data],
        );
        self.sql(saved).map(drop)
    }

    /// What a monitor starting now continues: the last confirmed snapshot, if any.
    pub fn resume_state(&self) -> Result<Option<Resume>, HistoryError> {
        let conn = lock(&self.conn);
        let data: Option<String> = self.sql(
            conn.query_row("SELECT data FROM snapshot WHERE id = 1", [], |r| r.get(0))
                .optional(),
        )?;
        let Some(data) = data else {
            return Ok(None);
        };
        let record: KeptSnapshot =
            serde_json::from_str(&data).map_err(|e| HistoryError::Unreadable {
                what: "the stored snapshot".into(),
                message: e.to_string(),
            })?;
        Ok(Some(record.into_resume()))
    }

    /// The events `filter` selects, in the order they were recorded.
    pub fn events(&self, filter: &Filter) -> Result<Vec<StoredEvent>, HistoryError> {
        let events = self.load(filter.since, filter.until, filter.pair.as_deref())?;
        Ok(events
            .into_iter()
            .filter(|s| event_matches(&s.event, filter))
            .collect())
    }

    /// The periods `filter` selects, by start; those under way have their duration to now.
    pub fn periods(&self, filter: &Filter) -> Result<Vec<Period>, HistoryError> {
        // From the first event: a period that began before `since` may still be under way then.
        let events: Vec<Event> = self
            // Every pair: a fresh monitor_started (no pair) closes a pair's period too.
            .load(None, filter.until, None)?
            .into_iter()
            .map(|s| s.event)
            // Another exchange's events make only that exchange's periods.
            .filter(|e| filter.selects_exchange(e.exchange))
            .collect();
        Ok(period::derive(&events, Utc::now())
            .into_iter()
            .filter(|p| period_matches(p, filter))
            .collect())
    }

    /// Delete the events recorded before `older_than`; returns how many. Only the writer
    /// prunes (`Ok(0)` otherwise).
    pub fn prune(&self, older_than: DateTime<Utc>) -> Result<u64, HistoryError> {
        if !self.is_writer()? {
            return Ok(0);
        }
        let conn = lock(&self.conn);
        let n = self.sql(conn.execute(
            "DELETE FROM events WHERE at_ms < ?1",
            params![millis(older_than)],
        ))?;
        Ok(n as u64)
    }

    /// Up to `limit` events recorded after the event `after` (by id), in order: what a
    /// reader that has seen every event up to `after` missed. Ids come from this file, so they
    /// hold whichever process recorded the events.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoredEvent>, HistoryError> {
        let conn = lock(&self.conn);
        let mut stmt = self.sql(
            conn.prepare_cached("SELECT id, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"),
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.sql(stmt.query_map(params![after, limit], id_and_data))?;
        self.stored(rows)
    }

    /// The id of the last event recorded (0 when there is none).
    pub fn last_id(&self) -> Result<i64, HistoryError> {
        let conn = lock(&self.conn);
        self.sql(conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0)))
    }

    /// How many events are stored.
    pub fn count(&self) -> Result<u64, HistoryError> {
        let conn = lock(&self.conn);
        let n: i64 = self.sql(conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Events between two times (and of one pair: pair events only), in recorded order.
    fn load(
        &self,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        pair: Option<&str>,
    ) -> Result<Vec<StoredEvent>, HistoryError> {
        let conn = lock(&self.conn);
        let sql = if pair.is_some() {
            "SELECT id, data FROM events WHERE pair = ?3 AND at_ms >= ?1 AND at_ms <= ?2 ORDER BY id"
        } else {
            "SELECT id, data FROM events WHERE at_ms >= ?1 AND at_ms <= ?2 AND ?3 IS NULL ORDER BY id"
        };
        let mut stmt = self.sql(conn.prepare_cached(sql))?;
        let from = since.map_or(i64::MIN, millis);
        let to = until.map_or(i64::MAX, millis);
        let rows = self.sql(stmt.query_map(params![from, to, pair], id_and_data))?;
        self.stored(rows)
    }

    /// The events of `SELECT id, data` rows, in their order.
    fn stored(
        &self,
        rows: impl Iterator<Item = Result<(i64, String), rusqlite::Error>>,
    ) -> Result<Vec<StoredEvent>, HistoryError> {
        let mut out = Vec::new();
        for row in rows {
            let (id, data) = self.sql(row)?;
            out.extend(stored_event(id, &data));
        }
        Ok(out)
    }
}

/// The event stored as `data` under `id`; `None` (logged) when it cannot be read: one
/// unreadable row (a newer bbwatch's kind) must not hide the rest.
pub(crate) fn stored_event(id: i64, data: &str) -> Option<StoredEvent> {
    match serde_json::from_str::<Event>(data) {
        Ok(event) => Some(StoredEvent { id, event }),
        Err(e) => {
            tracing::warn!("history: event {id} cannot be read, skipped: {e}");
            None
        }
    }
}

/// The last confirmed snapshot, as much of it as continuity needs (the `snapshot` table): the
/// reason typed, as the events' `cause`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct KeptSnapshot {
    level: Level,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    start_observed: bool,
    #[serde(default)]
    reason: Option<Reason>,
    #[serde(default)]
    pairs: std::collections::BTreeMap<String, PairState>,
    checked_at: DateTime<Utc>,
}

impl KeptSnapshot {
    /// What is kept of `s`, or `None` for a snapshot with nothing confirmed yet.
    pub(crate) fn of(s: &Snapshot) -> Option<KeptSnapshot> {
        if s.level == Level::Unknown {
            return None;
        }
        Some(KeptSnapshot {
            level: s.level,
            since: s.since,
            start_observed: s.start_observed,
            reason: s.reason.clone(),
            pairs: s.pairs.clone(),
            checked_at: s.checked_at?,
        })
    }

    /// What a new monitor continues from it.
    pub(crate) fn into_resume(self) -> Resume {
        Resume {
            level: self.level,
            since: self.since.unwrap_or(self.checked_at),
            start_observed: self.start_observed && self.since.is_some(),
            reason: self.reason,
            pairs: self.pairs,
            checked_at: self.checked_at,
        }
    }
}

/// A row of `SELECT id, data FROM events`.
pub(crate) fn id_and_data(r: &rusqlite::Row<'_>) -> Result<(i64, String), rusqlite::Error> {
    Ok((r.get(0)?, r.get(1)?))
}

/// Whether `filter` selects event `e` (its exchange, kinds and pair; the times are the
/// query's).
pub(crate) fn event_matches(e: &Event, f: &Filter) -> bool {
    if !f.selects_exchange(e.exchange) {
        return false;
    }
    if let Some(pair) = &f.pair {
        if e.pair.as_ref() != Some(pair) {
            return false;
        }
    }
    if f.kinds.is_empty() {
        return true;
    }
    f.kinds.iter().any(|k| {
        if e.kind == EventKind::PairChanged {
            let of = |s: &Option<bbwatch_core::PairState>| {
                s.as_ref().and_then(PeriodKind::of_pair_state) == Some(*k)
            };
            of(&e.pair_state) || of(&e.previous_pair_state)
        } else {
            k.level_event_kinds().contains(&e.kind)
        }
    })
}

/// Whether `filter` selects period `p`.
pub(crate) fn period_matches(p: &Period, f: &Filter) -> bool {
    if !f.selects_exchange(p.exchange) {
        return false;
    }
    if !f.kinds.is_empty() && !f.kinds.contains(&p.kind) {
        return false;
    }
    if let Some(pair) = &f.pair {
        if p.pair.as_ref() != Some(pair) {
            return false;
        }
    }
    if let (Some(since), period::End::At(end)) = (f.since, p.end) {
        if end < since {
            return false;
        }
    }
    if let (Some(since), period::End::Unknown, Some(start)) = (f.since, p.end, p.start) {
        if start < since {
            return false;
        }
    }
    if let (Some(until), Some(start)) = (f.until, p.start) {
        if start > until {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::{Level, PairState};
    use chrono::TimeZone;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bbwatch-history-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("bbwatch").join("history.sqlite3")
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(secs)
    }

    #[test]
    fn every_event_reads_back_the_same() {
        for e in crate::fixture::every_kind_of_event() {
            let json = e.to_json_line();
            let back: Event = serde_json::from_str(&json).unwrap();
            assert_eq!(back, e, "{json}");
        }
    }

    #[test]
    fn a_snapshot_becomes_the_state_to_resume() {
        let s = Snapshot {
            level: Level::Maintenance,
            since: Some(at(0)),
            start_observed: true,
            reason: Some(Reason::AllPairsHalted),
            pairs: [("btc_jpy".to_string(), PairState::Halted)].into(),
            checked_at: Some(at(30)),
            rate_limited: false,
            retry_after_secs: None,
            stream: bbwatch_core::model::link::Link::Off,
            ..Snapshot::default()
        };
        let json = serde_json::to_string(&KeptSnapshot::of(&s).unwrap()).unwrap();
        let back: KeptSnapshot = serde_json::from_str(&json).unwrap();
        let resume = back.into_resume();
        assert_eq!(resume.level, Level::Maintenance);
        assert_eq!(resume.since, at(0));
        assert_eq!(resume.reason, Some(Reason::AllPairsHalted));
        assert_eq!(resume.pairs["btc_jpy"], PairState::Halted);
        assert_eq!(resume.checked_at, at(30));
        assert!(KeptSnapshot::of(&Snapshot::default()).is_none());
    }

    #[test]
    fn what_is_recorded_reads_back_the_same_with_growing_ids() {
        let path = scratch("roundtrip");
        let h = History::open(&path).unwrap();
        let events = crate::fixture::every_kind_of_event();
        let mut last = 0;
        for e in &events {
            let id = h.record(e).unwrap().unwrap();
            assert!(id > last);
            last = id;
        }
        drop(h);
        let h = History::open(&path).unwrap();
        let back: Vec<Event> = h
            .events(&Filter::default())
            .unwrap()
            .into_iter()
            .map(|s| s.event)
            .collect();
        assert_eq!(back, events);
        let xrp = h
            .events(&Filter {
                pair: Some("xrp_jpy".into()),
                kinds: vec![PeriodKind::CircuitBreak],
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(xrp.len(), 2);
    }

    #[test]
    #[cfg(unix)]
    fn the_file_and_its_companions_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let path = scratch("mode");
        let h = History::open(&path).unwrap();
        h.record(&Event::level_change(
            EventKind::MonitorStarted,
            at(0),
            Level::Normal,
            None,
        ))
        .unwrap();
        for p in [
            path.clone(),
            sidecar(&path, "-wal"),
            sidecar(&path, ".lock"),
        ] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", p.display());
        }
    }

    #[test]
    fn one_process_writes_and_the_other_takes_over_when_it_stops() {
        let path = scratch("writer");
        let a = History::open(&path).unwrap();
        let b = History::open(&path).unwrap();
        let e = Event::level_change(EventKind::MonitorStarted, at(0), Level::Normal, None);
        assert!(a.record(&e).unwrap().is_some());
        assert_eq!(b.record(&e).unwrap(), None);
        drop(a);
        assert!(b.record(&e).unwrap().is_some());
        assert_eq!(b.count().unwrap(), 2);
    }

    #[test]
    fn the_last_snapshot_is_the_state_to_resume() {
        let path = scratch("snapshot");
        let h = History::open(&path).unwrap();
        assert_eq!(h.resume_state().unwrap(), None);
        let mut s = Snapshot {
            level: Level::Degraded,
            since: Some(at(0)),
            start_observed: true,
            pairs: [("btc_jpy".to_string(), PairState::Halted)].into(),
            checked_at: Some(at(10)),
            ..Snapshot::default()
        };
        h.record_snapshot(&s).unwrap();
        s.checked_at = Some(at(20));
        h.record_snapshot(&s).unwrap();
        let r = h.resume_state().unwrap().unwrap();
        assert_eq!(
            (r.level, r.since, r.checked_at),
            (Level::Degraded, at(0), at(20))
        );
        assert_eq!(r.pairs["btc_jpy"], PairState::Halted);
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_a_new_one_made() {
        let path = scratch("corrupt");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let garbage = b"this is not a database, but someone's file all the same".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        let h = History::open(&path).unwrap();
        let aside = h.moved_aside().unwrap().to_owned();
        assert_eq!(std::fs::read(&aside).unwrap(), garbage);
        assert!(aside
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history.sqlite3.corrupt-"));
        assert_eq!(h.count().unwrap(), 0);
    }

    #[test]
    fn a_file_from_a_newer_bbwatch_is_refused_and_kept() {
        let path = scratch("newer");
        drop(History::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
        drop(conn);
        let err = History::open(&path).unwrap_err();
        assert!(matches!(err, HistoryError::Newer { .. }), "{err}");
        assert!(path.exists());
    }

    #[test]
    fn a_file_locked_by_another_process_is_said_so() {
        let path = scratch("locked");
        drop(History::open(&path).unwrap());
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let err = History::open(&path).unwrap_err();
        assert!(matches!(err, HistoryError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("locked by another process"));
    }

    #[test]
    fn two_opening_a_new_file_at_once_both_get_it() {
        // Each round makes a new file: the race is in making it (the switch to WAL).
        for round in 0..50 {
            let path = scratch(&format!("race-{round}"));
            let both = std::sync::Arc::new(std::sync::Barrier::new(2));
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let (path, both) = (path.clone(), both.clone());
                    std::thread::spawn(move || {
                        both.wait();
                        History::open(&path).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                if let Err(e) = opener.join().unwrap() {
                    panic!("round {round}: {e}");
                }
            }
            std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
        }
    }

    #[test]
    fn a_reader_gets_what_it_missed_by_id() {
        let path = scratch("after");
        let h = History::open(&path).unwrap();
        assert_eq!(h.last_id().unwrap(), 0);
        for s in 0..5 {
            h.record(&Event::level_change(
                EventKind::MonitorStarted,
                at(s),
                Level::Normal,
                None,
            ))
            .unwrap();
        }
        assert_eq!(h.last_id().unwrap(), 5);
        let ids = |after, limit| -> Vec<i64> {
            h.events_after(after, limit)
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(ids(2, 100), vec![3, 4, 5]);
        assert_eq!(ids(0, 2), vec![1, 2]);
        assert!(ids(5, 100).is_empty());
    }

    #[test]
    fn pruning_forgets_old_events_and_ids_keep_growing() {
        let path = scratch("prune");
        let h = History::open(&path).unwrap();
        for s in 0..10 {
            h.record(&Event::level_change(
                EventKind::MonitorStarted,
                at(s * 100),
                Level::Normal,
                None,
            ))
            .unwrap();
        }
        assert_eq!(h.prune(at(500)).unwrap(), 5);
        assert_eq!(h.count().unwrap(), 5);
        let id = h
            .record(&Event::level_change(
                EventKind::MonitorStarted,
                at(2000),
                Level::Normal,
                None,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(id, 11);
        let since = h
            .events(&Filter {
                since: Some(at(800)),
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(since.len(), 3);
    }
}
