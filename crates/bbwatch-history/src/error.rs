//! Why the history cannot be opened, written or read.

use std::path::PathBuf;

/// Why the history cannot be opened, written or read. Monitoring never depends on it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Another process holds the file locked (longer than [`crate::BUSY_TIMEOUT`]).
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
    #[error("the history file has schema version {version}, newer than this bbwatch knows ({known}); it is left as it is")]
    Newer {
        /// The file's version.
        version: u32,
        /// The newest version this bbwatch knows.
        known: u32,
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
