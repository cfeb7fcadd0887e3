//! What follows the monitor's events, shared by every binary (the tray app and `bbwatch
//! watch`): a sink is written once and means the same everywhere.

pub mod channels;
pub mod hooks;
pub mod http;
pub mod notifier;
pub mod popup;
pub mod queue;
pub mod sound;
pub mod webhooks;

pub use hooks::Hooks;
pub use notifier::{Fallback, Notifier, NotifierOptions};
pub use webhooks::Webhooks;
