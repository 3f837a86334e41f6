//! End to end against Datadog's test agent (ddapm-test-agent, started by scripts/test.sh):
//! traces of several shapes over v0.4 and v0.5, read back span by span, with the agent's
//! payload checks on and the request headers inspected.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use ddtrace_core::export::Exporter;
use ddtrace_core::span_data::{SpanData, SpanLink};
use ddtrace_core::{ApiVersion, SpanId, TraceId};
use ddtrace_writer::encode::truncate;
use serde_json::Value;
use support::{Session, Traced, traced};

const WAIT: Duration = Duration::from_secs(15);

/// Traces of different shapes: a lone root, a nested tree with an error, a wide trace, odd
/// strings (unicode, a value over the 25000-character limit), links and events.
fn emit_shapes(t: &Traced) -> usize {
    let tracer = &t.tracer;
    {
        let root = tracer
            .trace("web.request")
            .resource("GET /users")
            .span_type("web")
            .start();
        root.set_tag("http.method", "GET");
        root.set_tag("component", "demo");
        root.set_tag("custom.count", 42);
        root.set_tag("custom.ratio", 0.5);
    }
    {
        let root = tracer.trace("job.run").resource("nightly").start();
        {
            let db = tracer
                .trace("db.query")
                .resource("SELECT 1")
                .span_type("sql")
                .start();
            db.set_tag("db.system", "postgresql");
            db.set_tag("db.rows", 3);
            let _cache = tracer.trace("cache.get").service("redis-cache").start();
        }
        let fail = tracer.trace("work.fail").resource("fail").start();
        fail.set_error_info("std::io::Error", "boom", Some("at work.rs:1".into()));
        fail.set_tag("attempt", "1");
        drop(fail);
        root.set_tag("rows.total", -7);
    }
    {
        let _root = tracer.trace("batch.process").start();
        for i in 0..40 {
            let s = tracer
                .trace("batch.item")
                .resource(format!("item {i}"))
                .start();
            s.set_tag("item.index", i);
        }
    }
    {
        let root = tracer
            .trace("odd.strings")
            .resource("réservé ✓ 日本")
            .start();
        root.set_tag("unicode", "ünïcödé ✓ 🚀");
        root.set_tag("long", "x".repeat(30_000));
        root.set_tag("empty", "");
        root.set_tag("big.unsigned", u64::MAX);
    }
    {
        let root = tracer.trace("linked.op").start();
        let mut link = SpanLink::new(
            TraceId::from_parts(0x6b06_785a_0000_0000, 12345),
            SpanId(678),
        );
        link.attributes
            .push(("reason".into(), "terminated_context".into()));
        link.flags = Some(1);
        root.add_link(link);
        root.add_event(
            "exception",
            vec![("exception.message".into(), "bad \"thing\"".into())],
        );
    }
    5
}

fn json_str<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn json_u64(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Checks one received span (test agent JSON) against what the tracer produced.
fn assert_span(got: &Value, want: &SpanData, first_of_chunk: bool, api: ApiVersion) {
    let what = format!("span {} ({})", want.name, want.span_id.0);
    assert_eq!(
        json_u64(got, "trace_id"),
        want.trace_id.low(),
        "{what}: trace_id"
    );
    assert_eq!(json_u64(got, "span_id"), want.span_id.0, "{what}: span_id");
    assert_eq!(
        json_u64(got, "parent_id"),
        want.parent_id.0,
        "{what}: parent_id"
    );
    assert_eq!(json_str(got, "name"), want.name.as_str(), "{what}: name");
    assert_eq!(
        json_str(got, "service"),
        want.service.as_str(),
        "{what}: service"
    );
    assert_eq!(
        json_str(got, "resource"),
        want.resource.as_str(),
        "{what}: resource"
    );
    assert_eq!(
        json_str(got, "type"),
        want.span_type.as_str(),
        "{what}: type"
    );
    assert_eq!(json_u64(got, "error"), want.error as u64, "{what}: error");
    assert_eq!(json_u64(got, "start"), want.start as u64, "{what}: start");
    assert_eq!(
        json_u64(got, "duration"),
        want.duration as u64,
        "{what}: duration"
    );

    let meta: HashMap<String, String> = got
        .get("meta")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("<not a string>").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut expected: HashMap<String, String> = want
        .meta
        .iter()
        .map(|(k, v)| (k.to_string(), truncate(v).into_owned()))
        .collect();
    if !want.events.is_empty() {
        let events: Value = serde_json::from_str(&meta["events"]).expect("events JSON");
        assert_eq!(events[0]["name"], want.events[0].name.as_str());
        expected.insert("events".into(), meta["events"].clone());
    }
    if !want.links.is_empty() && api == ApiVersion::V05 {
        let links: Value = serde_json::from_str(&meta["_dd.span_links"]).expect("links JSON");
        assert_eq!(links[0]["span_id"], want.links[0].span_id.to_hex16());
        assert_eq!(links[0]["trace_id"], want.links[0].trace_id.to_hex32());
        expected.insert("_dd.span_links".into(), meta["_dd.span_links"].clone());
    }
    assert_eq!(meta, expected, "{what}: meta");

    let metrics: HashMap<String, f64> = got
        .get("metrics")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
                .collect()
        })
        .unwrap_or_default();
    let mut expected: HashMap<String, f64> = want
        .metrics
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    if first_of_chunk {
        // The writer's keep rate, on the first span of each chunk as in the Python tracer.
        expected.insert("_dd.tracer_kr".into(), 1.0);
    }
    assert_eq!(metrics, expected, "{what}: metrics");
}

