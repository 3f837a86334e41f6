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
mod style;
mod tracecontext;

pub use carrier::{Extractor, HEADER_NAMES, Injector};
pub use propagator::{Propagator, PropagatorBuilder};
pub use style::{ExtractBehavior, PropagationStyle, UnknownStyle};
