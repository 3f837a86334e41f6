//! Cases where the Python tracer (ddtrace 4.16.0) was run to learn the expected behaviour, and
//! this crate must do the same: float tag values, whitespace around propagation headers,
//! carriers, zero ids, oversized parent ids and the tracestate `ot=` member. Each test names
//! the Python script's observation it reproduces.

mod support;

use std::collections::HashMap;

use ddtrace_core::SpanContext;
use ddtrace_core::propagation::{Extractor, PropagationStyle, Propagator};
use serde_json::{Value, json};
use support::{only_root, tracer_from_env};

/// Python: `set_tag("http.status_code", 200.0)` stores meta `'200.0'`; `set_tag("a", 1.0)`
/// and `("b", 2.5)` store metrics; `network.destination.port` 8080.5 is metric 8080.
#[test]
fn float_tag_values_are_stored_as_in_python() {
    let (tracer, exporter) = tracer_from_env(&[]);
    let span = tracer.trace("op").start();
    span.set_tag("http.status_code", 200.0);
    span.set_tag("a", 1.0);
    span.set_tag("b", 2.5f32);
    span.set_tag("network.destination.port", 8080.5);
    span.finish();
    let span = only_root(&exporter);
    assert_eq!(span.meta("http.status_code"), Some("200.0"));
    assert_eq!(span.metric("http.status_code"), None);
    assert_eq!(span.metric("a"), Some(1.0));
    assert_eq!(span.metric("b"), Some(2.5));
    assert_eq!(span.metric("network.destination.port"), Some(8080.0));

    let (tracer, exporter) = tracer_from_env(&[]);
    let span = tracer.trace("op").start();
    span.set_tag("http.status_code", 404);
    span.set_tag("network.destination.port", f64::NAN);
    span.finish();
    let span = only_root(&exporter);
    assert_eq!(span.meta("http.status_code"), Some("404"));
    assert_eq!(span.metric("network.destination.port"), None);

    for (value, text) in [(f64::NAN, "nan"), (1e20, "1e+20"), (-0.0, "-0.0")] {
        let (tracer, exporter) = tracer_from_env(&[]);
        let span = tracer.trace("op").start();
        span.set_tag("http.status_code", value);
        span.finish();
        assert_eq!(only_root(&exporter).meta("http.status_code"), Some(text));
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
        let (tracer, exporter) = tracer_from_env(&[("DD_TRACE_SAMPLING_RULES", &rules)]);
        let span = tracer.trace("op").start();
        span.set_tag("http.status_code", 200.0);
        span.set_tag("a", 1.0);
        span.set_tag("b", 2.5);
        span.set_tag("e", -0.0);
        span.finish();
        let priority = only_root(&exporter).metric("_sampling_priority_v1");
        // A matching rule at rate 0 rejects (-1); no match leaves the default keep (1).
        let expected = if matches { -1.0 } else { 1.0 };
        assert_eq!(priority, Some(expected), "{key} ~ {pattern}");
    }
}

/// What an extraction gave, in the shape the Python script printed: trace id, span id,
/// priority, origin, the context's tags sorted by key, baggage items, links' ids.
fn observed(ctx: Option<SpanContext>) -> Value {
    let ctx = ctx.unwrap_or_default();
    let mut tags: Vec<(&str, &str)> = ctx.tags().collect();
    tags.sort();
    let links: Vec<Value> = ctx
        .links
        .iter()
        .map(|l| json!([l.trace_id.0.to_string(), l.span_id.0.to_string()]))
        .collect();
    json!([
        ctx.trace_id.0.to_string(),
        ctx.span_id.0.to_string(),
        ctx.sampling_priority.map(|p| p.0),
        ctx.origin,
        tags,
        ctx.baggage,
        links
    ])
}