fn round_trip(api: ApiVersion) {
    let session = Session::start(&format!("shapes-{}", api.as_str()));
    let t = traced(
        session
            .config()
            .service("rust-writer-e2e")
            .env("test")
            .api_version(api)
            .build(),
    );
    let n = emit_shapes(&t);
    t.writer.flush(WAIT).expect("flush");
    let traces = session.wait_for_traces(n, WAIT);
    assert_eq!(traces.len(), n, "traces received");

    let received: HashMap<u64, &Value> = traces
        .iter()
        .flatten()
        .map(|s| (json_u64(s, "span_id"), s))
        .collect();
    let chunks = t.copy.chunks();
    let total: usize = chunks.iter().map(|c| c.spans.len()).sum();
    assert_eq!(received.len(), total, "every span arrives once");
    for chunk in &chunks {
        for (i, want) in chunk.spans.iter().enumerate() {
            let got = received
                .get(&want.span_id.0)
                .unwrap_or_else(|| panic!("span {} missing", want.name));
            assert_span(got, want, i == 0, api);
        }
    }

    let stats = t.writer.stats();
    assert_eq!(stats.traces_sent, n as u64, "{stats:?}");
    assert_eq!(stats.spans_sent, total as u64);
    assert_eq!(stats.traces_dropped.total(), 0);
    assert_eq!(stats.errors, 0);
    let info = t.writer.agent_info().expect("/info was read");
    assert!(info.has_endpoint("/v0.5/traces"), "{info:?}");

    check_headers(&session, api);
    session.assert_no_check_failures();
    t.writer.shutdown(WAIT).expect("shutdown");
}

fn check_headers(session: &Session, api: ApiVersion) {
    let path = format!("/{}/traces", api.as_str());
    let requests = session.requests();
    let traces: Vec<&Value> = requests
        .iter()
        .filter(|r| json_str(r, "url").ends_with(&path))
        .collect();
    assert!(!traces.is_empty(), "no {path} request among {requests:?}");
    for r in traces {
        assert_eq!(json_str(r, "method"), "POST");
        let headers: HashMap<String, String> = r["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_owned()))
            .collect();
        let h = |k: &str| headers.get(k).map(String::as_str).unwrap_or("<missing>");
        assert_eq!(h("content-type"), "application/msgpack");
        assert_eq!(h("datadog-meta-lang"), "rust");
        assert_eq!(h("datadog-meta-lang-interpreter"), "rustc");
        assert_eq!(
            h("datadog-meta-lang-version"),
            ddtrace_writer::RUSTC_VERSION
        );
        assert_eq!(
            h("datadog-meta-tracer-version"),
            ddtrace_writer::TRACER_VERSION
        );
        assert_eq!(h("datadog-client-computed-top-level"), "true");
        assert_eq!(h("datadog-send-real-http-status"), "1");
        assert_eq!(h("x-datadog-test-session-token"), session.token);
        assert!(h("x-datadog-trace-count").parse::<usize>().is_ok());
        assert!(h("content-length").parse::<usize>().is_ok());
        assert!(h("user-agent").starts_with("ddtrace-rust/"));
        assert!(!headers.contains_key("datadog-client-computed-stats"));
    }
}

#[test]
fn v04_traces_arrive_intact() {
    round_trip(ApiVersion::V04);
}

#[test]
fn v05_traces_arrive_intact() {
    round_trip(ApiVersion::V05);
}

#[test]
fn agent_rates_reach_the_sampler() {
    let rates = r#"{"service:rust-rates,env:test":0.0,"service:,env:":1.0}"#;
    let session = Session::start_with(
        "rates",
        &format!("&agent_sample_rate_by_service={}", urlencode(rates)),
    );
    let t = traced(session.config().service("rust-rates").env("test").build());
    drop(t.tracer.trace("first").start());
    t.writer.flush(WAIT).expect("flush");
    assert_eq!(t.rates.rate_for("rust-rates", "test"), Some(0.0));
    assert_eq!(t.rates.rate_for("", ""), Some(1.0));
    assert!(t.writer.stats().rate_updates >= 1);

    // The next trace is sampled with the agent's rate, as the Python tracer does.
    drop(t.tracer.trace("second").start());
    t.writer.flush(WAIT).expect("flush");
    let spans = t.copy.spans();
    let second = spans.iter().find(|s| s.name == "second").expect("second");
    assert_eq!(second.metric("_sampling_priority_v1"), Some(0.0));
    assert_eq!(second.metric("_dd.agent_psr"), Some(0.0));
    assert_eq!(second.meta("_dd.p.dm"), Some("-1"));
    session.assert_no_check_failures();
    t.writer.shutdown(WAIT).expect("shutdown");
}

#[test]
fn many_traces_in_several_payloads() {
    let session = Session::start("split");
    let t = traced(
        session
            .config()
            .service("rust-split")
            // Small payloads: the batch must be split, each payload with its own count.
            .writer_max_payload_size_bytes(16 * 1024)
            .build(),
    );
    for i in 0..200 {
        let root = t.tracer.trace("split.op").resource(format!("r{i}")).start();
        root.set_tag("payload.filler", "y".repeat(200));
    }
    t.writer.flush(WAIT).expect("flush");
    let traces = session.wait_for_traces(200, WAIT);
    assert_eq!(traces.len(), 200);
    let stats = t.writer.stats();
    assert!(stats.payloads_sent > 1, "{stats:?}");
    session.assert_no_check_failures();
    t.writer.shutdown(WAIT).expect("shutdown");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
