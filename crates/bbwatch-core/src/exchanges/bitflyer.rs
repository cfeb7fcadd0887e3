//! bitFlyer: `GET /v1/gethealth` is the exchange's health (`NORMAL`, `BUSY`, `VERY BUSY`,
//! `SUPER BUSY`, `NO ORDER`, `STOP`) and `GET /v1/getboardstate?product_code=…` each
//! product's board (`RUNNING`, `CLOSED`, `STARTING`, `PREOPEN`, `CIRCUIT BREAK`,
//! `AWAITING SQ`, `MATURED`) with its own health. Products are watched by their codes
//! (`BTC_JPY`, `FX_BTC_JPY`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde_json::Value;

use crate::exchanges::{failed, from_pairs, json_answer, word, wrong_shape, Adapter};
use crate::model::exchange::Exchange;
use crate::model::fetch::{Failure, Fetch};
use crate::model::level::{CircuitMode, Level, PairState, Restriction};
use crate::model::reading::{Certainty, Context, Reading};
use crate::model::reason::Reason;
use crate::model::source::Ask;
use crate::model::url::HttpUrl;
use crate::transport::{base_url, endpoint, ClientError, Transport};

/// The real API.
pub const DEFAULT_URL: &str = "https://api.bitflyer.com";
/// Products watched unless the user names others.
pub const DEFAULT_PRODUCTS: [&str; 3] = ["BTC_JPY", "ETH_JPY", "FX_BTC_JPY"];
/// The most products watched (one request each a poll).
pub const MAX_PRODUCTS: usize = 20;

/// What bitFlyer is watched with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitFlyerConfig {
    /// The API's base URL (`https://api.bitflyer.com`).
    pub url: HttpUrl,
    /// The products' codes, upper case.
    pub products: BTreeSet<String>,
    /// Timeout of each request.
    pub timeout: Duration,
}

/// One product's board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    /// Its health (`NORMAL`, `BUSY`, …).
    pub health: String,
    /// Its state (`RUNNING`, `CLOSED`, …).
    pub state: String,
}

/// One poll's answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The exchange's health.
    pub health: Fetch<String>,
    /// Each product's board; `None` where bitFlyer says there is no such product.
    pub boards: BTreeMap<String, Fetch<Option<Board>>>,
}

/// bitFlyer.
pub struct BitFlyer {
    transport: Transport,
    base: reqwest::Url,
    products: BTreeSet<String>,
}

/// A product code as bitFlyer writes it: `BTC_JPY`, `FX_BTC_JPY` (upper case letters, digits
/// and underscores).
pub fn check_product(code: &str) -> Result<String, String> {
    let upper = code.trim().to_ascii_uppercase();
    let ok = !upper.is_empty()
        && upper.len() <= 32
        && upper
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(upper)
    } else {
        Err(format!(
            "{code:?} is not a bitFlyer product code like \"BTC_JPY\""
        ))
    }
}

fn ok_json(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<Value> {
    let (status, value) = json_answer(status, retry_after, body)?;
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        Err(Failure::Http {
            status,
            html: false,
        })
    }
}

