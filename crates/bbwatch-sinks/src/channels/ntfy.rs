//! ntfy: a message published to a topic, as JSON to the server's root
//! (<https://docs.ntfy.sh/publish/#publish-as-json>), so titles in Japanese need no header
//! encoding. The topic's URL is the channel's `url`; an access token, when set, goes as
//! `Authorization: Bearer`.

use bbwatch_core::config::{channel::ntfy_topic, Channel};
use bbwatch_core::present::relay::{Message, Priority};
use bbwatch_core::Level;

use super::ChannelError;
use crate::http::{json, send_once, Failure};

/// ntfy's priority: 5 is "urgent" (a long vibration, through Do Not Disturb where allowed).
pub fn priority(p: Priority) -> u8 {
    match p {
        Priority::Urgent => 5,
        Priority::High => 4,
        Priority::Default => 3,
    }
}

/// Tags shown as emoji before the title: the level's, and `bitbank`.
pub fn tags(level: Level) -> [&'static str; 2] {
    let emoji = match level {
        Level::Maintenance => "construction",
        Level::Down => "rotating_light",
        Level::Unreachable => "electric_plug",
        Level::Degraded => "warning",
        Level::Normal => "white_check_mark",
        Level::Unknown => "grey_question",
    };
    [emoji, "bitbank"]
}

/// The JSON body publishing `message` to `topic`.
pub fn body(topic: &str, message: &Message) -> serde_json::Value {
    serde_json::json!({
        "topic": topic,
        "title": message.title,
        "message": message.body,
        "priority": priority(message.priority),
        "tags": tags(message.level),
    })
}

/// One try.
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    token: Option<&str>,
    message: &Message,
) -> Result<(), ChannelError> {
    let (root, topic) = channel
        .url
        .as_ref()
        .and_then(|url| {
            let topic = ntfy_topic(url)?;
            let mut root = url.url().clone();
            root.path_segments_mut().ok()?.pop();
            Some((root, topic))
        })
        .ok_or_else(|| {
            ChannelError::Http(Failure::Unsendable(
                "the channel names no ntfy topic".into(),
            ))
        })?;
    let mut request = json(http.post(root), &body(topic, message));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send_once(request)
        .await
        .map(drop)
        .map_err(ChannelError::Http)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn maintenance_starting_is_urgent_with_its_words() {
        let m = Message {
            title: "bitbank: メンテナンス開始".into(),
            body: "取引が停止しています".into(),
            priority: Priority::Urgent,
            level: Level::Maintenance,
        };
        let b = body("alerts", &m);
        assert_eq!(b["topic"], "alerts");
        assert_eq!(b["title"], "bitbank: メンテナンス開始");
        assert_eq!(b["priority"], 5);
        assert_eq!(b["tags"][0], "construction");
    }
}
