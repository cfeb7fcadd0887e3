//! bitbank's numeric error codes, with the documented English and Japanese texts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A bitbank error code as found in `{"success":0,"data":{"code":N}}`.
///
/// Any number is accepted: the upstream list has been renumbered more than once, so an
/// unknown code is ordinary input and simply has no [`CodeInfo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u32);

/// What the documentation says about one code.
#[derive(Clone, Debug, Deserialize)]
pub struct CodeInfo {
    /// Upstream category, e.g. `SYSTEM_ERROR`.
    pub category: String,
    /// The English message, verbatim from the docs.
    pub message_en: String,
    /// The Japanese message, verbatim from the docs.
    pub message_ja: String,
}

#[derive(Deserialize)]
struct Table {
    codes: BTreeMap<u32, CodeInfo>,
}

fn table() -> &'static BTreeMap<u32, CodeInfo> {
    static TABLE: OnceLock<BTreeMap<u32, CodeInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The file is embedded and checked by a unit test, so failure here is a build defect;
        // an empty table still leaves every code usable as a number.
        serde_json::from_str::<Table>(include_str!("../../data/error-codes.json"))
            .map(|t| t.codes)
            .unwrap_or_default()
    })
}

impl ErrorCode {
    /// 10000: URL not found.
    pub const URL_NOT_FOUND: ErrorCode = ErrorCode(10000);
    /// 10005: timeout waiting for response.
    pub const TIMEOUT: ErrorCode = ErrorCode(10005);
    /// 10007: system maintenance — the explicit maintenance signal.
    pub const SYSTEM_MAINTENANCE: ErrorCode = ErrorCode(10007);
    /// 10008: server is busy.
    pub const SERVER_BUSY: ErrorCode = ErrorCode(10008);
    /// 10009: requests too frequent (rate limited; our problem, not the exchange's).
    pub const TOO_MANY_REQUESTS: ErrorCode = ErrorCode(10009);
    /// 70004: trading suspended.
    pub const TRADING_SUSPENDED: ErrorCode = ErrorCode(70004);
    /// 70009: market orders restricted.
    pub const MARKET_ORDER_RESTRICTED: ErrorCode = ErrorCode(70009);
    /// 70010: minimum order quantity raised temporarily.
    pub const MIN_AMOUNT_RAISED: ErrorCode = ErrorCode(70010);
    /// 70011: system busy.
    pub const SYSTEM_BUSY: ErrorCode = ErrorCode(70011);
    /// 70013: orders and cancels restricted under load.
    pub const ORDER_AND_CANCEL_RESTRICTED: ErrorCode = ErrorCode(70013);
    /// 70017: orders on the pair suspended.
    pub const PAIR_ORDERS_SUSPENDED: ErrorCode = ErrorCode(70017);
    /// 70018: orders and cancels on the pair suspended.
    pub const PAIR_ORDER_AND_CANCEL_SUSPENDED: ErrorCode = ErrorCode(70018);
    /// 70020: market orders restricted (newer code).
    pub const MARKET_ORDER_RESTRICTED_2: ErrorCode = ErrorCode(70020);

    /// The documented texts, if this code is in the documented list.
    pub fn info(self) -> Option<&'static CodeInfo> {
        table().get(&self.0)
    }

    /// The documented message in `lang`, or `None` for an undocumented code.
    pub fn message(self, lang: Lang) -> Option<&'static str> {
        self.info().map(|i| match lang {
            Lang::Ja => i.message_ja.as_str(),
            Lang::En => i.message_en.as_str(),
        })
    }

    /// Every documented code, ascending.
    pub fn documented() -> impl Iterator<Item = ErrorCode> {
        table().keys().map(|&c| ErrorCode(c))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_has_every_documented_code() {
        assert_eq!(ErrorCode::documented().count(), 180);
        for code in ErrorCode::documented() {
            let info = code.info().unwrap();
            assert!(
                !info.message_en.trim().is_empty(),
                "{code} has no English text"
            );
            assert!(
                !info.message_ja.trim().is_empty(),
                "{code} has no Japanese text"
            );
        }
    }

    #[test]
    fn named_codes_are_documented() {
        for code in [
            ErrorCode::URL_NOT_FOUND,
            ErrorCode::TIMEOUT,
            ErrorCode::SYSTEM_MAINTENANCE,
            ErrorCode::SERVER_BUSY,
            ErrorCode::TOO_MANY_REQUESTS,
            ErrorCode::TRADING_SUSPENDED,
            ErrorCode::MARKET_ORDER_RESTRICTED,
            ErrorCode::MIN_AMOUNT_RAISED,
            ErrorCode::SYSTEM_BUSY,
            ErrorCode::ORDER_AND_CANCEL_RESTRICTED,
            ErrorCode::PAIR_ORDERS_SUSPENDED,
            ErrorCode::PAIR_ORDER_AND_CANCEL_SUSPENDED,
            ErrorCode::MARKET_ORDER_RESTRICTED_2,
        ] {
            assert!(code.info().is_some(), "{code} missing from the table");
        }
        assert_eq!(
            ErrorCode::SYSTEM_MAINTENANCE.message(Lang::En),
            Some("System maintenance.")
        );
        assert!(ErrorCode::SYSTEM_MAINTENANCE
            .message(Lang::Ja)
            .unwrap()
            .contains("メンテナンス"));
    }

    #[test]
    fn an_unknown_code_is_just_a_number() {
        let code = ErrorCode(99_999);
        assert!(code.info().is_none());
        assert_eq!(code.message(Lang::Ja), None);
        assert_eq!(code.to_string(), "99999");
    }
}
