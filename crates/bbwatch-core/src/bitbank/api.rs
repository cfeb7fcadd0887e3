//! bitbank's wire format: the `{"success":…,"data":…}` envelope and the three answers a
//! monitor reads. Parsing is pure: it takes the HTTP status, the headers that matter and the
//! body, whatever the content type, and never fails on an unknown field or value.

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Fetch};
use crate::model::level::{CircuitMode, PairStatus, Restriction};
use crate::model::pair::check_pair_name;
use crate::model::sanitize;
pub use crate::transport::{looks_like_html, parse_retry_after};

/// One entry of `GET /spot/status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairStatusEntry {
    /// Pair name, e.g. `btc_jpy`.
    pub pair: String,
    /// The status.
    pub status: PairStatus,
    /// The current minimum order amount (rises when busy), verbatim.
    pub min_amount: Option<String>,
}

/// One entry of `GET /spot/pairs`, reduced to what a monitor needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairInfo {
    /// Pair name, e.g. `btc_jpy`.
    pub name: String,
    /// Operations the flags switch off; empty when the pair trades freely.
    pub restrictions: Vec<Restriction>,
}

impl PairInfo {
    /// Whether the pair trades freely.
    pub fn is_tradable(&self) -> bool {
        self.restrictions.is_empty()
    }
}

/// `GET /{pair}/circuit_break_info`, reduced to what a monitor needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitBreakInfo {
    /// The mode.
    pub mode: CircuitMode,
    /// When trading reopens, if decided.
    pub reopen_at: Option<DateTime<Utc>>,
}

/// Read an envelope whatever the HTTP status and content type.
///
/// `retry_after` is the raw `Retry-After` header, if any.
pub fn parse_envelope(status: u16, retry_after: Option<&str>, body: &[u8]) -> Fetch<Value> {
    let rate_limited = || Failure::RateLimited {
        retry_after: retry_after.and_then(parse_retry_after),
    };
    let mut value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            if status == 429 {
                return Err(rate_limited());
            }
            let html = looks_like_html(body);
            return Err(if (200..300).contains(&status) && !html {
                Failure::Malformed {
                    status,
                    detail: format!("not JSON: {}", sanitize::text(&e.to_string())),
                }
            } else {
                Failure::Http { status, html }
            });
        }
    };
    let success = match value.get("success") {
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::Bool(b)) => *b,
        _ => {
            if status == 429 {
                return Err(rate_limited());
            }
            return Err(Failure::Malformed {
                status,
                detail: "JSON without a `success` field".into(),
            });
        }
    };
    // Taken, not cloned: the pairs' answer is tens of KiB, and a copy doubles the peak.
    let data = value
        .get_mut("data")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if success {
        return Ok(data);
    }
    let code = data
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok());
    match code {
        Some(c) if ErrorCode(c) == ErrorCode::TOO_MANY_REQUESTS => Err(rate_limited()),
        _ if status == 429 => Err(rate_limited()),
        Some(c) => Err(Failure::Api {
            code: ErrorCode(c),
            http_status: status,
        }),
        None => Err(Failure::Malformed {
            status,
            detail: "error envelope without a numeric code".into(),
        }),
    }
}

fn data_as<T: DeserializeOwned>(status: u16, data: Value) -> Fetch<T> {
    serde_json::from_value(data).map_err(|e| Failure::Malformed {
        status,
        // serde quotes the offending value, which the server chose.
        detail: format!("unexpected shape: {}", sanitize::text(&e.to_string())),
    })
}

/// Entries that fail to parse, or whose pair name (`name_of`) is not a valid pair name, are
/// skipped (and counted in logs) rather than failing the answer. But a list in which no entry
/// parses is an answer of the wrong shape (bitbank changed its schema): a failure, not
/// "normal with 0 pairs". So is an empty list: bitbank always lists its pairs.
fn lenient_list<T: DeserializeOwned>(
    status: u16,
    items: Vec<Value>,
    what: &str,
    name_of: fn(&T) -> &str,
) -> Fetch<Vec<T>> {
    let total = items.len();
    let parsed: Vec<T> = items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .filter(|t: &T| check_pair_name(name_of(t)).is_ok())
        .collect();
    if parsed.is_empty() {
        return Err(Failure::Malformed {
            status,
            detail: format!("{what}: none of {total} entries has the expected shape"),
        });
    }
    if parsed.len() < total {
        tracing::warn!("skipped {} malformed {what} entries", total - parsed.len());
    }
    Ok(parsed)
}

