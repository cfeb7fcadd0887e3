//! `GET /v1/events`: Server-Sent Events, one per event (`event: <kind>`, `id: <id>`,
//! `data: <event JSON>`), with a comment line as heartbeat. A client that sends
//! `Last-Event-ID: N` (or `?last_event_id=N`) first gets every event after N, then the live
//! ones, with no gap and no duplicate: it subscribes before it reads what it missed, and skips
//! whatever it has sent already. `?exchange=gmocoin,bitbank` (or repeated) sends only those
//! exchanges' events; their ids are still the history's, so a resumed stream skips the others'.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_history::export::event_json;
use bbwatch_history::StoredEvent;
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::feed::{Feed, PAGE};
use crate::json_error::{json_error, BadRequest};
use crate::origin::Caller;
use crate::params::Params;
use crate::state::Shared;
use crate::streams::{Full, Holder, Slot, KEPT_FOR_LOCAL, MAX_STREAMS, PER_HOLDER};

/// Where a client's stream is.
struct Client {
    _slot: Slot,
    feed: Arc<Feed>,
    live: broadcast::Receiver<StoredEvent>,
    /// The id of the last event sent (or of the last one the client had).
    sent: i64,
    /// Read from the store, not sent yet.
    backlog: VecDeque<StoredEvent>,
    /// Whether the store has nothing more after `sent` (live events take over).
    caught_up: bool,
    /// Only these exchanges' events are sent (empty: every exchange's).
    exchanges: Vec<Exchange>,
    closing: watch::Receiver<bool>,
}

impl Client {
    /// The next event to send; `None` ends the stream (shutdown, or the store failed).
    async fn next(&mut self) -> Option<StoredEvent> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.id > self.sent {
                    // Passed over, not sent, when of another exchange: never read again.
                    self.sent = event.id;
                    if self.exchanges.is_empty() || self.exchanges.contains(&event.event.exchange) {
                        return Some(event);
                    }
                }
                continue;
            }
            if *self.closing.borrow() {
                return None;
            }
            if !self.caught_up {
                match self.feed.after(self.sent).await {
                    Ok(rows) => {
                        self.caught_up = rows.len() < PAGE;
                        self.backlog.extend(rows);
                    }
                    Err(e) => {
                        tracing::warn!("local API: cannot read the history: {e}");
                        return None;
                    }
                }
                continue;
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(event) => self.backlog.push_back(event),
                    // Fell behind the broadcast: read what was missed from the store.
                    Err(RecvError::Lagged(_)) => self.caught_up = false,
                    Err(RecvError::Closed) => return None,
                },
                _ = self.closing.changed() => return None,
            }
        }
    }
}

fn sse_event(e: &StoredEvent) -> SseEvent {
    SseEvent::default()
        .event(e.event.kind.as_str())
        .id(e.id.to_string())
        .data(event_json(e))
}

/// Where the client wants to start: after `Last-Event-ID` (header) or `last_event_id`
/// (query, for clients that cannot set headers), else after the last event passed on.
fn resume_from(headers: &HeaderMap, params: &Params) -> Result<Option<i64>, BadRequest> {
    let bad = |what: &str| BadRequest(format!("{what} must be an event id (a whole number)"));
    if let Some(v) = headers.get("last-event-id") {
        let v = v.to_str().map_err(|_| bad("Last-Event-ID"))?.trim();
        // An empty header is how a browser says "from now".
        if v.is_empty() {
            return Ok(None);
        }
        return v.parse().map(Some).map_err(|_| bad("Last-Event-ID"));
    }
    match params.get("last_event_id") {
        Some(v) => v.trim().parse().map(Some).map_err(|_| bad("last_event_id")),
        None => Ok(None),
    }
}

pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let params = match Params::from_query(query, &["last_event_id", "exchange"]) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let exchanges = match params.exchanges() {
        Ok(e) => e,
        Err(bad) => return bad.into_response(),
    };
    let from = match resume_from(&headers, &params) {
        Ok(from) => from,
        Err(bad) => return bad.into_response(),
    };
    let origin = match caller {
        Caller::Listed(origin) => Some(origin),
        _ => None,
    };
    let slot = match shared.streams.take(Holder::of(peer.ip(), origin)) {
        Ok(slot) => slot,
        Err(Full::All) => {
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "too many event streams open (at most {MAX_STREAMS}, the last \
                     {KEPT_FOR_LOCAL} for programs on this machine)"
                ),
            )
        }
        Err(Full::Holder) => {
            return json_error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "too many event streams open from this page or address (at most \
                     {PER_HOLDER})"
                ),
            )
        }
    };
    // Subscribed before anything is read: whatever is passed on from now is received.
    let live = shared.feed.subscribe();
    let last = shared.feed.last();
    // An id beyond the last is from before a restart without history (or a new file):
    // start from now rather than wait for the ids to catch up.
    let sent = from.map_or(last, |f| f.min(last));
    let client = Client {
        _slot: slot,
        feed: Arc::clone(&shared.feed),
        live,
        sent,
        backlog: VecDeque::new(),
        caught_up: from.is_none(),
        exchanges,
        closing: shared.closing.clone(),
    };
    let mut response = Sse::new(stream(client))
        .keep_alive(
            KeepAlive::new()
                .interval(shared.heartbeat)
                .text("heartbeat"),
        )
        .into_response();
    // nginx buffers responses by default, which would hold events back.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

fn stream(client: Client) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(client, |mut client| async move {
        let event = client.next().await?;
        Some((Ok(sse_event(&event)), client))
    })
}
