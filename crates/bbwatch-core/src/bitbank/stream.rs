//! bitbank's public stream: socket.io 4 over Engine.IO v4 over a WebSocket, for the
//! `circuit_break_info_{pair}` rooms and, as a heartbeat of the matching engine, the ticker
//! room of the most liquid pair ([`TICKER_ROOM`]).
//!
//! Two halves. The framing ([`parse`], [`join`], [`leave`], [`socket_url`], [`backoff`]) is
//! pure and tested on bitbank's samples and on garbage. The [`run_source`] task holds one
//! connection, joins one room per watched pair, answers the server's pings, and sends typed
//! [`Update`]s to the monitor, which merges them into its observation model (see
//! `monitor.rs`). The stream is never a maintenance signal by itself: it only carries
//! circuit-break changes, and when it is down the monitor polls them over REST again.
//!
//! Hand-rolled on `tokio-tungstenite` (rustls, webpki roots): the socket.io client crates
//! bring their own HTTP and TLS stacks and a reconnect policy of their own, and the subset
//! bitbank needs (OPEN, ping/pong, CONNECT, EVENT) is a few dozen lines.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use reqwest::Url;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::bitbank::api::{self, CircuitBreakInfo};
use crate::bitbank::metrics::PollMetrics;
use crate::model::pair::check_pair_name;
use crate::model::sanitize;
use crate::model::url::WsUrl;

/// The real bitbank stream host.
pub const DEFAULT_STREAM_URL: &str = "wss://stream.bitbank.cc";
/// The room of a pair's circuit-break changes is this followed by the pair's name.
pub const ROOM_PREFIX: &str = "circuit_break_info_";
/// The ticker room followed as a heartbeat: btc_jpy is bitbank's most traded pair, and its
/// ticker is pushed about once a second even when no price moves (see `silence.rs`).
pub const TICKER_ROOM: &str = "ticker_btc_jpy";
/// The largest frame read; a circuit_break_info push is about 400 bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Connecting, and the wait for the OPEN packet, end after this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two reconnects.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The shortest keepalive the server can ask for (a hostile OPEN cannot make us spin).
const MIN_KEEPALIVE: Duration = Duration::from_secs(1);
/// The longest keepalive taken from the server (bitbank sends 25 s + 20..60 s).
const MAX_KEEPALIVE: Duration = Duration::from_secs(300);

/// Engine.IO CONNECT of the default socket.io namespace.
pub const CONNECT: &str = "40";
/// Engine.IO PONG, the answer to every PING.
pub const PONG: &str = "3";

/// One packet from the server, as far as bbwatch cares.
#[derive(Clone, Debug, PartialEq)]
pub enum Packet {
    /// Engine.IO OPEN: the keepalive.
    Open {
        /// The server pings this often.
        ping_interval: Duration,
        /// And gives up this long after a ping with no answer.
        ping_timeout: Duration,
    },
    /// Engine.IO CLOSE, or socket.io DISCONNECT / CONNECT_ERROR: the session is over.
    Close,
    /// Engine.IO PING: answer [`PONG`].
    Ping,
    /// socket.io CONNECT acknowledged: rooms can be joined.
    Connected,
    /// A `circuit_break_info` push of a room.
    Circuit {
        /// The pair whose room it is.
        pair: String,
        /// Its data, read as the REST answer is.
        info: CircuitBreakInfo,
    },
    /// A frame of [`TICKER_ROOM`] (its content is not read).
    Tick,
    /// Anything else well formed (PONG, NOOP, another room's or event's message).
    Other,
}

/// A frame that is not what the protocol allows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed stream frame: {0}")]
pub struct Malformed(pub String);

fn malformed(detail: impl Into<String>) -> Malformed {
    Malformed(sanitize::text(&detail.into()).into_owned())
}

/// Read one text frame.
pub fn parse(frame: &str) -> Result<Packet, Malformed> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(malformed("frame too large"));
    }
    let mut chars = frame.chars();
    let Some(kind) = chars.next() else {
        return Err(malformed("empty frame"));
    };
    let rest = chars.as_str();
    match kind {
        '0' => parse_open(rest),
        '1' => Ok(Packet::Close),
        '2' if rest.is_empty() || rest == "probe" => Ok(Packet::Ping),
        '3' | '6' => Ok(Packet::Other),
        '4' => parse_socket_io(rest),
        _ => Err(malformed(format!("unknown packet type {kind:?}"))),
    }
}

