//! Other exchanges on the desktop, as a person meets them: the real `bbwatch-desktop` under
//! Xvfb with its own D-Bus session watches bitbank and one more exchange, all played by
//! fake-bitbank. For GMO Coin, bitFlyer and Coincheck in turn, a maintenance of that exchange
//! (bitbank normal throughout) turns the tray icon red and back to green, the tooltip and menu
//! have a line for it, and the popups name it. With no exchange added, the tray says what it
//! always said.
// Linux only: the tray app's desktop (Xvfb, a D-Bus session, StatusNotifierItem).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use bbwatch_e2e::desktop::app::{self as desktop_app, app_binary};
use bbwatch_e2e::desktop::display::Desktop;
use bbwatch_e2e::desktop::panel::{icon_colour, quit, start_on_panel, tooltip, WAIT};
use bbwatch_e2e::desktop::sni::Item;
use bbwatch_e2e::desktop::{eventually, scratch_dir, HAND_DRIVEN};
use fake_bitbank::{FakeBitbank, Options, Scenario};

/// Normal, then `incident` (the phase's TOML for the exchange) until the test moves on, then
/// normal again: switched by hand, so no step depends on timing.
fn hand_driven(incident: &str) -> String {
    format!(
        r#"
description = "another exchange: normal, maintenance, normal; switched by hand"
[[phases]]
name = "normal"
duration = "24h"
[[phases]]
name = "maintenance"
duration = "24h"
{incident}
[[phases]]
name = "recovered"
"#
    )
}

/// The menu's disabled lines before its first entry that does something: the status lines.
async fn status_lines(item: &Item) -> Vec<String> {
    let menu = item.menu().await.unwrap_or_default();
    menu.iter()
        .take_while(|e| !e.enabled && !e.label.is_empty())
        .map(|e| e.label.clone())
        .collect()
}

