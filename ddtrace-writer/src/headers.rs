//! The HTTP headers every request to the agent carries.
//!
//! The agent reads the `Datadog-Meta-*` headers to tag its own metrics by tracer, and
//! `Datadog-Client-Computed-Top-Level` to trust the `_dd.top_level` metric the tracer sets.
//! `Datadog-Send-Real-Http-Status` asks it to answer with the real status (for example 429
//! when it drops a payload) instead of a blanket 200.

use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::container;

/// `Datadog-Meta-Tracer-Version`: this crate's version.
pub const TRACER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// `Datadog-Meta-Lang-Version`: the compiler that built this crate.
pub const RUSTC_VERSION: &str = env!("DDTRACE_RUSTC_VERSION");

/// Headers of `/info` and trace requests, built once when the writer starts.
///
/// Extra headers from the configuration that are not valid HTTP are returned in the second
/// element (name, reason) so the caller can log them once.
pub(crate) fn base_headers(extra: &[(String, String)]) -> (HeaderMap, Vec<(String, String)>) {
    let mut h = HeaderMap::new();
    let fixed: [(&'static str, &'static str); 6] = [
        ("datadog-meta-lang", "rust"),
        ("datadog-meta-lang-version", RUSTC_VERSION),
        ("datadog-meta-lang-interpreter", "rustc"),
        ("datadog-meta-tracer-version", TRACER_VERSION),
        ("datadog-client-computed-top-level", "true"),
        ("datadog-send-real-http-status", "1"),
    ];
    for (k, v) in fixed {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    if let Ok(ua) = HeaderValue::from_str(&format!("ddtrace-rust/{TRACER_VERSION}")) {
        h.insert(USER_AGENT, ua);
    }
    let container = container::detect();
    let detected = [
        ("datadog-container-id", container.container_id),
        ("datadog-entity-id", container.entity_id),
        ("datadog-external-env", container.external_env),
    ];
    for (k, v) in detected {
        if let Some(v) = v.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(HeaderName::from_static(k), v);
        }
    }
    let mut invalid = Vec::new();
    for (k, v) in extra {
        match (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            (Ok(name), Ok(value)) => {
                h.append(name, value);
            }
            (Err(e), _) => invalid.push((k.clone(), e.to_string())),
            (_, Err(e)) => invalid.push((k.clone(), e.to_string())),
        }
    }
    (h, invalid)
}

/// Adds what a trace payload needs on top of the base headers.
pub(crate) fn trace_headers(base: &HeaderMap, trace_count: usize) -> HeaderMap {
    let mut h = base.clone();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/msgpack"),
    );
    h.insert(
        HeaderName::from_static("x-datadog-trace-count"),
        HeaderValue::from(trace_count),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_requests_carry_the_agent_headers() {
        let (base, invalid) = base_headers(&[
            ("X-Datadog-Test-Session-Token".into(), "t1".into()),
            ("bad header".into(), "x".into()),
        ]);
        assert_eq!(invalid.len(), 1);
        let h = trace_headers(&base, 3);
        assert_eq!(h["datadog-meta-lang"], "rust");
        assert_eq!(h["datadog-meta-lang-interpreter"], "rustc");
        assert_eq!(h["datadog-meta-tracer-version"], TRACER_VERSION);
        assert_eq!(h["x-datadog-trace-count"], "3");
        assert_eq!(h["content-type"], "application/msgpack");
        assert_eq!(h["x-datadog-test-session-token"], "t1");
        assert!(
            RUSTC_VERSION
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        );
    }
}
