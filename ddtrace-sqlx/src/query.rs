//! One span per query: starting it with the Python tracer's tags, rewriting the query for
//! Database Monitoring, and finishing it when the query's future or stream ends.
//!
//! Every wrapper's `Executor` methods come here with the executor they wrap.

use std::pin::Pin;
use std::task::{Context, Poll};

use ddtrace_core::integration::{apply_peer_service, integration_service, schema_v1};
use ddtrace_core::{Span, SpanRef, Str, Tracer, keys};
use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use sqlx::error::BoxDynError;
use sqlx::{AssertSqlSafe, Database, Either, Error, Execute, Executor, SqlSafeStr, SqlStr};

use crate::database::TracedDatabase;
use crate::dbm::{self, CommentInput, DbmMode};
use crate::instrumentation::Instrumentation;

/// The integration's name: `component`, and `_dd.svc_src` of its default service.
pub(crate) const COMPONENT: &str = "sqlx";
/// Rows a query returned, or else changed.
pub(crate) const ROW_COUNT: &str = "db.row_count";
/// The database's own error code (SQLSTATE for PostgreSQL and MySQL, the result code for
/// SQLite).
pub const ERROR_CODE_TAG: &str = "db.response.status_code";

/// A query taken apart before it runs: its SQL (perhaps with the DBM comment prepended), and
/// everything else as the caller built it. `Execute::sql` consumes the query, so this is the
/// only way to read the SQL for the span and still hand the query on.
pub(crate) struct Prepared<DB: Database> {
    sql: SqlStr,
    statement: Option<DB::Statement>,
    arguments: Option<Result<Option<DB::Arguments>, BoxDynError>>,
    persistent: bool,
}

impl<'q, DB: Database> Execute<'q, DB> for Prepared<DB> {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&DB::Statement> {
        self.statement.as_ref()
    }