/// Header values an `http::HeaderMap` carries as text (visible ASCII, space, tab).
fn fits_header_map(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// Extracts every case with its styles from a `HashMap<String, String>` and, when its values
/// fit one, from an `http::HeaderMap`, and compares both with what Python gave.
fn check_extraction(cases: &[(&str, &str)]) {
    for (case, expected) in cases {
        let (label, styles, headers): (String, Vec<String>, HashMap<String, String>) =
            serde_json::from_str(case).expect("case");
        let expected: Value = serde_json::from_str(expected).expect("expected");
        let styles: Vec<PropagationStyle> = styles.iter().map(|s| s.parse().unwrap()).collect();
        let propagator = Propagator::builder().extract_styles(styles).build();
        let got = observed(propagator.extract(&headers));
        assert_eq!(got, expected, "{label} (HashMap)");
        if headers.values().all(|v| fits_header_map(v)) {
            let mut map = http::HeaderMap::new();
            for (k, v) in &headers {
                let name = http::HeaderName::from_bytes(k.as_bytes()).expect("name");
                map.insert(name, v.parse().expect("value"));
            }
            let got = observed(propagator.extract(&map as &dyn Extractor));
            assert_eq!(got, expected, "{label} (HeaderMap)");
        }
    }
}

#[test]
fn whitespace_around_header_values_as_in_python() {
    check_extraction(WHITESPACE_CASES);
}

#[test]
fn python_whitespace_is_what_str_strip_removes() {
    check_extraction(SEPARATOR_CASES);
}

#[test]
fn header_spellings_and_zero_ids_as_in_python() {
    check_extraction(CARRIER_AND_ZERO_CASES);
}

/// Whitespace around header values, style by style: each case and what ddtrace 4.16.0's `HTTPPropagator.extract` gave (trace id, span id, priority, origin, sorted context tags, baggage, links).
const WHITESPACE_CASES: &[(&str, &str)] = &[
    (
        r#"["dd plain", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-sampling-priority": "1", "x-datadog-origin": "synthetics", "x-datadog-tags": "_dd.p.dm=-4,_dd.p.tid=0000000000000001"}]"#,
        r#"["18446744073709551739", "456", 1, "synthetics", [["_dd.origin", "synthetics"], ["_dd.p.dm", "-4"], ["_dd.p.tid", "0000000000000001"]], [], []]"#,
    ),
    (
        r#"["dd ws", ["datadog"], {"x-datadog-trace-id": " 123 ", "x-datadog-parent-id": " 456 ", "x-datadog-sampling-priority": " 1 ", "x-datadog-origin": " synthetics ", "x-datadog-tags": " _dd.p.dm=-4 , _dd.p.tid=0000000000000001 "}]"#,
        r#"["123", "456", 1, " synthetics ", [["_dd.origin", " synthetics "], ["_dd.propagation_error", "decoding_error"]], [], []]"#,
    ),
    (
        r#"["dd ws tab", ["datadog"], {"x-datadog-trace-id": "\t123\t", "x-datadog-parent-id": "456\t", "x-datadog-sampling-priority": "2 "}]"#,
        r#"["123", "456", 2, null, [], [], []]"#,
    ),
    (
        r#"["dd tags ws2", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-tags": "_dd.p.dm = -4,_dd.p.usr.id= x "}]"#,
        r#"["123", "456", null, null, [["_dd.propagation_error", "decoding_error"]], [], []]"#,
    ),
    (
        r#"["dd tags ws3", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-tags": "_dd.p.dm=-4 "}]"#,
        r#"["123", "456", null, null, [["_dd.p.dm", "-4"]], [], []]"#,
    ),
    (
        r#"["dd tags ws4", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-tags": " _dd.p.dm=-4"}]"#,
        r#"["123", "456", null, null, [["_dd.propagation_error", "decoding_error"]], [], []]"#,
    ),
    (
        r#"["dd tags ws5", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-tags": "_dd.p.dm=-4, _dd.p.x=1"}]"#,
        r#"["123", "456", null, null, [["_dd.propagation_error", "decoding_error"]], [], []]"#,
    ),
    (
        r#"["dd tags ws6", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-tags": "_dd.p.x=a b"}]"#,
        r#"["123", "456", null, null, [["_dd.p.x", "a b"]], [], []]"#,
    ),
    (
        r#"["dd prio ws", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-sampling-priority": " -1"}]"#,
        r#"["123", "456", -1, null, [], [], []]"#,
    ),
    (
        r#"["dd origin tab", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "x-datadog-origin": "\tsynthetics"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["dd trace plus", ["datadog"], {"x-datadog-trace-id": "+123", "x-datadog-parent-id": "456"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["dd trace underscore", ["datadog"], {"x-datadog-trace-id": "1_23", "x-datadog-parent-id": "4_56"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["tc plain", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:2;o:rum;t.dm:-4,foo=bar"}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["_dd.p.dm", "-4"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o:rum;t.dm:-4,foo=bar"]], [], []]"#,
    ),
    (
        r#"["tc ws", ["tracecontext"], {"traceparent": " 00-0000000000000000000000000000007b-00000000000001c8-01 ", "tracestate": " dd=s:2;o:rum;t.dm:-4 , foo=bar "}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["_dd.p.dm", "-4"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o:rum;t.dm:-4,foo=bar"]], [], []]"#,
    ),
    (
        r#"["tc ws tab", ["tracecontext"], {"traceparent": "\t00-0000000000000000000000000000007b-00000000000001c8-01\t", "tracestate": "dd=s:2;o: rum ;t.dm:-4,foo=bar"}]"#,
        r#"["123", "456", 2, " rum ", [["_dd.origin", " rum "], ["_dd.p.dm", "-4"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o: rum ;t.dm:-4,foo=bar"]], [], []]"#,
    ),
    (
        r#"["tc ws inner", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s: 2;o:rum; t.dm:-4"}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s: 2;o:rum; t.dm:-4"]], [], []]"#,
    ),
    (
        r#"["tc ws dd second", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar, dd=s:2;o:rum"}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o:rum,foo=bar"]], [], []]"#,
    ),
    (
        r#"["tc ws tp inner", ["tracecontext"], {"traceparent": "00- 0000000000000000000000000000007b-00000000000001c8-01"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc ws tp flags", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01 \t"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"]], [], []]"#,
    ),
    (
        r#"["tc ws ts p", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=p:00000000000001c9 ;s:1"}]"#,
        r#"["123", "456", 1, null, [["_dd.parent_id", "00000000000001c9 "], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=p:00000000000001c9 ;s:1"]], [], []]"#,
    ),
    (
        r#"["tc ws ts tag", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1;t.usr: bob "}]"#,
        r#"["123", "456", 1, null, [["_dd.p.usr", " bob"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1;t.usr: bob"]], [], []]"#,
    ),
    (
        r#"["b3m plain", ["b3multi"], {"x-b3-traceid": "7b", "x-b3-spanid": "1c8", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3m ws", ["b3multi"], {"x-b3-traceid": " 7b ", "x-b3-spanid": " 1c8 ", "x-b3-sampled": " 1 "}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3m flags ws", ["b3multi"], {"x-b3-traceid": "7b", "x-b3-spanid": "1c8", "x-b3-flags": " 1 "}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3m tab", ["b3multi"], {"x-b3-traceid": "\t7b", "x-b3-spanid": "1c8\t", "x-b3-sampled": "0"}]"#,
        r#"["123", "456", 0, null, [], [], []]"#,
    ),
    (
        r#"["b3s plain", ["b3"], {"b3": "7b-1c8-1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s ws", ["b3"], {"b3": " 7b-1c8-1 "}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s ws2", ["b3"], {"b3": " 7b-1c8 "}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s ws inner", ["b3"], {"b3": "7b - 1c8 - 1"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s ws tab", ["b3"], {"b3": "\t7b-1c8-d\t"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s ws4", ["b3"], {"b3": "7b-1c8-1-5 "}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["bg plain", ["datadog", "baggage"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "baggage": "a=1,b=2"}]"#,
        r#"["123", "456", null, null, [], [["a", "1"], ["b", "2"]], []]"#,
    ),
    (
        r#"["bg ws", ["datadog", "baggage"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "baggage": " a = 1 , b=2 "}]"#,
        r#"["123", "456", null, null, [], [["a", "1"], ["b", "2"]], []]"#,
    ),
    (
        r#"["bg ws enc", ["datadog", "baggage"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "baggage": "a=%20x%20 ,b= two words "}]"#,
        r#"["123", "456", null, null, [], [["a", " x "], ["b", "two words"]], []]"#,
    ),
    (
        r#"["bg ws tab", ["datadog", "baggage"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456", "baggage": "\ta\t=\t1\t"}]"#,
        r#"["123", "456", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["bg only ws", ["baggage"], {"baggage": " a = 1 "}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["bg ws props", ["baggage"], {"baggage": "a = 1 ; p=q , b=2"}]"#,
        r#"["0", "0", null, null, [], [["a", "1 ; p=q"], ["b", "2"]], []]"#,
    ),
    (
        r#"["bg ws empty", ["baggage"], {"baggage": " , a=1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["bg ws key inner", ["baggage"], {"baggage": "a b=1"}]"#,
        r#"["0", "0", null, null, [], [["a b", "1"]], []]"#,
    ),
];

/// Python's `str.strip()` and `int()` disagree on what whitespace is: `strip` also removes `\\x1c`-`\\x1f`, `int` does not.
const SEPARATOR_CASES: &[(&str, &str)] = &[
    (
        r#"["dd fs", ["datadog"], {"x-datadog-trace-id": "\u001c123\u001c", "x-datadog-parent-id": "456\u001c", "x-datadog-sampling-priority": "\u001c1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc fs", ["tracecontext"], {"traceparent": "\u001c00-0000000000000000000000000000007b-00000000000001c8-01\u001c", "tracestate": "\u001cdd=s:2\u001c,\u001cfoo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m fs", ["b3multi"], {"x-b3-traceid": "\u001c7b", "x-b3-spanid": "1c8\u001c", "x-b3-sampled": "1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s fs", ["b3"], {"b3": "\u001c7b-1c8\u001c"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["bg fs", ["baggage"], {"baggage": "\u001ca\u001c=\u001c1\u001c"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd us", ["datadog"], {"x-datadog-trace-id": "\u001f123\u001f", "x-datadog-parent-id": "456\u001f", "x-datadog-sampling-priority": "\u001f1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc us", ["tracecontext"], {"traceparent": "\u001f00-0000000000000000000000000000007b-00000000000001c8-01\u001f", "tracestate": "\u001fdd=s:2\u001f,\u001ffoo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m us", ["b3multi"], {"x-b3-traceid": "\u001f7b", "x-b3-spanid": "1c8\u001f", "x-b3-sampled": "1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["b3s us", ["b3"], {"b3": "\u001f7b-1c8\u001f"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["bg us", ["baggage"], {"baggage": "\u001fa\u001f=\u001f1\u001f"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd vt", ["datadog"], {"x-datadog-trace-id": "\u000b123\u000b", "x-datadog-parent-id": "456\u000b", "x-datadog-sampling-priority": "\u000b1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc vt", ["tracecontext"], {"traceparent": "\u000b00-0000000000000000000000000000007b-00000000000001c8-01\u000b", "tracestate": "\u000bdd=s:2\u000b,\u000bfoo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m vt", ["b3multi"], {"x-b3-traceid": "\u000b7b", "x-b3-spanid": "1c8\u000b", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s vt", ["b3"], {"b3": "\u000b7b-1c8\u000b"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg vt", ["baggage"], {"baggage": "\u000ba\u000b=\u000b1\u000b"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd nel", ["datadog"], {"x-datadog-trace-id": "\u0085123\u0085", "x-datadog-parent-id": "456\u0085", "x-datadog-sampling-priority": "\u00851"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc nel", ["tracecontext"], {"traceparent": "\u008500-0000000000000000000000000000007b-00000000000001c8-01\u0085", "tracestate": "\u0085dd=s:2\u0085,\u0085foo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m nel", ["b3multi"], {"x-b3-traceid": "\u00857b", "x-b3-spanid": "1c8\u0085", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s nel", ["b3"], {"b3": "\u00857b-1c8\u0085"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg nel", ["baggage"], {"baggage": "\u0085a\u0085=\u00851\u0085"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd nbsp", ["datadog"], {"x-datadog-trace-id": "\u00a0123\u00a0", "x-datadog-parent-id": "456\u00a0", "x-datadog-sampling-priority": "\u00a01"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc nbsp", ["tracecontext"], {"traceparent": "\u00a000-0000000000000000000000000000007b-00000000000001c8-01\u00a0", "tracestate": "\u00a0dd=s:2\u00a0,\u00a0foo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m nbsp", ["b3multi"], {"x-b3-traceid": "\u00a07b", "x-b3-spanid": "1c8\u00a0", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s nbsp", ["b3"], {"b3": "\u00a07b-1c8\u00a0"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg nbsp", ["baggage"], {"baggage": "\u00a0a\u00a0=\u00a01\u00a0"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd ff", ["datadog"], {"x-datadog-trace-id": "\f123\f", "x-datadog-parent-id": "456\f", "x-datadog-sampling-priority": "\f1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc ff", ["tracecontext"], {"traceparent": "\f00-0000000000000000000000000000007b-00000000000001c8-01\f", "tracestate": "\fdd=s:2\f,\ffoo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m ff", ["b3multi"], {"x-b3-traceid": "\f7b", "x-b3-spanid": "1c8\f", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s ff", ["b3"], {"b3": "\f7b-1c8\f"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg ff", ["baggage"], {"baggage": "\fa\f=\f1\f"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd cr", ["datadog"], {"x-datadog-trace-id": "\r123\r", "x-datadog-parent-id": "456\r", "x-datadog-sampling-priority": "\r1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc cr", ["tracecontext"], {"traceparent": "\r00-0000000000000000000000000000007b-00000000000001c8-01\r", "tracestate": "\rdd=s:2\r,\rfoo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m cr", ["b3multi"], {"x-b3-traceid": "\r7b", "x-b3-spanid": "1c8\r", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s cr", ["b3"], {"b3": "\r7b-1c8\r"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg cr", ["baggage"], {"baggage": "\ra\r=\r1\r"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["dd em", ["datadog"], {"x-datadog-trace-id": "\u2003123\u2003", "x-datadog-parent-id": "456\u2003", "x-datadog-sampling-priority": "\u20031"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["tc em", ["tracecontext"], {"traceparent": "\u200300-0000000000000000000000000000007b-00000000000001c8-01\u2003", "tracestate": "\u2003dd=s:2\u2003,\u2003foo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["b3m em", ["b3multi"], {"x-b3-traceid": "\u20037b", "x-b3-spanid": "1c8\u2003", "x-b3-sampled": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s em", ["b3"], {"b3": "\u20037b-1c8\u2003"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["bg em", ["baggage"], {"baggage": "\u2003a\u2003=\u20031\u2003"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
];
/// Header-name spellings (CGI `HTTP_X_...`, upper and mixed case) and zero or missing ids, style by style, with what ddtrace 4.16.0 extracted. Python keeps a context whose span id is 0 (`None`) or whose trace id is 0 when it carries a priority (b3); a span started from it gets a new trace id and no parent.
const CARRIER_AND_ZERO_CASES: &[(&str, &str)] = &[
    (
        r#"["cgi dd", ["datadog"], {"HTTP_X_DATADOG_TRACE_ID": "123", "HTTP_X_DATADOG_PARENT_ID": "456", "HTTP_X_DATADOG_SAMPLING_PRIORITY": "2", "HTTP_X_DATADOG_ORIGIN": "rum", "HTTP_X_DATADOG_TAGS": "_dd.p.dm=-4"}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["_dd.p.dm", "-4"]], [], []]"#,
    ),
    (
        r#"["cgi dd lower", ["datadog"], {"http_x_datadog_trace_id": "123", "http_x_datadog_parent_id": "456"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["underscore dd", ["datadog"], {"X_DATADOG_TRACE_ID": "123", "X_DATADOG_PARENT_ID": "456"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["upper dd", ["datadog"], {"X-DATADOG-TRACE-ID": "123", "X-DATADOG-PARENT-ID": "456"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["mixed dd", ["datadog"], {"X-Datadog-Trace-Id": "123", "x-datadog-parent-id": "456"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["http- dd", ["datadog"], {"HTTP-X-DATADOG-TRACE-ID": "123", "HTTP-X-DATADOG-PARENT-ID": "456"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["cgi tc", ["tracecontext"], {"HTTP_TRACEPARENT": "00-0000000000000000000000000000007b-00000000000001c8-01", "HTTP_TRACESTATE": "dd=s:2,foo=bar"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,foo=bar"]], [], []]"#,
    ),
    (
        r#"["cgi b3m", ["b3multi"], {"HTTP_X_B3_TRACEID": "7b", "HTTP_X_B3_SPANID": "1c8", "HTTP_X_B3_SAMPLED": "1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["cgi b3", ["b3"], {"HTTP_B3": "7b-1c8-1"}]"#,
        r#"["123", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["cgi baggage", ["baggage"], {"HTTP_BAGGAGE": "a=1"}]"#,
        r#"["0", "0", null, null, [], [["a", "1"]], []]"#,
    ),
    (
        r#"["cgi both", ["datadog"], {"HTTP_X_DATADOG_TRACE_ID": "123", "x-datadog-trace-id": "124", "x-datadog-parent-id": "456"}]"#,
        r#"["124", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["dd parent 0", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "0", "x-datadog-sampling-priority": "1"}]"#,
        r#"["123", "0", 1, null, [], [], []]"#,
    ),
    (
        r#"["dd parent missing", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-sampling-priority": "1"}]"#,
        r#"["123", "0", 1, null, [], [], []]"#,
    ),
    (
        r#"["dd trace 0", ["datadog"], {"x-datadog-trace-id": "0", "x-datadog-parent-id": "456", "x-datadog-sampling-priority": "1"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["dd trace 0 tid", ["datadog"], {"x-datadog-trace-id": "0", "x-datadog-parent-id": "456", "x-datadog-tags": "_dd.p.tid=0000000000000001"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["dd parent -1", ["datadog"], {"x-datadog-trace-id": "123", "x-datadog-parent-id": "-1"}]"#,
        r#"["123", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["dd trace 0 +tc", ["datadog", "tracecontext", "baggage"], {"x-datadog-trace-id": "0", "x-datadog-parent-id": "456", "traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"]], [], []]"#,
    ),
    (
        r#"["tc zero trace", ["tracecontext"], {"traceparent": "00-00000000000000000000000000000000-00000000000001c8-01"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc zero span", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-0000000000000000-01"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc zero both", ["tracecontext"], {"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"}]"#,
        r#"["0", "0", null, null, [], [], []]"#,
    ),
    (
        r#"["tc zero span +dd", ["datadog", "tracecontext", "baggage"], {"traceparent": "00-0000000000000000000000000000007b-0000000000000000-01", "x-datadog-trace-id": "123", "x-datadog-parent-id": "456"}]"#,
        r#"["123", "456", null, null, [], [], []]"#,
    ),
    (
        r#"["b3m zero", ["b3multi"], {"x-b3-traceid": "0", "x-b3-spanid": "1c8", "x-b3-sampled": "1"}]"#,
        r#"["0", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3m zero span", ["b3multi"], {"x-b3-traceid": "7b", "x-b3-spanid": "0", "x-b3-sampled": "1"}]"#,
        r#"["123", "0", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s zero", ["b3"], {"b3": "0-1c8-1"}]"#,
        r#"["0", "456", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s zero span", ["b3"], {"b3": "7b-0-1"}]"#,
        r#"["123", "0", 1, null, [], [], []]"#,
    ),
    (
        r#"["b3s sampled only", ["b3"], {"b3": "1"}]"#,
        r#"["0", "0", 1, null, [], [], []]"#,
    ),
    (
        r#"["dd ts p zero", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=p:0000000000000000;s:1"}]"#,
        r#"["123", "456", 1, null, [["_dd.parent_id", "0000000000000000"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=p:0000000000000000;s:1"]], [], []]"#,
    ),
];

/// Python, `x-datadog-parent-id: 18446744073709551616` (2^64) with a `traceparent` of the same
/// trace: the W3C parent wins and `_dd.parent_id` is the full hex `10000000000000000`;
/// injecting that context writes `tracestate: dd=p:10000000000000000;s:1`. Alone, a span
/// started from it has no parent and keeps trace 123 (`span.parent_id` is `None`).
#[test]
fn parent_id_beyond_64_bits_as_in_python() {
    let tp = "00-0000000000000000000000000000007b-00000000000001c8-01";
    for (parent, hex) in [
        ("18446744073709551616", "10000000000000000"),
        ("36893488147419103232", "20000000000000000"),
        ("18446744073709551615", "ffffffffffffffff"),
    ] {
        let headers: HashMap<String, String> = [
            ("x-datadog-trace-id", "123"),
            ("x-datadog-parent-id", parent),
            ("x-datadog-sampling-priority", "1"),
            ("traceparent", tp),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let propagator = Propagator::builder()
            .extract_styles([PropagationStyle::Datadog, PropagationStyle::TraceContext])
            .inject_styles([PropagationStyle::Datadog, PropagationStyle::TraceContext])
            .build();
        let mut ctx = propagator.extract(&headers).expect("a context");
        assert_eq!((ctx.trace_id.0, ctx.span_id.0), (123, 456), "{parent}");
        assert_eq!(ctx.root_tag("_dd.parent_id"), Some(hex), "{parent}");
        let mut out = HashMap::new();
        propagator.inject_context(&mut ctx, &mut out);
        assert_eq!(out["x-datadog-parent-id"], "456");
        assert_eq!(out["traceparent"], tp);
        assert_eq!(out["tracestate"], format!("dd=p:{hex};s:1"), "{parent}");
    }

    let (tracer, exporter) = tracer_from_env(&[]);
    let headers: HashMap<String, String> = [
        ("x-datadog-trace-id", "123"),
        ("x-datadog-parent-id", "18446744073709551616"),
        ("x-datadog-sampling-priority", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ctx = Propagator::builder()
        .extract_styles([PropagationStyle::Datadog])
        .build()
        .extract(&headers);
    let span = tracer.trace("op").child_of_opt(ctx).start();
    span.finish();
    let span = only_root(&exporter);
    assert_eq!((span.trace_id.0, span.parent_id.0), (123, 0));
    assert_eq!(span.metric("_sampling_priority_v1"), Some(1.0));
}

/// Python raises (`f"{None:016x}"`) on `x-datadog-parent-id: 0` beside a `traceparent` of the
/// same trace and returns an empty context; this tracer keeps the W3C parent instead (a
/// divergence the README documents).
#[test]
fn datadog_parent_zero_beside_traceparent_keeps_the_w3c_parent() {
    let headers: HashMap<String, String> = [
        ("x-datadog-trace-id", "123"),
        ("x-datadog-parent-id", "0"),
        (
            "traceparent",
            "00-0000000000000000000000000000007b-00000000000001c8-01",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ctx = Propagator::builder()
        .extract_styles([PropagationStyle::Datadog, PropagationStyle::TraceContext])
        .build()
        .extract(&headers)
        .expect("a context");
    assert_eq!((ctx.trace_id.0, ctx.span_id.0), (123, 456));
    assert_eq!(ctx.root_tag("_dd.parent_id"), Some("0000000000000000"));
}

#[test]
fn tracestate_ot_member_is_extracted_as_in_python() {
    check_extraction(OT_MEMBER_CASES);
}

#[test]
fn tracestate_ot_member_is_injected_as_in_python() {
    let tp = "00-0000000000000000000000000000007b-00000000000001c8-01";
    for (ts, styles, expected) in OT_INJECT_CASES {
        let headers: HashMap<String, String> = [
            ("traceparent", tp),
            ("tracestate", ts),
            ("x-datadog-trace-id", "123"),
            ("x-datadog-parent-id", "789"),
            ("x-datadog-sampling-priority", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let styles: Vec<PropagationStyle> = styles.iter().map(|s| s.parse().unwrap()).collect();
        let propagator = Propagator::builder()
            .extract_styles(styles)
            .inject_styles([PropagationStyle::TraceContext])
            .build();
        let mut ctx = propagator.extract(&headers).expect("a context");
        let mut out = HashMap::new();
        propagator.inject_context(&mut ctx, &mut out);
        assert_eq!(out["tracestate"], *expected, "{ts}");
    }
}

/// The tracestate `ot=` member, as ddtrace 4.16.0 extracted it: the last `dd=` and the last `ot=` member go first, in that order; in `ot=`, the last `rv` (14 lowercase hex) and `th` (1-14) count, malformed ones are dropped, `rv` and `th` go first; an `ot=` left empty goes.
const OT_MEMBER_CASES: &[(&str, &str)] = &[
    (
        r#"["ot th:8;rv:abc", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;rv:abc"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ot rv:abc", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=rv:abc"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:8;rv:0123456789abcd", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;rv:0123456789abcd"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=rv:0123456789abcd;th:8"]], [], []]"#,
    ),
    (
        r#"["ot rv:0123456789abcd", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=rv:0123456789abcd"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=rv:0123456789abcd"]], [], []]"#,
    ),
    (
        r#"["ot th:0", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:0"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:0"]], [], []]"#,
    ),
    (
        r#"["ot th:", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:8g", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8g"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:08", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:08"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:08"]], [], []]"#,
    ),
    (
        r#"["ot th:123456789abcdef", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:123456789abcdef"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:123456789abcde", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:123456789abcde"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:123456789abcde"]], [], []]"#,
    ),
    (
        r#"["ot th:8;x:1", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;x:1"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8;x:1"]], [], []]"#,
    ),
    (
        r#"["ot x:1", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x:1"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=x:1"]], [], []]"#,
    ),
    (
        r#"["ot p:8;r:62", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=p:8;r:62"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=p:8;r:62"]], [], []]"#,
    ),
    (
        r#"["ot th:8;th:4", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;th:4"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:4"]], [], []]"#,
    ),
    (
        r#"["ot TH:8", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=TH:8"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=TH:8"]], [], []]"#,
    ),
    (
        r#"["ot th:A", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:A"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:8;rv:0123456789ABCD", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;rv:0123456789ABCD"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ot ", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot="}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1"]], [], []]"#,
    ),
    (
        r#"["ot th:8;;", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;;"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ot a:1;th:8;b:2;rv:00000000000000", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=a:1;th:8;b:2;rv:00000000000000"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=rv:00000000000000;th:8;a:1;b:2"]], [], []]"#,
    ),
    (
        r#"["ot th:8 ;rv:0123456789abcd", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8 ;rv:0123456789abcd"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=rv:0123456789abcd"]], [], []]"#,
    ),
    (
        r#"["ot x", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=x"]], [], []]"#,
    ),
    (
        r#"["ot x:", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x:"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=x:"]], [], []]"#,
    ),
    (
        r#"["ot x:1:2", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x:1:2"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=x:1:2"]], [], []]"#,
    ),
    (
        r#"["ot :1", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=:1"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=:1"]], [], []]"#,
    ),
    (
        r#"["ot th:8;x", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;x"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8;x"]], [], []]"#,
    ),
    (
        r#"["ot rv:0123456789abcd;rv:00000000000001", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=rv:0123456789abcd;rv:00000000000001"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=rv:00000000000001"]], [], []]"#,
    ),
    (
        r#"["ot th:8;x:a=b", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;x:a=b"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8;x:a=b"]], [], []]"#,
    ),
    (
        r#"["ot th:8;x:a,b", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=th:8;x:a,b"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8;x:a,b"]], [], []]"#,
    ),
    (
        r#"["ts ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar"}]"#,
        r#"["123", "456", 2, "rum", [["_dd.origin", "rum"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o:rum,ot=th:8,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts+dd ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;o:rum,ot=th:8,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts dd=s:2,ot=th:8", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:2,ot=th:8"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts+dd dd=s:2,ot=th:8", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:2,ot=th:8", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts foo=bar,ot=p:8;r:62,dd=s:1", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=p:8;r:62,dd=s:1"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=p:8;r:62,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts+dd foo=bar,ot=p:8;r:62,dd=s:1", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=p:8;r:62,dd=s:1", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=p:8;r:62,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts ot=th:8", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts+dd ot=th:8", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts  ot=th:8 , dd=s:1 ", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": " ot=th:8 , dd=s:1 "}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts+dd  ot=th:8 , dd=s:1 ", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": " ot=th:8 , dd=s:1 ", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts ot=a,ot=b,dd=s:1", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=a,ot=b,dd=s:1"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=b"]], [], []]"#,
    ),
    (
        r#"["ts+dd ot=a,ot=b,dd=s:1", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=a,ot=b,dd=s:1", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:1,ot=b"]], [], []]"#,
    ),
    (
        r#"["ts dd=s:1,ot=x,dd=s:2", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x,dd=s:2"}]"#,
        r#"["123", "456", 2, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,ot=x"]], [], []]"#,
    ),
    (
        r#"["ts+dd dd=s:1,ot=x,dd=s:2", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "dd=s:1,ot=x,dd=s:2", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2,ot=x"]], [], []]"#,
    ),
    (
        r#"["ts foo=bar,ot=th:8", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=th:8"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts+dd foo=bar,ot=th:8", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=th:8", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8,foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts foo=bar,ot=rv:abc", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=rv:abc"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts+dd foo=bar,ot=rv:abc", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "foo=bar,ot=rv:abc", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "foo=bar"]], [], []]"#,
    ),
    (
        r#"["ts a=1,b=2,ot=th:8,c=3", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "a=1,b=2,ot=th:8,c=3"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8,a=1,b=2,c=3"]], [], []]"#,
    ),
    (
        r#"["ts+dd a=1,b=2,ot=th:8,c=3", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "a=1,b=2,ot=th:8,c=3", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8,a=1,b=2,c=3"]], [], []]"#,
    ),
    (
        r#"["ts ot=th:8,ot=rv:abc", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8,ot=rv:abc"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"]], [], []]"#,
    ),
    (
        r#"["ts+dd ot=th:8,ot=rv:abc", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=th:8,ot=rv:abc", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"]], [], []]"#,
    ),
    (
        r#"["ts ot=rv:abc,ot=th:8", ["tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=rv:abc,ot=th:8"}]"#,
        r#"["123", "456", 1, null, [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8"]], [], []]"#,
    ),
    (
        r#"["ts+dd ot=rv:abc,ot=th:8", ["datadog", "tracecontext"], {"traceparent": "00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": "ot=rv:abc,ot=th:8", "x-datadog-trace-id": "123", "x-datadog-parent-id": "789", "x-datadog-sampling-priority": "2"}]"#,
        r#"["123", "456", 2, null, [["_dd.parent_id", "0000000000000315"], ["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "ot=th:8"]], [], []]"#,
    ),
];
/// Injecting the extracted context again (`HTTPPropagator.inject(ctx, headers)`, tracecontext
/// style) in ddtrace 4.16.0: incoming tracestate, extraction styles, outgoing tracestate.
const OT_INJECT_CASES: &[(&str, &[&str], &str)] = &[
    (
        "ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar",
        &["tracecontext"],
        "dd=s:2;o:rum,ot=th:8,foo=bar",
    ),
    (
        "ot=th:8;rv:abc,dd=s:2;o:rum,foo=bar",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=th:8,foo=bar",
    ),
    ("dd=s:2,ot=th:8", &["tracecontext"], "dd=s:2,ot=th:8"),
    (
        "dd=s:2,ot=th:8",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=th:8",
    ),
    (
        "foo=bar,ot=p:8;r:62,dd=s:1",
        &["tracecontext"],
        "dd=s:1,ot=p:8;r:62,foo=bar",
    ),
    (
        "foo=bar,ot=p:8;r:62,dd=s:1",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=p:8;r:62,foo=bar",
    ),
    ("ot=th:8", &["tracecontext"], "dd=s:1,ot=th:8"),
    (
        "ot=th:8",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=th:8",
    ),
    (" ot=th:8 , dd=s:1 ", &["tracecontext"], "dd=s:1,ot=th:8"),
    (
        " ot=th:8 , dd=s:1 ",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=th:8",
    ),
    ("ot=a,ot=b,dd=s:1", &["tracecontext"], "dd=s:1,ot=b"),
    (
        "ot=a,ot=b,dd=s:1",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=b",
    ),
    ("dd=s:1,ot=x,dd=s:2", &["tracecontext"], "dd=s:2,ot=x"),
    (
        "dd=s:1,ot=x,dd=s:2",
        &["datadog", "tracecontext"],
        "dd=p:0000000000000315;s:2,ot=x",
    ),
];
