//! bitbank's private-API authentication: the ACCESS-TIME-WINDOW and ACCESS-NONCE methods,
//! checked for real (HMAC-SHA256 with the account's secret, compared in constant time).

use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::Request;

type HmacSha256 = Hmac<Sha256>;

/// `ACCESS-TIME-WINDOW` when the header is absent.
const DEFAULT_WINDOW_MS: i64 = 5000;
/// The largest `ACCESS-TIME-WINDOW` bitbank accepts.
const MAX_WINDOW_MS: i64 = 60_000;
/// How far ahead of the server's clock a request time may be.
const FUTURE_SLACK_MS: i64 = 1000;

/// Why a private request was refused, with bitbank's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// 20001: stale or future request time, window too large, nonce not increasing.
    #[error("Authentication failed api authorization")]
    Failed,
    /// 20002: an `ACCESS-KEY` header that cannot be a key (e.g. empty).
    #[error("Invalid ACCESS-KEY")]
    InvalidKey,
    /// 20003: no `ACCESS-KEY`, or a key the simulator does not know.
    #[error("ACCESS-KEY not found")]
    KeyNotFound,
    /// 20004: neither `ACCESS-NONCE` nor `ACCESS-REQUEST-TIME`.
    #[error("ACCESS-NONCE not found")]
    NonceNotFound,
    /// 20005: missing or wrong `ACCESS-SIGNATURE`.
    #[error("Invalid ACCESS-SIGNATURE")]
    InvalidSignature,
}

impl AuthError {
    /// bitbank's error code.
    pub(crate) fn code(self) -> i64 {
        match self {
            AuthError::Failed => 20001,
            AuthError::InvalidKey => 20002,
            AuthError::KeyNotFound => 20003,
            AuthError::NonceNotFound => 20004,
            AuthError::InvalidSignature => 20005,
        }
    }
}

/// Hex HMAC-SHA256 of `message` keyed with `secret` (what a client puts in ACCESS-SIGNATURE).
#[cfg(test)]
pub(crate) fn sign(secret: &str, message: &str) -> String {
    match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; unreachable.
        Err(_) => String::new(),
    }
}

