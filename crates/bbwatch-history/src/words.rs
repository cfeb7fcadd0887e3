//! Periods in words, in the reader's language: what, how long, why. Shared by `bbwatch
//! history` and the window's History view.

use bbwatch_core::i18n::{HistoryMsg, Msg};
use bbwatch_core::present::render::{
    describe_reason, format_duration, pair_state_detail, pair_state_name,
};
use bbwatch_core::Lang;

use crate::period::{End, Period, PeriodKind};

/// What the period is of: `Maintenance`, `xrp_jpy suspended`; another exchange's than
/// bitbank's names it first, as its event lines do: `GMO Coin: Maintenance`.
pub fn period_name(p: &Period, lang: Lang) -> String {
    let name = if p.kind.is_pair() {
        let state = p.pair_state.clone().unwrap_or_default();
        format!(
            "{} {}",
            p.pair.as_deref().unwrap_or("?"),
            pair_state_name(&state, lang)
        )
    } else {
        kind_name(p.kind, lang)
    };
    // bitbank's read as they always have.
    if p.exchange.is_bitbank() {
        name
    } else {
        format!("{}: {name}", p.exchange.name(lang))
    }
}

/// A kind's name, as a filter offers it: `Maintenance`, `Halted`, 「取引停止」.
pub fn kind_name(kind: PeriodKind, lang: Lang) -> String {
    let text = match kind {
        PeriodKind::Maintenance => HistoryMsg::PeriodMaintenance.text(lang),
        PeriodKind::Down => HistoryMsg::PeriodDown.text(lang),
        PeriodKind::Unreachable => HistoryMsg::PeriodUnreachable.text(lang),
        PeriodKind::Degraded => HistoryMsg::PeriodDegraded.text(lang),
        PeriodKind::Halted => Msg::PairHalted.text(lang),
        PeriodKind::Suspended => Msg::PairSuspended.text(lang),
        PeriodKind::CircuitBreak => Msg::PairCircuitBreak.text(lang),
        PeriodKind::Busy => Msg::PairBusy.text(lang),
        PeriodKind::VeryBusy => Msg::PairVeryBusy.text(lang),
        PeriodKind::Other => Msg::PairOther.text(lang),
    };
    // The pair states' names are lower case in English, to sit in sentences.
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// How long it lasted: `1 h 23 min`, `at least 1 h 23 min` when the start was not seen,
/// `12 min 5 s so far` while under way; `end unknown` when it is not known.
pub fn period_duration(p: &Period, lang: Lang) -> String {
    let Some(secs) = p.duration_secs else {
        return HistoryMsg::EndUnknown.text(lang).to_owned();
    };
    let d = format_duration(secs, lang);
    if matches!(p.end, End::Unwatched(_)) {
        HistoryMsg::WatchedFor.fill(lang, &[("duration", &d)])
    } else if p.end == End::Ongoing {
        HistoryMsg::SoFar.fill(lang, &[("duration", &d)])
    } else if !p.start_observed {
        Msg::AtLeast.fill(lang, &[("duration", &d)])
    } else {
        d
    }
}

/// Why: the reason the exchange gave, or the pair's state in detail.
pub fn period_why(p: &Period, lang: Lang) -> Option<String> {
    if p.kind.is_pair() {
        p.pair_state.as_ref().map(|s| pair_state_detail(s, lang))
    } else {
        p.reason.as_ref().map(|r| describe_reason(r, lang, false))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::model::exchange::Exchange;
    use bbwatch_core::PairState;

    fn period(exchange: Exchange, kind: PeriodKind, pair: Option<&str>) -> Period {
        Period {
            exchange,
            kind,
            pair: pair.map(str::to_owned),
            start: None,
            start_observed: true,
            end: End::Unknown,
            duration_secs: None,
            reason: None,
            pair_state: pair.map(|_| PairState::Halted),
        }
    }

    #[test]
    fn another_exchanges_period_names_it_and_bitbanks_read_as_before() {
        let m = |e| period(e, PeriodKind::Maintenance, None);
        assert_eq!(period_name(&m(Exchange::Bitbank), Lang::En), "Maintenance");
        assert_eq!(
            period_name(&m(Exchange::Gmocoin), Lang::En),
            "GMO Coin: Maintenance"
        );
        assert_eq!(
            period_name(&m(Exchange::Gmocoin), Lang::Ja),
            format!(
                "GMOコイン: {}",
                kind_name(PeriodKind::Maintenance, Lang::Ja)
            )
        );
        let halt = |e| period(e, PeriodKind::Halted, Some("btc_jpy"));
        let bitbank = period_name(&halt(Exchange::Bitbank), Lang::En);
        assert!(bitbank.starts_with("btc_jpy "), "{bitbank}");
        assert_eq!(
            period_name(&halt(Exchange::Bitflyer), Lang::En),
            format!("bitFlyer: {bitbank}")
        );
    }
}
