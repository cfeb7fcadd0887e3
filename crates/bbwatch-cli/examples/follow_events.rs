//! Pause a bot during bitbank maintenance, following bbwatch's local API (Server-Sent Events)
//! with reqwest and eventsource-stream.
//!
//! `BBWATCH_URL` (default `http://127.0.0.1:8765`) is where `bbwatch serve` (or the tray app
//! with the local API on) listens; `BBWATCH_TOKEN` is its token, when it has one. After a
//! broken connection it reconnects with `Last-Event-ID` and gets the events it missed.

use std::time::Duration;

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() {
    let base = std::env::var("BBWATCH_URL").unwrap_or_else(|_| "http://127.0.0.1:8765".into());
    let token = std::env::var("BBWATCH_TOKEN").ok();
    let client = reqwest::Client::new();
    let mut last_id = None;
    loop {
        if let Err(e) = follow(&client, &base, token.as_deref(), &mut last_id).await {
            // bbwatch restarting, or the network: try again.
            eprintln!("bbwatch: {e}; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Follow the stream from the event after `last_id`, acting on each event.
async fn follow(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    last_id: &mut Option<String>,
) -> Result<(), Error> {
    let mut request = client
        .get(format!("{base}/v1/events"))
        .header("Accept", "text/event-stream");
    if let Some(id) = last_id.as_deref() {
        request = request.header("Last-Event-ID", id);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut events = request
        .send()
        .await?
        .error_for_status()?
        .bytes_stream()
        .eventsource();
    while let Some(event) = events.next().await {
        let event = event?;
        *last_id = Some(event.id);
        // The SSE event name is the event's kind; its data is the event JSON.
        match event.event.as_str() {
            "maintenance_started" | "down_started" | "unreachable_started" => my_bot("pause")?,
            "maintenance_ended" | "down_ended" | "unreachable_ended" => my_bot("resume")?,
            _ => {}
        }
    }
    Ok(())
}

/// Your bot's own command: `my-bot pause` or `my-bot resume`.
fn my_bot(what: &str) -> Result<(), Error> {
    let status = std::process::Command::new("my-bot").arg(what).status()?;
    if !status.success() {
        return Err(format!("my-bot {what}: {status}").into());
    }
    Ok(())
}
