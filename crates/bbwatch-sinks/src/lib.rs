//! What follows the monitor's events, shared by every binary (the tray app and `bbwatch
//! watch`): a sink is written once and means the same everywhere.

pub mod notifier;

pub use notifier::{Notifier, NotifierOptions};
