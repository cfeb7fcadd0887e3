//! The bitbank API key and the channels' secrets in the system keyring (the Secret Service on
//! Linux), never in a file.
//!
//! The key: one entry, service `bbwatch`, user `bitbank-api-key`; its secret is a small JSON
//! object with the key and the secret. A channel's token or password: service `bbwatch`, user
//! `channel:<name>`, the secret as is. Every call blocks on D-Bus: make them on a blocking thread
//! of the runtime (`spawn_blocking`), never on the main thread (the keyring crate's tokio
//! backend deadlocks there).

use bbwatch_core::bitbank::credentials::Credentials;
use serde::{Deserialize, Serialize};

/// The keyring entry's service.
pub const SERVICE: &str = "bbwatch";
/// The keyring entry's user.
pub const USER: &str = "bitbank-api-key";
/// The item's label: what a keyring manager (Seahorse, KWallet) shows a person.
pub const LABEL: &str = "bbwatch: bitbank API key";

/// Why the keyring could not be used. The texts never hold the key or the secret.
#[derive(Clone, Debug, thiserror::Error, Serialize, Deserialize, PartialEq, Eq)]
pub enum SecretsError {
    /// No keyring service answers (none running, or it is locked and cannot be opened).
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
    /// The keyring answered with an error.
    #[error("the system keyring failed: {0}")]
    Failed(String),
    /// The stored item is not a key and a secret as bbwatch writes them.
    #[error("the key in the system keyring is not usable: {0}")]
    Corrupt(String),
}

impl SecretsError {
    /// What the keyring said, without our own words around it (for a message that has them).
    pub fn detail(&self) -> &str {
        match self {
            SecretsError::Unavailable(d) | SecretsError::Failed(d) | SecretsError::Corrupt(d) => d,
        }
    }
}

impl From<keyring::Error> for SecretsError {
    fn from(e: keyring::Error) -> Self {
        match e {
            keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
                SecretsError::Unavailable(e.to_string())
            }
            // The crate's other errors describe attributes and lengths, not the secret.
            other => SecretsError::Failed(other.to_string()),
        }
    }
}

/// Run a keyring call on a blocking thread of the runtime (never the main thread).
pub async fn keyring<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, SecretsError> + Send + 'static,
) -> Result<T, SecretsError> {
    tokio::task::spawn_blocking(call)
        .await
        .unwrap_or_else(|e| Err(SecretsError::Failed(e.to_string())))
}

/// The stored form.
#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    secret: String,
}

/// The entry: the keyring crate's attributes for `SERVICE` and `USER`, labelled in words.
fn entry() -> Result<keyring::Entry, SecretsError> {
    entry_for(USER, LABEL)
}

/// The entry of `user` under [`SERVICE`], labelled `label` where the keyring shows labels.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn entry_for(user: &str, label: &str) -> Result<keyring::Entry, SecretsError> {
    let mut credential =
        keyring::secret_service::SsCredential::new_with_target(None, SERVICE, user)?;
    credential.label = label.to_owned();
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn entry_for(user: &str, _label: &str) -> Result<keyring::Entry, SecretsError> {
    Ok(keyring::Entry::new(SERVICE, user)?)
}

/// The keyring entry of the channel named `name` (its [`bbwatch_core::config::Channel::id`]).
fn channel_entry(name: &str) -> Result<keyring::Entry, SecretsError> {
    entry_for(
        &format!("channel:{name}"),
        &format!("bbwatch: secret of the channel {name}"),
    )
}

/// The stored secret of the channel named `name`, if any.
pub fn channel_secret(name: &str) -> Result<Option<String>, SecretsError> {
    match channel_entry(name)?.get_password() {
        Ok(text) => Ok(Some(text)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The tray app's channel secrets: the keyring's, else the command line's (environment,
/// `secret_file`), so a setup made for `bbwatch serve` works in the tray app too.
pub struct Keyring;

impl bbwatch_sinks::channels::SecretStore for Keyring {
    fn secret(&self, channel: &bbwatch_core::config::Channel) -> Result<Option<String>, String> {
        use bbwatch_sinks::channels::EnvOrFile;
        match channel_secret(channel.id()) {
            Ok(Some(secret)) => Ok(Some(secret)),
            Ok(None) => EnvOrFile.secret(channel),
            // Without a keyring, the environment or a file may still have it; a channel that
            // can send without one (ntfy, e-mail without a login) still sends.
            Err(e) => match EnvOrFile.secret(channel) {
                Ok(None) if channel.needs_secret() => Err(e.to_string()),
                found => found,
            },
        }
    }
}

/// Store `secret` for the channel named `name`, replacing any stored before.
pub fn store_channel_secret(name: &str, secret: &str) -> Result<(), SecretsError> {
    channel_entry(name)?.set_password(secret)?;
    Ok(())
}

/// Delete the channel's stored secret; none stored is no error.
pub fn delete_channel_secret(name: &str) -> Result<(), SecretsError> {
    match channel_entry(name)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The stored key, if any.
pub fn load() -> Result<Option<Credentials>, SecretsError> {
    let text = match entry()?.get_password() {
        Ok(text) => text,
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // serde_json's error says where the text is wrong, never what it holds.
    let stored: Stored = serde_json::from_str(&text)
        .map_err(|_| SecretsError::Corrupt("not a key and a secret".into()))?;
    Credentials::new(&stored.key, &stored.secret)
        .map(Some)
        .map_err(|e| SecretsError::Corrupt(e.to_string()))
}

/// Store `credentials`, replacing any key stored before.
pub fn store(credentials: &Credentials) -> Result<(), SecretsError> {
    let stored = Stored {
        key: credentials.key().to_owned(),
        secret: credentials.secret().expose().to_owned(),
    };
    let text = serde_json::to_string(&stored).map_err(|e| SecretsError::Failed(e.to_string()))?;
    let entry = entry()?;
    entry.set_password(&text)?;
    // An item stored by an older bbwatch keeps its label when only its secret is replaced.
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    entry.update_attributes(&std::collections::HashMap::from([("label", LABEL)]))?;
    Ok(())
}

/// Delete the stored key; none stored is no error.
pub fn delete() -> Result<(), SecretsError> {
    match entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// How the settings window shows a stored key: its first characters, never the secret.
pub fn shown_key(credentials: &Credentials) -> String {
    let start: String = credentials.key().chars().take(4).collect();
    format!("{start}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_is_shown_by_its_start_only() {
        let c = Credentials::new("abcdefgh", "s3cr3t").unwrap();
        assert_eq!(shown_key(&c), "abcd…");
    }

    #[test]
    fn errors_say_nothing_of_the_secret() {
        let e: SecretsError = keyring::Error::NoStorageAccess("no bus".into()).into();
        assert!(matches!(e, SecretsError::Unavailable(_)));
    }
}
