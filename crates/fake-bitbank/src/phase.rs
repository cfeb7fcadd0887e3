//! What a phase of a scenario is: how each host answers and what the market shows while it
//! lasts. The scenario parser builds these; the market, the assets and the servers read them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// How one host answers every request during a phase.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Realistic answers (the default).
    #[default]
    Ok,
    /// The error envelope `{"success":0,"data":{"code":CODE}}` as JSON with this HTTP status.
    Error {
        /// The bitbank error code.
        code: i64,
        /// The HTTP status (default 200, as bitbank sends business errors).
        http_status: u16,
    },
    /// A CloudFront-style HTML error page with this status.
    Html {
        /// The HTTP status.
        http_status: u16,
    },
    /// HTTP 429 with `Retry-After` and error code 10009.
    RateLimit {
        /// Value of the `Retry-After` header, in seconds (not scaled by speed).
        retry_after_secs: u64,
    },
    /// A normal body cut roughly in half (with a matching `Content-Length`).
    Truncated,
    /// A normal answer sent after this delay (real time: not scaled by speed, since it is
    /// meant to be compared with the client's timeout).
    Slow {
        /// The delay.
        delay: Duration,
    },
    /// Read the request, then close the connection without a byte.
    Drop,
    /// Close the listener for the whole phase, so connections are refused.
    Refuse,
    /// HTTP 429, code 10009, with this `Retry-After` header verbatim (e.g. more digits than
    /// any integer type holds).
    RateLimitHeader {
        /// The header value.
        retry_after: String,
    },
    /// A 200 whose body never ends (no `Content-Length`, bytes forever).
    Endless,
    /// A normal answer padded with whitespace to this many bytes, without `Content-Length`
    /// (so only a client that counts while reading notices); still valid JSON.
    Huge {
        /// Body size in bytes.
        bytes: u64,
    },
    /// A normal answer, gzip-compressed, followed by 64 MiB of compressed whitespace: a few
    /// hundred KiB on the wire, valid JSON once fully inflated.
    GzipBomb,
    /// `302 Found` to this URL.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// `100 Continue` answers, one every 10 ms, forever.
    ContinueFlood,
    /// Headers and the first half of a normal body, then silence (the connection stays open).
    Stall,
    /// Valid JSON of the wrong shape: the envelope with `success: 1`, every list entry and
    /// every field renamed.
    WrongShape,
}

/// A flag of `GET /v1/spot/pairs` that a scenario can set on a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StopFlag {
    /// `stop_order`
    StopOrder,
    /// `stop_order_and_cancel`
    StopOrderAndCancel,
    /// `stop_market_order`
    StopMarketOrder,
    /// `stop_stop_order`
    StopStopOrder,
    /// `stop_stop_limit_order`
    StopStopLimitOrder,
    /// `stop_margin_long_order`
    StopMarginLongOrder,
    /// `stop_margin_short_order`
    StopMarginShortOrder,
    /// `stop_buy_order`
    StopBuyOrder,
    /// `stop_sell_order`
    StopSellOrder,
}

impl StopFlag {
    /// Every flag, in the order bitbank lists them.
    pub const ALL: [StopFlag; 9] = [
        StopFlag::StopOrder,
        StopFlag::StopOrderAndCancel,
        StopFlag::StopMarketOrder,
        StopFlag::StopStopOrder,
        StopFlag::StopStopLimitOrder,
        StopFlag::StopMarginLongOrder,
        StopFlag::StopMarginShortOrder,
        StopFlag::StopBuyOrder,
        StopFlag::StopSellOrder,
    ];

    /// The flags a suspended pair shows (as observed on the real exchange).
    pub const SUSPENDED: [StopFlag; 6] = [
        StopFlag::StopOrder,
        StopFlag::StopMarketOrder,
        StopFlag::StopStopOrder,
        StopFlag::StopStopLimitOrder,
        StopFlag::StopBuyOrder,
        StopFlag::StopSellOrder,
    ];

