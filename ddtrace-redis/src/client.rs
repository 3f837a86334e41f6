//! [`TracedClient`]: a redis-rs client whose connections are traced.

use std::sync::Arc;
use std::time::Duration;

use ddtrace_core::Tracer;
use ddtrace_core::integration::TracerSource;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Connection, RedisResult};

use crate::config::RedisConfig;
use crate::connection::TracedConnection;
use crate::span::{Peer, Shared};

/// A [`redis::Client`] whose connections are [`TracedConnection`]s.
///
/// ```no_run
/// # async fn run() -> redis::RedisResult<()> {
/// use redis::AsyncCommands;
///
/// let client = ddtrace_redis::TracedClient::open("redis://127.0.0.1:6379/")?;
/// let mut con = client.get_multiplexed_async_connection().await?;
/// let _: () = con.set("greeting", "hello").await?; // a `redis.command` span, resource SET
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TracedClient {
    client: Client,
    shared: Arc<Shared>,
}

impl TracedClient {
    /// Opens a client as [`redis::Client::open`] does, traced with the global tracer.
    pub fn open<T: redis::IntoConnectionInfo>(params: T) -> RedisResult<Self> {
        Ok(Self::new(Client::open(params)?))
    }

    /// Traces `client`'s connections with the global tracer ([`ddtrace_core::tracer()`],
    /// looked up at each command, so a client made before `ddtrace::init()` is traced once it
    /// has run) and [`RedisConfig::from_env`].
    pub fn new(client: Client) -> Self {
        Self::with_choice(client, TracerSource::Global)
    }

    /// Traces `client`'s connections with `tracer` and [`RedisConfig::from_env`].
    pub fn with_tracer(client: Client, tracer: Tracer) -> Self {
        Self::with_choice(client, TracerSource::Explicit(tracer))
    }

    fn with_choice(client: Client, tracer: TracerSource) -> Self {
        let peer = Peer::from_info(client.get_connection_info());
        TracedClient {
            client,
            shared: Shared::new(tracer, RedisConfig::from_env(), peer),
        }
    }

    /// Replaces the integration settings of the connections made from now on.
    pub fn with_config(mut self, config: RedisConfig) -> Self {
        self.shared = self.shared.with_config(config);
        self
    }

    /// The redis-rs client.
    pub fn get_ref(&self) -> &Client {
        &self.client
    }

    /// The redis-rs client, no longer traced.
    pub fn into_inner(self) -> Client {
        self.client
    }

    /// Wraps a connection made from this client (or any connection to the same server).
    pub fn wrap<C>(&self, connection: C) -> TracedConnection<C> {
        TracedConnection::from_shared(connection, self.shared.clone())
    }

    /// A sync connection ([`Client::get_connection`]).
    pub fn get_connection(&self) -> RedisResult<TracedConnection<Connection>> {
        Ok(self.wrap(self.client.get_connection()?))
    }

    /// A sync connection with a connection timeout ([`Client::get_connection_with_timeout`]).
    pub fn get_connection_with_timeout(
        &self,
        timeout: Duration,
    ) -> RedisResult<TracedConnection<Connection>> {
        Ok(self.wrap(self.client.get_connection_with_timeout(timeout)?))
    }

    /// A multiplexed async connection
    /// ([`Client::get_multiplexed_async_connection`]).
    pub async fn get_multiplexed_async_connection(
        &self,
    ) -> RedisResult<TracedConnection<MultiplexedConnection>> {
        Ok(self.wrap(self.client.get_multiplexed_async_connection().await?))
    }

    /// A multiplexed async connection with settings
    /// ([`Client::get_multiplexed_async_connection_with_config`]).
    pub async fn get_multiplexed_async_connection_with_config(
        &self,
        config: &AsyncConnectionConfig,
    ) -> RedisResult<TracedConnection<MultiplexedConnection>> {
        Ok(self.wrap(
            self.client
                .get_multiplexed_async_connection_with_config(config)
                .await?,
        ))
    }

    /// A reconnecting async connection ([`Client::get_connection_manager`]).
    pub async fn get_connection_manager(&self) -> RedisResult<TracedConnection<ConnectionManager>> {
        Ok(self.wrap(self.client.get_connection_manager().await?))
    }

    /// A reconnecting async connection with settings
    /// ([`Client::get_connection_manager_with_config`]).
    pub async fn get_connection_manager_with_config(
        &self,
        config: ConnectionManagerConfig,
    ) -> RedisResult<TracedConnection<ConnectionManager>> {
        Ok(self.wrap(
            self.client
                .get_connection_manager_with_config(config)
                .await?,
        ))
    }
}
