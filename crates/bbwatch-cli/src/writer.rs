//! `watch`'s stdout, off the async runtime: a thread of its own writes lines from a bounded
//! queue, so a reader that stops reading blocks only that thread (never the monitor, never
//! SIGTERM), and another thread notices at once when the reader goes away (a closed pipe
//! with nothing to write would otherwise go unnoticed while the state is stable).

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

/// Lines waiting for a slow reader. When full, the oldest pair line makes room (level lines
/// are kept: they matter most); with only level lines queued, the oldest goes.
pub const QUEUE_LINES: usize = 1024;

/// Why stdout is finished.
#[derive(Debug)]
pub enum Gone {
    /// The reader went away (`| head -1`, a closed terminal): a normal end, exit 0.
    Closed,
    /// Writing failed otherwise (`/dev/full`, EIO): exit non-zero.
    Failed(std::io::Error),
}

#[derive(Default)]
struct Queue {
    lines: VecDeque<(bool, String)>,
    dropped: u64,
}

/// Writes lines to stdout on a thread of its own.
pub struct Writer {
    queue: Arc<(Mutex<Queue>, Condvar)>,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Writer {
    /// Start the writer thread and the closed-pipe watcher; the receiver hears once, when
    /// stdout is finished.
    pub fn spawn() -> std::io::Result<(Writer, mpsc::Receiver<Gone>)> {
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let (tx, gone) = mpsc::channel(2);
        let q = Arc::clone(&queue);
        let on_error = tx.clone();
        std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_loop(&q, &on_error))?;
        #[cfg(unix)]
        std::thread::Builder::new()
            .name("stdout-watch".into())
            .spawn(move || watch_for_hangup(&tx))?;
        // No poll(2) on a console or pipe handle: a reader gone is noticed at the next write.
        #[cfg(not(unix))]
        drop(tx);
        Ok((Writer { queue }, gone))
    }

    /// Queue one line; never blocks. `level` marks a level-change line (kept when full).
    pub fn line(&self, text: String, level: bool) {
        let (m, cv) = &*self.queue;
        let mut q = lock(m);
        if q.lines.len() >= QUEUE_LINES {
            let victim = q
                .lines
                .iter()
                .position(|(is_level, _)| !is_level)
                .unwrap_or(0);
            q.lines.remove(victim);
            q.dropped += 1;
            if q.dropped == 1 || q.dropped.is_multiple_of(1000) {
                tracing::warn!(
                    "stdout is not being read; {} lines dropped so far",
                    q.dropped
                );
            }
        }
        q.lines.push_back((level, text));
        cv.notify_one();
    }
}

fn write_loop(queue: &(Mutex<Queue>, Condvar), gone: &mpsc::Sender<Gone>) {
    let (m, cv) = queue;
    loop {
        let line = {
            let mut q = lock(m);
            loop {
                if let Some((_, line)) = q.lines.pop_front() {
                    break line;
                }
                q = cv.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        if let Err(e) = crate::output::line(&line) {
            let _ = gone.blocking_send(if e.kind() == ErrorKind::BrokenPipe {
                Gone::Closed
            } else {
                Gone::Failed(e)
            });
            return;
        }
    }
}

/// Wait for the kernel to say stdout's reader is gone: `POLLERR` on a pipe whose read end
/// closed, `POLLHUP` on a terminal that hung up. Files and /dev/null never say either.
#[cfg(unix)]
fn watch_for_hangup(gone: &mpsc::Sender<Gone>) {
    use rustix::event::{poll, PollFd, PollFlags};
    let stdout = std::io::stdout();
    loop {
        // No events asked for: only the ones poll always reports (ERR, HUP, NVAL).
        let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
        match poll(&mut fds, None) {
            Ok(_) => {
                let revents = fds[0].revents();
                if revents.intersects(PollFlags::ERR | PollFlags::HUP) {
                    let _ = gone.blocking_send(Gone::Closed);
                    return;
                }
                if revents.contains(PollFlags::NVAL) {
                    return;
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return,
        }
    }
}
