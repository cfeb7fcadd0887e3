//! The settings window's Exchanges section as a person uses it, through WebDriver on the real
//! `bbwatch-desktop` under Xvfb, against fake-bitbank: bitFlyer chosen with products typed (a
//! wrong code shown beside its field, in the user's language, and blocking Save), saved as its
//! `[exchanges.bitflyer]` table keeping the file's URL; the status view then shows bitFlyer's
//! card; unchosen, the table stays with `enabled = false` and the card goes.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::Result;
use bbwatch_core::config::Config;
use bbwatch_e2e::desktop::app::{app_binary, app_env, start_tray};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::form::{
    click, field_error, js, save_disabled, type_into, wait_valid, wait_value,
};
use bbwatch_e2e::desktop::notifications::NotificationServer;
use bbwatch_e2e::desktop::webdriver::Driver;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitflyer_is_chosen_in_the_settings_and_shown_in_the_status_window() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("settings-exchanges");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    // bitFlyer's table is there, switched off, with the simulator's URL: choosing it in the
    // form must keep that URL (no test reaches beyond this machine).
    let original = format!(
        "interval = \"1s\"\nlanguage = \"en\"\nstream = false\npairs = [\"btc_jpy\"]\n\n\
         [exchanges.bitflyer]\nenabled = false\nurl = \"{}\"\n",
        sim.bitflyer_url()
    );
    let (env, file) = app_env(&desktop, &dir, &sim, "C.UTF-8", &original);
    let (_notifications, _notify_conn) = NotificationServer::start(&desktop.bus_address).await?;
    let mut tray = start_tray(&bin, &env, &dir)?;
    let driver = Driver::start(&env).await?;
    let session = driver
        .session(
            &bin.display().to_string(),
            &["--window", "--section=settings"],
        )
        .await?;
    wait_value(&session, &driver, "f-interval", "1s").await?;

    // The section as the file says it: nothing chosen, bitFlyer's products in their
    // (disabled) field.
    let shown = js(
        &session,
        &driver,
        "const $ = (id) => document.getElementById(id); \
         return [$('sec-exchanges').textContent, $('f-gmocoin').checked, $('f-bitflyer').checked, \
                 $('f-coincheck').checked, $('f-bitflyer_products').value, \
                 $('f-bitflyer_products').disabled, $('f-coincheck_pairs').disabled];",
    )
    .await?;
    assert_eq!(
        shown,
        json!([
            "Exchanges",
            false,
            false,
            false,
            "BTC_JPY, ETH_JPY, FX_BTC_JPY",
            true,
            true
        ])
    );

    // Chosen, with a wrong product code: said beside the field; Save stays off.
    click(&session, &driver, "#f-bitflyer").await?;
    type_into(&session, &driver, "f-bitflyer_products", "BTC-JPY").await?;
    let error = eventually(WAIT, "the products' error", || async {
        Some(field_error(&session, &driver, "bitflyer_products").await).filter(|e| !e.is_empty())
    })
    .await?;
    assert_eq!(error, "\"BTC-JPY\" is not a product code like BTC_JPY");
    assert!(save_disabled(&session, &driver).await?);
    assert_eq!(std::fs::read_to_string(&file)?, original);

    type_into(
        &session,
        &driver,
        "f-bitflyer_products",
        "btc_jpy, FX_BTC_JPY",
    )
    .await?;
    wait_valid(&session, &driver, "bitflyer_products").await?;
    click(&session, &driver, "#settings-save").await?;
    let written = eventually(WAIT, "the file to be written", || async {
        let text = std::fs::read_to_string(&file).ok()?;
        (text != original).then_some(text)
    })
    .await?;
    let config = Config::load(&file)?.config;
    let bitflyer = config.exchanges.bitflyer.clone().expect("the table");
    assert!(bitflyer.enabled, "{written}");
    assert_eq!(bitflyer.url.to_string(), sim.bitflyer_url(), "{written}");
    let products: Vec<&str> = bitflyer.products.iter().map(|p| p.as_str()).collect();
    assert_eq!(products, ["BTC_JPY", "FX_BTC_JPY"]);
    assert_eq!(config.exchanges.gmocoin, None, "{written}");
    assert_eq!(config.exchanges.coincheck, None, "{written}");

    // The status view has bitFlyer's card, under bitbank's, once its monitor answers.
    click(&session, &driver, "#back").await?;
    let card = eventually(WAIT, "bitFlyer's card", || async {
        let v = js(
            &session,
            &driver,
            "const li = document.querySelector('#exchanges li.exchange[data-exchange=\"bitflyer\"]'); \
             return li && !document.getElementById('exchanges-panel').hidden \
               ? [li.querySelector('.exchange-name').textContent, li.querySelector('.exchange-level').textContent, \
                  li.querySelector('.exchange-fold')?.textContent ?? ''] : null;",
        )
        .await
        .ok()?;
        (!v.is_null()).then_some(v)
    })
    .await?;
    assert_eq!(card[0], "bitFlyer");
    assert_eq!(card[1], "Normal");
    assert_eq!(card[2], "all 2 pairs normal", "{card}");
    assert!(sim.stats().requests.bitflyer > 0);

    // Unchosen: the table stays, switched off, its products kept; the card goes.
    click(&session, &driver, "#open-settings").await?;
    wait_value(
        &session,
        &driver,
        "f-bitflyer_products",
        "BTC_JPY, FX_BTC_JPY",
    )
    .await?;
    click(&session, &driver, "#f-bitflyer").await?;
    eventually(WAIT, "Save to be enabled", || async {
        (!save_disabled(&session, &driver).await.ok()?).then_some(())
    })
    .await?;
    click(&session, &driver, "#settings-save").await?;
    eventually(WAIT, "bitFlyer to be switched off in the file", || async {
        let config = Config::load(&file).ok()?.config;
        let b = config.exchanges.bitflyer?;
        (!b.enabled && b.products.len() == 2).then_some(())
    })
    .await?;
    click(&session, &driver, "#back").await?;
    eventually(WAIT, "the card to go", || async {
        let hidden = js(
            &session,
            &driver,
            "return document.getElementById('exchanges-panel').hidden;",
        )
        .await
        .ok()?;
        (hidden == json!(true)).then_some(())
    })
    .await?;

    drop(session);
    drop(driver);
    let _ = tray.kill();
    let _ = tray.wait();
    Ok(())
}
