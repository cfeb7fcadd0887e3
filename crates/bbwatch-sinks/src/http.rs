//! One HTTP delivery, for webhooks and channels alike: the client, one try and why it failed,
//! when to try again.
//!
//! - http(s) only, TLS certificates verified (rustls, the webpki roots), a [`TIMEOUT`] per
//!   request, redirects not followed (a redirect would carry the body somewhere the user did
//!   not choose).
//! - A 5xx answer, a 429 (its `Retry-After` honoured up to [`MAX_RETRY_AFTER`]) and a network
//!   error or timeout are tried again with exponential backoff and jitter, [`ATTEMPTS`] tries
//!   in all; any other answer (a 4xx, a 3xx) is never retried.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How long one request may take, from connecting to the answer's headers.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take (within [`TIMEOUT`]).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Tries of one event, the first included.
pub const ATTEMPTS: u32 = 5;

/// The wait before the first retry; each further retry waits twice as long (plus jitter).
pub const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The longest wait between two tries, whatever a `Retry-After` asks.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Why the HTTP client cannot be made: nothing can be sent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP client could not be made (its TLS backend).
    #[error("cannot make the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Why one try of a delivery failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The endpoint answered, but not with a 2xx.
    #[error("answered {}", status_text(*.status))]
    Status {
        /// The HTTP status.
        status: u16,
        /// What its `Retry-After` header asked for, if it had one we understand.
        retry_after: Option<Duration>,
    },
    /// No answer: cannot connect, the connection broke, or [`TIMEOUT`] passed.
    #[error("{0}")]
    Network(String),
    /// The request could not be made at all (e.g. a URL reqwest refuses): trying again would
    /// not help.
    #[error("cannot send: {0}")]
    Unsendable(String),
}

pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// The wait before try `attempt + 1` after try `attempt` (from 1) failed with `failure`, or
/// `None` when it is not tried again. `jitter` (in `[0, 1)`, random in use) adds up to half
/// the wait, so many bbwatch instances do not retry in step.
///
/// Retried: a 5xx, a 429 and a network error, up to [`ATTEMPTS`] tries; a `Retry-After` is
/// honoured up to [`MAX_RETRY_AFTER`]. Never retried: any other status (4xx, 3xx), a request
/// that cannot be made.
pub fn retry_delay(attempt: u32, failure: &Failure, jitter: f64) -> Option<Duration> {
    if attempt >= ATTEMPTS {
        return None;
    }
    let backoff = || {
        let doubled = FIRST_RETRY.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        doubled
            .min(MAX_RETRY_AFTER)
            .mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 2.0)
    };
    match failure {
        Failure::Status {
            status: 429 | 500..=599,
            retry_after,
        } => Some(retry_after.map_or_else(backoff, |d| d.min(MAX_RETRY_AFTER))),
        Failure::Status { .. } | Failure::Unsendable(_) => None,
        Failure::Network(_) => Some(backoff()),
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (a date gone by means now).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// A transport error in words, without its URL (it may carry a secret), with its causes.
pub fn network_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {}s", TIMEOUT.as_secs());
    }
    let mut text = String::new();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cause {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c.to_string());
        cause = c.source();
    }
    if text.is_empty() {
        text = "the request failed".into();
    }
    bbwatch_core::model::sanitize::text(&text).into_owned()
}

/// The HTTP client of every webhook and channel: a timeout per request, no redirects, our User-Agent.
pub fn client() -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .user_agent(concat!("bbwatch/", env!("CARGO_PKG_VERSION")))
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(ClientError::Client)
}

/// One POST of `body` to `url` as JSON: the status of a 2xx answer, else why not.
pub async fn post_once(
    client: &reqwest::Client,
    url: &reqwest::Url,
    body: &str,
) -> Result<u16, Failure> {
    send_once(
        client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// `request` with `body` as its JSON.
pub fn json(request: reqwest::RequestBuilder, body: &serde_json::Value) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
}

/// Send `request` once: the status of a 2xx answer, else why not.
pub async fn send_once(request: reqwest::RequestBuilder) -> Result<u16, Failure> {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_builder() => return Err(Failure::Unsendable(network_text(&e))),
        Err(e) => return Err(Failure::Network(network_text(&e))),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    Err(Failure::Status {
        status: status.as_u16(),
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 31, 4)
            .single()
            .unwrap()
    }

    fn status(status: u16) -> Failure {
        Failure::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn server_errors_and_network_errors_are_retried_with_backoff() {
        let net = Failure::Network("connection refused".into());
        for failure in [status(500), status(503), status(599), status(429), net] {
            let waits: Vec<_> = (1..=ATTEMPTS)
                .map(|a| retry_delay(a, &failure, 0.0))
                .collect();
            assert_eq!(
                waits,
                [1, 2, 4, 8]
                    .map(|s| Some(Duration::from_secs(s)))
                    .into_iter()
                    .chain([None])
                    .collect::<Vec<_>>(),
                "{failure:?}"
            );
            // Jitter adds at most half.
            let most = retry_delay(3, &failure, 0.999).unwrap();
            assert!(most > Duration::from_secs(4) && most < Duration::from_secs(6));
        }
    }

    #[test]
    fn client_errors_are_never_retried() {
        for s in [
            400, 401, 403, 404, 408, 410, 413, 422, 301, 302, 307, 308, 100,
        ] {
            assert_eq!(retry_delay(1, &status(s), 0.5), None, "{s}");
        }
        assert_eq!(retry_delay(1, &Failure::Unsendable("x".into()), 0.5), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_cap() {
        let ask = |secs| Failure::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(retry_delay(1, &ask(7), 0.9), Some(Duration::from_secs(7)));
        assert_eq!(retry_delay(2, &ask(0), 0.9), Some(Duration::ZERO));
        assert_eq!(retry_delay(1, &ask(3600), 0.9), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_delay(ATTEMPTS, &ask(1), 0.9), None);
        let unavailable = Failure::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            retry_delay(1, &unavailable, 0.0),
            Some(Duration::from_secs(2))
        );
        let not_found = Failure::Status {
            status: 404,
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(retry_delay(1, &not_found, 0.0), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = at();
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 05:31:34 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 05:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn failures_say_their_status() {
        assert_eq!(status(503).to_string(), "answered 503 Service Unavailable");
        assert_eq!(status(599).to_string(), "answered 599");
    }
}
