//! Propagation through a real tracer: an extracted context continues the trace, and injection
//! from a live span carries the trace's sampling decision and tags.

mod support;

use std::collections::HashMap;

use ddtrace_core::Tracer;
use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::propagation::{PropagationStyle, Propagator};

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn tracer() -> (Tracer, InMemoryExporter) {
    support::tracer()
}

#[test]
fn an_extracted_context_continues_the_trace() {
    let (tracer, exporter) = tracer();
    let propagator = Propagator::default();
    let incoming = headers(&[
        ("x-datadog-trace-id", "9532127138774266268"),
        ("x-datadog-parent-id", "987654321"),
        ("x-datadog-sampling-priority", "2"),
        ("x-datadog-origin", "synthetics"),
        ("x-datadog-tags", "_dd.p.dm=-4,_dd.p.tid=0af7651916cd43dd"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "dd=s:2;p:00f067aa0ba902b7,foo=bar"),
        ("baggage", "user.id=alice,k=v"),
    ]);
    let ctx = propagator.extract(&incoming).expect("a context");
    let trace_id = ctx.trace_id;
    {
        let server = tracer.trace("http.request").child_of(ctx).start();
        assert_eq!(server.trace_id(), trace_id);
        let _child = tracer.trace("db.query").start();
    }
    let spans = exporter.spans();
    let root = support::by_name(&spans, "http.request");
    let child = support::by_name(&spans, "db.query");
    assert_eq!(root.trace_id, trace_id);
    assert_eq!(root.trace_id.0, 0x0af7651916cd43dd8448eb211c80319c);
    // The W3C parent is the most recent hop; the Datadog one is kept in `_dd.parent_id`.
    assert_eq!(root.parent_id.0, 0xb7ad6b7169203331);
    assert_eq!(root.meta("_dd.parent_id"), Some("00f067aa0ba902b7"));
    assert_eq!(child.parent_id, root.span_id);
    assert_eq!(root.metric("_sampling_priority_v1"), Some(2.0));
    assert_eq!(root.meta("_dd.p.dm"), Some("-4"));
    assert_eq!(root.meta("_dd.p.tid"), Some("0af7651916cd43dd"));
    assert_eq!(root.meta("_dd.origin"), Some("synthetics"));
    assert_eq!(child.meta("_dd.origin"), Some("synthetics"));
    assert_eq!(
        root.meta("tracestate"),
        Some("dd=s:2;p:00f067aa0ba902b7,foo=bar")
    );
    assert_eq!(root.meta("baggage.user.id"), Some("alice"));
}

#[test]
fn injection_from_a_live_span_carries_its_priority_ids_and_vendors() {
    let (tracer, _exporter) = tracer();
    let propagator = Propagator::default();
    let incoming = headers(&[
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "dd=s:1;t.dm:-0,foo=bar"),
        ("baggage", "k=v"),
    ]);
    let server = tracer
        .trace("http.request")
        .child_of_opt(propagator.extract(&incoming))
        .start();
    let client = tracer.trace("http.client").start();
    client.keep_trace(); // user keep: priority 2, `_dd.p.dm=-4`

    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject(&client, &mut out);
    assert_eq!(out["x-datadog-trace-id"], "9532127138774266268");
    assert_eq!(out["x-datadog-parent-id"], client.span_id().0.to_string());
    assert_eq!(out["x-datadog-sampling-priority"], "2");
    assert_eq!(
        out["x-datadog-tags"],
        "_dd.p.dm=-4,_dd.p.tid=0af7651916cd43dd"
    );
    assert_eq!(
        out["traceparent"],
        format!(
            "00-0af7651916cd43dd8448eb211c80319c-{:016x}-01",
            client.span_id().0
        )
    );
    // Our own `dd` member (with this span as the last Datadog parent) first, then the vendors'.
    assert_eq!(
        out["tracestate"],
        format!(
            "dd=p:{:016x};s:2;t.dm:-4;t.tid:0af7651916cd43dd,foo=bar",
            client.span_id().0
        )
    );
    assert_eq!(out["baggage"], "k=v");
    drop(client);
    drop(server);
}

