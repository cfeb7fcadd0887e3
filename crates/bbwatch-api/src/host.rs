//! The `Host` check against DNS rebinding: a web page the user opens could point a name of its
//! own at 127.0.0.1 and read the API from the browser. Without a token (so on a loopback
//! address), only requests for `localhost` (or a `*.localhost` name) or an IP address are
//! answered; a browser sends the page's name as `Host`, so such a page gets 403. With a token,
//! the token already keeps pages out, and remote clients use names: any `Host` goes.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::json_error::json_error;
use crate::state::Shared;

/// Whether a `Host` header names this machine by loopback name or by address.
pub(crate) fn is_local_host(host: &str) -> bool {
    let host = host.trim();
    // `[::1]:8765`: an IPv6 literal, always an address.
    if host.starts_with('[') {
        return host.contains(']');
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.parse::<Ipv4Addr>().is_ok()
}

/// The middleware: 403 for a request whose `Host` is some other name, when no token is set.
pub(crate) async fn check_host(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if shared.token.is_some() {
        return next.run(request).await;
    }
    // No `Host` at all: an HTTP/1.0 client, not a browser.
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("?"));
    match host {
        Some(host) if !is_local_host(host) => {
            tracing::warn!(
                "local API: 403 for {} {} from {peer}: Host {:?} is not localhost or an address",
                request.method(),
                request.uri().path(),
                bbwatch_core::model::sanitize::text(host)
            );
            json_error(
                StatusCode::FORBIDDEN,
                "this API answers to localhost and IP addresses only (set [api] token to use names)",
            )
        }
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_pass_other_names_do_not() {
        for ok in [
            "localhost",
            "localhost:8765",
            "LOCALHOST.:8765",
            "app.localhost:1",
            "127.0.0.1:8765",
            "10.1.2.3",
            "[::1]:8765",
        ] {
            assert!(is_local_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8765",
            "localhost.evil.example",
            "127.0.0.1.nip.io:8765",
            "",
        ] {
            assert!(!is_local_host(bad), "{bad}");
        }
    }
}
