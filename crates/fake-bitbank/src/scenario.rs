//! Scenario files: a timeline of phases, each saying what differs from a normal exchange.
//!
//! Parsing walks a `toml::Table` by hand instead of deriving `Deserialize`, so that every
//! error can name the phase and the key at fault (serde's messages only give a line number).

use std::collections::BTreeSet;
use std::time::Duration;

use toml::{Table, Value};

use crate::{assets, market};

mod exchanges;

// Re-exported where they were first defined, so `scenario::Phase` and the like still work.
pub use crate::phase::{
    Availability, Behavior, BitFlyer, Board, CircuitBreak, Coincheck, CoincheckPair, GmoCoin,
    GmoCoinError, Phase, StopFlag, StreamFault,
};

/// The scenarios shipped with the crate, by name (file `scenarios/NAME.toml`).
const BUILTINS: &[(&str, &str)] = &[
    ("normal", include_str!("../scenarios/normal.toml")),
    ("pair-busy", include_str!("../scenarios/pair-busy.toml")),
    (
        "pair-very-busy",
        include_str!("../scenarios/pair-very-busy.toml"),
    ),
    ("pair-halt", include_str!("../scenarios/pair-halt.toml")),
    ("all-halt", include_str!("../scenarios/all-halt.toml")),
    (
        "suspended-pair",
        include_str!("../scenarios/suspended-pair.toml"),
    ),
    (
        "circuit-break",
        include_str!("../scenarios/circuit-break.toml"),
    ),
    (
        "maintenance-200",
        include_str!("../scenarios/maintenance-200.toml"),
    ),
    (
        "maintenance-503",
        include_str!("../scenarios/maintenance-503.toml"),
    ),
    (
        "maintenance-leaves-halt",
        include_str!("../scenarios/maintenance-leaves-halt.toml"),
    ),
    ("server-busy", include_str!("../scenarios/server-busy.toml")),
    ("html-api", include_str!("../scenarios/html-api.toml")),
    ("html-both", include_str!("../scenarios/html-both.toml")),
    ("rate-limit", include_str!("../scenarios/rate-limit.toml")),
    ("truncated", include_str!("../scenarios/truncated.toml")),
    ("slow", include_str!("../scenarios/slow.toml")),
    ("dropped", include_str!("../scenarios/dropped.toml")),
    ("refused", include_str!("../scenarios/refused.toml")),
    (
        "realistic-day",
        include_str!("../scenarios/realistic-day.toml"),
    ),
    ("demo", include_str!("../scenarios/demo.toml")),
    (
        "demo-exchanges",
        include_str!("../scenarios/demo-exchanges.toml"),
    ),
    (
        "withdrawal-stop",
        include_str!("../scenarios/withdrawal-stop.toml"),
    ),
    (
        "deposit-stop",
        include_str!("../scenarios/deposit-stop.toml"),
    ),
    (
        "gmocoin-maintenance",
        include_str!("../scenarios/gmocoin-maintenance.toml"),
    ),
    (
        "gmocoin-emergency",
        include_str!("../scenarios/gmocoin-emergency.toml"),
    ),
    (
        "bitflyer-maintenance",
        include_str!("../scenarios/bitflyer-maintenance.toml"),
    ),
    (
        "bitflyer-circuit-break",
        include_str!("../scenarios/bitflyer-circuit-break.toml"),
    ),
    (
        "coincheck-maintenance",
        include_str!("../scenarios/coincheck-maintenance.toml"),
    ),
    (
        "coincheck-pair-stop",
        include_str!("../scenarios/coincheck-pair-stop.toml"),
    ),
];

/// Names of [`BUILTINS`], in the same order (a separate constant so it can be `&'static`).
const BUILTIN_NAMES: &[&str] = &[
    "normal",
    "pair-busy",
    "pair-very-busy",
    "pair-halt",
    "all-halt",
    "suspended-pair",
    "circuit-break",
    "maintenance-200",
    "maintenance-503",
    "maintenance-leaves-halt",
    "server-busy",
    "html-api",
    "html-both",
    "rate-limit",
    "truncated",
    "slow",
    "dropped",
    "refused",
    "realistic-day",
    "demo",
    "demo-exchanges",
    "withdrawal-stop",
    "deposit-stop",
    "gmocoin-maintenance",
    "gmocoin-emergency",
    "bitflyer-maintenance",
    "bitflyer-circuit-break",
    "coincheck-maintenance",
    "coincheck-pair-stop",
];

const TOP_KEYS: &[&str] = &["description", "repeat", "phases"];
const PHASE_KEYS: &[&str] = &[
    "name",
    "duration",
    "api",
    "public",
    "status",
    "suspended",
    "stopped",
    "circuit_break",
    "hidden",
    "extra_pairs",
    "generated_pairs",
    "stream",
    "mute_rooms",
    "ticker",
    "stop_deposit",
    "stop_withdrawal",
    "gmocoin",
    "bitflyer",
    "coincheck",
];
const BEHAVIOR_KEYS: &[&str] = &[
    "error",
    "http_status",
    "html",
    "rate_limit",
    "slow",
    "huge",
    "redirect",
];
/// The behaviour keys besides `error`/`http_status`: what the other exchanges' tables take.
const HOSTILE_KEYS: &[&str] = &["html", "rate_limit", "slow", "huge", "redirect"];
const CIRCUIT_BREAK_KEYS: &[&str] = &["mode", "reopen_in"];

