//! Query spans against the real PostgreSQL server (TEST_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/test). Fails, never skips, when the server is down.
#![cfg(feature = "postgres")]

mod common;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

async fn connect() -> sqlx::PgPool {
    let url = common::url("TEST_POSTGRES_URL", DEFAULT_URL);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(common::CONNECT_TIMEOUT)
        .connect(&url)
        .await
        .unwrap_or_else(|e| common::unreachable("PostgreSQL", &url, e))
}

fn endpoint() -> Option<(&'static str, &'static str, &'static str, f64)> {
    let url = common::url("TEST_POSTGRES_URL", DEFAULT_URL);
    let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("a valid URL");
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    Some((
        leak(opts.get_host()),
        leak(opts.get_username()),
        leak(opts.get_database().unwrap_or_default()),
        f64::from(opts.get_port()),
    ))
}

query_suite! {
    db: sqlx::Postgres,
    connect: connect().await,
    p1: "$1",
    p2: "$2",
    name: "postgres.query",
    service: "postgres",
    system: "postgresql",
    endpoint: endpoint(),
    cleanup: common::nothing,
}

mod dbm {
    use super::*;

    /// `current_query()` is the text the server received: the comment is there.
    #[tokio::test]
    async fn service_mode_prepends_the_comment() {
        let (tracer, exporter) = common::tracer_with({
            let mut c = common::config();
            c.dbm_propagation_mode = ddtrace_sqlx::DbmMode::Service;
            c
        });
        let pool = ddtrace_sqlx::TracedPool::with_tracer(connect().await, tracer);
        let seen: String = sqlx::query_scalar("SELECT current_query()")
            .fetch_one(&pool)
            .await
            .expect("query");
        let (host, user, db, _) = endpoint().expect("endpoint");
        let _ = user;
        assert_eq!(
            seen,
            format!(
                "/*dddb='{db}',dddbs='postgres',dde='test',ddh='{host}',ddps='app',ddpv='1.0'*/ SELECT current_query()"
            )
        );
        let span = common::only_span(&exporter);
        assert_eq!(span.resource, "SELECT current_query()");
        assert_eq!(span.meta(ddtrace_sqlx::DBM_TRACE_INJECTED), None);
    }

    #[tokio::test]
    async fn full_mode_adds_the_traceparent_of_the_query_span() {
        let (tracer, exporter) = common::tracer_with(common::config());
        let pool = ddtrace_sqlx::TracedPool::with_tracer(connect().await, tracer)
            .with_dbm_propagation_mode(ddtrace_sqlx::DbmMode::Full);
        for _ in 0..2 {
            // twice: the statement must not be served from a cache keyed by an old comment
            exporter.clear();
            let seen: String = sqlx::query_scalar("SELECT current_query()")
                .fetch_one(&pool)
                .await
                .expect("query");
            let span = common::only_span(&exporter);
            let expected = format!(
                "traceparent='00-{}-{}-01'*/ SELECT current_query()",
                span.trace_id.to_hex32(),
                span.span_id.to_hex16()
            );
            assert!(seen.ends_with(&expected), "{seen}");
            assert_eq!(span.meta(ddtrace_sqlx::DBM_TRACE_INJECTED), Some("true"));
            assert_eq!(span.resource, "SELECT current_query()");
        }
    }
}
