//! Shared helpers for the core's integration tests.

#![allow(dead_code)]

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