    /// The JSON field name.
    pub fn name(self) -> &'static str {
        match self {
            StopFlag::StopOrder => "stop_order",
            StopFlag::StopOrderAndCancel => "stop_order_and_cancel",
            StopFlag::StopMarketOrder => "stop_market_order",
            StopFlag::StopStopOrder => "stop_stop_order",
            StopFlag::StopStopLimitOrder => "stop_stop_limit_order",
            StopFlag::StopMarginLongOrder => "stop_margin_long_order",
            StopFlag::StopMarginShortOrder => "stop_margin_short_order",
            StopFlag::StopBuyOrder => "stop_buy_order",
            StopFlag::StopSellOrder => "stop_sell_order",
        }
    }

    /// The flag with this JSON field name.
    pub fn from_name(name: &str) -> Option<StopFlag> {
        StopFlag::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for StopFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A circuit-break state for one pair during a phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitBreak {
    /// `NONE`, `CIRCUIT_BREAK`, `FULL_RANGE_CIRCUIT_BREAK`, `RESUMPTION`, `LISTING`, or any other
    /// string (passed through verbatim).
    pub mode: String,
    /// Reopening time counted from the start of the phase (scenario time, scaled by speed);
    /// `None` serves `reopen_timestamp: null`.
    pub reopen_in: Option<Duration>,
}

/// One phase of a scenario: what differs from normal while it lasts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Phase {
    /// The phase name (shown in stats and logs).
    pub name: String,
    /// How long it lasts in scenario time; `None` only on the last phase (stay forever).
    pub duration: Option<Duration>,
    /// How the api host answers.
    pub api: Behavior,
    /// How the public host answers.
    pub public: Behavior,
    /// `spot/status` values of explicitly named pairs.
    pub status: BTreeMap<String, String>,
    /// `spot/status` value of every pair not named in `status` (key `"*"`).
    pub status_all: Option<String>,
    /// Pairs served with the suspended flags (besides the delisted ones, always suspended).
    pub suspended: BTreeSet<String>,
    /// Individual flags set on pairs (partial restrictions).
    pub stopped: BTreeMap<String, BTreeSet<StopFlag>>,
    /// Circuit-break modes by pair (others are `NONE`).
    pub circuit_break: BTreeMap<String, CircuitBreak>,
    /// Pairs left out of `spot/status` and `spot/pairs` (delisted for the phase).
    pub hidden: BTreeSet<String>,
    /// Names added to both lists verbatim, as tradable pairs with status `NORMAL`: any
    /// string, to play a hostile server (`../x`, escape sequences).
    pub extra_pairs: Vec<String>,
    /// This many valid, tradable pairs `gen0_jpy`, `gen1_jpy`, … added to both lists, each
    /// answering `circuit_break_info` with `NONE`.
    pub generated_pairs: usize,
    /// How the stream host behaves while the phase lasts.
    pub stream: StreamFault,
    /// Pairs whose circuit-break room never answers (no first frame, no pushes).
    pub mute_rooms: BTreeSet<String>,
    /// The `ticker_{pair}` rooms get no frames (`ticker = false` in the file: a matching engine
    /// that stopped; pings and circuit-break pushes go on).
    pub ticker_silent: bool,
    /// Deposits stopped (`GET /v1/user/assets`), normalised: `"asset/network"` for every
    /// stopped network (a whole asset in the file is expanded to all of its networks), plain
    /// `"asset"` for an asset without networks (jpy). An asset's own flag is true when all of
    /// its networks are in the set.
    pub stop_deposit: BTreeSet<String>,
    /// Withdrawals stopped, in the same form as [`Phase::stop_deposit`].
    pub stop_withdrawal: BTreeSet<String>,
    /// GMO Coin's host during the phase (`gmocoin = ...`; normal when absent).
    pub gmocoin: GmoCoin,
    /// bitFlyer's host during the phase (`bitflyer = ...`; normal when absent).
    pub bitflyer: BitFlyer,
    /// Coincheck's host during the phase (`coincheck = ...`; normal when absent).
    pub coincheck: Coincheck,
}