/// Whether `signature_hex` is the HMAC of `message` under `secret`, compared in constant time.
pub(crate) fn verify(secret: &str, message: &str, signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(message.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// The simulator's one account: its key pair and the last nonce it accepted.
pub(crate) struct Account {
    key: String,
    secret: String,
    last_nonce: AtomicU64,
}

impl Account {
    pub(crate) fn new(key: String, secret: String) -> Account {
        Account {
            key,
            secret,
            last_nonce: AtomicU64::new(0),
        }
    }

    /// Whether the secret appears anywhere in the request (it never should: only signatures
    /// travel).
    pub(crate) fn leaked_in(&self, request: &Request) -> bool {
        request.contains(self.secret.as_bytes())
    }

    /// Checks a private GET request's headers as bitbank does, at server time `now_ms`.
    pub(crate) fn check(&self, request: &Request, now_ms: i64) -> Result<(), AuthError> {
        let key = request.header("ACCESS-KEY").ok_or(AuthError::KeyNotFound)?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::InvalidKey);
        }
        if key != self.key {
            return Err(AuthError::KeyNotFound);
        }
        let signature = request.header("ACCESS-SIGNATURE");
        // The time-window method wins when both are sent.
        if let Some(time) = request.header("ACCESS-REQUEST-TIME") {
            let window = request.header("ACCESS-TIME-WINDOW");
            let message = format!(
                "{time}{}{}",
                window.map_or_else(|| DEFAULT_WINDOW_MS.to_string(), str::to_string),
                request.target
            );
            let signature = signature.ok_or(AuthError::InvalidSignature)?;
            if !verify(&self.secret, &message, signature) {
                return Err(AuthError::InvalidSignature);
            }
            let time: i64 = time.parse().map_err(|_| AuthError::Failed)?;
            let window: i64 = match window {
                Some(w) => w.parse().map_err(|_| AuthError::Failed)?,
                None => DEFAULT_WINDOW_MS,
            };
            if !(1..=MAX_WINDOW_MS).contains(&window) {
                return Err(AuthError::Failed);
            }
            if time < now_ms + FUTURE_SLACK_MS && now_ms - time <= window {
                return Ok(());
            }
            return Err(AuthError::Failed);
        }
        let nonce = request
            .header("ACCESS-NONCE")
            .ok_or(AuthError::NonceNotFound)?;
        let signature = signature.ok_or(AuthError::InvalidSignature)?;
        // Signature before nonce: a forged request must not burn a nonce.
        if !verify(
            &self.secret,
            &format!("{nonce}{}", request.target),
            signature,
        ) {
            return Err(AuthError::InvalidSignature);
        }
        let nonce: u64 = nonce.parse().map_err(|_| AuthError::Failed)?;
        // fetch_max makes check-and-store one step, so two racing requests cannot share a nonce.
        if self.last_nonce.fetch_max(nonce, Ordering::SeqCst) < nonce {
            Ok(())
        } else {
            Err(AuthError::Failed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> Request {
        let mut raw = format!("GET {target} HTTP/1.1\r\n");
        for (n, v) in headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        Request {
            method: "GET".into(),
            path: target.split('?').next().unwrap_or("/").into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                .collect(),
            raw: raw.into_bytes(),
        }
    }

    #[test]
    fn known_vectors_from_bitbanks_docs() {
        let time_window = "9ec5745960d05573c8fb047cdd9191bd0c6ede26f07700bb40ecf1a3920abae8";
        let nonce = "f957817b95c3af6cf5e2e9dfe1503ea8088f46879d4ab73051467fd7b94f1aba";
        assert_eq!(
            sign("hoge", "17211217764901000/v1/user/assets"),
            time_window
        );
        assert!(verify(
            "hoge",
            "17211217764901000/v1/user/assets",
            time_window
        ));
        assert_eq!(sign("hoge", "1721121776490/v1/user/assets"), nonce);
        assert!(verify("hoge", "1721121776490/v1/user/assets", nonce));
        assert!(!verify("hog", "1721121776490/v1/user/assets", nonce));
        assert!(!verify("hoge", "1721121776491/v1/user/assets", nonce));
        assert!(!verify("hoge", "1721121776490/v1/user/assets", "zz"));
    }

    #[test]
    fn checks_both_methods_against_the_docs_vectors() {
        let account = Account::new("k".into(), "hoge".into());
        let t = 1_721_121_776_490;
        let sig = "9ec5745960d05573c8fb047cdd9191bd0c6ede26f07700bb40ecf1a3920abae8";
        let signed = request(
            "/v1/user/assets",
            &[
                ("ACCESS-KEY", "k"),
                ("ACCESS-REQUEST-TIME", "1721121776490"),
                ("ACCESS-TIME-WINDOW", "1000"),
                ("ACCESS-SIGNATURE", sig),
            ],
        );
        assert_eq!(account.check(&signed, t + 500), Ok(()));
        assert_eq!(account.check(&signed, t + 1000), Ok(()));
        assert_eq!(account.check(&signed, t + 1001), Err(AuthError::Failed));
        assert_eq!(account.check(&signed, t - 1000), Err(AuthError::Failed));
        assert_eq!(account.check(&signed, t - 999), Ok(()));

        let nonce_sig = "f957817b95c3af6cf5e2e9dfe1503ea8088f46879d4ab73051467fd7b94f1aba";
        let by_nonce = request(
            "/v1/user/assets",
            &[
                ("ACCESS-KEY", "k"),
                ("ACCESS-NONCE", "1721121776490"),
                ("ACCESS-SIGNATURE", nonce_sig),
            ],
        );
        assert_eq!(account.check(&by_nonce, 0), Ok(()));
        assert_eq!(account.check(&by_nonce, 0), Err(AuthError::Failed));
    }

    #[test]
    fn error_codes() {
        let account = Account::new("k".into(), "s".into());
        let check = |headers: &[(&str, &str)]| {
            account
                .check(&request("/v1/user/assets", headers), 0)
                .map_err(AuthError::code)
        };
        assert_eq!(check(&[]), Err(20003));
        assert_eq!(check(&[("ACCESS-KEY", "")]), Err(20002));
        assert_eq!(check(&[("ACCESS-KEY", "other")]), Err(20003));
        assert_eq!(check(&[("ACCESS-KEY", "k")]), Err(20004));
        assert_eq!(
            check(&[("ACCESS-KEY", "k"), ("ACCESS-NONCE", "1")]),
            Err(20005)
        );
        let wrong = sign("other", "1/v1/user/assets");
        assert_eq!(
            check(&[
                ("ACCESS-KEY", "k"),
                ("ACCESS-NONCE", "1"),
                ("ACCESS-SIGNATURE", &wrong)
            ]),
            Err(20005)
        );
        let sig = sign("s", "060001/v1/user/assets");
        let headers = [
            ("ACCESS-KEY", "k"),
            ("ACCESS-REQUEST-TIME", "0"),
            ("ACCESS-TIME-WINDOW", "60001"),
            ("ACCESS-SIGNATURE", sig.as_str()),
        ];
        assert_eq!(check(&headers), Err(20001));
        let sig = sign("s", "05000/v1/user/assets");
        let headers = [
            ("ACCESS-KEY", "k"),
            ("ACCESS-REQUEST-TIME", "0"),
            ("ACCESS-SIGNATURE", sig.as_str()),
        ];
        assert_eq!(
            check(&headers),
            Ok(()),
            "the default window is signed as 5000"
        );
    }
}
