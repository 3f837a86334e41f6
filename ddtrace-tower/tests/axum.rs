//! The layer in an axum app served on 127.0.0.1: span fields and tags, parenting, distributed
//! context, streaming bodies, client disconnects, errors and panics, header tags.

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::StatusCode;
use axum::routing::get;
use common::{Ticker, config, get as send, serve_axum, span_named, tracer};
use ddtrace_core::{Config, SpanId, TraceId, Tracer};
use ddtrace_tower::DdTraceLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_http::catch_panic::CatchPanicLayer;

/// The layer as the documentation stacks it in axum.
fn layer(tracer: &Tracer) -> DdTraceLayer {
    DdTraceLayer::new(tracer.clone())
        .component("axum")
        .route(|ext| ext.get::<MatchedPath>().map(MatchedPath::as_str))
}

fn app(tracer: &Tracer) -> Router {
    let t = tracer.clone();
    Router::new()
        .route(
            "/users/{id}",
            get(move || {
                let t = t.clone();
                async move {
                    // A child started after an await, as a handler's database call would be.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let child = t.trace("db.lookup").start_detached();
                    child.set_tag("db.system", "postgresql");
                    drop(child);
                    let _inner = t.trace("render").start();
                    "alice"
                }
            }),
        )
        .route(
            "/unavailable",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "later") }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/stream",
            get(|| async {
                axum::body::Body::new(Ticker::new(Duration::from_millis(150), Some(4)))
            }),
        )
        .route(
            "/forever",
            get(|| async { axum::body::Body::new(Ticker::new(Duration::from_millis(20), None)) }),
        )
        .route(
            "/panic",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("handler exploded");
                }
                "unreachable"
            }),
        )
        .route(
            "/headers",
            get(|| async { ([("x-served-by", "node-7")], "ok") }),
        )
}

#[tokio::test]
async fn span_fields_and_tags() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;

    let reply = send(
        addr,
        "/users/42?page=2&password=hunter2&api_key=abc",
        &[("user-agent", "test-agent/1.0")],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.service, "shop");
    assert_eq!(span.span_type, "web");
    assert_eq!(span.resource, "GET /users/{id}");
    assert_eq!(span.error, 0);
    assert_eq!(span.parent_id, SpanId::NONE);
    assert_eq!(span.meta("span.kind"), Some("server"));
    assert_eq!(span.meta("component"), Some("axum"));
    assert_eq!(span.meta("http.method"), Some("GET"));
    assert_eq!(span.meta("http.route"), Some("/users/{id}"));
    assert_eq!(span.meta("http.status_code"), Some("200"));
    assert_eq!(span.meta("http.useragent"), Some("test-agent/1.0"));
    assert_eq!(
        span.meta("http.url"),
        Some(format!("http://{addr}/users/42?page=2&<redacted>&<redacted>").as_str())
    );
    assert_eq!(span.meta("http.client_ip"), None, "off by default");
    assert_eq!(span.metric("_dd.top_level"), Some(1.0));
}

#[tokio::test]
async fn spans_started_in_the_handler_are_children() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(addr, "/users/1", &[]).await;

    let server = span_named(&exporter, "axum.request").await;
    let db = span_named(&exporter, "db.lookup").await;
    let render = span_named(&exporter, "render").await;
    assert_eq!(db.parent_id, server.span_id);
    assert_eq!(render.parent_id, server.span_id);
    assert_eq!(db.trace_id, server.trace_id);
    assert_eq!(db.meta("db.system"), Some("postgresql"));
}

