//! Coincheck: `GET /api/exchange_status` lists every pair with `available`, `itayose` (a
//! call auction, as after a stop) or `stop`, and which operations are available (`order`,
//! `market_order`, `cancel`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::exchanges::{failed, from_pairs, json_answer, reading, word, wrong_shape, Adapter};
use crate::model::exchange::Exchange;
use crate::model::fetch::{Failure, Fetch};
use crate::model::level::{Level, PairState, Restriction};
use crate::model::pair::{check_pair_name, MAX_WATCHED_PAIRS};
use crate::model::reading::{Certainty, Context, Reading};
use crate::model::reason::Reason;
use crate::model::source::Ask;
use crate::model::url::HttpUrl;
use crate::transport::{base_url, endpoint, ClientError, Transport};

/// The real API.
pub const DEFAULT_URL: &str = "https://coincheck.com";
/// Entries read from one answer at most (Coincheck lists a few dozen pairs).
const MAX_ENTRIES: usize = 1000;

/// What Coincheck is watched with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoincheckConfig {
    /// The site's base URL (`https://coincheck.com`).
    pub url: HttpUrl,
    /// Watched pairs; `None` for those available at the first answer.
    pub pairs: Option<BTreeSet<String>>,
    /// Timeout of each request.
    pub timeout: Duration,
}

/// One pair's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// e.g. `btc_jpy`.
    pub pair: String,
    /// `available`, `itayose`, `stop`.
    pub status: String,
    /// Whether orders can be placed.
    pub order: bool,
    /// Whether market orders can be placed.
    pub market_order: bool,
    /// Whether orders can be cancelled.
    pub cancel: bool,
}

/// Coincheck.
pub struct Coincheck {
    transport: Transport,
    status_url: reqwest::Url,
    pairs: Option<BTreeSet<String>>,
}

/// Read `exchange_status`: entries that do not parse are skipped; none parsing is a failure.
pub fn parse_status(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<Vec<Entry>> {
    let (status, value) = json_answer(status, retry_after, body)?;
    if !(200..300).contains(&status) {
        return Err(Failure::Http {
            status,
            html: false,
        });
    }
    let list = value
        .get("exchange_status")
        .and_then(Value::as_array)
        .ok_or_else(|| wrong_shape(status, "no exchange_status list"))?;
    let entries: Vec<Entry> = list.iter().take(MAX_ENTRIES).filter_map(entry).collect();
    if entries.is_empty() {
        return Err(wrong_shape(status, "no pair in exchange_status"));
    }
    Ok(entries)
}

fn entry(v: &Value) -> Option<Entry> {
    let pair = v.get("pair")?.as_str()?;
    check_pair_name(pair).ok()?;
    let status = word(v.get("status")?.as_str()?);
    // Absent flags follow the status: all on when available.
    let on = status == "available";
    let flag = |k: &str| {
        v.pointer(&format!("/availability/{k}"))
            .and_then(Value::as_bool)
            .unwrap_or(on)
    };
    Some(Entry {
        pair: pair.to_owned(),
        order: flag("order"),
        market_order: flag("market_order"),
        cancel: flag("cancel"),
        status,
    })
}

/// One pair's state for bbwatch.
pub fn pair_state(e: &Entry) -> PairState {
    match e.status.as_str() {
        "stop" => PairState::Halted,
        "available" => {
            let stopped = if !e.order && !e.cancel {
                vec![Restriction::OrderAndCancel]
            } else {
                let mut s = Vec::new();
                if !e.order {
                    s.push(Restriction::Order);
                }
                if !e.market_order {
                    s.push(Restriction::MarketOrder);
                }
                if !e.cancel {
                    s.push(Restriction::OrderAndCancel);
                }
                s
            };
            if stopped.is_empty() {
                PairState::Normal
            } else {
                PairState::Suspended { stopped }
            }
        }
        other => PairState::Other {
            status: other.to_owned(),
        },
    }
}

/// What one answer says (pure): every watched pair stopped is maintenance; a pair not
/// trading freely is degraded. Without a watch list, the pairs available now are watched.
pub fn classify(answer: Fetch<Vec<Entry>>, at: DateTime<Utc>, ctx: &Context<'_>) -> Reading {
    let entries = match answer {
        Ok(e) => e,
        Err(failure) => return failed(at, ctx, failure),
    };
    if entries.iter().all(|e| e.status == "stop") {
        // Every pair it lists is stopped: the exchange is, whatever is watched (and a watch
        // list of the pairs available now would be empty).
        return reading(
            at,
            ctx,
            Level::Maintenance,
            Certainty::Definite,
            Some(Reason::AllPairsHalted),
        );
    }
    let by_pair: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.pair.as_str(), e)).collect();
    let watched: BTreeSet<String> = match ctx.watched {
        Some(w) => w.clone(),
        None => entries
            .iter()
            .filter(|e| pair_state(e).is_normal())
            .map(|e| e.pair.clone())
            .take(MAX_WATCHED_PAIRS)
            .collect(),
    };
    let pairs = watched
        .iter()
        .map(|p| {
            let state = by_pair
                .get(p.as_str())
                .map_or(PairState::Unknown, |e| pair_state(e));
            (p.clone(), state)
        })
        .collect();
    from_pairs(at, ctx, pairs, Some(watched), BTreeSet::new())
}

