//! A raw HTTP/1.1 client on tokio's TcpStream (no HTTP dependency), for the integration tests.

// Test code: a failed unwrap is a failed test (clippy.toml only covers #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use fake_bitbank::{FakeBitbank, Options, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// `data` of a success envelope, checking the status and content type on the way.
    pub fn data(&self) -> serde_json::Value {
        assert_eq!(self.status, 200, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let json = self.json();
        assert_eq!(json["success"], 1, "{json}");
        json["data"].clone()
    }
}

/// Sends one request and returns every byte the server sent before closing.
pub async fn raw(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 5s"))??;
    Ok(out)
}

/// Sends a GET with extra header lines and returns the parsed reply.
pub async fn get_with(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
        .await
        .unwrap_or_else(|_| panic!("GET {target}: no answer in 5s"))
        .unwrap();
    parse(&out)
}

pub fn parse(bytes: &[u8]) -> Reply {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head end in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts.next().unwrap().parse().unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let reply = Reply {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    };
    // Every answer is a complete message: Content-Length matches what was sent, then close.
    let declared: usize = reply.header("content-length").unwrap().parse().unwrap();
    assert_eq!(declared, reply.body.len(), "Content-Length mismatch");
    assert_eq!(reply.header("connection"), Some("close"));
    reply
}

pub async fn request(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let bytes = raw(addr, method, path)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    parse(&bytes)
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path).await
}

pub async fn start(name: &str) -> FakeBitbank {
    start_with(Scenario::builtin(name).unwrap(), 1.0).await
}

pub async fn start_with(scenario: Scenario, speed: f64) -> FakeBitbank {
    FakeBitbank::start(
        scenario,
        Options {
            speed,
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

pub async fn start_toml(text: &str) -> FakeBitbank {
    start_with(Scenario::from_toml(text).unwrap(), 1.0).await
}

/// The `data.statuses` entry of a pair.
pub fn status_of(data: &serde_json::Value, pair: &str) -> serde_json::Value {
    data["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["pair"] == pair)
        .unwrap_or_else(|| panic!("{pair} not in spot/status"))
        .clone()
}

/// The `data.pairs` entry of a pair.
pub fn pair_of(data: &serde_json::Value, pair: &str) -> serde_json::Value {
    data["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == pair)
        .unwrap_or_else(|| panic!("{pair} not in spot/pairs"))
        .clone()
}