/// GMO Coin during a phase: `GET /public/v1/status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmoCoin {
    /// How the host answers; [`Behavior::Ok`] serves [`GmoCoin::status`] or
    /// [`GmoCoin::error`]. Never [`Behavior::Error`] from a scenario file (GMO's errors are
    /// [`GmoCoin::error`]).
    pub behavior: Behavior,
    /// `data.status`: `OPEN` (the default), `PREOPEN`, `MAINTENANCE`, or any other string
    /// (passed through verbatim).
    pub status: String,
    /// The error envelope instead of `data`.
    pub error: Option<GmoCoinError>,
}

impl Default for GmoCoin {
    fn default() -> GmoCoin {
        GmoCoin {
            behavior: Behavior::Ok,
            status: "OPEN".to_string(),
            error: None,
        }
    }
}

/// GMO Coin's error envelope: `{"status":5,"messages":[{"message_code":…,"message_string":…}],…}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmoCoinError {
    /// `message_code`, e.g. `ERR-5201` (scheduled maintenance) or `ERR-5202` (emergency).
    pub code: String,
    /// `message_string`.
    pub message: String,
    /// The HTTP status (default 200, as GMO sends its errors).
    pub http_status: u16,
}

/// bitFlyer during a phase: `GET /v1/gethealth` and `GET /v1/getboardstate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitFlyer {
    /// How the host answers; [`Behavior::Ok`] serves the health and board states below.
    pub behavior: Behavior,
    /// `gethealth`'s `status` and the `health` of every board without its own: `NORMAL` (the
    /// default), `BUSY`, `VERY BUSY`, `SUPER BUSY`, `NO ORDER`, `STOP`, or any other string.
    pub health: String,
    /// The `state` of every board without its own: `RUNNING` (the default), `CLOSED`,
    /// `STARTING`, `PREOPEN`, `CIRCUIT BREAK`, `AWAITING SQ`, `MATURED`, or any other string.
    pub state: String,
    /// Boards that differ, by upper-case product code (one of [`BitFlyer::PRODUCTS`]).
    pub boards: BTreeMap<String, Board>,
}

impl BitFlyer {
    /// The product codes the fake knows (bitFlyer matches them case-insensitively).
    pub const PRODUCTS: &'static [&'static str] =
        &["BTC_JPY", "ETH_JPY", "XRP_JPY", "FX_BTC_JPY", "ETH_BTC"];

    /// `special_quotation` of a `MATURED` board that does not name one (the docs' sample).
    pub const DEFAULT_SPECIAL_QUOTATION: u64 = 410_897;

    /// The known product code matching `code` case-insensitively.
    pub fn product(code: &str) -> Option<&'static str> {
        BitFlyer::PRODUCTS
            .iter()
            .copied()
            .find(|p| p.eq_ignore_ascii_case(code))
    }

    /// `health` of a product's board.
    pub fn health_of(&self, product: &str) -> &str {
        self.boards
            .get(product)
            .and_then(|b| b.health.as_deref())
            .unwrap_or(&self.health)
    }

    /// `state` of a product's board.
    pub fn state_of(&self, product: &str) -> &str {
        self.boards
            .get(product)
            .and_then(|b| b.state.as_deref())
            .unwrap_or(&self.state)
    }
}

impl Default for BitFlyer {
    fn default() -> BitFlyer {
        BitFlyer {
            behavior: Behavior::Ok,
            health: "NORMAL".to_string(),
            state: "RUNNING".to_string(),
            boards: BTreeMap::new(),
        }
    }
}

/// One bitFlyer board that differs from the phase's default.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Board {
    /// Its `state` (`None`: [`BitFlyer::state`]).
    pub state: Option<String>,
    /// Its `health` (`None`: [`BitFlyer::health`]).
    pub health: Option<String>,
    /// `data.special_quotation` while `MATURED` (`None`:
    /// [`BitFlyer::DEFAULT_SPECIAL_QUOTATION`]).
    pub special_quotation: Option<u64>,
}