impl Adapter for Coincheck {
    type Config = CoincheckConfig;
    type Answer = Fetch<Vec<Entry>>;
    const EXCHANGE: Exchange = Exchange::Coincheck;

    fn new(config: &CoincheckConfig) -> Result<Coincheck, ClientError> {
        let base = base_url(config.url.url())?;
        Ok(Coincheck {
            transport: Transport::new(std::slice::from_ref(&base), config.timeout)?,
            status_url: endpoint(&base, &["api", "exchange_status"]),
            pairs: config.pairs.clone(),
        })
    }

    async fn fetch(&self, _ask: Ask<'_>) -> Fetch<Vec<Entry>> {
        self.transport
            .get(self.status_url.clone(), parse_status)
            .await
    }

    fn read(&self, answer: Fetch<Vec<Entry>>, at: DateTime<Utc>, ctx: Context<'_>) -> Reading {
        classify(answer, at, &ctx)
    }

    fn requests(&self) -> usize {
        1
    }

    fn unlisted(&self, answer: &Fetch<Vec<Entry>>, _ctx: Context<'_>) -> Vec<String> {
        match answer {
            Ok(entries) => crate::model::unlisted::Unlisted::missing(
                self.pairs.as_ref(),
                entries.iter().map(|e| e.pair.as_str()),
            ),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::test_support::*;

    fn body(entries: &[(&str, &str)]) -> Vec<u8> {
        let list: Vec<String> = entries
            .iter()
            .map(|(p, s)| format!(r#"{{"pair":"{p}","status":"{s}","timestamp":1700000000}}"#))
            .collect();
        format!(r#"{{"exchange_status":[{}]}}"#, list.join(",")).into_bytes()
    }

    fn read(b: &[u8], watched: Option<&[&str]>) -> Reading {
        let mut before = Before::first();
        before.watched = watched.map(|w| w.iter().map(|p| p.to_string()).collect());
        classify(parse_status(200, None, b), t0(), &before.ctx())
    }

    #[test]
    fn the_sample_watches_what_is_available() {
        let entries = parse_status(
            200,
            None,
            &fixture("coincheck/api_exchange_status.constructed.json"),
        )
        .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(pair_state(&entries[0]), PairState::Normal);
        assert_eq!(
            pair_state(&entries[1]),
            PairState::Other {
                status: "itayose".into()
            }
        );
        assert_eq!(pair_state(&entries[2]), PairState::Halted);
        let r = read(
            &fixture("coincheck/api_exchange_status.constructed.json"),
            None,
        );
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.watched, Some(["btc_jpy".to_string()].into()));
        let r = read(
            &fixture("coincheck/api_exchange_status.constructed.json"),
            Some(&["btc_jpy", "mona_jpy"]),
        );
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.reason,
            Some(Reason::Pairs(vec![("mona_jpy".into(), PairState::Halted)]))
        );
    }

    #[test]
    fn every_watched_pair_stopped_is_maintenance() {
        let all_stop = body(&[("btc_jpy", "stop"), ("eth_jpy", "stop")]);
        let r = read(&all_stop, Some(&["btc_jpy", "eth_jpy"]));
        assert_eq!(
            (r.level, r.certainty),
            (Level::Maintenance, Certainty::Definite)
        );
        assert_eq!(r.reason, Some(Reason::AllPairsHalted));
    }

    #[test]
    fn availability_flags_are_restrictions() {
        let e = |order, market_order, cancel| Entry {
            pair: "btc_jpy".into(),
            status: "available".into(),
            order,
            market_order,
            cancel,
        };
        assert_eq!(pair_state(&e(true, true, true)), PairState::Normal);
        assert_eq!(
            pair_state(&e(true, false, true)),
            PairState::Suspended {
                stopped: vec![Restriction::MarketOrder]
            }
        );
        assert_eq!(
            pair_state(&e(false, false, false)),
            PairState::Suspended {
                stopped: vec![Restriction::OrderAndCancel]
            }
        );
    }

    #[test]
    fn bad_answers_are_failures_and_bad_entries_are_skipped() {
        let observed = fixture("coincheck/error_invalid_pair.observed.json");
        assert!(matches!(
            parse_status(400, None, &observed),
            Err(Failure::Http { status: 400, .. })
        ));
        for bad in [
            &b"{}"[..],
            b"{\"exchange_status\":[]}",
            b"{\"exchange_status\":[1,{}]}",
            b"[",
            b"null",
        ] {
            assert!(parse_status(200, None, bad).is_err(), "{bad:?}");
        }
        let mixed = br#"{"exchange_status":[{"pair":"BTC/JPY","status":"available"},{"pair":"eth_jpy","status":"available"},{"pair":"x_jpy"}]}"#;
        let entries = parse_status(200, None, mixed).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].pair, "eth_jpy");
    }

    #[test]
    fn a_watched_pair_not_listed_is_unknown_and_said() {
        let r = read(
            &body(&[("btc_jpy", "available")]),
            Some(&["btc_jpy", "nope_jpy"]),
        );
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.pairs["nope_jpy"], PairState::Unknown);
    }
}
