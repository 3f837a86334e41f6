//! `DdTraceMiddleware::global()`: built before the global tracer is installed, it traces once
//! it is. A binary of its own, since the global tracer can be set only once per process.

mod support;

use ddtrace_core::set_global_tracer;
use ddtrace_http::DdTraceMiddleware;
use support::*;

#[tokio::test]
async fn the_global_middleware_follows_the_global_tracer() {
    let server = TestServer::start().await;
    let client = client(DdTraceMiddleware::global());

    // No global tracer yet: the request goes out untouched.
    client.get(server.url("/before")).send().await.unwrap();
    assert_eq!(server.seen()[0].header("x-datadog-trace-id"), None);

    let (tracer, exporter) = tracer();
    assert!(set_global_tracer(tracer).is_ok());
    client.get(server.url("/after")).send().await.unwrap();

    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.resource, "GET /after");
    assert_eq!(
        server.seen()[1].header("x-datadog-parent-id"),
        Some(s.span_id.0.to_string().as_str())
    );
}
