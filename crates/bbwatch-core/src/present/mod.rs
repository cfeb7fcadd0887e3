//! Presentation: what a person meets: rendering, the alert policy, the settings form. Imports
//! every layer below it, never the runtime.

pub mod alert;
pub mod descriptors;
pub mod relay;
pub mod render;
pub mod settings_form;
