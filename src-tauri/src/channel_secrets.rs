//! The settings window's channel requests, done in the tray process: "Send a test" of a
//! channel as the form has it, and its secret stored, moved or deleted in the keyring when the
//! settings are saved. The window never reads a stored secret; it is told which channels
//! have one.

use std::collections::BTreeSet;
use std::sync::Arc;

use bbwatch_core::i18n::Msg;
use bbwatch_sinks::channels::{EnvOrFile, SecretStore};

use crate::ipc::messages::{ChannelTest, SecretChange, ToWindow};
use crate::secrets::{self, keyring};
use crate::state::{lock, Shared};

/// "Send a test": through the channel as the form has it, with the secret typed, else the one
/// stored under its name in the file (else the command line's environment or file).
/// `(true, text)` when it was sent, `(false, why)` when not, in the user's language.
pub async fn test(shared: &Shared, test: ChannelTest) -> (bool, String) {
    let lang = shared.lang();
    let ChannelTest {
        channel,
        secret,
        stored_as,
    } = test;
    let secret = match secret.filter(|s| !s.trim().is_empty()) {
        Some(typed) => Some(typed.trim().to_owned()),
        None => {
            let name = stored_as.unwrap_or_else(|| channel.id().to_owned());
            let probe = channel.clone();
            let found = keyring(move || secrets::channel_secret(&name)).await;
            match found {
                Ok(Some(stored)) => Some(stored),
                // Without one in the keyring (or a keyring), a setup for the command line.
                Ok(None) | Err(_) => EnvOrFile.secret(&probe).ok().flatten(),
            }
        }
    };
    match bbwatch_sinks::channels::send_test(&channel, secret.as_deref(), lang).await {
        Ok(()) => (true, Msg::SetChannelTestSent.text(lang).to_owned()),
        Err(e) => {
            tracing::info!("test of the channel {} failed: {e}", channel.id());
            (
                false,
                Msg::SetChannelTestFailed.fill(lang, &[("error", &e.to_string())]),
            )
        }
    }
}

/// Store, delete or move a channel's secret; every window is told what is stored now.
pub async fn change(shared: &Shared, change: SecretChange) -> (bool, String) {
    let lang = shared.lang();
    let result = match change.clone() {
        SecretChange::Store { name, secret } => {
            keyring(move || secrets::store_channel_secret(&name, secret.trim())).await
        }
        SecretChange::Delete { name } => {
            keyring(move || secrets::delete_channel_secret(&name)).await
        }
        SecretChange::Rename { from, to } => {
            keyring(move || match secrets::channel_secret(&from)? {
                Some(secret) => {
                    secrets::store_channel_secret(&to, &secret)?;
                    secrets::delete_channel_secret(&from)
                }
                None => Ok(()),
            })
            .await
        }
    };
    match result {
        Ok(()) => {
            {
                let mut stored = lock(&shared.channel_secrets);
                match change {
                    SecretChange::Store { name, .. } => {
                        stored.insert(name);
                    }
                    SecretChange::Delete { name } => {
                        stored.remove(&name);
                    }
                    SecretChange::Rename { from, to } => {
                        if stored.remove(&from) {
                            stored.insert(to);
                        }
                    }
                }
            }
            let _ = shared.ui.send(ToWindow::Settings {
                settings: shared.settings_info(),
            });
            (true, String::new())
        }
        Err(e) => {
            tracing::warn!("{e}");
            (
                false,
                Msg::KeyringUnavailable.fill(lang, &[("error", e.detail())]),
            )
        }
    }
}

/// Look in the keyring for the secret of each channel in force, and tell the windows if
/// that changed (a window opening; the file read again).
pub async fn refresh(shared: Arc<Shared>) {
    let names: Vec<String> = shared
        .config()
        .channels
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    let found = keyring(move || {
        let mut stored = BTreeSet::new();
        for name in names {
            if secrets::channel_secret(&name)?.is_some() {
                stored.insert(name);
            }
        }
        Ok(stored)
    })
    .await;
    let Ok(found) = found else {
        // The keyring cannot say: what the window was last told stands.
        return;
    };
    let changed = {
        let mut stored = lock(&shared.channel_secrets);
        let changed = *stored != found;
        *stored = found;
        changed
    };
    if changed {
        let _ = shared.ui.send(ToWindow::Settings {
            settings: shared.settings_info(),
        });
    }
}
