//! GMO Coin: `GET /public/v1/status` says `OPEN`, `PREOPEN` or `MAINTENANCE`; its error
//! `ERR-5201` says a scheduled maintenance and `ERR-5202` an emergency one (on this and every
//! other endpoint). It lists no pairs: the level is the exchange's as a whole.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::exchanges::{failed, json_answer, reading, word, wrong_shape, Adapter};
use crate::model::exchange::Exchange;
use crate::model::fetch::{Failure, Fetch};
use crate::model::level::Level;
use crate::model::reading::{Certainty, Context, Reading};
use crate::model::reason::Reason;
use crate::model::source::Ask;
use crate::model::url::HttpUrl;
use crate::transport::{base_url, endpoint, ClientError, Transport};

/// The real API.
pub const DEFAULT_URL: &str = "https://api.coin.z.com";
/// Scheduled maintenance.
const SCHEDULED: &str = "ERR-5201";
/// Emergency maintenance.
const EMERGENCY: &str = "ERR-5202";
/// "Requests are too many".
const TOO_MANY: &str = "ERR-5003";

/// What GMO Coin is watched with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmoCoinConfig {
    /// The API's base URL (`https://api.coin.z.com`).
    pub url: HttpUrl,
    /// Timeout of each request.
    pub timeout: Duration,
}

/// What the status endpoint said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `data.status` (`OPEN`, `PREOPEN`, `MAINTENANCE`).
    Status(String),
    /// The error codes of an error answer (`ERR-5201`, …).
    Errors(Vec<String>),
}

/// GMO Coin.
pub struct GmoCoin {
    transport: Transport,
    status_url: reqwest::Url,
}

/// Read the status endpoint's answer.
pub fn parse_status(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<Answer> {
    let (status, value) = json_answer(status, retry_after, body)?;
    match value.get("status").and_then(Value::as_i64) {
        Some(0) => value
            .pointer("/data/status")
            .and_then(Value::as_str)
            .map(|s| Answer::Status(word(s)))
            .ok_or_else(|| wrong_shape(status, "status 0 without data.status")),
        Some(_) => {
            let codes: Vec<String> = value
                .get("messages")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .take(8)
                        .filter_map(|m| m.get("message_code").and_then(Value::as_str))
                        .map(word)
                        .collect()
                })
                .unwrap_or_default();
            if codes.iter().any(|c| c == TOO_MANY) {
                return Err(Failure::RateLimited {
                    retry_after: retry_after.and_then(crate::transport::parse_retry_after),
                });
            }
            if codes.is_empty() {
                return Err(wrong_shape(status, "an error without a message code"));
            }
            Ok(Answer::Errors(codes))
        }
        None => Err(wrong_shape(status, "no numeric status")),
    }
}

/// What one answer says (pure).
pub fn classify(answer: Fetch<Answer>, at: DateTime<Utc>, ctx: &Context<'_>) -> Reading {
    let said = |level, status: &str, planned| {
        let reason = Reason::Status {
            status: status.to_owned(),
            planned,
        };
        reading(at, ctx, level, Certainty::Definite, Some(reason))
    };
    match answer {
        Err(failure) => failed(at, ctx, failure),
        Ok(Answer::Status(s)) => match s.as_str() {
            "OPEN" => reading(at, ctx, Level::Normal, Certainty::Definite, None),
            "MAINTENANCE" => said(Level::Maintenance, &s, None),
            // PREOPEN (orders not yet taken) and anything GMO may add: not trading normally.
            _ => said(Level::Degraded, &s, None),
        },
        Ok(Answer::Errors(codes)) => {
            if let Some(code) = codes.iter().find(|c| *c == SCHEDULED || *c == EMERGENCY) {
                return said(Level::Maintenance, code, Some(code == SCHEDULED));
            }
            // Another error on the one public endpoint: its API is not working.
            let reason = Reason::Status {
                status: codes.join(", "),
                planned: None,
            };
            reading(at, ctx, Level::Down, Certainty::Ambiguous, Some(reason))
        }
    }
}

impl Adapter for GmoCoin {
    type Config = GmoCoinConfig;
    type Answer = Fetch<Answer>;
    const EXCHANGE: Exchange = Exchange::Gmocoin;

