//! [`TracedClusterClient`]: traced Redis Cluster connections.

use std::sync::Arc;

use ddtrace_core::Tracer;
use ddtrace_core::integration::TracerSource;
use redis::cluster::{ClusterClient, ClusterConnection, ClusterPipeline};
use redis::{FromRedisValue, IntoConnectionInfo, RedisResult, Value};

use crate::command::Operation;
use crate::config::RedisConfig;
use crate::connection::TracedConnection;
use crate::span::{Peer, Shared};

/// A [`ClusterClient`] whose connections are [`TracedConnection`]s.
///
/// As in the Python tracer, spans name the first initial node as `out.host` and
/// `network.destination.port` (a command may be routed to another node) and `out.redis_db` 0.
///
/// ```no_run
/// # fn run() -> redis::RedisResult<()> {
/// use redis::Commands;
///
/// let client = ddtrace_redis::TracedClusterClient::new(["redis://127.0.0.1:7000/"])?;
/// let mut con = client.get_connection()?;
/// let _: () = con.set("greeting", "hello")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TracedClusterClient {
    client: ClusterClient,
    shared: Arc<Shared>,
}

impl TracedClusterClient {
    /// A cluster client for `initial_nodes` ([`ClusterClient::new`]), traced with the global
    /// tracer and [`RedisConfig::from_env`].
    pub fn new<T: IntoConnectionInfo>(
        initial_nodes: impl IntoIterator<Item = T>,
    ) -> RedisResult<Self> {
        Self::open(initial_nodes, TracerSource::Global)
    }

    /// As [`new`](Self::new), traced with `tracer`.
    pub fn with_tracer<T: IntoConnectionInfo>(
        initial_nodes: impl IntoIterator<Item = T>,
        tracer: Tracer,
    ) -> RedisResult<Self> {
        Self::open(initial_nodes, TracerSource::Explicit(tracer))
    }

    /// Traces a client built with [`ClusterClient::builder`]; `peer` is the node the spans
    /// name, `tracer` the tracer (`None`: the global one).
    pub fn from_client(client: ClusterClient, peer: Peer, tracer: Option<Tracer>) -> Self {
        TracedClusterClient {
            client,
            shared: Shared::new(TracerSource::from(tracer), RedisConfig::from_env(), peer),
        }
    }

    fn open<T: IntoConnectionInfo>(
        initial_nodes: impl IntoIterator<Item = T>,
        tracer: TracerSource,
    ) -> RedisResult<Self> {
        let nodes = initial_nodes
            .into_iter()
            .map(IntoConnectionInfo::into_connection_info)
            .collect::<RedisResult<Vec<_>>>()?;
        let peer = nodes.first().map(Peer::from_info).unwrap_or_default();
        let client = ClusterClient::new(nodes)?;
        Ok(TracedClusterClient {
            client,
            shared: Shared::new(tracer, RedisConfig::from_env(), peer),
        })
    }

    /// Replaces the integration settings of the connections made from now on.
    pub fn with_config(mut self, config: RedisConfig) -> Self {
        self.shared = self.shared.with_config(config);
        self
    }

    /// The redis-rs cluster client.
    pub fn get_ref(&self) -> &ClusterClient {
        &self.client
    }

    /// A sync cluster connection ([`ClusterClient::get_connection`]).
    pub fn get_connection(&self) -> RedisResult<TracedConnection<ClusterConnection>> {
        Ok(TracedConnection::from_shared(
            self.client.get_connection()?,
            self.shared.clone(),
        ))
    }

    /// An async cluster connection ([`ClusterClient::get_async_connection`]).
    pub async fn get_async_connection(
        &self,
    ) -> RedisResult<TracedConnection<redis::cluster_async::ClusterConnection>> {
        Ok(TracedConnection::from_shared(
            self.client.get_async_connection().await?,
            self.shared.clone(),
        ))
    }
}

impl TracedConnection<ClusterConnection> {
    /// Sends a sync cluster pipeline with a span. redis-rs's [`ClusterPipeline::query`] takes
    /// the concrete `ClusterConnection`, not a `ConnectionLike`, so the pipeline is handed to
    /// this method instead of the other way round.
    ///
    /// ```no_run
    /// # fn run(con: &mut ddtrace_redis::TracedConnection<redis::cluster::ClusterConnection>)
    /// # -> redis::RedisResult<()> {
    /// let mut pipe = redis::cluster::cluster_pipe();
    /// pipe.set("{user1}:name", "ann").ignore().get("{user1}:name");
    /// let (name,): (String,) = con.query_pipeline(&pipe)?;
    /// # Ok(()) }
    /// ```
    pub fn query_pipeline<T: FromRedisValue>(
        &mut self,
        pipeline: &ClusterPipeline,
    ) -> RedisResult<T> {
        let reply = self.traced(
            |c| Operation::from_cmds(pipeline.cmd_iter(), c.format()),
            |inner| pipeline.query::<Value>(inner),
        )?;
        Ok(redis::from_redis_value(reply)?)
    }
}