/// Why a scenario could not be loaded. Messages name the phase and key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not TOML at all.
    #[error("not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// A key the format does not know (`key` is dotted for nested tables, e.g. `api.eror`).
    #[error("unknown key `{key}` {place}")]
    UnknownKey {
        /// "at the top level" or `in phase "NAME"`.
        place: String,
        /// The offending key.
        key: String,
    },
    /// A bad top-level value (e.g. no phases, `repeat` not a boolean).
    #[error("key `{key}`: {reason}")]
    InvalidTop {
        /// The top-level key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A bad value inside a phase.
    #[error("phase \"{phase}\", key `{key}`: {reason}")]
    Invalid {
        /// The phase name, or `#N` (1-based) when the phase has no usable name.
        phase: String,
        /// The (dotted) key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `Scenario::load` got neither a builtin name nor a readable file.
    #[error("`{name}` is neither a builtin scenario ({builtins}) nor a readable file: {source}")]
    NotFound {
        /// What was asked for.
        name: String,
        /// The builtin names, comma separated.
        builtins: String,
        /// Why the file could not be read.
        source: std::io::Error,
    },
    /// A scenario file that exists but does not parse.
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: String,
        /// The parse error.
        source: Box<ScenarioError>,
    },
}

/// A scripted timeline of phases (see the crate docs for the file format).
#[derive(Clone, Debug)]
pub struct Scenario {
    description: Option<String>,
    repeat: bool,
    phases: Vec<Phase>,
}

impl Scenario {
    /// Parses a scenario file's text.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let table: Table = toml::from_str(text)?;
        if let Some(key) = table.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
            return Err(ScenarioError::UnknownKey {
                place: "at the top level".to_string(),
                key: key.clone(),
            });
        }
        let description = match table.get("description") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(top("description", expected("a string", other))),
        };
        let repeat = match table.get("repeat") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(other) => return Err(top("repeat", expected("true or false", other))),
        };
        let raw_phases = match table.get("phases") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) | None => {
                return Err(top(
                    "phases",
                    "at least one [[phases]] is required".to_string(),
                ))
            }
            Some(other) => return Err(top("phases", expected("an array of tables", other))),
        };
        let mut phases = Vec::with_capacity(raw_phases.len());
        for (i, raw) in raw_phases.iter().enumerate() {
            let Value::Table(t) = raw else {
                return Err(invalid(
                    &format!("#{}", i + 1),
                    "phases",
                    expected("a table", raw),
                ));
            };
            phases.push(parse_phase(i, t)?);
        }
        let last = phases.len() - 1;
        for (i, phase) in phases.iter().enumerate() {
            if phase.duration.is_none() && (i < last || repeat) {
                let why = if i < last {
                    "required on every phase but the last"
                } else {
                    "required on every phase when repeat = true"
                };
                return Err(invalid(&phase.name, "duration", why.to_string()));
            }
        }
        Ok(Scenario {
            description,
            repeat,
            phases,
        })
    }

    /// A builtin scenario by name, else a scenario file at that path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some(s) = Scenario::builtin(name_or_path) {
            return Ok(s);
        }
        match std::fs::read_to_string(name_or_path) {
            Ok(text) => Scenario::from_toml(&text).map_err(|e| ScenarioError::InFile {
                path: name_or_path.to_string(),
                source: Box::new(e),
            }),
            Err(source) => Err(ScenarioError::NotFound {
                name: name_or_path.to_string(),
                builtins: BUILTIN_NAMES.join(", "),
                source,
            }),
        }
    }

    /// A builtin scenario (see [`Scenario::builtin_names`]).
    pub fn builtin(name: &str) -> Option<Scenario> {
        // Every builtin is checked to parse by the unit tests, so `ok()` loses nothing.
        BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| Scenario::from_toml(text).ok())
    }

    /// Names of the builtin scenarios.
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// The names of the phases, in order.
    pub fn phase_names(&self) -> Vec<String> {
        self.phases.iter().map(|p| p.name.clone()).collect()
    }

    /// The optional description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether the timeline loops after its last phase.
    pub fn repeat(&self) -> bool {
        self.repeat
    }

    /// The phases (never empty).
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }
}

fn top(key: &str, reason: String) -> ScenarioError {
    ScenarioError::InvalidTop {
        key: key.to_string(),
        reason,
    }
}

fn invalid(phase: &str, key: &str, reason: String) -> ScenarioError {
    ScenarioError::Invalid {
        phase: phase.to_string(),
        key: key.to_string(),
        reason,
    }
}

fn expected(what: &str, found: &Value) -> String {
    format!("expected {what}, found {}", found.type_str())
}

fn unknown_key(phase: &str, key: String) -> ScenarioError {
    ScenarioError::UnknownKey {
        place: format!("in phase \"{phase}\""),
        key,
    }
}

