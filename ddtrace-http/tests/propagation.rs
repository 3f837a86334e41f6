//! What the called server receives, in every propagation style.

mod support;

use ddtrace_core::propagation::Propagator;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{Config, Instrument, active_span};
use ddtrace_http::DdTraceMiddleware;
use support::*;

/// Sends one request under a parent span with baggage, injecting `styles`; returns the client
/// span and what the server saw.
async fn send(styles: &[&str]) -> (SpanData, Seen, Config) {
    let server = TestServer::start().await;
    let config = Config::builder_without_env()
        .service("client-app")
        .propagation_style_inject(styles.iter().map(|s| s.to_string()).collect())
        .propagation_style_extract(styles.iter().map(|s| s.to_string()).collect())
        .build();
    let (tracer, exporter) = tracer_with(config.clone());
    let client = client(DdTraceMiddleware::new(tracer.clone()));
    async {
        active_span().set_baggage_item("user.id", "42");
        client.get(server.url("/x")).send().await.unwrap();
    }
    .instrument(tracer.trace("caller"))
    .await;
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request").clone();
    assert!(s.trace_id.high() != 0, "128-bit trace ids by default");
    let seen = server.seen().remove(0);
    (s, seen, config)
}

/// The server's view, extracted as a service behind it would: the client span is the parent.
fn assert_extracts_to(s: &SpanData, seen: &Seen, config: &Config) {
    let ctx = Propagator::from_config(config)
        .extract(&seen.headers)
        .expect("a context");
    assert_eq!(ctx.trace_id, s.trace_id);
    assert_eq!(ctx.span_id, s.span_id);
    assert_eq!(ctx.sampling_priority.map(|p| p.0), Some(1));
}

#[tokio::test]
async fn datadog_style() {
    let (s, seen, config) = send(&["datadog"]).await;
    assert_eq!(
        seen.header("x-datadog-trace-id"),
        Some(s.trace_id.low().to_string().as_str())
    );
    assert_eq!(
        seen.header("x-datadog-parent-id"),
        Some(s.span_id.0.to_string().as_str())
    );
    assert_eq!(seen.header("x-datadog-sampling-priority"), Some("1"));
    let tags = seen.header("x-datadog-tags").expect("x-datadog-tags");
    assert!(tags.contains("_dd.p.dm=-0"), "{tags}");
    assert!(
        tags.contains(&format!("_dd.p.tid={}", s.trace_id.high_hex16())),
        "{tags}"
    );
    assert_eq!(seen.header("traceparent"), None);
    assert_eq!(seen.header("baggage"), None);
    assert_extracts_to(&s, &seen, &config);
}

#[tokio::test]
async fn tracecontext_style() {
    let (s, seen, config) = send(&["tracecontext"]).await;
    assert_eq!(
        seen.header("traceparent"),
        Some(format!("00-{}-{}-01", s.trace_id.to_hex32(), s.span_id.to_hex16()).as_str())
    );
    let tracestate = seen.header("tracestate").expect("tracestate");
    assert!(tracestate.starts_with("dd="), "{tracestate}");
    assert!(tracestate.contains("s:1"), "{tracestate}");
    assert!(
        tracestate.contains(&format!("p:{}", s.span_id.to_hex16())),
        "{tracestate}"
    );
    assert!(tracestate.contains("t.dm:-0"), "{tracestate}");
    assert_eq!(seen.header("x-datadog-trace-id"), None);
    assert_extracts_to(&s, &seen, &config);
}

#[tokio::test]
async fn b3multi_style() {
    let (s, seen, config) = send(&["b3multi"]).await;
    assert_eq!(
        seen.header("x-b3-traceid"),
        Some(s.trace_id.to_hex32().as_str())
    );
    assert_eq!(
        seen.header("x-b3-spanid"),
        Some(s.span_id.to_hex16().as_str())
    );
    assert_eq!(seen.header("x-b3-sampled"), Some("1"));
    assert_eq!(seen.header("b3"), None);
    assert_extracts_to(&s, &seen, &config);
}

#[tokio::test]
async fn b3_single_header_style() {
    let (s, seen, config) = send(&["b3"]).await;
    assert_eq!(
        seen.header("b3"),
        Some(format!("{}-{}-1", s.trace_id.to_hex32(), s.span_id.to_hex16()).as_str())
    );
    assert_eq!(seen.header("x-b3-traceid"), None);
    assert_extracts_to(&s, &seen, &config);
}

#[tokio::test]
async fn baggage_style() {
    let (_, seen, _) = send(&["baggage"]).await;
    assert_eq!(seen.header("baggage"), Some("user.id=42"));
    assert_eq!(seen.header("x-datadog-trace-id"), None);
    assert_eq!(seen.header("traceparent"), None);
}

#[tokio::test]
async fn default_styles_send_datadog_tracecontext_and_baggage() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer.clone()));
    async {
        active_span().set_baggage_item("session.id", "s1");
        client.get(server.url("/x")).send().await.unwrap();
    }
    .instrument(tracer.trace("caller"))
    .await;
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    let seen = &server.seen()[0];
    assert_eq!(
        seen.header("x-datadog-parent-id"),
        Some(s.span_id.0.to_string().as_str())
    );
    assert!(
        seen.header("traceparent")
            .is_some_and(|tp| tp.contains(&s.span_id.to_hex16()))
    );
    assert_eq!(seen.header("baggage"), Some("session.id=s1"));
    assert_eq!(seen.header("b3"), None);
}

#[tokio::test]
async fn every_style_at_once() {
    let (s, seen, config) = send(&["datadog", "tracecontext", "b3multi", "b3", "baggage"]).await;
    for header in [
        "x-datadog-trace-id",
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "b3",
        "baggage",
    ] {
        assert!(seen.header(header).is_some(), "{header} missing: {seen:?}");
    }
    assert_extracts_to(&s, &seen, &config);
}
