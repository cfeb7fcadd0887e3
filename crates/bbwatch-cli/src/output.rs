//! What `status` and `watch` print on stdout.

use std::io::Write;

use bbwatch_core::i18n::Msg;
use bbwatch_core::model::sanitize;
use bbwatch_core::present::render::{
    describe_reason, level_name, local_time, pair_state_detail, pair_state_name,
};
use bbwatch_core::{Lang, Snapshot};

/// Write one line; a closed stdout (e.g. `| head -1`) is reported to the caller, not a panic.
/// The line is made terminal-safe first: what came from the network is already sanitized
/// where it entered the model, this is the last lock before the terminal.
pub fn line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sanitize::line(text))?;
    out.flush()
}

/// [`status_lines`] of one exchange among several: its first line says which.
pub fn named_status_lines(s: &Snapshot, lang: Lang) -> Vec<String> {
    let mut lines = status_lines(s, lang);
    if let Some(first) = lines.first_mut() {
        *first = format!("{}: {first}", s.exchange.name(lang));
    }
    lines
}

/// `status`'s human output: the level line, then each watched pair that is not normal, one
/// string per line (each goes through [`line`], which shows a line break as an escape).
pub fn status_lines(s: &Snapshot, lang: Lang) -> Vec<String> {
    let checked = s.checked_at.as_ref().map(local_time).unwrap_or_default();
    let mut first = format!(
        "{checked} {} — {}",
        level_name(s.level, lang),
        bbwatch_core::present::render::meaning(s.level, s.reason.as_ref(), lang)
    );
    if let Some(r) = &s.reason {
        first.push_str(&format!(" ({})", describe_reason(r, lang, false)));
    }
    let mut lines = vec![first];
    let affected: Vec<_> = s.pairs.iter().filter(|(_, st)| !st.is_normal()).collect();
    if affected.is_empty() && !s.pairs.is_empty() {
        let line = match s.pairs.keys().collect::<Vec<_>>()[..] {
            [pair] => Msg::StatusOnePairNormal.fill(lang, &[("pair", pair.as_str())]),
            _ => Msg::StatusAllPairsNormal.fill(lang, &[("count", &s.pairs.len().to_string())]),
        };
        lines.push(format!("  {line}"));
    }
    for (pair, state) in affected {
        lines.push(format!(
            "  {pair}: {} — {}",
            pair_state_name(state, lang),
            pair_state_detail(state, lang)
        ));
    }
    // A reason that is the assets' stops has said them already.
    let told = matches!(
        s.reason,
        Some(bbwatch_core::model::reason::Reason::Assets(_))
    );
    for (asset, state) in s.assets.iter().filter(|_| !told) {
        for stop in bbwatch_core::present::render::asset_stops(asset, state, lang) {
            lines.push(format!("  {stop}"));
        }
    }
    if let Some(problem) = bbwatch_core::present::render::key_problem(s.api_key, lang) {
        lines.push(format!("  {problem}"));
    }
    for line in
        bbwatch_core::present::settings_form::describe_unlisted("", s.exchange, &s.unlisted, lang)
    {
        lines.push(format!("  {line}"));
    }
    lines
}
