//! [`TracedPool`] and [`TracedPoolConnection`].

use std::fmt;
use std::sync::Arc;

use ddtrace_core::{Str, Tracer};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Error, Pool};

use crate::database::{Endpoint, TracedDatabase};
use crate::dbm::DbmMode;
use crate::instrumentation::Instrumentation;
use crate::transaction::TracedTransaction;

/// A [`Pool`] whose queries are traced: pass `&TracedPool` wherever sqlx takes an executor.
///
/// Connections ([`acquire`](Self::acquire)) and transactions ([`begin`](Self::begin)) taken
/// from it are traced too, with the same settings.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sqlx::Error> {
/// use ddtrace_sqlx::TracedPool;
///
/// let pool = TracedPool::new(sqlx::SqlitePool::connect("sqlite::memory:").await?)
///     .with_service("orders-db");
/// let mut tx = pool.begin().await?;
/// sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut tx).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub struct TracedPool<DB: TracedDatabase> {
    pool: Pool<DB>,
    pub(crate) inst: Arc<Instrumentation>,
}

impl<DB: TracedDatabase> TracedPool<DB> {
    /// Traces `pool`'s queries with the global tracer ([`ddtrace_core::tracer()`]), looked
    /// up at each query: wrapping the pool before `ddtrace::init()` is fine.
    pub fn new(pool: Pool<DB>) -> Self {
        let endpoint = DB::endpoint(&pool.connect_options());
        TracedPool {
            pool,
            inst: Arc::new(Instrumentation::new(endpoint)),
        }
    }

    /// Traces `pool`'s queries with `tracer`.
    pub fn with_tracer(pool: Pool<DB>, tracer: Tracer) -> Self {
        let mut traced = Self::new(pool);
        traced.inst = traced.inst.with(|i| i.set_tracer(tracer));
        traced
    }

    /// The service of the query spans, instead of the integration's default (`postgres`,
    /// `mysql`, `sqlite`; `DD_SERVICE` under `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1`).
    pub fn with_service(mut self, service: impl Into<Str>) -> Self {
        let service = service.into();
        self.inst = self.inst.with(|i| i.service = Some(service));
        self
    }

    /// The Database Monitoring mode, instead of the tracer's `DD_DBM_PROPAGATION_MODE`.
    pub fn with_dbm_propagation_mode(mut self, mode: DbmMode) -> Self {
        self.inst = self.inst.with(|i| i.dbm_mode = Some(mode));
        self
    }

    /// Where the pool connects, as the spans tag it.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inst.endpoint
    }

    /// The wrapped pool. Queries run on it directly are not traced.
    pub fn inner(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The wrapped pool, without tracing.
    pub fn into_inner(self) -> Pool<DB> {
        self.pool
    }

    /// Takes a connection from the pool ([`Pool::acquire`]); its queries are traced.
    pub async fn acquire(&self) -> Result<TracedPoolConnection<DB>, Error> {
        Ok(TracedPoolConnection {
            conn: self.pool.acquire().await?,
            inst: self.inst.clone(),
        })
    }

    /// Starts a transaction on a connection from the pool ([`Pool::begin`]); its queries are
    /// traced.
    pub async fn begin(&self) -> Result<TracedTransaction<'static, DB>, Error> {
        Ok(TracedTransaction::new(
            self.pool.begin().await?,
            self.inst.clone(),
        ))
    }

    /// Closes the pool ([`Pool::close`]).
    pub async fn close(&self) {
        self.pool.close().await
    }

    /// Whether the pool is closed.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }
}

impl<DB: TracedDatabase> Clone for TracedPool<DB> {
    fn clone(&self) -> Self {
        TracedPool {
            pool: self.pool.clone(),
            inst: self.inst.clone(),
        }
    }
}

impl<DB: TracedDatabase> fmt::Debug for TracedPool<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedPool")
            .field("pool", &self.pool)
            .field("endpoint", &self.inst.endpoint)
            .finish_non_exhaustive()
    }
}

impl<DB: TracedDatabase> From<Pool<DB>> for TracedPool<DB> {
    fn from(pool: Pool<DB>) -> Self {
        TracedPool::new(pool)
    }
}

/// A connection taken from a [`TracedPool`]; pass `&mut conn` wherever sqlx takes an
/// executor. It goes back to the pool when dropped.
///
/// It deliberately does not dereference to the driver's connection: with plain sqlx one
/// writes `&mut *conn`, which here would not compile rather than silently skip tracing. The
/// untraced connection is still reachable through [`inner_mut`](Self::inner_mut).
pub struct TracedPoolConnection<DB: TracedDatabase> {
    pub(crate) conn: PoolConnection<DB>,
    pub(crate) inst: Arc<Instrumentation>,
}

impl<DB: TracedDatabase> TracedPoolConnection<DB> {
    /// Starts a transaction on this connection; its queries are traced.
    pub async fn begin(&mut self) -> Result<TracedTransaction<'_, DB>, Error> {
        let inst = self.inst.clone();
        let tx = Connection::begin(&mut *self.conn).await?;
        Ok(TracedTransaction::new(tx, inst))
    }

    /// The driver's connection, untraced.
    pub fn inner_mut(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }

    /// The pool's connection, untraced.
    pub fn into_inner(self) -> PoolConnection<DB> {
        self.conn
    }
}

impl<DB: TracedDatabase> fmt::Debug for TracedPoolConnection<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedPoolConnection")
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}