/// Parse `GET /spot/status`.
pub fn parse_spot_status(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Fetch<Vec<PairStatusEntry>> {
    #[derive(Deserialize)]
    struct Data {
        statuses: Vec<Value>,
    }
    #[derive(Deserialize)]
    struct Raw {
        pair: String,
        status: String,
        #[serde(default)]
        min_amount: Option<Value>,
    }
    let data: Data = data_as(status, parse_envelope(status, retry_after, body)?)?;
    Ok(
        lenient_list::<Raw>(status, data.statuses, "spot/status", |r| &r.pair)?
            .into_iter()
            .map(|r| PairStatusEntry {
                status: PairStatus::from(r.status.as_str()),
                min_amount: r.min_amount.map(|v| match v {
                    Value::String(s) => sanitize::token(&s),
                    other => sanitize::token(&other.to_string()),
                }),
                pair: r.pair,
            })
            .collect(),
    )
}

/// Parse `GET /spot/pairs`.
pub fn parse_spot_pairs(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Fetch<Vec<PairInfo>> {
    #[derive(Deserialize)]
    struct Data {
        pairs: Vec<Value>,
    }
    #[derive(Deserialize)]
    struct Raw {
        name: String,
        #[serde(default = "enabled")]
        is_enabled: bool,
        #[serde(default)]
        stop_order: bool,
        #[serde(default)]
        stop_order_and_cancel: bool,
        #[serde(default)]
        stop_market_order: bool,
        #[serde(default)]
        stop_stop_order: bool,
        #[serde(default)]
        stop_stop_limit_order: bool,
        #[serde(default)]
        stop_margin_long_order: bool,
        #[serde(default)]
        stop_margin_short_order: bool,
        #[serde(default)]
        stop_buy_order: bool,
        #[serde(default)]
        stop_sell_order: bool,
    }
    fn enabled() -> bool {
        true
    }
    let data: Data = data_as(status, parse_envelope(status, retry_after, body)?)?;
    Ok(
        lenient_list::<Raw>(status, data.pairs, "spot/pairs", |r| &r.name)?
            .into_iter()
            .map(|r| {
                let flags = [
                    (!r.is_enabled, Restriction::Disabled),
                    (r.stop_order, Restriction::Order),
                    (r.stop_order_and_cancel, Restriction::OrderAndCancel),
                    (r.stop_market_order, Restriction::MarketOrder),
                    (r.stop_stop_order, Restriction::StopOrder),
                    (r.stop_stop_limit_order, Restriction::StopLimitOrder),
                    (r.stop_margin_long_order, Restriction::MarginLongOrder),
                    (r.stop_margin_short_order, Restriction::MarginShortOrder),
                    (r.stop_buy_order, Restriction::BuyOrder),
                    (r.stop_sell_order, Restriction::SellOrder),
                ];
                PairInfo {
                    name: r.name,
                    restrictions: flags
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, r)| *r)
                        .collect(),
                }
            })
            .collect(),
    )
}

