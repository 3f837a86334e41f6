//! Cases where the Python tracer (ddtrace 4.16.0) was run to learn the expected behaviour, and
//! this crate must do the same: float tag values, whitespace around propagation headers,
//! carriers, zero ids, oversized parent ids and the tracestate `ot=` member. Each test names
//! the Python script's observation it reproduces.

use std::collections::HashMap;

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, SpanData, Tracer};

fn new_tracer(env: &[(&str, &str)]) -> (Tracer, InMemoryExporter) {
    let vars: HashMap<String, String> = [("DD_SERVICE", "svc"), ("DD_ENV", "test")]
        .iter()
        .chain(env)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(Config::from_lookup(|k| vars.get(k).cloned()))
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

fn only_span(exporter: &InMemoryExporter) -> SpanData {
    let chunks = exporter.chunks();
    assert_eq!(chunks.len(), 1, "{chunks:?}");
    chunks[0].spans[0].clone()
}

/// Python: `set_tag("http.status_code", 200.0)` stores meta `'200.0'`; `set_tag("a", 1.0)`
/// and `("b", 2.5)` store metrics; `network.destination.port` 8080.5 is metric 8080.
#[test]
fn float_tag_values_are_stored_as_in_python() {
    let (tracer, exporter) = new_tracer(&[]);
    let span = tracer.trace("op").start();
    span.set_tag("http.status_code", 200.0);
    span.set_tag("a", 1.0);
    span.set_tag("b", 2.5f32);
    span.set_tag("network.destination.port", 8080.5);
    span.finish();
    let span = only_span(&exporter);
    assert_eq!(span.meta("http.status_code"), Some("200.0"));
    assert_eq!(span.metric("http.status_code"), None);
    assert_eq!(span.metric("a"), Some(1.0));
    assert_eq!(span.metric("b"), Some(2.5));
    assert_eq!(span.metric("network.destination.port"), Some(8080.0));

    let (tracer, exporter) = new_tracer(&[]);
    let span = tracer.trace("op").start();
    span.set_tag("http.status_code", 404);
    span.set_tag("network.destination.port", f64::NAN);
    span.finish();
    let span = only_span(&exporter);
    assert_eq!(span.meta("http.status_code"), Some("404"));
    assert_eq!(span.metric("network.destination.port"), None);

    for (value, text) in [(f64::NAN, "nan"), (1e20, "1e+20"), (-0.0, "-0.0")] {
        let (tracer, exporter) = new_tracer(&[]);
        let span = tracer.trace("op").start();
        span.set_tag("http.status_code", value);
        span.finish();
        assert_eq!(only_span(&exporter).meta("http.status_code"), Some(text));
    }
}

/// Python, `SamplingRule(0.5, tags={key: pattern}).matches(span)` after the tags above:
/// `http.status_code` 200.0 matches `2*`, `200.0`, `200.*` but not `200`; `a` = 1.0 matches
/// `1`, `1*`, `*`, `?` but not `1.0` or `???`; `b` = 2.5 matches `*` and `???` but not `2.5`,
/// `2*` or `?`.
#[test]
fn sampling_rules_match_float_tags_as_in_python() {
    let cases = [
        ("http.status_code", "200", false),
        ("http.status_code", "2*", true),
        ("http.status_code", "200.0", true),
        ("http.status_code", "200.*", true),
        ("a", "1", true),
        ("a", "1*", true),
        ("a", "1.0", false),
        ("a", "*", true),
        ("a", "?", true),
        ("a", "???", false),
        ("b", "2.5", false),
        ("b", "2*", false),
        ("b", "*", true),
        ("b", "???", true),
        ("b", "?", false),
        ("e", "0", true),
        ("e", "-0", false),
    ];
    for (key, pattern, matches) in cases {
        let rules = format!(r#"[{{"tags": {{"{key}": "{pattern}"}}, "sample_rate": 0}}]"#);
        let (tracer, exporter) = new_tracer(&[("DD_TRACE_SAMPLING_RULES", &rules)]);
        let span = tracer.trace("op").start();
        span.set_tag("http.status_code", 200.0);
        span.set_tag("a", 1.0);
        span.set_tag("b", 2.5);
        span.set_tag("e", -0.0);
        span.finish();
        let priority = only_span(&exporter).metric("_sampling_priority_v1");
        // A matching rule at rate 0 rejects (-1); no match leaves the default keep (1).
        let expected = if matches { -1.0 } else { 1.0 };
        assert_eq!(priority, Some(expected), "{key} ~ {pattern}");
    }
}
