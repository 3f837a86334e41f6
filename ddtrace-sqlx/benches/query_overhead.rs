//! Per-query overhead of tracing: the same SQLite in-memory query through a plain pool, a
//! traced pool whose tracer is enabled (spans built and exported to a no-op exporter), and a
//! traced pool whose tracer is disabled; and, for scale, the core's cost of a root span with
//! the same tags and no query.
//!
//! Run with `cargo bench -p ddtrace-sqlx --bench query_overhead`.

use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace_core::export::NoopExporter;
use ddtrace_core::{Config, Tracer};
use ddtrace_sqlx::TracedPool;
use sqlx::sqlite::SqlitePoolOptions;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // One connection: `sqlite::memory:` gives each connection a database of its own.
    let plain = rt
        .block_on(
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect("sqlite::memory:"),
        )
        .expect("an in-memory SQLite database");
    let enabled = Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .exporter(NoopExporter)
        .build();
    let traced = TracedPool::with_tracer(plain.clone(), enabled);
    let off = TracedPool::with_tracer(plain.clone(), Tracer::disabled());

    const SQL: &str = "SELECT 1, 'a row'";
    let mut group = c.benchmark_group("sqlite_memory_fetch_one");
    group.bench_function("plain", |b| {
        b.to_async(&rt).iter(|| async {
            let row: (i64, String) = sqlx::query_as(SQL).fetch_one(&plain).await.expect("row");
            row
        })
    });
    group.bench_function("traced", |b| {
        b.to_async(&rt).iter(|| async {
            let row: (i64, String) = sqlx::query_as(SQL).fetch_one(&traced).await.expect("row");
            row
        })
    });
    group.bench_function("traced_disabled", |b| {
        b.to_async(&rt).iter(|| async {
            let row: (i64, String) = sqlx::query_as(SQL).fetch_one(&off).await.expect("row");
            row
        })
    });
    group.finish();

    let mut group = c.benchmark_group("sqlite_memory_fetch_all");
    group.bench_function("plain", |b| {
        b.to_async(&rt).iter(|| async {
            let rows: Vec<(i64, String)> =
                sqlx::query_as(SQL).fetch_all(&plain).await.expect("rows");
            rows
        })
    });
    group.bench_function("traced", |b| {
        b.to_async(&rt).iter(|| async {
            let rows: Vec<(i64, String)> =
                sqlx::query_as(SQL).fetch_all(&traced).await.expect("rows");
            rows
        })
    });
    group.finish();

    // For scale: the core's cost of one root span carrying the same tags, without a query.
    let tracer = Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .exporter(NoopExporter)
        .build();
    c.bench_function("root_span_with_db_tags_alone", |b| {
        b.iter(|| {
            let span = tracer
                .trace("sqlite.query")
                .resource(String::from(SQL))
                .span_type("sql")
                .start_detached();
            span.set_service("sqlite");
            for (k, v) in [
                ("_dd.svc_src", "sqlx"),
                ("component", "sqlx"),
                ("span.kind", "client"),
                ("db.system", "sqlite"),
            ] {
                span.set_tag(k, v);
            }
            span.set_metric("_dd.measured", 1.0);
            span.set_metric("db.row_count", 1.0);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
