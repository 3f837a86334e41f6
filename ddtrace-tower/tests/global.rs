//! `DdTraceLayer::global()`: untraced until the global tracer is installed, traced after.

mod common;

use axum::Router;
use axum::routing::get;
use common::{config, get as send, serve_axum, span_named, tracer};
use ddtrace_tower::DdTraceLayer;

/// A function traced with the attribute, as application code would be.
#[ddtrace::traced(name = "profile.load")]
async fn load_profile() -> &'static str {
    tokio::task::yield_now().await;
    "hi"
}

#[tokio::test]
async fn the_global_layer_uses_the_tracer_installed_later() {
    let app = Router::new()
        .route("/", get(load_profile))
        .layer(DdTraceLayer::global());
    let addr = serve_axum(app).await;

    // No global tracer yet: the request goes through untraced.
    assert_eq!(send(addr, "/", &[]).await.body, "hi");

    let (tracer, exporter) = tracer(config());
    assert!(ddtrace_core::set_global_tracer(tracer).is_ok());
    assert!(exporter.spans().is_empty());
    assert_eq!(send(addr, "/", &[]).await.body, "hi");
    let span = span_named(&exporter, "tower.request").await;
    assert_eq!(span.resource, "GET");
    // The #[traced] function inside the handler is a child of the request's span.
    let child = span_named(&exporter, "profile.load").await;
    assert_eq!(child.parent_id, span.span_id);
    assert_eq!(exporter.spans().len(), 2);
}
