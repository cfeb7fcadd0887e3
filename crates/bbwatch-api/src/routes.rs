//! The routes and their handlers. Only GET; anything else is a JSON 404 or 405.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bbwatch_core::Snapshot;
use bbwatch_history::export::{event_json, period_json};
use bbwatch_history::query::{parse_kinds, parse_pair, parse_since, parse_until};
use bbwatch_history::{EventCursor, Filter, PeriodCursor};

use crate::auth::require_token;
use crate::host::check_host;
use crate::json_error::json_error;
use crate::origin::check_origin;
use crate::params::Params;
use crate::state::Shared;
use crate::{metrics_text, sse};

/// The app: every route, the `Host` and token checks in front of all of them (the fallbacks
/// too).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/events", get(sse::events))
        .route("/v1/history", get(history))
        .route("/v1/ccxt/status", get(crate::ccxt::status))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            require_token,
        ))
        // Before the token: a page's preflight carries none.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            check_origin,
        ))
        // The outer layer runs first: a page's request is refused before anything else.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            check_host,
        ))
        .with_state(shared)
}

async fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "no such endpoint: try /v1/status, /v1/events, /v1/history, /v1/ccxt/status or /metrics",
    )
}

async fn method_not_allowed() -> Response {
    json_error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served")
}

/// Every watched exchange's snapshot, bitbank's first (from its own receiver: it is there
/// before bitbank's first poll too), then the others in
/// [`Exchange`](bbwatch_core::model::exchange::Exchange)'s order.
fn watched(shared: &Shared) -> Vec<Snapshot> {
    let bitbank = shared.snapshot.borrow().clone();
    let others: Vec<Snapshot> = shared
        .exchanges
        .borrow()
        .iter()
        .filter(|(e, _)| !e.is_bitbank())
        .map(|(_, s)| s.clone())
        .collect();
    std::iter::once(bitbank).chain(others).collect()
}

/// `{"snapshot", "exit_code"}` of one exchange.
fn status_body(snapshot: &Snapshot) -> serde_json::Value {
    serde_json::json!({ "snapshot": snapshot, "exit_code": snapshot.level.exit_code() })
}

/// `GET /v1/status`: bitbank's snapshot and exit code, with `exchanges` (every watched
/// exchange's snapshot) only when others than bitbank are watched, so bitbank's answer alone
/// reads as before; `?exchange=NAME` answers that exchange's snapshot and exit code instead.
async fn status(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let params = match Params::from_query(query, &["exchange"]) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let named = match params.exchanges() {
        Ok(named) => named,
        Err(bad) => return bad.into_response(),
    };
    let all = watched(&shared);
    match named.as_slice() {
        [] => {
            let mut body = status_body(&all[0]);
            if all.len() > 1 {
                body["exchanges"] = serde_json::json!(all);
            }
            Json(body).into_response()
        }
        [one] => match all.iter().find(|s| s.exchange == *one) {
            Some(snapshot) => Json(status_body(snapshot)).into_response(),
            None => json_error(
                StatusCode::NOT_FOUND,
                &format!(
                    "{one} is not watched (add [exchanges.{one}] to the configuration), or \
                     not polled yet"
                ),
            ),
        },
        _ => json_error(
            StatusCode::BAD_REQUEST,
            "exchange: one exchange at a time (/v1/status without it lists every one)",
        ),
    }
}

/// What `/v1/history`'s parameters select, as `bbwatch history`'s flags would.
fn history_filter(params: &Params) -> Result<(Filter, bool), String> {
    let exchanges = params.exchanges().map_err(|bad| bad.0)?;
    fn named<T>(name: &str, r: Result<T, String>) -> Result<T, String> {
        r.map_err(|e| format!("{name}: {e}"))
    }
    let since = params
        .get("since")
        .map(|s| named("since", parse_since(s)))
        .transpose()?;
    let until = params
        .get("until")
        .map(|s| named("until", parse_until(s)))
        .transpose()?;
    let mut kinds = Vec::new();
    for k in params.all("kind") {
        kinds.extend(named("kind", parse_kinds(k))?);
    }
    let pair = params
        .get("pair")
        .map(|p| named("pair", parse_pair(p)))
        .transpose()?;
    let events = match params.get("events") {
        None => false,
        Some("true" | "1" | "yes" | "") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => return Err(format!("events: {other:?} is not true or false")),
    };
    Ok((
        Filter {
            since,
            until,
            kinds,
            pair,
            exchanges,
        },
        events,
    ))
}

/// Items of a `/v1/history` page unless `limit` says otherwise.
pub(crate) const DEFAULT_PAGE: usize = 1000;

/// Items of a `/v1/history` page at most.
pub(crate) const MAX_PAGE: usize = 10_000;

