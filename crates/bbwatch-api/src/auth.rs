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
    if let Some(more) = shared.refusals.note(peer.ip()) {
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
