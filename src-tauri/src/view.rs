//! What the web UI is sent (through the window process): the snapshot and events with their words already in the user's
//! language (from the core's catalogue), so the UI decides nothing about meaning.

use bbwatch_core::i18n::Msg;
use bbwatch_core::model::event::format_time;
use bbwatch_core::model::link::Link;
use bbwatch_core::present::render::{
    asset_stops, describe_reason, event_body, event_title, key_problem, level_name,
    pair_state_detail, pair_state_name, sentence,
};
use bbwatch_core::{Event, Lang, Level, PairState, Snapshot};
use chrono::Utc;

use crate::ipc::messages::{EventView, ExchangeView, PairView, StatusView};
use crate::pause::Pause;

/// The words for pairs whose state bitbank does not tell at this level, if it does not.
fn pairs_unknown(level: Level, count: usize, lang: Lang) -> Option<String> {
    let msg = match level {
        Level::Maintenance => Msg::UiPairsUnknownMaintenance,
        Level::Down | Level::Unreachable => Msg::UiPairsUnknownNoAnswer,
        _ => return None,
    };
    Some(msg.fill(lang, &[("count", &count.to_string())]))
}

/// The pairs as the window lists them: not known while the exchange says nothing of them.
fn pair_views(s: &Snapshot, pairs_unknown: bool, lang: Lang) -> Vec<PairView> {
    s.pairs
        .iter()
        .map(|(pair, state)| {
            // What we last heard is not what holds now: say we do not know.
            let state = if pairs_unknown {
                &PairState::Unknown
            } else {
                state
            };
            PairView {
                pair: pair.clone(),
                state: state.kind().to_owned(),
                state_name: pair_state_name(state, lang).to_owned(),
                detail: sentence(&pair_state_detail(state, lang)),
                reopen_at: state.reopen_at().as_ref().map(format_time),
            }
        })
        .collect()
}

/// The other watched exchanges' cards, from their snapshots (bitbank's left out).
pub fn exchange_views(others: &[Snapshot], lang: Lang) -> Vec<ExchangeView> {
    others
        .iter()
        .filter(|s| !s.exchange.is_bitbank())
        .map(|s| {
            // An exchange told as a whole (GMO Coin) has no pairs to say anything of.
            let pairs_unknown =
                pairs_unknown(s.level, s.pairs.len(), lang).filter(|_| !s.pairs.is_empty());
            ExchangeView {
                exchange: s.exchange,
                name: s.exchange.name(lang).to_owned(),
                level: s.level,
                level_name: level_name(s.level, lang).to_owned(),
                since: s.since.as_ref().map(format_time),
                start_observed: s.start_observed,
                checked_at: s.checked_at.as_ref().map(format_time),
                reason_text: s.reason.as_ref().map(|r| describe_reason(r, lang, false)),
                pairs: pair_views(s, pairs_unknown.is_some(), lang),
                pairs_unknown,
            }
        })
        .collect()
}

/// bitbank's status (the window's header and pairs) with the other exchanges' cards.
pub fn status_view(s: &Snapshot, lang: Lang, pause: Pause) -> StatusView {
    let now = Utc::now();
    let pairs_unknown = pairs_unknown(s.level, s.pairs.len(), lang);
    StatusView {
        lang,
        level: s.level,
        level_name: level_name(s.level, lang).to_owned(),
        meaning: sentence(bbwatch_core::present::render::meaning(
            s.level,
            s.reason.as_ref(),
            lang,
        )),
        since: s.since.as_ref().map(format_time),
        start_observed: s.start_observed,
        checked_at: s.checked_at.as_ref().map(format_time),
        reason_text: s.reason.as_ref().map(|r| describe_reason(r, lang, false)),
        rate_limited: s.rate_limited,
        stream: s.stream,
        stream_text: match s.stream {
            Link::Off => None,
            Link::Connecting => Some(Msg::UiLiveConnecting.text(lang).to_owned()),
            Link::Connected => Some(Msg::UiLiveConnected.text(lang).to_owned()),
        },
        notifications_paused: pause.active(now),
        paused_until: match pause {
            Pause::Until(t) if t > now => Some(format_time(&t)),
            _ => None,
        },
        pairs: pair_views(s, pairs_unknown.is_some(), lang),
        pairs_unknown,
        assets_stopped: s
            .assets
            .iter()
            .flat_map(|(asset, state)| asset_stops(asset, state, lang))
            .map(|line| sentence(&line))
            .collect(),
        key_problem: key_problem(s.api_key, lang).map(|p| sentence(&p)),
        exchanges: Vec::new(),
    }
}

