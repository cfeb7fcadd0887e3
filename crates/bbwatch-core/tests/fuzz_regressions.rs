//! Every input the fuzzers (`make fuzz`, `fuzz/`) ever crashed on, and a few hostile seeds,
//! replayed on stable Rust with the same checks as the fuzz targets: a crash found once stays
//! fixed. Add a crashing input as a file under `tests/fuzz-regressions/<target>/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use bbwatch_core::bitbank::api::{
    parse_circuit_break_info, parse_retry_after, parse_spot_pairs, parse_spot_status,
};
use bbwatch_core::config::Config;
use bbwatch_core::model::level::{CircuitMode, PairStatus};
use bbwatch_core::model::pair::check_pair_name;
use bbwatch_core::model::sanitize::{is_unsafe, line, text, token, url_for_log};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect()
}

#[test]
fn response_parser_regressions() {
    for (path, data) in inputs("response") {
        // The first byte picks the parser in the fuzz target; here every parser runs.
        let Some((_, rest)) = data.split_first() else {
            continue;
        };
        for status in [200u16, 404, 429, 500, 503] {
            let header = rest
                .split(|b| *b == b'\n')
                .next()
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(h) = header {
                let _ = parse_retry_after(h);
            }
            if let Ok(list) = parse_spot_status(status, header, rest) {
                for s in list {
                    assert!(check_pair_name(&s.pair).is_ok(), "{path:?}");
                    if let PairStatus::Other(o) = &s.status {
                        assert!(!o.chars().any(is_unsafe), "{path:?}");
                    }
                }
            }
            if let Ok(list) = parse_spot_pairs(status, header, rest) {
                assert!(
                    list.iter().all(|p| check_pair_name(&p.name).is_ok()),
                    "{path:?}"
                );
            }
            if let Ok(info) = parse_circuit_break_info(status, header, rest) {
                if let CircuitMode::Other(o) = &info.mode {
                    assert!(!o.chars().any(is_unsafe), "{path:?}");
                }
            }
        }
    }
}

#[test]
fn config_parser_regressions() {
    for (path, data) in inputs("config") {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(loaded) = Config::from_toml(text) {
            assert!(loaded.config.validate().is_ok(), "{path:?}");
        }
    }
}

#[test]
fn sanitize_regressions() {
    for (path, data) in inputs("sanitize") {
        let s = String::from_utf8_lossy(&data);
        let t = token(&s);
        assert_eq!(token(&t), t, "{path:?}");
        assert!(!text(&s).chars().any(is_unsafe), "{path:?}");
        assert!(!line(&s).chars().any(is_unsafe), "{path:?}");
        assert!(!url_for_log(&s).chars().any(is_unsafe), "{path:?}");
    }
}
