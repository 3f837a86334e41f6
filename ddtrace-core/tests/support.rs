//! Shared helpers for the core's integration tests.

#![allow(dead_code)]

use std::collections::HashMap;

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, ConfigBuilder, SpanData, Tracer};

/// A tracer configured from code only (never from the environment), exporting into memory.
pub fn tracer_with(
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let config = configure(
        Config::builder_without_env()
            .service("core-test")
            .env("test"),
    )
    .build();
    let tracer = Tracer::builder()
        .config(config)
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

pub fn tracer() -> (Tracer, InMemoryExporter) {
    tracer_with(|c| c)
}

pub fn by_name<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span named {name} in {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

/// A tracer configured as the environment `DD_SERVICE=svc`, `DD_ENV=test` plus `env` would
/// configure it (the process's own environment is not read), exporting into memory.
pub fn tracer_from_env(env: &[(&str, &str)]) -> (Tracer, InMemoryExporter) {
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

/// The first span of the one chunk `exporter` received.
pub fn only_root(exporter: &InMemoryExporter) -> SpanData {
    let chunks = exporter.chunks();
    assert_eq!(chunks.len(), 1, "{chunks:?}");
    chunks[0].spans[0].clone()
}
