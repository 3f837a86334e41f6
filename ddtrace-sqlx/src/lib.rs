//! ddtrace integration for [sqlx]: a client span for every query, tagged as the Datadog Python
//! tracer's database integrations tag theirs, with optional Database Monitoring comments.
//!
//! Wrap the pool once; queries keep their usual form:
//!
//! ```
//! use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
//! use ddtrace_sqlx::TracedPool;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sqlx::Error> {
//! # let exporter = InMemoryExporter::new();
//! # let tracer = Tracer::builder()
//! #     .config(Config::builder_without_env().service("shop").build())
//! #     .exporter(exporter.clone())
//! #     .build();
//! let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
//! let pool = TracedPool::with_tracer(pool, tracer); // or TracedPool::new(pool): global tracer
//!
//! let (one,): (i64,) = sqlx::query_as("SELECT 1").fetch_one(&pool).await?;
//! assert_eq!(one, 1);
//!
//! let span = &exporter.spans()[0];
//! assert_eq!(span.name, "sqlite.query");
//! assert_eq!(span.resource, "SELECT 1");
//! assert_eq!(span.meta("db.system"), Some("sqlite"));
//! assert_eq!(span.metric("db.row_count"), Some(1.0));
//! # Ok(()) }
//! ```
//!
//! # Design: one wrapper at the pool
//!
//! sqlx runs every query — `query`, `query_as`, `query_scalar`, the `query!` family of macros,
//! `raw_sql`, prepared statements — through its [`Executor`](sqlx::Executor) trait, whose
//! `execute`, `fetch`, `fetch_all`, `fetch_one` and `fetch_optional` all end in two methods,
//! `fetch_many` and `fetch_optional`. So the wrappers here implement `Executor` themselves and
//! delegate to the executor they wrap, tracing those two methods (and `prepare_with` and
//! `describe`, which are round trips too). Application code changes in one place, where the
//! pool is built; every call site keeps its form, `.fetch_all(&pool)`.
//!
//! The alternatives were worse: a span per call site (a helper around each `.await`) is the
//! change to user code the integration should spare; a `tracing` subscriber on sqlx's query
//! log sees queries only after they finish, without their parent span or errors; wrapping the
//! driver's connection type would mean a fork of each driver.
//!
//! | plain sqlx | traced |
//! |---|---|
//! | `Pool<DB>`, `&pool` | [`TracedPool<DB>`], `&pool` |
//! | `pool.acquire()` → `PoolConnection`, `&mut *conn` | [`TracedPoolConnection`], `&mut conn` |
//! | `pool.begin()` → `Transaction`, `&mut *tx` | [`TracedTransaction`], `&mut tx` |
//!
//! The connection and transaction wrappers do not dereference to the driver's connection, so
//! the habitual `&mut *tx` fails to compile instead of silently running untraced.
//!
//! # Spans
//!
//! | | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | name (schema v0 / v1) | `postgres.query` / `postgresql.query` | `mysql.query` | `sqlite.query` |
//! | service (v0; v1 or `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`: `DD_SERVICE`) | `postgres` | `mysql` | `sqlite` |
//! | `db.system` | `postgresql` | `mysql` | `sqlite` |
//!
//! Every span has type `sql`, the SQL text as its resource (the agent obfuscates it),
//! `component=sqlx`, `span.kind=client`, `_dd.measured=1`, and, where the pool's connect
//! options say, `db.name`, `db.user`, `out.host` and `network.destination.port` (SQLite gets
//! none of these, as with the Python tracer's sqlite3 integration). `db.row_count` is the number
//! of rows returned, or else the rows the statement changed. `peer.service` follows
//! `DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED` and `DD_TRACE_PEER_SERVICE_MAPPING`;
//! `DD_SERVICE_MAPPING` renames the service. `_dd.svc_src` is `m` for a service set with
//! `with_service`, `opt.service_mapping` for a renamed one, else `sqlx`. The span's parent is the span active where the
//! query is called, and a streamed query's span lasts until the stream ends or is dropped.
//!
//! A failed query marks its span as an error: for errors the server reports, `error.message`
//! is the database's message, `error.type` the driver's error type and
//! `db.response.status_code` the database's code (SQLSTATE, or SQLite's result code); other
//! failures (I/O, pool timeout, ...) record the sqlx error. Bind parameter values are never
//! read.
//!
//! Committing and rolling back a [`TracedTransaction`] give `postgres.connection.commit` /
//! `.rollback` spans (as the Python tracer's DB-API connections do).
//!
//! # Database Monitoring
//!
//! With `DD_DBM_PROPAGATION_MODE=service` (or `full`), PostgreSQL and MySQL queries are sent with
//! a leading comment that the Database Monitoring product reads, as the Python tracer writes it:
//! `/*dddb='shop',dddbs='postgres',dde='prod',ddh='db1',ddps='api',ddpv='1.2'*/ SELECT ...`.
//! `full` adds the query span's W3C `traceparent` and tags the span
//! `_dd.dbm_trace_injected=true`. The span's resource stays the SQL as written. In `full`
//! mode each query text is unique, so the query is not kept in the connection's prepared
//! statement cache. Queries built from a prepared [`Statement`](sqlx::Statement) are not
//! commented (the server already holds their text). [`TracedPool::with_dbm_propagation_mode`]
//! overrides the configured mode.
//!
//! # Features
//!
//! `postgres`, `mysql` and `sqlite` (all on by default) enable the database of that name in
//! sqlx and here. The crate always turns on the `offline` feature of sqlx's drivers (which
//! sqlx's default `macros` feature also enables), since the `Executor` trait's shape depends
//! on it.
//!
//! [sqlx]: https://docs.rs/sqlx

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without a database feature nothing can be traced; the crate still builds, quietly.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]

mod database;
mod dbm;
mod executor;
mod instrumentation;
mod pool;
mod query;
mod transaction;

pub use database::{Endpoint, TracedDatabase};
pub use dbm::{DBM_TRACE_INJECTED, DbmMode};
pub use pool::{TracedPool, TracedPoolConnection};
pub use query::ERROR_CODE_TAG;
pub use transaction::TracedTransaction;

/// A traced PostgreSQL pool.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub type TracedPgPool = TracedPool<sqlx::Postgres>;

/// A traced MySQL / MariaDB pool.
#[cfg(feature = "mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
pub type TracedMySqlPool = TracedPool<sqlx::MySql>;

/// A traced SQLite pool.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub type TracedSqlitePool = TracedPool<sqlx::Sqlite>;
