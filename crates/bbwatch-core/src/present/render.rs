//! Words for people: levels, pair states, reasons, durations and whole event lines, in
//! Japanese or English, from the [`crate::i18n`] catalogue. Shared by the CLI, notifications
//! and the tray.

use chrono::{DateTime, Local, Utc};

use crate::i18n::{Lang, Msg};
use crate::model::asset::Flow;
use crate::model::event::{Event, EventKind};
use crate::model::exchange::Exchange;
use crate::model::level::{CircuitMode, Level, PairState, Restriction};
use crate::model::reason::Reason;

pub use crate::model::words::{
    asset_label, asset_stops, describe_reason, failure_text, flow_msg, pair_state_name,
    MAX_LISTED_PAIRS,
};

/// The level's name, e.g. `メンテナンス中`.
pub fn level_name(level: Level, lang: Lang) -> &'static str {
    match level {
        Level::Unknown => Msg::LevelUnknown,
        Level::Normal => Msg::LevelNormal,
        Level::Degraded => Msg::LevelDegraded,
        Level::Unreachable => Msg::LevelUnreachable,
        Level::Down => Msg::LevelDown,
        Level::Maintenance => Msg::LevelMaintenance,
    }
    .text(lang)
}

/// What the level means for the user (orders, the API, bots).
pub fn level_meaning(level: Level, lang: Lang) -> &'static str {
    match level {
        Level::Unknown => Msg::MeaningUnknown,
        Level::Normal => Msg::MeaningNormal,
        Level::Degraded => Msg::MeaningDegraded,
        Level::Unreachable => Msg::MeaningUnreachable,
        Level::Down => Msg::MeaningDown,
        Level::Maintenance => Msg::MeaningMaintenance,
    }
    .text(lang)
}

/// What the level means, said for its reason: a `degraded` that is only deposits or
/// withdrawals stopped is not about trading.
pub fn meaning(level: Level, reason: Option<&Reason>, lang: Lang) -> &'static str {
    match (level, reason) {
        (Level::Degraded, Some(Reason::Assets(_))) => Msg::MeaningDegradedAssets.text(lang),
        _ => level_meaning(level, lang),
    }
}

/// A circuit-break mode's name (the official Japanese names).
pub fn mode_name(mode: &CircuitMode, lang: Lang) -> String {
    let msg = match mode {
        CircuitMode::None => Msg::ModeNone,
        CircuitMode::CircuitBreak => Msg::ModeCircuitBreak,
        CircuitMode::FullRangeCircuitBreak => Msg::ModeFullRange,
        CircuitMode::Resumption => Msg::ModeResumption,
        CircuitMode::Listing => Msg::ModeListing,
        CircuitMode::Other(s) => return s.clone(),
    };
    msg.text(lang).to_owned()
}

/// An operation's name, e.g. `成行注文`.
pub fn restriction_name(r: Restriction, lang: Lang) -> &'static str {
    match r {
        Restriction::Disabled => Msg::OpDisabled,
        Restriction::Order => Msg::OpOrder,
        Restriction::OrderAndCancel => Msg::OpOrderAndCancel,
        Restriction::MarketOrder => Msg::OpMarketOrder,
        Restriction::StopOrder => Msg::OpStopOrder,
        Restriction::StopLimitOrder => Msg::OpStopLimitOrder,
        Restriction::MarginLongOrder => Msg::OpMarginLong,
        Restriction::MarginShortOrder => Msg::OpMarginShort,
        Restriction::BuyOrder => Msg::OpBuy,
        Restriction::SellOrder => Msg::OpSell,
    }
    .text(lang)
}