/// Read `gethealth`.
pub fn parse_health(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<String> {
    let value = ok_json(status, retry_after, body)?;
    value
        .get("status")
        .and_then(Value::as_str)
        .map(word)
        .ok_or_else(|| wrong_shape(status, "no status word"))
}

/// Read `getboardstate`: a 400 with bitFlyer's error body is "no such product".
pub fn parse_board(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<Option<Board>> {
    let (status, value) = json_answer(status, retry_after, body)?;
    if status == 400 && value.get("error_message").is_some() {
        return Ok(None);
    }
    if !(200..300).contains(&status) {
        return Err(Failure::Http {
            status,
            html: false,
        });
    }
    let field = |k: &str| value.get(k).and_then(Value::as_str).map(word);
    match (field("health"), field("state")) {
        (Some(health), Some(state)) => Ok(Some(Board { health, state })),
        _ => Err(wrong_shape(status, "a board without health and state")),
    }
}

/// One board's state for bbwatch.
pub fn board_state(board: &Board) -> PairState {
    match board.state.as_str() {
        "RUNNING" => match board.health.as_str() {
            "NORMAL" => PairState::Normal,
            "BUSY" => PairState::Busy,
            "VERY BUSY" | "SUPER BUSY" => PairState::VeryBusy,
            "NO ORDER" => PairState::Suspended {
                stopped: vec![Restriction::Order],
            },
            "STOP" => PairState::Halted,
            other => PairState::Other {
                status: other.to_owned(),
            },
        },
        "CLOSED" => PairState::Halted,
        "CIRCUIT BREAK" => PairState::CircuitBreak {
            mode: CircuitMode::CircuitBreak,
            reopen_at: None,
        },
        other => PairState::Other {
            status: other.to_owned(),
        },
    }
}

/// What one poll says (pure): the health's `STOP` is maintenance; every product `CLOSED`
/// is maintenance; a product not running normally is degraded, as is an exchange too busy
/// to take orders. A matured future is not watched (it never trades again).
pub fn classify(answer: Answer, at: DateTime<Utc>, ctx: &Context<'_>) -> Reading {
    let failures = std::iter::once(answer.health.as_ref().err())
        .chain(answer.boards.values().map(|b| b.as_ref().err()))
        .flatten();
    if let Some(limited) = failures
        .filter(|f| f.is_rate_limited())
        .max_by_key(|f| match f {
            Failure::RateLimited { retry_after } => *retry_after,
            _ => None,
        })
    {
        return failed(at, ctx, limited.clone());
    }
    let health = match answer.health {
        Ok(h) => h,
        Err(failure) => return failed(at, ctx, failure),
    };
    // No board answered: the exchange's API is failing, as the first board's request says.
    let mut failures = answer.boards.values().filter_map(|b| b.as_ref().err());
    if let Some(first) = failures.next() {
        if failures.count() + 1 == answer.boards.len() {
            return failed(at, ctx, first.clone());
        }
    }
    let mut pairs = BTreeMap::new();
    let mut excused = BTreeSet::new();
    for (product, board) in &answer.boards {
        let state = match board {
            Ok(Some(board)) => {
                if board.state == "MATURED" {
                    excused.insert(product.clone());
                }
                board_state(board)
            }
            Ok(None) => PairState::Unknown,
            // This product's request failed: as it was.
            Err(_) => ctx.previous.get(product).cloned().unwrap_or_default(),
        };
        pairs.insert(product.clone(), state);
    }
    let watched = Some(answer.boards.keys().cloned().collect());
    let read = from_pairs(at, ctx, pairs, watched, excused);
    let said = Reason::Status {
        status: health.clone(),
        planned: None,
    };
    match health.as_str() {
        "STOP" => Reading {
            level: Level::Maintenance,
            reason: Some(said),
            ..read
        },
        "NORMAL" | "BUSY" | "VERY BUSY" => read,
        // SUPER BUSY, NO ORDER and anything new: orders are not going through.
        _ if read.level == Level::Normal => Reading {
            level: Level::Degraded,
            certainty: Certainty::Definite,
            reason: Some(said),
            ..read
        },
        _ => read,
    }
}

impl Adapter for BitFlyer {
    type Config = BitFlyerConfig;
    type Answer = Answer;
    const EXCHANGE: Exchange = Exchange::Bitflyer;

    fn new(config: &BitFlyerConfig) -> Result<BitFlyer, ClientError> {
        let base = base_url(config.url.url())?;
        Ok(BitFlyer {
            transport: Transport::new(std::slice::from_ref(&base), config.timeout)?,
            products: config.products.iter().take(MAX_PRODUCTS).cloned().collect(),
            base,
        })
    }

    async fn fetch(&self, _ask: Ask<'_>) -> Answer {
        let health = self
            .transport
            .get(endpoint(&self.base, &["v1", "gethealth"]), parse_health);
        let boards = join_all(self.products.iter().map(|product| async move {
            let mut url = endpoint(&self.base, &["v1", "getboardstate"]);
            url.query_pairs_mut().append_pair("product_code", product);
            (product.clone(), self.transport.get(url, parse_board).await)
        }));
        let (health, boards) = tokio::join!(health, boards);
        Answer {
            health,
            boards: boards.into_iter().collect(),
        }
    }

    fn read(&self, answer: Answer, at: DateTime<Utc>, ctx: Context<'_>) -> Reading {
        classify(answer, at, &ctx)
    }

    fn requests(&self) -> usize {
        1 + self.products.len()
    }

    fn unlisted(&self, answer: &Answer) -> Vec<String> {
        answer
            .boards
            .iter()
            .filter(|(_, b)| matches!(b, Ok(None)))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::test_support::*;

    fn board(health: &str, state: &str) -> Fetch<Option<Board>> {
        Ok(Some(Board {
            health: health.into(),
            state: state.into(),
        }))
    }

    fn answer(health: &str, boards: &[(&str, Fetch<Option<Board>>)]) -> Answer {
        Answer {
            health: Ok(health.into()),
            boards: boards
                .iter()
                .map(|(p, b)| (p.to_string(), b.clone()))
                .collect(),
        }
    }

    fn read(a: Answer) -> Reading {
        classify(a, t0(), &Before::first().ctx())
    }

    #[test]
    fn the_docs_samples_read() {
        assert_eq!(
            parse_health(200, None, &fixture("bitflyer/v1_gethealth.json")),
            Ok("NORMAL".into())
        );
        let running = parse_board(
            200,
            None,
            &fixture("bitflyer/v1_getboardstate_running.json"),
        );
        assert_eq!(running, board("NORMAL", "RUNNING"));
        let matured = parse_board(
            200,
            None,
            &fixture("bitflyer/v1_getboardstate_matured.json"),
        );
        assert_eq!(matured, board("NORMAL", "MATURED"));
        let r = read(answer(
            "NORMAL",
            &[("BTC_JPY", running), ("BTC_JPY_X", matured)],
        ));
        assert_eq!(r.level, Level::Normal, "a matured future is excused: {r:?}");
        assert!(r.excused.contains("BTC_JPY_X"));
    }

    #[test]
    fn stop_or_every_board_closed_is_maintenance() {
        let r = read(answer("STOP", &[("BTC_JPY", board("STOP", "CLOSED"))]));
        assert_eq!(r.level, Level::Maintenance);
        assert_eq!(
            r.reason,
            Some(Reason::Status {
                status: "STOP".into(),
                planned: None
            })
        );
        let r = read(answer(
            "NORMAL",
            &[
                ("BTC_JPY", board("NORMAL", "CLOSED")),
                ("ETH_JPY", board("NORMAL", "CLOSED")),
            ],
        ));
        assert_eq!(
            (r.level, r.reason),
            (Level::Maintenance, Some(Reason::AllPairsHalted))
        );
    }

    #[test]
    fn a_product_in_trouble_is_degraded() {
        let r = read(answer(
            "NORMAL",
            &[
                ("BTC_JPY", board("NORMAL", "RUNNING")),
                ("FX_BTC_JPY", board("NORMAL", "CIRCUIT BREAK")),
            ],
        ));
        assert_eq!(r.level, Level::Degraded);
        assert!(matches!(
            r.pairs["FX_BTC_JPY"],
            PairState::CircuitBreak { .. }
        ));
        let r = read(answer(
            "NORMAL",
            &[("BTC_JPY", board("VERY BUSY", "RUNNING"))],
        ));
        assert_eq!(r.pairs["BTC_JPY"], PairState::VeryBusy);
        let r = read(answer(
            "NO ORDER",
            &[("BTC_JPY", board("NORMAL", "RUNNING"))],
        ));
        assert_eq!(r.level, Level::Degraded);
        let r = read(answer("BUSY", &[("BTC_JPY", board("NORMAL", "RUNNING"))]));
        assert_eq!(r.level, Level::Normal);
    }

    #[test]
    fn an_unknown_product_is_unlisted_not_down() {
        let body = br#"{"status":-156,"error_message":"Invalid product","data":null}"#;
        assert_eq!(parse_board(400, None, body), Ok(None));
        let r = read(answer(
            "NORMAL",
            &[("BTC_JPY", board("NORMAL", "RUNNING")), ("NOPE", Ok(None))],
        ));
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.pairs["NOPE"], PairState::Unknown);
    }

    #[test]
    fn failures_rate_limits_and_bad_answers() {
        let r = read(Answer {
            health: Err(Failure::Timeout),
            boards: BTreeMap::new(),
        });
        assert_eq!(
            (r.level, r.certainty),
            (Level::Unreachable, Certainty::Ambiguous)
        );
        let r = read(answer(
            "NORMAL",
            &[("BTC_JPY", Err(Failure::RateLimited { retry_after: None }))],
        ));
        assert_eq!(r.certainty, Certainty::RateLimited);
        let r = read(answer(
            "NORMAL",
            &[(
                "BTC_JPY",
                Err(Failure::Http {
                    status: 502,
                    html: true,
                }),
            )],
        ));
        assert_eq!((r.level, r.certainty), (Level::Down, Certainty::Ambiguous));
        for (status, body) in [
            (200, &b"{}"[..]),
            (200, b"{\"status\":1}"),
            (500, b"{\"status\":\"NORMAL\"}"),
            (200, b"<html>"),
        ] {
            assert!(parse_health(status, None, body).is_err(), "{body:?}");
        }
        assert!(parse_board(200, None, b"{\"health\":\"NORMAL\"}").is_err());
        assert!(parse_board(503, None, b"{\"error_message\":\"x\"}").is_err());
    }

    #[test]
    fn product_codes() {
        assert_eq!(check_product("fx_btc_jpy"), Ok("FX_BTC_JPY".into()));
        assert!(check_product("BTC/JPY").is_err());
        assert!(check_product("").is_err());
    }
}
