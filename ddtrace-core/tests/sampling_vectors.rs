//! Replays the sampling test vectors recorded from the Python tracer (ddtrace 4.16):
//! `sampling_rules.json`, `sampling_knuth.json`, `glob_match.json`, `span_sampling.json`.
//!
//! The JSON is read at test time from `DDTRACE_VECTORS_DIR` when it is set, else from
//! `../shared/vectors` beside the workspace. Every case goes through the public
//! API as an application would use it: a tracer built with `Config::from_lookup` over the case's
//! environment and an `InMemoryExporter`, a local root started under a remote parent carrying
//! the case's trace id and no priority, tagged, finished, and the exported chunk compared with
//! what the Python tracer produced. Each test counts the cases it checked and fails if any was
//! skipped or differs.

use std::collections::HashMap;

use ddtrace_core::export::{InMemoryExporter, TraceChunk};
use ddtrace_core::sampling::{
    GlobMatcher, SamplingPriority, SamplingRule, SpanSampler, keeps, parse_sampling_rules,
};
use ddtrace_core::{Config, SpanContext, SpanData, SpanId, TraceId, Tracer};
use serde_json::Value;

macro_rules! vectors {
    ($file:literal) => {
        load(&vectors_dir(), $file)
    };
}

/// The folder of the recorded vectors: `DDTRACE_VECTORS_DIR` when set (a relative path is
/// taken from the workspace root), else `../shared/vectors` beside the workspace.
fn vectors_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::env::var_os("DDTRACE_VECTORS_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("../shared/vectors"),
    }
}

/// The cases of `name` in `dir`; a file that is missing, unreadable or has no case fails the
/// test and names the file.
fn load(dir: &std::path::Path, name: &str) -> Vec<Value> {
    let path = dir.join(name).display().to_string();
    let path = path.as_str();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"));
    assert_eq!(doc["ddtrace_version"], "4.16.0", "{path}");
    match &doc["cases"] {
        Value::Array(cases) if !cases.is_empty() => cases.clone(),
        _ => panic!("{path} has no cases"),
    }
}

#[test]
#[should_panic(expected = "sampling_rules.json")]
fn a_missing_vector_file_fails_and_names_it() {
    load(
        std::path::Path::new("/nonexistent-vectors"),
        "sampling_rules.json",
    );
}

/// The generator ran every group with these on top of the case's own variables.
const BASE_ENV: [(&str, &str); 2] = [("DD_SERVICE", "vec-svc"), ("DD_ENV", "test")];

