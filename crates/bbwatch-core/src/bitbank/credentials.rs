//! A bitbank API key and its secret, and how private requests are signed.
//!
//! The secret never leaves this module in clear except into the HMAC: its `Debug` and
//! `Display` print `***`, it is not `Serialize`, and a request carries only the signature.

use std::fmt;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a signed request stays valid at bitbank (`ACCESS-TIME-WINDOW`, milliseconds).
/// bitbank recommends a small value below its default of 5000.
pub const TIME_WINDOW_MS: u64 = 5000;
/// The environment variables the CLI reads the key from.
pub const ENV_KEY: &str = "BBWATCH_API_KEY";
/// See [`ENV_KEY`].
pub const ENV_SECRET: &str = "BBWATCH_API_SECRET";
/// Longest key or secret accepted (bitbank's are 36 and 64 characters).
const MAX_LEN: usize = 256;

/// The API secret. Shown as `***` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret, for signing and for the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A validated key and secret pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    key: String,
    secret: Secret,
}

/// Why credentials were refused before any request was made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialsError {
    /// The key is empty.
    #[error("the API key is empty")]
    EmptyKey,
    /// The secret is empty.
    #[error("the API secret is empty")]
    EmptySecret,
    /// Not printable ASCII without spaces, or too long: not a bitbank key.
    #[error("the API {0} has characters a bitbank key never has (or is too long)")]
    Malformed(&'static str),
    /// Only one of the two environment variables is set.
    #[error("{ENV_KEY} and {ENV_SECRET} must be set together")]
    HalfEnv,
    /// The secret file could not be read.
    #[error("cannot read the secret file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The secret file is readable by others.
    #[error(
        "the secret file {path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
    )]
    OpenMode {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The secret file is not `key = "…"` and `secret = "…"`.
    #[error(
        "the secret file {path} must hold two lines, key = \"…\" and secret = \"…\": {reason}"
    )]
    BadFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

fn check(value: &str, what: &'static str) -> Result<String, CredentialsError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(if what == "key" {
            CredentialsError::EmptyKey
        } else {
            CredentialsError::EmptySecret
        });
    }
    if value.len() > MAX_LEN || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CredentialsError::Malformed(what));
    }
    Ok(value.to_owned())
}

impl Credentials {
    /// A key and secret as pasted (surrounding whitespace removed).
    pub fn new(key: &str, secret: &str) -> Result<Credentials, CredentialsError> {
        Ok(Credentials {
            key: check(key, "key")?,
            secret: Secret(check(secret, "secret")?),
        })
    }

    /// The public key (`ACCESS-KEY`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// From [`ENV_KEY`] and [`ENV_SECRET`], `None` when neither is set.
    pub fn from_env() -> Result<Option<Credentials>, CredentialsError> {
        Credentials::from_vars(
            std::env::var(ENV_KEY).ok().as_deref(),
            std::env::var(ENV_SECRET).ok().as_deref(),
        )
    }

    fn from_vars(
        key: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Option<Credentials>, CredentialsError> {
        match (key, secret) {
            (None, None) => Ok(None),
            (Some(k), Some(s)) => Credentials::new(k, s).map(Some),
            _ => Err(CredentialsError::HalfEnv),
        }
    }

    /// From a file holding `key = "…"` and `secret = "…"` (TOML), refused unless only its
    /// owner can read it.
    pub fn from_file(path: &Path) -> Result<Credentials, CredentialsError> {
        let shown = path.display().to_string();
        let unreadable = |e: std::io::Error| CredentialsError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .map_err(unreadable)?
                .permissions()
                .mode()
                & 0o777;
            if mode & 0o077 != 0 {
                return Err(CredentialsError::OpenMode { path: shown, mode });
            }
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        let bad = |reason: String| CredentialsError::BadFile {
            path: shown.clone(),
            reason,
        };
        // The parser's error would quote the line, secret included: give only its position.
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(format!("not TOML (at {:?})", e.span())))?;
        let field = |name: &str| -> Result<String, CredentialsError> {
            match table.get(name) {
                Some(toml::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(bad(format!("`{name}` is not a string"))),
                None => Err(bad(format!("`{name}` is missing"))),
            }
        };
        if let Some(other) = table.keys().find(|k| *k != "key" && *k != "secret") {
            return Err(bad(format!("unknown key `{other}`")));
        }
        Credentials::new(&field("key")?, &field("secret")?)
    }

    /// The headers of a signed `GET` of `path_and_query` (which includes `/v1`), made at
    /// `now_ms` (unix milliseconds), by bitbank's ACCESS-TIME-WINDOW method.
    pub fn sign_get(&self, path_and_query: &str, now_ms: u64) -> SignedHeaders {
        SignedHeaders {
            key: self.key.clone(),
            request_time: now_ms.to_string(),
            time_window: TIME_WINDOW_MS.to_string(),
            signature: signature(
                &self.secret,
                &format!("{now_ms}{TIME_WINDOW_MS}{path_and_query}"),
            ),
        }
    }
}

/// The four headers of a signed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `ACCESS-KEY`
    pub key: String,
    /// `ACCESS-REQUEST-TIME`
    pub request_time: String,
    /// `ACCESS-TIME-WINDOW`
    pub time_window: String,
    /// `ACCESS-SIGNATURE`
    pub signature: String,
}

