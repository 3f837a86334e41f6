//! [`TracedConnection`]: a redis-rs connection whose commands make spans.

use std::sync::Arc;

use ddtrace_core::Tracer;
use ddtrace_core::integration::TracerSource;
use redis::{Cmd, ConnectionInfo, RedisResult, Value};

use crate::command::Operation;
use crate::config::RedisConfig;
use crate::span::{Outcome, Peer, Shared, record};

/// A redis-rs connection that traces every command, pipeline and transaction sent through it.
///
/// It implements redis-rs's `ConnectionLike` traits (sync [`redis::ConnectionLike`] for
/// [`redis::Connection`], async [`redis::aio::ConnectionLike`] for
/// [`MultiplexedConnection`](redis::aio::MultiplexedConnection) and
/// [`ConnectionManager`](redis::aio::ConnectionManager), and cluster connections with the
/// `cluster` feature), so [`redis::Commands`], [`redis::AsyncCommands`], [`redis::cmd`],
/// [`redis::pipe`] and [`redis::transaction`] work on it unchanged.
///
/// Make one with [`TracedClient`](crate::TracedClient), or wrap a connection you already have
/// with [`new`](Self::new) / [`with_tracer`](Self::with_tracer). Clones (of clonable connections
/// such as `MultiplexedConnection`) share the settings.
///
/// Each command gets a `redis.command` span, a child of the span active where it is sent. Async
/// spans are active while their command runs and only inside that command's future.
///
/// Commands sent to the inner connection through [`get_mut`](Self::get_mut) are not traced,
/// nor are pub/sub subscriptions (`Connection::as_pubsub`, `Client::get_async_pubsub`), as in
/// the Python tracer, which traces `PUBLISH` but not the subscriber side.
#[derive(Clone)]
pub struct TracedConnection<C> {
    pub(crate) inner: C,
    pub(crate) shared: Arc<Shared>,
}

// Not derived: `redis::Connection` is not `Debug`.
impl<C> std::fmt::Debug for TracedConnection<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedConnection")
            .field("connection", &std::any::type_name::<C>())
            .field("peer", &self.shared.peer)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<C> TracedConnection<C> {
    /// Wraps `inner`, connected as `info` says, reporting to the global tracer
    /// ([`ddtrace_core::tracer()`], looked up at each command) with [`RedisConfig::from_env`].
    pub fn new(inner: C, info: &ConnectionInfo) -> Self {
        Self::with_parts(
            inner,
            TracerSource::Global,
            RedisConfig::from_env(),
            Peer::from_info(info),
        )
    }

    /// Wraps `inner`, reporting to `tracer`, with [`RedisConfig::from_env`].
    pub fn with_tracer(inner: C, info: &ConnectionInfo, tracer: Tracer) -> Self {
        Self::with_parts(
            inner,
            TracerSource::Explicit(tracer),
            RedisConfig::from_env(),
            Peer::from_info(info),
        )
    }

    pub(crate) fn with_parts(
        inner: C,
        tracer: TracerSource,
        config: RedisConfig,
        peer: Peer,
    ) -> Self {
        TracedConnection {
            inner,
            shared: Shared::new(tracer, config, peer),
        }
    }

    pub(crate) fn from_shared(inner: C, shared: Arc<Shared>) -> Self {
        TracedConnection { inner, shared }
    }

    /// Replaces the integration settings (default: [`RedisConfig::from_env`]).
    pub fn with_config(mut self, config: RedisConfig) -> Self {
        self.shared = self.shared.with_config(config);
        self
    }

    /// Replaces the server tagged on the spans (`out.host`, `network.destination.port`); by
    /// default the address the connection was made to.
    pub fn with_peer(mut self, peer: Peer) -> Self {
        self.shared = self.shared.with_peer(peer);
        self
    }

    /// The integration settings.
    pub fn config(&self) -> &RedisConfig {
        &self.shared.config
    }

    /// The server tagged on the spans.
    pub fn peer(&self) -> &Peer {
        &self.shared.peer
    }

    /// The inner connection.
    pub fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The inner connection; commands sent through it directly are not traced.
    pub fn get_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The inner connection, no longer traced.
    pub fn into_inner(self) -> C {
        self.inner
    }
}

impl<C: redis::ConnectionLike> TracedConnection<C> {
    pub(crate) fn traced<T>(
        &mut self,
        describe: impl FnOnce(&RedisConfig) -> Operation,
        send: impl FnOnce(&mut C) -> RedisResult<T>,
    ) -> RedisResult<T>
    where
        for<'r> Outcome<'r>: From<&'r RedisResult<T>>,
    {
        let Some(tracer) = self.shared.tracer() else {
            return send(&mut self.inner);
        };
        let op = describe(&self.shared.config);
        let row_count = op.row_count;
        let span = self.shared.start(tracer, op, self.inner.get_db());
        let result = send(&mut self.inner);
        record(&span, row_count, Outcome::from(&result));
        span.finish();
        result
    }
}

impl<C: redis::ConnectionLike> redis::ConnectionLike for TracedConnection<C> {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        self.traced(
            |c| Operation::from_packed(cmd, c.format()),
            |inner| inner.req_packed_command(cmd),
        )
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        // An atomic pipeline skips the replies to MULTI and the queued commands.
        let transaction = offset > 0;
        self.traced(
            |c| Operation::from_packed_pipeline(cmd, transaction, c.format()),
            |inner| inner.req_packed_commands(cmd, offset, count),
        )
    }

    fn req_command(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        self.traced(
            |c| Operation::from_cmd(cmd, c.format()),
            |inner| inner.req_command(cmd),
        )
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }

    fn supports_pipelining(&self) -> bool {
        self.inner.supports_pipelining()
    }

    fn check_connection(&mut self) -> bool {
        self.inner.check_connection()
    }

    fn is_open(&self) -> bool {
        self.inner.is_open()
    }
}