/// `limit`: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
fn page_limit(params: &Params) -> Result<usize, String> {
    match params.get("limit") {
        None => Ok(DEFAULT_PAGE),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(format!("limit: {v:?} is not a number from 1 to {MAX_PAGE}")),
        },
    }
}

/// One page: its items as JSON, and the cursor of the next.
type Lines = (Vec<String>, Option<String>);

async fn history(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    const KNOWN: [&str; 8] = [
        "since", "until", "kind", "pair", "exchange", "events", "limit", "after",
    ];
    let params = match Params::from_query(query, &KNOWN) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let (filter, events) = match history_filter(&params) {
        Ok(f) => f,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e),
    };
    let limit = match page_limit(&params) {
        Ok(n) => n,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e),
    };
    let after = params.get("after").map(str::to_owned);
    let Some(reading) = &shared.reading else {
        return json_error(
            StatusCode::NOT_FOUND,
            "history is off (--no-history or [history] enabled = false)",
        );
    };
    let page = reading
        .run(move |reader| -> Result<Lines, (StatusCode, String)> {
            let failed = |e: bbwatch_history::HistoryError| {
                (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            };
            let bad =
                |e: bbwatch_history::BadCursor| (StatusCode::BAD_REQUEST, format!("after: {e}"));
            if events {
                let after = after
                    .map(|a| a.parse::<EventCursor>())
                    .transpose()
                    .map_err(bad)?;
                let page = reader.events(&filter, after, limit).map_err(failed)?;
                Ok((
                    page.items.iter().map(event_json).collect(),
                    page.next.map(|c| c.to_string()),
                ))
            } else {
                let after = after
                    .map(|a| a.parse::<PeriodCursor>())
                    .transpose()
                    .map_err(bad)?;
                let page = reader
                    .periods(&filter, after, limit, chrono::Utc::now())
                    .map_err(failed)?;
                Ok((
                    page.items.iter().map(period_json).collect(),
                    page.next.map(|c| c.to_string()),
                ))
            }
        })
        .await;
    let (lines, next) = match page {
        Ok(Ok(page)) => page,
        Ok(Err((status, e))) => return json_error(status, &e),
        Err(e) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        format!("[{}]", lines.join(",")),
    )
        .into_response();
    if let Some(link) = next.and_then(|next| next_link(&params, &KNOWN, &next)) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// `Link: </v1/history?…&after=NEXT>; rel="next"`: the same query, from the next page on.
fn next_link(params: &Params, known: &[&str], next: &str) -> Option<header::HeaderValue> {
    let mut query: Vec<(String, String)> = Vec::new();
    for name in known.iter().filter(|n| **n != "after") {
        for value in params.all(name) {
            query.push(((*name).to_owned(), value.clone()));
        }
    }
    query.push(("after".into(), next.to_owned()));
    let encoded: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    header::HeaderValue::from_str(&format!(
        "</v1/history?{}>; rel=\"next\"",
        encoded.join("&")
    ))
    .ok()
}

/// `value` with everything but unreserved characters percent-encoded.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = metrics_text::render(&watched(&shared), &shared.metrics.stats());
    ([(header::CONTENT_TYPE, metrics_text::CONTENT_TYPE)], text).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::json_error::BadRequest;
    use bbwatch_core::model::exchange::Exchange;
    use bbwatch_history::PeriodKind;

    fn params(pairs: &[(&str, &str)]) -> Result<Params, BadRequest> {
        let q = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_query(
            Ok(Query(q)),
            &["since", "until", "kind", "pair", "exchange", "events"],
        )
    }

    #[test]
    fn history_parameters_read_as_the_flags_do() {
        let p = params(&[
            ("kind", "maintenance,down"),
            ("kind", "halted"),
            ("pair", "BTC_JPY"),
            ("events", "true"),
            ("since", "2026-11-27T05:00:00Z"),
            ("exchange", "gmocoin,bitflyer"),
            ("exchange", "bitbank"),
        ])
        .unwrap();
        let (f, events) = history_filter(&p).unwrap();
        assert!(events);
        assert_eq!(
            f.exchanges,
            vec![Exchange::Gmocoin, Exchange::Bitflyer, Exchange::Bitbank]
        );
        assert_eq!(
            f.kinds,
            vec![
                PeriodKind::Maintenance,
                PeriodKind::Down,
                PeriodKind::Halted
            ]
        );
        assert_eq!(f.pair.as_deref(), Some("btc_jpy"));
        assert!(f.since.is_some() && f.until.is_none());
        for (k, v) in [
            ("since", "soon"),
            ("until", "x"),
            ("kind", "sometimes"),
            ("pair", "a/b"),
            ("events", "maybe"),
            ("exchange", "binance"),
        ] {
            let err = history_filter(&params(&[(k, v)]).unwrap()).unwrap_err();
            assert!(err.starts_with(&format!("{k}: ")), "{err}");
        }
        assert!(params(&[("sinse", "7d")]).is_err());
    }
}