fn tracer_for(env: &Value) -> (Tracer, InMemoryExporter) {
    let mut vars: HashMap<String, String> = BASE_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Value::Object(env) = env {
        for (k, v) in env {
            vars.insert(k.clone(), str_of(v).to_owned());
        }
    }
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(Config::from_lookup(|k| vars.get(k).cloned()))
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

fn str_of(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn trace_id(v: &Value) -> TraceId {
    let s = str_of(v);
    TraceId(s.parse().unwrap_or_else(|e| panic!("trace id {s:?}: {e}")))
}

/// The remote parent: the case's trace id, no sampling decision.
fn remote_parent(case: &Value) -> SpanContext {
    SpanContext::new(trace_id(&case["trace_id"]), SpanId(0x5eed))
}

fn only_chunk(exporter: &InMemoryExporter) -> Result<TraceChunk, String> {
    let mut chunks = exporter.chunks();
    if chunks.len() != 1 {
        return Err(format!("expected one chunk, got {}", chunks.len()));
    }
    Ok(chunks.remove(0))
}

/// Prints failures and fails if there is any; also fails if fewer cases were checked than the
/// file holds.
fn report(file: &str, total: usize, checked: usize, failures: &[String]) {
    for f in failures {
        eprintln!("{file}: {f}");
    }
    eprintln!(
        "{file}: {checked}/{total} cases checked, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} case(s) of {file} differ",
        failures.len()
    );
    assert_eq!(checked, total, "{file}: every case must be checked");
}

// --- sampling_rules.json -------------------------------------------------------------------

/// The sampling tags the vectors record; any of them not in `expected` must be absent.
const SAMPLING_META: [&str; 2] = ["_dd.p.dm", "_dd.p.ksr"];
const SAMPLING_METRICS: [&str; 4] = [
    "_dd.rule_psr",
    "_dd.limit_psr",
    "_dd.agent_psr",
    "_sampling_priority_v1",
];

fn run_rule_case(case: &Value) -> Result<TraceChunk, String> {
    let (tracer, exporter) = tracer_for(&case["env"]);
    let span = &case["span"];
    let root = tracer
        .trace(str_of(&span["name"]).to_owned())
        .service(str_of(&span["service"]).to_owned())
        .resource(str_of(&span["resource"]).to_owned())
        .child_of(remote_parent(case))
        .start();
    if let Value::Object(tags) = &span["tags"] {
        for (k, v) in tags {
            root.set_tag(k.clone(), str_of(v).to_owned());
        }
    }
    if let Value::Object(metrics) = &span["metrics"] {
        for (k, v) in metrics {
            // Python keeps ints and floats apart; so do the tag setters (`http.status_code`).
            match (v.as_i64(), v.as_f64()) {
                (Some(i), _) => root.set_tag(k.clone(), i),
                (None, Some(f)) => root.set_tag(k.clone(), f),
                _ => return Err(format!("metric {k} is not a number: {v}")),
            }
        }
    }
    root.finish();
    only_chunk(&exporter)
}

fn check_rule_case(case: &Value) -> Result<(), String> {
    let expected = &case["expected"];
    if let Some(error) = expected.get("tracer_init_error") {
        return check_init_error_case(case, error);
    }
    let chunk = run_rule_case(case)?;
    let root = &chunk.spans[0];
    let priority = expected["sampling_priority"]
        .as_i64()
        .ok_or("no expected priority")?;
    let mut diffs = Vec::new();
    if chunk.priority.map(|p| i64::from(p.0)) != Some(priority) {
        diffs.push(format!("priority {:?}, want {priority}", chunk.priority));
    }
    for key in SAMPLING_META {
        let want = expected["meta"].get(key).and_then(Value::as_str);
        if root.meta(key) != want {
            diffs.push(format!("meta {key} = {:?}, want {want:?}", root.meta(key)));
        }
    }
    for key in SAMPLING_METRICS {
        let want = expected["metrics"].get(key).and_then(Value::as_f64);
        if root.metric(key) != want {
            diffs.push(format!(
                "metric {key} = {:?}, want {want:?}",
                root.metric(key)
            ));
        }
    }
    let listed = expected["meta"]
        .as_object()
        .into_iter()
        .chain(expected["metrics"].as_object())
        .flat_map(|m| m.keys());
    for key in listed {
        if !SAMPLING_META.contains(&key.as_str()) && !SAMPLING_METRICS.contains(&key.as_str()) {
            diffs.push(format!("expected key {key} is not compared by this test"));
        }
    }
    let want_rules: Vec<&str> = expected["parsed_rules"]
        .as_array()
        .ok_or("no parsed_rules")?
        .iter()
        .map(str_of)
        .collect();
    let raw = case["sampling_rules"].as_str();
    let got_rules: Vec<String> = raw
        .map(|json| parse_sampling_rules(json).rules)
        .unwrap_or_default()
        .iter()
        .map(python_repr)
        .collect();
    if got_rules != want_rules {
        diffs.push(format!("parsed rules {got_rules:?}, want {want_rules:?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// Python cannot build its tracer with these rules. We deliberately do: the bad rules are
/// reported and ignored, so the trace takes the default decision.
fn check_init_error_case(case: &Value, error: &Value) -> Result<(), String> {
    let raw = case["sampling_rules"].as_str().ok_or("no rules")?;
    let parsed = parse_sampling_rules(raw);
    if parsed.errors.is_empty() || !parsed.rules.is_empty() {
        return Err(format!(
            "rules that fail Python's tracer ({error}) must all be reported and ignored: {parsed:?}"
        ));
    }
    let chunk = run_rule_case(case)?;
    let root = &chunk.spans[0];
    let default_keep = chunk.priority == Some(SamplingPriority::AUTO_KEEP)
        && root.meta("_dd.p.dm") == Some("-0")
        && root.meta("_dd.p.ksr").is_none()
        && root.metric("_dd.rule_psr").is_none();
    if default_keep {
        Ok(())
    } else {
        Err(format!(
            "expected the default decision, got {:?}",
            chunk.priority
        ))
    }
}

/// ddtrace's `repr` of a rule, to compare what both tracers kept of the JSON.
fn python_repr(rule: &SamplingRule) -> String {
    let glob =
        |p: Option<&str>| p.map_or("None".to_owned(), |p| format!("GlobMatcher(pattern={p})"));
    let tags: Vec<String> = rule
        .tag_patterns()
        .map(|(k, p)| format!("'{k}': GlobMatcher(pattern={p})"))
        .collect();
    let rate = rule.sample_rate();
    let rate = if rate.fract() == 0.0 {
        format!("{rate:.1}")
    } else {
        rate.to_string()
    };
    format!(
        "SamplingRule(sample_rate={rate}, service={}, name={}, resource={}, tags={{{}}}, \
         provenance={}, discard={})",
        glob(rule.service_pattern()),
        glob(rule.name_pattern()),
        glob(rule.resource_pattern()),
        tags.join(", "),
        rule.rule_provenance(),
        if rule.is_discard() { "True" } else { "False" },
    )
}

#[test]
fn sampling_rules_vectors() {
    let cases = vectors!("sampling_rules.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        checked += 1;
        if let Err(e) = check_rule_case(case) {
            failures.push(format!("{}: {e}", case["name"]));
        }
    }
    report("sampling_rules.json", cases.len(), checked, &failures);
}

// --- sampling_knuth.json -------------------------------------------------------------------

/// Through a tracer: a catch-all rule at the case's rate, or the agent's rate for the service.
fn knuth_through_tracer(
    case: &Value,
    rate: f64,
    by_rule: bool,
) -> Result<SamplingPriority, String> {
    let env = if by_rule {
        serde_json::json!({
            "DD_TRACE_SAMPLING_RULES": serde_json::json!([{ "sample_rate": rate }]).to_string(),
        })
    } else {
        serde_json::json!({})
    };
    let (tracer, exporter) = tracer_for(&env);
    if !by_rule {
        tracer.agent_rates().update(HashMap::from([(
            "service:vec-svc,env:test".to_owned(),
            rate,
        )]));
    }
    tracer
        .trace("knuth")
        .child_of(remote_parent(case))
        .start()
        .finish();
    only_chunk(&exporter)?
        .priority
        .ok_or_else(|| "no priority".to_owned())
}

fn check_knuth_case(case: &Value) -> Result<(), String> {
    let rate = case["sample_rate"].as_f64().ok_or("no rate")?;
    let id = trace_id(&case["trace_id"]);
    let want_rate_sampler = case["expected"]["rate_sampler_keep"]
        .as_bool()
        .ok_or("no rate_sampler_keep")?;
    let want_rule = case["expected"]["rule_keep"]
        .as_bool()
        .ok_or("no rule_keep")?;
    let mut diffs = Vec::new();
    if keeps(id.low(), rate) != want_rate_sampler {
        diffs.push("keeps()".to_owned());
    }
    if SamplingRule::new(rate).sample(id) != want_rule {
        diffs.push("SamplingRule::sample".to_owned());
    }
    let by_rule = knuth_through_tracer(case, rate, true)?;
    if by_rule.is_keep() != want_rule {
        diffs.push(format!("tracer with a rule: {by_rule:?}"));
    }
    let by_agent = knuth_through_tracer(case, rate, false)?;
    if by_agent.is_keep() != want_rate_sampler {
        diffs.push(format!("tracer with an agent rate: {by_agent:?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("differs: {}", diffs.join(", ")))
    }
}

#[test]
fn sampling_knuth_vectors() {
    let cases = vectors!("sampling_knuth.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        checked += 1;
        if let Err(e) = check_knuth_case(case) {
            failures.push(format!("{}: {e}", case["name"]));
        }
    }
    report("sampling_knuth.json", cases.len(), checked, &failures);
}

// --- glob_match.json -----------------------------------------------------------------------

/// Directly, and through a tracer as a rule's service pattern (a matching rule drops).
fn check_glob_case(case: &Value) -> Result<(), String> {
    let pattern = str_of(&case["pattern"]);
    let subject = str_of(&case["subject"]);
    let want = case["expected"]["match"].as_bool().ok_or("no match")?;
    if GlobMatcher::new(pattern).matches(subject) != want {
        return Err(format!("GlobMatcher says {}", !want));
    }
    let rules = serde_json::json!([{ "service": pattern, "sample_rate": 0 }]).to_string();
    let (tracer, exporter) = tracer_for(&serde_json::json!({ "DD_TRACE_SAMPLING_RULES": rules }));
    tracer
        .trace("glob")
        .service(subject.to_owned())
        .child_of(remote_parent(&serde_json::json!({ "trace_id": "1" })))
        .start()
        .finish();
    let priority = only_chunk(&exporter)?.priority;
    let want_priority = if want {
        SamplingPriority::USER_REJECT
    } else {
        SamplingPriority::AUTO_KEEP
    };
    if priority != Some(want_priority) {
        return Err(format!("through a rule: priority {priority:?}"));
    }
    Ok(())
}

#[test]
fn glob_match_vectors() {
    let cases = vectors!("glob_match.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        checked += 1;
        if let Err(e) = check_glob_case(case) {
            failures.push(format!("{}: {e}", case["name"]));
        }
    }
    report("glob_match.json", cases.len(), checked, &failures);
}

// --- span_sampling.json --------------------------------------------------------------------

fn span_sampling_tags(span: &SpanData) -> Vec<(String, f64)> {
    let mut tags: Vec<(String, f64)> = span
        .metrics
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("_dd.span_sampling."))
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    tags
}

fn expected_tags(span: &Value) -> Result<Vec<(String, f64)>, String> {
    let mut tags: Vec<(String, f64)> = span["span_sampling"]
        .as_object()
        .ok_or("no span_sampling")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
        .collect();
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(tags)
}

/// With the span ids the Python tracer generated: the single-span sampler alone, exactly.
fn check_span_case_with_recorded_ids(case: &Value) -> Result<(), String> {
    let expected = &case["expected"];
    let parsed = SpanSampler::parse(str_of(&case["span_sampling_rules"]));
    let want_n = expected["n_parsed_rules"]
        .as_u64()
        .ok_or("no n_parsed_rules")?;
    if parsed.rules.len() as u64 != want_n {
        return Err(format!(
            "{} rules parsed, want {want_n}",
            parsed.rules.len()
        ));
    }
    let priority = expected["trace_sampling_priority"]
        .as_i64()
        .ok_or("no trace priority")?;
    let want_spans = expected["spans"].as_array().ok_or("no spans")?;
    let mut spans: Vec<SpanData> = want_spans
        .iter()
        .enumerate()
        .map(|(i, s)| SpanData {
            span_id: SpanId(str_of(&s["span_id"]).parse().unwrap_or(0)),
            service: str_of(&s["service"]).to_owned().into(),
            name: str_of(&s["name"]).to_owned().into(),
            start: i as i64,
            ..Default::default()
        })
        .collect();
    SpanSampler::new(parsed.rules).sample(SamplingPriority(priority as i8), &mut spans);
    for (span, want) in spans.iter().zip(want_spans) {
        let want = expected_tags(want)?;
        if span_sampling_tags(span) != want {
            return Err(format!(
                "recorded span {:?} {}: {:?}, want {want:?}",
                span.span_id,
                span.name,
                span_sampling_tags(span)
            ));
        }
    }
    Ok(())
}

/// Through a tracer, whose span ids are new: exact where the rules' rates are 0 or 1; where a
/// rate lies between, the kept spans must be those whose new id passes the Knuth test.
fn check_span_case_through_tracer(case: &Value) -> Result<(), String> {
    let expected = &case["expected"];
    let (tracer, exporter) = tracer_for(&case["env"]);
    let want_spans = expected["spans"].as_array().ok_or("no spans")?;
    let (first, rest) = want_spans.split_first().ok_or("no spans")?;
    let root = tracer
        .trace(str_of(&first["name"]).to_owned())
        .service(str_of(&first["service"]).to_owned())
        .child_of(remote_parent(case))
        .start();
    let children: Vec<_> = rest
        .iter()
        .map(|s| {
            tracer
                .trace(str_of(&s["name"]).to_owned())
                .service(str_of(&s["service"]).to_owned())
                .child_of_span(&root)
                .start_detached()
        })
        .collect();
    for child in children {
        child.finish();
    }
    root.finish();
    let chunk = only_chunk(&exporter)?;
    let want_priority = expected["trace_sampling_priority"]
        .as_i64()
        .ok_or("no priority")?;
    if chunk.priority.map(|p| i64::from(p.0)) != Some(want_priority) {
        return Err(format!(
            "priority {:?}, want {want_priority}",
            chunk.priority
        ));
    }
    if chunk.spans.len() != want_spans.len() {
        return Err(format!("{} spans exported", chunk.spans.len()));
    }
    let rules = SpanSampler::parse(str_of(&case["span_sampling_rules"])).rules;
    // The tags a kept span gets, as the vector shows them on the spans Python kept.
    let kept_tags = want_spans
        .iter()
        .map(expected_tags)
        .collect::<Result<Vec<_>, _>>()?;
    for want in want_spans {
        let name = str_of(&want["name"]);
        let span = chunk
            .spans
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("no exported span {name}"))?;
        let got = span_sampling_tags(span);
        let rule = rules.iter().find(|r| r.matches(span));
        let rate = rule.map_or(0.0, |r| r.sample_rate());
        let want_tags = if rate > 0.0 && rate < 1.0 && want_priority <= 0 {
            if keeps(span.span_id.0, rate) {
                kept_tags
                    .iter()
                    .find(|t| !t.is_empty())
                    .cloned()
                    .ok_or("the vector keeps no span at this rate")?
            } else {
                Vec::new()
            }
        } else {
            expected_tags(want)?
        };
        if got != want_tags {
            return Err(format!("span {name}: {got:?}, want {want_tags:?}"));
        }
    }
    Ok(())
}

#[test]
fn span_sampling_vectors() {
    let cases = vectors!("span_sampling.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        checked += 1;
        for result in [
            check_span_case_with_recorded_ids(case),
            check_span_case_through_tracer(case),
        ] {
            if let Err(e) = result {
                failures.push(format!("{}: {e}", case["name"]));
            }
        }
    }
    report("span_sampling.json", cases.len(), checked, &failures);
}
