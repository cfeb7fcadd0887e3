//! Requests from web pages. A browser sends `Origin` with every cross-origin request and every
//! `EventSource`, and lets any page open them: without this check a page on any site could
//! hold every event stream the API has (the `Host` check does not stop it, as
//! `p1.localhost`, `p2.localhost`… are all loopback names). A request whose `Origin` is
//! neither the API's own nor listed in `[api] origins` is refused with 403 before it holds
//! anything; a listed origin gets the CORS headers its page needs to read the answers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::json_error::json_error;
use crate::state::Shared;

/// What a request's `Origin` says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// No `Origin`, or the API's own: a program, not someone else's page.
    Program,
    /// A page of an origin in `[api] origins`.
    Listed(String),
    /// A page of any other origin.
    Foreign(String),
}

/// Who is calling, from the `Origin` and `Host` headers and the `allowed` origins (as
/// [`bbwatch_core::config::LocalApi::allowed_origins`] gives them).
pub(crate) fn caller(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> Caller {
    let Some(origin) = origin else {
        return Caller::Program;
    };
    let origin = origin.trim().to_ascii_lowercase();
    if allowed.contains(&origin) {
        return Caller::Listed(origin);
    }
    let own = host.is_some_and(|h| origin == format!("http://{}", h.trim().to_ascii_lowercase()));
    if own {
        Caller::Program
    } else {
        Caller::Foreign(origin)
    }
}

/// The middleware: 403 for a foreign page, CORS for a listed one (its preflight answered here,
/// before the token check, as a preflight carries no token).
pub(crate) async fn check_origin(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = {
        // Scoped: a borrow of the request held across an await would make this future !Send.
        let text = |name| {
            request
                .headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap_or("?"))
        };
        caller(text(header::ORIGIN), text(header::HOST), &shared.origins)
    };
    // The event stream counts a page's streams by its origin.
    request.extensions_mut().insert(caller.clone());
    match caller {
        Caller::Program => next.run(request).await,
        Caller::Foreign(origin) => {
            if let Some(more) = shared.refusals.note(peer.ip()) {
                tracing::warn!(
                    "local API: 403 for {} {} from {peer}: a web page of {} (not in [api] \
                     origins){more}",
                    request.method(),
                    request.uri().path(),
                    bbwatch_core::model::sanitize::text(&origin)
                );
            }
            json_error(
                StatusCode::FORBIDDEN,
                "requests from web pages are refused: add the page's origin to [api] origins \
                 to allow it",
            )
        }
        Caller::Listed(origin) => {
            let mut response = if request.method() == Method::OPTIONS {
                preflight()
            } else {
                next.run(request).await
            };
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&origin) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            }
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            response
        }
    }
}

/// The answer to a listed page's preflight: GET, with a token and `Last-Event-ID`.
fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Authorization, Last-Event-ID",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apis_own_origin_and_listed_ones_pass() {
        let allowed = vec!["https://dash.example".to_owned()];
        assert_eq!(
            caller(None, Some("127.0.0.1:8765"), &allowed),
            Caller::Program
        );
        assert_eq!(
            caller(
                Some("http://127.0.0.1:8765"),
                Some("127.0.0.1:8765"),
                &allowed
            ),
            Caller::Program
        );
        assert_eq!(
            caller(
                Some("HTTPS://dash.example"),
                Some("p1.localhost:8765"),
                &allowed
            ),
            Caller::Listed("https://dash.example".into())
        );
        for foreign in [
            "https://evil.example",
            "http://p1.localhost:8765",
            "null",
            "https://dash.example:8443",
        ] {
            assert_eq!(
                caller(Some(foreign), Some("p2.localhost:8765"), &allowed),
                Caller::Foreign(foreign.into()),
                "{foreign}"
            );
        }
    }
}