fn parse_open(json: &str) -> Result<Packet, Malformed> {
    let v: Value = serde_json::from_str(json).map_err(|_| malformed("OPEN is not JSON"))?;
    let ms = |key: &str| {
        v.get(key)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
            .ok_or_else(|| malformed(format!("OPEN without {key}")))
    };
    Ok(Packet::Open {
        ping_interval: ms("pingInterval")?,
        ping_timeout: ms("pingTimeout")?,
    })
}

fn parse_socket_io(rest: &str) -> Result<Packet, Malformed> {
    let mut chars = rest.chars();
    let kind = chars
        .next()
        .ok_or_else(|| malformed("empty socket.io packet"))?;
    let mut body = chars.as_str();
    // A namespace other than the default one is not ours.
    if body.starts_with('/') {
        return Ok(Packet::Other);
    }
    match kind {
        '0' => Ok(Packet::Connected),
        '1' | '4' => Ok(Packet::Close),
        '2' => {
            // An ack id may stand before the array.
            body = body.trim_start_matches(|c: char| c.is_ascii_digit());
            parse_event(body)
        }
        '3' | '5' | '6' => Ok(Packet::Other),
        other => Err(malformed(format!("unknown socket.io packet {other:?}"))),
    }
}

fn parse_event(json: &str) -> Result<Packet, Malformed> {
    let v: Value = serde_json::from_str(json).map_err(|_| malformed("EVENT is not JSON"))?;
    let args = v
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| malformed("EVENT is not a non-empty array"))?;
    let name = args[0]
        .as_str()
        .ok_or_else(|| malformed("EVENT without a name"))?;
    if name != "message" {
        return Ok(Packet::Other);
    }
    let payload = args
        .get(1)
        .ok_or_else(|| malformed("message without payload"))?;
    let room = payload
        .get("room_name")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("message without room_name"))?;
    if room == TICKER_ROOM {
        return Ok(Packet::Tick);
    }
    let Some(pair) = room.strip_prefix(ROOM_PREFIX) else {
        return Ok(Packet::Other);
    };
    check_pair_name(pair).map_err(malformed)?;
    let data = payload
        .get("message")
        .and_then(|m| m.get("data"))
        .cloned()
        .ok_or_else(|| malformed("message without message.data"))?;
    let info = api::circuit_break_data(200, data).map_err(|f| malformed(f.to_string()))?;
    Ok(Packet::Circuit {
        pair: pair.to_owned(),
        info,
    })
}

fn room_event(event: &str, room: &str) -> String {
    let args = serde_json::json!([event, room]);
    format!("42{args}")
}

/// The frame that joins `pair`'s circuit-break room.
pub fn join(pair: &str) -> String {
    room_event("join-room", &format!("{ROOM_PREFIX}{pair}"))
}

/// The frame that leaves `pair`'s circuit-break room.
pub fn leave(pair: &str) -> String {
    room_event("leave-room", &format!("{ROOM_PREFIX}{pair}"))
}

/// The frame that joins [`TICKER_ROOM`].
pub fn join_ticker() -> String {
    room_event("join-room", TICKER_ROOM)
}

