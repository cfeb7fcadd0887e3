//! Answers no honest server sends: endless, huge, compressed bombs, floods, stalls. They own
//! the socket, so they live outside [`crate::http`]'s one-request-one-response model.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::Response;
use crate::phase::Behavior;

/// What the gzip bomb inflates to, besides the normal answer.
const BOMB_PADDING: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// `endless`: a 200, `prefix` (the start of a normal body) and whitespace that never ends;
/// `continue_flood`: `100 Continue` forever. Returns when the client goes away.
pub(crate) async fn forever(
    stream: &mut TcpStream,
    behavior: &Behavior,
    prefix: &[u8],
) -> std::io::Result<()> {
    if *behavior == Behavior::ContinueFlood {
        loop {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        )
        .await?;
    stream.write_all(prefix).await?;
    let spaces = vec![b' '; CHUNK];
    loop {
        stream.write_all(&spaces).await?;
    }
}

/// `huge`: the normal body, then whitespace up to `bytes`, without `Content-Length`.
pub(crate) async fn huge(stream: &mut TcpStream, body: &[u8], bytes: u64) -> std::io::Result<()> {
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        )
        .await?;
    stream.write_all(body).await?;
    let spaces = vec![b' '; CHUNK];
    let mut left = bytes.saturating_sub(body.len() as u64);
    while left > 0 {
        let n = left.min(CHUNK as u64);
        // `n` is at most CHUNK, so the cast cannot truncate.
        stream.write_all(&spaces[..n as usize]).await?;
        left -= n;
    }
    stream.shutdown().await
}

/// `gzip_bomb`: the normal answer as one gzip member, then a member that inflates to
/// [`BOMB_PADDING`] spaces (made once).
pub(crate) fn gzip_bomb(normal: &Response) -> Response {
    static PADDING: OnceLock<Vec<u8>> = OnceLock::new();
    let padding = PADDING.get_or_init(|| gzip(&vec![b' '; BOMB_PADDING]));
    let mut body = gzip(&normal.body);
    body.extend_from_slice(padding);
    Response {
        body,
        ..normal.clone()
    }
    .with_header("Content-Encoding", "gzip")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// `stall`: the head and half the body, then nothing until the client hangs up.
pub(crate) async fn stall(stream: &mut TcpStream, normal: &Response) -> std::io::Result<()> {
    let bytes = normal.encode();
    let head_len = bytes.len() - normal.body.len();
    stream
        .write_all(&bytes[..head_len + normal.body.len() / 2])
        .await?;
    stream.flush().await?;
    let mut sink = [0u8; 256];
    while stream.read(&mut sink).await? > 0 {}
    Ok(())
}
