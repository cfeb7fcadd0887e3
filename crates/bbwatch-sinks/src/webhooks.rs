//! Webhooks: POST chosen events to URLs (`[[webhooks]]` in the configuration).
//!
//! - `format = "json"`: the body is the event JSON, exactly as `bbwatch watch --json` prints
//!   it. `"discord"`: a Discord message (`{"content": …}`), `"slack"`: a Slack message
//!   (`{"text": …}`), whose text is the event's one line in the language in force, from the
//!   catalogue ([`bbwatch_core::present::render::event_line`]). Always `Content-Type: application/json`.
//! - http(s) only (the configuration checks it), TLS certificates verified (rustls, the
//!   webpki roots), a [`TIMEOUT`] per request, redirects not followed (a redirect would carry
//!   the body somewhere the user did not choose).
//! - A 5xx answer, a 429 (its `Retry-After` honoured up to [`MAX_RETRY_AFTER`]) and a network
//!   error or timeout are tried again with exponential backoff and jitter, [`ATTEMPTS`] tries
//!   in all; any other answer (a 4xx, a 3xx) is never retried. Each failure is a warning with
//!   the status; a URL is only ever logged as `scheme://host/…` ([`url_for_log`]), since
//!   Discord and Slack URLs carry their secret in the path.
//! - Each webhook has a worker of its own with a bounded queue ([`crate::queue`]): a dead or
//!   slow endpoint loses its oldest events (with a warning), never holds up anything else.

use std::time::Duration;

use bbwatch_core::config::{Config, Webhook, WebhookFormat};
use bbwatch_core::engine::sink::Outlet;
use bbwatch_core::present::render::event_line;
use bbwatch_core::{Event, EventKind, Lang};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use crate::queue::{Target, Workers};

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

/// The longest Discord message (characters).
const DISCORD_MAX: usize = 2000;

/// Why the webhooks cannot run at all.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The HTTP client could not be made (its TLS backend).
    #[error("cannot make the webhooks' HTTP client: {0}")]
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

fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// A webhook URL for a log line: `scheme://host[:port]/…`. The path, query, fragment and
/// any `user:password@` are left out: Discord and Slack URLs carry their secret there. A bare
/// `scheme://host/` is shown as is.
pub fn url_for_log(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => shown_url(&u),
        Err(_) => "<unparsable URL>".into(),
    }
}

/// A parsed webhook URL for a log line, as [`url_for_log`] shows it.
pub fn shown_url(u: &reqwest::Url) -> String {
    let host = u.host_str().unwrap_or("");
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if u.path() == "/" && u.query().is_none() && u.fragment().is_none() {
        "/"
    } else {
        "/…"
    };
    bbwatch_core::model::sanitize::text(&format!("{}://{host}{port}{rest}", u.scheme()))
        .into_owned()
}

/// Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone): escape them, as
/// Slack asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Target for Webhook {
    fn kinds(&self) -> &[EventKind] {
        &self.on
    }

    fn name(&self) -> String {
        format!("webhook {}", shown_url(self.url.url()))
    }
}

