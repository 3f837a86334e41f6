//! Replays `shared/vectors/agent_payload_v04.json` (from `DDTRACE_VECTORS_DIR` when it is set),
//! what the Python tracer (ddtrace 4.16) sent for a small program, against the same program
//! traced with our writer: header names and values, span field names and their MessagePack
//! types, for v0.4 and v0.5, and the effect of the agent's answer on the next trace.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ddtrace_core::ApiVersion;
use ddtrace_core::export::Exporter;
use serde_json::Value;
use support::{FakeAgent, Reply, Request, spans_of, traced};

const VECTOR: &str = "agent_payload_v04.json";

/// The folder of the recorded vectors: `DDTRACE_VECTORS_DIR` when set (a relative path is
/// taken from the workspace root), else `../shared/vectors` beside the workspace.
fn vectors_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::env::var_os("DDTRACE_VECTORS_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("../shared/vectors"),
    }
}

/// Headers whose value names the language, so Python's and ours differ by design.
const LANGUAGE_HEADERS: [&str; 5] = [
    "datadog-meta-lang",
    "datadog-meta-lang-version",
    "datadog-meta-lang-interpreter",
    "datadog-meta-tracer-version",
    "user-agent",
];

/// Headers we may add that the recording lacks (only sent when a container is detected).
const OPTIONAL_HEADERS: [&str; 3] = [
    "datadog-container-id",
    "datadog-entity-id",
    "datadog-external-env",
];

/// Meta keys the Python tracer adds and ddtrace-core does not (not the writer's business:
/// it encodes what the tracer gives it). `_dd.svc_src` says where the service came from and
/// `_dd.tags.process` carries Python entry-point tags.
const PYTHON_ONLY_META: [&str; 2] = ["_dd.svc_src", "_dd.tags.process"];

/// Meta values that name the language.
const LANGUAGE_META: [&str; 1] = ["language"];

/// The recorded cases; a file that is missing, unreadable or has no case fails the test and
/// names the file.
fn load_cases() -> Vec<Value> {
    load_cases_from(&vectors_dir())
}

fn load_cases_from(dir: &std::path::Path) -> Vec<Value> {
    let path = dir.join(VECTOR);
    let path = path.display();
    let text = std::fs::read_to_string(dir.join(VECTOR))
        .unwrap_or_else(|e| panic!("cannot read the test vector {path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"));
    let cases = v["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{path} has no \"cases\" array"))
        .clone();
    assert!(!cases.is_empty(), "{path} has no cases");
    cases
}

#[test]
#[should_panic(expected = "agent_payload_v04.json")]
fn a_missing_vector_file_fails_and_names_it() {
    load_cases_from(std::path::Path::new("/nonexistent-vectors"));
}

/// The type the recording shows for a value: the JSON type, or for a volatile value the
/// type it describes.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Object(o) if o.contains_key("__volatile__") => {
            match o.get("example_type").and_then(Value::as_str) {
                Some("int") => "int",
                Some("float") => "float",
                Some("str") => "str",
                _ => {
                    let what = o["__volatile__"].as_str().unwrap_or("");
                    if o.contains_key("is_zero") || what.contains("index") {
                        "int"
                    } else {
                        "str"
                    }
                }
            }
        }
        Value::Object(_) => "map",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Array(_) => "array",
        Value::Bool(_) => "bool",
        Value::Null => "nil",
    }
}

fn our_type(v: &rmpv::Value) -> &'static str {
    match v {
        rmpv::Value::Integer(_) => "int",
        rmpv::Value::F32(_) | rmpv::Value::F64(_) => "float",
        rmpv::Value::String(_) => "str",
        rmpv::Value::Map(_) => "map",
        rmpv::Value::Array(_) => "array",
        rmpv::Value::Boolean(_) => "bool",
        rmpv::Value::Nil => "nil",
        _ => "other",
    }
}

fn is_volatile(v: &Value) -> bool {
    v.get("__volatile__").is_some()
}

