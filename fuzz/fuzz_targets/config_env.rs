//! `Config::from_lookup` with arbitrary values for every variable the tracer reads, then every
//! consumer of the configuration: the propagator, the sampler (through a tracer), a span, the
//! agent URL and the startup log.
//!
//! Input: segments separated by `\0`; the first byte of a segment picks the variable, the
//! rest is its value. A variable named twice takes its last value.
#![no_main]

use std::collections::HashMap;

use ddtrace_core::Config;
use ddtrace_core::propagation::Propagator;
use ddtrace_writer::AgentUrl;
use libfuzzer_sys::fuzz_target;

/// Every variable `Config::from_lookup` reads, except `DD_SPAN_SAMPLING_RULES_FILE`: its value
/// is a path the tracer reads, and the fuzzer would name `/dev/zero` or a FIFO sooner or later
/// (operator input, not outside input; see RELIABILITY.md).
const VARS: &[&str] = &[
    "DD_AGENT_HOST",
    "DD_AGENT_PORT",
    "DD_DBM_PROPAGATION_MODE",
    "DD_ENV",
    "DD_LOGS_INJECTION",
    "DD_SERVICE",
    "DD_SERVICE_MAPPING",
    "DD_SPAN_SAMPLING_RULES",
    "DD_TAGS",
    "DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED",
    "DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED",
    "DD_TRACE_AGENT_HOSTNAME",
    "DD_TRACE_AGENT_PORT",
    "DD_TRACE_AGENT_TIMEOUT_SECONDS",
    "DD_TRACE_AGENT_URL",
    "DD_TRACE_API_VERSION",
    "DD_TRACE_BAGGAGE_TAG_KEYS",
    "DD_TRACE_CLIENT_IP_ENABLED",
    "DD_TRACE_CLIENT_IP_HEADER",
    "DD_TRACE_DEBUG",
    "DD_TRACE_ENABLED",
    "DD_TRACE_HEADER_TAGS",
    "DD_TRACE_HTTP_CLIENT_ERROR_STATUSES",
    "DD_TRACE_HTTP_SERVER_ERROR_STATUSES",
    "DD_TRACE_NATIVE_SPAN_EVENTS",
    "DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP",
    "DD_TRACE_PARTIAL_FLUSH_ENABLED",
    "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS",
    "DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED",
    "DD_TRACE_PEER_SERVICE_MAPPING",
    "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT",
    "DD_TRACE_PROPAGATION_EXTRACT_FIRST",
    "DD_TRACE_PROPAGATION_HTTP_BAGGAGE_ENABLED",
    "DD_TRACE_PROPAGATION_STYLE",
    "DD_TRACE_PROPAGATION_STYLE_EXTRACT",
    "DD_TRACE_PROPAGATION_STYLE_INJECT",
    "DD_TRACE_RATE_LIMIT",
    "DD_TRACE_REPORT_HOSTNAME",
    "DD_TRACE_SAMPLE_RATE",
    "DD_TRACE_SAMPLING_RULES",
    "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA",
    "DD_TRACE_STARTUP_LOGS",
    "DD_TRACE_STATS_COMPUTATION_ENABLED",
    "DD_TRACE_WRITER_BUFFER_SIZE_BYTES",
    "DD_TRACE_WRITER_INTERVAL_SECONDS",
    "DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES",
    "DD_TRACE_WRITER_REUSE_CONNECTIONS",
    "DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH",
    "DD_VERSION",
    "OTEL_SERVICE_NAME",
];

fuzz_target!(|data: &[u8]| {
    ddtrace_fuzz::quiet();
    let mut env = HashMap::new();
    for segment in data.split(|b| *b == 0) {
        let Some((&pick, value)) = segment.split_first() else {
            continue;
        };
        let var = VARS[pick as usize % VARS.len()];
        env.insert(var, String::from_utf8_lossy(value).into_owned());
    }
    let config = Config::from_lookup(|key| env.get(key).cloned());
    let _ = config.startup_json();
    let _ = AgentUrl::parse(config.agent_url.as_str());
    for status in [0, 200, 404, 500, 599, 1000] {
        let _ = config.is_server_error_status(status);
        let _ = config.is_client_error_status(status);
    }
    let propagator = Propagator::from_config(&config);
    let (tracer, _) = ddtrace_fuzz::tracer(config);
    let span = tracer.trace("fuzz.request").resource("GET /").start();
    span.set_tag("http.status_code", 500);
    let child = tracer.trace("fuzz.child").start();
    let mut out = ddtrace_fuzz::Headers::default();
    propagator.inject(&child.handle(), &mut out);
    child.finish();
    span.finish();
});