/// What a pair state means, e.g. `注文・取消がすべて停止されています`.
pub fn pair_state_detail(state: &PairState, lang: Lang) -> String {
    let list_sep = if lang == Lang::Ja { "、" } else { ", " };
    match state {
        PairState::Normal => Msg::PairBodyNormal.text(lang).to_owned(),
        PairState::Unknown => Msg::PairBodyUnknown.text(lang).to_owned(),
        PairState::Busy | PairState::VeryBusy => Msg::PairBodyBusy.text(lang).to_owned(),
        PairState::Halted => Msg::PairBodyHalted.text(lang).to_owned(),
        PairState::Suspended { stopped } => {
            let ops: Vec<&str> = stopped.iter().map(|r| restriction_name(*r, lang)).collect();
            Msg::PairBodySuspended.fill(lang, &[("operations", &ops.join(list_sep))])
        }
        PairState::CircuitBreak { mode, reopen_at } => {
            let mut s = Msg::PairBodyCircuitBreak.fill(lang, &[("mode", &mode_name(mode, lang))]);
            if let Some(t) = reopen_at {
                s.push_str(if lang == Lang::Ja { "、" } else { ", " });
                s.push_str(&Msg::PairBodyReopen.fill(lang, &[("time", &local_time(t))]));
            }
            s
        }
        PairState::Other { status } => Msg::PairBodyOther.fill(lang, &[("status", status)]),
    }
}

/// `1時間5分` / `5分12秒` / `42秒` (`1 h 5 min` / `5 min 12 s` / `42 s`).
pub fn format_duration(secs: u64, lang: Lang) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let (h, m, s) = (h.to_string(), m.to_string(), s.to_string());
    if secs >= 3600 {
        Msg::DurationHours.fill(lang, &[("h", &h), ("m", &m)])
    } else if secs >= 60 && secs.is_multiple_of(60) {
        Msg::DurationWholeMinutes.fill(lang, &[("m", &m)])
    } else if secs >= 60 {
        Msg::DurationMinutes.fill(lang, &[("m", &m), ("s", &s)])
    } else {
        Msg::DurationSeconds.fill(lang, &[("s", &s)])
    }
}

/// A short local time: `14:31` today, `11-26 14:31` on another day.
pub fn short_local_time(t: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let (t, now) = (t.with_timezone(&Local), now.with_timezone(&Local));
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%m-%d %H:%M").to_string()
    }
}

/// The level, since when and why, in one short line for the tray:
/// `Maintenance · since 14:31 · api error 10007`.
///
/// `started`: when this run of the app began; a level that held already then is "since 14:31
/// (when bbwatch started)" rather than "since before 14:31" (see [`since_text_run`]).
pub fn summary_line(
    snapshot: &crate::Snapshot,
    lang: Lang,
    now: &DateTime<Utc>,
    started: Option<&DateTime<Utc>>,
) -> String {
    let mut parts = vec![level_name(snapshot.level, lang).to_owned()];
    parts.extend(since_text_run(snapshot, lang, now, started));
    if let Some(reason) = &snapshot.reason {
        parts.push(short_reason(reason, lang));
    }
    parts.join(" · ")
}

/// The reason in a few words for the tray: a code alone (`APIエラー 10007` / `api error
/// 10007`), else the reason in full.
pub fn short_reason(reason: &Reason, lang: Lang) -> String {
    match reason {
        Reason::ApiError { code } => {
            Msg::ReasonApiErrorUnknown.fill(lang, &[("code", &code.to_string())])
        }
        other => describe_reason(other, lang, false),
    }
}

/// `since 14:31`, or `since before 14:31` when the level held already at the first answer.
pub fn since_text(snapshot: &crate::Snapshot, lang: Lang, now: &DateTime<Utc>) -> Option<String> {
    let since = snapshot.since.as_ref()?;
    let msg = if snapshot.start_observed {
        Msg::Since
    } else {
        Msg::SinceBefore
    };
    Some(msg.fill(lang, &[("time", &short_local_time(since, now))]))
}

/// [`since_text`] for a run of the app that began at `started`: a level whose start was not
/// seen and that this run first saw (no history carried an earlier start) is "since 14:31
/// (when bbwatch started)", which says both the time and why its start is not known.
pub fn since_text_run(
    snapshot: &crate::Snapshot,
    lang: Lang,
    now: &DateTime<Utc>,
    started: Option<&DateTime<Utc>>,
) -> Option<String> {
    let since = snapshot.since.as_ref()?;
    match started {
        Some(started) if !snapshot.start_observed && since >= started => {
            Some(Msg::SinceStarted.fill(lang, &[("time", &short_local_time(since, now))]))
        }
        _ => since_text(snapshot, lang, now),
    }
}

