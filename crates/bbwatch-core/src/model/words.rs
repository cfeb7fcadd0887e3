//! The one renderer of a [`Reason`]: in words for people, in either language, and as the
//! English text the event's JSON carries beside the typed `cause` (for people reading the JSON
//! and for readers older than `cause`). It sits in the model, below the event whose JSON it
//! writes; `present` renders everything else about an event from it.

use crate::i18n::{Lang, Msg};
use crate::model::asset::{AssetState, Flow, Flows};
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Host};
use crate::model::level::PairState;
use crate::model::reason::Reason;

/// How many affected pairs a reason names before "and N more".
pub const MAX_LISTED_PAIRS: usize = 5;

/// Which words a reason is put in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// For people, in full.
    Full,
    /// For people, codes without their message (event lines).
    Short,
    /// For the JSON: English, naming things as bitbank does (`xrp`, `CIRCUIT_BREAK`, `order`),
    /// as the `reason` text always has, so scripts matching it keep working.
    Json,
}

/// A pair state's name, e.g. `取引停止`.
pub fn pair_state_name(state: &PairState, lang: Lang) -> &'static str {
    match state {
        PairState::Unknown => Msg::PairUnknown,
        PairState::Normal => Msg::PairNormal,
        PairState::Busy => Msg::PairBusy,
        PairState::VeryBusy => Msg::PairVeryBusy,
        PairState::Halted => Msg::PairHalted,
        PairState::Suspended { .. } => Msg::PairSuspended,
        PairState::CircuitBreak { .. } => Msg::PairCircuitBreak,
        PairState::Other { .. } => Msg::PairOther,
    }
    .text(lang)
}

/// What is stopped, as a catalogue entry: deposits, withdrawals, or both.
pub fn flow_msg(deposit: bool, withdrawal: bool) -> Option<Msg> {
    match (deposit, withdrawal) {
        (true, true) => Some(Msg::FlowBoth),
        (true, false) => Some(Msg::FlowDeposits),
        (false, true) => Some(Msg::FlowWithdrawals),
        (false, false) => None,
    }
}

/// `XRP`, or `ETH (polygon network)` / 「ETH（polygonネットワーク）」.
pub fn asset_label(asset: &str, network: Option<&str>, lang: Lang) -> String {
    let upper = asset.to_ascii_uppercase();
    match network {
        Some(n) => Msg::AssetOnNetwork.fill(lang, &[("asset", &upper), ("network", n)]),
        None => upper,
    }
}

/// One asset's stops in words, e.g. `XRP withdrawals stopped` / 「XRPの出金が停止されました」:
/// the whole asset's, then each network's own.
pub fn asset_stops(asset: &str, state: &AssetState, lang: Lang) -> Vec<String> {
    stops(asset, state, lang, Form::Full)
}

fn stops(asset: &str, state: &AssetState, lang: Lang, form: Form) -> Vec<String> {
    let one = |network: Option<&str>, f: Flows| {
        flow_msg(f.deposit == Flow::Stopped, f.withdrawal == Flow::Stopped).map(|what| {
            let label = match form {
                Form::Json => asset.to_owned(),
                _ => asset_label(asset, network, lang),
            };
            let text =
                Msg::AssetStopped.fill(lang, &[("asset", &label), ("what", what.text(lang))]);
            match (form, network) {
                // The JSON has always said the network last: `eth withdrawals stopped on polygon`.
                (Form::Json, Some(n)) => format!("{text} on {n}"),
                _ => text,
            }
        })
    };
    let mut out: Vec<String> = one(None, state.flows).into_iter().collect();
    out.extend(
        state
            .stopped_networks()
            .filter_map(|(n, f)| one(Some(n.as_str()), f)),
    );
    out
}

/// A failed request in words: `timeout`, 「タイムアウト」, `api error 10007: …`.
pub fn failure_text(f: &Failure, lang: Lang) -> String {
    match f {
        Failure::Api { code, .. } => api_error_text(*code, lang),
        Failure::RateLimited { .. } => Msg::FailureRateLimited.text(lang).to_owned(),
        Failure::Http { status, html: true } => {
            Msg::FailureHtml.fill(lang, &[("status", &status.to_string())])
        }
        Failure::Http {
            status,
            html: false,
        } => Msg::FailureHttp.fill(lang, &[("status", &status.to_string())]),
        Failure::Malformed { status, .. } => {
            Msg::FailureMalformed.fill(lang, &[("status", &status.to_string())])
        }
        Failure::Timeout => Msg::FailureTimeout.text(lang).to_owned(),
        Failure::Network { .. } => Msg::FailureNetwork.text(lang).to_owned(),
    }
}

fn api_error_text(code: ErrorCode, lang: Lang) -> String {
    let code_s = code.to_string();
    match code.message(lang) {
        Some(m) => Msg::ReasonApiError.fill(
            lang,
            &[
                ("code", &code_s),
                ("message", m.trim_end_matches(['.', '。'])),
            ],
        ),
        None => Msg::ReasonApiErrorUnknown.fill(lang, &[("code", &code_s)]),
    }
}

/// The reason in the user's language. `short` gives just `api error 10007` for codes, as
/// event lines do.
pub fn describe_reason(reason: &Reason, lang: Lang, short: bool) -> String {
    let form = if short { Form::Short } else { Form::Full };
    words(reason, lang, form)
}

/// The reason as the event's JSON says it (the `reason` field): English, with bitbank's names
/// for assets, modes and operations, e.g. `xrp_jpy circuit break (CIRCUIT_BREAK)`.
pub fn reason_text(reason: &Reason) -> String {
    words(reason, Lang::En, Form::Json)
}

