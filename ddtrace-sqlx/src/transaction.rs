//! [`TracedTransaction`].

use std::fmt;
use std::sync::Arc;

use ddtrace_core::integration::apply_peer_service;
use sqlx::{Connection, Error, Transaction};

use crate::database::TracedDatabase;
use crate::instrumentation::Instrumentation;
use crate::query::{record_error, start_span};

/// A transaction begun from a [`TracedPool`](crate::TracedPool) or a
/// [`TracedPoolConnection`](crate::TracedPoolConnection); pass `&mut tx` wherever sqlx takes
/// an executor.
///
/// [`commit`](Self::commit) and [`rollback`](Self::rollback) get spans of their own
/// (`postgres.connection.commit`, ...), as the Python tracer's DB-API connections do. Dropping
/// the transaction without either rolls it back, as in sqlx, untraced.
///
/// Like [`TracedPoolConnection`](crate::TracedPoolConnection), it does not dereference to the
/// driver's connection, so that `&mut *tx` cannot skip tracing by accident.
pub struct TracedTransaction<'c, DB: TracedDatabase> {
    pub(crate) tx: Transaction<'c, DB>,
    pub(crate) inst: Arc<Instrumentation>,
}

impl<'c, DB: TracedDatabase> TracedTransaction<'c, DB> {
    pub(crate) fn new(tx: Transaction<'c, DB>, inst: Arc<Instrumentation>) -> Self {
        TracedTransaction { tx, inst }
    }

    /// Commits the transaction (or releases the savepoint), in a `{db}.connection.commit` span.
    pub async fn commit(self) -> Result<(), Error> {
        let TracedTransaction { tx, inst } = self;
        end::<DB>(&inst, "connection.commit", tx.commit()).await
    }

    /// Rolls the transaction (or savepoint) back, in a `{db}.connection.rollback` span.
    pub async fn rollback(self) -> Result<(), Error> {
        let TracedTransaction { tx, inst } = self;
        end::<DB>(&inst, "connection.rollback", tx.rollback()).await
    }

    /// Starts a nested transaction (a savepoint); its queries are traced.
    pub async fn begin(&mut self) -> Result<TracedTransaction<'_, DB>, Error> {
        let inst = self.inst.clone();
        let tx = Connection::begin(&mut *self.tx).await?;
        Ok(TracedTransaction::new(tx, inst))
    }

    /// The driver's connection, untraced.
    pub fn inner_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }

    /// The sqlx transaction, untraced.
    pub fn into_inner(self) -> Transaction<'c, DB> {
        self.tx
    }
}

async fn end<DB: TracedDatabase>(
    inst: &Instrumentation,
    what: &'static str,
    work: impl Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    let tracer = inst.tracer();
    if !tracer.is_enabled() {
        return work.await;
    }
    let (span, _) = start_span::<DB>(inst, tracer, what, None);
    apply_peer_service(&span, tracer.config());
    let result = work.await;
    if let Err(e) = &result {
        record_error::<DB>(&span, e);
    }
    result
}

impl<DB: TracedDatabase> fmt::Debug for TracedTransaction<'_, DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedTransaction")
            .field("tx", &self.tx)
            .finish_non_exhaustive()
    }
}