/// The tray's tooltip: `bitbank: Maintenance since 14:31 — api error 10007`.
pub fn tray_tooltip(
    snapshot: &crate::Snapshot,
    lang: Lang,
    now: &DateTime<Utc>,
    started: Option<&DateTime<Utc>>,
) -> String {
    let level = level_name(snapshot.level, lang);
    let exchange = snapshot.exchange.name(lang);
    let head = match since_text_run(snapshot, lang, now, started) {
        Some(since) => Msg::TrayTooltip.fill(
            lang,
            &[("exchange", exchange), ("level", level), ("since", &since)],
        ),
        None => format!("{exchange}: {level}"),
    };
    match &snapshot.reason {
        Some(reason) => Msg::TrayTooltipReason.fill(
            lang,
            &[("head", &head), ("reason", &short_reason(reason, lang))],
        ),
        None => head,
    }
}

/// The text with its first letter in upper case, for texts that stand alone as a sentence
/// (catalogue texts are lower case to follow a dash in event lines).
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A notification's title, which names its exchange: `bitbank: maintenance started`,
/// `GMO Coin: maintenance started`.
pub fn notification_title(event: &Event, lang: Lang) -> String {
    let exchange = event.exchange.name(lang);
    if event.kind == EventKind::PairChanged {
        let state = event.pair_state.clone().unwrap_or_default();
        return Msg::NotifyPairTitle.fill(
            lang,
            &[
                ("exchange", exchange),
                ("pair", event.pair.as_deref().unwrap_or("?")),
                ("state", pair_state_name(&state, lang)),
            ],
        );
    }
    let title = event_title(event, lang);
    // After "bitbank: ", a title reads on in lower case, but an acronym (API) stays as it is.
    let mut chars = title.chars();
    let title = match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(title.chars().skip(1)).collect()
        }
        _ => title,
    };
    Msg::NotifyTitle.fill(lang, &[("exchange", exchange), ("title", &title)])
}

/// The pairs a maintenance left restricted, when `event` is the `degraded_started` that its
/// end turned into: the popup that replaces "maintenance ended" must still say it ended.
fn left_by_maintenance(event: &Event) -> Option<&[(String, PairState)]> {
    match (&event.kind, event.previous_level, &event.reason) {
        (EventKind::DegradedStarted, Some(Level::Maintenance), Some(Reason::Pairs(pairs)))
            if !pairs.is_empty() =>
        {
            Some(pairs)
        }
        _ => None,
    }
}

/// A popup's title: [`notification_title`], except that the restriction a maintenance left
/// behind is told as the maintenance's end.
pub fn popup_title(event: &Event, lang: Lang) -> String {
    if left_by_maintenance(event).is_some() {
        let mut ended = event.clone();
        ended.kind = EventKind::MaintenanceEnded;
        return notification_title(&ended, lang);
    }
    notification_title(event, lang)
}

/// A popup's body: [`event_body`], except after a maintenance that left pairs restricted:
/// "trading can resume, but btc_jpy is still halted".
pub fn popup_body(event: &Event, lang: Lang) -> String {
    match left_by_maintenance(event) {
        Some([(pair, state)]) => Msg::EndedButPair.fill(
            lang,
            &[("pair", pair), ("state", pair_state_name(state, lang))],
        ),
        Some(pairs) => Msg::EndedButPairs.fill(
            lang,
            &[(
                "pairs",
                &describe_reason(&Reason::Pairs(pairs.to_vec()), lang, true),
            )],
        ),
        None => event_body(event, lang),
    }
}

/// An `asset_changed` event's title: `XRP withdrawals stopped`, `XRP withdrawals resumed`.
fn asset_change_title(event: &Event, lang: Lang) -> String {
    let label = asset_label(
        event.asset.as_deref().unwrap_or("?"),
        event.network.as_deref(),
        lang,
    );
    // With no previous state (a key just added), only what is stopped is news.
    let went = |to: Flow, from: Option<Flow>, now: Option<Flow>| {
        now == Some(to) && from.map_or(to == Flow::Stopped, |f| f != to)
    };
    let (dep, prev_dep) = (event.deposit, event.previous_deposit);
    let (wd, prev_wd) = (event.withdrawal, event.previous_withdrawal);
    let mut parts = Vec::new();
    for (msg, to) in [
        (Msg::AssetStopped, Flow::Stopped),
        (Msg::AssetResumed, Flow::Open),
    ] {
        if let Some(what) = flow_msg(went(to, prev_dep, dep), went(to, prev_wd, wd)) {
            parts.push(msg.fill(lang, &[("asset", &label), ("what", what.text(lang))]));
        }
    }
    let sep = if lang == Lang::Ja { "。" } else { "; " };
    parts.join(sep)
}

