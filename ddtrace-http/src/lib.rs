//! Client spans and distributed tracing for [reqwest](reqwest_middleware::reqwest), as a
//! [`reqwest_middleware::Middleware`].
//!
//! Add [`DdTraceMiddleware`] to a [`reqwest_middleware::ClientBuilder`]: every request then
//! gets a client span tagged as the Datadog Python tracer's `requests` integration tags it,
//! and carries the trace context to the service it calls, in the configured propagation
//! styles.
//!
//! ```
//! use ddtrace_core::{Config, Instrument, Tracer, export::InMemoryExporter};
//! use ddtrace_http::DdTraceMiddleware;
//! use reqwest_middleware::{ClientBuilder, reqwest};
//!
//! # async fn run() -> reqwest_middleware::Result<()> {
//! // Most programs use `DdTraceMiddleware::global()`, the tracer `ddtrace::init()` installs.
//! let exporter = InMemoryExporter::new();
//! let tracer = Tracer::builder()
//!     .config(Config::builder_without_env().service("shop").build())
//!     .exporter(exporter.clone())
//!     .build();
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(DdTraceMiddleware::new(tracer.clone()))
//!     .build();
//!
//! async {
//!     // A child of `checkout.process`; the server sees this trace's ids in its headers.
//!     let response = client.get("http://127.0.0.1:8080/stock?item=42").send().await?;
//!     println!("{}", response.status());
//!     Ok::<_, reqwest_middleware::Error>(())
//! }
//! .instrument(tracer.trace("checkout.process"))
//! .await?;
//!
//! let spans = exporter.spans();
//! let client_span = spans.iter().find(|s| s.name == "reqwest.request").expect("traced");
//! assert_eq!(client_span.resource, "GET /stock");
//! assert_eq!(client_span.meta("http.url"), Some("http://127.0.0.1:8080/stock?item=42"));
//! # Ok(())
//! # }
//! ```
//!
//! See [`DdTraceMiddleware`] for the tags, errors, retries and service naming.
//!
//! # Differences from the Python tracer's `requests` integration
//!
//! - Names follow the library traced: span `reqwest.request`, `component` and default
//!   service `reqwest` (Python: `requests.request`, `requests`). Under schema v1 both use
//!   `http.client.request` and `DD_SERVICE`; `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`
//!   makes the service `DD_SERVICE` under v0 too.
//! - `network.destination.port` is set on every span (the port connected to).
//! - `http.url` never holds the URL fragment, which is not sent to the server.
//! - Redirects that reqwest follows happen inside the client, below the middleware: the
//!   request is one span with the final status, and every hop carries its context (the
//!   Python tracer sees one `Session.send`, hence one span, per hop).
//! - A failed request has no Python traceback: `error.stack` lists the error's causes, and
//!   `error.message` reads `error: cause: cause` so the reason (refused, timed out) shows.
//! - The integration's settings (split by domain, distributed tracing, service) are set on
//!   the [builder](DdTraceMiddlewareBuilder); the Python tracer's `DD_REQUESTS_*` variables
//!   are not read.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod middleware;
mod target;

pub use middleware::{
    COMPONENT, DdTraceMiddleware, DdTraceMiddlewareBuilder, RESEND_COUNT, SPAN_NAME_V0,
    SPAN_NAME_V1,
};
/// The middleware crate this integration plugs into, and through it reqwest.
pub use reqwest_middleware;
