//! What the per-database test files share: a tracer per test, unique table names, and one
//! suite of tests instantiated for each database by [`query_suite!`].
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{Config, Tracer};

/// A tracer of the test's own, so tests do not share the global one.
pub fn tracer_with(config: Config) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(config)
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

/// The default test configuration: service `app`, env `test`, version `1.0`.
pub fn config() -> Config {
    Config::builder_without_env()
        .service("app")
        .env("test")
        .version("1.0")
        .build()
}

/// A table name no other test process uses.
pub fn table(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "ddt_{test}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL of a server from `var`, else `default` (the local servers scripts/test.sh starts).
pub fn url(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Fails the test loudly when the server cannot be reached: these tests are never skipped.
pub fn unreachable(what: &str, url: &str, error: impl std::fmt::Display) -> ! {
    panic!(
        "{what} at {url} cannot be reached ({error}). These tests need the real server: \
         run scripts/test.sh, which starts it, or set the URL variable to one that answers."
    )
}

/// A cleanup with nothing to do (server databases keep no file).
pub async fn nothing<T>(_: T) {}

/// How long a connection attempt may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The only span, failing with the list of spans otherwise.
pub fn only_span(exporter: &InMemoryExporter) -> SpanData {
    let spans = exporter.spans();
    assert_eq!(
        spans.len(),
        1,
        "expected exactly one span, got {:#?}",
        spans
            .iter()
            .map(|s| (&s.name, &s.resource))
            .collect::<Vec<_>>()
    );
    spans.into_iter().next().unwrap_or_default()
}

/// No tag of `span` contains `needle` (bind values must never be recorded).
pub fn assert_no_tag_contains(span: &SpanData, needle: &str) {
    for (k, v) in &span.meta {
        assert!(!v.contains(needle), "tag {k}={v} holds a bind value");
    }
    assert!(
        !span.resource.contains(needle),
        "the resource holds a bind value"
    );
}

/// The tests every database runs, given:
/// - `$db`: the sqlx database type;
/// - `connect`: an async expression giving a plain `sqlx::Pool<$db>`;
/// - `p1`, `p2`: the first two bind placeholders of the dialect;
/// - `name`, `system`: the expected span name and `db.system`;
/// - `endpoint`: the expected host, user, database and port tags, if any;
/// - `cleanup`: an async fn run on the plain pool when a test ends.
#[macro_export]
macro_rules! query_suite {
    (
        db: $db:ty,
        connect: $connect:expr,
        p1: $p1:literal,
        p2: $p2:literal,
        name: $name:literal,
        service: $service:literal,
        system: $system:literal,
        endpoint: $endpoint:expr,
        cleanup: $cleanup:path $(,)?
    ) => {
        use std::time::Duration;

        use ddtrace_core::export::InMemoryExporter;
        use ddtrace_core::span_data::SpanData;
        use ddtrace_core::{Instrument, Tracer};
        use ddtrace_sqlx::TracedPool;
        use futures_util::StreamExt;
        use sqlx::{AssertSqlSafe, Executor as _, Row as _, SqlSafeStr as _};

        use common::*;

        /// A traced pool on a fresh table with rows (1, 'one'), (2, 'two'), (3, 'three'),
        /// and an exporter emptied of the set-up's spans.
        struct Fixture {
            pool: TracedPool<$db>,
            plain: sqlx::Pool<$db>,
            tracer: Tracer,
            exporter: InMemoryExporter,
            table: String,
        }

        impl Fixture {
            async fn new(test: &str) -> Fixture {
                Fixture::with_config(test, config()).await
            }

            async fn with_config(test: &str, config: ddtrace_core::Config) -> Fixture {
                let plain: sqlx::Pool<$db> = $connect;
                let (tracer, exporter) = tracer_with(config);
                let table = table(test);
                plain
                    .execute(AssertSqlSafe(format!(
                        "CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL)"
                    )))
                    .await
                    .unwrap_or_else(|e| panic!("create table {table}: {e}"));
                plain
                    .execute(AssertSqlSafe(format!(
                        "INSERT INTO {table} (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')"
                    )))
                    .await
                    .unwrap_or_else(|e| panic!("fill table {table}: {e}"));
                let pool = TracedPool::with_tracer(plain.clone(), tracer.clone());
                Fixture {
                    pool,
                    plain,
                    tracer,
                    exporter,
                    table,
                }
            }

            fn sql(&self, template: &str) -> AssertSqlSafe<String> {
                AssertSqlSafe(template.replace("{t}", &self.table))
            }

            fn text(&self, template: &str) -> String {
                template.replace("{t}", &self.table)
            }

            /// Runs `SELECT id FROM {t}` through `pool` and returns the one span it made.
            async fn select_span(&self, pool: &TracedPool<$db>) -> SpanData {
                sqlx::query(self.sql("SELECT id FROM {t}"))
                    .fetch_all(pool)
                    .await
                    .expect("fetch");
                only_span(&self.exporter)
            }

            async fn drop_table(self) {
                let _ = self
                    .plain
                    .execute(AssertSqlSafe(format!("DROP TABLE {}", self.table)))
                    .await;
                $cleanup(self.plain).await;
            }
        }

        fn assert_db_tags(span: &SpanData, resource: &str) {
            assert_eq!(span.name, $name);
            assert_eq!(span.resource, resource);
            assert_eq!(span.span_type, "sql");
            assert_eq!(span.service, $service);
            assert_eq!(span.meta("component"), Some("sqlx"));
            assert_eq!(span.meta("span.kind"), Some("client"));
            assert_eq!(span.meta("db.system"), Some($system));
            assert_eq!(span.meta("_dd.svc_src"), Some("sqlx"));
            assert_eq!(span.meta("_dd.base_service"), Some("app"));
            assert_eq!(span.meta("env"), Some("test"));
            assert_eq!(span.metric("_dd.measured"), Some(1.0));
            assert_eq!(
                span.error,
                0,
                "unexpected error: {:?}",
                span.meta("error.message")
            );
            let endpoint: Option<(&str, &str, &str, f64)> = $endpoint;
            match endpoint {
                Some((host, user, db, port)) => {
                    assert_eq!(span.meta("out.host"), Some(host));
                    assert_eq!(span.meta("db.user"), Some(user));
                    assert_eq!(span.meta("db.name"), Some(db));
                    assert_eq!(span.metric("network.destination.port"), Some(port));
                }
                None => {
                    assert_eq!(span.meta("out.host"), None);
                    assert_eq!(span.meta("db.name"), None);
                }
            }
            // Peer-service defaults are off by default.
            assert_eq!(span.meta("peer.service"), None);
        }

        #[tokio::test]
        async fn execute_through_the_pool_gives_one_span_without_bind_values() {
            let f = Fixture::new("exec").await;
            let text = f.text(concat!(
                "INSERT INTO {t} (id, name) VALUES (",
                $p1,
                ", ",
                $p2,
                ")"
            ));
            let done = sqlx::query(f.sql(&text))
                .bind(42_i32)
                .bind("secret-bind-value")
                .execute(&f.pool)
                .await
                .expect("insert");
            assert_eq!(done.rows_affected(), 1);
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            assert_eq!(span.metric("db.row_count"), Some(1.0));
            assert_no_tag_contains(&span, "secret-bind-value");
            assert_eq!(span.parent_id.0, 0);
            f.drop_table().await;
        }

        #[tokio::test]
        async fn every_fetch_method_gives_one_span() {
            let f = Fixture::new("fetch").await;
            let text = f.text("SELECT id, name FROM {t} ORDER BY id");

            let all: Vec<(i32, String)> = sqlx::query_as(f.sql(&text))
                .fetch_all(&f.pool)
                .await
                .expect("fetch_all");
            assert_eq!(all.len(), 3);
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            assert_eq!(span.metric("db.row_count"), Some(3.0));
            f.exporter.clear();

            let one: (i32, String) = sqlx::query_as(f.sql(&text))
                .fetch_one(&f.pool)
                .await
                .expect("fetch_one");
            assert_eq!(one.0, 1);
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            assert_eq!(span.metric("db.row_count"), Some(1.0));
            f.exporter.clear();

            let missing_text = f.text(concat!("SELECT id FROM {t} WHERE id = ", $p1));
            let none: Option<(i32,)> = sqlx::query_as(f.sql(&missing_text))
                .bind(99_i32)
                .fetch_optional(&f.pool)
                .await
                .expect("fetch_optional");
            assert!(none.is_none());
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &missing_text);
            assert_eq!(span.metric("db.row_count"), Some(0.0));
            f.exporter.clear();

            let count_text = f.text("SELECT COUNT(*) FROM {t}");
            let count: i64 = sqlx::query_scalar(f.sql(&count_text))
                .fetch_one(&f.pool)
                .await
                .expect("query_scalar");
            assert_eq!(count, 3);
            assert_db_tags(&only_span(&f.exporter), &count_text);
            f.exporter.clear();

            let mut rows = sqlx::query(f.sql(&text)).fetch(&f.pool);
            let mut names = Vec::new();
            while let Some(row) = rows.next().await {
                names.push(
                    row.expect("row")
                        .try_get::<String, _>("name")
                        .expect("name"),
                );
            }
            drop(rows);
            assert_eq!(names, ["one", "two", "three"]);
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            assert_eq!(span.metric("db.row_count"), Some(3.0));
            f.exporter.clear();

            let mapped: Vec<i32> = sqlx::query(f.sql(&text))
                .map(|row: <$db as sqlx::Database>::Row| row.get::<i32, _>(0))
                .fetch_all(&f.pool)
                .await
                .expect("map");
            assert_eq!(mapped, [1, 2, 3]);
            assert_db_tags(&only_span(&f.exporter), &text);
            f.exporter.clear();

            let update = f.text("UPDATE {t} SET name = 'x' WHERE id > 1");
            let done = sqlx::raw_sql(f.sql(&update))
                .execute(&f.pool)
                .await
                .expect("raw_sql");
            assert_eq!(done.rows_affected(), 2);
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &update);
            assert_eq!(span.metric("db.row_count"), Some(2.0));
            f.drop_table().await;
        }

        #[tokio::test]
        async fn query_spans_are_children_of_the_active_span() {
            let f = Fixture::new("parent").await;
            let text = f.text("SELECT id FROM {t}");
            let root = f.tracer.trace("web.request").start_detached();
            let (root_trace, root_id) = (root.trace_id(), root.span_id());
            let pool = f.pool.clone();
            let sql = f.sql(&text);
            async move {
                let rows: Vec<(i32,)> = sqlx::query_as(sql).fetch_all(&pool).await.expect("fetch");
                assert_eq!(rows.len(), 3);
            }
            .instrument(root)
            .await;
            let spans = f.exporter.spans();
            assert_eq!(spans.len(), 2, "{spans:#?}");
            let query = spans.iter().find(|s| s.name == $name).expect("query span");
            assert_eq!(query.parent_id, root_id);
            assert_eq!(query.trace_id, root_trace);
            f.drop_table().await;
        }

        #[tokio::test]
        async fn connections_and_transactions_are_traced() {
            let f = Fixture::new("tx").await;
            let select = f.text("SELECT name FROM {t} WHERE id = 1");

            let mut conn = f.pool.acquire().await.expect("acquire");
            let name: String = sqlx::query_scalar(f.sql(&select))
                .fetch_one(&mut conn)
                .await
                .expect("on a connection");
            assert_eq!(name, "one");
            assert_db_tags(&only_span(&f.exporter), &select);
            f.exporter.clear();

            // A transaction on that connection, then a savepoint rolled back.
            let insert = f.text(concat!(
                "INSERT INTO {t} (id, name) VALUES (",
                $p1,
                ", 'tx')"
            ));
            {
                let mut tx = conn.begin().await.expect("begin on a connection");
                sqlx::query(f.sql(&insert))
                    .bind(10_i32)
                    .execute(&mut tx)
                    .await
                    .expect("in tx");
                assert_db_tags(&only_span(&f.exporter), &insert);
                f.exporter.clear();
                let mut savepoint = tx.begin().await.expect("savepoint");
                sqlx::query(f.sql(&insert))
                    .bind(11_i32)
                    .execute(&mut savepoint)
                    .await
                    .expect("in savepoint");
                assert_db_tags(&only_span(&f.exporter), &insert);
                f.exporter.clear();
                savepoint.rollback().await.expect("rollback");
                let span = only_span(&f.exporter);
                assert_eq!(span.name, concat!($service, ".connection.rollback"));
                f.exporter.clear();
                tx.commit().await.expect("commit");
                let span = only_span(&f.exporter);
                assert_eq!(span.name, concat!($service, ".connection.commit"));
                assert_eq!(span.resource, span.name);
                assert_eq!(span.meta("db.system"), Some($system));
                f.exporter.clear();
            }
            drop(conn);

            // A transaction from the pool.
            let mut tx = f.pool.begin().await.expect("begin");
            sqlx::query(f.sql(&insert))
                .bind(12_i32)
                .execute(&mut tx)
                .await
                .expect("in tx");
            let count: i64 = sqlx::query_scalar(f.sql("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&mut tx)
                .await
                .expect("count in tx");
            assert_eq!(count, 5, "rows 1-3, 10 and 12; 11 was rolled back");
            assert_eq!(f.exporter.spans().len(), 2);
            f.exporter.clear();
            tx.commit().await.expect("commit");
            assert_eq!(
                only_span(&f.exporter).name,
                concat!($service, ".connection.commit")
            );
            f.drop_table().await;
        }

        #[tokio::test]
        async fn prepared_statements_are_traced() {
            let f = Fixture::new("prep").await;
            let text = f.text(concat!("SELECT name FROM {t} WHERE id = ", $p1));
            let stmt = f
                .pool
                .prepare(f.sql(&text).into_sql_str())
                .await
                .expect("prepare");
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            f.exporter.clear();

            use sqlx::Statement as _;
            let name: String = stmt
                .query()
                .bind(2_i32)
                .try_map(|row: <$db as sqlx::Database>::Row| row.try_get(0))
                .fetch_one(&f.pool)
                .await
                .expect("run the statement");
            assert_eq!(name, "two");
            let span = only_span(&f.exporter);
            assert_db_tags(&span, &text);
            assert_eq!(span.metric("db.row_count"), Some(1.0));
            f.drop_table().await;
        }

        #[tokio::test]
        async fn a_failing_query_records_the_database_error() {
            let f = Fixture::new("err").await;
            let text = f.text("SELECT nope FROM {t}_missing");
            let err = sqlx::query(f.sql(&text))
                .fetch_all(&f.pool)
                .await
                .expect_err("must fail");
            let db_error = err.as_database_error().expect("a database error");
            let span = only_span(&f.exporter);
            assert_eq!(span.error, 1);
            assert_eq!(span.name, $name);
            assert_eq!(span.resource, text.as_str());
            assert_eq!(span.meta("error.message"), Some(db_error.message()));
            assert!(span.meta("error.type").is_some_and(|t| t.contains("Error")));
            assert_eq!(
                span.meta(ddtrace_sqlx::ERROR_CODE_TAG),
                db_error.code().as_deref()
            );
            assert!(span.meta(ddtrace_sqlx::ERROR_CODE_TAG).is_some());
            assert_eq!(span.metric("db.row_count"), None);
            f.exporter.clear();

            // fetch_optional and execute record errors too.
            let _ = sqlx::query(f.sql(&text))
                .fetch_optional(&f.pool)
                .await
                .expect_err("fails");
            assert_eq!(only_span(&f.exporter).error, 1);
            f.exporter.clear();
            let _ = sqlx::query(f.sql(&text))
                .execute(&f.pool)
                .await
                .expect_err("fails");
            assert_eq!(only_span(&f.exporter).error, 1);
            f.drop_table().await;
        }

        #[tokio::test]
        async fn a_streamed_querys_span_covers_the_stream() {
            let f = Fixture::new("stream").await;
            let text = f.text("SELECT id FROM {t} ORDER BY id");
            let pause = Duration::from_millis(60);
            let started = std::time::Instant::now();
            let mut rows = sqlx::query(f.sql(&text)).fetch(&f.pool);
            let mut n = 0;
            while let Some(row) = rows.next().await {
                row.expect("row");
                n += 1;
                assert!(
                    f.exporter.spans().is_empty(),
                    "the span ended before the stream"
                );
                tokio::time::sleep(pause).await;
            }
            drop(rows);
            let elapsed = started.elapsed();
            assert_eq!(n, 3);
            let span = only_span(&f.exporter);
            assert!(
                span.duration >= 3 * pause.as_nanos() as i64,
                "span lasted {} ns, the stream {elapsed:?}",
                span.duration
            );
            assert_eq!(span.metric("db.row_count"), Some(3.0));
            f.exporter.clear();

            // A stream dropped early still ends its span, without a row count.
            let mut rows = sqlx::query(f.sql(&text)).fetch(&f.pool);
            rows.next().await.expect("a row").expect("row");
            drop(rows);
            let span = only_span(&f.exporter);
            assert_eq!(span.metric("db.row_count"), None);
            assert_eq!(span.error, 0);
            f.drop_table().await;
        }

        #[tokio::test]
        async fn a_disabled_tracer_records_nothing_and_queries_still_run() {
            let mut config = config();
            config.enabled = false;
            let f = Fixture::with_config("off", config).await;
            let rows: Vec<(i32,)> = sqlx::query_as(f.sql("SELECT id FROM {t}"))
                .fetch_all(&f.pool)
                .await
                .expect("fetch");
            assert_eq!(rows.len(), 3);
            assert!(f.exporter.spans().is_empty());
            f.drop_table().await;
        }

        #[tokio::test]
        async fn peer_service_and_service_mapping_follow_the_configuration() {
            let mut config = config();
            config.peer_service_defaults_enabled = true;
            config.service_mapping = vec![($service.to_owned(), "orders-db".to_owned())];
            let f = Fixture::with_config("peer", config).await;
            let span = f.select_span(&f.pool).await;
            assert_eq!(span.service, "orders-db");
            assert_eq!(span.meta("_dd.svc_src"), Some("opt.service_mapping"));
            let endpoint: Option<(&str, &str, &str, f64)> = $endpoint;
            match endpoint {
                Some((_, _, db, _)) => {
                    assert_eq!(span.meta("peer.service"), Some(db));
                    assert_eq!(span.meta("_dd.peer.service.source"), Some("db.name"));
                }
                None => assert_eq!(span.meta("peer.service"), None),
            }
            f.exporter.clear();

            let pool = f.pool.clone().with_service("billing-db");
            let span = f.select_span(&pool).await;
            assert_eq!(span.service, "billing-db");
            assert_eq!(span.meta("_dd.svc_src"), Some("m"));
            f.drop_table().await;
        }

        #[tokio::test]
        async fn schema_v1_names_spans_after_the_database_system() {
            let mut config = config();
            config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
            let f = Fixture::with_config("v1", config).await;
            let span = f.select_span(&f.pool).await;
            assert_eq!(span.name, concat!($system, ".query"));
            assert_eq!(span.service, "app");
            // DD_SERVICE is then the integration's default service, as in the Python tracer.
            assert_eq!(span.meta("_dd.svc_src"), Some("sqlx"));
            f.drop_table().await;
        }

        #[tokio::test]
        async fn removing_integration_service_names_keeps_the_v0_name() {
            let mut config = config();
            config.remove_integration_service_names = true;
            let f = Fixture::with_config("rmsvc", config).await;
            let span = f.select_span(&f.pool).await;
            assert_eq!(span.service, "app");
            assert_eq!(span.meta("_dd.svc_src"), Some("sqlx"));
            f.drop_table().await;
        }
    };
}
