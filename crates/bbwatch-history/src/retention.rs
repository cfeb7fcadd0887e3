//! Where the history lives and how long it keeps events, as the settings say: the same for
//! every binary.

use std::path::PathBuf;
use std::sync::Arc;

use bbwatch_core::config::{Config, HistorySettings};
use tokio::sync::watch;

use crate::store::{default_path, History};

/// The file the settings choose: `[history] path`, else the platform's data directory; none
/// when history is off (`enabled = false`).
pub fn configured_path(settings: &HistorySettings) -> Option<PathBuf> {
    if !settings.enabled {
        return None;
    }
    settings.path.clone().or_else(default_path)
}

/// Forget events older than `days` (0: keep everything).
fn prune(history: &History, days: u32) {
    if days == 0 {
        return;
    }
    let cutoff = chrono::Utc::now() - chrono::TimeDelta::days(i64::from(days));
    match history.prune(cutoff) {
        Ok(0) => {}
        Ok(n) => tracing::info!("history: {n} events older than {days} days forgotten"),
        Err(e) => tracing::warn!("{e}; old events were not pruned"),
    }
}

/// [`prune`] as the settings in force say: at once, then once a day (for a monitor that runs
/// for weeks) and whenever they change how long to keep (the settings window, the file edited).
pub async fn prune_daily(history: Arc<History>, mut settings: watch::Receiver<Config>) {
    let day = std::time::Duration::from_secs(24 * 3600);
    let mut daily = tokio::time::interval_at(tokio::time::Instant::now() + day, day);
    let mut kept = settings.borrow_and_update().history.retention_days;
    loop {
        let h = history.clone();
        let _ = tokio::task::spawn_blocking(move || prune(&h, kept)).await;
        // Until the next reason to prune.
        loop {
            tokio::select! {
                _ = daily.tick() => break,
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let days = settings.borrow_and_update().history.retention_days;
                    if days != kept {
                        kept = days;
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::{Event, EventKind, Level};

    #[tokio::test]
    async fn a_shorter_retention_in_the_settings_prunes_at_once() {
        let dir = std::env::temp_dir().join(format!("bbwatch-retention-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = Arc::new(History::open(&dir.join("history.sqlite3")).unwrap());
        let now = chrono::Utc::now();
        for days_ago in [30, 2] {
            let at = now - chrono::TimeDelta::days(days_ago);
            let e = Event::level_change(EventKind::MonitorStarted, at, Level::Normal, None);
            history.record(&e).unwrap();
        }
        let (tx, rx) = watch::channel(Config::default());
        let pruning = tokio::spawn(prune_daily(history.clone(), rx));
        let mut config = Config::default();
        config.history.retention_days = 7;
        tx.send(config).unwrap();
        for _ in 0..200 {
            if history.count().unwrap() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            history.count().unwrap(),
            1,
            "the 30-day-old event is forgotten"
        );
        pruning.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
