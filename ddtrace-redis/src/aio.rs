//! The async `ConnectionLike` of [`TracedConnection`].

use ddtrace_core::Instrument;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::command::Operation;
use crate::connection::TracedConnection;
use crate::span::{Outcome, record};

impl<C> redis::aio::ConnectionLike for TracedConnection<C>
where
    C: redis::aio::ConnectionLike + Send,
{
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let TracedConnection { inner, shared } = self;
        let shared = &**shared;
        let Some(tracer) = shared.tracer() else {
            return inner.req_packed_command(cmd);
        };
        let config = &shared.config;
        let op = Operation::from_cmd(cmd, config.format());
        let row_count = op.row_count;
        let span = shared.start(tracer, op, inner.get_db());
        let handle = span.handle();
        // The span is active inside this future only, and finishes when the reply is in (or
        // when the future is dropped unfinished).
        Box::pin(
            async move {
                let result = inner.req_packed_command(cmd).await;
                record(&handle, row_count, Outcome::from(&result));
                result
            }
            .instrument(span),
        )
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let TracedConnection { inner, shared } = self;
        let shared = &**shared;
        let Some(tracer) = shared.tracer() else {
            return inner.req_packed_commands(pipeline, offset, count);
        };
        let config = &shared.config;
        let op = Operation::from_pipeline(pipeline, config.format());
        let row_count = op.row_count;
        let span = shared.start(tracer, op, inner.get_db());
        let handle = span.handle();
        Box::pin(
            async move {
                let result = inner.req_packed_commands(pipeline, offset, count).await;
                record(&handle, row_count, Outcome::from(&result));
                result
            }
            .instrument(span),
        )
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