    fn take_arguments(&mut self) -> Result<Option<DB::Arguments>, BoxDynError> {
        self.arguments.take().unwrap_or(Ok(None))
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// The operation name: `postgres.query` (v0) or `postgresql.query` (v1), and so on.
fn operation<DB: TracedDatabase>(tracer: &Tracer, what: &str) -> Str {
    let prefix = if schema_v1(tracer.config()) {
        DB::PREFIX_V1
    } else {
        DB::PREFIX_V0
    };
    match (prefix, what) {
        ("postgres", "query") => Str::from_static("postgres.query"),
        ("postgresql", "query") => Str::from_static("postgresql.query"),
        ("mysql", "query") => Str::from_static("mysql.query"),
        ("sqlite", "query") => Str::from_static("sqlite.query"),
        _ => Str::from(format!("{prefix}.{what}")),
    }
}

/// Starts a client span named `{db}.{what}` with the tags every database span carries; its
/// resource is `resource`, else its name. Returns the span and its service.
pub(crate) fn start_span<DB: TracedDatabase>(
    inst: &Instrumentation,
    tracer: &Tracer,
    what: &str,
    resource: Option<Str>,
) -> (Span, Str) {
    let mut builder = tracer.trace(operation::<DB>(tracer, what)).span_type("sql");
    if let Some(resource) = resource {
        builder = builder.resource(resource);
    }
    let span = builder.start_detached();
    if !span.is_recording() {
        return (span, Str::EMPTY);
    }
    let config = tracer.config();
    // Set in code, else DD_SERVICE under schema v1 (or with
    // DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED), else the database's default
    // (`postgres`, `mysql`, `sqlite`); DD_SERVICE_MAPPING renames any of them.
    let service = integration_service(config, COMPONENT, DB::PREFIX_V0, inst.service.as_ref());
    service.apply(&span);
    span.set_tag(keys::COMPONENT, COMPONENT);
    span.set_tag(keys::SPAN_KIND, "client");
    span.set_tag("db.system", DB::SYSTEM);
    let endpoint = &inst.endpoint;
    if let Some(name) = &endpoint.db_name {
        span.set_tag("db.name", name.clone());
    }
    if let Some(user) = &endpoint.user {
        span.set_tag("db.user", user.clone());
    }
    if let Some(host) = &endpoint.host {
        span.set_tag("out.host", host.clone());
    }
    if let Some(port) = endpoint.port {
        span.set_metric(keys::NETWORK_DESTINATION_PORT, f64::from(port));
    }
    span.set_metric(keys::MEASURED, 1.0);
    (span, service.service)
}

/// Starts the span of `query` and takes the query apart, prepending the DBM comment when
/// `DD_DBM_PROPAGATION_MODE` asks for one. Bind parameters are handed on untouched and never
/// read.
pub(crate) fn start_query<'q, DB, E>(
    inst: &Instrumentation,
    tracer: &Tracer,
    mut query: E,
) -> (Span, Prepared<DB>)
where
    DB: TracedDatabase,
    E: Execute<'q, DB>,
{
    let statement = query.statement().cloned();
    let arguments = query.take_arguments();
    let mut persistent = query.persistent();
    let mut sql = query.sql();
    let (span, service) = start_span::<DB>(inst, tracer, "query", Some(Str::shared(sql.as_str())));
    let config = tracer.config();
    // A query built from a prepared statement runs the statement the server already holds:
    // there is no SQL text left to comment.
    if DB::SUPPORTS_DBM && statement.is_none() && span.is_recording() {
        let mode = inst.dbm_mode.unwrap_or(config.dbm_propagation_mode);
        if mode != DbmMode::Disabled {
            let endpoint = &inst.endpoint;
            let input = CommentInput {
                service: &service,
                db_name: endpoint.db_name.as_deref(),
                host: endpoint.host.as_deref(),
                // As in the Python tracer, whose peer-service processor runs on finished
                // spans, the comment is written before `peer.service` defaults are applied;
                // nothing here sets `peer.service` earlier.
                peer_service: None,
            };
            if let Some(mut commented) = dbm::comment(mode, config, &input, &span) {
                commented.push_str(sql.as_str());
                sql = AssertSqlSafe(commented).into_sql_str();
                // Each traceparent makes the text unique: caching the statement would only
                // fill the connection's statement cache with statements never run again.
                if mode == DbmMode::Full {
                    persistent = false;
                }
            }
        }
    }
    apply_peer_service(&span, config);
    let prepared = Prepared {
        sql,
        statement,
        arguments: Some(arguments),
        persistent,
    };
    (span, prepared)
}

/// Records a failed query: the database's own message and code when the server refused it,
/// else the sqlx error.
pub(crate) fn record_error<DB: TracedDatabase>(span: &SpanRef, error: &Error) {
    match error {
        Error::Database(db) => {
            span.set_error_info(DB::DATABASE_ERROR_TYPE, db.message().to_owned(), None);
            if let Some(code) = db.code() {
                span.set_tag(ERROR_CODE_TAG, code.into_owned());
            }
        }
        other => span.set_error_with_type(other, error_type(other)),
    }
}

fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Configuration(_) => "sqlx::Error::Configuration",
        Error::InvalidArgument(_) => "sqlx::Error::InvalidArgument",
        Error::Database(_) => "sqlx::Error::Database",
        Error::Io(_) => "sqlx::Error::Io",
        Error::Tls(_) => "sqlx::Error::Tls",
        Error::Protocol(_) => "sqlx::Error::Protocol",
        Error::RowNotFound => "sqlx::Error::RowNotFound",
        Error::TypeNotFound { .. } => "sqlx::Error::TypeNotFound",
        Error::ColumnIndexOutOfBounds { .. } => "sqlx::Error::ColumnIndexOutOfBounds",
        Error::ColumnNotFound(_) => "sqlx::Error::ColumnNotFound",
        Error::ColumnDecode { .. } => "sqlx::Error::ColumnDecode",
        Error::Encode(_) => "sqlx::Error::Encode",
        Error::Decode(_) => "sqlx::Error::Decode",
        Error::PoolTimedOut => "sqlx::Error::PoolTimedOut",
        Error::PoolClosed => "sqlx::Error::PoolClosed",
        Error::WorkerCrashed => "sqlx::Error::WorkerCrashed",
        _ => "sqlx::Error",
    }
}

type Results<'e, DB> =
    BoxStream<'e, Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, Error>>;

/// `Executor::fetch_many` through `inner`, inside a span that lasts as long as the stream.
pub(crate) fn fetch_many<'c, 'e, 'q, X, E>(
    inner: X,
    inst: &Instrumentation,
    query: E,
) -> Results<'e, X::Database>
where
    'c: 'e,
    'q: 'e,
    X: Executor<'c>,
    X::Database: TracedDatabase,
    E: 'q + Execute<'q, X::Database>,
{
    let tracer = inst.tracer();
    if !tracer.is_enabled() {
        return inner.fetch_many(query);
    }
    let (span, query) = start_query::<X::Database, E>(inst, tracer, query);
    Box::pin(TracedStream::<X::Database> {
        inner: inner.fetch_many(query),
        span: Some(span),
        rows: 0,
        affected: 0,
        failed: false,
    })
}

