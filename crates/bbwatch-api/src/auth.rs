//! The bearer token check: required on every request when configured (always, for a non-loopback
//! address). A refusal is logged with the method, path and peer, never the token presented.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::json_error::json_error;
use crate::state::Shared;

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
