//! bitbank's adapter: its wire format, client, stream, credentials and what its answers mean.
//! Imports only the model and the catalogue.

pub mod api;
pub mod assets;
pub mod classify;
pub mod client;
pub mod credentials;
pub mod metrics;
pub mod observation;
pub mod silence;
pub mod source;
pub mod stream;
