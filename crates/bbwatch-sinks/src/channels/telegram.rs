//! Telegram: `sendMessage` through the user's bot
//! (<https://core.telegram.org/bots/api#sendmessage>). The bot token is in the request's path,
//! as Telegram wants: no URL of it is ever logged, nor a request error's URL.

use bbwatch_core::config::Channel;
use bbwatch_core::present::relay::{Message, Priority};

use super::ChannelError;
use crate::http::{json, send_once, Failure};

/// The JSON body of `sendMessage`: plain text (no parse mode, so nothing in it is markup).
pub fn body(chat_id: &str, message: &Message) -> serde_json::Value {
    serde_json::json!({
        "chat_id": chat_id,
        "text": message.text(),
        // Ends and summaries arrive without a sound; what stops bitbank rings.
        "disable_notification": message.priority == Priority::Default,
    })
}

/// One try.
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    token: Option<&str>,
    message: &Message,
) -> Result<(), ChannelError> {
    let unsendable = |why: &str| ChannelError::Http(Failure::Unsendable(why.into()));
    let token = token.ok_or_else(|| unsendable("no bot token"))?;
    let chat = channel
        .to
        .0
        .first()
        .ok_or_else(|| unsendable("no chat id"))?;
    let base = channel.api_base().unwrap_or_default().trim_end_matches('/');
    let url = reqwest::Url::parse(&format!("{base}/bot{token}/sendMessage"))
        .map_err(|_| unsendable("the bot token cannot be part of a URL"))?;
    send_once(json(http.post(url), &body(chat, message)))
        .await
        .map(drop)
        .map_err(ChannelError::Http)
}
