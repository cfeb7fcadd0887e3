//! bbwatch's local HTTP API, for bots and dashboards on the same machine (or, with a bearer
//! token, the same network). Every binary serves it the same way:
//!
//! - `GET /v1/status`: bitbank's current [`Snapshot`](bbwatch_core::Snapshot) and the exit
//!   code `bbwatch status` would give, with every watched exchange's snapshot under
//!   `exchanges` when others than bitbank are watched; `?exchange=NAME` gives that exchange's
//!   (404 when it is not watched);
//! - `GET /v1/events`: Server-Sent Events, one per event, each with its history id;
//!   resumable with `Last-Event-ID`; a comment every [`DEFAULT_HEARTBEAT`] keeps proxies
//!   from closing it; `?exchange=a,b` for those exchanges' events only;
//! - `GET /v1/history`: periods (or events), with `bbwatch history`'s filters, `exchange`
//!   among them;
//! - `GET /v1/ccxt/status`: the state as ccxt's `fetch_status` answers (`ok`, `maintenance`,
//!   `shutdown`, `error`), for ccxt bots;
//! - `GET /metrics`: Prometheus text (the level, exit code and pair states labelled by
//!   exchange when others than bitbank are watched).
//!
//! The desktop app calls [`follow_settings`] (which starts and stops a [`Server`] as `[api]`
//! changes); `bbwatch serve` uses the parts ([`Token`],
//! [`bind`], [`ApiState`], [`Server::spawn`]) to report a bad address before it starts.

mod auth;
mod ccxt;
mod connections;
mod error;
mod feed;
pub mod follow;
mod host;
mod json_error;
mod metrics_text;
mod origin;
mod params;
mod reading;
mod refusals;
mod routes;
mod server;
mod sink;
mod sse;
mod state;
mod streams;
mod token;

pub use connections::{Limits, DEFAULT_HEAD_TIMEOUT};
pub use error::ApiError;
pub use follow::{follow_settings, Followed};
pub use server::{bind, serve, ApiState, Server, DEFAULT_HEARTBEAT};
pub use sink::ApiSink;
pub use token::Token;