/// The WebSocket URL of a stream host: `{base}/socket.io/?EIO=4&transport=websocket`.
pub fn socket_url(base: &WsUrl) -> Url {
    let mut url = base.url().clone();
    let path = format!("{}/socket.io/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(Some("EIO=4&transport=websocket"));
    url.set_fragment(None);
    url
}

/// The wait before reconnect number `attempt` (0 for the first): 1 s doubling to 60 s, each
/// scaled by a jitter in [0.5, 1] (`jitter` in [0, 1)) so clients do not reconnect in step.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let base = Duration::from_secs(1)
        .saturating_mul(1u32 << attempt.min(6))
        .min(MAX_BACKOFF);
    base.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// How long after the OPEN packet, or the last ping, a silent server is taken for dead.
pub fn keepalive(ping_interval: Duration, ping_timeout: Duration) -> Duration {
    (ping_interval + ping_timeout).clamp(MIN_KEEPALIVE, MAX_KEEPALIVE)
}

/// What the stream tells the monitor.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// The socket.io session is open; the rooms are being joined.
    Connected,
    /// A frame of `pair`'s room (the first one, on joining, is the current state).
    Circuit {
        /// The pair.
        pair: String,
        /// Its circuit-break state.
        info: CircuitBreakInfo,
    },
    /// A frame of [`TICKER_ROOM`]: the matching engine is alive.
    Tick,
    /// The stream is down: dropped, dead (no ping in time), or could not connect.
    Down {
        /// Whether a session had been open (not merely a failed attempt).
        was_connected: bool,
        /// Why, for the log.
        reason: String,
    },
}

/// Hold one connection to `url` until `updates` closes: join a room per pair in `rooms`
/// (joining and leaving as it changes), and [`TICKER_ROOM`] when `ticker`, forward each push,
/// and reconnect with exponential backoff and jitter after every drop.
pub async fn run_source(
    url: WsUrl,
    ticker: bool,
    mut rooms: watch::Receiver<BTreeSet<String>>,
    updates: mpsc::Sender<Update>,
    metrics: std::sync::Arc<PollMetrics>,
) {
    let shown = sanitize::url_for_log(url.as_str());
    let target = socket_url(&url);
    let mut attempt: u32 = 0;
    loop {
        let mut progress = Progress::default();
        let reason = session(
            &target,
            ticker,
            &mut rooms,
            &updates,
            &mut progress,
            &metrics,
        )
        .await;
        let connected = progress.connected;
        metrics.set_stream_connected(false);
        if updates.is_closed() {
            return;
        }
        // Said once per outage: a stream that cannot be reached (a firewall) is retried for
        // as long as bbwatch runs, quietly.
        if connected || attempt == 0 {
            tracing::warn!(url = %shown, %reason, "stream down; polling over REST meanwhile");
        } else {
            tracing::debug!(url = %shown, %reason, attempt, "stream still down");
        }
        let down = Update::Down {
            was_connected: connected,
            reason,
        };
        if updates.send(down).await.is_err() {
            return;
        }
        // Only a session that was kept alive resets the backoff: one that opens and then
        // falls silent again and again is retried less and less often.
        if progress.pinged {
            attempt = 0;
        }
        tokio::time::sleep(backoff(attempt, fastrand::f64())).await;
        attempt = attempt.saturating_add(1);
        metrics.record_reconnect();
    }
}

/// How far a session got.
#[derive(Default)]
struct Progress {
    /// The socket.io session opened.
    connected: bool,
    /// The server pinged at least once.
    pinged: bool,
}

