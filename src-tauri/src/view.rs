//! What the web UI is sent (through the window process): the snapshot and events with their words already in the user's
//! language (from the core's catalogue), so the UI decides nothing about meaning.

use bbwatch_core::event::format_time;
use bbwatch_core::render::{
    describe_reason, event_body, event_title, level_meaning, level_name, pair_state_detail,
    pair_state_name,
};
use bbwatch_core::{Event, Lang, Snapshot};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PairView {
    pub pair: String,
    pub state: String,
    pub state_name: String,
    pub detail: String,
    pub reopen_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusView {
    pub lang: Lang,
    pub level: bbwatch_core::Level,
    pub level_name: String,
    pub meaning: String,
    pub since: Option<String>,
    pub checked_at: Option<String>,
    pub reason_text: Option<String>,
    pub rate_limited: bool,
    pub notifications_paused: bool,
    pub pairs: Vec<PairView>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventView {
    pub kind: bbwatch_core::EventKind,
    pub at: String,
    pub level: bbwatch_core::Level,
    pub pair: Option<String>,
    pub title: String,
    pub body: String,
    pub reason_text: Option<String>,
}

pub fn status_view(s: &Snapshot, lang: Lang, paused: bool) -> StatusView {
    StatusView {
        lang,
        level: s.level,
        level_name: level_name(s.level, lang).to_owned(),
        meaning: level_meaning(s.level, lang).to_owned(),
        since: s.since.as_ref().map(format_time),
        checked_at: s.checked_at.as_ref().map(format_time),
        reason_text: s.reason.as_ref().map(|r| describe_reason(r, lang, false)),
        rate_limited: s.rate_limited,
        notifications_paused: paused,
        pairs: s
            .pairs
            .iter()
            .map(|(pair, state)| PairView {
                pair: pair.clone(),
                state: state.kind().to_owned(),
                state_name: pair_state_name(state, lang).to_owned(),
                detail: pair_state_detail(state, lang),
                reopen_at: state.reopen_at().as_ref().map(format_time),
            })
            .collect(),
    }
}

pub fn event_view(e: &Event, lang: Lang) -> EventView {
    EventView {
        kind: e.kind,
        at: format_time(&e.at),
        level: e.level,
        pair: e.pair.clone(),
        title: event_title(e, lang),
        body: event_body(e, lang),
        reason_text: e.reason.as_ref().map(|r| describe_reason(r, lang, false)),
    }
}
