//! The other Japanese exchanges bbwatch can watch besides bitbank, each an [`Adapter`] polled
//! over REST through one [`Source`] ([`Rest`]). Each adapter's reading is pure: the answer
//! and the time are passed in, so its rules are tested without a network.
//!
//! What they have in common with bitbank's rules: an explicit signal (a maintenance status
//! or code, every watched pair stopped) is definite; a failure without the exchange's own
//! answer is ambiguous (a blip until it repeats), `unreachable` when nothing answered (a
//! timeout, a refused connection) and `down` when something did but not the API (an error
//! page, a body that is not its JSON); rate limiting changes no level.

pub mod bitflyer;
pub mod coincheck;
pub mod gmocoin;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::exchange::Exchange;
use crate::model::fetch::{Failure, Fetch, Host};
use crate::model::level::{Level, PairState};
use crate::model::reading::{pairs_level, Certainty, Context, Reading};
use crate::model::reason::Reason;
use crate::model::sanitize;
use crate::model::source::{Ask, Assets, Polled, Pushed, Source, SourceState};
use crate::model::unlisted::Unlisted;
use crate::transport::{looks_like_html, parse_retry_after, ClientError};

/// The longest status word kept from an exchange (characters).
const MAX_WORD: usize = 32;

/// One exchange's REST API: what to ask, and how to read the answer.
pub trait Adapter: Sized + Send + Sync {
    /// What it is configured with (its URL, products or pairs, the timeout).
    type Config: Clone + PartialEq + std::fmt::Debug + Send + Sync;
    /// One poll's answers, before they are read.
    type Answer: Send;
    /// Which exchange it is.
    const EXCHANGE: Exchange;

    /// An adapter for `config` (its HTTP client built).
    fn new(config: &Self::Config) -> Result<Self, ClientError>;

