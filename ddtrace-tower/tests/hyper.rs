//! The layer around a plain tower service served by hyper through hyper-util's
//! `TowerToHyperService`, over HTTP/1.1 and HTTP/2.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use common::{config, get as send, span_named, tracer};
use ddtrace_core::{SpanId, TraceId, Tracer};
use ddtrace_tower::DdTraceLayer;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;

/// Serves `/items/{id}` (reporting its route) and `/boom` (a 500) with the layer in front,
/// for HTTP/1.1 and HTTP/2 alike.
async fn serve(tracer: &Tracer) -> SocketAddr {
    let t = tracer.clone();
    let handler = tower::service_fn(move |req: http::Request<Incoming>| {
        let t = t.clone();
        async move {
            let path = req.uri().path().to_owned();
            let (status, body) = if path.starts_with("/items/") {
                ddtrace_tower::set_route("/items/{id}");
                drop(t.trace("inventory.check").start());
                (200, "item")
            } else {
                (500, "boom")
            };
            Ok::<_, Infallible>(
                http::Response::builder()
                    .status(status)
                    .body(Full::new(Bytes::from_static(body.as_bytes())))
                    .unwrap(),
            )
        }
    });
    let service = ServiceBuilder::new()
        .layer(DdTraceLayer::new(tracer.clone()).component("hyper"))
        .service(handler);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn http1_request_through_hyper() {
    let (tracer, exporter) = tracer(config());
    let addr = serve(&tracer).await;
    let reply = send(
        addr,
        "/items/9?signature=abc&x=1",
        &[
            ("x-datadog-trace-id", "42"),
            ("x-datadog-parent-id", "43"),
            ("x-datadog-sampling-priority", "-1"),
        ],
    )
    .await;
    assert_eq!(reply.body, "item");

    let span = span_named(&exporter, "hyper.request").await;
    assert_eq!(span.resource, "GET /items/{id}");
    assert_eq!(span.meta("http.route"), Some("/items/{id}"));
    assert_eq!(span.meta("component"), Some("hyper"));
    assert_eq!(
        span.meta("http.url"),
        Some(format!("http://{addr}/items/9?<redacted>&x=1").as_str())
    );
    assert_eq!(span.trace_id, TraceId(42));
    assert_eq!(span.parent_id, SpanId(43));
    assert_eq!(span.metric("_sampling_priority_v1"), Some(-1.0));
    let child = span_named(&exporter, "inventory.check").await;
    assert_eq!(child.parent_id, span.span_id);
}

#[tokio::test]
async fn http2_request_through_hyper() {
    let (tracer, exporter) = tracer(config());
    let addr = serve(&tracer).await;
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let resp = client
        .request(
            http::Request::get(format!("http://{addr}/boom"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    resp.into_body().collect().await.unwrap();

    let span = span_named(&exporter, "hyper.request").await;
    assert_eq!(span.error, 1);
    assert_eq!(span.resource, "GET");
    assert_eq!(span.meta("http.status_code"), Some("500"));
    assert_eq!(
        span.meta("http.url"),
        Some(format!("http://{addr}/boom").as_str())
    );
}
