//! Where the history lives and how long it keeps events, as the settings say: the same for
//! every binary.

use std::path::PathBuf;
use std::sync::Arc;

use bbwatch_core::config::HistorySettings;

use crate::store::{default_path, History};

/// The file the settings choose: `[history] path`, else the platform's data directory; none
/// when history is off (`enabled = false`).
pub fn configured_path(settings: &HistorySettings) -> Option<PathBuf> {
    if !settings.enabled {
        return None;
    }
    settings.path.clone().or_else(default_path)
}

/// Forget events older than `days` (0: keep everything). Called at start, before the first
/// event is recorded.
pub fn prune(history: &History, days: u32) {
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

/// [`prune`] once a day from a day on, for a monitor that runs for weeks.
pub async fn prune_daily(history: Arc<History>, days: u32) {
    if days == 0 {
        return;
    }
    let day = std::time::Duration::from_secs(24 * 3600);
    let mut daily = tokio::time::interval_at(tokio::time::Instant::now() + day, day);
    loop {
        daily.tick().await;
        let h = history.clone();
        let _ = tokio::task::spawn_blocking(move || prune(&h, days)).await;
    }
}