    /// Ask the exchange; `ask.watched` is the watch list the detector holds.
    fn fetch(&self, ask: Ask<'_>) -> impl Future<Output = Self::Answer> + Send;

    /// Read an answer of a poll started `at`, in the detector's context (pure).
    fn read(&self, answer: Self::Answer, at: DateTime<Utc>, ctx: Context<'_>) -> Reading;

    /// How many requests a poll makes (to pace polling during a maintenance).
    fn requests(&self) -> usize;

    /// The configured names the answer did not list.
    fn unlisted(&self, _answer: &Self::Answer) -> Vec<String> {
        Vec::new()
    }
}

/// An exchange polled over REST, nothing pushed between polls.
pub struct Rest<A: Adapter> {
    adapter: A,
    config: A::Config,
    unlisted: Unlisted,
}

impl<A: Adapter> Rest<A> {
    /// The exchange with `config`.
    pub fn new(config: A::Config) -> Result<Rest<A>, ClientError> {
        Ok(Rest {
            adapter: A::new(&config)?,
            config,
            unlisted: Unlisted::default(),
        })
    }
}

impl<A: Adapter> Source for Rest<A> {
    type Config = A::Config;
    type Answer = (DateTime<Utc>, A::Answer);
    type Push = ();

    fn exchange(&self) -> Exchange {
        A::EXCHANGE
    }

    fn start(&mut self) {}

    fn fetch(&mut self, ask: Ask<'_>) -> impl Future<Output = Self::Answer> + Send {
        let at = Utc::now();
        let answer = self.adapter.fetch(ask);
        async move { (at, answer.await) }
    }

    fn assets(&self) -> Assets {
        Assets::Off
    }

    fn read(&mut self, (at, answer): Self::Answer, ctx: Context<'_>, _took: Duration) -> Polled {
        self.unlisted.pairs = self.adapter.unlisted(&answer);
        Polled {
            reading: self.adapter.read(answer, at, ctx),
            requests: self.adapter.requests(),
        }
    }

    async fn next_push(&mut self) {
        std::future::pending::<()>().await;
    }

    fn take(&mut self, (): (), _ctx: Context<'_>) -> Pushed {
        Pushed::Nothing
    }

    fn watching(&mut self, _watched: Option<&BTreeSet<String>>) {}

    fn apply(&mut self, config: &A::Config) -> bool {
        if *config == self.config {
            return false;
        }
        match A::new(config) {
            Ok(adapter) => {
                self.adapter = adapter;
                self.config = config.clone();
                true
            }
            Err(e) => {
                // The settings were checked when read; keep polling with the old ones.
                tracing::warn!(exchange = %A::EXCHANGE, "{e}; keeping the previous settings");
                false
            }
        }
    }

    fn state(&self) -> SourceState {
        SourceState {
            unlisted: self.unlisted.clone(),
            ..SourceState::default()
        }
    }
}

/// A status word from an exchange, made safe and short.
pub(crate) fn word(s: &str) -> String {
    let mut w: String = sanitize::line(s.trim()).chars().take(MAX_WORD).collect();
    if w.is_empty() {
        w.push('?');
    }
    w
}

/// A JSON answer, whatever its HTTP status (an exchange's error body is JSON too); a body
/// that is not JSON is a failure: rate limited with 429, an error page when not a success or
/// when HTML, else malformed.
pub(crate) fn json_answer(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Fetch<(u16, Value)> {
    if status == 429 {
        return Err(Failure::RateLimited {
            retry_after: retry_after.and_then(parse_retry_after),
        });
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok((status, v)),
        Err(e) => {
            let html = looks_like_html(body);
            Err(if (200..300).contains(&status) && !html {
                Failure::Malformed {
                    status,
                    detail: format!("not JSON: {}", sanitize::text(&e.to_string())),
                }
            } else {
                Failure::Http { status, html }
            })
        }
    }
}

/// A JSON answer that is not the shape expected.
pub(crate) fn wrong_shape(status: u16, what: &str) -> Failure {
    Failure::Malformed {
        status,
        detail: format!("unexpected JSON: {what}"),
    }
}

/// A reading of `level` at `at`, the pairs as before unless given.
pub(crate) fn reading(
    at: DateTime<Utc>,
    ctx: &Context<'_>,
    level: Level,
    certainty: Certainty,
    reason: Option<Reason>,
) -> Reading {
    Reading {
        at,
        level,
        certainty,
        reason,
        pairs: ctx.previous.clone(),
        watched: ctx.watched.cloned(),
        excused: ctx.excused.clone(),
        retry_after: None,
        assets: None,
    }
}

/// What a failed request says: rate limited (no level), `unreachable` when nothing answered,
/// `down` when something did that was not the API. Ambiguous either way.
pub(crate) fn failed(at: DateTime<Utc>, ctx: &Context<'_>, failure: Failure) -> Reading {
    if let Failure::RateLimited { retry_after } = failure {
        return Reading {
            retry_after,
            ..reading(at, ctx, Level::Unknown, Certainty::RateLimited, None)
        };
    }
    let level = match failure {
        Failure::Timeout | Failure::Network { .. } => Level::Unreachable,
        _ => Level::Down,
    };
    let reason = Reason::HostFailed {
        failures: vec![(Host::Api, failure)],
    };
    reading(at, ctx, level, Certainty::Ambiguous, Some(reason))
}

/// The level the watched pairs point to ([`pairs_level`]), definite.
pub(crate) fn from_pairs(
    at: DateTime<Utc>,
    ctx: &Context<'_>,
    pairs: BTreeMap<String, PairState>,
    watched: Option<BTreeSet<String>>,
    excused: BTreeSet<String>,
) -> Reading {
    let (level, reason) = pairs_level(&pairs, &excused);
    Reading {
        pairs,
        watched,
        excused,
        ..reading(at, ctx, level, Certainty::Definite, reason)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::{BTreeMap, BTreeSet, Context, DateTime, PairState, Utc};
    use chrono::TimeZone;

    /// A fixed time.
    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 8, 5, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// The empty context of a first poll.
    pub(crate) struct Before {
        pub(crate) excused: BTreeSet<String>,
        pub(crate) previous: BTreeMap<String, PairState>,
        pub(crate) watched: Option<BTreeSet<String>>,
    }

    impl Before {
        pub(crate) fn first() -> Before {
            Before {
                excused: BTreeSet::new(),
                previous: BTreeMap::new(),
                watched: None,
            }
        }

        pub(crate) fn ctx(&self) -> Context<'_> {
            Context {
                watched: self.watched.as_ref(),
                excused: &self.excused,
                previous: &self.previous,
            }
        }
    }

    /// A fixture of the other exchanges (copied from the official docs and probes).
    pub(crate) fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/exchanges/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{t0, Before};
    use super::{
        failed, from_pairs, json_answer, word, BTreeMap, BTreeSet, Certainty, Duration, Failure,
        Level, PairState, Reason, MAX_WORD,
    };

    #[test]
    fn nothing_answering_is_unreachable_an_error_page_is_down() {
        let before = Before::first();
        let r = failed(t0(), &before.ctx(), Failure::Timeout);
        assert_eq!(
            (r.level, r.certainty),
            (Level::Unreachable, Certainty::Ambiguous)
        );
        let r = failed(
            t0(),
            &before.ctx(),
            Failure::Http {
                status: 503,
                html: true,
            },
        );
        assert_eq!((r.level, r.certainty), (Level::Down, Certainty::Ambiguous));
        let r = failed(
            t0(),
            &before.ctx(),
            Failure::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
            },
        );
        assert_eq!(r.certainty, Certainty::RateLimited);
        assert_eq!(r.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn bodies_that_are_not_json_are_told_apart() {
        assert!(matches!(
            json_answer(503, None, b"<html>bad gateway</html>"),
            Err(Failure::Http {
                status: 503,
                html: true
            })
        ));
        assert!(matches!(
            json_answer(200, None, b"{\"status\":"),
            Err(Failure::Malformed { status: 200, .. })
        ));
        assert!(matches!(
            json_answer(429, Some("3"), b"{}"),
            Err(Failure::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(3)
        ));
        assert!(json_answer(400, None, b"{\"error\":1}").is_ok());
    }

    #[test]
    fn words_are_short_and_safe() {
        assert_eq!(word(" MAINTENANCE "), "MAINTENANCE");
        assert_eq!(word(""), "?");
        assert!(!word("A\u{1b}[31mB").contains('\u{1b}'));
        assert!(word(&"X".repeat(1000)).chars().count() <= MAX_WORD);
    }

    #[test]
    fn every_watched_pair_stopped_is_maintenance() {
        let before = Before::first();
        let pairs: BTreeMap<String, PairState> = [
            ("a_jpy".to_string(), PairState::Halted),
            ("b_jpy".to_string(), PairState::Halted),
        ]
        .into();
        let r = from_pairs(t0(), &before.ctx(), pairs.clone(), None, BTreeSet::new());
        assert_eq!(r.level, Level::Maintenance);
        let excused: BTreeSet<String> = ["b_jpy".to_string()].into();
        let mut some = pairs;
        some.insert("b_jpy".into(), PairState::Normal);
        let r = from_pairs(t0(), &before.ctx(), some.clone(), None, BTreeSet::new());
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.reason,
            Some(Reason::Pairs(vec![("a_jpy".into(), PairState::Halted)]))
        );
        some.insert("a_jpy".into(), PairState::Normal);
        let r = from_pairs(t0(), &before.ctx(), some, None, excused);
        assert_eq!(r.level, Level::Normal);
    }
}
