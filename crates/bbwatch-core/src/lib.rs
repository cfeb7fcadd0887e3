//! bbwatch-core: everything below the tray. It polls bitbank, classifies what it sees, detects
//! transitions, and publishes the current [`Snapshot`] and a stream of [`Event`]s for every sink
//! (CLI, tray, notifications, history, hooks, local API) to subscribe to.
//!
//! Data flows one way: [`client`] (I/O) → [`observation::Observation`] → [`classify`] (pure) →
//! [`classify::Reading`] → [`detect`] (pure, time passed in) → [`Snapshot`] + [`Event`]s.

pub mod alert;
pub mod api;
pub mod assets;
pub mod classify;
pub mod client;
pub mod code;
pub mod config;
pub mod config_file;
pub mod credentials;
pub mod delivery;
pub mod descriptors;
pub mod detect;
pub mod event;
pub mod i18n;
pub mod level;
pub mod metrics;
pub mod monitor;
pub mod observation;
pub mod pace;
pub mod reason;
pub mod render;
pub mod sanitize;
pub mod settings;
pub mod settings_form;
pub mod silence;
pub mod stream;
pub mod trust;

pub use detect::{Detector, Resume, Resumed, Snapshot, Thresholds, Unlisted};
pub use event::{Event, EventKind};
pub use i18n::Lang;
pub use level::{Level, PairState};
pub use monitor::{Monitor, MonitorConfig, MonitorHandle};
