//! bbwatch's history: every event (with an id that only grows) and the last confirmed
//! snapshot, in SQLite, beside the core (which stays free of it). The CLI and the desktop app
//! open the same file through this crate:
//!
//! - [`History::open`] the file ([`default_path`]: `$XDG_DATA_HOME/bbwatch/history.sqlite3`);
//! - [`History::resume_state`] → `Settings::start_monitor(Some(resume))`, so an episode under
//!   way when the last run stopped is continued;
//! - [`Recorder::record`] each event from `MonitorHandle::events()` *before* showing it, and
//!   [`keep_snapshot`] on `MonitorHandle::snapshot()`;
//! - [`History::periods`] and [`History::events`] to read ([`query`] parses what selects
//!   them), [`History::events_after`] to catch up by id, [`History::prune`] to forget.
//!
//! When two processes run at once, one records (it holds `history.sqlite3.lock`) and the
//! other leaves it to that one, taking over when it stops: each event is recorded once.

pub mod export;
mod page;
mod period;
pub mod query;
mod record;
mod retention;
pub mod sample;
pub mod schema;
mod sink;
pub mod stats;
mod store;
pub mod words;

pub use page::{BadCursor, EventCursor, Page, PeriodCursor, Reader};
pub use period::{derive, Deriver, End, Period, PeriodKind, UnknownKind};
pub use retention::{configured_path, prune_daily};
pub use sink::{keep_snapshot, record_and_claim, Recorder};
pub use store::{default_path, Filter, History, StoredEvent, BUSY_TIMEOUT};

use std::path::PathBuf;

/// Why the history cannot be opened, written or read. Monitoring never depends on it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Another process holds the file locked (longer than [`BUSY_TIMEOUT`]).
    #[error("{path}: the history file is locked by another process")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a readable history (it is moved aside at open, never deleted).
    #[error("{path}: not a readable history file: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        message: String,
    },
    /// The file or its directory cannot be created or written (read-only, permissions).
    #[error("{path}: cannot write the history there: {message}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file was made by a newer bbwatch; it is left as it is.
    #[error("the history file has schema version {version}, newer than this bbwatch knows ({known}); it is left as it is", known = schema::VERSION)]
    Newer {
        /// The file's version.
        version: u32,
    },
    /// Something stored could not be read back.
    #[error("{what} cannot be read: {message}")]
    Unreadable {
        /// What.
        what: String,
        /// Why.
        message: String,
    },
    /// Any other SQLite error.
    #[error("history: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An event could not be put into its stored form.
    #[error("history: {0}")]
    Encode(#[from] serde_json::Error),
}