/// The verdict of a key test, or the key state of the snapshot, in words.
pub fn key_check_text(check: &crate::bitbank::client::KeyCheck, lang: Lang) -> String {
    use crate::bitbank::client::KeyCheck;
    match check {
        KeyCheck::Accepted => Msg::KeyAccepted.text(lang).to_owned(),
        KeyCheck::Rejected(code) => key_rejected_text(*code, lang),
        KeyCheck::Unchecked(f) => {
            Msg::KeyUnchecked.fill(lang, &[("failure", &failure_text(f, lang))])
        }
    }
}

/// A key bitbank refused with `code`, and what is wrong in words: 20005 is "the API secret is
/// wrong". A code with no words of ours says bitbank's documented message, if any.
pub fn key_rejected_text(code: crate::model::code::ErrorCode, lang: Lang) -> String {
    let why = match code.0 {
        20_001 => Some(Msg::KeyWhyAuth.text(lang)),
        20_002 => Some(Msg::KeyWhyKeyInvalid.text(lang)),
        20_003 => Some(Msg::KeyWhyKeyUnknown.text(lang)),
        20_004 => Some(Msg::KeyWhyNonce.text(lang)),
        20_005 => Some(Msg::KeyWhySecret.text(lang)),
        _ => code.message(lang),
    };
    let code_s = code.to_string();
    match why {
        Some(why) => Msg::KeyRejectedWhy.fill(
            lang,
            &[
                ("code", &code_s),
                ("why", why.trim_end_matches(['.', '。'])),
            ],
        ),
        None => Msg::KeyRejected.fill(lang, &[("code", &code_s)]),
    }
}

/// What the snapshot says of the key when it needs saying: bitbank refused it.
pub fn key_problem(state: crate::model::asset::KeyState, lang: Lang) -> Option<String> {
    match state {
        crate::model::asset::KeyState::Rejected { code } => Some(key_rejected_text(code, lang)),
        _ => None,
    }
}

/// A UTC time in the user's local time zone, `2026-11-27 14:31:04`.
pub fn local_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A notification-style title, e.g. `メンテナンス開始`.
pub fn event_title(event: &Event, lang: Lang) -> String {
    let msg = match event.kind {
        EventKind::MonitorStarted => {
            return Msg::MonitorStarted.fill(lang, &[("level", level_name(event.level, lang))]);
        }
        EventKind::AssetChanged => return asset_change_title(event, lang),
        EventKind::PairChanged => {
            let state = event.pair_state.clone().unwrap_or_default();
            return Msg::PairChanged.fill(
                lang,
                &[
                    ("pair", event.pair.as_deref().unwrap_or("?")),
                    ("state", pair_state_name(&state, lang)),
                ],
            );
        }
        EventKind::MaintenanceStarted => Msg::MaintenanceStarted,
        EventKind::MaintenanceEnded => Msg::MaintenanceEnded,
        EventKind::DownStarted => Msg::DownStarted,
        EventKind::DownEnded => Msg::DownEnded,
        EventKind::UnreachableStarted => Msg::UnreachableStarted,
        EventKind::UnreachableEnded => Msg::UnreachableEnded,
        EventKind::DegradedStarted if matches!(event.reason, Some(Reason::Assets(_))) => {
            Msg::DegradedStartedAssets
        }
        EventKind::DegradedStarted => Msg::DegradedStarted,
        EventKind::DegradedEnded if matches!(event.reason, Some(Reason::Assets(_))) => {
            Msg::DegradedEndedAssets
        }
        EventKind::DegradedEnded => Msg::DegradedEnded,
        EventKind::WatchChanged
            if matches!(
                event.reason,
                Some(Reason::Unwatched {
                    key_removed: true,
                    ..
                })
            ) =>
        {
            Msg::WatchKeyRemoved
        }
        EventKind::WatchChanged => Msg::WatchChanged,
    };
    msg.text(lang).to_owned()
}

