//! When the sampling decision is taken and what it writes, through the public API: late rule
//! matching, injection, extracted priorities, manual keep/drop, the rate limiter, agent rates,
//! `discard` rules, single-span rules from a file, and the `DD_TRACE_SAMPLE_RATE` warning.

mod support;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ddtrace_core::sampling::SamplingPriority;
use ddtrace_core::{SpanContext, SpanData, SpanId, TraceId};
use support::{only_root, tracer_from_env};

fn priority(span: &SpanData) -> Option<f64> {
    span.metric("_sampling_priority_v1")
}

const DROP_HEALTH: &str = r#"[{"resource": "GET /health*", "sample_rate": 0}]"#;

#[test]
fn rules_see_the_root_as_it_finishes() {
    let (tracer, exporter) = tracer_from_env(&[("DD_TRACE_SAMPLING_RULES", DROP_HEALTH)]);
    let root = tracer.trace("http.request").start();
    root.set_resource("GET /healthz"); // known only once routing is done
    root.finish();
    let root = only_root(&exporter);
    assert_eq!(priority(&root), Some(-1.0));
    assert_eq!(root.meta("_dd.p.dm"), Some("-3"));
    assert_eq!(root.meta("_dd.p.ksr"), Some("0"));
    assert_eq!(root.metric("_dd.rule_psr"), Some(0.0));
    assert_eq!(root.metric("_dd.limit_psr"), None); // only kept traces meet the limiter
}

#[test]
fn injection_decides_first_and_the_decision_sticks() {
    let (tracer, exporter) = tracer_from_env(&[("DD_TRACE_SAMPLING_RULES", DROP_HEALTH)]);
    let root = tracer.trace("http.request").resource("GET /").start();
    let injected = root.context();
    assert_eq!(
        injected.sampling_priority,
        Some(SamplingPriority::AUTO_KEEP)
    );
    root.set_resource("GET /healthz");
    assert_eq!(root.decided_priority(), Some(SamplingPriority::AUTO_KEEP));
    root.finish();
    assert_eq!(priority(&only_root(&exporter)), Some(1.0));
}

