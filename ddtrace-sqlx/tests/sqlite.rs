//! Query spans against an SQLite file.
#![cfg(feature = "sqlite")]

mod common;

/// A pool on a database file of this test's own ([`remove_file`] deletes it).
async fn connect() -> sqlx::SqlitePool {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", common::table("file")));
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| common::unreachable("SQLite", &path.display().to_string(), e))
}

async fn remove_file(pool: sqlx::SqlitePool) {
    let path = pool.connect_options().get_filename().to_owned();
    pool.close().await;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

query_suite! {
    db: sqlx::Sqlite,
    connect: connect().await,
    p1: "$1",
    p2: "$2",
    name: "sqlite.query",
    service: "sqlite",
    system: "sqlite",
    endpoint: None,
    cleanup: remove_file,
}

mod dbm {
    use super::*;

    /// The Python tracer injects no DBM comment for SQLite, which DBM does not monitor.
    #[tokio::test]
    async fn sqlite_queries_get_no_comment() {
        let (tracer, exporter) = common::tracer_with({
            let mut c = common::config();
            c.dbm_propagation_mode = ddtrace_sqlx::DbmMode::Full;
            c
        });
        let pool = ddtrace_sqlx::TracedPool::with_tracer(connect().await, tracer);
        let stmt_sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master LIMIT 0")
            .fetch_optional(&pool)
            .await
            .expect("query")
            .unwrap_or_default();
        assert_eq!(stmt_sql, "");
        let span = common::only_span(&exporter);
        assert_eq!(span.meta(ddtrace_sqlx::DBM_TRACE_INJECTED), None);
    }
}
