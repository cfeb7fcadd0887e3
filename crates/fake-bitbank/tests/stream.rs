//! The stream host, spoken to as a socket.io client would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fake_bitbank::{FakeBitbank, Options, Scenario};
use futures::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SCENARIO: &str = r#"
[[phases]]
name = "normal"
duration = "1h"
mute_rooms = ["eth_jpy"]

[[phases]]
name = "circuit"
duration = "1h"
mute_rooms = ["eth_jpy"]
circuit_break = { xrp_jpy = { mode = "CIRCUIT_BREAK", reopen_in = "10m" } }

[[phases]]
name = "refused"
stream = "refuse"
"#;

async fn start() -> FakeBitbank {
    FakeBitbank::start(
        Scenario::from_toml(SCENARIO).unwrap(),
        Options {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(300),
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

async fn connect(fake: &FakeBitbank) -> Ws {
    let url = format!("{}/socket.io/?EIO=4&transport=websocket", fake.stream_url());
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next text frame that is not a ping (answered), within 5 s; `None` if the socket ends.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")?;
        match msg {
            Ok(Message::Text(t)) if t.as_str() == "2" => {
                ws.send(Message::text("3")).await.unwrap();
            }
            Ok(Message::Text(t)) => return Some(t.as_str().to_owned()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

#[tokio::test]
async fn handshake_rooms_pushes_and_a_refused_upgrade() {
    let fake = start().await;
    let mut ws = connect(&fake).await;
    let open = next_text(&mut ws).await.unwrap();
    assert!(open.starts_with("0{"), "{open}");
    assert!(open.contains("\"pingInterval\":300"), "{open}");
    send(&mut ws, "40").await;
    let connected = next_text(&mut ws).await.unwrap();
    assert!(connected.starts_with("40{\"sid\":"), "{connected}");
    // An unknown room and a muted one: no answer at all; a known one: its state now.
    send(&mut ws, r#"42["join-room","circuit_break_info_nope_jpy"]"#).await;
    send(&mut ws, r#"42["join-room","circuit_break_info_eth_jpy"]"#).await;
    send(&mut ws, r#"42["join-room","circuit_break_info_xrp_jpy"]"#).await;
    let first = next_text(&mut ws).await.unwrap();
    assert!(
        first.starts_with(r#"42["message",{"message":{"data":{"#)
            || first.starts_with(r#"42["message",{"room_name""#),
        "{first}"
    );
    assert!(first.contains("circuit_break_info_xrp_jpy"), "{first}");
    assert!(first.contains(r#""mode":"NONE""#), "{first}");
    // The switch is pushed at once.
    fake.next_phase();
    let pushed = next_text(&mut ws).await.unwrap();
    assert!(pushed.contains(r#""mode":"CIRCUIT_BREAK""#), "{pushed}");
    assert!(pushed.contains("circuit_break_info_xrp_jpy"), "{pushed}");
    let stats = fake.stats();
    assert_eq!(stats.stream.connections, 1);
    assert_eq!(stats.stream.joins, 2, "{stats:?}");
    assert_eq!(stats.stream.pushes, 2, "{stats:?}");
    // A refusing phase drops the session and refuses the next upgrade with 503.
    fake.next_phase();
    assert_eq!(next_text(&mut ws).await, None);
    let url = format!("{}/socket.io/?EIO=4&transport=websocket", fake.stream_url());
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(fake.stats().stream.refused, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_pong_or_sends_garbage_is_closed() {
    let fake = start().await;
    // No PONG: closed after the ping timeout.
    let mut ws = connect(&fake).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(msg)) = ws.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after 5 s without a pong");
    // Malformed input: closed at once.
    let mut ws = connect(&fake).await;
    next_text(&mut ws).await.unwrap();
    send(&mut ws, "not socket.io").await;
    assert_eq!(next_text(&mut ws).await, None);
    // A wrong path is not upgraded.
    let wrong = format!("{}/elsewhere", fake.stream_url());
    assert!(tokio_tungstenite::connect_async(wrong).await.is_err());
    fake.shutdown().await;
}

#[tokio::test]
async fn a_ticker_room_ticks_until_the_phase_stops_the_engine() {
    let scenario = r#"
[[phases]]
name = "trading"
duration = "1h"

[[phases]]
name = "stopped"
ticker = false
"#;
    let fake = FakeBitbank::start(
        Scenario::from_toml(scenario).unwrap(),
        Options {
            ticker_interval: Duration::from_millis(100),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut ws = connect(&fake).await;
    next_text(&mut ws).await.unwrap();
    send(&mut ws, "40").await;
    next_text(&mut ws).await.unwrap();
    // An unknown pair's ticker gets nothing; btc_jpy's a frame at once, then one a tick.
    send(&mut ws, r#"42["join-room","ticker_nope_jpy"]"#).await;
    send(&mut ws, r#"42["join-room","ticker_btc_jpy"]"#).await;
    for _ in 0..3 {
        let frame = next_text(&mut ws).await.unwrap();
        assert!(
            frame.starts_with(r#"42["message",{"#) && frame.contains(r#""ticker_btc_jpy""#),
            "{frame}"
        );
        assert!(frame.contains(r#""last":""#), "{frame}");
    }
    fake.next_phase();
    // Frames already on their way may still arrive; then nothing (pings go on, unseen here).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ticks = fake.stats().stream.ticks;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.stats().stream.ticks, ticks);
    let stats = fake.stats();
    assert!(stats.bytes.stream > 3 * 100, "{stats:?}");
    fake.shutdown().await;
}