fn parse_phase(index: usize, t: &Table) -> Result<Phase, ScenarioError> {
    // Name first, so every later error can say which phase it is about.
    let label = format!("#{}", index + 1);
    let name = match t.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => {
            return Err(invalid(&label, "name", "must not be empty".to_string()))
        }
        Some(other) => return Err(invalid(&label, "name", expected("a string", other))),
        None => return Err(invalid(&label, "name", "missing".to_string())),
    };
    if let Some(key) = t.keys().find(|k| !PHASE_KEYS.contains(&k.as_str())) {
        return Err(unknown_key(&name, key.clone()));
    }
    let mut phase = Phase {
        name,
        ..Phase::default()
    };
    let name = phase.name.clone();
    if let Some(v) = t.get("duration") {
        phase.duration = Some(parse_duration(&name, "duration", v)?);
    }
    if let Some(v) = t.get("api") {
        phase.api = parse_behavior(&name, "api", v)?;
    }
    if let Some(v) = t.get("public") {
        phase.public = parse_behavior(&name, "public", v)?;
    }
    if let Some(v) = t.get("status") {
        let table = as_table(&name, "status", v)?;
        for (pair, value) in table {
            let key = format!("status.{pair}");
            let status = match value {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::String(_) => return Err(invalid(&name, &key, "must not be empty".into())),
                other => return Err(invalid(&name, &key, expected("a string", other))),
            };
            if pair == "*" {
                phase.status_all = Some(status);
            } else {
                check_pair(&name, &key, pair)?;
                phase.status.insert(pair.clone(), status);
            }
        }
    }
    if let Some(v) = t.get("suspended") {
        for pair in string_list(&name, "suspended", v)? {
            check_pair(&name, "suspended", &pair)?;
            phase.suspended.insert(pair);
        }
    }
    if let Some(v) = t.get("stopped") {
        for (pair, flags) in as_table(&name, "stopped", v)? {
            let key = format!("stopped.{pair}");
            check_pair(&name, &key, pair)?;
            let mut set = BTreeSet::new();
            for flag in string_list(&name, &key, flags)? {
                let Some(f) = StopFlag::from_name(&flag) else {
                    let names: Vec<_> = StopFlag::ALL.iter().map(|f| f.name()).collect();
                    return Err(invalid(
                        &name,
                        &key,
                        format!(
                            "unknown flag {flag:?}; expected one of {}",
                            names.join(", ")
                        ),
                    ));
                };
                set.insert(f);
            }
            phase.stopped.insert(pair.clone(), set);
        }
    }
    if let Some(v) = t.get("hidden") {
        for pair in string_list(&name, "hidden", v)? {
            check_pair(&name, "hidden", &pair)?;
            phase.hidden.insert(pair);
        }
    }
    if let Some(v) = t.get("stream") {
        phase.stream = match v.as_str().and_then(StreamFault::from_name) {
            Some(f) => f,
            None => {
                return Err(invalid(
                    &name,
                    "stream",
                    "expected one of \"ok\", \"drop\", \"refuse\", \"silent\", \"garbage\"".into(),
                ))
            }
        };
    }
    if let Some(v) = t.get("ticker") {
        phase.ticker_silent = !v
            .as_bool()
            .ok_or_else(|| invalid(&name, "ticker", "expected true or false".into()))?;
    }
    if let Some(v) = t.get("mute_rooms") {
        for pair in string_list(&name, "mute_rooms", v)? {
            check_pair(&name, "mute_rooms", &pair)?;
            phase.mute_rooms.insert(pair);
        }
    }
    for key in ["stop_deposit", "stop_withdrawal"] {
        if let Some(v) = t.get(key) {
            let stops = parse_stops(&name, key, v)?;
            if key == "stop_deposit" {
                phase.stop_deposit = stops;
            } else {
                phase.stop_withdrawal = stops;
            }
        }
    }
    if let Some(v) = t.get("extra_pairs") {
        phase.extra_pairs = string_list(&name, "extra_pairs", v)?;
    }
    if let Some(v) = t.get("generated_pairs") {
        phase.generated_pairs = match v.as_integer().map(usize::try_from) {
            Some(Ok(n)) if n <= 100_000 => n,
            _ => {
                return Err(invalid(
                    &name,
                    "generated_pairs",
                    "expected a whole number up to 100000".into(),
                ))
            }
        };
    }
    if let Some(v) = t.get("gmocoin") {
        phase.gmocoin = exchanges::gmocoin(&name, v)?;
    }
    if let Some(v) = t.get("bitflyer") {
        phase.bitflyer = exchanges::bitflyer(&name, v)?;
    }
    if let Some(v) = t.get("coincheck") {
        phase.coincheck = exchanges::coincheck(&name, v)?;
    }
    if let Some(v) = t.get("circuit_break") {
        for (pair, value) in as_table(&name, "circuit_break", v)? {
            let key = format!("circuit_break.{pair}");
            check_pair(&name, &key, pair)?;
            let cb = as_table(&name, &key, value)?;
            if let Some(k) = cb
                .keys()
                .find(|k| !CIRCUIT_BREAK_KEYS.contains(&k.as_str()))
            {
                return Err(unknown_key(&name, format!("{key}.{k}")));
            }
            let mode = match cb.get("mode") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::String(_)) => {
                    return Err(invalid(
                        &name,
                        &format!("{key}.mode"),
                        "must not be empty".into(),
                    ))
                }
                Some(other) => {
                    return Err(invalid(
                        &name,
                        &format!("{key}.mode"),
                        expected("a string", other),
                    ))
                }
                None => return Err(invalid(&name, &format!("{key}.mode"), "missing".into())),
            };
            let reopen_in = match cb.get("reopen_in") {
                None => None,
                Some(v) => Some(parse_duration(&name, &format!("{key}.reopen_in"), v)?),
            };
            phase
                .circuit_break
                .insert(pair.clone(), CircuitBreak { mode, reopen_in });
        }
    }
    Ok(phase)
}

