//! The settings window's key requests, done in the tray process: it alone holds the key and
//! talks to the keyring; the window only sends what was typed and shows the answer.

use std::sync::Arc;

use bbwatch_core::bitbank::client;
use bbwatch_core::bitbank::client::Client;
use bbwatch_core::bitbank::credentials::Credentials;
use bbwatch_core::i18n::Msg;
use bbwatch_core::present::render;
use bbwatch_core::Lang;

use crate::ipc::messages::{KeyPair, ToWindow};
use crate::secrets::{self, keyring, SecretsError};
use crate::state::{lock, Shared};

/// What a window asked for.
#[derive(Debug)]
pub enum Job {
    Test(KeyPair),
    Save(KeyPair),
    Remove,
}

/// The key stored at start, if any, and why the keyring could not be read. Called before the
/// monitor runs, from a blocking thread of the runtime.
pub async fn load_at_start() -> (Option<Credentials>, Option<SecretsError>) {
    match keyring(secrets::load).await {
        Ok(credentials) => (credentials, None),
        Err(e) => {
            tracing::warn!("{e}; running without the API key");
            (None, Some(e))
        }
    }
}

/// Do `job`: `(true, text)` when it went as asked, `(false, why)` when not, in the user's
/// language.
pub async fn run(shared: &Arc<Shared>, job: Job) -> (bool, String) {
    let lang = shared.lang();
    let parse = |pair: &KeyPair| {
        Credentials::new(&pair.key, &pair.secret)
            .map_err(|e| Msg::KeyInvalid.fill(lang, &[("error", &e.to_string())]))
    };
    match job {
        Job::Test(pair) => {
            let credentials = match parse(&pair) {
                Ok(c) => c,
                Err(why) => return (false, why),
            };
            let config = shared.config();
            let client = match Client::new(config.endpoints(), config.timeout.0) {
                Ok(c) => c,
                Err(e) => return (false, e.to_string()),
            };
            let check = client::check_key(&client, &credentials).await;
            let ok = matches!(check, client::KeyCheck::Accepted);
            (ok, render::key_check_text(&check, lang))
        }
        Job::Save(pair) => {
            let credentials = match parse(&pair) {
                Ok(c) => c,
                Err(why) => return (false, why),
            };
            let storing = credentials.clone();
            let stored = keyring(move || secrets::store(&storing)).await;
            settle(shared, lang, stored, Some(credentials), Msg::KeySaved)
        }
        Job::Remove => {
            let removed = keyring(secrets::delete).await;
            settle(shared, lang, removed, None, Msg::KeyRemoved)
        }
    }
}

/// After the keyring was written: the monitor gets the key (or loses it), every window is
/// told what is stored now.
fn settle(
    shared: &Shared,
    lang: Lang,
    result: Result<(), SecretsError>,
    credentials: Option<Credentials>,
    done: Msg,
) -> (bool, String) {
    let answer = match result {
        Ok(()) => {
            *lock(&shared.keyring_problem) = None;
            // The monitor polls at once with the new key (or without one).
            shared.credentials.send_replace(credentials);
            (true, done.text(lang).to_owned())
        }
        Err(e) => {
            tracing::warn!("{e}");
            let text = Msg::KeyringUnavailable.fill(lang, &[("error", e.detail())]);
            *lock(&shared.keyring_problem) = Some(e);
            (false, text)
        }
    };
    let _ = shared.ui.send(ToWindow::Settings {
        settings: shared.settings_info(),
    });
    answer
}
