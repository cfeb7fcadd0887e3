//! `/metrics` in Prometheus's text format 0.0.4: the level and each pair's state as 0/1
//! gauges (every possible value, so a query for the one that is 1 needs no `absent()`), the
//! poll latency histogram, failed requests by host and kind, rate limiting and the time of
//! the last definite answer. Rendered by hand: a handful of series need no client library.

use std::fmt::Write as _;

use bbwatch_core::bitbank::metrics::{host_label, FailureKind, PollStats, BUCKETS};
use bbwatch_core::model::fetch::Host;
use bbwatch_core::{Level, Snapshot};

/// The `Content-Type` of the text format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every pair state's name, as `bbwatch_pair_state{state=…}` labels it.
const PAIR_STATES: [&str; 8] = [
    "unknown",
    "normal",
    "busy",
    "very_busy",
    "halted",
    "suspended",
    "circuit_break",
    "other",
];

/// A label value with `\`, `"` and line breaks escaped, as the format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The whole page, of `exchanges`' snapshots (bitbank's first). The level, the exit code and
/// the pairs' states get an `exchange` label when others than bitbank are watched, a series
/// for each; bitbank's alone keep the series (and words) they always had.
pub(crate) fn render(exchanges: &[Snapshot], stats: &PollStats) -> String {
    let labelled = exchanges.iter().any(|s| !s.exchange.is_bitbank());
    // `exchange="…",` first among a series' labels, when labelled.
    let by = |s: &Snapshot| {
        if labelled {
            format!("exchange=\"{}\",", label(s.exchange.as_str()))
        } else {
            String::new()
        }
    };
    let mut out = String::new();
    header(
        &mut out,
        "bbwatch_build_info",
        "gauge",
        "Always 1; the version of bbwatch serving this.",
    );
    let _ = writeln!(
        out,
        "bbwatch_build_info{{version=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION"))
    );

    header(
        &mut out,
        "bbwatch_level",
        "gauge",
        if labelled {
            "1 for each watched exchange's current level as bbwatch sees it, 0 for the others."
        } else {
            "1 for bitbank's current level as bbwatch sees it, 0 for the others."
        },
    );
    for s in exchanges {
        for level in Level::ALL {
            let _ = writeln!(
                out,
                "bbwatch_level{{{}level=\"{}\"}} {}",
                by(s),
                level.as_str(),
                u8::from(s.level == level)
            );
        }
    }

    header(
        &mut out,
        "bbwatch_status_exit_code",
        "gauge",
        if labelled {
            "The exit code bbwatch status would give now for each watched exchange (0 normal, 10 degraded, 11 maintenance, 12 down, 13 unreachable)."
        } else {
            "The exit code bbwatch status would give now (0 normal, 10 degraded, 11 maintenance, 12 down, 13 unreachable)."
        },
    );
    for s in exchanges {
        if labelled {
            let _ = writeln!(
                out,
                "bbwatch_status_exit_code{{exchange=\"{}\"}} {}",
                label(s.exchange.as_str()),
                s.level.exit_code()
            );
        } else {
            let _ = writeln!(out, "bbwatch_status_exit_code {}", s.level.exit_code());
        }
    }

    header(
        &mut out,
        "bbwatch_pair_state",
        "gauge",
        if labelled {
            "1 for each watched pair's current state on each watched exchange, 0 for the others."
        } else {
            "1 for each watched pair's current state, 0 for the others."
        },
    );
    for s in exchanges {
        for (pair, state) in &s.pairs {
            for name in PAIR_STATES {
                let _ = writeln!(
                    out,
                    "bbwatch_pair_state{{{}pair=\"{}\",state=\"{name}\"}} {}",
                    by(s),
                    label(pair),
                    u8::from(state.kind() == name)
                );
            }
        }
    }

    header(
        &mut out,
        "bbwatch_poll_duration_seconds",
        "histogram",
        "How long each poll of bitbank took (all its requests).",
    );
    for (le, count) in BUCKETS.iter().zip(stats.cumulative_buckets()) {
        let _ = writeln!(
            out,
            "bbwatch_poll_duration_seconds_bucket{{le=\"{le}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "bbwatch_poll_duration_seconds_bucket{{le=\"+Inf\"}} {}",
        stats.polls
    );
    let _ = writeln!(
        out,
        "bbwatch_poll_duration_seconds_sum {}",
        stats.duration_sum
    );
    let _ = writeln!(out, "bbwatch_poll_duration_seconds_count {}", stats.polls);

    header(
        &mut out,
        "bbwatch_poll_failures_total",
        "counter",
        "Requests to bitbank that gave no usable answer, by host and kind.",
    );
    for host in [Host::Api, Host::Public] {
        for kind in FailureKind::ALL {
            let n = stats.failures.get(&(host, kind)).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "bbwatch_poll_failures_total{{host=\"{}\",kind=\"{}\"}} {n}",
                host_label(host),
                kind.as_str()
            );
        }
    }

    header(
        &mut out,
        "bbwatch_rate_limited_total",
        "counter",
        "Polls that bitbank rate-limited.",
    );
    let _ = writeln!(out, "bbwatch_rate_limited_total {}", stats.rate_limited);

    header(
        &mut out,
        "bbwatch_last_success_timestamp_seconds",
        "gauge",
        "When the last poll with a definite answer started (Unix time; 0 before the first).",
    );
    let last = stats
        .last_success
        .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0);
    let _ = writeln!(out, "bbwatch_last_success_timestamp_seconds {last}");

    header(
        &mut out,
        "bbwatch_stream_reconnects_total",
        "counter",
        "Reconnects to bitbank's stream (after a drop, a dead stream or a failed connect).",
    );
    let _ = writeln!(
        out,
        "bbwatch_stream_reconnects_total {}",
        stats.stream_reconnects
    );
    header(
        &mut out,
        "bbwatch_stream_connected",
        "gauge",
        "1 while the stream's session is open, else 0.",
    );
    let _ = writeln!(
        out,
        "bbwatch_stream_connected {}",
        u8::from(stats.stream_connected)
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bbwatch_core::bitbank::metrics::Poll;
    use bbwatch_core::model::reading::Certainty;
    use bbwatch_core::PairState;
    use chrono::{TimeZone, Utc};
    use std::time::Duration;

    #[test]
    fn stream_reconnects_are_counted() {
        let metrics = bbwatch_core::bitbank::metrics::PollMetrics::default();
        metrics.record_reconnect();
        metrics.record_reconnect();
        metrics.set_stream_connected(true);
        let text = render(&[Snapshot::default()], &metrics.stats());
        assert!(
            text.contains("\nbbwatch_stream_reconnects_total 2\n"),
            "{text}"
        );
        assert!(text.contains("\nbbwatch_stream_connected 1\n"), "{text}");
        assert!(text.contains("# TYPE bbwatch_stream_reconnects_total counter"));
    }

    #[test]
    fn the_page_has_every_series() {
        let mut stats = PollStats::default();
        stats.record(&Poll {
            duration: Duration::from_millis(300),
            failures: vec![(Host::Api, FailureKind::Api)],
            certainty: Certainty::Definite,
            at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
        });
        let snapshot = Snapshot {
            level: Level::Maintenance,
            pairs: [("btc_jpy".to_string(), PairState::Halted)].into(),
            ..Snapshot::default()
        };
        let text = render(std::slice::from_ref(&snapshot), &stats);
        for line in [
            "bbwatch_level{level=\"maintenance\"} 1",
            "bbwatch_level{level=\"normal\"} 0",
            "bbwatch_status_exit_code 11",
            "bbwatch_pair_state{pair=\"btc_jpy\",state=\"halted\"} 1",
            "bbwatch_pair_state{pair=\"btc_jpy\",state=\"normal\"} 0",
            "bbwatch_poll_duration_seconds_bucket{le=\"0.25\"} 0",
            "bbwatch_poll_duration_seconds_bucket{le=\"0.5\"} 1",
            "bbwatch_poll_duration_seconds_bucket{le=\"+Inf\"} 1",
            "bbwatch_poll_duration_seconds_count 1",
            "bbwatch_poll_failures_total{host=\"api\",kind=\"api\"} 1",
            "bbwatch_poll_failures_total{host=\"public\",kind=\"timeout\"} 0",
            "bbwatch_rate_limited_total 0",
            "bbwatch_last_success_timestamp_seconds 1795755600",
            "bbwatch_stream_reconnects_total 0",
            "bbwatch_stream_connected 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert!(
            !text.contains("exchange"),
            "bitbank's alone as before:\n{text}"
        );
    }

    #[test]
    fn with_other_exchanges_each_series_names_its_exchange() {
        use bbwatch_core::model::exchange::Exchange;
        let bitbank = Snapshot {
            level: Level::Normal,
            pairs: [("btc_jpy".to_string(), PairState::Normal)].into(),
            ..Snapshot::default()
        };
        let gmo = Snapshot {
            level: Level::Maintenance,
            pairs: [("btc_jpy".to_string(), PairState::Halted)].into(),
            exchange: Exchange::Gmocoin,
            ..Snapshot::default()
        };
        let text = render(&[bitbank, gmo], &PollStats::default());
        for line in [
            "bbwatch_level{exchange=\"bitbank\",level=\"normal\"} 1",
            "bbwatch_level{exchange=\"gmocoin\",level=\"maintenance\"} 1",
            "bbwatch_level{exchange=\"gmocoin\",level=\"normal\"} 0",
            "bbwatch_status_exit_code{exchange=\"bitbank\"} 0",
            "bbwatch_status_exit_code{exchange=\"gmocoin\"} 11",
            "bbwatch_pair_state{exchange=\"bitbank\",pair=\"btc_jpy\",state=\"normal\"} 1",
            "bbwatch_pair_state{exchange=\"gmocoin\",pair=\"btc_jpy\",state=\"halted\"} 1",
            "# HELP bbwatch_level 1 for each watched exchange's current level as bbwatch sees it, 0 for the others.",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        // One TYPE line per metric however many exchanges.
        assert_eq!(text.matches("# TYPE bbwatch_level gauge").count(), 1);
        assert!(!text.lines().any(|l| l.starts_with("bbwatch_level{level=")));
    }
}
