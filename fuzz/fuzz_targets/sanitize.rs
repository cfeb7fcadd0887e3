//! The sanitizer's promise: nothing it returns can drive a terminal.
#![no_main]

use bbwatch_core::sanitize::{is_unsafe, line, text, token, url_for_log, MAX_TOKEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let t = token(&s);
    assert!(t.chars().count() <= MAX_TOKEN + 1);
    assert!(t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '?' | '…')));
    assert_eq!(token(&t), t, "token is idempotent");
    assert!(!text(&s).chars().any(is_unsafe));
    assert!(!line(&s).chars().any(is_unsafe));
    assert!(!url_for_log(&s).chars().any(is_unsafe));
});