    fn new(config: &GmoCoinConfig) -> Result<GmoCoin, ClientError> {
        let base = base_url(config.url.url())?;
        Ok(GmoCoin {
            transport: Transport::new(std::slice::from_ref(&base), config.timeout)?,
            status_url: endpoint(&base, &["public", "v1", "status"]),
        })
    }

    async fn fetch(&self, _ask: Ask<'_>) -> Fetch<Answer> {
        self.transport
            .get(self.status_url.clone(), parse_status)
            .await
    }

    fn read(&self, answer: Fetch<Answer>, at: DateTime<Utc>, ctx: Context<'_>) -> Reading {
        classify(answer, at, &ctx)
    }

    fn requests(&self) -> usize {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::test_support::*;

    fn read(status: u16, body: &[u8]) -> Reading {
        classify(
            parse_status(status, None, body),
            t0(),
            &Before::first().ctx(),
        )
    }

    fn status_body(s: &str) -> Vec<u8> {
        format!(
            r#"{{"status":0,"data":{{"status":"{s}"}},"responsetime":"2026-12-08T05:00:00.000Z"}}"#
        )
        .into_bytes()
    }

    #[test]
    fn the_docs_sample_is_open_and_normal() {
        let body = fixture("gmocoin/public_v1_status.json");
        assert_eq!(
            parse_status(200, None, &body),
            Ok(Answer::Status("OPEN".into()))
        );
        let r = read(200, &body);
        assert_eq!(
            (r.level, r.certainty, r.reason),
            (Level::Normal, Certainty::Definite, None)
        );
    }

    #[test]
    fn maintenance_and_preopen() {
        let r = read(200, &status_body("MAINTENANCE"));
        assert_eq!(r.level, Level::Maintenance);
        assert_eq!(r.certainty, Certainty::Definite);
        let r = read(200, &status_body("PREOPEN"));
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.reason,
            Some(Reason::Status {
                status: "PREOPEN".into(),
                planned: None
            })
        );
    }

    #[test]
    fn the_error_codes_say_scheduled_or_emergency() {
        let r = read(
            200,
            &fixture("gmocoin/error_ERR-5201_maintenance.third-party.json"),
        );
        assert_eq!(r.level, Level::Maintenance);
        assert_eq!(
            r.reason,
            Some(Reason::Status {
                status: "ERR-5201".into(),
                planned: Some(true)
            })
        );
        let emergency = br#"{"status":5,"messages":[{"message_code":"ERR-5202","message_string":"MAINTENANCE"}]}"#;
        // Whatever HTTP status it comes with.
        for http in [200, 503] {
            let r = read(http, emergency);
            assert_eq!(r.level, Level::Maintenance);
            assert_eq!(
                r.reason,
                Some(Reason::Status {
                    status: "ERR-5202".into(),
                    planned: Some(false)
                })
            );
        }
    }

    #[test]
    fn too_many_requests_is_rate_limiting_not_a_level() {
        let body = br#"{"status":4,"messages":[{"message_code":"ERR-5003","message_string":"Requests are too many."}]}"#;
        assert_eq!(read(200, body).certainty, Certainty::RateLimited);
        assert_eq!(read(429, b"<html>").certainty, Certainty::RateLimited);
    }

    #[test]
    fn other_errors_and_broken_answers_are_ambiguous() {
        let r = read(
            200,
            br#"{"status":1,"messages":[{"message_code":"ERR-5008"}]}"#,
        );
        assert_eq!((r.level, r.certainty), (Level::Down, Certainty::Ambiguous));
        for (status, body) in [
            (200, &b"{\"status\":0}"[..]),
            (200, b"{\"status\":0,\"data\":{\"status\":5}}"),
            (200, b"[]"),
            (200, b"{\"status\":3}"),
            (200, b"{\"sta"),
            (502, b"<html>Bad gateway</html>"),
        ] {
            let r = read(status, body);
            assert_eq!(
                (r.level, r.certainty),
                (Level::Down, Certainty::Ambiguous),
                "{body:?}"
            );
        }
    }
}
