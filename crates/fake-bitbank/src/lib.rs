//! A scriptable simulator of bitbank's HTTP API, for bbwatch's tests and demos.
//!
//! Each host is its own listener on 127.0.0.1 (never any other address):
//!
//! * the **api host** (`http://127.0.0.1:PORT/v1`): `GET /v1/spot/status`, `GET /v1/spot/pairs`,
//!   the private `GET /v1/user/assets` (signed with [`Options::api_key`] and
//!   [`Options::api_secret`] by either of bitbank's methods, checked for real: see below),
//!   plus the control endpoints `GET /_fake/stats` and `POST /_fake/next` (outside `/v1`, never
//!   counted, never affected by the phase's behaviour; unreachable while the api host refuses);
//! * the **public host** (`http://127.0.0.1:PORT2`): `GET /{pair}/ticker`, `GET /tickers`,
//!   `GET /tickers_jpy`, `GET /{pair}/circuit_break_info`, and for a ccxt-based bot (freqtrade
//!   in dry-run) `GET /{pair}/depth` and `GET /{pair}/candlestick/{type}/{period}` (`1min` to
//!   `1hour` by UTC day `YYYYMMDD`, `4hour` to `1month` by year `YYYY`, the candle under way
//!   included), all drawn from the tickers' price;
//! * the **stream host** (`ws://127.0.0.1:PORT3`): bitbank's socket.io public stream at
//!   `/socket.io/?EIO=4&transport=websocket`, `circuit_break_info_{pair}` rooms only, with a
//!   push at the instant a phase switch changes a joined pair's circuit-break state;
//! * three other exchanges' status endpoints, each on a host of its own
//!   ([`FakeBitbank::gmocoin_url`] and so on: `http://127.0.0.1:PORT`): GMO Coin's
//!   `GET /public/v1/status`; bitFlyer's `GET /v1/gethealth` and
//!   `GET /v1/getboardstate?product_code=…` (products [`BitFlyer::PRODUCTS`], any case; a
//!   missing or unknown one answers 400); Coincheck's `GET /api/exchange_status`, optionally
//!   `?pair=…` (pairs [`Coincheck::PAIRS`]; an unknown one answers 400). Other paths answer a
//!   bare 404.
//!
//! Unknown paths and pairs answer 404, `text/plain`, `{"success":0,"data":{"code":10000}}` as
//! the real hosts do. Pairs marked delisted in the embedded pair list are always served with the
//! suspended flags.
//!
//! A [`Scenario`] is a TOML timeline of phases, each saying what differs from normal:
//!
//! ```toml
//! description = "Emergency maintenance answered as JSON 10007 with HTTP 503"
//! repeat = false                      # true: loop after the last phase
//! [[phases]]
//! name = "normal"
//! duration = "3s"                     # humantime; optional on the last phase
//! [[phases]]
//! name = "maintenance"
//! duration = "6s"
//! api = { error = 10007, http_status = 503 }
//! # public = "ok" | "truncated" | "drop" | "refuse" | { error = N, http_status = S }
//! #        | { html = S } | { rate_limit = SECS } | { slow = "15s" }
//! # hostile answers (api or public):
//! #        | "endless" | "gzip_bomb" | "continue_flood" | "stall" | "wrong_shape"
//! #        | { huge = BYTES } | { redirect = "URL" } | { rate_limit = "RAW Retry-After" }
//! status = { "*" = "HALT", btc_jpy = "BUSY" }   # explicit pairs win over "*"
//! suspended = ["xrp_jpy"]
//! stopped = { eth_jpy = ["stop_market_order"] }
//! circuit_break = { xrp_jpy = { mode = "CIRCUIT_BREAK", reopen_in = "10m" } }
//! hidden = ["xrp_jpy"]                # left out of both lists for the phase
//! extra_pairs = ["../x", "a_jpy?b"]   # names added to both lists verbatim (hostile server)
//! generated_pairs = 10000             # gen0_jpy … gen9999_jpy, tradable, circuit NONE
//! stream = "ok"                       # | "drop" (sessions dropped at the switch) | "refuse"
//!                                     # (upgrades refused, sessions dropped) | "silent" (no
//!                                     # pings, no pushes) | "garbage" (bad frames with pings)
//! mute_rooms = ["eth_jpy"]            # rooms that never answer
//! stop_deposit = ["xrp"]              # user/assets: "asset" stops all its networks and the
//! stop_withdrawal = ["eth/polygon"]   # asset flag; "asset/network" that network only (the
//!                                     # asset flag turns true once all its networks are)
//! # The other exchanges (each absent = normal): their own keys, plus any behaviour `public`
//! # takes but `error`, inline (html, rate_limit, slow, huge, redirect) or as `behavior = …`;
//! # or just a behaviour string (gmocoin = "refuse").
//! gmocoin = { status = "MAINTENANCE" }   # OPEN (default) | PREOPEN | MAINTENANCE
//! # gmocoin = { error = "ERR-5202", message = "…", http_status = 200 }   # the error envelope
//! bitflyer = { health = "STOP", state = "CLOSED", boards = { BTC_JPY = "CIRCUIT BREAK" } }
//! # boards: "STATE" or { state = "MATURED", health = "BUSY", special_quotation = 410897 };
//! # health (gethealth, every board's default) NORMAL, state of unnamed boards RUNNING
//! coincheck = { status = "stop", pairs = { btc_jpy = "itayose" }, behavior = { slow = "2s" } }
//! # pairs: "STATUS" or { status = "…", availability = { order = true, cancel = true } };
//! # availability follows the status (available: all true; itayose: market_order false;
//! # stop: all false) unless given, also for every unnamed pair: availability = { … }
//! [[phases]]
//! name = "recovered"
//! ```
//!
//! `GET /v1/user/assets` first behaves as the phase's `api` says (a maintenance phase answers
//! 10007 here too), then checks authentication: `ACCESS-KEY` plus either `ACCESS-REQUEST-TIME`
//! (and optional `ACCESS-TIME-WINDOW`, default 5000, at most 60000 ms) or an increasing
//! `ACCESS-NONCE`, and `ACCESS-SIGNATURE`, the hex HMAC-SHA256 under the secret of
//! time + window + path-with-query (or nonce + path-with-query); the time window wins when both
//! are sent. Failures answer HTTP 200 with code 20001 (stale or future time, window too large,
//! nonce not increasing), 20002 (empty key), 20003 (no or unknown key), 20004 (neither nonce
//! nor time) or 20005 (missing or wrong signature). Assets: jpy (no networks) and the base of
//! every pair, each with one network named after it, except eth (`eth` and `polygon`); the
//! [`Options::holdings`] read non-zero. Other `/v1/user/...` paths answer bitbank's 404.
//!
//! Scenario time is divided by [`Options::speed`]: phase durations and `reopen_in`. The `slow`
//! delay and `Retry-After` are not scaled: they are measured against the client's real timers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use fake_bitbank::{FakeBitbank, Options, Scenario};
//! let scenario = Scenario::load("maintenance-503")?;
//! let fake = FakeBitbank::start(scenario, Options::default()).await?;
//! println!("{} {}", fake.api_url(), fake.public_url());
//! fake.next_phase(); // straight to the maintenance
//! fake.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod assets;
mod auth;
mod charts;
mod clock;
mod door;
mod exchanges;
mod hostile;
mod http;
pub mod market;
mod phase;
pub mod scenario;
mod server;
mod state;
mod stats;
mod stream;

pub use phase::{
    Availability, Behavior, BitFlyer, Board, CircuitBreak, Coincheck, CoincheckPair, GmoCoin,
    GmoCoinError, Phase, StopFlag, StreamFault,
};
pub use scenario::{Scenario, ScenarioError};
pub use server::{FakeBitbank, Options};
pub use stats::{RequestCounts, Stats, StreamCounts};
