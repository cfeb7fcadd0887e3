//! One poll's observations → a [`Reading`]: the level that poll points to and how sure it is.
//! Pure: everything it needs is passed in.

use std::collections::{BTreeMap, BTreeSet};

use crate::bitbank::api::{CircuitBreakInfo, PairInfo, PairStatusEntry};
use crate::bitbank::observation::Observation;
use crate::model::code::ErrorCode;
use crate::model::fetch::{Failure, Fetch, Host};
use crate::model::level::{CircuitMode, Level, PairState, PairStatus};
use crate::model::pair::MAX_WATCHED_PAIRS;
use crate::model::reading::{pairs_level, Certainty, Context, Reading};
use crate::model::reason::Reason;

/// The default watch list: every pair that trades freely now.
pub fn tradable_pairs(pairs: &[PairInfo]) -> BTreeSet<String> {
    let all: BTreeSet<String> = pairs
        .iter()
        .filter(|p| p.is_tradable())
        .map(|p| p.name.clone())
        .collect();
    if all.len() > MAX_WATCHED_PAIRS {
        tracing::warn!(
            "bitbank lists {} tradable pairs; watching the first {MAX_WATCHED_PAIRS} by name",
            all.len()
        );
    }
    all.into_iter().take(MAX_WATCHED_PAIRS).collect()
}

/// One pair's state from its three sources, most restrictive first. `circuit` is `None` when
/// this poll has no circuit-break answer for it; a circuit break seen before is then kept.
pub fn pair_state(
    status: Option<&PairStatus>,
    info: Option<&PairInfo>,
    circuit: Option<&CircuitBreakInfo>,
    previous: Option<&PairState>,
) -> PairState {
    if status.is_none() && info.is_none() {
        return PairState::Unknown;
    }
    if status == Some(&PairStatus::Halt) {
        return PairState::Halted;
    }
    if let Some(info) = info.filter(|i| !i.is_tradable()) {
        return PairState::Suspended {
            stopped: info.restrictions.clone(),
        };
    }
    match circuit {
        Some(c) if c.mode != CircuitMode::None => {
            return PairState::CircuitBreak {
                mode: c.mode.clone(),
                reopen_at: c.reopen_at,
            }
        }
        None => {
            if let Some(prev @ PairState::CircuitBreak { .. }) = previous {
                return prev.clone();
            }
        }
        Some(_) => {}
    }
    match status {
        Some(PairStatus::Other(s)) => PairState::Other { status: s.clone() },
        Some(PairStatus::VeryBusy) => PairState::VeryBusy,
        Some(PairStatus::Busy) => PairState::Busy,
        _ => PairState::Normal,
    }
}

/// Whether `pair` in `state` is excused from holding the level (see [`Reading::excused`]).
fn is_excused(ctx: &Context<'_>, pair: &str, state: &PairState) -> bool {
    let first_sight = matches!(ctx.previous.get(pair), None | Some(PairState::Unknown));
    matches!(state, PairState::Suspended { .. }) && (first_sight || ctx.excused.contains(pair))
}