/// What the event means for the user, e.g. `取引・入出金・APIが停止しています`.
pub fn event_body(event: &Event, lang: Lang) -> String {
    match event.kind {
        EventKind::MaintenanceEnded
        | EventKind::DownEnded
        | EventKind::UnreachableEnded
        | EventKind::DegradedEnded => {
            let lasted = format_duration(event.duration_secs.unwrap_or(0), lang);
            // Trading went on through a stop of transfers: it is they that resume.
            let transfers = matches!(event.reason, Some(Reason::Assets(_)));
            let msg = match (event.start_observed == Some(false), transfers) {
                (false, false) => Msg::EndedBody,
                (true, false) => Msg::EndedBodyAtLeast,
                (false, true) => Msg::EndedBodyTransfers,
                (true, true) => Msg::EndedBodyTransfersAtLeast,
            };
            msg.fill(lang, &[("duration", &lasted)])
        }
        EventKind::AssetChanged => {
            let stopped =
                event.deposit == Some(Flow::Stopped) || event.withdrawal == Some(Flow::Stopped);
            let msg = if stopped {
                Msg::AssetStoppedBody
            } else {
                Msg::AssetResumedBody
            };
            msg.text(lang).to_owned()
        }
        EventKind::WatchChanged => event
            .reason
            .as_ref()
            .map(|r| describe_reason(r, lang, false))
            .unwrap_or_default(),
        EventKind::PairChanged => match &event.pair_state {
            Some(PairState::Normal) => Msg::PairBodyBackToNormal.text(lang).to_owned(),
            state => pair_state_detail(&state.clone().unwrap_or_default(), lang),
        },
        _ => meaning(event.level, event.reason.as_ref(), lang).to_owned(),
    }
}

/// The one notification that tells what quiet hours held back: a title, and a line per event
/// (`02:01 メンテナンス開始`), the last [`MAX_LISTED_PAIRS`] at most (as many as a reason
/// names pairs), oldest first.
pub fn quiet_summary(held: &[Event], lang: Lang, now: &DateTime<Utc>) -> (String, String) {
    let skipped = held.len().saturating_sub(MAX_LISTED_PAIRS);
    let mut lines: Vec<String> = held
        .iter()
        .skip(skipped)
        .map(|e| format!("{} {}", short_local_time(&e.at, now), event_title(e, lang)))
        .collect();
    if skipped > 0 {
        lines.insert(
            0,
            Msg::AndMore.fill(lang, &[("count", &skipped.to_string())]),
        );
    }
    (
        Msg::QuietSummaryTitle.text(lang).to_owned(),
        lines.join("\n"),
    )
}

