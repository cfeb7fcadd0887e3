//! bbwatch's end-to-end suites and benchmarks: they run the real binaries against
//! fake-bitbank on 127.0.0.1. The CLI's scenario tests live beside the binary
//! (`crates/bbwatch-cli/tests`), where Cargo hands them its path; this crate holds what spans
//! several binaries: the desktop harness (a private X server and D-Bus session, a
//! StatusNotifierWatcher, a notification server, a WebDriver client) and the benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod desktop;
pub mod history_sample;
pub mod peers;
pub mod wine;