/// Parse `GET /{pair}/circuit_break_info`.
pub fn parse_circuit_break_info(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Fetch<CircuitBreakInfo> {
    circuit_break_data(status, parse_envelope(status, retry_after, body)?)
}

/// The `data` of a circuit_break_info answer, from REST or from the stream (same fields).
pub fn circuit_break_data(status: u16, data: Value) -> Fetch<CircuitBreakInfo> {
    #[derive(Deserialize)]
    struct Raw {
        mode: String,
        #[serde(default)]
        reopen_timestamp: Option<Value>,
    }
    let raw: Raw = data_as(status, data)?;
    let reopen_at = raw
        .reopen_timestamp
        .and_then(|v| v.as_i64())
        .filter(|ms| *ms > 0)
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
    Ok(CircuitBreakInfo {
        mode: CircuitMode::from(raw.mode.as_str()),
        reopen_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn maintenance_is_read_whatever_the_http_status() {
        for status in [200, 503] {
            let err = parse_spot_status(status, None, &fixture("error_10007.json")).unwrap_err();
            assert!(err.is_maintenance(), "{err:?}");
            assert_eq!(
                err,
                Failure::Api {
                    code: ErrorCode::SYSTEM_MAINTENANCE,
                    http_status: status
                }
            );
        }
    }

    #[test]
    fn every_constructed_error_sample_is_read_by_code() {
        for code in [
            10008, 70004, 70009, 70010, 70011, 70013, 70017, 70018, 70020,
        ] {
            let err =
                parse_spot_status(200, None, &fixture(&format!("error_{code}.json"))).unwrap_err();
            assert_eq!(
                err,
                Failure::Api {
                    code: ErrorCode(code),
                    http_status: 200
                }
            );
        }
    }

    #[test]
    fn rate_limiting_is_its_own_case() {
        let err = parse_spot_status(200, None, &fixture("error_10009.json")).unwrap_err();
        assert_eq!(err, Failure::RateLimited { retry_after: None });
        let err = parse_spot_status(429, Some("7"), b"Too Many Requests").unwrap_err();
        assert_eq!(
            err,
            Failure::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        let err = parse_spot_status(429, Some("99999999999999999999999999"), b"").unwrap_err();
        assert_eq!(
            err,
            Failure::RateLimited {
                retry_after: Some(Duration::from_secs(u64::MAX))
            }
        );
        let err = parse_spot_status(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), b"{}").unwrap_err();
        assert_eq!(err, Failure::RateLimited { retry_after: None });
    }

    #[test]
    fn a_cdn_html_page_is_not_an_envelope() {
        let html = b"<!DOCTYPE HTML PUBLIC><HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD></HTML>";
        for status in [502, 503, 504] {
            assert_eq!(
                parse_spot_pairs(status, None, html).unwrap_err(),
                Failure::Http { status, html: true }
            );
        }
    }

    #[test]
    fn the_observed_404_is_an_api_error_even_as_text_plain() {
        let err = parse_spot_status(
            404,
            None,
            &fixture("public_404_url_not_found.observed.json"),
        )
        .unwrap_err();
        assert_eq!(
            err,
            Failure::Api {
                code: ErrorCode::URL_NOT_FOUND,
                http_status: 404
            }
        );
    }

    #[test]
    fn truncated_json_is_malformed() {
        let body = br#"{"success":1,"data":{"statuses":[{"pair":"btc_jpy","sta"#;
        assert!(matches!(
            parse_spot_status(200, None, body),
            Err(Failure::Malformed { status: 200, .. })
        ));
    }

    #[test]
    fn statuses_keep_unknown_values_and_skip_broken_entries() {
        let body = br#"{"success":1,"data":{"statuses":[
            {"pair":"btc_jpy","status":"NORMAL","min_amount":"0.0001","new_field":1},
            {"pair":"xrp_jpy","status":"SUPER_BUSY","min_amount":"1"},
            {"status":"HALT"},
            {"pair":"eth_jpy","status":"HALT","min_amount":0.1}
        ]}}"#;
        let statuses = parse_spot_status(200, None, body).unwrap();
        assert_eq!(statuses.len(), 3);
        assert_eq!(statuses[1].status, PairStatus::Other("SUPER_BUSY".into()));
        assert_eq!(statuses[2].status, PairStatus::Halt);
        assert_eq!(statuses[2].min_amount.as_deref(), Some("0.1"));
    }

    #[test]
    fn the_mixed_status_sample_has_every_documented_value() {
        let statuses = parse_spot_status(200, None, &fixture("v1_spot_status_mixed.json")).unwrap();
        let got: Vec<_> = statuses.iter().map(|s| s.status.clone()).collect();
        assert_eq!(
            got,
            vec![
                PairStatus::Normal,
                PairStatus::Busy,
                PairStatus::VeryBusy,
                PairStatus::Halt
            ]
        );
    }

    #[test]
    fn the_docs_pairs_sample_is_a_tradable_pair() {
        // Its name is a placeholder ("string"), which is not a pair name: the sample as is
        // has no usable entry; with a real name, every documented field parses.
        assert!(parse_spot_pairs(200, None, &fixture("v1_spot_pairs.json")).is_err());
        let sample = String::from_utf8(fixture("v1_spot_pairs.json"))
            .unwrap()
            .replacen("\"string\"", "\"btc_jpy\"", 1);
        let pairs = parse_spot_pairs(200, None, sample.as_bytes()).unwrap();
        assert_eq!(pairs.len(), 1);
        assert!(pairs[0].is_tradable());
    }

    #[test]
    fn a_suspended_pair_lists_its_stopped_operations() {
        let pairs =
            parse_spot_pairs(200, None, &fixture("v1_spot_pairs_suspended_pair.json")).unwrap();
        assert_eq!(pairs[0].name, "mkr_jpy");
        assert_eq!(
            pairs[0].restrictions,
            vec![
                Restriction::Order,
                Restriction::MarketOrder,
                Restriction::StopOrder,
                Restriction::StopLimitOrder,
                Restriction::BuyOrder,
                Restriction::SellOrder
            ]
        );
    }

    #[test]
    fn missing_optional_flags_are_tolerated() {
        let body = br#"{"success":1,"data":{"pairs":[{"name":"btc_jpy"},{"name":"x_jpy","is_enabled":false}]}}"#;
        let pairs = parse_spot_pairs(200, None, body).unwrap();
        assert!(pairs[0].is_tradable());
        assert_eq!(pairs[1].restrictions, vec![Restriction::Disabled]);
    }

    #[test]
    fn circuit_break_samples() {
        let info = parse_circuit_break_info(
            200,
            None,
            &fixture("mock-bitbankcc_public_circuit_break_info.json"),
        )
        .unwrap();
        assert_eq!(info.mode, CircuitMode::None);
        assert_eq!(info.reopen_at, None);
        // The docs sample has placeholder strings: an unknown mode, kept.
        let info =
            parse_circuit_break_info(200, None, &fixture("public_pair_circuit_break_info.json"))
                .unwrap();
        assert_eq!(info.mode, CircuitMode::Other("string".into()));
        let body = br#"{"success":1,"data":{"mode":"CIRCUIT_BREAK","reopen_timestamp":1764220000000,"timestamp":1}}"#;
        let info = parse_circuit_break_info(200, None, body).unwrap();
        assert_eq!(info.mode, CircuitMode::CircuitBreak);
        assert_eq!(
            info.reopen_at.unwrap().timestamp_millis(),
            1_764_220_000_000
        );
    }

    #[test]
    fn a_list_where_no_entry_parses_is_a_failure_not_zero_pairs() {
        let renamed =
            br#"{"success":1,"data":{"statuses":[{"symbol":"btc_jpy","state":"NORMAL"}]}}"#;
        assert!(matches!(
            parse_spot_status(200, None, renamed),
            Err(Failure::Malformed { status: 200, .. })
        ));
        let renamed = br#"{"success":1,"data":{"pairs":[{"pair_name":"btc_jpy"},{"id":2}]}}"#;
        assert!(matches!(
            parse_spot_pairs(200, None, renamed),
            Err(Failure::Malformed { .. })
        ));
        let empty = br#"{"success":1,"data":{"pairs":[]}}"#;
        assert!(matches!(
            parse_spot_pairs(200, None, empty),
            Err(Failure::Malformed { .. })
        ));
        let wrong_type = br#"{"success":1,"data":{"statuses":{"btc_jpy":"NORMAL"}}}"#;
        assert!(matches!(
            parse_spot_status(200, None, wrong_type),
            Err(Failure::Malformed { .. })
        ));
    }

    #[test]
    fn pair_names_from_the_server_follow_the_users_rule() {
        let body = br#"{"success":1,"data":{"pairs":[{"name":"btc_jpy"},{"name":"../../_fake/next?x=1"},
            {"name":"x_jpy/circuit_break_info#"},{"name":"\u001b]0;pwned\u0007_jpy"},{"name":"BTC_JPY"}]}}"#;
        let pairs = parse_spot_pairs(200, None, body).unwrap();
        let names: Vec<_> = pairs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["btc_jpy"]);
        let body = br#"{"success":1,"data":{"statuses":[{"pair":"btc_jpy","status":"NORMAL"},{"pair":"a/b_c","status":"HALT"}]}}"#;
        assert_eq!(parse_spot_status(200, None, body).unwrap().len(), 1);
    }

    #[test]
    fn status_strings_from_the_server_are_sanitized() {
        let body = br#"{"success":1,"data":{"statuses":[{"pair":"btc_jpy","status":"\u001b]0;pwned\u0007\u001b[2J","min_amount":"\u001b[31m1"}]}}"#;
        let s = &parse_spot_status(200, None, body).unwrap()[0];
        assert_eq!(s.status, PairStatus::Other("??0?pwned???2J".into()));
        assert_eq!(s.min_amount.as_deref(), Some("??31m1"));
        let body = br#"{"success":1,"data":{"mode":"\u001b[2J\nFORGED","reopen_timestamp":null}}"#;
        let info = parse_circuit_break_info(200, None, body).unwrap();
        assert_eq!(info.mode, CircuitMode::Other("??2J?FORGED".into()));
    }

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"null",
            b"[]",
            b"{\"success\":1}",
            b"{\"success\":0,\"data\":{\"code\":-5}}",
            b"{\"success\":0,\"data\":{\"code\":99999999999}}",
            b"{\"success\":\"yes\",\"data\":1}",
            &[0xff, 0xfe, 0x00],
        ];
        for body in inputs {
            for status in [200, 404, 500, 503] {
                let _ = parse_spot_status(status, None, body);
                let _ = parse_spot_pairs(status, None, body);
                let _ = parse_circuit_break_info(status, None, body);
            }
        }
    }
}
