//! The file's schema and its versions. `PRAGMA user_version` says which migrations a file has
//! had; each migration runs once, in order, in one transaction with the version bump, so a
//! file is never half migrated. A migration, once released, is never edited: a change is a
//! new one at the end.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::HistoryError;

/// One migration: SQL, or rows rewritten in Rust.
enum Migration {
    Sql(&'static str),
    Rewrite(fn(&Connection) -> Result<(), HistoryError>),
}

/// Migration 1: events (the id only grows, even across pruning: AUTOINCREMENT) and the last
/// snapshot.
pub(crate) const FIRST: &str = "CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        pair TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX events_at ON events (at_ms);
    CREATE INDEX events_pair ON events (pair, at_ms) WHERE pair IS NOT NULL;
    CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        data TEXT NOT NULL
    );";

/// Every migration, oldest first; the file's version is how many it has had.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(FIRST),
    // 2: events stored as their own JSON, the snapshot's reason typed as theirs.
    Migration::Rewrite(crate::legacy::rewrite_rows),
];

/// The version this build writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

/// Bring the file up to [`VERSION`]. A file from a newer bbwatch is left alone.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), HistoryError> {
    let version = user_version(conn)?;
    if version == VERSION {
        return Ok(());
    }
    if version > VERSION {
        return Err(HistoryError::Newer {
            version,
            known: VERSION,
        });
    }
    // IMMEDIATE: two processes opening a new file at once migrate it once, one after the other.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = user_version(&tx)?;
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Rewrite(rewrite) => rewrite(&tx)?,
        }
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
    }
    tx.commit()?;
    Ok(())
}

fn user_version(conn: &Connection) -> Result<u32, HistoryError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_file_gets_every_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION);
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION);
    }

    #[test]
    fn a_file_from_a_newer_bbwatch_is_not_touched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(HistoryError::Newer { version, .. }) if version == VERSION + 1
        ));
    }
}
