//! The exchange's pair list and the JSON bodies built from it for the current phase.
//!
//! Prices are plausible reference values (JPY, late 2025) with a slow deterministic wobble, so
//! a demo looks alive while tests stay reproducible in shape.

use std::sync::OnceLock;

use serde::Serialize;

use crate::phase::{Phase, StopFlag};

/// The real pair list: `symbol, base, quote, delisted`, tab separated, one header line.
const PAIRS_TSV: &str = include_str!("../data/pairs.tsv");

/// Pairs with margin trading, which carry margin fee and ratio fields instead of nulls.
const MARGIN_PAIRS: &[&str] = &["btc_jpy", "eth_jpy", "xrp_jpy", "sol_jpy", "doge_jpy"];

/// One pair of the exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// e.g. `btc_jpy`
    pub symbol: String,
    /// e.g. `btc`
    pub base: String,
    /// e.g. `jpy`
    pub quote: String,
    /// Delisted pairs are always served with the suspended flags.
    pub delisted: bool,
}

/// Every pair the fake exchange knows, in the exchange's order.
pub fn pairs() -> &'static [Pair] {
    static PAIRS: OnceLock<Vec<Pair>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        PAIRS_TSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cols = line.split('\t').map(str::trim);
                let (symbol, base, quote, delisted) =
                    (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
                (!symbol.is_empty()).then(|| Pair {
                    symbol: symbol.to_string(),
                    base: base.to_string(),
                    quote: quote.to_string(),
                    delisted: delisted.eq_ignore_ascii_case("true"),
                })
            })
            .collect()
    })
}

/// The pair with this symbol.
pub fn find(symbol: &str) -> Option<&'static Pair> {
    pairs().iter().find(|p| p.symbol == symbol)
}

/// Rough JPY price of one unit of an asset.
pub(crate) fn jpy_price(asset: &str) -> f64 {
    match asset {
        "jpy" => 1.0,
        "btc" => 15_000_000.0,
        "eth" => 500_000.0,
        "bnb" => 150_000.0,
        "bcc" => 80_000.0,
        "mkr" => 250_000.0,
        "sol" => 25_000.0,
        "ltc" => 15_000.0,
        "avax" => 3_000.0,
        "link" => 2_500.0,
        "lpt" => 800.0,
        "dot" | "rndr" | "render" => 600.0,
        "atom" => 500.0,
        "axs" | "sui" => 400.0,
        "xrp" | "qtum" => 350.0,
        "mask" | "cyber" => 200.0,
        "dai" => 150.0,
        "ada" | "op" => 100.0,
        "ape" | "imx" => 80.0,
        "matic" | "arb" => 60.0,
        "xlm" => 50.0,
        "trx" => 45.0,
        "sand" | "mana" => 40.0,
        "doge" | "omg" | "pol" | "mona" => 30.0,
        "bat" => 25.0,
        "boba" | "klay" => 20.0,
        "grt" => 15.0,
        "enj" | "sky" => 10.0,
        "chz" => 6.0,
        "astr" => 4.0,
        "gala" | "flr" => 3.0,
        "xym" => 2.0,
        "oas" => 1.0,
        _ => 100.0,
    }
}

/// Price scale of a pair.
pub(crate) struct Pricing {
    /// Reference price in the quote asset.
    pub price: f64,
    /// JPY value of one unit of the base asset.
    pub jpy_value: f64,
    /// Decimals of a price.
    pub price_digits: u32,
    /// Decimals of an amount.
    pub amount_digits: u32,
}

/// The price scale of `pair`.
pub(crate) fn pricing(pair: &Pair) -> Pricing {
    let jpy_value = jpy_price(&pair.base);
    let price = jpy_value / jpy_price(&pair.quote);
    let price_digits = match pair.quote.as_str() {
        "jpy" if price >= 100_000.0 => 0,
        "jpy" if price >= 1_000.0 => 1,
        "jpy" => 3,
        _ => 8,
    };
    Pricing {
        price,
        jpy_value,
        price_digits,
        amount_digits: 4,
    }
}

/// A power of ten as a plain decimal string: -4 → "0.0001", 2 → "100".
fn pow10(exp: i32) -> String {
    if exp < 0 {
        let zeros = usize::try_from(-exp - 1).unwrap_or(0);
        format!("0.{}1", "0".repeat(zeros))
    } else {
        format!("1{}", "0".repeat(usize::try_from(exp).unwrap_or(0)))
    }
}