/// The tray watching bitbank and the exchange `table` configures (at the simulator's `url`):
/// green with a line for each; red with the exchange's name on its maintenance, told in a
/// popup; green again, told too.
async fn a_maintenance_of(
    key: &str,
    name: &str,
    incident: &str,
    url: impl Fn(&FakeBitbank) -> String,
    extra: &str,
) -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir(&format!("exchange-{key}"));
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(
        Scenario::from_toml(&hand_driven(incident))?,
        Options::default(),
    )
    .await?;
    let config = format!(
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n\n[exchanges.{key}]\nurl = \"{}\"\n{extra}",
        url(&sim)
    );
    let (env, _) = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;

    // Both answer normal: green, a tooltip line and a menu line each, bitbank first.
    eventually(
        WAIT,
        &format!("the tooltip to have {name}'s line"),
        || async {
            let tip = tooltip(&item).await;
            let lines: Vec<&str> = tip.lines().collect();
            (lines.len() == 2
                && lines[0].starts_with("bitbank: Normal")
                && lines[1].starts_with(&format!("{name}: Normal")))
            .then_some(())
        },
    )
    .await?;
    assert_eq!(icon_colour(&item).await, Some("green"));
    let lines = status_lines(&item).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("bitbank: Normal"), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!("{name}: Normal")),
        "{lines:?}"
    );

    // The exchange goes into maintenance: the icon turns red, the title names it.
    sim.next_phase();
    eventually(WAIT, "the icon to turn red", || async {
        (icon_colour(&item).await == Some("red")).then_some(())
    })
    .await?;
    eventually(WAIT, "the title to name the exchange", || async {
        let title: String = item.property("Title").await.ok()?;
        (title == format!("{name}: Maintenance")).then_some(())
    })
    .await?;
    let tip = tooltip(&item).await;
    assert!(tip.starts_with("bitbank: Normal"), "{tip}");
    assert!(
        tip.lines()
            .any(|l| l.starts_with(&format!("{name}: Maintenance since "))),
        "{tip}"
    );
    eventually(WAIT, "the menu line to say Maintenance", || async {
        let lines = status_lines(&item).await;
        lines
            .get(1)
            .is_some_and(|l| l.starts_with(&format!("{name}: Maintenance")))
            .then_some(())
    })
    .await?;
    let started = notifications
        .first_with(&format!("{name}: maintenance started"), WAIT)
        .await?;
    assert_eq!(started.summary, format!("{name}: maintenance started"));
    // bitbank's announcements say nothing of another exchange's maintenance.
    assert!(
        !started.actions.iter().any(|a| a == "announcements"),
        "{:?}",
        started.actions
    );

    // Over: green again, told by name.
    sim.next_phase();
    eventually(WAIT, "the icon to turn green again", || async {
        (icon_colour(&item).await == Some("green")).then_some(())
    })
    .await?;
    let ended = notifications
        .first_with(&format!("{name}: maintenance ended"), WAIT)
        .await?;
    assert_eq!(ended.summary, format!("{name}: maintenance ended"));
    // No popup said bitbank was in maintenance.
    assert!(
        notifications.shown_with("bitbank: maintenance").is_empty(),
        "{:#?}",
        notifications.shown()
    );
    quit(&item, &mut app, &dir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gmo_coin_maintenance_turns_the_tray_red_and_is_told_by_name() -> Result<()> {
    a_maintenance_of(
        "gmocoin",
        "GMO Coin",
        r#"gmocoin = { status = "MAINTENANCE" }"#,
        FakeBitbank::gmocoin_url,
        "",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bitflyer_maintenance_turns_the_tray_red_and_is_told_by_name() -> Result<()> {
    a_maintenance_of(
        "bitflyer",
        "bitFlyer",
        r#"bitflyer = { health = "STOP", state = "CLOSED" }"#,
        FakeBitbank::bitflyer_url,
        "products = [\"BTC_JPY\", \"FX_BTC_JPY\"]\n",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coincheck_maintenance_turns_the_tray_red_and_is_told_by_name() -> Result<()> {
    a_maintenance_of(
        "coincheck",
        "Coincheck",
        r#"coincheck = { status = "stop" }"#,
        FakeBitbank::coincheck_url,
        "",
    )
    .await
}

/// No exchange added (and one added but switched off): the tray is bitbank's alone, as it
/// always was — one tooltip line, one status line in the menu, the popups and title saying
/// "bitbank".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_exchange_added_the_tray_is_bitbanks_as_before() -> Result<()> {
    let bin = app_binary();
    let dir = scratch_dir("exchange-none");
    let desktop = Desktop::start(&dir)?;
    let sim = FakeBitbank::start(Scenario::from_toml(HAND_DRIVEN)?, Options::default()).await?;
    let config = format!(
        "interval = \"1s\"\nlanguage = \"en\"\npairs = [\"btc_jpy\"]\n\n[exchanges.gmocoin]\nenabled = false\nurl = \"{}\"\n",
        sim.gmocoin_url()
    );
    let (env, _) = desktop_app::app_env(&desktop, &dir, &sim, "C.UTF-8", &config);
    let (mut app, item, notifications, _panel) = start_on_panel(&desktop, &bin, &env, &dir).await?;
    eventually(WAIT, "the tooltip to say Normal", || async {
        tooltip(&item).await.contains("Normal").then_some(())
    })
    .await?;
    let tip = tooltip(&item).await;
    assert!(
        tip.starts_with("bitbank: Normal since ") && tip.ends_with(" (when bbwatch started)"),
        "{tip}"
    );
    assert_eq!(tip.lines().count(), 1, "{tip}");
    assert_eq!(item.property::<String>("Title").await?, "bitbank: Normal");
    let menu = item.menu().await?;
    assert!(menu[0].label.starts_with("bitbank: Normal"), "{menu:#?}");
    assert!(!menu[0].enabled);
    assert_eq!(
        menu[1].label, "",
        "a separator right under the one status line"
    );
    assert!(menu[2].label.contains("Open"), "{menu:#?}");
    // The simulator's GMO Coin is never asked.
    assert_eq!(sim.stats().requests.gmocoin, 0);

    sim.next_phase();
    let started = notifications
        .first_with("maintenance started", WAIT)
        .await?;
    assert_eq!(started.summary, "bitbank: maintenance started");
    assert!(started.actions.iter().any(|a| a == "announcements"));
    eventually(WAIT, "the icon to turn red", || async {
        (icon_colour(&item).await == Some("red")).then_some(())
    })
    .await?;
    assert_eq!(
        item.property::<String>("Title").await?,
        "bitbank: Maintenance"
    );
    assert_eq!(tooltip(&item).await.lines().count(), 1);
    sim.next_phase();
    let ended = notifications.first_with("maintenance ended", WAIT).await?;
    assert_eq!(ended.summary, "bitbank: maintenance ended");
    assert!(
        notifications.shown_with("GMO").is_empty(),
        "{:#?}",
        notifications.shown()
    );
    quit(&item, &mut app, &dir).await?;
    Ok(())
}
