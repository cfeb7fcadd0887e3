//! The other exchanges' status endpoints, each host on a listener of its own:
//!
//! * GMO Coin: `GET /public/v1/status`;
//! * bitFlyer: `GET /v1/gethealth` and `GET /v1/getboardstate?product_code=…`;
//! * Coincheck: `GET /api/exchange_status` (optionally `?pair=…`).
//!
//! Normal answers follow the samples in the exchanges' docs (see `tests/fixtures/SOURCES.md`).
//! Bodies the docs do not show (bitFlyer's bad product, every exchange's 429, the wrong shapes)
//! are constructed, and say so where they are built.

use serde::Serialize;

use crate::door::Host;
use crate::http::{Request, Response};
use crate::phase::{BitFlyer, Coincheck, Phase};

/// The normal answer of an exchange host to a request.
pub(crate) fn route(host: Host, phase: &Phase, request: &Request) -> Response {
    if request.method != "GET" {
        return not_found();
    }
    match (host, request.path.as_str()) {
        (Host::GmoCoin, "/public/v1/status") => gmocoin_status(phase),
        (Host::BitFlyer, "/v1/gethealth") => bitflyer_health(&phase.bitflyer, request),
        (Host::BitFlyer, "/v1/getboardstate") => bitflyer_board_state(&phase.bitflyer, request),
        (Host::Coincheck, "/api/exchange_status") => coincheck_status(&phase.coincheck, request),
        _ => not_found(),
    }
}

/// An unknown path or method. The real hosts' 404 bodies are not known here: a bare 404.
pub(crate) fn not_found() -> Response {
    Response::new(404, "text/plain", "Not Found\n")
}

/// A 429 in the exchange's own error shape. Constructed: the docs show none of these bodies
/// (GMO's ERR-5003 is its documented "too many requests" code).
pub(crate) fn rate_limited(host: Host, retry_after: String) -> Response {
    let response = match host {
        Host::GmoCoin => gmocoin_error(429, "ERR-5003", "Requests are too many."),
        Host::BitFlyer => bitflyer_error(429, -1, "Too many requests"),
        _ => coincheck_error(429, "too many requests"),
    };
    response.with_header("Retry-After", retry_after)
}

/// The error envelope of `host` for a hand-built [`crate::Behavior::Error`] (scenario files
/// cannot give one to these hosts; GMO's errors are `gmocoin = { error = "ERR-…" }`).
pub(crate) fn error(host: Host, code: i64, http_status: u16) -> Response {
    match host {
        Host::GmoCoin => gmocoin_error(http_status, &format!("ERR-{code}"), "Error"),
        Host::BitFlyer => bitflyer_error(http_status, code, "Error"),
        _ => coincheck_error(http_status, &format!("error {code}")),
    }
}

/// Valid JSON of the wrong shape: every field renamed. Constructed.
pub(crate) fn wrong_shape(host: Host) -> Response {
    let body = match host {
        Host::GmoCoin => {
            r#"{"code":0,"payload":{"state":"OPEN"},"time":"2019-03-19T02:15:06.001Z"}"#
        }
        Host::BitFlyer => r#"{"state_of_health":"NORMAL","board":"RUNNING"}"#,
        _ => {
            r#"{"exchange_statuses":[{"pair_name":"btc_jpy","state":"available","time":1700000000}]}"#
        }
    };
    Response::json(200, body)
}

/// The start of a normal body, up to a point where JSON allows whitespace: what `endless`
/// sends before its spaces.
pub(crate) fn endless_prefix(host: Host) -> &'static [u8] {
    match host {
        Host::GmoCoin => br#"{"status":0,"data":"#,
        Host::BitFlyer => br#"{"health":"#,
        _ => br#"{"exchange_status":["#,
    }
}

/// `body` as JSON, or a 500 if it cannot be serialised (it always can: plain structs).
fn json<T: Serialize>(status: u16, body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => Response::json(status, text),
        Err(e) => {
            tracing::error!("cannot serialize a body: {e}");
            Response::new(500, "text/plain", "cannot serialize\n")
        }
    }
}

// ---- GMO Coin

/// GMO's `responsetime`: now, RFC 3339 with milliseconds, `Z`.
fn response_time() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Serialize)]
struct GmoStatus<'a> {
    status: u8,
    data: GmoData<'a>,
    responsetime: String,
}

#[derive(Serialize)]
struct GmoData<'a> {
    status: &'a str,
}

#[derive(Serialize)]
struct GmoError<'a> {
    status: u8,
    messages: [GmoMessage<'a>; 1],
    responsetime: String,
}

