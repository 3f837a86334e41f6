//! `DdTraceLayer::global()`: untraced until the global tracer is installed, traced after.

mod common;

use axum::Router;
use axum::routing::get;
use common::{config, get as send, serve_axum, span_named, tracer};
use ddtrace_tower::DdTraceLayer;

#[tokio::test]
async fn the_global_layer_uses_the_tracer_installed_later() {
    let app = Router::new()
        .route("/", get(|| async { "hi" }))
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
    assert_eq!(exporter.spans().len(), 1);
}