#[tokio::test]
async fn datadog_headers_continue_the_callers_trace() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(
        addr,
        "/users/1",
        &[
            ("x-datadog-trace-id", "123456789"),
            ("x-datadog-parent-id", "987654321"),
            ("x-datadog-sampling-priority", "2"),
            ("x-datadog-origin", "synthetics"),
            ("x-datadog-tags", "_dd.p.dm=-4"),
        ],
    )
    .await;

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.trace_id, TraceId(123456789));
    assert_eq!(span.parent_id, SpanId(987654321));
    assert_eq!(span.metric("_sampling_priority_v1"), Some(2.0));
    assert_eq!(span.meta("_dd.origin"), Some("synthetics"));
    assert_eq!(span.meta("_dd.p.dm"), Some("-4"));
    let db = span_named(&exporter, "db.lookup").await;
    assert_eq!(db.trace_id, TraceId(123456789));
}

#[tokio::test]
async fn traceparent_continues_the_callers_trace() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(
        addr,
        "/users/1",
        &[(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )],
    )
    .await;

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.trace_id, TraceId(0x0af7651916cd43dd8448eb211c80319c));
    assert_eq!(span.parent_id, SpanId(0xb7ad6b7169203331));
    assert_eq!(span.metric("_sampling_priority_v1"), Some(1.0));
}

#[tokio::test]
async fn the_span_ends_when_a_streaming_body_ends() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    let started = std::time::Instant::now();
    let reply = send(addr, "/stream", &[]).await;
    let elapsed = started.elapsed();
    assert_eq!(reply.body.matches("data: tick").count(), 4);

    let span = span_named(&exporter, "axum.request").await;
    let duration = Duration::from_nanos(span.duration as u64);
    // Four chunks 150 ms apart: the handler returned at once, the body took 600 ms.
    assert!(
        duration >= Duration::from_millis(550),
        "span lasted {duration:?}, request {elapsed:?}"
    );
    assert!(
        duration <= elapsed,
        "span {duration:?} > request {elapsed:?}"
    );
    assert_eq!(span.meta("http.status_code"), Some("200"));
}

#[tokio::test]
async fn the_span_ends_when_the_client_goes_away() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /forever HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("data: tick") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let left = std::time::Instant::now();
    drop(stream);

    // The body never ends by itself: only the disconnect can finish the span.
    let span = span_named(&exporter, "axum.request").await;
    assert!(left.elapsed() < Duration::from_secs(5));
    assert_eq!(span.resource, "GET /forever");
    assert_eq!(span.meta("http.status_code"), Some("200"));
    assert_eq!(span.error, 0);
}

#[tokio::test]
async fn server_errors_are_errors_and_client_errors_are_not() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    assert_eq!(send(addr, "/unavailable", &[]).await.status, 503);
    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.error, 1);
    assert_eq!(span.meta("http.status_code"), Some("503"));
    exporter.clear();

    assert_eq!(send(addr, "/missing", &[]).await.status, 404);
    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.error, 0);
    assert_eq!(span.meta("http.status_code"), Some("404"));
}

#[tokio::test]
async fn error_statuses_follow_the_configuration() {
    let mut config = config();
    config.http_server_error_statuses = vec![(404, 404)];
    let (tracer, exporter) = tracer(config);
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(addr, "/missing", &[]).await;
    assert_eq!(span_named(&exporter, "axum.request").await.error, 1);
    exporter.clear();
    send(addr, "/unavailable", &[]).await;
    assert_eq!(span_named(&exporter, "axum.request").await.error, 0);
}

#[tokio::test]
async fn a_panic_caught_outside_the_layer_is_recorded() {
    let (tracer, exporter) = tracer(config());
    // CatchPanicLayer added after: it runs outside the trace layer, which sees the panic.
    let app = app(&tracer)
        .layer(layer(&tracer))
        .layer(CatchPanicLayer::new());
    let addr = serve_axum(app).await;
    assert_eq!(send(addr, "/panic", &[]).await.status, 500);

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.error, 1);
    assert_eq!(span.meta("error.type"), Some("panic"));
    assert_eq!(span.meta("error.message"), Some("handler exploded"));
    assert_eq!(span.resource, "GET /panic");
}

