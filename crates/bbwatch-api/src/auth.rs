//! The bearer token: required on every request when configured (always, for a non-loopback
//! address). A refusal is logged with the method, path and peer, never the token presented.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bbwatch_core::config::LocalApi;

use crate::routes::{json_error, Shared};
use crate::ApiError;

/// A bearer token. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token; `None` for an empty (or blank) one.
    pub fn new(token: &str) -> Option<Token> {
        let token = token.trim();
        (!token.is_empty()).then(|| Token(token.into()))
    }

    /// The token `[api]` sets (`token`, or `token_file`'s contents), if any.
    pub fn from_config(api: &LocalApi) -> Result<Option<Token>, ApiError> {
        Ok(api.resolve_token()?.as_deref().and_then(Token::new))
    }

    /// Whether `presented` is this token, in time that does not depend on where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

/// Compares every byte whatever the first difference (only the length shows).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How often a peer's refused requests are logged: once per this, with a count of the rest.
pub(crate) const AUTH_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Peers remembered at most; past it the oldest are forgotten (their next refusal is logged).
const AUTH_LOG_PEERS: usize = 1024;

/// Refused requests per peer, so that a client looping on a wrong token cannot flood the log.
/// Pure: the time is passed in.
#[derive(Debug, Default)]
pub(crate) struct AuthLog {
    peers: std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u64)>,
}

impl AuthLog {
    /// A refusal from `peer` at `now`: `Some(n)` when it is to be logged, `n` being how many
    /// refusals from that peer went unlogged since its last line; `None` to stay quiet.
    pub(crate) fn refused(
        &mut self,
        peer: std::net::IpAddr,
        now: std::time::Instant,
    ) -> Option<u64> {
        if self.peers.len() >= AUTH_LOG_PEERS && !self.peers.contains_key(&peer) {
            let oldest = self
                .peers
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(p, _)| *p);
            if let Some(oldest) = oldest {
                self.peers.remove(&oldest);
            }
        }
        match self.peers.get_mut(&peer) {
            Some((last, quiet)) if now.saturating_duration_since(*last) < AUTH_LOG_EVERY => {
                *quiet += 1;
                None
            }
            Some((last, quiet)) => {
                let unlogged = std::mem::take(quiet);
                *last = now;
                Some(unlogged)
            }
            None => {
                self.peers.insert(peer, (now, 0));
                Some(0)
            }
        }
    }
}

/// The middleware: with a token configured, a request without `Authorization: Bearer
/// <token>` gets 401 and `WWW-Authenticate: Bearer`.
pub(crate) async fn require_token(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = &shared.token else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if presented.is_some_and(|p| token.matches(p.trim())) {
        return next.run(request).await;
    }
    let why = if presented.is_some() {
        "a wrong bearer token"
    } else {
        "no bearer token"
    };
    let logged = shared
        .auth_log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .refused(peer.ip(), std::time::Instant::now());
    if let Some(unlogged) = logged {
        let more = if unlogged > 0 {
            format!(" ({unlogged} more refused from it in the last minute)")
        } else {
            String::new()
        };
        tracing::warn!(
            "local API: 401 for {} {} from {peer}: {why}{more}",
            request.method(),
            request.uri().path()
        );
    }
    let mut response = json_error(StatusCode::UNAUTHORIZED, "a bearer token is required");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response.into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refusals_are_logged_once_a_minute_per_peer_with_a_count() {
        let mut log = AuthLog::default();
        let t0 = std::time::Instant::now();
        let a: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let b: std::net::IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(log.refused(a, t0), Some(0));
        for i in 1..=100 {
            assert_eq!(
                log.refused(a, t0 + std::time::Duration::from_millis(i * 100)),
                None
            );
        }
        assert_eq!(log.refused(b, t0), Some(0), "another peer is its own");
        assert_eq!(log.refused(a, t0 + AUTH_LOG_EVERY), Some(100));
        assert_eq!(log.refused(a, t0 + AUTH_LOG_EVERY * 3), Some(0));
        for i in 0..(AUTH_LOG_PEERS as u32 + 10) {
            let peer = std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            log.refused(peer, t0);
        }
        assert!(log.peers.len() <= AUTH_LOG_PEERS);
    }

    #[test]
    fn tokens_compare_whole() {
        let t = Token::new(" s3cret ").unwrap();
        assert!(t.matches("s3cret"));
        assert!(!t.matches("s3cre"));
        assert!(!t.matches("s3cres"));
        assert!(!t.matches(""));
        assert!(Token::new("  ").is_none());
        assert_eq!(format!("{t:?}"), "Token(…)");
    }
}