/// One readable line per event, in local time:
/// `2026-11-27 14:31:04 メンテナンス開始 — 取引・入出金・APIが停止しています。ボットは停止してください (api error 10007)`.
pub fn event_line(event: &Event, lang: Lang) -> String {
    // bitbank's lines read as they always have; another exchange's say which it is.
    let title = match event.exchange {
        Exchange::Bitbank => event_title(event, lang),
        other => format!("{}: {}", other.name(lang), event_title(event, lang)),
    };
    let mut line = format!(
        "{} {} — {}",
        local_time(&event.at),
        title,
        event_body(event, lang)
    );
    let reason = match event.kind {
        // The title and body already say it all; an end is about what comes next, not the cause.
        EventKind::PairChanged
        | EventKind::AssetChanged
        | EventKind::WatchChanged
        | EventKind::MaintenanceEnded
        | EventKind::DownEnded
        | EventKind::UnreachableEnded
        | EventKind::DegradedEnded => None,
        _ => event.reason.as_ref(),
    };
    if let Some(r) = reason {
        line.push_str(&format!(" ({})", describe_reason(r, lang, true)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::code::ErrorCode;
    use crate::model::fetch::{Failure, Host};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 31, 4)
            .single()
            .unwrap()
    }

    #[test]
    fn the_summary_line_is_short() {
        let mut s = crate::Snapshot::default();
        assert_eq!(summary_line(&s, Lang::En, &at(), None), "Checking");
        s.level = Level::Maintenance;
        s.since = Some(at());
        s.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        let line = summary_line(&s, Lang::En, &at(), None);
        assert!(
            line.starts_with("Maintenance · since ") && line.ends_with(" · api error 10007"),
            "{line}"
        );
        assert!(!line.contains('-'), "today's time has no date: {line}");
        let line = summary_line(&s, Lang::Ja, &(at() + chrono::Duration::days(2)), None);
        assert!(line.starts_with("メンテナンス中 · 11-27 "), "{line}");
    }

    #[test]
    fn a_refused_key_says_what_is_wrong() {
        assert_eq!(
            key_rejected_text(ErrorCode(20005), Lang::En),
            "bitbank rejected the API key (code 20005): the API secret is wrong"
        );
        assert_eq!(
            key_rejected_text(ErrorCode(20005), Lang::Ja),
            "bitbankがAPIキーを拒否しました（コード 20005）：APIシークレットが正しくありません"
        );
        for code in 20001..=20005 {
            for lang in [Lang::En, Lang::Ja] {
                let text = key_rejected_text(ErrorCode(code), lang);
                assert!(text.contains(&code.to_string()), "{text}");
                assert!(
                    text.contains('：') || text.contains("): "),
                    "no words: {text}"
                );
            }
        }
        // Documented elsewhere: bitbank's own words; undocumented: the code alone.
        assert_eq!(
            key_rejected_text(ErrorCode(20011), Lang::En),
            "bitbank rejected the API key (code 20011): MFA failed"
        );
        assert_eq!(
            key_rejected_text(ErrorCode(20999), Lang::En),
            "bitbank rejected the API key (code 20999)"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(42, Lang::En), "42 s");
        assert_eq!(format_duration(312, Lang::Ja), "5分12秒");
        assert_eq!(format_duration(312, Lang::En), "5 min 12 s");
        assert_eq!(format_duration(2700, Lang::En), "45 min");
        assert_eq!(format_duration(2700, Lang::Ja), "45分");
        assert_eq!(format_duration(3900, Lang::Ja), "1時間5分");
    }

    #[test]
    fn the_maintenance_line_reads_like_the_issue_example() {
        let mut e = Event::level_change(
            EventKind::MaintenanceStarted,
            at(),
            Level::Maintenance,
            Some(Level::Normal),
        );
        e.reason = Some(Reason::ApiError {
            code: ErrorCode::SYSTEM_MAINTENANCE,
        });
        let line = event_line(&e, Lang::Ja);
        assert!(line.ends_with("メンテナンス開始 — 取引・入出金・APIが停止しています。ボットは停止してください (api error 10007)"), "{line}");
        assert_eq!(&line[..4], "2026");
        let line = event_line(&e, Lang::En);
        assert!(
            line.contains(
                "Maintenance started — trading, deposits, withdrawals and the API are stopped"
            ),
            "{line}"
        );
    }

    /// Back to normal from `from` after `secs`.
    fn ended(kind: EventKind, from: Level, secs: u64) -> Event {
        let mut e = Event::level_change(kind, at(), Level::Normal, Some(from));
        e.duration_secs = Some(secs);
        e
    }

    #[test]
    fn ended_lines_say_how_long() {
        let e = ended(EventKind::MaintenanceEnded, Level::Maintenance, 312);
        assert!(event_line(&e, Lang::Ja)
            .contains("メンテナンス終了 — 取引を再開できます（継続時間 5分12秒）"));
    }

    #[test]
    fn the_end_of_a_transfer_stop_says_transfers_not_trading_resume() {
        let mut e = ended(EventKind::DegradedEnded, Level::Degraded, 11);
        e.reason = Some(Reason::Assets(vec![("eth".into(), Default::default())]));
        let en = event_line(&e, Lang::En);
        assert!(
            en.ends_with(
                " Transfers restored — deposits and withdrawals go through again (lasted 11 s)"
            ),
            "{en}"
        );
        assert!(event_line(&e, Lang::Ja)
            .contains("入出金の制限解除 — 入金・出金ができます（継続時間 11秒）"));
        e.start_observed = Some(false);
        assert!(event_body(&e, Lang::En).ends_with("(lasted at least 11 s)"));
        e.reason = None;
        assert_eq!(event_title(&e, Lang::En), "Restrictions lifted");
    }

    #[test]
    fn an_end_whose_start_was_not_seen_says_at_least() {
        let mut e = ended(EventKind::MaintenanceEnded, Level::Maintenance, 8);
        e.start_observed = Some(false);
        assert!(event_body(&e, Lang::En).ends_with("(lasted at least 8 s)"));
        assert!(event_body(&e, Lang::Ja).ends_with("（継続時間 8秒以上）"));
        let mut s = crate::Snapshot {
            level: Level::Maintenance,
            since: Some(at()),
            ..Default::default()
        };
        assert!(summary_line(&s, Lang::En, &at(), None).contains("since before "));
        s.start_observed = true;
        assert!(!summary_line(&s, Lang::En, &at(), None).contains("before"));
    }

    #[test]
    fn a_level_first_seen_by_this_run_is_since_bbwatch_started() {
        let started = at() - chrono::Duration::seconds(2);
        let mut s = crate::Snapshot {
            level: Level::Normal,
            since: Some(at()),
            ..Default::default()
        };
        let time = short_local_time(&at(), &at());
        assert_eq!(
            tray_tooltip(&s, Lang::En, &at(), Some(&started)),
            format!("bitbank: Normal since {time} (when bbwatch started)")
        );
        assert_eq!(
            tray_tooltip(&s, Lang::Ja, &at(), Some(&started)),
            format!("bitbank: 正常（bbwatch起動時の{time}から）")
        );
        // Carried over from the history, from before this run: still "since before".
        s.since = Some(started - chrono::Duration::hours(1));
        assert!(tray_tooltip(&s, Lang::En, &at(), Some(&started)).contains("since before "));
        // Seen starting: plain "since".
        s.since = Some(at());
        s.start_observed = true;
        assert_eq!(
            tray_tooltip(&s, Lang::En, &at(), Some(&started)),
            format!("bitbank: Normal since {time}")
        );
    }

    #[test]
    fn the_tooltip_says_bitbank_level_since_and_why() {
        let s = crate::Snapshot {
            level: Level::Maintenance,
            since: Some(at()),
            start_observed: true,
            reason: Some(Reason::ApiError {
                code: ErrorCode::SYSTEM_MAINTENANCE,
            }),
            ..Default::default()
        };
        let en = tray_tooltip(&s, Lang::En, &at(), None);
        assert!(en.starts_with("bitbank: Maintenance since "), "{en}");
        assert!(en.ends_with(" — api error 10007"), "{en}");
        let ja = tray_tooltip(&s, Lang::Ja, &at(), None);
        assert!(ja.starts_with("bitbank: メンテナンス中（"), "{ja}");
        assert!(ja.ends_with("から）、APIエラー 10007"), "{ja}");
    }

    #[test]
    fn the_quiet_hours_summary_lists_what_was_held_back() {
        let e = |kind, secs| {
            Event::level_change(
                kind,
                at() + chrono::Duration::seconds(secs),
                Level::Maintenance,
                None,
            )
        };
        let held = vec![
            e(EventKind::MaintenanceStarted, 0),
            e(EventKind::MaintenanceEnded, 600),
        ];
        let (title, body) = quiet_summary(&held, Lang::En, &at());
        assert_eq!(title, "bitbank: while notifications were quiet");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].ends_with(" Maintenance started") && lines[1].ends_with(" Maintenance ended")
        );
        let many: Vec<Event> = (0..8).map(|i| e(EventKind::DownStarted, i)).collect();
        let (_, body) = quiet_summary(&many, Lang::Ja, &at());
        assert!(body.starts_with("ほか3件\n"), "{body}");
        assert_eq!(body.lines().count(), 6);
    }

    #[test]
    fn a_maintenance_that_leaves_a_pair_halted_says_so_in_its_popup() {
        let mut e = Event::level_change(
            EventKind::DegradedStarted,
            at(),
            Level::Degraded,
            Some(Level::Maintenance),
        );
        e.reason = Some(Reason::Pairs(vec![("btc_jpy".into(), PairState::Halted)]));
        assert_eq!(popup_title(&e, Lang::En), "bitbank: maintenance ended");
        assert_eq!(
            popup_body(&e, Lang::En),
            "trading can resume, but btc_jpy is still halted"
        );
        assert_eq!(popup_title(&e, Lang::Ja), "bitbank: メンテナンス終了");
        assert_eq!(
            popup_body(&e, Lang::Ja),
            "取引を再開できます。ただしbtc_jpyは引き続き取引停止です"
        );
        e.reason = Some(Reason::Pairs(vec![
            ("btc_jpy".into(), PairState::Halted),
            ("eth_jpy".into(), PairState::Busy),
        ]));
        assert_eq!(
            popup_body(&e, Lang::En),
            "trading can resume, but these pairs are still restricted: btc_jpy halted, eth_jpy busy"
        );
        // A degraded that did not follow a maintenance is said as before.
        e.previous_level = Some(Level::Normal);
        assert_eq!(popup_body(&e, Lang::En), event_body(&e, Lang::En));
        assert_eq!(popup_title(&e, Lang::En), notification_title(&e, Lang::En));
    }

    #[test]
    fn notification_titles_say_bitbank() {
        let e = Event::level_change(
            EventKind::MaintenanceStarted,
            at(),
            Level::Maintenance,
            Some(Level::Normal),
        );
        assert_eq!(
            notification_title(&e, Lang::En),
            "bitbank: maintenance started"
        );
        assert_eq!(
            notification_title(&e, Lang::Ja),
            "bitbank: メンテナンス開始"
        );
        let e = Event::level_change(EventKind::DownStarted, at(), Level::Down, None);
        assert_eq!(notification_title(&e, Lang::En), "bitbank: API down");
        let mut e = Event::level_change(EventKind::PairChanged, at(), Level::Degraded, None);
        e.pair = Some("xrp_jpy".into());
        e.pair_state = Some(PairState::Halted);
        assert_eq!(notification_title(&e, Lang::En), "bitbank: xrp_jpy halted");
        assert_eq!(sentence("trading can resume"), "Trading can resume");
        assert_eq!(sentence("取引"), "取引");
    }

    #[test]
    fn a_pair_that_was_always_normal_is_not_normal_again() {
        assert_eq!(
            pair_state_detail(&PairState::Normal, Lang::En),
            "trading normally"
        );
        assert_eq!(
            pair_state_detail(&PairState::Unknown, Lang::En),
            "state not known"
        );
        let mut e = Event::level_change(EventKind::PairChanged, at(), Level::Normal, None);
        e.pair = Some("xrp_jpy".into());
        e.previous_pair_state = Some(PairState::Halted);
        e.pair_state = Some(PairState::Normal);
        assert_eq!(event_body(&e, Lang::En), "trading normally again");
    }

    #[test]
    fn pair_lines_name_the_pair_and_what_is_stopped() {
        let mut e = Event::level_change(EventKind::PairChanged, at(), Level::Degraded, None);
        e.pair = Some("xrp_jpy".into());
        e.pair_state = Some(PairState::Suspended {
            stopped: vec![Restriction::Order, Restriction::MarketOrder],
        });
        let line = event_line(&e, Lang::En);
        assert!(
            line.ends_with("xrp_jpy: suspended — stopped: new orders, market orders"),
            "{line}"
        );
        let line = event_line(&e, Lang::Ja);
        assert!(
            line.ends_with("xrp_jpy: 一部停止 — 停止中の操作: 新規注文、成行注文"),
            "{line}"
        );
    }

    #[test]
    fn reasons_in_japanese() {
        let r = Reason::HostFailed {
            failures: vec![(
                Host::Api,
                Failure::Http {
                    status: 503,
                    html: true,
                },
            )],
        };
        assert_eq!(
            describe_reason(&r, Lang::Ja, false),
            "APIサーバー: HTTP 503（エラーページ）"
        );
        let r = Reason::ApiError {
            code: ErrorCode::SERVER_BUSY,
        };
        assert!(describe_reason(&r, Lang::Ja, false)
            .starts_with("APIエラー 10008: ただいまサーバが大変混み合っています"));
        assert_eq!(
            describe_reason(&Reason::ApiError { code: ErrorCode(1) }, Lang::En, false),
            "api error 1"
        );
    }

    #[test]
    fn every_level_and_state_has_words_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for level in Level::ALL {
                assert!(!level_name(level, lang).is_empty());
                assert!(!level_meaning(level, lang).is_empty());
            }
        }
    }
}
