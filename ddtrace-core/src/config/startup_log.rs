//! The start-up log's JSON: the effective configuration, keyed like the Python tracer's.

use serde_json::{Value, json};

use super::{Config, PropagationStyle};

pub(super) fn to_json(c: &Config) -> Value {
    let tags: serde_json::Map<String, Value> = c
        .tags
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(v.as_str())))
        .collect();
    json!({
        "date": crate::clock::rfc3339_now(),
        "os_name": std::env::consts::OS,
        "architecture": std::env::consts::ARCH,
        "is_64_bit": cfg!(target_pointer_width = "64"),
        "version": env!("CARGO_PKG_VERSION"),
        "lang": "rust",
        "agent_url": c.agent_url.as_str(),
        "env": c.env.as_deref(),
        "ddtrace_enabled": c.enabled,
        "service": c.service.as_str(),
        "dd_version": c.version.as_deref(),
        "debug": c.debug,
        "global_tags": tags,
        "sampling_rules": c.sampling_rules,
        "rate_limit": c.rate_limit,
        "log_injection_enabled": c.logs_injection,
        "partial_flush_enabled": c.partial_flush_enabled,
        "partial_flush_min_spans": c.partial_flush_min_spans,
        "api_version": c.api_version.as_str(),
        "propagation_style_extract": names(&c.propagation_style_extract),
        "propagation_style_inject": names(&c.propagation_style_inject),
        "trace_id_128_bit": c.trace_id_128_bit,
        "writer_buffer_size_bytes": c.writer_buffer_size_bytes,
        "writer_interval_seconds": c.writer_interval.as_secs_f64(),
        "invalid_settings": c.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}

fn names(styles: &[PropagationStyle]) -> Vec<&'static str> {
    styles.iter().map(|s| s.as_str()).collect()
}