/// Runs the recorded program with our tracer and writer against a capturing agent that
/// answers what the recording's agent answered.
fn run_program(api: ApiVersion, answer: String) -> (Vec<Request>, support::Traced) {
    let agent = FakeAgent::start(move |r, _| {
        if r.path == "/info" {
            Reply::ok(support::INFO_BODY)
        } else {
            Reply::ok(&answer)
        }
    });
    let t = traced(
        ddtrace_core::Config::builder_without_env()
            .service("payload-svc")
            .env("test")
            .agent_url(agent.url.clone())
            .api_version(api)
            .build(),
    );
    {
        let root = t
            .tracer
            .trace("web.request")
            .resource("GET /users")
            .span_type("web")
            .start();
        root.set_tag("component", "demo");
        root.set_tag("http.method", "GET");
        root.set_tag("custom.count", 42);
        root.set_tag("custom.ratio", 0.5);
        {
            let db = t
                .tracer
                .trace("db.query")
                .resource("SELECT 1")
                .span_type("sql")
                .start();
            db.set_tag("db.system", "postgresql");
            db.set_tag("db.rows", 3);
        }
        let fail = t.tracer.trace("work.fail").resource("fail").start();
        fail.set_tag("attempt", "1");
        fail.set_error_info(
            "builtins.ValueError",
            "boom",
            Some("Traceback (most recent call last):\n  ...".into()),
        );
    }
    t.writer.flush(Duration::from_secs(5)).expect("first flush");
    drop(t.tracer.trace("second.request").start());
    t.writer
        .flush(Duration::from_secs(5))
        .expect("second flush");
    let requests = agent.requests();
    (requests, t)
}

fn compare_headers(python: &Value, ours: &Request, problems: &mut Vec<String>) {
    let theirs: BTreeMap<String, &Value> = python
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| (h[0].as_str().expect("name").to_owned(), &h[1]))
        .collect();
    let our_names: BTreeSet<&str> = ours.headers.iter().map(|(k, _)| k.as_str()).collect();
    for (name, value) in &theirs {
        let Some(our) = ours.header(name) else {
            problems.push(format!("header {name} missing"));
            continue;
        };
        if LANGUAGE_HEADERS.contains(&name.as_str()) || is_volatile(value) {
            if our.is_empty() {
                problems.push(format!("header {name} is empty"));
            }
            continue;
        }
        if value.as_str() != Some(our) {
            problems.push(format!("header {name}: python {value}, ours {our:?}"));
        }
    }
    for name in our_names {
        if !theirs.contains_key(name) && !OPTIONAL_HEADERS.contains(&name) {
            problems.push(format!("header {name} is ours only"));
        }
    }
}