/// `value` with `digits` decimals.
pub(crate) fn fixed(value: f64, digits: u32) -> String {
    format!("{value:.*}", digits as usize)
}

/// `min_amount` of `spot/status`: about ¥500 worth, rising with load (BUSY x10, VERY_BUSY x100).
fn min_amount(pair: &Pair, status: &str) -> String {
    let p = pricing(pair);
    let digits = i32::try_from(p.amount_digits).unwrap_or(4);
    // The float is small and finite here (prices are positive constants), so the cast is exact.
    let base = ((500.0 / p.jpy_value).log10().round() as i32).clamp(-digits, 6);
    let raise = match status {
        "BUSY" => 1,
        "VERY_BUSY" => 2,
        _ => 0,
    };
    pow10(base + raise)
}

/// The price of `pair` at `ms` (since the epoch): the reference price with a slow wobble of
/// ±0.4 %, phase-shifted per pair. Tickers, candles and books all read it.
pub(crate) fn price_at(pair: &Pair, ms: i64) -> f64 {
    let shift: u32 = pair.symbol.bytes().map(u32::from).sum();
    let t = ms as f64 / 1000.0;
    pricing(pair).price * (1.0 + 0.004 * (t / 47.0 + f64::from(shift)).sin())
}

/// The success envelope.
#[derive(Serialize)]
struct Envelope<T> {
    success: u8,
    data: T,
}

pub(crate) fn envelope<T: Serialize>(data: T) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Envelope { success: 1, data })
}

/// The name of generated pair `i`.
fn generated_name(i: usize) -> String {
    format!("gen{i}_jpy")
}

/// Valid JSON of the wrong shape: bitbank's envelope, but every field renamed.
pub(crate) fn wrong_shape_body() -> String {
    r#"{"success":1,"data":{"statuses":[{"symbol":"btc_jpy","state":"NORMAL"}],"pairs":[{"pair_name":"btc_jpy"}],"state":"NONE"}}"#.to_string()
}

/// The error envelope `{"success":0,"data":{"code":N}}`.
pub(crate) fn error_body(code: i64) -> String {
    format!(r#"{{"success":0,"data":{{"code":{code}}}}}"#)
}

#[derive(Serialize)]
struct StatusEntry<'a> {
    pair: &'a str,
    status: &'a str,
    min_amount: String,
}

#[derive(Serialize)]
struct Statuses<'a> {
    statuses: Vec<StatusEntry<'a>>,
}

#[derive(Serialize)]
struct PairInfo<'a> {
    name: &'a str,
    base_asset: &'a str,
    quote_asset: &'a str,
    maker_fee_rate_base: &'static str,
    taker_fee_rate_base: &'static str,
    maker_fee_rate_quote: &'static str,
    taker_fee_rate_quote: &'static str,
    margin_open_maker_fee_rate_quote: Option<&'static str>,
    margin_open_taker_fee_rate_quote: Option<&'static str>,
    margin_close_maker_fee_rate_quote: Option<&'static str>,
    margin_close_taker_fee_rate_quote: Option<&'static str>,
    margin_long_interest: Option<&'static str>,
    margin_short_interest: Option<&'static str>,
    margin_current_individual_ratio: Option<&'static str>,
    margin_current_individual_until: Option<i64>,
    margin_current_company_ratio: Option<&'static str>,
    margin_current_company_until: Option<i64>,
    margin_next_individual_ratio: Option<&'static str>,
    margin_next_individual_until: Option<i64>,
    margin_next_company_ratio: Option<&'static str>,
    margin_next_company_until: Option<i64>,
    unit_amount: String,
    limit_max_amount: String,
    market_max_amount: String,
    market_allowance_rate: &'static str,
    price_digits: u32,
    amount_digits: u32,
    is_enabled: bool,
    stop_order: bool,
    stop_order_and_cancel: bool,
    stop_market_order: bool,
    stop_stop_order: bool,
    stop_stop_limit_order: bool,
    stop_margin_long_order: bool,
    stop_margin_short_order: bool,
    stop_buy_order: bool,
    stop_sell_order: bool,
}

#[derive(Serialize)]
struct Pairs<'a> {
    pairs: Vec<PairInfo<'a>>,
}

#[derive(Serialize)]
struct Ticker<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pair: Option<&'a str>,
    sell: Option<String>,
    buy: Option<String>,
    high: String,
    low: String,
    open: String,
    last: String,
    vol: String,
    timestamp: i64,
}

