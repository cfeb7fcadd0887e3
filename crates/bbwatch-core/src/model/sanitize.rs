//! Making text that came from the network safe to show: on a terminal, in a notification, in
//! the tray label, in a log line.
//!
//! A server chooses pair names, status strings, circuit-break modes and error bodies. Raw, an
//! escape sequence among them could retitle the terminal, clear the screen, or forge an event
//! line with a newline. Two rules, applied where the text enters the model (`api`, `level`):
//!
//! * [`token`] for identifiers (status strings, modes): a short run of `[A-Za-z0-9_.-]`, every
//!   other character replaced by `?`, so an unknown value is still recognisable.
//! * [`text`] for free text (failure details in logs): control characters (C0, DEL, C1), line
//!   and paragraph separators and bidirectional overrides are shown as `\u{..}` escapes, and
//!   the result is cut to a bounded length.
//!
//! Pair names are not sanitized but validated ([`crate::model::pair::check_pair_name`]): a name
//! that is not `[a-z0-9]+_[a-z0-9]+` is dropped with its entry.

use std::borrow::Cow;

/// The longest identifier kept from the network.
pub const MAX_TOKEN: usize = 32;
/// The longest free text kept from the network (characters).
pub const MAX_TEXT: usize = 300;

/// An identifier from the network, made safe: `[A-Za-z0-9_.-]` kept, anything else `?`,
/// at most [`MAX_TOKEN`] characters (a cut token ends with `…`).
pub fn token(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_TOKEN)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.chars().nth(MAX_TOKEN).is_some() {
        out.push('…');
    }
    out
}

/// Whether a character must not reach a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Line/paragraph separators, bidi embeddings, overrides and isolates, BOM/ZWNBSP.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Free text from the network, made safe for one line of a terminal: unsafe characters
/// ([`is_unsafe`]) escaped as `\u{1b}`, at most [`MAX_TEXT`] characters kept.
pub fn text(s: &str) -> Cow<'_, str> {
    let long = s.chars().nth(MAX_TEXT).is_some();
    if !long && !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_TEXT * 4));
    for c in s.chars().take(MAX_TEXT) {
        if is_unsafe(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    if long {
        out.push('…');
    }
    Cow::Owned(out)
}

/// A line for a terminal: [`text`] without the length limit (our own lines may be long; only
/// what is in them must be safe). Used as the last step before stdout.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A URL for a log line, with any `user:password@` replaced by `***@`.
pub fn url_for_log(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                // Setting these fails only for URLs that cannot have credentials at all.
                let _ = u.set_username("***");
                let _ = u.set_password(None);
            }
            text(u.as_str()).into_owned()
        }
        // Not a URL: nothing to find credentials in reliably; show only its length.
        Err(_) => format!("<unparsable URL, {} bytes>", url.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_what_an_identifier_may_contain() {
        assert_eq!(token("SUPER_BUSY"), "SUPER_BUSY");
        assert_eq!(token("\u{1b}]0;pwned\u{7}"), "??0?pwned?");
        assert_eq!(token("a\nb"), "a?b");
        let long = "X".repeat(100);
        assert_eq!(token(&long).chars().count(), MAX_TOKEN + 1);
    }

    #[test]
    fn text_escapes_every_terminal_control() {
        let hostile = "ok\u{1b}[2J\u{1b}]0;title\u{7}\r\n\u{9b}31m\u{202e}txt\u{7f}";
        let safe = text(hostile);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert!(safe.starts_with("ok\\u{1b}[2J"), "{safe}");
        assert_eq!(text("plain"), Cow::Borrowed("plain"));
        assert!(text(&"y".repeat(10_000)).chars().count() <= MAX_TEXT + 1);
        assert!(!line(hostile).chars().any(is_unsafe));
    }

    #[test]
    fn credentials_never_reach_a_log() {
        let shown = url_for_log("https://alice:s3cret@api.example.invalid/v1");
        assert!(
            !shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("api.example.invalid/v1"), "{shown}");
        assert_eq!(
            url_for_log("http://127.0.0.1:1/v1/spot/status"),
            "http://127.0.0.1:1/v1/spot/status"
        );
    }
}
