//! Query spans against the real MariaDB/MySQL server (TEST_MYSQL_URL, default
//! mysql://root@127.0.0.1:3306/test). Fails, never skips, when the server is down.
#![cfg(feature = "mysql")]

mod common;

const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/test";

async fn connect() -> sqlx::MySqlPool {
    let url = common::url("TEST_MYSQL_URL", DEFAULT_URL);
    sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(common::CONNECT_TIMEOUT)
        .connect(&url)
        .await
        .unwrap_or_else(|e| common::unreachable("MariaDB/MySQL", &url, e))
}

fn endpoint() -> Option<(&'static str, &'static str, &'static str, f64)> {
    let url = common::url("TEST_MYSQL_URL", DEFAULT_URL);
    let opts: sqlx::mysql::MySqlConnectOptions = url.parse().expect("a valid URL");
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    Some((
        leak(opts.get_host()),
        leak(opts.get_username()),
        leak(opts.get_database().unwrap_or_default()),
        f64::from(opts.get_port()),
    ))
}

query_suite! {
    db: sqlx::MySql,
    connect: connect().await,
    p1: "?",
    p2: "?",
    name: "mysql.query",
    service: "mysql",
    system: "mysql",
    endpoint: endpoint(),
    cleanup: common::nothing,
}

mod dbm {
    use super::*;

    /// The server's process list shows the statement it is running, comment included.
    #[tokio::test]
    async fn full_mode_sends_the_comment_with_the_traceparent() {
        let (tracer, exporter) = common::tracer_with({
            let mut c = common::config();
            c.dbm_propagation_mode = ddtrace_sqlx::DbmMode::Full;
            c
        });
        let pool = ddtrace_sqlx::TracedPool::with_tracer(connect().await, tracer);
        let sql = "SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()";
        let seen: Option<String> = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("query");
        let seen = seen.expect("the running statement");
        let span = common::only_span(&exporter);
        let (host, _, db, _) = endpoint().expect("endpoint");
        assert_eq!(
            seen,
            format!(
                "/*dddb='{db}',dddbs='mysql',dde='test',ddh='{host}',ddps='app',ddpv='1.0',traceparent='00-{}-{}-01'*/ {sql}",
                span.trace_id.to_hex32(),
                span.span_id.to_hex16()
            )
        );
        assert_eq!(span.resource, sql);
        assert_eq!(span.meta(ddtrace_sqlx::DBM_TRACE_INJECTED), Some("true"));
    }
}
