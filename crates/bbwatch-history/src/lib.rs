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

mod error;
pub mod export;
#[cfg(test)]
mod fixture;
mod legacy;
mod page;
mod period;
pub mod query;
mod retention;
pub mod sample;
pub mod schema;
mod sink;
pub mod stats;
mod store;
pub mod words;

pub use error::HistoryError;
pub use page::{BadCursor, EventCursor, Page, PeriodCursor, Reader};
pub use period::{derive, Deriver, End, Period, PeriodKind, UnknownKind};
pub use retention::{configured_path, prune_daily};
pub use sink::{keep_snapshot, record_and_claim, Recorder};
pub use store::{default_path, Filter, History, StoredEvent, BUSY_TIMEOUT};
