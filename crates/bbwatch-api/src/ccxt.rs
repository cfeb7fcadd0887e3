//! `GET /v1/ccxt/status`: bitbank's state shaped as ccxt's `fetch_status` answers, so that a
//! ccxt bot asks bbwatch about bitbank as it asks other exchanges about themselves (ccxt's
//! bitbank has no `fetch_status` of its own).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bbwatch_core::bitbank::client::ANNOUNCEMENTS_URL;
use bbwatch_core::model::level::Level;
use bbwatch_core::Snapshot;

use crate::state::Shared;

/// ccxt's status for a level: `ok`, `maintenance`, `shutdown` or `error` (the four values of
/// ccxt's unified `fetch_status`).
pub(crate) fn ccxt_status(level: Level) -> &'static str {
    match level {
        // A busy or halted pair is not the exchange's state: `pair_changed` events tell.
        Level::Normal | Level::Degraded => "ok",
        Level::Maintenance => "maintenance",
        // The api host fails while the public one answers: bitbank takes no orders.
        Level::Down => "shutdown",
        // Neither host answers (most likely our own network), or no answer yet: bbwatch
        // cannot say.
        Level::Unreachable | Level::Unknown => "error",
    }
}

/// The body: `status`, `updated` (ms since the epoch of the last check, null before it),
/// `eta` (null: bitbank announces no end time through its API) and `url` (the
/// announcements, while the status is not `ok`).
pub(crate) fn body(snapshot: &Snapshot) -> serde_json::Value {
    let status = ccxt_status(snapshot.level);
    serde_json::json!({
        "status": status,
        "updated": snapshot.checked_at.map(|t| t.timestamp_millis()),
        "eta": null,
        "url": (status != "ok").then_some(ANNOUNCEMENTS_URL),
    })
}

/// The handler.
pub(crate) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let snapshot = shared.snapshot.borrow().clone();
    Json(body(&snapshot)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_has_a_ccxt_status() {
        let want = [
            (Level::Maintenance, "maintenance"),
            (Level::Down, "shutdown"),
            (Level::Unreachable, "error"),
            (Level::Degraded, "ok"),
            (Level::Normal, "ok"),
            (Level::Unknown, "error"),
        ];
        assert_eq!(want.map(|(l, _)| l), Level::ALL);
        for (level, status) in want {
            assert_eq!(ccxt_status(level), status, "{level}");
        }
    }

    #[test]
    fn the_body_has_ccxts_four_fields() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T22:00:00.123Z")
            .map(|t| t.to_utc())
            .ok();
        let mut snapshot = Snapshot {
            level: Level::Maintenance,
            checked_at: at,
            ..Snapshot::default()
        };
        assert_eq!(
            body(&snapshot),
            serde_json::json!({
                "status": "maintenance",
                "updated": 1_796_680_800_123_i64,
                "eta": null,
                "url": ANNOUNCEMENTS_URL,
            })
        );
        snapshot.level = Level::Degraded;
        assert_eq!(body(&snapshot)["url"], serde_json::Value::Null);
        assert_eq!(
            body(&Snapshot::default()),
            serde_json::json!({"status": "error", "updated": null, "eta": null, "url": ANNOUNCEMENTS_URL})
        );
    }
}