/// Classify one poll (the levels as the README's "What it reports" tells them); the rules, in
/// order:
/// 1. 10007 from either host → maintenance (definite).
/// 2. 429 / 10009 from the api host → rate limited (no level).
/// 3. any other api-host failure → down if the public host answers, else unreachable (ambiguous).
/// 4. every watched, unexcused pair HALT → maintenance (definite).
/// 5. 10008, or a watched pair not normal → degraded (definite); else normal.
pub fn classify(obs: &Observation, ctx: &Context<'_>) -> Reading {
    let api_failures: Vec<&Failure> = [obs.status.as_ref().err(), obs.pairs.as_ref().err()]
        .into_iter()
        .flatten()
        .collect();
    let public_failures: Vec<&Failure> = obs
        .circuit
        .values()
        .filter_map(|r| r.as_ref().err())
        .collect();
    let watched = ctx
        .watched
        .cloned()
        .or_else(|| obs.pairs.as_ref().ok().map(|p| tradable_pairs(p)));
    let keep_pairs = || -> BTreeMap<String, PairState> { ctx.previous.clone() };
    let reading = |level, certainty, reason, pairs| Reading {
        at: obs.at,
        level,
        certainty,
        reason,
        pairs,
        watched: watched.clone(),
        excused: ctx.excused.clone(),
        retry_after: None,
        assets: None,
    };

    if let Some(Failure::Api { code, .. }) = api_failures
        .iter()
        .chain(public_failures.iter())
        .find(|f| f.is_maintenance())
    {
        return reading(
            Level::Maintenance,
            Certainty::Definite,
            Some(Reason::ApiError { code: *code }),
            keep_pairs(),
        );
    }

    if api_failures.iter().any(|f| f.is_rate_limited()) {
        let retry_after = api_failures
            .iter()
            .filter_map(|f| match f {
                Failure::RateLimited { retry_after } => *retry_after,
                _ => None,
            })
            .max();
        return Reading {
            retry_after,
            ..reading(Level::Unknown, Certainty::RateLimited, None, keep_pairs())
        };
    }

    if let Some(api_failure) = api_failures.iter().find(|f| !f.is_server_busy()) {
        let public_answers = obs.circuit.is_empty()
            || obs
                .circuit
                .values()
                .any(|r| r.as_ref().map_or_else(Failure::host_reached, |_| true));
        let mut failures = vec![(Host::Api, (*api_failure).clone())];
        let level = if public_answers {
            Level::Down
        } else {
            if let Some(pf) = public_failures.first() {
                failures.push((Host::Public, (*pf).clone()));
            }
            Level::Unreachable
        };
        return reading(
            level,
            Certainty::Ambiguous,
            Some(Reason::HostFailed { failures }),
            keep_pairs(),
        );
    }

    let server_busy = !api_failures.is_empty();
    let pairs = match (&obs.status, &obs.pairs, &watched) {
        (Ok(statuses), Ok(infos), Some(watched)) => {
            pair_states(watched, statuses, infos, &obs.circuit, ctx.previous)
        }
        _ => keep_pairs(),
    };
    let excused: BTreeSet<String> = pairs
        .iter()
        .filter(|(p, s)| is_excused(ctx, p, s))
        .map(|(p, _)| p.clone())
        .collect();
    let with_pairs = |level, reason| Reading {
        excused: excused.clone(),
        ..reading(level, Certainty::Definite, reason, pairs.clone())
    };
    match pairs_level(&pairs, &excused) {
        (Level::Maintenance, reason) => with_pairs(Level::Maintenance, reason),
        _ if server_busy => with_pairs(
            Level::Degraded,
            Some(Reason::ApiError {
                code: ErrorCode::SERVER_BUSY,
            }),
        ),
        (level, reason) => with_pairs(level, reason),
    }
}