/// `Executor::fetch_optional` through `inner`, inside a span.
pub(crate) fn fetch_optional<'c, 'e, 'q, X, E>(
    inner: X,
    inst: &Instrumentation,
    query: E,
) -> BoxFuture<'e, Result<Option<<X::Database as Database>::Row>, Error>>
where
    'c: 'e,
    'q: 'e,
    X: Executor<'c>,
    X::Database: TracedDatabase,
    E: 'q + Execute<'q, X::Database>,
{
    let tracer = inst.tracer();
    if !tracer.is_enabled() {
        return inner.fetch_optional(query);
    }
    let (span, query) = start_query::<X::Database, E>(inst, tracer, query);
    let run = inner.fetch_optional(query);
    Box::pin(async move {
        let result = run.await;
        match &result {
            Ok(row) => span.set_metric(ROW_COUNT, if row.is_some() { 1.0 } else { 0.0 }),
            Err(e) => record_error::<X::Database>(&span, e),
        }
        drop(span);
        result
    })
}

/// `Executor::prepare_with` through `inner`, inside a span: preparing is a round trip too.
pub(crate) fn prepare_with<'c, 'e, X>(
    inner: X,
    inst: &Instrumentation,
    sql: SqlStr,
    parameters: &'e [<X::Database as Database>::TypeInfo],
) -> BoxFuture<'e, Result<<X::Database as Database>::Statement, Error>>
where
    'c: 'e,
    X: Executor<'c>,
    X::Database: TracedDatabase,
{
    let tracer = inst.tracer();
    if !tracer.is_enabled() {
        return inner.prepare_with(sql, parameters);
    }
    let (span, _) =
        start_span::<X::Database>(inst, tracer, "query", Some(Str::shared(sql.as_str())));
    apply_peer_service(&span, tracer.config());
    traced::<X::Database, _>(span, inner.prepare_with(sql, parameters))
}

/// `Executor::describe` through `inner`, inside a span.
pub(crate) fn describe<'c, 'e, X>(
    inner: X,
    inst: &Instrumentation,
    sql: SqlStr,
) -> BoxFuture<'e, Result<sqlx::Describe<X::Database>, Error>>
where
    'c: 'e,
    X: Executor<'c>,
    X::Database: TracedDatabase,
{
    let tracer = inst.tracer();
    if !tracer.is_enabled() {
        return inner.describe(sql);
    }
    let (span, _) =
        start_span::<X::Database>(inst, tracer, "query", Some(Str::shared(sql.as_str())));
    apply_peer_service(&span, tracer.config());
    traced::<X::Database, _>(span, inner.describe(sql))
}

/// Runs `work` inside `span`, recording its error.
pub(crate) fn traced<'e, DB: TracedDatabase, T: Send + 'e>(
    span: Span,
    work: BoxFuture<'e, Result<T, Error>>,
) -> BoxFuture<'e, Result<T, Error>> {
    Box::pin(async move {
        let result = work.await;
        if let Err(e) = &result {
            record_error::<DB>(&span, e);
        }
        drop(span);
        result
    })
}

/// A query's results, with the span that finishes when they end (or when the caller drops
/// the stream): a streamed query's span covers the whole stream. A stream dropped before its
/// end gets no `db.row_count`, since not all its rows were seen.
struct TracedStream<'e, DB: Database> {
    inner: Results<'e, DB>,
    span: Option<Span>,
    /// Rows returned so far.
    rows: u64,
    /// Rows the statements reported changing.
    affected: u64,
    failed: bool,
}

impl<DB: TracedDatabase> TracedStream<'_, DB> {
    fn finish(&mut self) {
        if let Some(span) = self.span.take()
            && !self.failed
        {
            // SELECTs report their rows, other statements the rows they changed.
            let count = if self.rows > 0 {
                self.rows
            } else {
                self.affected
            };
            span.set_metric(ROW_COUNT, count as f64);
        }
    }
}

impl<DB: TracedDatabase> Stream for TracedStream<'_, DB> {
    type Item = Result<Either<DB::QueryResult, DB::Row>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let poll = this.inner.as_mut().poll_next(cx);
        match &poll {
            Poll::Ready(Some(Ok(Either::Right(_)))) => this.rows += 1,
            Poll::Ready(Some(Ok(Either::Left(result)))) => {
                this.affected += DB::rows_affected(result);
            }
            Poll::Ready(Some(Err(e))) => {
                this.failed = true;
                if let Some(span) = &this.span {
                    record_error::<DB>(span, e);
                }
            }
            Poll::Ready(None) => this.finish(),
            Poll::Pending => {}
        }
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
