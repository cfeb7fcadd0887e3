//! bbwatch's one runtime. `bbwatch watch`, `bbwatch serve` and the tray app start the same
//! things from the settings in force — the monitor, the history (recorded, pruned, its snapshot
//! kept), the hooks, the webhooks, the notifier and the local API — and run the one ordered
//! pipeline (bitbank's and every other exchange the settings add): each event is recorded, then shown (the binary's own part: the CLI's printer, the
//! tray's window), then sent to every sink. The binaries only choose options.
//!
//! ```text
//! monitor ─► record (history) ─► show (binary) ─► hooks ─► webhooks ─► local API ─► notifier
//! ```

pub mod exchanges;
mod pipeline;
mod runtime;

pub use pipeline::Pipeline;
pub use runtime::{Api, Options, Runtime, RuntimeError};