fn pair_states(
    watched: &BTreeSet<String>,
    statuses: &[PairStatusEntry],
    infos: &[PairInfo],
    circuit: &BTreeMap<String, Fetch<CircuitBreakInfo>>,
    previous: &BTreeMap<String, PairState>,
) -> BTreeMap<String, PairState> {
    let status_of: BTreeMap<&str, &PairStatus> = statuses
        .iter()
        .map(|s| (s.pair.as_str(), &s.status))
        .collect();
    let info_of: BTreeMap<&str, &PairInfo> = infos.iter().map(|i| (i.name.as_str(), i)).collect();
    watched
        .iter()
        .map(|pair| {
            let state = pair_state(
                status_of.get(pair.as_str()).copied(),
                info_of.get(pair.as_str()).copied(),
                circuit.get(pair).and_then(|r| r.as_ref().ok()),
                previous.get(pair),
            );
            (pair.clone(), state)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::level::Restriction;
    use chrono::TimeZone;
    use chrono::{DateTime, Utc};
    use std::time::Duration;

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0)
            .single()
            .unwrap()
    }

    fn status(pair: &str, s: &str) -> PairStatusEntry {
        PairStatusEntry {
            pair: pair.into(),
            status: PairStatus::from(s),
            min_amount: None,
        }
    }

    fn info(pair: &str, restrictions: &[Restriction]) -> PairInfo {
        PairInfo {
            name: pair.into(),
            restrictions: restrictions.to_vec(),
        }
    }

    fn cb(mode: &str) -> Fetch<CircuitBreakInfo> {
        Ok(CircuitBreakInfo {
            mode: CircuitMode::from(mode),
            reopen_at: None,
        })
    }

    /// A healthy poll of btc_jpy, eth_jpy and the long-suspended mona_jpy.
    fn healthy() -> Observation {
        Observation {
            at: t0(),
            status: Ok(vec![
                status("btc_jpy", "NORMAL"),
                status("eth_jpy", "NORMAL"),
                status("mona_jpy", "NORMAL"),
            ]),
            pairs: Ok(vec![
                info("btc_jpy", &[]),
                info("eth_jpy", &[]),
                info("mona_jpy", &[Restriction::Order, Restriction::BuyOrder]),
            ]),
            circuit: [
                ("btc_jpy".to_string(), cb("NONE")),
                ("eth_jpy".to_string(), cb("NONE")),
            ]
            .into(),
        }
    }

    fn run(
        obs: &Observation,
        watched: Option<&BTreeSet<String>>,
        previous: &BTreeMap<String, PairState>,
    ) -> Reading {
        let excused = BTreeSet::new();
        classify(
            obs,
            &Context {
                watched,
                excused: &excused,
                previous,
            },
        )
    }

    fn normal_pairs() -> BTreeMap<String, PairState> {
        [
            ("btc_jpy".to_string(), PairState::Normal),
            ("eth_jpy".to_string(), PairState::Normal),
        ]
        .into()
    }

    #[test]
    fn a_healthy_poll_is_normal_and_watches_the_tradable_pairs() {
        let r = run(&healthy(), None, &BTreeMap::new());
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.certainty, Certainty::Definite);
        assert_eq!(
            r.watched.unwrap().into_iter().collect::<Vec<_>>(),
            vec!["btc_jpy", "eth_jpy"]
        );
        assert_eq!(r.pairs, normal_pairs());
    }

    #[test]
    fn maintenance_code_is_definite_with_any_status_and_on_either_endpoint() {
        for http_status in [200, 503] {
            let mut obs = healthy();
            obs.pairs = Err(Failure::Api {
                code: ErrorCode::SYSTEM_MAINTENANCE,
                http_status,
            });
            let r = run(&obs, None, &normal_pairs());
            assert_eq!(
                (r.level, r.certainty),
                (Level::Maintenance, Certainty::Definite)
            );
            assert_eq!(
                crate::model::words::reason_text(&r.reason.unwrap()),
                "api error 10007: System maintenance"
            );
            assert_eq!(
                r.pairs,
                normal_pairs(),
                "pair states are kept while there is no data"
            );
        }
    }

    #[test]
    fn every_watched_pair_halted_is_maintenance() {
        let mut obs = healthy();
        obs.status = Ok(vec![
            status("btc_jpy", "HALT"),
            status("eth_jpy", "HALT"),
            status("mona_jpy", "NORMAL"),
        ]);
        let r = run(&obs, None, &BTreeMap::new());
        assert_eq!(
            (r.level, r.certainty),
            (Level::Maintenance, Certainty::Definite)
        );
        assert_eq!(r.reason, Some(Reason::AllPairsHalted));
    }

    #[test]
    fn one_halted_pair_is_degraded() {
        let mut obs = healthy();
        obs.status = Ok(vec![status("btc_jpy", "HALT"), status("eth_jpy", "NORMAL")]);
        let r = run(&obs, None, &normal_pairs());
        assert_eq!(
            (r.level, r.certainty),
            (Level::Degraded, Certainty::Definite)
        );
        assert_eq!(r.pairs["btc_jpy"], PairState::Halted);
        assert_eq!(
            crate::model::words::reason_text(&r.reason.unwrap()),
            "btc_jpy halted"
        );
    }

    #[test]
    fn busy_and_very_busy_are_degraded() {
        for (s, state) in [
            ("BUSY", PairState::Busy),
            ("VERY_BUSY", PairState::VeryBusy),
        ] {
            let mut obs = healthy();
            obs.status = Ok(vec![status("btc_jpy", "NORMAL"), status("eth_jpy", s)]);
            let r = run(&obs, None, &normal_pairs());
            assert_eq!(r.level, Level::Degraded);
            assert_eq!(r.pairs["eth_jpy"], state);
        }
    }

    #[test]
    fn a_busy_pair_that_is_not_watched_does_not_count() {
        let mut obs = healthy();
        obs.status = Ok(vec![
            status("btc_jpy", "NORMAL"),
            status("eth_jpy", "VERY_BUSY"),
        ]);
        let watched: BTreeSet<String> = ["btc_jpy".to_string()].into();
        let r = run(&obs, Some(&watched), &BTreeMap::new());
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.pairs.len(), 1);
    }

    #[test]
    fn a_pair_suspended_at_first_sight_does_not_hold_degraded() {
        let obs = healthy();
        let watched: BTreeSet<String> = ["btc_jpy", "mona_jpy"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = run(&obs, Some(&watched), &BTreeMap::new());
        assert_eq!(r.level, Level::Normal);
        assert!(r.excused.contains("mona_jpy"));
        assert!(matches!(r.pairs["mona_jpy"], PairState::Suspended { .. }));
    }

    #[test]
    fn a_pair_suspended_while_watched_is_degraded_and_names_the_operations() {
        let mut obs = healthy();
        obs.pairs = Ok(vec![
            info("btc_jpy", &[]),
            info("eth_jpy", &[Restriction::MarketOrder]),
        ]);
        let r = run(
            &obs,
            Some(&normal_pairs().keys().cloned().collect()),
            &normal_pairs(),
        );
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.pairs["eth_jpy"],
            PairState::Suspended {
                stopped: vec![Restriction::MarketOrder]
            }
        );
        assert!(r.excused.is_empty());
    }

    #[test]
    fn a_circuit_break_is_degraded_with_its_mode_and_reopen_time() {
        let mut obs = healthy();
        let reopen = t0() + chrono::Duration::minutes(30);
        obs.circuit.insert(
            "eth_jpy".into(),
            Ok(CircuitBreakInfo {
                mode: CircuitMode::CircuitBreak,
                reopen_at: Some(reopen),
            }),
        );
        let r = run(&obs, None, &normal_pairs());
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(r.pairs["eth_jpy"].reopen_at(), Some(reopen));
    }

    #[test]
    fn a_circuit_break_is_kept_when_its_answer_is_missing() {
        let mut obs = healthy();
        obs.circuit.insert("eth_jpy".into(), Err(Failure::Timeout));
        let mut previous = normal_pairs();
        let cb_state = PairState::CircuitBreak {
            mode: CircuitMode::FullRangeCircuitBreak,
            reopen_at: None,
        };
        previous.insert("eth_jpy".into(), cb_state.clone());
        let r = run(&obs, None, &previous);
        assert_eq!(r.pairs["eth_jpy"], cb_state);
    }

    #[test]
    fn server_busy_is_degraded_at_once() {
        let mut obs = healthy();
        obs.status = Err(Failure::Api {
            code: ErrorCode::SERVER_BUSY,
            http_status: 200,
        });
        let r = run(&obs, None, &normal_pairs());
        assert_eq!(
            (r.level, r.certainty),
            (Level::Degraded, Certainty::Definite)
        );
        assert_eq!(
            crate::model::words::reason_text(&r.reason.unwrap()),
            "api error 10008: Server is busy. Retry later"
        );
    }

    #[test]
    fn api_failures_are_ambiguous_down_while_public_answers() {
        let failures = [
            Failure::Timeout,
            Failure::Http {
                status: 502,
                html: true,
            },
            Failure::Http {
                status: 500,
                html: false,
            },
            Failure::Network {
                detail: "refused".into(),
            },
            Failure::Malformed {
                status: 200,
                detail: "eof".into(),
            },
            Failure::Api {
                code: ErrorCode(10005),
                http_status: 200,
            },
        ];
        for failure in failures {
            let mut obs = healthy();
            obs.status = Err(failure.clone());
            let r = run(&obs, None, &normal_pairs());
            assert_eq!(
                (r.level, r.certainty),
                (Level::Down, Certainty::Ambiguous),
                "{failure:?}"
            );
            assert_eq!(r.pairs, normal_pairs());
        }
    }

    #[test]
    fn both_hosts_failing_is_unreachable() {
        let mut obs = healthy();
        obs.status = Err(Failure::Timeout);
        obs.pairs = Err(Failure::Timeout);
        for v in obs.circuit.values_mut() {
            *v = Err(Failure::Network {
                detail: "dns".into(),
            });
        }
        let r = run(&obs, None, &BTreeMap::new());
        assert_eq!(
            (r.level, r.certainty),
            (Level::Unreachable, Certainty::Ambiguous)
        );
        assert_eq!(
            crate::model::words::reason_text(&r.reason.unwrap()),
            "api host: timeout; public host: connection failed"
        );
    }

    #[test]
    fn both_hosts_answering_malformed_json_is_down_not_our_network() {
        let mut obs = healthy();
        let malformed = || Failure::Malformed {
            status: 200,
            detail: "not JSON".into(),
        };
        obs.status = Err(malformed());
        obs.pairs = Err(malformed());
        for v in obs.circuit.values_mut() {
            *v = Err(malformed());
        }
        let r = run(&obs, None, &BTreeMap::new());
        assert_eq!((r.level, r.certainty), (Level::Down, Certainty::Ambiguous));
    }

    #[test]
    fn rate_limiting_points_to_no_level() {
        let mut obs = healthy();
        obs.status = Err(Failure::RateLimited {
            retry_after: Some(Duration::from_secs(4)),
        });
        obs.pairs = Err(Failure::RateLimited { retry_after: None });
        let r = run(&obs, None, &normal_pairs());
        assert_eq!(r.certainty, Certainty::RateLimited);
        assert_eq!(r.retry_after, Some(Duration::from_secs(4)));
        assert_eq!(r.pairs, normal_pairs());
    }

    #[test]
    fn unknown_statuses_modes_and_pairs_never_panic_and_are_not_normal() {
        let mut obs = healthy();
        obs.status = Ok(vec![
            status("btc_jpy", "SUPER_BUSY"),
            status("eth_jpy", "NORMAL"),
        ]);
        obs.circuit.insert("eth_jpy".into(), cb("NEW_MODE"));
        let watched: BTreeSet<String> = ["btc_jpy", "eth_jpy", "nope_jpy"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = run(&obs, Some(&watched), &BTreeMap::new());
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.pairs["btc_jpy"],
            PairState::Other {
                status: "SUPER_BUSY".into()
            }
        );
        assert_eq!(r.pairs["eth_jpy"].kind(), "circuit_break");
        assert_eq!(r.pairs["nope_jpy"], PairState::Unknown);
    }

    #[test]
    fn halt_outranks_suspension_and_circuit_break() {
        let s = pair_state(
            Some(&PairStatus::Halt),
            Some(&info("x", &[Restriction::Order])),
            Some(&CircuitBreakInfo {
                mode: CircuitMode::CircuitBreak,
                reopen_at: None,
            }),
            None,
        );
        assert_eq!(s, PairState::Halted);
    }
}
