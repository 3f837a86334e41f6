//! One global tracer per test binary, exporting to memory.
//!
//! The attribute's expansion uses the global tracer, which can be installed once per process,
//! and tests run in parallel threads: each test traces functions with names of its own and
//! looks only at the spans of its own traces.

#![allow(dead_code)]

use std::sync::OnceLock;

use ddtrace::export::InMemoryExporter;
use ddtrace::span_data::SpanData;
use ddtrace::{Config, Tracer};

/// Installs the global tracer (once) and returns its exporter.
pub fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(Config::builder_without_env().service("macro-tests").build())
            .exporter(exporter.clone())
            .build();
        ddtrace::set_global_tracer(tracer).expect("only this module installs the tracer");
        exporter
    })
}

/// The one finished span named `name`; panics if there is not exactly one.
pub fn span(name: &str) -> SpanData {
    let mut spans: Vec<_> = exporter()
        .spans()
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(spans.len(), 1, "spans named {name}: {spans:#?}");
    spans.pop().unwrap()
}

/// Every finished span named `name`.
pub fn spans(name: &str) -> Vec<SpanData> {
    exporter()
        .spans()
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

/// Every finished span of the trace that `span` belongs to.
pub fn trace_of(span: &SpanData) -> Vec<SpanData> {
    exporter()
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == span.trace_id)
        .collect()
}