#[test]
fn injection_takes_the_sampling_decision_first() {
    let (tracer, exporter) = tracer();
    let propagator = Propagator::new([], [PropagationStyle::Datadog]);
    {
        let span = tracer.trace("work").start();
        assert_eq!(span.decided_priority(), None);
        let mut out: HashMap<String, String> = HashMap::new();
        propagator.inject(&span, &mut out);
        let decided = span.decided_priority().expect("decided by injection");
        assert_eq!(out["x-datadog-sampling-priority"], decided.0.to_string());
        assert_eq!(out["x-datadog-trace-id"], span.trace_id().low().to_string());
    }
    let spans = exporter.spans();
    assert_eq!(spans.len(), 1);
}

#[test]
fn a_tags_encoding_failure_is_recorded_on_the_local_root_and_not_retried() {
    let (tracer, exporter) = tracer();
    let propagator = Propagator::new([], [PropagationStyle::Datadog]);
    {
        let root = tracer.trace("root").start();
        root.set_trace_tag("_dd.p.bad", "a,b");
        let child = tracer.trace("child").start();
        let mut out: HashMap<String, String> = HashMap::new();
        propagator.inject(&child, &mut out);
        assert!(!out.contains_key("x-datadog-tags"));
        assert_eq!(
            root.local_root_meta("_dd.propagation_error").as_deref(),
            Some("encoding_error")
        );
        // Fixing the tag does not bring the header back: the Python tracer gives up for the
        // trace once encoding failed.
        root.set_trace_tag("_dd.p.bad", "fine");
        let mut again: HashMap<String, String> = HashMap::new();
        propagator.inject(&child, &mut again);
        assert!(!again.contains_key("x-datadog-tags"));
    }
    let spans = exporter.spans();
    let root = support::by_name(&spans, "root");
    assert_eq!(root.meta("_dd.propagation_error"), Some("encoding_error"));
}

#[test]
fn restart_links_to_the_upstream_context_and_starts_a_new_trace() {
    let (tracer, exporter) = tracer();
    let propagator = Propagator::builder()
        .extract_behavior(ddtrace_core::propagation::ExtractBehavior::Restart)
        .build();
    let incoming = headers(&[
        ("x-datadog-trace-id", "123"),
        ("x-datadog-parent-id", "456"),
        ("x-datadog-sampling-priority", "1"),
    ]);
    let ctx = propagator.extract(&incoming).expect("a context");
    assert!(!ctx.has_trace_id());
    {
        let _span = tracer.trace("consumer").child_of(ctx).start();
    }
    let spans = exporter.spans();
    assert_ne!(spans[0].trace_id.0, 123);
    assert_eq!(spans[0].parent_id.0, 0);
    assert_eq!(spans[0].links.len(), 1);
    assert_eq!(spans[0].links[0].trace_id.0, 123);
    assert_eq!(spans[0].links[0].span_id.0, 456);
}

#[test]
fn a_non_recording_span_injects_nothing() {
    let tracer = Tracer::disabled();
    let span = tracer.trace("off").start();
    let mut out: HashMap<String, String> = HashMap::new();
    Propagator::default().inject(&span, &mut out);
    assert!(out.is_empty());
}

#[test]
fn garbage_headers_never_panic() {
    let propagator = Propagator::new(
        [
            PropagationStyle::Datadog,
            PropagationStyle::TraceContext,
            PropagationStyle::B3Multi,
            PropagationStyle::B3Single,
            PropagationStyle::Baggage,
        ],
        [],
    );
    let nasty = [
        "",
        "-",
        "--",
        "=",
        ",,,",
        "\u{e9}\u{0}",
        "%",
        "%F",
        "%FF%FE",
        "dd=",
        "dd=;;;",
        "dd=s:;o:;p:;t.:",
        "00-",
        "99999999999999999999999999999999999999999999",
        "-99999999999999999999999999999999999999999999",
        "0x",
        "_",
        "1_",
        "ff-ffffffffffffffffffffffffffffffff-ffffffffffffffff-ff",
    ];
    let names = ddtrace_core::propagation::HEADER_NAMES;
    for value in nasty {
        let all: HashMap<String, String> = names
            .iter()
            .map(|n| ((*n).to_owned(), value.to_owned()))
            .collect();
        let mut ctx = propagator.extract(&all).expect("a context");
        let mut out: HashMap<String, String> = HashMap::new();
        Propagator::default().inject_context(&mut ctx, &mut out);
        for name in names {
            let one = headers(&[(name, value)]);
            let _ = propagator.extract(&one);
        }
    }
}
