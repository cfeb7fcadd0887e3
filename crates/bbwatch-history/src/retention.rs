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

/// Forget events older than `days` (0: keep everything): at once, then once a day.
pub async fn prune_daily(history: Arc<History>, days: u32) {
    if days == 0 {
        return;
    }
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        daily.tick().await;
        let cutoff = chrono::Utc::now() - chrono::TimeDelta::days(i64::from(days));
        let h = history.clone();
        match tokio::task::spawn_blocking(move || h.prune(cutoff)).await {
            Ok(Ok(0)) | Err(_) => {}
            Ok(Ok(n)) => tracing::info!("history: {n} events older than {days} days forgotten"),
            Ok(Err(e)) => tracing::warn!("{e}; old events were not pruned"),
        }
    }
}
