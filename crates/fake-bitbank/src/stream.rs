//! The stream host: bitbank's socket.io 4 / Engine.IO v4 public stream over a WebSocket on
//! 127.0.0.1, for the `circuit_break_info_{pair}` and `ticker_{pair}` rooms.
//!
//! As bitbank does: OPEN with the keepalive, `40` answered with `40{"sid":…}`, a room's
//! current state on `join-room`, a push at the instant a phase switch changes a joined pair's
//! circuit-break state, a PING every `ping_interval` (a client that does not answer PONG
//! within `ping_timeout` is closed), no answer at all to an unknown room, and a closed socket
//! on malformed input. A joined ticker room gets a frame at once and then every
//! `ticker_interval`, prices unchanged or not, as bitbank's does. The phase's `stream` fault,
//! `mute_rooms` and `ticker = false` play the failures.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

use crate::market::{self, MarketView};
use crate::phase::StreamFault;
use crate::state::Shared;

/// The room of a pair's circuit-break changes is this followed by the pair's name.
const ROOM_PREFIX: &str = "circuit_break_info_";
/// The room of a pair's ticker is this followed by the pair's name.
const TICKER_PREFIX: &str = "ticker_";
/// How long a client may take to finish the WebSocket upgrade.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames the `garbage` fault sends.
const GARBAGE: &[&str] = &[
    "",
    "x",
    "9",
    "0{}",
    "42",
    "42{\"message\"",
    "42[]",
    "42[7,{}]",
    "4{\"sid\":1}",
    "42[\"message\",{\"room_name\":\"circuit_break_info_btc_jpy\",\"message\":{\"data\":{\"mode\":7}}}]",
    "42[\"message\",{\"room_name\":\"circuit_break_info_../v1\",\"message\":{\"data\":{\"mode\":\"CIRCUIT_BREAK\"}}}]",
    "42[\"message\",{\"room_name\":\"circuit_break_info_btc_jpy\"}]",
    "42/elsewhere,[\"message\",{\"room_name\":\"circuit_break_info_btc_jpy\",\"message\":{\"data\":{\"mode\":\"CIRCUIT_BREAK\"}}}]",
    "\u{1b}[31m\u{0}",
];

fn error_response(status: StatusCode, text: &str) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(text.to_owned()));
    *r.status_mut() = status;
    r
}

fn is_socket_io_path(req: &Request) -> bool {
    let query = req.uri().query().unwrap_or("");
    let has = |kv: &str| query.split('&').any(|p| p == kv);
    req.uri().path() == "/socket.io/" && has("EIO=4") && has("transport=websocket")
}

