//! The `query!` family of macros runs through the same `Executor` methods as `query()`, so the
//! wrappers trace it with no change either.
//!
//! The macros check each query at compile time. The build does not need a server: it reads
//! the offline data committed in `ddtrace-sqlx/.sqlx/` (as long as `DATABASE_URL` is unset or
//! `SQLX_OFFLINE=true`). After changing a query here, regenerate that data with the local
//! PostgreSQL running:
//!
//! ```sh
//! touch ddtrace-sqlx/tests/macros.rs
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test SQLX_OFFLINE_DIR=$PWD/ddtrace-sqlx/.sqlx \
//!     cargo test -p ddtrace-sqlx --test macros --no-run
//! ```
//!
//! Running the tests needs the real server (TEST_POSTGRES_URL), like tests/postgres.rs.
#![cfg(feature = "postgres")]

mod common;

use ddtrace_sqlx::TracedPool;

async fn pool() -> (
    TracedPool<sqlx::Postgres>,
    ddtrace_core::export::InMemoryExporter,
) {
    let url = common::url(
        "TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let plain = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(common::CONNECT_TIMEOUT)
        .connect(&url)
        .await
        .unwrap_or_else(|e| common::unreachable("PostgreSQL", &url, e));
    let (tracer, exporter) = common::tracer_with(common::config());
    (TracedPool::with_tracer(plain, tracer), exporter)
}

#[derive(Debug, PartialEq)]
struct Item {
    id: i32,
    name: String,
}

#[tokio::test]
async fn query_macros_give_one_span_each() {
    let (pool, exporter) = pool().await;

    let row = sqlx::query!(r#"SELECT $1::int4 + 1 AS "n!""#, 41)
        .fetch_one(&pool)
        .await
        .expect("query!");
    assert_eq!(row.n, 42);
    let span = common::only_span(&exporter);
    assert_eq!(span.name, "postgres.query");
    assert_eq!(span.resource, r#"SELECT $1::int4 + 1 AS "n!""#);
    assert_eq!(span.metric("db.row_count"), Some(1.0));
    assert!(!span.meta.iter().any(|(_, v)| v.as_str() == "41"));
    exporter.clear();

    let items = sqlx::query_as!(
        Item,
        r#"SELECT g AS "id!", 'item ' || g AS "name!" FROM generate_series(1, $1::int4) AS g"#,
        3
    )
    .fetch_all(&pool)
    .await
    .expect("query_as!");
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[2],
        Item {
            id: 3,
            name: "item 3".to_owned()
        }
    );
    let span = common::only_span(&exporter);
    assert_eq!(span.metric("db.row_count"), Some(3.0));
    exporter.clear();

    let mut tx = pool.begin().await.expect("begin");
    let n = sqlx::query_scalar!(r#"SELECT 7 AS "n!""#)
        .fetch_optional(&mut tx)
        .await
        .expect("query_scalar! in a transaction");
    assert_eq!(n, Some(7));
    assert_eq!(common::only_span(&exporter).resource, r#"SELECT 7 AS "n!""#);
    tx.rollback().await.expect("rollback");
}