/// One connection, until it ends; returns why.
async fn session(
    target: &Url,
    ticker: bool,
    rooms: &mut watch::Receiver<BTreeSet<String>>,
    updates: &mpsc::Sender<Update>,
    progress: &mut Progress,
    metrics: &PollMetrics,
) -> String {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let connect = tokio_tungstenite::connect_async_with_config(target.as_str(), Some(config), true);
    let mut ws = match tokio::time::timeout(HANDSHAKE_TIMEOUT, connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return format!("cannot connect: {}", sanitize::text(&e.to_string())),
        Err(_) => return "cannot connect: timed out".into(),
    };
    let mut deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let mut alive_for = HANDSHAKE_TIMEOUT;
    let mut joined: BTreeSet<String> = BTreeSet::new();
    let mut garbage: u64 = 0;
    loop {
        let frame = tokio::select! {
            frame = ws.next() => frame,
            () = tokio::time::sleep_until(deadline) => {
                return format!("no ping within {alive_for:?}");
            }
            changed = rooms.changed(), if progress.connected => {
                if changed.is_err() {
                    return "monitor stopped".into();
                }
                let wanted = rooms.borrow_and_update().clone();
                let mut out: Vec<String> = wanted.difference(&joined).map(|p| join(p)).collect();
                out.extend(joined.difference(&wanted).map(|p| leave(p)));
                for text in out {
                    if let Err(e) = ws.send(Message::text(text)).await {
                        return format!("send failed: {e}");
                    }
                }
                joined = wanted;
                continue;
            }
        };
        let text = match frame {
            None => return "closed".into(),
            Some(Err(e)) => return format!("read failed: {}", sanitize::text(&e.to_string())),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) => return "closed by the server".into(),
            Some(Ok(_)) => continue,
        };
        let packet = match parse(text.as_str()) {
            Ok(p) => p,
            Err(e) => {
                // Ignored: a bad frame changes nothing (a push that cannot be read is as if
                // not sent; REST or the next push tells the truth).
                garbage += 1;
                if garbage <= 10 {
                    tracing::warn!("{e}");
                }
                continue;
            }
        };
        let reply = match packet {
            Packet::Open {
                ping_interval,
                ping_timeout,
            } => {
                alive_for = keepalive(ping_interval, ping_timeout);
                deadline = Instant::now() + alive_for;
                Some(CONNECT.to_owned())
            }
            Packet::Ping => {
                progress.pinged = true;
                deadline = Instant::now() + alive_for;
                Some(PONG.to_owned())
            }
            Packet::Close => return "closed by the server".into(),
            Packet::Connected => {
                progress.connected = true;
                metrics.set_stream_connected(true);
                if updates.send(Update::Connected).await.is_err() {
                    return "monitor stopped".into();
                }
                joined = rooms.borrow_and_update().clone();
                let ticker_room = ticker.then(join_ticker);
                for text in joined.iter().map(|p| join(p)).chain(ticker_room) {
                    if let Err(e) = ws.send(Message::text(text)).await {
                        return format!("send failed: {e}");
                    }
                }
                None
            }
            Packet::Tick => {
                if ticker && updates.send(Update::Tick).await.is_err() {
                    return "monitor stopped".into();
                }
                None
            }
            Packet::Circuit { pair, info } => {
                if joined.contains(&pair)
                    && updates.send(Update::Circuit { pair, info }).await.is_err()
                {
                    return "monitor stopped".into();
                }
                None
            }
            Packet::Other => None,
        };
        if let Some(reply) = reply {
            if let Err(e) = ws.send(Message::text(reply)).await {
                return format!("send failed: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::level::CircuitMode;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_transcript_reads_as_bitbank_sends_it() {
        let transcript = fixture("stream_circuit_break_info_wscat_transcript.txt");
        let frames: Vec<&str> = transcript
            .lines()
            .filter_map(|l| l.strip_prefix("< "))
            .collect();
        assert_eq!(
            parse(frames[0]).unwrap(),
            Packet::Open {
                ping_interval: Duration::from_secs(25),
                ping_timeout: Duration::from_secs(60),
            }
        );
        assert_eq!(parse(frames[1]).unwrap(), Packet::Connected);
        let Packet::Circuit { pair, info } = parse(frames[2]).unwrap() else {
            panic!("{}", frames[2]);
        };
        assert_eq!(pair, "xrp_jpy");
        assert_eq!(info.mode, CircuitMode::None);
        assert_eq!(info.reopen_at, None);
        let Packet::Circuit { info, .. } = parse(frames[3]).unwrap() else {
            panic!("{}", frames[3]);
        };
        assert_eq!(info.mode, CircuitMode::CircuitBreak);
        assert_eq!(
            info.reopen_at.unwrap().timestamp_millis(),
            1_234_573_890_000
        );
        // What the client sends, byte for byte as in the transcript.
        let sent: Vec<&str> = transcript
            .lines()
            .filter_map(|l| l.strip_prefix("> "))
            .collect();
        assert_eq!(sent, vec![CONNECT, join("xrp_jpy").as_str()]);
    }

    #[test]
    fn the_sample_payloads_match_the_rest_reading() {
        for (name, mode) in [
            ("NONE", CircuitMode::None),
            ("CIRCUIT_BREAK", CircuitMode::CircuitBreak),
        ] {
            let payload = fixture(&format!(
                "stream_circuit_break_info_xrp_jpy_example_mode_{name}_frame_payload.json"
            ));
            let Packet::Circuit { info, .. } = parse(&format!("42{}", payload.trim())).unwrap()
            else {
                panic!("{name}");
            };
            assert_eq!(info.mode, mode);
        }
    }

    #[test]
    fn pings_and_other_rooms_and_namespaces() {
        assert_eq!(parse("2").unwrap(), Packet::Ping);
        assert_eq!(parse("3").unwrap(), Packet::Other);
        assert_eq!(parse("1").unwrap(), Packet::Close);
        assert_eq!(parse("41").unwrap(), Packet::Close);
        assert_eq!(parse("44{\"message\":\"no\"}").unwrap(), Packet::Close);
        assert_eq!(parse("40/admin,{}").unwrap(), Packet::Other);
        assert_eq!(
            parse(r#"42["message",{"room_name":"ticker_eth_jpy","message":{"data":{}}}]"#).unwrap(),
            Packet::Other
        );
        assert_eq!(
            parse(r#"42["message",{"room_name":"ticker_xrp_jpy","message":{"data":{}}}]"#).unwrap(),
            Packet::Other
        );
        let tick = format!(
            "42{}",
            fixture("stream_ticker_btc_jpy_example_frame_payload.json").trim()
        );
        assert_eq!(parse(&tick).unwrap(), Packet::Tick);
        assert_eq!(join_ticker(), r#"42["join-room","ticker_btc_jpy"]"#);
        assert_eq!(parse(r#"42["welcome"]"#).unwrap(), Packet::Other);
        let with_ack = r#"4217["message",{"room_name":"circuit_break_info_btc_jpy","message":{"data":{"mode":"LISTING","reopen_timestamp":null}}}]"#;
        assert!(matches!(
            parse(with_ack).unwrap(),
            Packet::Circuit { ref pair, ref info } if pair == "btc_jpy" && info.mode == CircuitMode::Listing
        ));
    }

    #[test]
    fn garbage_is_malformed_never_a_panic() {
        let long = "4".repeat(MAX_FRAME_BYTES + 1);
        for bad in [
            "",
            "x",
            "0",
            "0{}",
            "0{\"pingInterval\":\"soon\",\"pingTimeout\":1}",
            "4",
            "49",
            "42",
            "42{",
            "42[]",
            "42[1]",
            "42[\"message\"]",
            "42[\"message\",{}]",
            r#"42["message",{"room_name":"circuit_break_info_../x","message":{"data":{"mode":"NONE"}}}]"#,
            r#"42["message",{"room_name":"circuit_break_info_btc_jpy","message":{}}]"#,
            r#"42["message",{"room_name":"circuit_break_info_btc_jpy","message":{"data":{"mode":7}}}]"#,
            "\u{0}\u{1}",
            "é",
            long.as_str(),
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn rooms_and_urls() {
        assert_eq!(
            join("btc_jpy"),
            r#"42["join-room","circuit_break_info_btc_jpy"]"#
        );
        assert_eq!(
            leave("btc_jpy"),
            r#"42["leave-room","circuit_break_info_btc_jpy"]"#
        );
        // Typed where the setting is read; only a ws(s) URL gets here.
        let socket_url = |s: &str| s.parse::<WsUrl>().map(|u| socket_url(&u));
        assert_eq!(
            socket_url(DEFAULT_STREAM_URL).unwrap().as_str(),
            "wss://stream.bitbank.cc/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            socket_url("ws://127.0.0.1:9/prefix/").unwrap().as_str(),
            "ws://127.0.0.1:9/prefix/socket.io/?EIO=4&transport=websocket"
        );
        assert!(socket_url("https://stream.bitbank.cc").is_err());
    }

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(0, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(40, 1.0), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX, 0.0), MAX_BACKOFF / 2);
        assert_eq!(
            keepalive(Duration::from_secs(25), Duration::from_secs(20)),
            Duration::from_secs(45)
        );
        assert_eq!(keepalive(Duration::ZERO, Duration::ZERO), MIN_KEEPALIVE);
    }
}