/// Coincheck during a phase: `GET /api/exchange_status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coincheck {
    /// How the host answers; [`Behavior::Ok`] serves the pairs' statuses below.
    pub behavior: Behavior,
    /// `status` of every pair not in `pairs`: `available` (the default), `itayose`, `stop`,
    /// or any other string.
    pub status: String,
    /// Availability flags given for every pair not in `pairs` (the others follow the status).
    pub availability: Availability,
    /// Pairs that differ, by name (one of [`Coincheck::PAIRS`]).
    pub pairs: BTreeMap<String, CoincheckPair>,
}

impl Coincheck {
    /// The pairs the fake lists, in its order.
    pub const PAIRS: &'static [&'static str] = &[
        "btc_jpy", "eth_jpy", "etc_jpy", "xrp_jpy", "mona_jpy", "shib_jpy",
    ];

    /// A pair's `status` and `availability` (`order`, `market_order`, `cancel`).
    pub fn entry(&self, pair: &str) -> (&str, [bool; 3]) {
        let own = self.pairs.get(pair);
        let status = own
            .and_then(|p| p.status.as_deref())
            .unwrap_or(&self.status);
        let given = own.map_or(&self.availability, |p| &p.availability);
        (status, given.resolve(status))
    }
}

impl Default for Coincheck {
    fn default() -> Coincheck {
        Coincheck {
            behavior: Behavior::Ok,
            status: "available".to_string(),
            availability: Availability::default(),
            pairs: BTreeMap::new(),
        }
    }
}

/// One Coincheck pair that differs from the phase's default.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CoincheckPair {
    /// Its `status` (`None`: [`Coincheck::status`]).
    pub status: Option<String>,
    /// Its availability flags that do not follow from the status.
    pub availability: Availability,
}

/// Coincheck's `availability` flags as a scenario gives them: `None` follows the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Availability {
    /// `order`
    pub order: Option<bool>,
    /// `market_order`
    pub market_order: Option<bool>,
    /// `cancel`
    pub cancel: Option<bool>,
}

impl Availability {
    /// The flags for `status`: `available` all true, `itayose` (the call auction) no market
    /// orders, `stop` and anything unknown all false; then the given ones.
    pub fn resolve(&self, status: &str) -> [bool; 3] {
        let derived = match status {
            "available" => [true, true, true],
            "itayose" => [true, false, true],
            _ => [false, false, false],
        };
        [
            self.order.unwrap_or(derived[0]),
            self.market_order.unwrap_or(derived[1]),
            self.cancel.unwrap_or(derived[2]),
        ]
    }
}

/// How the stream host behaves during a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StreamFault {
    /// Handshake, pings, room frames and pushes as bitbank sends them.
    #[default]
    Ok,
    /// Every open session is dropped at the switch (no close frame); new ones are served.
    Drop,
    /// Upgrades are refused (HTTP 503) and open sessions dropped: the stream is down.
    Refuse,
    /// Sessions stay open but the server sends nothing: no pings, no pushes.
    Silent,
    /// Garbage frames at the switch and with every ping; pings and pushes go on.
    Garbage,
}

impl StreamFault {
    /// The fault with this name in a scenario file (`stream = "drop"`).
    pub(crate) fn from_name(name: &str) -> Option<StreamFault> {
        Some(match name {
            "ok" => StreamFault::Ok,
            "drop" => StreamFault::Drop,
            "refuse" => StreamFault::Refuse,
            "silent" => StreamFault::Silent,
            "garbage" => StreamFault::Garbage,
            _ => return None,
        })
    }
}

impl Phase {
    /// The `spot/status` value of a pair during this phase.
    pub fn status_of(&self, pair: &str) -> &str {
        self.status
            .get(pair)
            .or(self.status_all.as_ref())
            .map_or("NORMAL", String::as_str)
    }
}
