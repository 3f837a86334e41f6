//! Server-side tracing for tower services: axum routers, hyper servers (through hyper-util's
//! tower adapter) and tonic gRPC servers, with the Datadog Python tracer's span shape.
//!
//! [`DdTraceLayer`] wraps a service so that every request gets one server span. The caller's
//! trace is continued from the request headers (`x-datadog-*`, `traceparent`, ... as
//! `DD_TRACE_PROPAGATION_STYLE_EXTRACT` says), the span is active while the handler runs (so
//! `#[traced]` functions, SQL and Redis calls inside it are its children), and it ends when
//! the response body has been sent, or when the client goes away.
//!
//! ```
//! use axum::{Router, extract::MatchedPath, routing::get};
//! use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
//! use ddtrace_tower::DdTraceLayer;
//! use tower::ServiceExt; // for `oneshot`
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let exporter = InMemoryExporter::new();
//! let tracer = Tracer::builder()
//!     .config(Config::builder_without_env().service("shop").build())
//!     .exporter(exporter.clone())
//!     .build();
//!
//! let app = Router::new()
//!     .route("/users/{id}", get(|| async { "alice" }))
//!     // `Router::layer` wraps each route after routing: the layer sees axum's `MatchedPath`.
//!     .layer(
//!         DdTraceLayer::new(tracer) // or `DdTraceLayer::global()` after `ddtrace::init()`
//!             .component("axum")
//!             .route(|ext| ext.get::<MatchedPath>().map(MatchedPath::as_str)),
//!     );
//!
//! let request = http::Request::get("/users/42?token=secret")
//!     .header("host", "shop.example")
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! // The span ends with the body: read it (a server sends it).
//! axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
//!
//! let span = &exporter.spans()[0];
//! assert_eq!(span.name, "axum.request");
//! assert_eq!(span.resource, "GET /users/{id}");
//! assert_eq!(span.meta("http.route"), Some("/users/{id}"));
//! assert_eq!(span.meta("http.url"), Some("http://shop.example/users/42?<redacted>"));
//! assert_eq!(span.meta("http.status_code"), Some("200"));
//! # }
//! ```
//!
//! # The span
//!
//! | | HTTP | gRPC (`content-type: application/grpc*`) |
//! |---|---|---|
//! | name (schema v0) | `<component>.request`: `tower.request`, or `axum.request` with `.component("axum")` | `grpc` |
//! | name (schema v1) | `http.server.request` | `grpc.server.request` |
//! | type | `web` | `grpc` |
//! | resource | `METHOD /route`, or `METHOD` alone when the route is unknown | the method path, `/pkg.Service/Method` |
//! | service | `DD_SERVICE` (or [`DdTraceLayer::service`]) | same |
//! | tags | `span.kind=server`, `component`, `http.method`, `http.url` (query string obfuscated with `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`), `http.status_code`, `http.route`, `http.useragent`, `http.client_ip` (with `DD_TRACE_CLIENT_IP_ENABLED`) | `span.kind=server`, `component=grpc_server`, `rpc.system=grpc`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`, `grpc.status.code`, `grpc.method.{path,package,service,name}` |
//! | error | status in `DD_TRACE_HTTP_SERVER_ERROR_STATUSES` (default 500-599); a panic; an error from the service or the body | `grpc-status` 2 to 16; a panic; an error |
//!
//! `DD_TRACE_HEADER_TAGS` copies the chosen request and response headers to tags on both.
//!
//! The name follows the Python tracer, which names server spans after the integration that
//! made them (`flask.request`, `asgi.request`): this integration is a tower middleware, like
//! Python's ASGI middleware, hence `tower.request`; the framework's name is more telling when
//! there is one, hence [`DdTraceLayer::component`]. A generic `http.request` is avoided on
//! purpose: Datadog's HTTP client integrations use it, and trace metrics are grouped by
//! operation name, so server and client calls would be mixed.
//!
//! # Where to put the layer
//!
//! - **axum**: `Router::layer` (after the routes) runs after routing for matched routes, so
//!   the route template is known ([`DdTraceLayer::route`] reads `MatchedPath`); it wraps the
//!   fallback too, so 404s are traced, with the method alone as resource. Layers added
//!   after it run before it: put a `CatchPanicLayer` *outside* (`.layer(DdTraceLayer…)` then
//!   `.layer(CatchPanicLayer::new())`) and the span records the panic itself; inside, the span
//!   sees the 500 response it makes, an error all the same.
//! - **Around a whole router or a hyper service** (`ServiceBuilder`, `TowerToHyperService`),
//!   the layer runs before routing: the route is unknown when the span starts, and the
//!   resource is the method alone unless the handler reports the route with [`set_route`].
//! - **tonic**: `Server::builder().layer(DdTraceLayer::new(tracer))`.
//!
//! Requests are never failed or changed by the layer, and malformed headers are ignored.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod body;
mod grpc;
mod layer;
mod request_span;
mod route;
mod service;
mod settings;

pub use body::TracedBody;
pub use layer::{DEFAULT_COMPONENT, DdTraceLayer};
pub use route::set_route;
pub use service::{DdTraceService, ResponseFuture};
