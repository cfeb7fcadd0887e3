//! The public host's candles and order books: `GET /{pair}/candlestick/{type}/{period}` and
//! `GET /{pair}/depth`, drawn from the same wobbling price as the tickers ([`price_at`]).
//!
//! Enough for a ccxt-based bot (freqtrade in dry-run) to load its candles and price its
//! orders against the simulator.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::market::{envelope, fixed, price_at, pricing, MarketView, Pair};

/// Price levels on each side of a book.
const BOOK_LEVELS: u32 = 20;
/// The gap between two levels of a book, as a share of the price (0.01 %).
const BOOK_STEP: f64 = 0.0001;
/// Rough JPY value of each level of a book.
const LEVEL_JPY: f64 = 100_000.0;
/// Rough JPY value traded in one minute (a candle's volume scales with its length).
const MINUTE_JPY: f64 = 3_000_000.0;

/// A candle type of bitbank's candlestick endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CandleType {
    /// A fixed length in minutes (`1min` … `1week`).
    Minutes(i64),
    /// A calendar month (`1month`).
    Month,
}

impl CandleType {
    /// The type named `name` in a URL, and whether its period is a day (`YYYYMMDD`) rather
    /// than a year (`YYYY`), as bitbank documents.
    fn from_name(name: &str) -> Option<(CandleType, bool)> {
        let minutes = |m| CandleType::Minutes(m);
        Some(match name {
            "1min" => (minutes(1), true),
            "5min" => (minutes(5), true),
            "15min" => (minutes(15), true),
            "30min" => (minutes(30), true),
            "1hour" => (minutes(60), true),
            "4hour" => (minutes(240), false),
            "8hour" => (minutes(480), false),
            "12hour" => (minutes(720), false),
            "1day" => (minutes(1440), false),
            "1week" => (minutes(10_080), false),
            "1month" => (CandleType::Month, false),
            _ => return None,
        })
    }
}

/// Start (inclusive) and end (exclusive) of `period`: a UTC day `YYYYMMDD` or year `YYYY`.
fn period_bounds(period: &str, daily: bool) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !period.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (start, end) = if daily {
        if period.len() != 8 {
            return None;
        }
        let day = NaiveDate::parse_from_str(period, "%Y%m%d").ok()?;
        (day, day.succ_opt()?)
    } else {
        if period.len() != 4 {
            return None;
        }
        let year: i32 = period.parse().ok()?;
        (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        )
    };
    let utc = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    Some((utc(start)?, utc(end)?))
}

/// The start of each candle of `kind` from `start` until `end` or `now_ms`, whichever comes
/// first (the candle under way included, as bitbank serves it), and the candle's length.
fn candle_starts(
    kind: CandleType,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now_ms: i64,
) -> Vec<(i64, i64)> {
    let last = end.timestamp_millis().min(now_ms.saturating_add(1));
    let mut starts = Vec::new();
    match kind {
        CandleType::Minutes(minutes) => {
            let step = minutes * 60_000;
            // Weeks and days line up on the epoch, as every fixed length does here.
            let first = start.timestamp_millis().div_euclid(step) * step;
            let mut at = if first < start.timestamp_millis() {
                first + step
            } else {
                first
            };
            while at < last {
                starts.push((at, step));
                at += step;
            }
        }
        CandleType::Month => {
            let mut month = start.date_naive().with_day(1);
            while let Some(m) = month {
                let next = m.checked_add_months(chrono::Months::new(1));
                let (Some(from), Some(to)) = (
                    m.and_hms_opt(0, 0, 0),
                    next.and_then(|n| n.and_hms_opt(0, 0, 0)),
                ) else {
                    break;
                };
                let (from, to) = (
                    from.and_utc().timestamp_millis(),
                    to.and_utc().timestamp_millis(),
                );
                if from >= last {
                    break;
                }
                starts.push((from, to - from));
                month = next;
            }
        }
    }
    starts
}

#[derive(Serialize)]
struct Candlestick {
    #[serde(rename = "type")]
    kind: String,
    /// `[open, high, low, close, volume, start ms]`, strings but for the time.
    ohlcv: Vec<(String, String, String, String, String, i64)>,
}

#[derive(Serialize)]
struct Candles {
    candlestick: Vec<Candlestick>,
    timestamp: i64,
}

