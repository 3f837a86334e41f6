//! The core of ddtrace: spans, the active span, the tracer, sampling, propagation and
//! configuration, with the Datadog Python tracer's semantics.
//!
//! Applications normally use the `ddtrace` crate, which re-exports this one and wires it to the
//! agent writer. This crate knows nothing about transports: finished traces leave through the
//! [`Exporter`](export::Exporter) trait.
//!
//! # A span's path through the modules
//!
//! Each step calls only the ones below it:
//!
//! ```text
//!  tracer.trace("x")  Tracer (tracer.rs) ─────────────► SpanBuilder (span/builder.rs)
//!  .start()           span/start.rs: start under the active span, a parent, a remote
//!                     context, or as a new trace
//!                       │ active.rs        the thread's stack of current spans
//!                       │ share.rs         who owns the trace's record (OpenShare, Entry)
//!                       │ trace.rs         the record: open the span in a slot, fill it in place
//!                       │ rules/span_start env, DD_TAGS, runtime-id ...
//!                       ▼
//!  span.set_tag(k, v) SpanRef (span_ref.rs) ─► rules/special_keys ─► SpanData (span_data.rs)
//!                       ▼
//!  drop(span)         Span (span/mod.rs) ─► active.rs (pop) ─► share.rs (OpenSpan::finish)
//!                       ─► trace.rs finish_span ─► rules/span_finish (_dd.top_level ...)
//!                       ▼  last open span, or enough for a partial flush
//!  chunk              trace.rs emit ─► sampling/ (decide, _dd.p.dm) ─► rules/chunk
//!                       (language, _dd.p.*, _sampling_priority_v1) ─► export::Exporter
//! ```
//!
//! Every tag the tracer adds by itself is indexed by moment in [`rules`], with its name in
//! [`keys`].
//!
//! # Example
//!
//! ```
//! use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
//!
//! let exporter = InMemoryExporter::new();
//! let tracer = Tracer::builder()
//!     .config(Config::builder_without_env().service("shop").env("prod").build())
//!     .exporter(exporter.clone())
//!     .build();
//!
//! {
//!     let span = tracer.trace("checkout.process").resource("POST /checkout").start();
//!     span.set_tag("user.id", "123"); // strings go to meta
//!     span.set_tag("cart.items", 3); // numbers go to metrics
//!     let child = tracer.trace("db.lookup").start(); // the active span is its parent
//!     child.set_tag("db.system", "postgresql");
//! } // spans finish when dropped
//!
//! let spans = exporter.spans();
//! assert_eq!(spans[0].name, "checkout.process");
//! assert_eq!(spans[0].meta("user.id"), Some("123"));
//! assert_eq!(spans[0].metric("cart.items"), Some(3.0));
//! assert_eq!(spans[1].parent_id, spans[0].span_id);
//! ```
//!
//! # Where things live
//! - [`Span`], [`SpanRef`], [`SpanBuilder`]: starting, tagging and finishing spans;
//! - [`Instrument`]: keeping a span active for one future across `.await`s;
//! - [`Tracer`], [`tracer()`]: creating spans, the global tracer;
//! - [`Config`]: the `DD_*` configuration;
//! - [`sampling`]: priorities, the sampler, the agent's rates;
//! - [`export`]: the interface finished traces leave through.

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod active;
pub mod clock;
pub mod config;
pub mod context;
pub mod diag;
pub mod export;
pub mod id;
mod instrument;
pub mod integration;
pub mod keys;
#[doc(hidden)]
pub mod macro_support;
pub mod process;
pub mod propagation;
mod rate_limited_log;
// The one `unsafe` pattern of `Vec::push` in place: see its invariants.
#[allow(unsafe_code)]
mod raw;
pub mod rules;
pub mod sampling;
// The reference counting of a trace's record: see its invariants.
#[allow(unsafe_code)]
mod share;
mod span;
pub mod span_data;
mod span_handle;
mod span_ref;
// A packed string: see its invariants.
#[allow(unsafe_code)]
mod str;
pub mod tag;
mod trace;
mod tracer;
mod tracer_shared;

pub use active::active_span;
pub use config::{ApiVersion, Config, ConfigBuilder, ConfigWarning};
pub use context::SpanContext;
pub use id::{SpanId, TraceId};
pub use instrument::{Instrument, Instrumented, spawn_thread};
#[cfg(feature = "tokio")]
pub use instrument::{spawn, spawn_blocking};
pub use rate_limited_log::RateLimitedLog;
pub use span::{Span, SpanBuilder, SpanRef};
pub use span_data::{Meta, Metrics, SpanData, SpanEvent, SpanLink};
pub use str::Str;
pub use tag::{IntoTagValue, TagValue};
pub use tracer::{Tracer, TracerBuilder, global_tracer, set_global_tracer, tracer};
