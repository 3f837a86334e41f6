//! `tracing` for ddtrace: a `tracing-subscriber` [`Layer`](tracing_subscriber::Layer) that turns
//! `tracing` spans into Datadog spans, and Datadog log correlation for the fmt layer and the
//! `log` crate.
//!
//! hyper, h2, tonic, sqlx, reqwest and tower-http already describe their work with `tracing`,
//! and so does code using `#[tracing::instrument]`. With [`DatadogLayer`] that work reaches
//! Datadog as spans of the same traces that ddtrace's own API, `#[traced]` and the ddtrace
//! integrations make.
//!
//! ```
//! use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
//! use ddtrace_tracing::{CorrelatedFormat, DatadogLayer};
//! use tracing_subscriber::{fmt, prelude::*};
//!
//! let exporter = InMemoryExporter::new();
//! let tracer = Tracer::builder()
//!     .config(Config::builder_without_env().service("shop").build())
//!     .exporter(exporter.clone())
//!     .build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(DatadogLayer::new(tracer.clone()))
//!     // JSON log lines carrying dd.trace_id, dd.span_id, dd.service, dd.env, dd.version.
//!     .with(fmt::layer().json().event_format(CorrelatedFormat::with_tracer(
//!         fmt::format().json(),
//!         tracer.clone(),
//!     )));
//!
//! #[tracing::instrument(fields(otel.kind = "server", http.method = "POST", http.route = "/checkout"))]
//! fn checkout(user_id: u64) {
//!     tracing::info!(items = 3, "cart reserved"); // a span event
//!     let _lookup = tracing::info_span!("db.query", span.type = "sql", rows = 3).entered();
//! }
//!
//! tracing::subscriber::with_default(subscriber, || checkout(7));
//!
//! let spans = exporter.spans();
//! let (server, query) = (&spans[0], &spans[1]);
//! assert_eq!(server.name, "checkout");
//! assert_eq!(server.resource, "POST /checkout"); // from the http.* fields
//! assert_eq!(server.span_type, "web");
//! assert_eq!(server.metric("user_id"), Some(7.0)); // numbers go to metrics
//! assert_eq!(server.events[0].name, "cart reserved");
//! assert_eq!(query.parent_id, server.span_id);
//! assert_eq!(query.span_type, "sql");
//! ```
//!
//! With the global tracer of `ddtrace::init()`, use [`DatadogLayer::global()`] and
//! [`CorrelatedFormat::new`].
//!
//! # Parents
//!
//! A `tracing` span's Datadog parent follows `tracing`'s span tree and joins ddtrace's active
//! span: spans with an explicit `parent:` follow it (`parent: None` starts a trace); the others
//! are children of the innermost active span, whether a `tracing` span (the layer makes each
//! entered `tracing` span the active ddtrace span) or a ddtrace span (`#[traced]`,
//! `Tracer::trace(..).start()`, an integration's span). So `#[traced]` code calling
//! `#[instrument]` code, and the other way round, yields one trace. Futures keep their
//! parents across `.await`s and `tokio::spawn` when instrumented with `tracing`'s
//! `.instrument(span)` / `.in_current_span()` or ddtrace's `Instrument`.
//!
//! A Datadog span finishes when its `tracing` span closes, that is when its last handle is
//! dropped. Install the subscriber as the global default (`.init()`): `tracing`'s registry
//! releases a closing span's parent through the default subscriber of the thread it closes
//! on, so with a thread-scoped default (`set_default`), a child closed on another thread
//! keeps its parent, and the whole Datadog trace, open.
//!
//! # Fields
//!
//! Fields become tags with the typing rules of [`SpanRef::set_tag`](ddtrace_core::SpanRef::set_tag):
//! strings, `%display` and `?debug` values go to `meta`; integers and floats to `metrics`
//! (an unsigned value above `i64::MAX` as its decimal string; NaN and infinities are dropped);
//! booleans to `meta` as `"True"`/`"False"`. Fields recorded later with `Span::record` are
//! applied the same way. These names set the span itself, as users of tracing-opentelemetry
//! and of Datadog's OpenTelemetry support expect:
//!
//! | field | effect |
//! | --- | --- |
//! | `service`, `service.name` | the span's service |
//! | `resource`, `resource.name` | the span's resource (default: the span's name) |
//! | `otel.name` | the resource too: Datadog shows an OpenTelemetry span name as the resource and keeps the operation name low-cardinality |
//! | `operation.name` | the operation name (default: the `tracing` span's name) |
//! | `span.type` | the span type (`web`, `http`, `sql`, `custom`, ...) |
//! | `otel.kind`, `span.kind` | the `span.kind` tag, lowercased (`server`, `client`, ...) |
//! | `otel.status_code` | `ERROR` marks the span as failed, `OK` as not failed |
//! | `otel.status_description`, `otel.status_message` | `error.message` |
//! | `error` | `true` marks the span as failed; a string or `%error` also sets `error.message`; a `&dyn Error` also sets `error.stack` to its sources |
//! | `http.method` / `http.request.method`, `http.route` | tags `http.method`, `http.route`; unless given, the resource becomes `METHOD route` and the type `web` (server kind) or `http` (client kind) |
//! | `http.status_code` / `http.response.status_code` | tag `http.status_code` (a string); unless the error was given, a server span with a status in `DD_TRACE_HTTP_SERVER_ERROR_STATUSES` (a client span: `..._CLIENT_...`) is failed |
//! | `url.full` | tag `http.url` |
//!
//! # Events
//!
//! A `tracing` event inside a span (by the rules of [Parents](#parents)) becomes a span event
//! named after its message, with its fields, `level` and `target` as attributes; an `error`
//! field becomes `exception.message` (and its sources `exception.stacktrace`), as in the Python
//! tracer's `record_exception`. An `ERROR` event also marks its span as failed, with
//! `error.message` (the `error` field, else the message) and `error.stack` (the error's
//! sources): `#[instrument(err)]` fails its span this way. At most
//! [`MAX_EVENTS_PER_SPAN`] events are kept per span. The tracer's own diagnostics (targets
//! `ddtrace*`, forwarded from `log`) are never recorded on application spans.
//!
//! # Which spans become Datadog spans
//!
//! [`DatadogLayer::with_span_filter`] and [`DatadogLayer::with_event_filter`] choose by target
//! and level with [`Targets`](tracing_subscriber::filter::Targets), the syntax of `RUST_LOG`
//! directives without span or field filters. The default ([`default_filter`]) keeps INFO and
//! above from every target: `#[instrument]` and `info_span!` spans are the application's
//! view of its work, while libraries (hyper, h2, tower, tokio) describe their internals at
//! DEBUG and TRACE, dozens of spans per request that would bury the application's and cost a
//! Datadog span each. Add a library's DEBUG spans by target (`tower_http=debug`).
//!
//! The filter only decides what Datadog receives: other layers (the fmt layer) still see
//! every span, and a span left out does not break parenting: its children, and code running
//! inside it, join its nearest recorded ancestor (or the ddtrace span that was active when it
//! was created). Do not put the layer behind a per-layer filter (`.with_filter(..)`): spans
//! such a filter hides are unknown to the layer, and so are the parents they stand for.
//!
//! # Log correlation
//!
//! [`CorrelatedFormat`] wraps the fmt layer's event format so that text and JSON lines carry
//! `dd.trace_id`, `dd.span_id`, `dd.service`, `dd.env` and `dd.version` when
//! `DD_LOGS_INJECTION` is on (the default). [`LogContext`] reads the same values from the
//! active span for the `log` crate or a custom formatter. Trace ids are logged as the Python
//! tracer logs them: the low 64 bits in decimal, or with
//! `DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED=true` a 128-bit id as 32 hex digits.
//!
//! Records of the `log` crate that `tracing-log` forwards to `tracing` are formatted by the fmt
//! layer like any event. A logger of the `log` crate's own reads the ids itself:
//!
//! ```
//! use ddtrace_tracing::LogContext;
//!
//! struct Logger;
//!
//! impl log::Log for Logger {
//!     fn enabled(&self, _: &log::Metadata<'_>) -> bool {
//!         true
//!     }
//!
//!     fn log(&self, record: &log::Record<'_>) {
//!         // `... message [dd.service=shop dd.env=prod dd.version=1.0 dd.trace_id=.. dd.span_id=..]`
//!         eprintln!("{} {} [{}]", record.level(), record.args(), LogContext::current());
//!     }
//!
//!     fn flush(&self) {}
//! }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod correlation;
mod events;
mod fields;
mod filter;
mod fmt;
mod layer;

pub use correlation::LogContext;
pub use filter::default_filter;
pub use fmt::CorrelatedFormat;
pub use layer::{DatadogLayer, MAX_EVENTS_PER_SPAN};

/// A layer that records spans with the global tracer: [`DatadogLayer::global()`].
pub fn layer() -> DatadogLayer {
    DatadogLayer::global()
}
