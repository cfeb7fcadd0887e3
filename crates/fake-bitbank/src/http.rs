//! Just enough HTTP/1.1: read one request head, write one response, close.
//!
//! Hand-rolled on purpose: the failure modes need to own the socket (drop it without a word,
//! send fewer bytes than a normal body, answer late), which a full HTTP server would not allow.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Largest request body drained (bodies are only kept to look for a leaked secret; draining
/// avoids a reset on close).
const MAX_BODY: usize = 64 * 1024;

/// The parts of a request the fake cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: String,
    /// The path without query string or fragment.
    pub path: String,
    /// The path with its query string (what bitbank's signatures cover), without fragment.
    pub target: String,
    /// Header names and values, in order, values trimmed.
    pub headers: Vec<(String, String)>,
    /// Every byte read: head and (drained part of the) body.
    pub raw: Vec<u8>,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter with this name, percent-decoded (`+` is a space).
    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.target.split_once('?')?;
        query
            .split('&')
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .find(|(n, _)| decode(n) == name)
            .map(|(_, v)| decode(v))
    }

    /// Whether `needle` occurs anywhere in the request as sent (request line, headers, body).
    pub fn contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && self.raw.windows(needle.len()).any(|w| w == needle)
    }
}

/// Percent-decoding of a query component; a malformed escape is kept as it is.
fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("connection closed before a complete request head")]
    Closed,
    #[error("request head larger than {MAX_HEAD} bytes")]
    TooLarge,
    #[error("malformed request line")]
    Malformed,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn parse_head(head: &[u8]) -> Result<(Request, usize), ReadError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let mut parts = lines.next().ok_or(ReadError::Malformed)?.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed);
    };
    if !version.starts_with("HTTP/") {
        return Err(ReadError::Malformed);
    }
    // Absolute form (`GET http://host/path`), as a proxy-minded client might send.
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let target = target.split('#').next().unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    if !path.starts_with('/') {
        return Err(ReadError::Malformed);
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let content_length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    Ok((
        Request {
            method: method.to_string(),
            path: path.to_string(),
            target: target.to_string(),
            headers,
            raw: head.to_vec(),
        },
        content_length,
    ))
}

/// Reads one request head (and drains a small declared body).
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = head_end(&buf) {
            let (mut request, content_length) = parse_head(&buf[..end])?;
            let mut remaining = content_length.min(MAX_BODY).saturating_sub(buf.len() - end);
            let mut body = buf[end..].to_vec();
            while remaining > 0 {
                let want = remaining.min(chunk.len());
                let n = stream.read(&mut chunk[..want]).await?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
                remaining -= n;
            }
            request.raw.extend_from_slice(&body);
            return Ok(request);
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::TooLarge);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A complete response; always sent with `Content-Length` and `Connection: close`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// An `application/json` response.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "application/json", body)
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// Keeps only the first half of the body (`Content-Length` follows, so the client reads a
    /// complete HTTP message whose JSON is cut).
    pub fn truncated(mut self) -> Response {
        let half = self.body.len() / 2;
        self.body.truncate(half);
        self
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// Writes the response and closes our side.
pub(crate) async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: &Response,
) -> std::io::Result<()> {
    stream.write_all(&response.encode()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(raw: &[u8]) -> Result<Request, ReadError> {
        let mut input = raw;
        read_request(&mut input).await
    }

    #[tokio::test]
    async fn parses_method_and_path_without_query() {
        let r = read(b"GET /v1/spot/status?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/v1/spot/status");
        assert_eq!(r.target, "/v1/spot/status?x=1");
        assert_eq!(r.header("host"), Some("a"));
        let r = read(b"GET http://127.0.0.1:1/tickers HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(r.path, "/tickers");
        let r = read(b"POST /_fake/next HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            .await
            .unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/_fake/next")
        );
        assert!(r.contains(b"abc") && r.contains(b"POST /_fake") && !r.contains(b"xyz"));
    }

    #[tokio::test]
    async fn reads_query_parameters() {
        let r =
            read(b"GET /x?a=1&product_code=btc%5Fjpy&b&c=x+y&a=2&bad=%zz%+1%4 HTTP/1.1\r\n\r\n")
                .await
                .unwrap();
        assert_eq!(r.query("a").as_deref(), Some("1"));
        assert_eq!(r.query("product_code").as_deref(), Some("btc_jpy"));
        assert_eq!(r.query("b").as_deref(), Some(""));
        assert_eq!(r.query("c").as_deref(), Some("x y"));
        assert_eq!(r.query("bad").as_deref(), Some("%zz% 1%4"));
        assert_eq!(r.query("nope"), None);
        let r = read(b"GET /x HTTP/1.1\r\n\r\n").await.unwrap();
        assert_eq!(r.query("a"), None);
    }

    #[tokio::test]
    async fn rejects_garbage() {
        assert!(matches!(read(b"").await, Err(ReadError::Closed)));
        assert!(matches!(
            read(b"GET /x HTTP/1.1\r\n").await,
            Err(ReadError::Closed)
        ));
        assert!(matches!(
            read(b"hello\r\n\r\n").await,
            Err(ReadError::Malformed)
        ));
        assert!(matches!(
            read(b"GET nope HTTP/1.1\r\n\r\n").await,
            Err(ReadError::Malformed)
        ));
        let huge = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(read(&huge).await, Err(ReadError::TooLarge)));
    }

    #[test]
    fn encodes_with_length_and_close() {
        let r = Response::json(429, "{}").with_header("Retry-After", "3");
        let text = String::from_utf8(r.encode()).unwrap();
        assert!(text.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("Retry-After: 3\r\n\r\n{}"));
        assert_eq!(Response::json(200, "abcdef").truncated().body, b"abc");
    }
}
