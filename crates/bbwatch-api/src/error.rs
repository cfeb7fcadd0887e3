//! Why the API cannot serve.

use std::net::SocketAddr;

use bbwatch_core::config::ConfigError;

/// Why the API cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `[api]` is not usable (bad address, no token for a public one, unreadable token
    /// file); the message names the key.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address cannot be listened on (in use, not ours, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the local API stopped: {0}")]
    Serve(std::io::Error),
}