fn as_table<'a>(phase: &str, key: &str, v: &'a Value) -> Result<&'a Table, ScenarioError> {
    match v {
        Value::Table(t) => Ok(t),
        other => Err(invalid(phase, key, expected("a table", other))),
    }
}

fn string_list(phase: &str, key: &str, v: &Value) -> Result<Vec<String>, ScenarioError> {
    let Value::Array(items) = v else {
        return Err(invalid(phase, key, expected("a list of strings", v)));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(invalid(phase, key, expected("a list of strings", other))),
        })
        .collect()
}

/// `["asset", "asset/network", …]` into the normalised set of [`Phase::stop_deposit`].
fn parse_stops(phase: &str, key: &str, v: &Value) -> Result<BTreeSet<String>, ScenarioError> {
    let mut set = BTreeSet::new();
    for entry in string_list(phase, key, v)? {
        let (name, network) = match entry.split_once('/') {
            Some((a, n)) => (a, Some(n)),
            None => (entry.as_str(), None),
        };
        let Some(asset) = assets::find(name) else {
            return Err(invalid(
                phase,
                key,
                format!("unknown asset {name:?} (not in the account's asset list)"),
            ));
        };
        match network {
            None if asset.networks.is_empty() => {
                set.insert(asset.name.clone());
            }
            None => {
                set.extend(asset.networks.iter().map(|n| format!("{name}/{n}")));
            }
            Some(n) if asset.networks.iter().any(|known| known == n) => {
                set.insert(format!("{name}/{n}"));
            }
            Some(n) => {
                let known = if asset.networks.is_empty() {
                    "none".to_string()
                } else {
                    asset.networks.join(", ")
                };
                return Err(invalid(
                    phase,
                    key,
                    format!("unknown network {n:?} of {name} (its networks: {known})"),
                ));
            }
        }
    }
    Ok(set)
}

fn check_pair(phase: &str, key: &str, pair: &str) -> Result<(), ScenarioError> {
    if market::find(pair).is_some() {
        Ok(())
    } else {
        Err(invalid(
            phase,
            key,
            format!("unknown pair {pair:?} (not in the exchange's pair list)"),
        ))
    }
}

fn parse_duration(phase: &str, key: &str, v: &Value) -> Result<Duration, ScenarioError> {
    let Value::String(s) = v else {
        return Err(invalid(
            phase,
            key,
            expected("a duration string like \"5s\" or \"2m\"", v),
        ));
    };
    match humantime::parse_duration(s) {
        Ok(d) if d.is_zero() => Err(invalid(phase, key, "must be longer than zero".into())),
        Ok(d) => Ok(d),
        Err(e) => Err(invalid(phase, key, format!("bad duration {s:?}: {e}"))),
    }
}

fn parse_http_status(phase: &str, key: &str, v: &Value) -> Result<u16, ScenarioError> {
    match v.as_integer() {
        Some(n) if (200..=599).contains(&n) => u16::try_from(n)
            .map_err(|_| invalid(phase, key, format!("HTTP status {n} out of range"))),
        Some(n) => Err(invalid(
            phase,
            key,
            format!("HTTP status {n} is not between 200 and 599"),
        )),
        None => Err(invalid(phase, key, expected("an integer", v))),
    }
}

fn parse_behavior(phase: &str, key: &str, v: &Value) -> Result<Behavior, ScenarioError> {
    parse_behavior_of(phase, key, v, true)
}

