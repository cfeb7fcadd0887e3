//! bbwatch-core: everything below the tray. It polls bitbank, classifies what it sees, detects
//! transitions, and publishes the current [`Snapshot`] and a stream of [`Event`]s for every sink
//! (CLI, tray, notifications, history, hooks, local API) to subscribe to.
//!
//! The crate is in layers; each imports only from those below it (`make test` checks that no
//! module imports one that imports it back):
//!
//! | layer | what it holds |
//! |---|---|
//! | [`runtime`] | the settings in force, followed by the monitor |
//! | [`present`] | rendering, the alert policy, the settings form |
//! | [`config`] | the configuration file, typed and validated once |
//! | [`engine`] | detection, pacing, silence, delivery, the monitor |
//! | [`bitbank`] | bitbank's wire format, client, stream, credentials |
//! | [`model`] | levels, pair states, reasons, events, readings, assets |
//! | [`i18n`] | the catalogue of messages in English and Japanese (a leaf) |
//!
//! Data flows one way: the client (I/O) → [`bitbank::observation::Observation`] →
//! [`bitbank::classify`] (pure) → [`model::reading::Reading`] → [`engine::detect`] (pure, time
//! passed in) → [`Snapshot`] + [`Event`]s.

pub mod bitbank;
pub mod config;
pub mod engine;
pub mod exchanges;
pub mod i18n;
pub mod model;
pub mod present;
pub mod runtime;
pub mod transport;

pub use engine::detect::{Detector, Resume, Resumed, Snapshot, Thresholds};
pub use engine::monitor::{Monitor, MonitorConfig, MonitorHandle};
pub use i18n::Lang;
pub use model::event::{Event, EventKind};
pub use model::exchange::Exchange;
pub use model::level::{Level, PairState};
pub use model::unlisted::Unlisted;
