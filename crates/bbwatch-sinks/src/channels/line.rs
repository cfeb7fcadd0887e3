//! LINE: a push message through the Messaging API
//! (<https://developers.line.biz/en/reference/messaging-api/#send-push-message>), with the
//! channel access token as `Authorization: Bearer` and an `X-Line-Retry-Key`, so a message
//! tried again after a lost answer arrives once.

use bbwatch_core::config::Channel;
use bbwatch_core::present::relay::Message;

use super::ChannelError;
use crate::http::{json, send_once, Failure};

/// The longest text message LINE takes (characters).
pub const MAX_TEXT: usize = 5000;

/// The JSON body of a push of `message` to `to`.
pub fn body(to: &str, message: &Message) -> serde_json::Value {
    let text: String = message.text().chars().take(MAX_TEXT).collect();
    serde_json::json!({
        "to": to,
        "messages": [{ "type": "text", "text": text }],
    })
}

/// One try; `retry_key` is the same on every try of one message.
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    token: Option<&str>,
    message: &Message,
    retry_key: &str,
) -> Result<(), ChannelError> {
    let unsendable = |why: &str| ChannelError::Http(Failure::Unsendable(why.into()));
    let token = token.ok_or_else(|| unsendable("no channel access token"))?;
    let to = channel
        .to
        .0
        .first()
        .ok_or_else(|| unsendable("no user id"))?;
    let base = channel.api_base().unwrap_or_default().trim_end_matches('/');
    let url = reqwest::Url::parse(&format!("{base}/v2/bot/message/push"))
        .map_err(|_| unsendable("the API URL is not one"))?;
    let request = http
        .post(url)
        .bearer_auth(token)
        .header("X-Line-Retry-Key", retry_key);
    let request = json(request, &body(to, message));
    match send_once(request).await {
        Ok(_) => Ok(()),
        // 409: a try before this one was delivered after all.
        Err(Failure::Status { status: 409, .. }) => Ok(()),
        Err(e) => Err(ChannelError::Http(e)),
    }
}