#[tokio::test]
async fn a_panic_caught_inside_the_layer_is_a_500() {
    let (tracer, exporter) = tracer(config());
    let app = app(&tracer)
        .layer(CatchPanicLayer::new())
        .layer(layer(&tracer));
    let addr = serve_axum(app).await;
    assert_eq!(send(addr, "/panic", &[]).await.status, 500);

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.error, 1);
    assert_eq!(span.meta("http.status_code"), Some("500"));
}

#[tokio::test]
async fn header_tags_and_client_ip() {
    let mut config = config();
    config.header_tags = vec![
        ("x-user-id".into(), "user.id".into()),
        ("x-request-id".into(), String::new()),
        ("x-served-by".into(), String::new()),
    ];
    config.client_ip_enabled = true;
    let (tracer, exporter) = tracer(config);
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(
        addr,
        "/headers",
        &[
            ("x-user-id", "u-1"),
            ("X-Request-Id", "r-9"),
            ("x-forwarded-for", "10.0.0.3, 81.2.69.160"),
        ],
    )
    .await;

    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.meta("user.id"), Some("u-1"));
    assert_eq!(span.meta("http.request.headers.x-request-id"), Some("r-9"));
    assert_eq!(
        span.meta("http.response.headers.x-served-by"),
        Some("node-7")
    );
    assert_eq!(span.meta("http.client_ip"), Some("81.2.69.160"));
}

#[tokio::test]
async fn schema_v1_names_and_empty_obfuscation_pattern() {
    let mut config: Config = config();
    config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
    config.obfuscation_query_string_regexp = Some(String::new());
    let (tracer, exporter) = tracer(config);
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    send(addr, "/users/3?password=visible", &[]).await;

    let span = span_named(&exporter, "http.server.request").await;
    assert_eq!(
        span.meta("http.url"),
        Some(format!("http://{addr}/users/3?password=visible").as_str())
    );
}

#[tokio::test]
async fn around_the_whole_router_the_resource_is_the_method_until_the_route_is_set() {
    let (tracer, exporter) = tracer(config());
    let router = Router::new()
        .route(
            "/orders/{id}",
            get(|| async {
                ddtrace_tower::set_route("/orders/{id}");
                "order"
            }),
        )
        .route("/plain/{id}", get(|| async { "plain" }));
    // Wrapping the router itself: the layer runs before routing.
    let app = Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(DdTraceLayer::new(tracer.clone()))
            .service(router),
    );
    let addr = serve_axum(app).await;

    send(addr, "/orders/77", &[]).await;
    let span = span_named(&exporter, "tower.request").await;
    assert_eq!(span.resource, "GET /orders/{id}");
    assert_eq!(span.meta("http.route"), Some("/orders/{id}"));
    assert_eq!(span.meta("component"), Some("tower"));
    exporter.clear();

    send(addr, "/plain/77", &[]).await;
    let span = span_named(&exporter, "tower.request").await;
    assert_eq!(span.resource, "GET", "never the raw path");
    assert_eq!(span.meta("http.route"), None);
    exporter.clear();

    send(addr, "/nowhere/1", &[]).await;
    let span = span_named(&exporter, "tower.request").await;
    assert_eq!(span.resource, "GET");
    assert_eq!(span.meta("http.status_code"), Some("404"));
}

#[tokio::test]
async fn a_disabled_tracer_passes_requests_through() {
    let tracer = Tracer::disabled();
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    let reply = send(addr, "/users/1", &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
}

#[tokio::test]
async fn unmatched_requests_under_router_layer() {
    let (tracer, exporter) = tracer(config());
    let addr = serve_axum(app(&tracer).layer(layer(&tracer))).await;
    assert_eq!(send(addr, "/no/such/page", &[]).await.status, 404);
    // `Router::layer` also wraps the default fallback: the 404 is traced, with no route.
    let span = span_named(&exporter, "axum.request").await;
    assert_eq!(span.resource, "GET");
    assert_eq!(span.meta("http.route"), None);
    assert_eq!(span.meta("http.status_code"), Some("404"));
    assert_eq!(span.error, 0);
}