/// Serialize an optional reason as [`reason_text`]'s words, for JSON that gives only them.
pub fn serialize_reason_text<S: serde::Serializer>(
    reason: &Option<Reason>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match reason {
        Some(r) => s.serialize_str(&reason_text(r)),
        None => s.serialize_none(),
    }
}

/// One pair's state as the JSON says it: the kind, with bitbank's names for the details.
fn json_pair(pair: &str, state: &PairState) -> String {
    match state {
        PairState::Suspended { stopped } => {
            let ops: Vec<&str> = stopped.iter().map(|r| r.as_str()).collect();
            format!("{pair} suspended ({})", ops.join(", "))
        }
        PairState::CircuitBreak { mode, .. } => {
            format!("{pair} circuit break ({})", mode.as_str())
        }
        PairState::Other { status } => format!("{pair} status {status}"),
        other => format!("{pair} {}", pair_state_name(other, Lang::En)),
    }
}

fn words(reason: &Reason, lang: Lang, form: Form) -> String {
    let sep = if lang == Lang::Ja { "、" } else { ", " };
    match reason {
        Reason::ApiError { code } if form == Form::Short => format!("api error {code}"),
        Reason::ApiError { code } => api_error_text(*code, lang),
        Reason::HostFailed { failures } => {
            let parts: Vec<String> = failures
                .iter()
                .map(|(host, f)| {
                    let host = match host {
                        Host::Api => Msg::HostApi,
                        Host::Public => Msg::HostPublic,
                    };
                    let failure = match (form, f) {
                        // The JSON gives the code and status, not the code's message.
                        (Form::Json, Failure::Api { code, http_status }) => {
                            format!("api error {code} (HTTP {http_status})")
                        }
                        _ => failure_text(f, lang),
                    };
                    Msg::ReasonHost.fill(lang, &[("host", host.text(lang)), ("failure", &failure)])
                })
                .collect();
            parts.join("; ")
        }
        Reason::AllPairsHalted => Msg::ReasonAllHalted.text(lang).to_owned(),
        Reason::Status { status, planned } => {
            let msg = match planned {
                Some(true) => Msg::ReasonPlanned,
                Some(false) => Msg::ReasonEmergency,
                None => Msg::ReasonStatus,
            };
            msg.fill(lang, &[("status", status)])
        }
        Reason::Pairs(pairs) => {
            let mut parts: Vec<String> = pairs
                .iter()
                .take(MAX_LISTED_PAIRS)
                .map(|(p, s)| match form {
                    Form::Json => json_pair(p, s),
                    _ => format!("{p} {}", pair_state_name(s, lang)),
                })
                .collect();
            if pairs.len() > MAX_LISTED_PAIRS {
                let more = (pairs.len() - MAX_LISTED_PAIRS).to_string();
                parts.push(Msg::AndMore.fill(lang, &[("count", &more)]));
            }
            parts.join(sep)
        }
        Reason::Assets(assets) => {
            let parts: Vec<String> = assets
                .iter()
                .flat_map(|(a, s)| stops(a, s, lang, form))
                .collect();
            parts.join(sep)
        }
        Reason::Unwatched {
            key_removed: true, ..
        } => Msg::ReasonKeyRemoved.text(lang).to_owned(),
        Reason::Unwatched { pairs, assets, .. } => {
            let names: Vec<String> = pairs
                .iter()
                .map(|(p, _)| p.clone())
                .chain(assets.iter().map(|(a, _)| match form {
                    Form::Json => a.clone(),
                    _ => asset_label(a, None, lang),
                }))
                .collect();
            Msg::ReasonUnwatched.fill(lang, &[("names", &names.join(sep))])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::level::{CircuitMode, Restriction};

    #[test]
    fn english_texts() {
        assert_eq!(
            reason_text(&Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE
            }),
            "api error 10007: System maintenance"
        );
        assert_eq!(
            reason_text(&Reason::ApiError {
                code: ErrorCode(4242)
            }),
            "api error 4242"
        );
        let r = Reason::HostFailed {
            failures: vec![
                (
                    Host::Api,
                    Failure::Http {
                        status: 503,
                        html: true,
                    },
                ),
                (Host::Public, Failure::Timeout),
            ],
        };
        assert_eq!(
            reason_text(&r),
            "api host: HTTP 503 (error page); public host: timeout"
        );
        let r = Reason::Pairs(vec![
            ("btc_jpy".into(), PairState::Halted),
            ("eth_jpy".into(), PairState::VeryBusy),
            (
                "xrp_jpy".into(),
                PairState::CircuitBreak {
                    mode: CircuitMode::CircuitBreak,
                    reopen_at: None,
                },
            ),
            (
                "mkr_jpy".into(),
                PairState::Suspended {
                    stopped: vec![Restriction::Order],
                },
            ),
        ]);
        assert_eq!(
            reason_text(&r),
            "btc_jpy halted, eth_jpy very busy, xrp_jpy circuit break (CIRCUIT_BREAK), mkr_jpy suspended (order)"
        );
    }

    #[test]
    fn long_pair_lists_are_cut() {
        let pairs = (0..8)
            .map(|i| (format!("p{i}_jpy"), PairState::Busy))
            .collect();
        assert!(reason_text(&Reason::Pairs(pairs)).ends_with("and 3 more"));
    }

    #[test]
    fn json_round_trip_keeps_the_text() {
        let r = Reason::AllPairsHalted;
        let json = serde_json::to_string(&r).unwrap();
        let back: Reason = serde_json::from_str(&json).unwrap();
        assert_eq!(reason_text(&back), reason_text(&r));
    }
}
