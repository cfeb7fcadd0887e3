//! The engine: detection, pacing, silence, delivery, and the monitor that drives them. Imports the
//! model and the adapters.

pub mod asset_changes;
pub mod delivery;
pub mod detect;
pub mod monitor;
pub mod pace;
pub mod sink;
