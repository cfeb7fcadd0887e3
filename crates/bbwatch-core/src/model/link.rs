//! Whether a source's live updates are in use.

/// Whether live updates from the stream are in use, as the status window and `/v1/status`
/// tell it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// The stream is turned off: everything is polled over REST.
    #[default]
    Off,
    /// On, but not connected (yet, or again): everything is polled over REST meanwhile.
    Connecting,
    /// Connected: circuit breaks arrive as they happen.
    Connected,
}
