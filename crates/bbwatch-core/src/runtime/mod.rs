//! The runtime: the settings in force and what follows them. The top layer.

pub mod settings;
