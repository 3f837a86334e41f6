//! The core of ddtrace: spans, the active span, the tracer, sampling, propagation and
//! configuration, with the Datadog Python tracer's semantics.
//!
//! Applications normally use the `ddtrace` crate, which re-exports this one and wires it to the
//! agent writer. This crate knows nothing about transports: finished traces leave through the
//! [`Exporter`](export::Exporter) trait.
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
pub mod sampling;
mod span;
pub mod span_data;
mod special_tag;
// A packed string: see its docs. (`active`, `trace` and `span_data` allow unsafe code per block.)
#[allow(unsafe_code)]
mod str;
pub mod tag;
mod trace;
mod tracer;

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
pub use tracer::{Tracer, TracerBuilder, active_span, global_tracer, set_global_tracer, tracer};