#[derive(Serialize)]
struct CircuitBreakInfo {
    mode: String,
    estimated_itayose_price: Option<String>,
    estimated_itayose_amount: Option<String>,
    itayose_upper_price: Option<String>,
    itayose_lower_price: Option<String>,
    upper_trigger_price: Option<String>,
    lower_trigger_price: Option<String>,
    fee_type: &'static str,
    reopen_timestamp: Option<i64>,
    timestamp: i64,
}

/// The exchange as seen by one request: the phase in force and the time.
pub(crate) struct MarketView<'a> {
    /// The phase in force.
    pub phase: &'a Phase,
    /// Wall-clock time of the request, ms since the epoch.
    pub now_ms: i64,
    /// Wall-clock time at which the phase started, ms since the epoch.
    pub phase_start_ms: i64,
    /// Scenario speed (scenario durations are divided by it).
    pub speed: f64,
}

impl MarketView<'_> {
    /// Whether `pair` trades not at all (delisted, or suspended by the phase).
    pub(crate) fn is_suspended(&self, pair: &Pair) -> bool {
        pair.delisted || self.phase.suspended.contains(&pair.symbol)
    }

    fn flag(&self, pair: &Pair, flag: StopFlag) -> bool {
        (self.is_suspended(pair) && StopFlag::SUSPENDED.contains(&flag))
            || self
                .phase
                .stopped
                .get(&pair.symbol)
                .is_some_and(|set| set.contains(&flag))
    }

    /// Last price: see [`price_at`].
    fn last_price(&self, pair: &Pair) -> f64 {
        price_at(pair, self.now_ms)
    }

    /// Body of `GET /v1/spot/status`.
    pub fn spot_status(&self) -> Result<String, serde_json::Error> {
        let statuses = pairs()
            .iter()
            .filter(|p| !self.phase.hidden.contains(&p.symbol))
            .map(|p| {
                let status = self.phase.status_of(&p.symbol);
                StatusEntry {
                    pair: &p.symbol,
                    status,
                    min_amount: min_amount(p, status),
                }
            })
            .collect();
        let body = envelope(Statuses { statuses })?;
        self.with_extras(
            body,
            "statuses",
            |name| serde_json::json!({"pair": name, "status": "NORMAL", "min_amount": "0.0001"}),
        )
    }

    /// The phase's extra and generated pairs, appended to the list `key` of `body`.
    fn with_extras(
        &self,
        body: String,
        key: &str,
        entry: impl Fn(&str) -> serde_json::Value,
    ) -> Result<String, serde_json::Error> {
        if self.phase.extra_pairs.is_empty() && self.phase.generated_pairs == 0 {
            return Ok(body);
        }
        let mut value: serde_json::Value = serde_json::from_str(&body)?;
        if let Some(list) = value["data"][key].as_array_mut() {
            list.extend(self.phase.extra_pairs.iter().map(|n| entry(n)));
            list.extend((0..self.phase.generated_pairs).map(|i| entry(&generated_name(i))));
        }
        serde_json::to_string(&value)
    }

    /// Whether `name` is one of the phase's generated or extra pairs.
    pub fn is_extra(&self, name: &str) -> bool {
        self.phase.extra_pairs.iter().any(|p| p == name)
            || name
                .strip_prefix("gen")
                .and_then(|r| r.strip_suffix("_jpy"))
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|i| i < self.phase.generated_pairs && generated_name(i) == name)
    }

    /// `circuit_break_info` of an extra pair: `NONE`.
    pub fn extra_circuit_break_info(&self) -> String {
        format!(
            r#"{{"success":1,"data":{{"mode":"NONE","reopen_timestamp":null,"timestamp":{}}}}}"#,
            self.now_ms
        )
    }

    /// Body of `GET /v1/spot/pairs`.
    pub fn spot_pairs(&self) -> Result<String, serde_json::Error> {
        let pairs = pairs()
            .iter()
            .filter(|p| !self.phase.hidden.contains(&p.symbol))
            .map(|p| self.pair_info(p))
            .collect();
        let body = envelope(Pairs { pairs })?;
        self.with_extras(
            body,
            "pairs",
            |name| serde_json::json!({"name": name, "is_enabled": true}),
        )
    }

    fn pair_info<'p>(&self, p: &'p Pair) -> PairInfo<'p> {
        let pr = pricing(p);
        let margin = MARGIN_PAIRS.contains(&p.symbol.as_str());
        let m = |v: &'static str| margin.then_some(v);
        // Order limits around ¥10 billion (limit) and ¥1 billion (market), as powers of ten.
        let limit_exp = ((1e10 / pr.jpy_value).log10().ceil() as i32).clamp(0, 12);
        PairInfo {
            name: &p.symbol,
            base_asset: &p.base,
            quote_asset: &p.quote,
            maker_fee_rate_base: "0",
            taker_fee_rate_base: "0",
            maker_fee_rate_quote: "-0.0002",
            taker_fee_rate_quote: "0.0012",
            margin_open_maker_fee_rate_quote: m("-0.0002"),
            margin_open_taker_fee_rate_quote: m("0.0012"),
            margin_close_maker_fee_rate_quote: m("0"),
            margin_close_taker_fee_rate_quote: m("0"),
            margin_long_interest: m("0.0004"),
            margin_short_interest: m("0.0004"),
            margin_current_individual_ratio: m("2"),
            margin_current_individual_until: None,
            margin_current_company_ratio: m("4"),
            margin_current_company_until: None,
            margin_next_individual_ratio: None,
            margin_next_individual_until: None,
            margin_next_company_ratio: None,
            margin_next_company_until: None,
            unit_amount: pow10(-i32::try_from(pr.amount_digits).unwrap_or(4)),
            limit_max_amount: pow10(limit_exp),
            market_max_amount: pow10((limit_exp - 1).max(0)),
            market_allowance_rate: "0.2",
            price_digits: pr.price_digits,
            amount_digits: pr.amount_digits,
            // Suspended pairs stay "enabled" on the real exchange: the stop flags tell.
            is_enabled: true,
            stop_order: self.flag(p, StopFlag::StopOrder),
            stop_order_and_cancel: self.flag(p, StopFlag::StopOrderAndCancel),
            stop_market_order: self.flag(p, StopFlag::StopMarketOrder),
            stop_stop_order: self.flag(p, StopFlag::StopStopOrder),
            stop_stop_limit_order: self.flag(p, StopFlag::StopStopLimitOrder),
            stop_margin_long_order: self.flag(p, StopFlag::StopMarginLongOrder),
            stop_margin_short_order: self.flag(p, StopFlag::StopMarginShortOrder),
            stop_buy_order: self.flag(p, StopFlag::StopBuyOrder),
            stop_sell_order: self.flag(p, StopFlag::StopSellOrder),
        }
    }

    fn ticker<'p>(&self, p: &'p Pair, with_pair: bool) -> Ticker<'p> {
        let pr = pricing(p);
        let d = pr.price_digits;
        let pair = with_pair.then_some(p.symbol.as_str());
        if p.delisted {
            // A long-delisted pair has no book and no trades.
            return Ticker {
                pair,
                sell: None,
                buy: None,
                high: "0".into(),
                low: "0".into(),
                open: "0".into(),
                last: "0".into(),
                vol: "0".into(),
                timestamp: self.now_ms,
            };
        }
        let last = self.last_price(p);
        let (sell, buy) = if self.is_suspended(p) {
            (None, None)
        } else {
            (Some(fixed(last * 1.0003, d)), Some(fixed(last * 0.9997, d)))
        };
        Ticker {
            pair,
            sell,
            buy,
            high: fixed(pr.price * 1.02, d),
            low: fixed(pr.price * 0.97, d),
            open: fixed(pr.price * 0.99, d),
            last: fixed(last, d),
            vol: fixed(5e9 / pr.jpy_value, pr.amount_digits),
            timestamp: self.now_ms,
        }
    }

    /// Body of `GET /{pair}/ticker`.
    pub fn pair_ticker(&self, pair: &Pair) -> Result<String, serde_json::Error> {
        envelope(self.ticker(pair, false))
    }

    /// Body of `GET /tickers` (`jpy_only = false`) or `GET /tickers_jpy`.
    pub fn tickers(&self, jpy_only: bool) -> Result<String, serde_json::Error> {
        let list: Vec<_> = pairs()
            .iter()
            .filter(|p| !jpy_only || p.quote == "jpy")
            .map(|p| self.ticker(p, true))
            .collect();
        envelope(list)
    }

    /// Body of `GET /{pair}/circuit_break_info`.
    pub fn circuit_break_info(&self, pair: &Pair) -> Result<String, serde_json::Error> {
        let pr = pricing(pair);
        let d = pr.price_digits;
        let last = self.last_price(pair);
        let cb = self.phase.circuit_break.get(&pair.symbol);
        let mode = cb.map_or("NONE", |c| c.mode.as_str());
        let info = if mode == "NONE" {
            CircuitBreakInfo {
                mode: mode.to_string(),
                estimated_itayose_price: None,
                estimated_itayose_amount: None,
                itayose_upper_price: None,
                itayose_lower_price: None,
                upper_trigger_price: Some(fixed(pr.price * 1.1, d)),
                lower_trigger_price: Some(fixed(pr.price * 0.9, d)),
                fee_type: "NORMAL",
                reopen_timestamp: None,
                timestamp: self.now_ms,
            }
        } else {
            let reopen = cb.and_then(|c| c.reopen_in).map(|d| {
                let scaled_ms = d.as_secs_f64() * 1000.0 / self.speed;
                // Saturating float-to-int cast: an absurd speed cannot overflow.
                self.phase_start_ms.saturating_add(scaled_ms as i64)
            });
            CircuitBreakInfo {
                mode: mode.to_string(),
                estimated_itayose_price: Some(fixed(last, d)),
                estimated_itayose_amount: Some(fixed(50e6 / pr.jpy_value, pr.amount_digits)),
                itayose_upper_price: Some(fixed(last * 1.1, d)),
                itayose_lower_price: Some(fixed(last * 0.9, d)),
                upper_trigger_price: None,
                lower_trigger_price: None,
                fee_type: "NORMAL",
                reopen_timestamp: reopen,
                timestamp: self.now_ms,
            }
        };
        envelope(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::CircuitBreak;
    use std::time::Duration;

    fn view(phase: &Phase) -> MarketView<'_> {
        MarketView {
            phase,
            now_ms: 1_700_000_000_000,
            phase_start_ms: 1_699_999_990_000,
            speed: 1.0,
        }
    }

    #[test]
    fn pair_list_is_embedded() {
        let all = pairs();
        assert!(all.len() >= 60, "{}", all.len());
        assert_eq!(all[0].symbol, "btc_jpy");
        assert!(!find("btc_jpy").unwrap().delisted);
        assert!(find("mkr_jpy").unwrap().delisted);
        assert_eq!(find("xrp_btc").unwrap().quote, "btc");
        assert!(find("nope_jpy").is_none());
    }

    #[test]
    fn min_amount_rises_with_load() {
        let btc = find("btc_jpy").unwrap();
        assert_eq!(min_amount(btc, "NORMAL"), "0.0001");
        assert_eq!(min_amount(btc, "BUSY"), "0.001");
        assert_eq!(min_amount(btc, "VERY_BUSY"), "0.01");
        assert_eq!(min_amount(btc, "HALT"), "0.0001");
        assert_eq!(min_amount(find("xrp_jpy").unwrap(), "NORMAL"), "1");
        assert_eq!(pow10(2), "100");
    }

    #[test]
    fn bodies_are_json_envelopes() {
        let phase = Phase::default();
        let v = view(&phase);
        for body in [
            v.spot_status().unwrap(),
            v.spot_pairs().unwrap(),
            v.tickers(false).unwrap(),
            v.tickers(true).unwrap(),
            v.pair_ticker(find("btc_jpy").unwrap()).unwrap(),
            v.circuit_break_info(find("btc_jpy").unwrap()).unwrap(),
        ] {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["success"], 1, "{body}");
        }
        let jpy: serde_json::Value = serde_json::from_str(&v.tickers(true).unwrap()).unwrap();
        let list = jpy["data"].as_array().unwrap();
        assert!(list
            .iter()
            .all(|t| t["pair"].as_str().unwrap().ends_with("_jpy")));
        assert_eq!(error_body(10007), r#"{"success":0,"data":{"code":10007}}"#);
    }

    #[test]
    fn circuit_break_reopen_is_scaled() {
        let mut phase = Phase::default();
        phase.circuit_break.insert(
            "xrp_jpy".into(),
            CircuitBreak {
                mode: "CIRCUIT_BREAK".into(),
                reopen_in: Some(Duration::from_secs(600)),
            },
        );
        let mut v = view(&phase);
        v.speed = 60.0;
        let body = v.circuit_break_info(find("xrp_jpy").unwrap()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["data"]["mode"], "CIRCUIT_BREAK");
        assert_eq!(
            json["data"]["reopen_timestamp"],
            1_699_999_990_000_i64 + 10_000
        );
        assert!(json["data"]["estimated_itayose_price"].is_string());
    }
}