/// A host's behaviour; `with_error` allows bitbank's `error` (and `http_status`) keys, which the
/// other exchanges' hosts replace with keys of their own.
fn parse_behavior_of(
    phase: &str,
    key: &str,
    v: &Value,
    with_error: bool,
) -> Result<Behavior, ScenarioError> {
    const BITBANK_HELP: &str = "expected \"ok\", \"truncated\", \"drop\", \"refuse\", \
                        \"endless\", \"gzip_bomb\", \"continue_flood\", \"stall\", \
                        \"wrong_shape\", or a table with error (and http_status), html, \
                        rate_limit, slow, huge or redirect";
    const EXCHANGE_HELP: &str = "expected \"ok\", \"truncated\", \"drop\", \"refuse\", \
                        \"endless\", \"gzip_bomb\", \"continue_flood\", \"stall\", \
                        \"wrong_shape\", or a table with html, rate_limit, slow, huge or redirect";
    let help = if with_error {
        BITBANK_HELP
    } else {
        EXCHANGE_HELP
    };
    let t = match v {
        Value::String(s) => {
            return match s.as_str() {
                "ok" => Ok(Behavior::Ok),
                "truncated" => Ok(Behavior::Truncated),
                "drop" => Ok(Behavior::Drop),
                "refuse" => Ok(Behavior::Refuse),
                "endless" => Ok(Behavior::Endless),
                "gzip_bomb" => Ok(Behavior::GzipBomb),
                "continue_flood" => Ok(Behavior::ContinueFlood),
                "stall" => Ok(Behavior::Stall),
                "wrong_shape" => Ok(Behavior::WrongShape),
                other => Err(invalid(
                    phase,
                    key,
                    format!("unknown behaviour {other:?}; {help}"),
                )),
            };
        }
        Value::Table(t) => t,
        other => {
            return Err(invalid(
                phase,
                key,
                format!("{}; {help}", expected("a string or table", other)),
            ))
        }
    };
    let allowed = |k: &str| BEHAVIOR_KEYS.contains(&k) && (with_error || HOSTILE_KEYS.contains(&k));
    if let Some(k) = t.keys().find(|k| !allowed(k)) {
        return Err(unknown_key(phase, format!("{key}.{k}")));
    }
    let kinds: Vec<&str> = ["error", "html", "rate_limit", "slow", "huge", "redirect"]
        .into_iter()
        .filter(|k| t.contains_key(*k))
        .collect();
    if kinds.len() > 1 {
        return Err(invalid(
            phase,
            key,
            format!("conflicting behaviours: {}", kinds.join(" and ")),
        ));
    }
    if t.contains_key("http_status") && kinds != ["error"] {
        return Err(invalid(
            phase,
            &format!("{key}.http_status"),
            "only allowed together with error".into(),
        ));
    }
    let sub = |k: &str| format!("{key}.{k}");
    match kinds.first().copied() {
        Some("error") => {
            let code = t.get("error").and_then(Value::as_integer).ok_or_else(|| {
                invalid(
                    phase,
                    &sub("error"),
                    "expected an integer error code".into(),
                )
            })?;
            let http_status = match t.get("http_status") {
                Some(s) => parse_http_status(phase, &sub("http_status"), s)?,
                None => 200,
            };
            Ok(Behavior::Error { code, http_status })
        }
        Some("html") => {
            let http_status = match t.get("html") {
                Some(s) => parse_http_status(phase, &sub("html"), s)?,
                None => 502,
            };
            Ok(Behavior::Html { http_status })
        }
        Some("huge") => match t.get("huge").and_then(Value::as_integer).map(u64::try_from) {
            Some(Ok(bytes)) => Ok(Behavior::Huge { bytes }),
            _ => Err(invalid(
                phase,
                &sub("huge"),
                "expected a size in bytes".into(),
            )),
        },
        Some("redirect") => match t.get("redirect") {
            Some(Value::String(location)) => Ok(Behavior::Redirect {
                location: location.clone(),
            }),
            _ => Err(invalid(
                phase,
                &sub("redirect"),
                "expected a URL string".into(),
            )),
        },
        Some("rate_limit") if matches!(t.get("rate_limit"), Some(Value::String(_))) => {
            let retry_after = t
                .get("rate_limit")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Ok(Behavior::RateLimitHeader { retry_after })
        }
        Some("rate_limit") => {
            let secs = t.get("rate_limit").and_then(Value::as_integer);
            match secs.map(u64::try_from) {
                Some(Ok(retry_after_secs)) => Ok(Behavior::RateLimit { retry_after_secs }),
                _ => Err(invalid(
                    phase,
                    &sub("rate_limit"),
                    "expected a whole number of seconds (0 or more)".into(),
                )),
            }
        }
        Some(_) => {
            let delay = match t.get("slow") {
                Some(v) => parse_duration(phase, &sub("slow"), v)?,
                None => Duration::ZERO,
            };
            Ok(Behavior::Slow { delay })
        }
        None => Err(invalid(phase, key, format!("empty table; {help}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Scenario::from_toml(text) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn hostile_behaviours_and_list_changes_parse() {
        let s = Scenario::from_toml(
            r#"
[[phases]]
name = "a"
duration = "1s"
api = "endless"
public = { huge = 200000000 }
hidden = ["btc_jpy"]
extra_pairs = ["../x"]
generated_pairs = 10000
[[phases]]
name = "b"
duration = "1s"
api = { redirect = "http://127.0.0.1:1/x" }
public = { rate_limit = "99999999999999999999" }
[[phases]]
name = "c"
api = "gzip_bomb"
public = "continue_flood"
"#,
        )
        .unwrap();
        let p = s.phases();
        assert_eq!(p[0].api, Behavior::Endless);
        assert_eq!(p[0].public, Behavior::Huge { bytes: 200_000_000 });
        assert!(p[0].hidden.contains("btc_jpy"));
        assert_eq!(p[0].generated_pairs, 10_000);
        assert_eq!(
            p[1].public,
            Behavior::RateLimitHeader {
                retry_after: "99999999999999999999".into()
            }
        );
        assert_eq!(p[2].public, Behavior::ContinueFlood);
        for bad in [
            "[[phases]]\nname = \"a\"\nhidden = [\"nope_jpy\"]",
            "[[phases]]\nname = \"a\"\ngenerated_pairs = -1",
            "[[phases]]\nname = \"a\"\napi = { huge = \"big\" }",
            "[[phases]]\nname = \"a\"\napi = { redirect = 1 }",
        ] {
            assert!(Scenario::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_builtin_parses() {
        assert_eq!(BUILTINS.len(), BUILTIN_NAMES.len());
        for ((name, text), listed) in BUILTINS.iter().zip(BUILTIN_NAMES) {
            assert_eq!(name, listed);
            let s = Scenario::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(s.description().is_some(), "{name} has no description");
            assert!(Scenario::builtin(name).is_some());
        }
        assert!(Scenario::builtin("nope").is_none());
    }

    #[test]
    fn builtins_have_the_promised_shape() {
        let maint = Scenario::builtin("maintenance-503").unwrap();
        assert_eq!(maint.phase_names(), ["normal", "maintenance", "recovered"]);
        assert_eq!(maint.phases()[0].duration, Some(Duration::from_secs(3)));
        assert_eq!(
            maint.phases()[1].api,
            Behavior::Error {
                code: 10007,
                http_status: 503
            }
        );
        assert_eq!(maint.phases()[1].public, Behavior::Ok);
        assert_eq!(maint.phases()[2].duration, None);

        let m200 = Scenario::builtin("maintenance-200").unwrap();
        assert_eq!(
            m200.phases()[1].api,
            Behavior::Error {
                code: 10007,
                http_status: 200
            }
        );
        let html = Scenario::builtin("html-api").unwrap();
        let statuses: Vec<_> = html.phases().iter().map(|p| p.api.clone()).collect();
        assert!(statuses.contains(&Behavior::Html { http_status: 502 }));
        assert!(statuses.contains(&Behavior::Html { http_status: 503 }));
        assert!(statuses.contains(&Behavior::Html { http_status: 504 }));
        let all = Scenario::builtin("all-halt").unwrap();
        assert_eq!(all.phases()[1].status_of("btc_jpy"), "HALT");
        assert_eq!(all.phases()[1].status_of("mkr_jpy"), "HALT");
        let demo = Scenario::builtin("demo").unwrap();
        assert!(demo.repeat());
        let cb = Scenario::builtin("circuit-break").unwrap();
        assert_eq!(
            cb.phases()[1].circuit_break["xrp_jpy"],
            CircuitBreak {
                mode: "CIRCUIT_BREAK".into(),
                reopen_in: Some(Duration::from_secs(1800))
            }
        );
        let w = Scenario::builtin("withdrawal-stop").unwrap();
        assert_eq!(w.phase_names().len(), 3);
        assert_eq!(w.phases()[0].duration, Some(Duration::from_secs(3)));
        assert_eq!(w.phases()[1].duration, Some(Duration::from_secs(6)));
        assert!(w.phases()[0].stop_withdrawal.is_empty());
        assert_eq!(
            w.phases()[1].stop_withdrawal.iter().collect::<Vec<_>>(),
            ["eth/polygon"]
        );
        assert!(w.phases()[2].stop_withdrawal.is_empty());
        let d = Scenario::builtin("deposit-stop").unwrap();
        assert_eq!(
            d.phases()[1].stop_deposit.iter().collect::<Vec<_>>(),
            ["xrp/xrp"]
        );
        assert!(d.phases()[1].stop_withdrawal.is_empty());
        let gmo = Scenario::builtin("gmocoin-maintenance").unwrap();
        assert_eq!(gmo.phase_names(), ["normal", "maintenance", "recovered"]);
        assert_eq!(gmo.phases()[1].gmocoin.status, "MAINTENANCE");
        assert_eq!(gmo.phases()[2].gmocoin, GmoCoin::default());
        let gmo = Scenario::builtin("gmocoin-emergency").unwrap();
        let error = gmo.phases()[1].gmocoin.error.clone().unwrap();
        assert_eq!((error.code.as_str(), error.http_status), ("ERR-5202", 200));
        let bf = Scenario::builtin("bitflyer-maintenance").unwrap();
        let down = &bf.phases()[1].bitflyer;
        assert_eq!(
            (down.health.as_str(), down.state.as_str()),
            ("STOP", "CLOSED")
        );
        assert!(down.boards.is_empty());
        let cb = Scenario::builtin("bitflyer-circuit-break").unwrap();
        assert_eq!(cb.phases()[1].bitflyer.state_of("BTC_JPY"), "CIRCUIT BREAK");
        assert_eq!(cb.phases()[1].bitflyer.state_of("ETH_JPY"), "RUNNING");
        let cc = Scenario::builtin("coincheck-maintenance").unwrap();
        for pair in Coincheck::PAIRS {
            assert_eq!(cc.phases()[1].coincheck.entry(pair), ("stop", [false; 3]));
        }
        let cc = Scenario::builtin("coincheck-pair-stop").unwrap();
        assert_eq!(cc.phases()[1].coincheck.entry("etc_jpy").0, "stop");
        assert_eq!(cc.phases()[1].coincheck.entry("btc_jpy").0, "available");
        for name in [
            "gmocoin-maintenance",
            "gmocoin-emergency",
            "bitflyer-maintenance",
            "bitflyer-circuit-break",
            "coincheck-maintenance",
            "coincheck-pair-stop",
        ] {
            let s = Scenario::builtin(name).unwrap();
            let durations: Vec<_> = s.phases().iter().map(|p| p.duration).collect();
            assert_eq!(
                durations,
                [
                    Some(Duration::from_secs(3)),
                    Some(Duration::from_secs(6)),
                    None
                ],
                "{name}"
            );
            // The other exchanges' scenarios leave bitbank alone.
            for p in s.phases() {
                assert_eq!(
                    (&p.api, &p.public),
                    (&Behavior::Ok, &Behavior::Ok),
                    "{name}"
                );
                assert!(p.status.is_empty() && p.status_all.is_none(), "{name}");
            }
        }
        let day = Scenario::builtin("realistic-day").unwrap();
        let total: Duration = day.phases().iter().filter_map(|p| p.duration).sum();
        assert!(total >= Duration::from_secs(11 * 3600), "{total:?}");
    }

    #[test]
    fn the_crate_docs_example_parses() {
        let docs: String = include_str!("lib.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let start = docs.find("```toml\n").unwrap() + "```toml\n".len();
        let text = &docs[start..];
        let text = &text[..text.find("```").unwrap()];
        let s = Scenario::from_toml(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let p = &s.phases()[1];
        assert_eq!(p.gmocoin.status, "MAINTENANCE");
        assert_eq!(p.bitflyer.state_of("BTC_JPY"), "CIRCUIT BREAK");
        assert_eq!(p.coincheck.entry("btc_jpy").0, "itayose");
        assert_eq!(
            p.coincheck.behavior,
            Behavior::Slow {
                delay: Duration::from_secs(2)
            }
        );
    }

    #[test]
    fn full_example_parses() {
        let s = Scenario::from_toml(
            r#"
description = "everything"
repeat = true
[[phases]]
name = "a"
duration = "1m 30s"
api = { error = 10008 }
public = "truncated"
status = { "*" = "BUSY", btc_jpy = "SOMETHING_NEW" }
suspended = ["xrp_jpy"]
stopped = { eth_jpy = ["stop_market_order"] }
circuit_break = { xrp_jpy = { mode = "RESUMPTION" } }
[[phases]]
name = "b"
duration = "2s"
api = { rate_limit = 7 }
public = { slow = "250ms" }
[[phases]]
name = "c"
duration = "1s"
api = "drop"
public = "refuse"
[[phases]]
name = "d"
duration = "1h"
api = { html = 504 }
"#,
        )
        .unwrap();
        assert!(s.repeat());
        let a = &s.phases()[0];
        assert_eq!(a.duration, Some(Duration::from_secs(90)));
        assert_eq!(
            a.api,
            Behavior::Error {
                code: 10008,
                http_status: 200
            }
        );
        assert_eq!(a.public, Behavior::Truncated);
        assert_eq!(a.status_of("btc_jpy"), "SOMETHING_NEW");
        assert_eq!(a.status_of("eth_jpy"), "BUSY");
        assert!(a.suspended.contains("xrp_jpy"));
        assert_eq!(
            a.stopped["eth_jpy"].iter().copied().collect::<Vec<_>>(),
            [StopFlag::StopMarketOrder]
        );
        assert_eq!(a.circuit_break["xrp_jpy"].reopen_in, None);
        let b = &s.phases()[1];
        assert_eq!(
            b.api,
            Behavior::RateLimit {
                retry_after_secs: 7
            }
        );
        assert_eq!(
            b.public,
            Behavior::Slow {
                delay: Duration::from_millis(250)
            }
        );
        assert_eq!(s.phases()[2].api, Behavior::Drop);
        assert_eq!(s.phases()[2].public, Behavior::Refuse);
        assert_eq!(s.phases()[3].api, Behavior::Html { http_status: 504 });
        assert_eq!(Phase::default().status_of("btc_jpy"), "NORMAL");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = err("descripton = \"x\"\n[[phases]]\nname = \"a\"\n");
        assert!(e.contains("`descripton`") && e.contains("top level"), "{e}");
        let e = err("[[phases]]\nname = \"a\"\nduraton = \"1s\"\n");
        assert!(e.contains("`duraton`") && e.contains("\"a\""), "{e}");
        let e = err("[[phases]]\nname = \"m\"\napi = { error = 10007, http_stats = 503 }\n");
        assert!(e.contains("`api.http_stats`") && e.contains("\"m\""), "{e}");
        let e = err(
            "[[phases]]\nname = \"m\"\ncircuit_break = { xrp_jpy = { mode = \"X\", reopen = \"1m\" } }\n",
        );
        assert!(e.contains("`circuit_break.xrp_jpy.reopen`"), "{e}");
    }

    #[test]
    fn bad_values_name_phase_and_key() {
        let cases: &[(&str, &[&str])] = &[
            ("api = \"sideways\"", &["\"p\"", "`api`", "sideways"]),
            ("public = 3", &["\"p\"", "`public`", "integer"]),
            (
                "api = { slow = \"soon\" }",
                &["\"p\"", "`api.slow`", "soon"],
            ),
            ("api = { error = \"x\" }", &["\"p\"", "`api.error`"]),
            (
                "api = { error = 1, http_status = 700 }",
                &["`api.http_status`", "700"],
            ),
            ("api = { html = 99 }", &["`api.html`"]),
            ("api = { rate_limit = -1 }", &["`api.rate_limit`"]),
            (
                "api = { html = 502, slow = \"1s\" }",
                &["`api`", "conflicting"],
            ),
            ("api = { http_status = 503 }", &["`api.http_status`"]),
            ("api = {}", &["`api`", "empty"]),
            (
                "duration = \"5 parsecs\"",
                &["\"p\"", "`duration`", "parsecs"],
            ),
            ("duration = 5", &["`duration`"]),
            ("duration = \"0s\"", &["`duration`", "zero"]),
            (
                "status = { nope_jpy = \"BUSY\" }",
                &["`status.nope_jpy`", "nope_jpy"],
            ),
            ("status = { btc_jpy = 1 }", &["`status.btc_jpy`"]),
            ("status = \"HALT\"", &["`status`", "table"]),
            ("suspended = [\"nope_jpy\"]", &["`suspended`", "nope_jpy"]),
            ("suspended = \"xrp_jpy\"", &["`suspended`"]),
            ("stopped = { nope_jpy = [] }", &["`stopped.nope_jpy`"]),
            (
                "stopped = { xrp_jpy = [\"stop_everything\"] }",
                &["`stopped.xrp_jpy`", "stop_everything"],
            ),
            (
                "circuit_break = { nope_jpy = { mode = \"X\" } }",
                &["`circuit_break.nope_jpy`"],
            ),
            (
                "circuit_break = { xrp_jpy = { reopen_in = \"1m\" } }",
                &["`circuit_break.xrp_jpy.mode`"],
            ),
            (
                "circuit_break = { xrp_jpy = { mode = \"X\", reopen_in = \"later\" } }",
                &["`circuit_break.xrp_jpy.reopen_in`"],
            ),
            (
                "stop_deposit = [\"nope\"]",
                &["\"p\"", "`stop_deposit`", "nope"],
            ),
            (
                "stop_withdrawal = [\"eth/nope\"]",
                &["\"p\"", "`stop_withdrawal`", "nope", "polygon"],
            ),
            (
                "stop_withdrawal = [\"jpy/jpy\"]",
                &["`stop_withdrawal`", "jpy"],
            ),
            ("stop_deposit = \"xrp\"", &["`stop_deposit`", "list"]),
        ];
        for (line, needles) in cases {
            let e = err(&format!("[[phases]]\nname = \"p\"\n{line}\n"));
            for needle in *needles {
                assert!(e.contains(needle), "{line}: {e:?} lacks {needle}");
            }
        }
    }

    #[test]
    fn stops_expand_whole_assets_to_every_network() {
        let s = Scenario::from_toml(
            "[[phases]]\nname = \"a\"\nstop_deposit = [\"eth\", \"jpy\"]\nstop_withdrawal = [\"eth/eth\", \"btc\"]\n",
        )
        .unwrap();
        let p = &s.phases()[0];
        assert_eq!(
            p.stop_deposit.iter().collect::<Vec<_>>(),
            ["eth/eth", "eth/polygon", "jpy"]
        );
        assert_eq!(
            p.stop_withdrawal.iter().collect::<Vec<_>>(),
            ["btc/btc", "eth/eth"]
        );
    }

    #[test]
    fn structural_errors() {
        assert!(err("this is = not toml = at all").contains("TOML"));
        assert!(err("").contains("`phases`"));
        assert!(err("phases = []").contains("`phases`"));
        assert!(err("repeat = \"yes\"\n[[phases]]\nname = \"a\"\n").contains("`repeat`"));
        let e = err("[[phases]]\nduration = \"1s\"\n");
        assert!(e.contains("#1") && e.contains("`name`"), "{e}");
        let e = err("[[phases]]\nname = \"a\"\n[[phases]]\nname = \"b\"\n");
        assert!(e.contains("\"a\"") && e.contains("`duration`"), "{e}");
        let e = err("repeat = true\n[[phases]]\nname = \"a\"\nduration = \"1s\"\n[[phases]]\nname = \"b\"\n");
        assert!(e.contains("\"b\"") && e.contains("repeat"), "{e}");
    }

    #[test]
    fn load_reads_builtins_and_files() {
        assert_eq!(Scenario::load("pair-halt").unwrap().phase_names().len(), 3);
        let dir = std::env::temp_dir().join(format!("fake-bitbank-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "[[phases]]\nname = \"only\"\n").unwrap();
        let s = Scenario::load(good.to_str().unwrap()).unwrap();
        assert_eq!(s.phase_names(), ["only"]);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[[phases]]\nname = \"only\"\napi = \"meh\"\n").unwrap();
        let e = Scenario::load(bad.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.toml") && e.contains("`api`"), "{e}");
        let e = Scenario::load("no-such-scenario").unwrap_err().to_string();
        assert!(
            e.contains("no-such-scenario") && e.contains("maintenance-503"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