/// The body POSTed for `event` in `format`, with human text in `lang`.
pub fn payload(format: WebhookFormat, event: &Event, lang: Lang) -> String {
    match format {
        WebhookFormat::Json => event.to_json_line(),
        WebhookFormat::Discord => {
            let text: String = event_line(event, lang).chars().take(DISCORD_MAX).collect();
            serde_json::json!({
                "username": "bbwatch",
                "content": text,
                // Nothing in an event may ping anyone.
                "allowed_mentions": { "parse": [] },
            })
            .to_string()
        }
        WebhookFormat::Slack => {
            serde_json::json!({ "text": slack_escape(&event_line(event, lang)) }).to_string()
        }
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
fn network_text(e: &reqwest::Error) -> String {
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

/// The HTTP client of every webhook: a timeout per request, no redirects, our User-Agent.
pub fn client() -> Result<reqwest::Client, WebhookError> {
    reqwest::Client::builder()
        .user_agent(concat!("bbwatch/", env!("CARGO_PKG_VERSION")))
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(WebhookError::Client)
}

/// One POST of `body` to `url`: the status of a 2xx answer, else why not.
pub async fn post_once(
    client: &reqwest::Client,
    url: &reqwest::Url,
    body: &str,
) -> Result<u16, Failure> {
    let sent = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    let response = match sent {
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

/// Deliver `event` to `webhook`, trying again as [`retry_delay`] says, and log how it went.
pub async fn deliver(client: &reqwest::Client, webhook: &Webhook, event: &Event, lang: Lang) {
    let body = payload(webhook.format, event, lang);
    let name = webhook.name();
    let mut attempt = 1;
    loop {
        match post_once(client, webhook.url.url(), &body).await {
            Ok(status) => {
                tracing::info!(
                    "{name} ({}): delivered, {} (try {attempt})",
                    event.kind,
                    status_text(status)
                );
                return;
            }
            Err(failure) => match retry_delay(attempt, &failure, fastrand::f64()) {
                Some(wait) => {
                    tracing::warn!(
                        "{name} ({}): {failure} (try {attempt} of {ATTEMPTS}); trying again in \
                         {:.1}s",
                        event.kind,
                        wait.as_secs_f64()
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => {
                    let why = if attempt >= ATTEMPTS {
                        format!("given up after {attempt} tries")
                    } else {
                        "not retried".to_owned()
                    };
                    tracing::warn!("{name} ({}): {failure}; {why}", event.kind);
                    return;
                }
            },
        }
    }
}

/// The webhooks of one binary, following the settings in force.
pub struct Webhooks {
    settings: watch::Receiver<Config>,
    client: reqwest::Client,
}

/// Start the webhooks of the settings in force as a sink (none are sent until `[[webhooks]]`
/// are configured). Without an HTTP client there are none, said once. Call inside a tokio
/// runtime.
pub fn start(settings: watch::Receiver<Config>) -> Option<Outlet> {
    match Webhooks::new(settings) {
        Ok(webhooks) => Some(Outlet::spawn("webhooks", |events| webhooks.run(events))),
        Err(e) => {
            tracing::error!("{e}; webhooks are off");
            None
        }
    }
}

impl Webhooks {
    /// Webhooks that follow `settings`: a change of `[[webhooks]]` applies to the next event,
    /// a change of the language to the next delivery.
    pub fn new(settings: watch::Receiver<Config>) -> Result<Webhooks, WebhookError> {
        Ok(Webhooks {
            settings,
            client: client()?,
        })
    }

    /// Deliver each event of `events` to the webhooks that want it, until its sender goes.
    /// Sending never waits for a webhook.
    pub async fn run(self, mut events: mpsc::UnboundedReceiver<Event>) {
        let Webhooks { settings, client } = self;
        let mut workers = Workers::new({
            let settings = settings.clone();
            move |webhook: Webhook, event: Event| {
                let (client, settings) = (client.clone(), settings.clone());
                async move {
                    let lang = settings.borrow().language.resolve();
                    deliver(&client, &webhook, &event, lang).await;
                }
            }
        });
        while let Some(event) = events.recv().await {
            let webhooks = settings.borrow().webhooks.clone();
            workers.follow(&webhooks);
            workers.push(&event);
        }
        // The sender is gone: deliveries under way go on unless the runtime ends first;
        // queued events are dropped with the workers.
        drop(workers);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bbwatch_core::model::code::ErrorCode;
    use bbwatch_core::model::reason::Reason;
    use bbwatch_core::{EventKind, Level, PairState};
    use chrono::TimeZone;
    use serde_json::Value;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 31, 4)
            .single()
            .unwrap()
    }

    fn started() -> Event {
        let mut e = Event::level_change(
            EventKind::MaintenanceStarted,
            at(),
            Level::Maintenance,
            Some(Level::Normal),
        );
        e.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        e
    }

    fn ended() -> Event {
        let mut e = Event::level_change(
            EventKind::MaintenanceEnded,
            at(),
            Level::Normal,
            Some(Level::Maintenance),
        );
        e.duration_secs = Some(312);
        e
    }

    #[test]
    fn json_is_exactly_the_event_json() {
        for e in [started(), ended()] {
            assert_eq!(payload(WebhookFormat::Json, &e, Lang::Ja), e.to_json_line());
            assert_eq!(payload(WebhookFormat::Json, &e, Lang::En), e.to_json_line());
        }
    }

    #[test]
    fn discord_is_the_event_line_in_the_language_in_force() {
        for (lang, started_words, ended_words) in [
            (Lang::En, "Maintenance started", "lasted 5 min 12 s"),
            (Lang::Ja, "メンテナンス開始", "継続時間 5分12秒"),
        ] {
            let body: Value =
                serde_json::from_str(&payload(WebhookFormat::Discord, &started(), lang)).unwrap();
            assert_eq!(body["content"], event_line(&started(), lang));
            assert!(body["content"].as_str().unwrap().contains(started_words));
            assert_eq!(body["username"], "bbwatch");
            assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
            let body: Value =
                serde_json::from_str(&payload(WebhookFormat::Discord, &ended(), lang)).unwrap();
            assert!(
                body["content"].as_str().unwrap().contains(ended_words),
                "{body}"
            );
        }
    }

    #[test]
    fn slack_is_the_event_line_in_the_language_in_force() {
        for (lang, words) in [
            (Lang::En, "Maintenance started"),
            (Lang::Ja, "メンテナンス開始"),
        ] {
            let body: Value =
                serde_json::from_str(&payload(WebhookFormat::Slack, &started(), lang)).unwrap();
            assert_eq!(body["text"], event_line(&started(), lang));
            assert!(body["text"].as_str().unwrap().contains(words));
            assert_eq!(body.as_object().unwrap().len(), 1);
        }
    }

    #[test]
    fn markup_in_an_event_pings_nobody() {
        let mut e = started();
        // A name from the network, markup and all.
        e.reason = Some(Reason::Pairs(vec![(
            "<!channel> & @everyone".into(),
            PairState::Halted,
        )]));
        let slack: Value =
            serde_json::from_str(&payload(WebhookFormat::Slack, &e, Lang::En)).unwrap();
        let text = slack["text"].as_str().unwrap();
        assert!(text.contains("&lt;!channel&gt; &amp; @everyone"), "{text}");
        let discord: Value =
            serde_json::from_str(&payload(WebhookFormat::Discord, &e, Lang::En)).unwrap();
        assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
        e.reason = Some(Reason::Pairs(vec![("x".repeat(5000), PairState::Halted)]));
        let discord: Value =
            serde_json::from_str(&payload(WebhookFormat::Discord, &e, Lang::En)).unwrap();
        assert_eq!(discord["content"].as_str().unwrap().chars().count(), 2000);
    }

    #[test]
    fn urls_are_logged_without_their_secrets() {
        for (url, shown) in [
            (
                "https://discord.com/api/webhooks/123/SECRET-token",
                "https://discord.com/…",
            ),
            (
                "https://me:pass@hooks.slack.com/services/T0/B0/SECRET?x=1#y",
                "https://hooks.slack.com/…",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
            (
                "http://127.0.0.1:8080/?token=SECRET",
                "http://127.0.0.1:8080/…",
            ),
            ("http://[::1]:9/h", "http://[::1]:9/…"),
            ("HTTPS://Example.COM:443/a", "https://example.com/…"),
            ("not a url SECRET", "<unparsable URL>"),
        ] {
            assert_eq!(url_for_log(url), shown, "{url}");
            assert!(!url_for_log(url).contains("SECRET"));
            assert!(!url_for_log(url).contains("pass"));
        }
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
