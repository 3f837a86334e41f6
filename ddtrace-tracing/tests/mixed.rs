//! `#[traced]` (ddtrace) and `#[tracing::instrument]` nested in each other give one trace.
//! `#[traced]` records with the global tracer, so this binary installs one (in memory) and the
//! layer uses it through `DatadogLayer::global()`; each test finds its own trace by span name.

use std::sync::OnceLock;

use ddtrace::traced;
use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, SpanData, Tracer};
use ddtrace_tracing::DatadogLayer;
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(Config::builder_without_env().service("mixed").build())
            .exporter(exporter.clone())
            .build();
        ddtrace_core::set_global_tracer(tracer).expect("the only global tracer of this binary");
        exporter
    })
}

/// The spans of the trace whose root is named `root`.
fn trace_of(root: &str) -> Vec<SpanData> {
    let spans = exporter().spans();
    let root = spans
        .iter()
        .find(|s| s.name == root && s.parent_id.is_none())
        .unwrap_or_else(|| panic!("no root span {root}: {spans:#?}"))
        .trace_id;
    spans.into_iter().filter(|s| s.trace_id == root).collect()
}

fn find<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span named {name}: {spans:#?}"))
}

#[traced(name = "dd.outer")]
fn dd_outer() {
    instrumented_middle();
}

#[tracing::instrument(name = "tracing.middle")]
fn instrumented_middle() {
    dd_inner();
}

#[traced(name = "dd.inner")]
fn dd_inner() {
    let _leaf = tracing::info_span!("tracing.leaf").entered();
}

#[test]
fn traced_calling_instrument_calling_traced_is_one_trace() {
    exporter();
    tracing::subscriber::with_default(
        tracing_subscriber::registry().with(DatadogLayer::global()),
        dd_outer,
    );
    let spans = trace_of("dd.outer");
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let outer = find(&spans, "dd.outer");
    let middle = find(&spans, "tracing.middle");
    let inner = find(&spans, "dd.inner");
    let leaf = find(&spans, "tracing.leaf");
    assert_eq!(middle.parent_id, outer.span_id);
    assert_eq!(inner.parent_id, middle.span_id);
    assert_eq!(leaf.parent_id, inner.span_id);
}

#[tracing::instrument(name = "tracing.outer")]
fn instrumented_outer() {
    dd_middle();
}

#[traced(name = "dd.middle")]
fn dd_middle() {
    let _leaf = tracing::info_span!("tracing.leaf2").entered();
}

#[test]
fn instrument_calling_traced_is_one_trace() {
    exporter();
    tracing::subscriber::with_default(
        tracing_subscriber::registry().with(DatadogLayer::global()),
        instrumented_outer,
    );
    let spans = trace_of("tracing.outer");
    assert_eq!(spans.len(), 3, "{spans:#?}");
    assert_eq!(
        find(&spans, "dd.middle").parent_id,
        find(&spans, "tracing.outer").span_id
    );
    assert_eq!(
        find(&spans, "tracing.leaf2").parent_id,
        find(&spans, "dd.middle").span_id
    );
}

#[traced(name = "dd.async.outer")]
async fn dd_async_outer() {
    tokio::task::yield_now().await;
    instrumented_async().await;
}

#[tracing::instrument(name = "tracing.async")]
async fn instrumented_async() {
    tokio::task::yield_now().await;
    dd_async_inner().await;
    tracing::info!("after the inner call");
}

#[traced(name = "dd.async.inner")]
async fn dd_async_inner() {
    tokio::task::yield_now().await;
    async { tokio::task::yield_now().await }
        .instrument(tracing::info_span!("tracing.async.leaf"))
        .await;
}

#[test]
fn async_mixed_nesting_is_one_trace() {
    exporter();
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(DatadogLayer::global()));
    tracing::dispatcher::with_default(&dispatch, || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(dd_async_outer());
    });
    let spans = trace_of("dd.async.outer");
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let outer = find(&spans, "dd.async.outer");
    let middle = find(&spans, "tracing.async");
    let inner = find(&spans, "dd.async.inner");
    assert_eq!(middle.parent_id, outer.span_id);
    assert_eq!(inner.parent_id, middle.span_id);
    assert_eq!(find(&spans, "tracing.async.leaf").parent_id, inner.span_id);
    assert_eq!(middle.events[0].name, "after the inner call");
}
