//! Reading the history for clients through a connection of its own, never the recorder's:
//! however many clients read and however much, the recorder (and the hooks that wait on it)
//! never waits on them. One read at a time per [`Reading`], off the async threads.

use std::path::PathBuf;
use std::sync::Arc;

use bbwatch_history::Reader;

/// A [`Reader`] of the history, opened at its first use (and again after it failed to open).
pub(crate) struct Reading {
    path: PathBuf,
    reader: Arc<tokio::sync::Mutex<Option<Reader>>>,
}

impl Reading {
    /// Reads of the history file at `path`.
    pub(crate) fn new(path: PathBuf) -> Reading {
        Reading {
            path,
            reader: Arc::default(),
        }
    }

    /// `read` with the reader, once the reads before it are done; an error when the file
    /// cannot be opened.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Reader) -> T + Send + 'static,
    ) -> Result<T, String> {
        let mut reader = Arc::clone(&self.reader).lock_owned().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let reader = match &mut *reader {
                Some(open) => open,
                none => none.insert(Reader::open(&path).map_err(|e| e.to_string())?),
            };
            Ok(read(reader))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
