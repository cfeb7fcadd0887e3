//! The bearer token: what `[api]` configures, compared in constant time.

use std::sync::Arc;

use bbwatch_core::config::LocalApi;

use crate::error::ApiError;

/// A bearer token. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token; `None` for an empty (or blank) one.
    pub fn new(token: &str) -> Option<Token> {
        let token = token.trim();
        (!token.is_empty()).then(|| Token(token.into()))
    }

    /// The token `[api]` sets (`token`, or `token_file`'s contents), if any.
    pub fn from_config(api: &LocalApi) -> Result<Option<Token>, ApiError> {
        Ok(api.resolve_token()?.as_deref().and_then(Token::new))
    }

    /// Whether `presented` is this token, in time that does not depend on where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

/// Compares every byte whatever the first difference (only the length shows).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        let t = Token::new(" s3cret ").unwrap();
        assert!(t.matches("s3cret"));
        assert!(!t.matches("s3cre"));
        assert!(!t.matches("s3cres"));
        assert!(!t.matches(""));
        assert!(Token::new("  ").is_none());
        assert_eq!(format!("{t:?}"), "Token(…)");
    }
}