/// Hex HMAC-SHA256 of `message` keyed with the secret.
pub fn signature(secret: &Secret, message: &str) -> String {
    // HMAC accepts keys of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()) else {
        return String::new();
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_bitbanks_documented_samples() {
        let secret = Secret("hoge".into());
        // rest-api.md, "ACCESS-TIME-WINDOW", GET /v1/user/assets.
        assert_eq!(
            signature(&secret, "17211217764901000/v1/user/assets"),
            "9ec5745960d05573c8fb047cdd9191bd0c6ede26f07700bb40ecf1a3920abae8"
        );
        // rest-api.md, "ACCESS-NONCE", GET /v1/user/assets.
        assert_eq!(
            signature(&secret, "1721121776490/v1/user/assets"),
            "f957817b95c3af6cf5e2e9dfe1503ea8088f46879d4ab73051467fd7b94f1aba"
        );
        // rest-api.md, "ACCESS-TIME-WINDOW", POST.
        let body =
            r#"{"pair": "xrp_jpy", "price": "20", "amount": "1","side": "buy", "type": "limit"}"#;
        assert_eq!(
            signature(&secret, &format!("17211217764901000{body}")),
            "7868665738ae3f8a796224e0413c1351ddd7ec2af121db12815c0a5b74b8764c"
        );
    }

    #[test]
    fn sign_get_puts_time_and_window_before_the_path() {
        let c = Credentials::new("k", "hoge").unwrap();
        let h = c.sign_get("/v1/user/assets", 1_721_121_776_490);
        assert_eq!(h.key, "k");
        assert_eq!(h.request_time, "1721121776490");
        assert_eq!(h.time_window, "5000");
        assert_eq!(
            h.signature,
            signature(&Secret("hoge".into()), "17211217764905000/v1/user/assets")
        );
    }

    #[test]
    fn the_secret_is_never_printed() {
        let c = Credentials::new(" key ", " s3cr3t-value\n").unwrap();
        assert_eq!(c.key(), "key");
        assert_eq!(c.secret().expose(), "s3cr3t-value");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        assert_eq!(Credentials::new("", "s"), Err(CredentialsError::EmptyKey));
        assert_eq!(
            Credentials::new("k", " "),
            Err(CredentialsError::EmptySecret)
        );
        assert_eq!(
            Credentials::new("k y", "s"),
            Err(CredentialsError::Malformed("key"))
        );
        assert_eq!(
            Credentials::from_vars(Some("k"), None),
            Err(CredentialsError::HalfEnv)
        );
        assert_eq!(Credentials::from_vars(None, None), Ok(None));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("bbwatch-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.toml");
        std::fs::write(&path, "key = \"abc\"\nsecret = \"very-secret\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Credentials::from_file(&path).unwrap_err();
        assert!(matches!(
            err,
            CredentialsError::OpenMode { mode: 0o644, .. }
        ));
        assert!(err.to_string().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = Credentials::from_file(&path).unwrap();
        assert_eq!(c.key(), "abc");
        std::fs::write(&path, "key = \"abc\"\nsecret = very-secret\n").unwrap();
        let err = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(!err.contains("very-secret"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