#[derive(Serialize)]
struct GmoMessage<'a> {
    message_code: &'a str,
    message_string: &'a str,
}

fn gmocoin_status(phase: &Phase) -> Response {
    let gmo = &phase.gmocoin;
    if let Some(e) = &gmo.error {
        return gmocoin_error(e.http_status, &e.code, &e.message);
    }
    json(
        200,
        &GmoStatus {
            status: 0,
            data: GmoData {
                status: &gmo.status,
            },
            responsetime: response_time(),
        },
    )
}

fn gmocoin_error(http_status: u16, code: &str, message: &str) -> Response {
    json(
        http_status,
        &GmoError {
            // GMO's envelope status for every failure.
            status: 5,
            messages: [GmoMessage {
                message_code: code,
                message_string: message,
            }],
            responsetime: response_time(),
        },
    )
}

// ---- bitFlyer

#[derive(Serialize)]
struct Health<'a> {
    status: &'a str,
}

#[derive(Serialize)]
struct BoardState<'a> {
    health: &'a str,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<SpecialQuotation>,
}

#[derive(Serialize)]
struct SpecialQuotation {
    special_quotation: u64,
}

#[derive(Serialize)]
struct BitFlyerError<'a> {
    status: i64,
    error_message: &'a str,
    data: Option<()>,
}

fn bitflyer_error(http_status: u16, code: i64, message: &str) -> Response {
    json(
        http_status,
        &BitFlyerError {
            status: code,
            error_message: message,
            data: None,
        },
    )
}

/// A missing or unknown `product_code`. Constructed: the envelope is bitFlyer's, the code and
/// message are plausible, not observed.
fn bitflyer_bad_product() -> Response {
    bitflyer_error(400, -156, "Invalid product")
}

/// `gethealth`: the exchange's health, or with `product_code` that board's.
fn bitflyer_health(bf: &BitFlyer, request: &Request) -> Response {
    let status = match request.query("product_code") {
        None => bf.health.as_str(),
        Some(code) => match BitFlyer::product(&code) {
            Some(product) => bf.health_of(product),
            None => return bitflyer_bad_product(),
        },
    };
    json(200, &Health { status })
}

fn bitflyer_board_state(bf: &BitFlyer, request: &Request) -> Response {
    let Some(product) = request
        .query("product_code")
        .and_then(|code| BitFlyer::product(&code))
    else {
        return bitflyer_bad_product();
    };
    let state = bf.state_of(product);
    let data = (state == "MATURED").then(|| SpecialQuotation {
        special_quotation: bf
            .boards
            .get(product)
            .and_then(|b| b.special_quotation)
            .unwrap_or(BitFlyer::DEFAULT_SPECIAL_QUOTATION),
    });
    json(
        200,
        &BoardState {
            health: bf.health_of(product),
            state,
            data,
        },
    )
}

// ---- Coincheck

#[derive(Serialize)]
struct ExchangeStatus<'a> {
    exchange_status: Vec<PairStatus<'a>>,
}

#[derive(Serialize)]
struct PairStatus<'a> {
    pair: &'a str,
    status: &'a str,
    timestamp: i64,
    availability: Availability,
}

#[derive(Serialize)]
struct Availability {
    order: bool,
    market_order: bool,
    cancel: bool,
}

#[derive(Serialize)]
struct CoincheckError<'a> {
    success: bool,
    error: &'a str,
}

fn coincheck_error(http_status: u16, message: &str) -> Response {
    json(
        http_status,
        &CoincheckError {
            success: false,
            error: message,
        },
    )
}

fn coincheck_status(cc: &Coincheck, request: &Request) -> Response {
    // An empty `pair=` counts as absent, as a Rails app's `params[:pair].present?` would.
    let pairs: Vec<&str> = match request.query("pair").filter(|p| !p.is_empty()) {
        None => Coincheck::PAIRS.to_vec(),
        Some(wanted) => match Coincheck::PAIRS.iter().find(|p| **p == wanted) {
            Some(pair) => vec![*pair],
            // As observed on `/api/order_books?pair=nope_jpy`.
            None => return coincheck_error(400, "invalid pair"),
        },
    };
    let timestamp = chrono::Utc::now().timestamp();
    let exchange_status = pairs
        .into_iter()
        .map(|pair| {
            let (status, [order, market_order, cancel]) = cc.entry(pair);
            PairStatus {
                pair,
                status,
                timestamp,
                availability: Availability {
                    order,
                    market_order,
                    cancel,
                },
            }
        })
        .collect();
    json(200, &ExchangeStatus { exchange_status })
}