#[derive(Serialize)]
struct Depth {
    asks: Vec<(String, String)>,
    bids: Vec<(String, String)>,
    asks_over: String,
    bids_under: String,
    asks_under: String,
    bids_over: String,
    ask_market: Option<String>,
    bid_market: Option<String>,
    timestamp: i64,
    #[serde(rename = "sequenceId")]
    sequence_id: String,
}

impl MarketView<'_> {
    /// Body of `GET /{pair}/candlestick/{kind}/{period}`, or `None` for a type or period bitbank
    /// would not serve (answered as its unknown URL).
    pub fn candlestick(
        &self,
        pair: &Pair,
        kind: &str,
        period: &str,
    ) -> Option<Result<String, serde_json::Error>> {
        let (candle, daily) = CandleType::from_name(kind)?;
        let (start, end) = period_bounds(period, daily)?;
        // ccxt asks for the day its `since` falls in and takes that day's candles only: a bot
        // whose `since` (its last candle, or its lookback) is before midnight would never get a
        // newer one. The simulator lets yesterday's run on to now, so a dry-run bot (the
        // freqtrade test, whose lookback reaches back hours) works at any time of day (UTC);
        // bitbank itself ends a day at midnight.
        let end = if daily {
            DateTime::from_timestamp_millis(self.now_ms)
                .filter(|now| *now > end && *now - end < chrono::Duration::days(1))
                .unwrap_or(end)
        } else {
            end
        };
        let p = pricing(pair);
        let d = p.price_digits;
        let ohlcv = if pair.delisted {
            // A long-delisted pair has no trades.
            Vec::new()
        } else {
            candle_starts(candle, start, end, self.now_ms)
                .into_iter()
                .map(|(at, length)| {
                    let close_at = (at + length - 1).min(self.now_ms);
                    let (open, close) = (price_at(pair, at), price_at(pair, close_at));
                    let middle = price_at(pair, at + (close_at - at) / 2);
                    let high = open.max(close).max(middle) * 1.0005;
                    let low = open.min(close).min(middle) * 0.9995;
                    let volume = MINUTE_JPY / p.jpy_value * (length as f64 / 60_000.0);
                    (
                        fixed(open, d),
                        fixed(high, d),
                        fixed(low, d),
                        fixed(close, d),
                        fixed(volume, p.amount_digits),
                        at,
                    )
                })
                .collect()
        };
        Some(envelope(Candles {
            candlestick: vec![Candlestick {
                kind: kind.to_string(),
                ohlcv,
            }],
            timestamp: self.now_ms,
        }))
    }

    /// Body of `GET /{pair}/depth`: [`BOOK_LEVELS`] levels each side around the last price;
    /// empty sides for a pair that does not trade.
    pub fn depth(&self, pair: &Pair) -> Result<String, serde_json::Error> {
        let p = pricing(pair);
        let last = price_at(pair, self.now_ms);
        let amount = fixed(LEVEL_JPY / p.jpy_value, p.amount_digits);
        let side = |sign: f64| -> Vec<(String, String)> {
            if self.is_suspended(pair) {
                return Vec::new();
            }
            (1..=BOOK_LEVELS)
                .map(|i| {
                    let price = last * (1.0 + sign * BOOK_STEP * f64::from(i));
                    (fixed(price, p.price_digits), amount.clone())
                })
                .collect()
        };
        envelope(Depth {
            asks: side(1.0),
            bids: side(-1.0),
            asks_over: "0".into(),
            bids_under: "0".into(),
            asks_under: "0".into(),
            bids_over: "0".into(),
            ask_market: None,
            bid_market: None,
            timestamp: self.now_ms,
            sequence_id: self.now_ms.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::find;
    use crate::phase::Phase;

    /// 2026-12-07T10:30:30Z
    const NOW: i64 = 1_796_639_430_000;

    fn view(phase: &Phase) -> MarketView<'_> {
        MarketView {
            phase,
            now_ms: NOW,
            phase_start_ms: NOW - 10_000,
            speed: 1.0,
        }
    }

    #[test]
    fn yesterdays_minutes_run_on_to_now() {
        let phase = Phase::default();
        let mut v = view(&phase);
        let count = |v: &MarketView<'_>| {
            json(v.candlestick(find("btc_jpy").unwrap(), "1min", "20261206"))["data"]["candlestick"]
                [0]["ohlcv"]
                .as_array()
                .unwrap()
                .len()
        };
        // 00:10:30 on the 7th: the 6th's 1 440 minutes and ten and a half more.
        v.now_ms = NOW - 10 * 3_600_000 - 20 * 60_000;
        assert_eq!(count(&v), 1440 + 11);
        // At 10:30 too (a lookback of hours starts on the 6th); the 5th ends at its midnight.
        v.now_ms = NOW;
        assert_eq!(count(&v), 1440 + 631);
        let fifth = json(v.candlestick(find("btc_jpy").unwrap(), "1min", "20261205"));
        assert_eq!(
            fifth["data"]["candlestick"][0]["ohlcv"]
                .as_array()
                .unwrap()
                .len(),
            1440
        );
    }

    fn json(body: Option<Result<String, serde_json::Error>>) -> serde_json::Value {
        serde_json::from_str(&body.unwrap().unwrap()).unwrap()
    }

    #[test]
    fn todays_minutes_run_from_midnight_to_the_candle_under_way() {
        let phase = Phase::default();
        let v = view(&phase);
        let body = json(v.candlestick(find("btc_jpy").unwrap(), "1min", "20261207"));
        assert_eq!(body["success"], 1);
        let candles = &body["data"]["candlestick"][0];
        assert_eq!(candles["type"], "1min");
        let ohlcv = candles["ohlcv"].as_array().unwrap();
        // 10:30 is the 631st minute of the day; the candle of 10:30 is under way.
        assert_eq!(ohlcv.len(), 631);
        assert_eq!(ohlcv[0][5], NOW - 10 * 3_600_000 - 30 * 60_000 - 30_000);
        assert_eq!(ohlcv[630][5], NOW - 30_000);
        let num = |v: &serde_json::Value| v.as_str().unwrap().parse::<f64>().unwrap();
        for c in ohlcv {
            let (o, h, l, cl) = (num(&c[0]), num(&c[1]), num(&c[2]), num(&c[3]));
            assert!(l <= o.min(cl) && h >= o.max(cl), "{c}");
            assert!(num(&c[4]) > 0.0, "{c}");
        }
        // A whole day in the past (yesterday's running on to now); none in the future.
        let yesterday = json(v.candlestick(find("btc_jpy").unwrap(), "1hour", "20261206"));
        assert_eq!(
            yesterday["data"]["candlestick"][0]["ohlcv"]
                .as_array()
                .unwrap()
                .len(),
            24 + 11
        );
        let tomorrow = json(v.candlestick(find("btc_jpy").unwrap(), "5min", "20261208"));
        assert!(tomorrow["data"]["candlestick"][0]["ohlcv"]
            .as_array()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn long_candles_take_a_year_and_bad_periods_are_refused() {
        let phase = Phase::default();
        let v = view(&phase);
        let btc = find("btc_jpy").unwrap();
        let days = json(v.candlestick(btc, "1day", "2026"));
        // 2026-01-01 to 2026-12-07, today's candle included.
        assert_eq!(
            days["data"]["candlestick"][0]["ohlcv"]
                .as_array()
                .unwrap()
                .len(),
            341
        );
        let months = json(v.candlestick(btc, "1month", "2025"));
        assert_eq!(
            months["data"]["candlestick"][0]["ohlcv"]
                .as_array()
                .unwrap()
                .len(),
            12
        );
        for (kind, period) in [
            ("1min", "2026"),
            ("1day", "20261207"),
            ("2min", "20261207"),
            ("1min", "20261332"),
            ("1min", "2026-12-07"),
            ("1hour", "+2026120"),
        ] {
            assert!(
                v.candlestick(btc, kind, period).is_none(),
                "{kind} {period}"
            );
        }
    }

    #[test]
    fn a_book_surrounds_the_last_price() {
        let mut phase = Phase::default();
        let v = view(&phase);
        let book: serde_json::Value =
            serde_json::from_str(&v.depth(find("xrp_jpy").unwrap()).unwrap()).unwrap();
        let price = |side: &str, i: usize| {
            book["data"][side][i][0]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        };
        assert_eq!(book["data"]["asks"].as_array().unwrap().len(), 20);
        assert!(price("bids", 0) < price("asks", 0));
        assert!(price("asks", 0) < price("asks", 1) && price("bids", 1) < price("bids", 0));
        phase.suspended.insert("xrp_jpy".into());
        let v = view(&phase);
        let book: serde_json::Value =
            serde_json::from_str(&v.depth(find("xrp_jpy").unwrap()).unwrap()).unwrap();
        assert!(book["data"]["asks"].as_array().unwrap().is_empty());
    }
}
