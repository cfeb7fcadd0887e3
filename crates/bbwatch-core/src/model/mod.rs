//! The model: what bbwatch knows about an exchange, whatever told it: levels and pair states,
//! reasons, events, readings, assets. Imports nothing above it.

pub mod asset;
pub mod code;
pub mod event;
pub mod exchange;
pub mod fetch;
pub mod level;
pub mod link;
pub mod pair;
pub mod reading;
pub mod reason;
pub mod sanitize;
pub mod source;
pub mod unlisted;
pub mod url;
pub mod words;
