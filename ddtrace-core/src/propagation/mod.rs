//! Distributed context propagation: reading a [`SpanContext`](crate::SpanContext) from incoming
//! headers and writing one into outgoing headers, exactly as the Datadog Python tracer does.
//!
//! Styles (one module each): `datadog` (`x-datadog-*`), `tracecontext` (W3C `traceparent` and
//! `tracestate`), `b3multi` and `b3` (Zipkin), `baggage` (W3C). They are chosen with
//! `DD_TRACE_PROPAGATION_STYLE`, `DD_TRACE_PROPAGATION_STYLE_EXTRACT` and
//! `DD_TRACE_PROPAGATION_STYLE_INJECT` (default `datadog,tracecontext,baggage`); see
//! [`Propagator::from_config`].
//!
//! Any carrier works through the [`Injector`] / [`Extractor`] pair, implemented here for
//! [`http::HeaderMap`] and `HashMap<String, String>`.
//!
//! # Adding a style
//!
//! The compiler points at most of these steps once the variant exists:
//!
//! 1. A variant of [`PropagationStyle`] (`config/propagation_style.rs`), with its name in
//!    `as_str`, `FromStr` and the [`UnknownStyle`] message.
//! 2. A module here, `<style>.rs`, with `extract(carrier) -> Option<SpanContext>` and
//!    `inject(ctx, carrier)`, using the tag names of [`crate::keys`].
//! 3. In `propagator.rs`: its arm in `extract_style` and in `inject_inner` (both matches are
//!    exhaustive), and its place in `INJECT_ORDER` (a test checks every style is there).
//! 4. Its header names in [`HEADER_NAMES`] (`carrier.rs`), so `http::HeaderMap` carriers
//!    reuse them.
//! 5. If it is on by default, `default_styles` in `config/mod.rs` and the default of
//!    [`PropagatorBuilder`]; the README's configuration table; maybe a fuzz target
//!    (`fuzz/fuzz_targets/propagation_extract.rs`) and cross-tracer vectors.
//!
//! ```
//! use ddtrace_core::propagation::Propagator;
//! use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
//!
//! let config = Config::builder_without_env().service("shop").build();
//! let propagator = Propagator::from_config(&config);
//! let tracer = Tracer::builder().config(config).exporter(InMemoryExporter::new()).build();
//!
//! // Server side: continue the caller's trace.
//! let mut incoming = http::HeaderMap::new();
//! incoming.insert("x-datadog-trace-id", "123".parse().unwrap());
//! incoming.insert("x-datadog-parent-id", "456".parse().unwrap());
//! incoming.insert("x-datadog-sampling-priority", "1".parse().unwrap());
//! let span = tracer
//!     .trace("http.request")
//!     .child_of_opt(propagator.extract(&incoming))
//!     .start();
//! assert_eq!(span.trace_id().0, 123);
//!
//! // Client side: pass the trace on.
//! let mut outgoing = http::HeaderMap::new();
//! propagator.inject(&span, &mut outgoing);
//! assert_eq!(outgoing["x-datadog-trace-id"], "123");
//! assert_eq!(outgoing["x-datadog-parent-id"], span.span_id().0.to_string().as_str());
//! ```

mod b3;
mod baggage;
mod carrier;
mod datadog;
mod parse;
mod propagator;
mod tracecontext;

pub use crate::config::{ExtractBehavior, PropagationStyle, UnknownBehavior, UnknownStyle};
pub use carrier::{Extractor, HEADER_NAMES, Injector};
pub use propagator::{Propagator, PropagatorBuilder};