#[test]
fn an_extracted_priority_is_kept() {
    let (tracer, exporter) =
        tracer_from_env(&[("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 0}]"#)]);
    let mut parent = SpanContext::new(TraceId(99), SpanId(7));
    parent.sampling_priority = Some(SamplingPriority::USER_KEEP);
    parent.trace_tags = vec![("_dd.p.dm".into(), "-4".into())];
    tracer.trace("rpc").child_of(parent).start().finish();
    let root = only_root(&exporter);
    assert_eq!(priority(&root), Some(2.0));
    assert_eq!(root.meta("_dd.p.dm"), Some("-4"));
    assert_eq!(root.metric("_dd.rule_psr"), None);
    assert_eq!(root.meta("_dd.p.ksr"), None);
}

#[test]
fn manual_keep_after_the_decision_removes_the_rule_tags() {
    let (tracer, exporter) =
        tracer_from_env(&[("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 0}]"#)]);
    let root = tracer.trace("job").start();
    assert_eq!(
        root.sampling_priority(),
        Some(SamplingPriority::USER_REJECT)
    );
    root.set_tag("manual.keep", true);
    root.finish();
    let root = only_root(&exporter);
    assert_eq!(priority(&root), Some(2.0));
    assert_eq!(root.meta("_dd.p.dm"), Some("-4"));
    for tag in ["_dd.rule_psr", "_dd.limit_psr", "_dd.agent_psr"] {
        assert_eq!(root.metric(tag), None, "{tag}");
    }
    assert_eq!(root.meta("_dd.p.ksr"), None);
}

#[test]
fn drop_trace_beats_a_keeping_agent_rate() {
    let (tracer, exporter) = tracer_from_env(&[]);
    tracer
        .agent_rates()
        .update(HashMap::from([("service:svc,env:test".to_owned(), 1.0)]));
    let root = tracer.trace("job").start();
    root.drop_trace();
    root.finish();
    let root = only_root(&exporter);
    assert_eq!(priority(&root), Some(-1.0));
    assert_eq!(root.metric("_dd.agent_psr"), None);
}

#[test]
fn agent_rates_apply_when_no_rule_matches() {
    let (tracer, exporter) = tracer_from_env(&[(
        "DD_TRACE_SAMPLING_RULES",
        r#"[{"service": "other", "sample_rate": 1}]"#,
    )]);
    tracer
        .agent_rates()
        .update(HashMap::from([("service:svc,env:test".to_owned(), 0.0)]));
    tracer
        .trace("job")
        .child_of(SpanContext::new(TraceId(5), SpanId(1)))
        .start()
        .finish();
    let root = only_root(&exporter);
    assert_eq!(priority(&root), Some(0.0));
    assert_eq!(root.meta("_dd.p.dm"), Some("-1"));
    assert_eq!(root.meta("_dd.p.ksr"), Some("0"));
    assert_eq!(root.metric("_dd.agent_psr"), Some(0.0));
    assert_eq!(root.metric("_dd.limit_psr"), None); // the limiter is for rules only
}

#[test]
fn the_rate_limiter_caps_rule_kept_traces() {
    let (tracer, exporter) = tracer_from_env(&[
        ("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 1}]"#),
        ("DD_TRACE_RATE_LIMIT", "2"),
    ]);
    for _ in 0..3 {
        tracer.trace("job").start().finish();
    }
    let roots: Vec<SpanData> = exporter
        .chunks()
        .into_iter()
        .map(|c| c.spans[0].clone())
        .collect();
    let priorities: Vec<_> = roots.iter().map(priority).collect();
    // Three traces within a second (a slow machine could see a token come back: then 2, 2, 2).
    assert!(
        priorities == [Some(2.0), Some(2.0), Some(-1.0)]
            || priorities == [Some(2.0), Some(2.0), Some(2.0)],
        "{priorities:?}"
    );
    assert_eq!(roots[0].metric("_dd.limit_psr"), Some(1.0));
    if priorities[2] == Some(-1.0) {
        let psr = roots[2].metric("_dd.limit_psr").unwrap_or(f64::NAN);
        assert!((psr - 2.0 / 3.0).abs() < 1e-9, "{psr}");
        assert_eq!(roots[2].meta("_dd.p.dm"), Some("-3"));
    }
}

#[test]
fn discard_rules_drop_every_chunk_of_rejected_traces() {
    let (tracer, exporter) = tracer_from_env(&[
        (
            "DD_TRACE_SAMPLING_RULES",
            r#"[{"name": "noisy", "sample_rate": 0, "discard": true}]"#,
        ),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "2"),
    ]);
    let root = tracer.trace("noisy").start();
    for _ in 0..4 {
        tracer.trace("child").start().finish();
    }
    root.finish();
    assert!(exporter.chunks().is_empty(), "{:?}", exporter.chunks());
    tracer.trace("quiet").start().finish();
    assert_eq!(exporter.chunks().len(), 1);
}

#[test]
fn single_span_rules_from_a_file_keep_spans_of_dropped_traces() {
    let path = std::env::temp_dir().join(format!("ddtrace-span-rules-{}.json", std::process::id()));
    std::fs::write(&path, r#"[{"service": "db", "max_per_second": 5}]"#)
        .unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    let file = path.to_string_lossy().into_owned();
    let (tracer, exporter) = tracer_from_env(&[
        ("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 0}]"#),
        ("DD_SPAN_SAMPLING_RULES_FILE", &file),
    ]);
    let root = tracer.trace("web").start();
    tracer.trace("query").service("db").start().finish();
    root.finish();
    let _ = std::fs::remove_file(&path);
    let spans = exporter.spans();
    let query = spans
        .iter()
        .find(|s| s.name == "query")
        .unwrap_or_else(|| panic!("{spans:?}"));
    assert_eq!(query.metric("_dd.span_sampling.mechanism"), Some(8.0));
    assert_eq!(query.metric("_dd.span_sampling.rule_rate"), Some(1.0));
    assert_eq!(query.metric("_dd.span_sampling.max_per_second"), Some(5.0));
    let web = spans.iter().find(|s| s.name == "web");
    assert_eq!(
        web.and_then(|s| s.metric("_dd.span_sampling.mechanism")),
        None
    );
}

#[test]
fn the_environment_wins_over_the_rules_file() {
    let path = std::env::temp_dir().join(format!(
        "ddtrace-span-rules-both-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, r#"[{"name": "file-rule"}]"#)
        .unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    let file = path.to_string_lossy().into_owned();
    let (tracer, exporter) = tracer_from_env(&[
        ("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 0}]"#),
        ("DD_SPAN_SAMPLING_RULES", r#"[{"name": "env-rule"}]"#),
        ("DD_SPAN_SAMPLING_RULES_FILE", &file),
    ]);
    let _ = std::fs::remove_file(&path);
    tracer.trace("env-rule").start().finish();
    tracer.trace("file-rule").start().finish();
    let spans = exporter.spans();
    let mechanism = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.metric("_dd.span_sampling.mechanism"))
    };
    assert_eq!(mechanism("env-rule"), Some(8.0));
    assert_eq!(mechanism("file-rule"), None);
}

#[test]
fn an_unreadable_rules_file_is_reported_and_ignored() {
    captured();
    let (tracer, exporter) = tracer_from_env(&[
        ("DD_TRACE_SAMPLING_RULES", r#"[{"sample_rate": 0}]"#),
        (
            "DD_SPAN_SAMPLING_RULES_FILE",
            "/nonexistent/ddtrace-rules.json",
        ),
    ]);
    tracer.trace("job").start().finish();
    assert_eq!(priority(&only_root(&exporter)), Some(-1.0));
    let warnings = logged("/nonexistent/ddtrace-rules.json");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, log::Level::Warn);
}

/// Collects log records so the warnings can be checked.
struct Capture(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut records) = self.0.lock() {
            records.push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn captured() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(capture);
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

fn logged(needle: &str) -> Vec<(log::Level, String)> {
    captured()
        .0
        .lock()
        .map(|records| {
            records
                .iter()
                .filter(|(_, m)| m.contains(needle))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sample_rate_has_no_effect_and_says_which_rule_would() {
    captured();
    let (tracer, exporter) = tracer_from_env(&[
        ("DD_TRACE_SAMPLE_RATE", "0.25"),
        (
            "DD_TRACE_SAMPLING_RULES",
            r#"[{"service": "x", "sample_rate": 1}]"#,
        ),
    ]);
    tracer.trace("job").start().finish();
    assert_eq!(priority(&only_root(&exporter)), Some(1.0));
    let warnings = logged("DD_TRACE_SAMPLE_RATE=0.25");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, log::Level::Warn);
    assert!(
        warnings[0].1.contains(
            r#"DD_TRACE_SAMPLING_RULES='[{"sample_rate":1,"service":"x"},{"sample_rate":0.25}]'"#
        ),
        "{}",
        warnings[0].1
    );
}

#[test]
fn bad_rules_are_logged_as_errors_and_the_tracer_still_works() {
    captured();
    let (tracer, exporter) = tracer_from_env(&[(
        "DD_TRACE_SAMPLING_RULES",
        r#"[{"service": "svc", "sample_rate": 0, "unexpected_key": 1}]"#,
    )]);
    tracer.trace("job").start().finish();
    assert_eq!(priority(&only_root(&exporter)), Some(1.0));
    let errors = logged("unexpected_key");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, log::Level::Error);
}
