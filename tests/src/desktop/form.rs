//! The settings form as a person fills it in, through WebDriver: typing into a field, clicking,
//! and waiting for what the window then shows.

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::eventually;
use super::webdriver::{Driver, Session};

/// Generous: the machines are shared and noisy.
const WAIT: Duration = Duration::from_secs(30);

/// Run `script` in the window.
pub async fn js(session: &Session, driver: &Driver, script: &str) -> Result<Value> {
    session.run(driver, script).await
}

/// Type `value` into the field `id`, as a person does (an `input` event follows).
pub async fn type_into(session: &Session, driver: &Driver, id: &str, value: &str) -> Result<()> {
    let script = format!(
        "const i = document.getElementById({id}); i.focus(); i.value = {value}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}})); return null;",
        id = json!(id),
        value = json!(value),
    );
    js(session, driver, &script).await?;
    Ok(())
}

pub async fn click(session: &Session, driver: &Driver, css: &str) -> Result<()> {
    let script = format!(
        "document.querySelector({}).click(); return null;",
        json!(css)
    );
    js(session, driver, &script).await?;
    Ok(())
}

/// The error shown under the field `field` ("" when none).
pub async fn field_error(session: &Session, driver: &Driver, field: &str) -> String {
    session
        .text(driver, &format!("#e-{field}"))
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

pub async fn save_disabled(session: &Session, driver: &Driver) -> Result<bool> {
    let v = js(
        session,
        driver,
        "return document.getElementById('settings-save').disabled;",
    )
    .await?;
    Ok(v == json!(true))
}

/// Wait for `field`'s error to go and Save to be enabled.
pub async fn wait_valid(session: &Session, driver: &Driver, field: &str) -> Result<()> {
    eventually(
        WAIT,
        &format!("{field}'s error to go and Save to be enabled"),
        || async {
            let clear = field_error(session, driver, field).await.is_empty();
            (clear && !save_disabled(session, driver).await.ok()?).then_some(())
        },
    )
    .await
}

/// Wait for the field `id` to hold `value` (the window has read the file).
pub async fn wait_value(session: &Session, driver: &Driver, id: &str, value: &str) -> Result<()> {
    let script = format!("return document.getElementById({}).value;", json!(id));
    eventually(WAIT, &format!("#{id} to say {value:?}"), || async {
        (js(session, driver, &script).await.ok()? == json!(value)).then_some(())
    })
    .await
}
