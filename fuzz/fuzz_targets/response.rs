//! The three response parsers (and `Retry-After`), on any status and any body: never a
//! panic, and what they accept is safe (valid pair names, sanitized strings).
#![no_main]

use bbwatch_core::api::{
    parse_circuit_break_info, parse_retry_after, parse_spot_pairs, parse_spot_status,
};
use bbwatch_core::config::check_pair_name;
use bbwatch_core::level::{CircuitMode, PairStatus};
use bbwatch_core::sanitize::is_unsafe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let status = [200u16, 404, 429, 500, 503][usize::from(selector >> 4) % 5];
    // The first line, if any, doubles as a Retry-After header.
    let header = rest
        .split(|b| *b == b'\n')
        .next()
        .and_then(|h| std::str::from_utf8(h).ok());
    if let Some(h) = header {
        let _ = parse_retry_after(h);
    }
    match selector % 3 {
        0 => {
            if let Ok(list) = parse_spot_status(status, header, rest) {
                for s in list {
                    assert!(check_pair_name(&s.pair).is_ok(), "{:?}", s.pair);
                    if let PairStatus::Other(o) = &s.status {
                        assert!(!o.chars().any(is_unsafe), "{o:?}");
                    }
                    if let Some(m) = &s.min_amount {
                        assert!(!m.chars().any(is_unsafe), "{m:?}");
                    }
                }
            }
        }
        1 => {
            if let Ok(list) = parse_spot_pairs(status, header, rest) {
                assert!(!list.is_empty());
                for p in list {
                    assert!(check_pair_name(&p.name).is_ok(), "{:?}", p.name);
                }
            }
        }
        _ => {
            if let Ok(info) = parse_circuit_break_info(status, header, rest) {
                if let CircuitMode::Other(o) = &info.mode {
                    assert!(!o.chars().any(is_unsafe), "{o:?}");
                }
            }
        }
    }
});