/// Compares one span: field names, their types, and the non-volatile values of meta and
/// metrics (`python` is the recording's span with strings resolved).
fn compare_span(
    python: &Value,
    ours: &std::collections::HashMap<String, rmpv::Value>,
    fields_too: bool,
    problems: &mut Vec<String>,
) {
    let name = python["name"].as_str().unwrap_or("?");
    let theirs = python.as_object().expect("span");
    if fields_too {
        let a: BTreeSet<&str> = theirs.keys().map(String::as_str).collect();
        let b: BTreeSet<&str> = ours.keys().map(String::as_str).collect();
        if a != b {
            problems.push(format!("{name}: fields python {a:?}, ours {b:?}"));
        }
        for (field, value) in theirs {
            if let Some(our) = ours.get(field) {
                let (t, o) = (py_type(value), our_type(our));
                if t != o {
                    problems.push(format!("{name}.{field}: python {t}, ours {o}"));
                }
            }
        }
        for field in ["service", "name", "resource", "type", "error"] {
            if let (Some(v), Some(o)) = (theirs.get(field), ours.get(field)) {
                let same = match v {
                    Value::String(s) => o.as_str() == Some(s),
                    Value::Number(n) => o.as_i64() == n.as_i64(),
                    _ => true,
                };
                if !same {
                    problems.push(format!("{name}.{field}: python {v}, ours {o}"));
                }
            }
        }
    }
    for section in ["meta", "metrics"] {
        let theirs = python
            .get(section)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let ours: BTreeMap<String, rmpv::Value> = ours
            .get(section)
            .and_then(rmpv::Value::as_map)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().unwrap_or("?").to_owned(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (key, value) in &theirs {
            if PYTHON_ONLY_META.contains(&key.as_str()) {
                continue;
            }
            let Some(our) = ours.get(key) else {
                problems.push(format!("{name}.{section}.{key} missing"));
                continue;
            };
            let (t, o) = (py_type(value), our_type(our));
            if t != o {
                problems.push(format!("{name}.{section}.{key}: python {t}, ours {o}"));
            }
            if is_volatile(value) || LANGUAGE_META.contains(&key.as_str()) {
                continue;
            }
            let same = match value {
                Value::String(s) => our.as_str() == Some(s),
                Value::Number(n) => our.as_f64() == n.as_f64(),
                _ => false,
            };
            if !same {
                problems.push(format!(
                    "{name}.{section}.{key}: python {value}, ours {our}"
                ));
            }
        }
        for key in ours.keys() {
            if !theirs.contains_key(key) {
                problems.push(format!("{name}.{section}.{key} is ours only"));
            }
        }
    }
}

/// The recording's spans with strings resolved (v0.5 keeps a decoded copy).
fn python_spans(path: &str, body: &Value) -> Vec<Value> {
    if path.contains("v0.4") {
        body.as_array()
            .expect("traces")
            .iter()
            .flat_map(|t| t.as_array().expect("spans").clone())
            .collect()
    } else {
        body["traces"]
            .as_array()
            .expect("traces")
            .iter()
            .flat_map(|t| t.as_array().expect("spans").clone())
            .map(|s| {
                let mut d = s["_decoded_for_reading"].clone();
                for f in [
                    "trace_id",
                    "span_id",
                    "parent_id",
                    "start",
                    "duration",
                    "error",
                ] {
                    d[f] = s[f].clone();
                }
                restore_volatile(&mut d, &s, &body["string_table"]);
                d
            })
            .collect()
    }
}

/// The decoded copy shows volatile values as `"<volatile>"`; put back the recording's
/// description (from the raw index pairs) so their types can be compared.
fn restore_volatile(decoded: &mut Value, raw: &Value, table: &Value) {
    for section in ["meta", "metrics"] {
        let Some(pairs) = raw[section].as_array() else {
            continue;
        };
        for pair in pairs {
            let key = pair[0].as_u64().and_then(|i| table[i as usize].as_str());
            let (Some(key), true) = (key, is_volatile(&pair[1])) else {
                continue;
            };
            let described = match section {
                // A volatile meta value is a string whose table index varies.
                "meta" => {
                    serde_json::json!({"__volatile__": "per-run string", "example_type": "str"})
                }
                _ => pair[1].clone(),
            };
            decoded[section][key] = described;
        }
    }
}

/// v0.5 spans on the wire: 12 elements, every string an index (an int).
fn check_v05_wire(python: &Value, ours: &[u8], problems: &mut Vec<String>) {
    let ours = support::decode(ours);
    let table = ours[0].as_array().expect("string table");
    if table.first().and_then(rmpv::Value::as_str) != python["string_table"][0].as_str() {
        problems.push("v0.5: string table does not start like Python's".into());
    }
    let fields = [
        "service",
        "name",
        "resource",
        "trace_id",
        "span_id",
        "parent_id",
        "start",
        "duration",
        "error",
        "meta",
        "metrics",
        "type",
    ];
    let py_span = &python["traces"][0][0];
    for trace in ours[1].as_array().expect("traces") {
        for span in trace.as_array().expect("spans") {
            let arr = span.as_array().expect("span array");
            if arr.len() != 12 {
                problems.push(format!("v0.5 span has {} fields", arr.len()));
                continue;
            }
            for (i, f) in fields.iter().enumerate() {
                let t = match &py_span[f] {
                    Value::Array(_) => "map", // the recording writes maps as pair lists
                    v => py_type(v),
                };
                let o = our_type(&arr[i]);
                if t != o {
                    problems.push(format!("v0.5 field {f}: python {t}, ours {o}"));
                }
            }
            for (k, v) in arr[9].as_map().expect("meta") {
                if our_type(k) != "int" || our_type(v) != "int" {
                    problems.push("v0.5 meta must map index to index".into());
                }
            }
            for (k, v) in arr[10].as_map().expect("metrics") {
                if our_type(k) != "int" || our_type(v) != "float" {
                    problems.push("v0.5 metrics must map index to float".into());
                }
            }
        }
    }
}

fn replay(case_name: &str, api: ApiVersion) {
    let case = load_cases()
        .into_iter()
        .find(|c| c["name"] == case_name)
        .unwrap_or_else(|| panic!("case {case_name} not in the vector"));
    let answer = case["agent_response_sent"].to_string();
    let (requests, t) = run_program(api, answer);
    let path = format!("/{}/traces", api.as_str());
    let py_requests: Vec<&Value> = case["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["path"] == path.as_str())
        .collect();
    assert!(
        !py_requests.is_empty(),
        "{VECTOR}: case {case_name} records no {path} request"
    );
    let our_requests: Vec<&Request> = requests.iter().filter(|r| r.path == path).collect();
    assert_eq!(
        our_requests.len(),
        py_requests.len(),
        "trace requests: ours {requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.method == "GET" && r.path == "/info"),
        "the writer reads /info like the Python tracer"
    );

    let mut problems = Vec::new();
    for (py, ours) in py_requests.iter().zip(&our_requests) {
        if py["method"].as_str() != Some(ours.method.as_str()) {
            problems.push(format!(
                "method: python {}, ours {}",
                py["method"], ours.method
            ));
        }
        compare_headers(&py["headers"], ours, &mut problems);
        let py_spans = python_spans(&path, &py["body"]);
        let our_spans = spans_of(&path, &ours.body);
        assert_eq!(our_spans.len(), py_spans.len(), "span count");
        for py_span in &py_spans {
            let name = py_span["name"].as_str().expect("name");
            let our = our_spans
                .iter()
                .find(|s| s.get("name").and_then(rmpv::Value::as_str) == Some(name))
                .unwrap_or_else(|| panic!("span {name} not sent"));
            // v0.5 has a fixed array: its field list is checked on the wire below.
            compare_span(py_span, our, api == ApiVersion::V04, &mut problems);
        }
        if api == ApiVersion::V05 {
            check_v05_wire(&py["body"], &ours.body, &mut problems);
        }
    }
    assert!(
        problems.is_empty(),
        "differences from the Python tracer:\n  {}",
        problems.join("\n  ")
    );

    // The agent's answer was stored and used for the next trace, as ddtrace did.
    let after = &case["tracer_after_response"];
    let want_rates: std::collections::HashMap<String, f64> =
        serde_json::from_value(after["agent_rates_after_response"].clone()).expect("rates");
    assert_eq!(t.rates.snapshot(), want_rates);
    let second = t
        .copy
        .spans()
        .into_iter()
        .find(|s| s.name == "second.request")
        .expect("second trace");
    let want = &after["second_trace"];
    assert_eq!(
        second.metric("_sampling_priority_v1"),
        want["sampling_priority"].as_f64()
    );
    assert_eq!(second.meta("_dd.p.dm"), want["_dd.p.dm"].as_str());
    assert_eq!(
        second.metric("_dd.agent_psr"),
        want["_dd.agent_psr"].as_f64()
    );
    t.writer.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn v04_payload_matches_the_python_tracer() {
    replay("payload_v0.4", ApiVersion::V04);
}

#[test]
fn v05_payload_matches_the_python_tracer() {
    replay("payload_v0.5", ApiVersion::V05);
}