/// Serve one stream connection until it ends.
// The upgrade callback's `Err` is tungstenite's `ErrorResponse`, an HTTP response.
#[allow(clippy::result_large_err)]
pub(crate) async fn serve(shared: Arc<Shared>, tcp: TcpStream) {
    let refused = shared.current_phase().stream == StreamFault::Refuse;
    if refused {
        shared
            .counters
            .stream_refused
            .fetch_add(1, Ordering::Relaxed);
    }
    let callback = move |req: &Request, resp: Response| {
        if refused {
            Err(error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "stream unavailable\n",
            ))
        } else if !is_socket_io_path(req) {
            Err(error_response(
                StatusCode::BAD_REQUEST,
                "{\"code\":0,\"message\":\"Transport unknown\"}",
            ))
        } else {
            Ok(resp)
        }
    };
    let ws = match tokio::time::timeout(
        UPGRADE_TIMEOUT,
        tokio_tungstenite::accept_hdr_async(tcp, callback),
    )
    .await
    {
        Ok(Ok(ws)) => ws,
        _ => return,
    };
    shared
        .counters
        .stream_connections
        .fetch_add(1, Ordering::Relaxed);
    let (mut tx, mut rx) = ws.split();
    let sid = format!("fake{:x}", chrono::Utc::now().timestamp_micros());
    let (ping_interval, ping_timeout) = shared.keepalive();
    let open = json!({
        "sid": sid,
        "upgrades": [],
        "pingInterval": ping_interval.as_millis() as u64,
        "pingTimeout": ping_timeout.as_millis() as u64,
        "maxPayload": 1_000_000,
    });
    if tx.send(Message::text(format!("0{open}"))).await.is_err() {
        return;
    }
    let mut phases = shared.subscribe_phases();
    phases.borrow_and_update();
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    let mut pong_due: Option<Instant> = None;
    // Joined rooms: pair → the state last sent (None: nothing sent yet, a muted room).
    let mut rooms: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut tickers: BTreeSet<String> = BTreeSet::new();
    let mut tick = tokio::time::interval_at(
        Instant::now() + shared.ticker_interval,
        shared.ticker_interval,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut out: Vec<Message> = Vec::new();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                match shared.current_phase().stream {
                    StreamFault::Silent => {}
                    fault => {
                        if fault == StreamFault::Garbage {
                            out.extend(garbage());
                        }
                        out.push(Message::text("2"));
                        pong_due.get_or_insert(Instant::now() + ping_timeout);
                    }
                }
            }
            () = sleep_until(pong_due) => return,
            _ = tick.tick(), if !tickers.is_empty() => {
                push_tickers(&shared, &tickers, &mut out);
            }
            changed = phases.changed() => {
                if changed.is_err() {
                    return;
                }
                phases.borrow_and_update();
                match shared.current_phase().stream {
                    StreamFault::Drop | StreamFault::Refuse => return,
                    StreamFault::Silent => {}
                    fault => {
                        if fault == StreamFault::Garbage {
                            out.extend(garbage());
                        }
                        push_changes(&shared, &mut rooms, &mut out);
                    }
                }
            }
            msg = rx.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    _ => return,
                };
                match text.as_str() {
                    "3" => pong_due = None,
                    "2" => out.push(Message::text("3")),
                    t if t == "40" || t.starts_with("40{") => {
                        out.push(Message::text(format!("40{}", json!({ "sid": sid }))));
                    }
                    t if t.starts_with("42") => {
                        let Ok(Value::Array(args)) = serde_json::from_str::<Value>(&t[2..]) else {
                            return; // malformed input closes the socket
                        };
                        let room = args.get(1).and_then(Value::as_str).unwrap_or("");
                        let event = args.first().and_then(Value::as_str);
                        let ticker = room.strip_prefix(TICKER_PREFIX).filter(|p| market::find(p).is_some());
                        if let Some(pair) = ticker {
                            match event {
                                Some("join-room") => {
                                    shared.counters.stream_joins.fetch_add(1, Ordering::Relaxed);
                                    if tickers.insert(pair.to_owned()) {
                                        push_tickers(&shared, &[pair.to_owned()].into(), &mut out);
                                    }
                                }
                                Some("leave-room") => {
                                    tickers.remove(pair);
                                }
                                _ => {}
                            }
                        }
                        let pair = room.strip_prefix(ROOM_PREFIX).filter(|p| market::find(p).is_some());
                        match (event, pair) {
                            (Some("join-room"), Some(pair)) => {
                                shared.counters.stream_joins.fetch_add(1, Ordering::Relaxed);
                                rooms.entry(pair.to_owned()).or_insert(None);
                                if shared.current_phase().stream != StreamFault::Silent {
                                    push_changes(&shared, &mut rooms, &mut out);
                                }
                            }
                            (Some("leave-room"), Some(pair)) => {
                                rooms.remove(pair);
                            }
                            // An unknown room, another event: no answer at all.
                            _ => {}
                        }
                    }
                    _ => return, // malformed input closes the socket
                }
            }
        }
        for message in out.drain(..) {
            if let Message::Text(text) = &message {
                shared
                    .counters
                    .stream_bytes
                    .fetch_add(text.len() as u64, Ordering::Relaxed);
            }
            if tx.send(message).await.is_err() {
                return;
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn garbage() -> impl Iterator<Item = Message> {
    GARBAGE
        .iter()
        .map(|g| Message::text(*g))
        .chain([Message::binary(vec![0xff, 0x00, 0x42])])
}

/// A frame for each of the ticker rooms of `pairs`, unless the phase keeps them silent.
fn push_tickers(shared: &Shared, pairs: &BTreeSet<String>, out: &mut Vec<Message>) {
    let phase = shared.current_phase();
    if phase.ticker_silent || phase.stream == StreamFault::Silent {
        return;
    }
    let view = view_now(shared);
    for pair in pairs {
        let Some(data) = market::find(pair)
            .and_then(|p| view.pair_ticker(p).ok())
            .and_then(|body| serde_json::from_str::<Value>(&body).ok())
            .and_then(|mut v| v.get_mut("data").map(Value::take))
        else {
            continue;
        };
        let pid = shared.counters.stream_ticks.fetch_add(1, Ordering::Relaxed);
        let frame = json!(["message", {
            "room_name": format!("{TICKER_PREFIX}{pair}"),
            "message": { "pid": pid, "data": data },
        }]);
        out.push(Message::text(format!("42{frame}")));
    }
}

/// The market as it is now.
fn view_now(shared: &Shared) -> MarketView<'_> {
    let now = shared.current();
    MarketView {
        phase: shared.phase_at(now.index),
        now_ms: chrono::Utc::now().timestamp_millis(),
        phase_start_ms: shared.clock.wall_ms(now.started),
        speed: shared.speed,
    }
}

/// Frames for every joined, unmuted room whose state differs from what it last sent.
fn push_changes(
    shared: &Shared,
    rooms: &mut BTreeMap<String, Option<String>>,
    out: &mut Vec<Message>,
) {
    let view = view_now(shared);
    let phase = view.phase;
    for (pair, sent) in rooms.iter_mut() {
        if phase.mute_rooms.contains(pair) {
            continue;
        }
        let Some(p) = market::find(pair) else {
            continue;
        };
        let Some(data) = view
            .circuit_break_info(p)
            .ok()
            .and_then(|body| serde_json::from_str::<Value>(&body).ok())
            .and_then(|mut v| v.get_mut("data").map(Value::take))
        else {
            continue;
        };
        let key = format!("{}|{}", data["mode"], data["reopen_timestamp"]);
        if sent.as_deref() == Some(key.as_str()) {
            continue;
        }
        let frame = json!(["message", {
            "room_name": format!("{ROOM_PREFIX}{pair}"),
            "message": { "data": data },
        }]);
        out.push(Message::text(format!("42{frame}")));
        shared
            .counters
            .stream_pushes
            .fetch_add(1, Ordering::Relaxed);
        *sent = Some(key);
    }
}

/// Resolves once the server is shutting down.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