pub fn event_view(e: &Event, lang: Lang) -> EventView {
    let title = event_title(e, lang);
    // An asset's stop is its own title: the same words twice tell nothing more.
    let reason_text = e
        .reason
        .as_ref()
        .map(|r| describe_reason(r, lang, false))
        .filter(|r| *r != title);
    EventView {
        exchange: e.exchange,
        exchange_name: (!e.exchange.is_bitbank()).then(|| e.exchange.name(lang).to_owned()),
        kind: e.kind,
        at: format_time(&e.at),
        level: e.level,
        pair: e.pair.clone(),
        title,
        body: sentence(&event_body(e, lang)),
        reason_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(level: Level) -> Snapshot {
        Snapshot {
            level,
            pairs: [("btc_jpy".to_owned(), PairState::Normal)].into(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn pairs_are_not_normal_while_bitbank_says_nothing_of_them() {
        let v = status_view(&snapshot(Level::Maintenance), Lang::En, Pause::Off);
        assert_eq!(v.pairs[0].state, "unknown");
        assert_eq!(
            v.pairs_unknown.as_deref(),
            Some("1 pairs: state not known during the maintenance")
        );
        let v = status_view(&snapshot(Level::Normal), Lang::En, Pause::Off);
        assert_eq!(v.pairs[0].state, "normal");
        assert_eq!(v.pairs[0].detail, "Trading normally");
        assert_eq!(v.pairs_unknown, None);
    }

    #[test]
    fn the_footer_says_whether_live_updates_are_connected() {
        let mut s = snapshot(Level::Normal);
        assert_eq!(status_view(&s, Lang::En, Pause::Off).stream_text, None);
        s.stream = Link::Connected;
        let v = status_view(&s, Lang::En, Pause::Off);
        assert_eq!(v.stream_text.as_deref(), Some("Live updates connected"));
        s.stream = Link::Connecting;
        let v = status_view(&s, Lang::Ja, Pause::Off);
        assert_eq!(
            v.stream_text.as_deref(),
            Some("リアルタイム更新は再接続待ち")
        );
    }

    #[test]
    fn a_pause_says_until_when() {
        let until = Utc::now() + chrono::Duration::hours(1);
        let v = status_view(&snapshot(Level::Normal), Lang::En, Pause::Until(until));
        assert!(v.notifications_paused);
        assert_eq!(v.paused_until, Some(format_time(&until)));
        let v = status_view(&snapshot(Level::Normal), Lang::En, Pause::Forever);
        assert!(v.notifications_paused && v.paused_until.is_none());
    }

    #[test]
    fn a_refused_key_is_said() {
        let mut s = snapshot(Level::Normal);
        assert_eq!(status_view(&s, Lang::En, Pause::Off).key_problem, None);
        s.api_key = bbwatch_core::model::asset::KeyState::Rejected {
            code: bbwatch_core::model::code::ErrorCode(20001),
        };
        let v = status_view(&s, Lang::En, Pause::Off);
        assert!(v.key_problem.unwrap().contains("rejected the API key"));
        assert!(v.assets_stopped.is_empty());
    }

    #[test]
    fn an_assets_stop_is_not_said_twice_in_its_event() {
        use bbwatch_core::engine::asset_changes::changes;
        use bbwatch_core::model::asset::{AssetState, Flow, Flows};
        let state = |withdrawal| AssetState {
            flows: Flows {
                deposit: Flow::Open,
                withdrawal,
            },
            networks: Default::default(),
        };
        let before = [("xrp".to_owned(), state(Flow::Open))].into();
        let after = [("xrp".to_owned(), state(Flow::Stopped))].into();
        let events = changes(&before, &after, Utc::now(), Level::Degraded);
        let v = event_view(&events[0], Lang::En);
        assert_eq!(v.title, "XRP withdrawals stopped");
        assert_eq!(v.reason_text, None);
        assert!(!v.body.is_empty());
    }

    #[test]
    fn another_exchange_has_a_card_and_its_events_a_label() {
        use bbwatch_core::model::exchange::Exchange;
        let mut gmo = snapshot(Level::Maintenance);
        gmo.exchange = Exchange::Gmocoin;
        gmo.since = Some(Utc::now());
        let bitbank = snapshot(Level::Normal);
        let cards = exchange_views(&[bitbank, gmo], Lang::En);
        assert_eq!(cards.len(), 1, "bitbank has no card of its own");
        assert_eq!(cards[0].name, "GMO Coin");
        assert_eq!(cards[0].level_name, "Maintenance");
        assert_eq!(cards[0].pairs[0].state, "unknown");
        assert!(cards[0].since.is_some());
        let mut whole = snapshot(Level::Maintenance);
        whole.exchange = Exchange::Gmocoin;
        whole.pairs.clear();
        assert_eq!(exchange_views(&[whole], Lang::En)[0].pairs_unknown, None);

        let mut event = bbwatch_core::Event::level_change(
            bbwatch_core::EventKind::MaintenanceStarted,
            Utc::now(),
            Level::Maintenance,
            Some(Level::Normal),
        );
        assert_eq!(event_view(&event, Lang::En).exchange_name, None);
        event.exchange = Exchange::Gmocoin;
        let v = event_view(&event, Lang::Ja);
        assert_eq!(v.exchange_name.as_deref(), Some("GMOコイン"));
        assert_eq!(v.exchange, Exchange::Gmocoin);
    }
}
