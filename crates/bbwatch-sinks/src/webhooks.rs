//! Webhooks: POST chosen events to URLs (`[[webhooks]]` in the configuration).
//!
//! - `format = "json"`: the body is the event JSON, exactly as `bbwatch watch --json` prints
//!   it. `"discord"`: a Discord message (`{"content": …}`), `"slack"`: a Slack message
//!   (`{"text": …}`), whose text is the event's one line in the language in force, from the
//!   catalogue ([`bbwatch_core::present::render::event_line`]). Always `Content-Type: application/json`.
//! - Sent and tried again as [`crate::http`] says (http(s) only, a timeout per request, no
//!   redirects, 5xx/429/network errors retried with backoff). Each failure is a warning with
//!   the status; a URL is only ever logged as `scheme://host/…` ([`url_for_log`]), since
//!   Discord and Slack URLs carry their secret in the path.
//! - Each webhook has a worker of its own with a bounded queue ([`crate::queue`]): a dead or
//!   slow endpoint loses its oldest events (with a warning), never holds up anything else.

use bbwatch_core::config::{Config, Webhook, WebhookFormat};
use bbwatch_core::engine::sink::Outlet;
use bbwatch_core::present::render::event_line;
use bbwatch_core::{Event, EventKind, Exchange, Lang};
use tokio::sync::{mpsc, watch};

use crate::http::{client, post_once, retry_delay, status_text, ClientError, ATTEMPTS};
use crate::queue::{Target, Workers};

/// The longest Discord message (characters).
const DISCORD_MAX: usize = 2000;

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

    fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
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
    pub fn new(settings: watch::Receiver<Config>) -> Result<Webhooks, ClientError> {
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
    use chrono::{DateTime, TimeZone, Utc};
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
}
