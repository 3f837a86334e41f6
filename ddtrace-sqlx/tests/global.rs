//! `TracedPool::new` reports to the global tracer, looked up at each query: a pool wrapped
//! before the tracer is installed (as happens when `ddtrace::init()` runs late) is traced once
//! it is. The only test of this binary, since the global tracer is set once per process.
#![cfg(feature = "sqlite")]

mod common;

use ddtrace_sqlx::TracedPool;

#[tokio::test]
async fn new_uses_the_global_tracer_installed_later() {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:")
        .await
        .unwrap_or_else(|e| common::unreachable("SQLite", "sqlite::memory:", e));
    let pool = TracedPool::new(pool);

    // No tracer installed yet: the global one is disabled, queries run untraced.
    let one: i64 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .expect("query");
    assert_eq!(one, 1);

    let (tracer, exporter) = common::tracer_with(common::config());
    assert!(ddtrace_core::set_global_tracer(tracer).is_ok());
    assert!(exporter.spans().is_empty());

    let two: i64 = sqlx::query_scalar("SELECT 2")
        .fetch_one(&pool)
        .await
        .expect("query");
    assert_eq!(two, 2);
    let span = common::only_span(&exporter);
    assert_eq!(span.name, "sqlite.query");
    assert_eq!(span.resource, "SELECT 2");
}
