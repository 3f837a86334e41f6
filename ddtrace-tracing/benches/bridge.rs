//! The cost of one span's lifecycle (create, enter, exit, close) three ways:
//!
//! - `ddtrace_api`: ddtrace's own API, `tracer.trace("work").start()` then drop;
//! - `tracing_bridge`: `tracing::info_span!("work")`, entered and dropped, through
//!   [`DatadogLayer`] on a `tracing_subscriber::Registry`;
//! - `tracing_opentelemetry`: the same `tracing` span through tracing-opentelemetry and the
//!   OpenTelemetry SDK;
//! - `tracing_registry_only`: the same `tracing` span with no layer at all, the floor any
//!   `tracing` bridge starts from.
//!
//! Each finished span (or trace) is handed to an exporter that drops it, so the figures are the
//! tracing side only. `root` starts a new trace per iteration (sampling, trace state and the
//! export included); `child` starts a span under a parent that stays open.
//!
//! `cargo bench -p ddtrace-tracing --bench bridge`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace_core::export::{Exporter, TraceChunk};
use ddtrace_core::{Config, Tracer};
use ddtrace_tracing::DatadogLayer;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanProcessor};
use tracing_subscriber::prelude::*;

/// Drops every chunk, as a writer whose agent is unreachable would, without the I/O.
struct Discard;

impl Exporter for Discard {
    fn export(&self, chunk: TraceChunk) {
        black_box(chunk);
    }
}

/// The OpenTelemetry counterpart of [`Discard`].
#[derive(Debug)]
struct DiscardOtel;

impl SpanProcessor for DiscardOtel {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        black_box(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn ddtrace_tracer() -> Tracer {
    Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .exporter(Discard)
        .build()
}

fn otel_provider() -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_span_processor(DiscardOtel)
        .build()
}

fn lifecycle(c: &mut Criterion) {
    for nesting in ["root", "child"] {
        let mut group = c.benchmark_group(format!("span_lifecycle/{nesting}"));
        let child = nesting == "child";

        let tracer = ddtrace_tracer();
        group.bench_function("ddtrace_api", |b| {
            let _parent = child.then(|| tracer.trace("parent").start());
            b.iter(|| {
                let span = tracer.trace("work").start();
                drop(black_box(span));
            })
        });

        let subscriber = tracing_subscriber::registry().with(DatadogLayer::new(ddtrace_tracer()));
        tracing::subscriber::with_default(subscriber, || {
            group.bench_function("tracing_bridge", |b| {
                let _parent = child.then(|| tracing::info_span!("parent").entered());
                b.iter(|| {
                    let span = tracing::info_span!("work");
                    let _entered = black_box(&span).enter();
                })
            });
        });

        // The floor: `tracing`'s registry alone, with no layer.
        tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            group.bench_function("tracing_registry_only", |b| {
                let _parent = child.then(|| tracing::info_span!("parent").entered());
                b.iter(|| {
                    let span = tracing::info_span!("work");
                    let _entered = black_box(&span).enter();
                })
            });
        });

        let provider = otel_provider();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
        tracing::subscriber::with_default(subscriber, || {
            group.bench_function("tracing_opentelemetry", |b| {
                let _parent = child.then(|| tracing::info_span!("parent").entered());
                b.iter(|| {
                    let span = tracing::info_span!("work");
                    let _entered = black_box(&span).enter();
                })
            });
        });
        group.finish();
    }
}

fn with_fields(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_with_fields/child");
    let tracer = ddtrace_tracer();
    group.bench_function("ddtrace_api", |b| {
        let _parent = tracer.trace("parent").start();
        b.iter(|| {
            let span = tracer.trace("db.query").span_type("sql").start();
            span.set_tag("db.system", "postgresql");
            span.set_tag("rows", black_box(3));
            drop(span);
        })
    });
    let subscriber = tracing_subscriber::registry().with(DatadogLayer::new(ddtrace_tracer()));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_bridge", |b| {
            let _parent = tracing::info_span!("parent").entered();
            b.iter(|| {
                let span = tracing::info_span!(
                    "db.query",
                    span.type = "sql",
                    db.system = "postgresql",
                    rows = black_box(3)
                );
                let _entered = span.enter();
            })
        });
    });
    let provider = otel_provider();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_opentelemetry", |b| {
            let _parent = tracing::info_span!("parent").entered();
            b.iter(|| {
                let span = tracing::info_span!(
                    "db.query",
                    span.type = "sql",
                    db.system = "postgresql",
                    rows = black_box(3)
                );
                let _entered = span.enter();
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = lifecycle, with_fields
}
criterion_main!(benches);
