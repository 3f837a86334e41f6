//! Datadog APM tracing for Rust (facade; being assembled).
#![deny(missing_docs)]
pub use ddtrace_core::*;
pub use ddtrace_macros::*;
