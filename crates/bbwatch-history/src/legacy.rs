//! Schema 1's rows, rewritten once (migration 2): events were kept in a format of the
//! history's own (the reason tagged by `type`, lists of `[name, state]` pairs, pair states in
//! full under `pair_state`); now they are the event's own JSON, and the snapshot's reason is
//! tagged as the events' `cause` is.

use bbwatch_core::Event;
use rusqlite::{params, Connection};
use serde_json::{Map, Value};

use crate::error::HistoryError;

/// Rewrite every event and the snapshot from schema 1's format. A row that cannot be read is
/// left as it was: reading skips it (with a warning), as it would have before.
pub(crate) fn rewrite_rows(conn: &Connection) -> Result<(), HistoryError> {
    let rows: Vec<(i64, String)> = {
        let mut stmt = conn.prepare("SELECT id, data FROM events")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut update = conn.prepare("UPDATE events SET data = ?1 WHERE id = ?2")?;
    for (id, data) in rows {
        if let Some(json) = event_json(&data) {
            update.execute(params![json, id])?;
        }
    }
    let snapshot: Option<String> = conn
        .query_row("SELECT data FROM snapshot WHERE id = 1", [], |r| r.get(0))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if let Some(json) = snapshot.as_deref().and_then(snapshot_json) {
        conn.execute("UPDATE snapshot SET data = ?1 WHERE id = 1", params![json])?;
    }
    Ok(())
}

/// A schema 1 event as the event's JSON.
pub(crate) fn event_json(data: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(data).ok()?;
    let o = v.as_object_mut()?;
    if let Some(reason) = o.remove("reason") {
        o.insert("cause".into(), cause(reason));
    }
    for (old, new) in [
        ("pair_state", "pair_state_detail"),
        ("previous_pair_state", "previous_pair_state_detail"),
    ] {
        if let Some(state) = o.remove(old) {
            o.insert(new.into(), state);
        }
    }
    let event: Event = serde_json::from_value(v).ok()?;
    Some(event.to_compact_json())
}

/// A schema 1 snapshot with its reason as a `cause`.
fn snapshot_json(data: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(data).ok()?;
    let o = v.as_object_mut()?;
    if let Some(reason) = o.remove("reason") {
        o.insert("reason".into(), cause(reason));
    }
    serde_json::to_string(&v).ok()
}

/// A schema 1 reason as a `cause`. A reason that was only words (read from JSON elsewhere,
/// never made by the detector) has nothing typed to keep: null.
fn cause(mut reason: Value) -> Value {
    let Some(o) = reason.as_object_mut() else {
        return Value::Null;
    };
    match o.remove("type") {
        Some(Value::String(kind)) if kind != "text" => {
            o.insert("kind".into(), Value::String(kind));
        }
        _ => return Value::Null,
    }
    if let Some(Value::Array(failures)) = o.get_mut("failures") {
        for failure in failures.iter_mut().filter_map(|f| f.get_mut("failure")) {
            if let Some(f) = failure.as_object_mut() {
                if let Some(kind) = f.remove("type") {
                    f.insert("kind".into(), kind);
                }
            }
        }
    }
    for (list, name) in [("pairs", "pair"), ("assets", "asset")] {
        if let Some(Value::Array(items)) = o.get_mut(list) {
            for item in items.iter_mut() {
                *item = named(item.take(), name);
            }
        }
    }
    reason
}

/// `[name, {state…}]` as `{name: …, state…}`.
fn named(item: Value, key: &str) -> Value {
    match item {
        Value::Array(mut two) if two.len() == 2 => {
            let state = two.pop().unwrap_or(Value::Null);
            let name = two.pop().unwrap_or(Value::Null);
            let mut out = match state {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            out.insert(key.into(), name);
            Value::Object(out)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::model::asset::{AssetState, Flow, Flows};
    use bbwatch_core::model::code::ErrorCode;
    use bbwatch_core::model::fetch::{Failure, Host};
    use bbwatch_core::model::level::{CircuitMode, Restriction};
    use bbwatch_core::model::reason::Reason;
    use bbwatch_core::{EventKind, Level, PairState};
    use chrono::{TimeZone, Utc};

    /// Rows as schema 1 wrote them (record.rs's format).
    const PAIR_ROW: &str = r#"{"kind":"pair_changed","at":"2026-11-27T05:00:10.123Z","level":"degraded","pair":"xrp_jpy","pair_state":{"state":"circuit_break","mode":"FULL_RANGE_CIRCUIT_BREAK","reopen_at":"2026-11-27T06:00:00.123Z"},"previous_pair_state":{"state":"normal"},"reason":{"type":"pairs","pairs":[["xrp_jpy",{"state":"suspended","stopped":["order","margin_short_order"]}]]},"reopen_at":"2026-11-27T06:00:00.123Z"}"#;
    const HOST_ROW: &str = r#"{"kind":"down_started","at":"2026-11-27T05:00:00.123Z","level":"down","previous_level":"normal","reason":{"type":"host_failed","failures":[{"host":"api","failure":{"type":"api","code":10008,"http_status":200}},{"host":"public","failure":{"type":"rate_limited","retry_after_ms":30000}}]},"start_observed":true}"#;
    const ASSET_ROW: &str = r#"{"kind":"watch_changed","at":"2026-11-27T05:00:20Z","level":"normal","previous_level":"degraded","reason":{"type":"unwatched","pairs":[["btc_jpy",{"state":"halted"}]],"assets":[["eth",{"deposit":"open","withdrawal":"stopped","networks":{"polygon":{"deposit":"stopped","withdrawal":"stopped"}}}]],"key_removed":false}}"#;
    const TEXT_ROW: &str = r#"{"kind":"maintenance_started","at":"2026-11-27T05:00:30Z","level":"maintenance","reason":{"type":"text","text":"from elsewhere"}}"#;

    fn at(ms: i64) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::milliseconds(ms)
    }

    fn read(row: &str) -> Event {
        serde_json::from_str(&event_json(row).unwrap()).unwrap()
    }

    #[test]
    fn old_rows_become_the_same_events() {
        let e = read(PAIR_ROW);
        assert_eq!(e.kind, EventKind::PairChanged);
        assert_eq!(e.at, at(10_123));
        assert_eq!(
            e.pair_state,
            Some(PairState::CircuitBreak {
                mode: CircuitMode::FullRangeCircuitBreak,
                reopen_at: Some(at(3_600_123)),
            })
        );
        assert_eq!(e.previous_pair_state, Some(PairState::Normal));
        assert_eq!(
            e.reason,
            Some(Reason::Pairs(vec![(
                "xrp_jpy".into(),
                PairState::Suspended {
                    stopped: vec![Restriction::Order, Restriction::MarginShortOrder],
                },
            )]))
        );
        let e = read(HOST_ROW);
        assert_eq!(
            e.reason,
            Some(Reason::HostFailed {
                failures: vec![
                    (
                        Host::Api,
                        Failure::Api {
                            code: ErrorCode(10008),
                            http_status: 200,
                        },
                    ),
                    (
                        Host::Public,
                        Failure::RateLimited {
                            retry_after: Some(std::time::Duration::from_secs(30)),
                        },
                    ),
                ],
            })
        );
        assert_eq!(e.start_observed, Some(true));
        let e = read(ASSET_ROW);
        let stopped = Flows {
            deposit: Flow::Stopped,
            withdrawal: Flow::Stopped,
        };
        assert_eq!(
            e.reason,
            Some(Reason::Unwatched {
                pairs: vec![("btc_jpy".into(), PairState::Halted)],
                assets: vec![(
                    "eth".into(),
                    AssetState {
                        flows: Flows {
                            deposit: Flow::Open,
                            withdrawal: Flow::Stopped,
                        },
                        networks: [("polygon".to_string(), stopped)].into(),
                    },
                )],
                key_removed: false,
            })
        );
        // Words only: nothing typed to keep.
        let e = read(TEXT_ROW);
        assert_eq!((e.level, e.reason), (Level::Maintenance, None));
        assert_eq!(event_json("not json"), None);
    }

    #[test]
    fn a_file_of_schema_1_is_migrated_and_reads_back() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::schema::FIRST).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for row in [PAIR_ROW, HOST_ROW, "not json"] {
            conn.execute(
                "INSERT INTO events (at_ms, kind, pair, data) VALUES (0, 'x', NULL, ?1)",
                params![row],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO snapshot (id, data) VALUES (1, ?1)",
            params![r#"{"level":"degraded","since":"2026-11-27T05:00:00Z","start_observed":true,"reason":{"type":"pairs","pairs":[["btc_jpy",{"state":"halted"}]]},"pairs":{"btc_jpy":{"state":"halted"}},"checked_at":"2026-11-27T05:00:30Z"}"#],
        )
        .unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let data: Vec<String> = conn
            .prepare("SELECT data FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(data[0], read(PAIR_ROW).to_compact_json());
        assert_eq!(data[1], read(HOST_ROW).to_compact_json());
        assert_eq!(data[2], "not json", "left as it was");
        let snapshot: String = conn
            .query_row("SELECT data FROM snapshot", [], |r| r.get(0))
            .unwrap();
        let kept: crate::store::KeptSnapshot = serde_json::from_str(&snapshot).unwrap();
        let resume = kept.into_resume();
        assert_eq!(
            resume.reason,
            Some(Reason::Pairs(vec![("btc_jpy".into(), PairState::Halted)]))
        );
    }
}
