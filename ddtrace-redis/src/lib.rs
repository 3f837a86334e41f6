//! ddtrace integration for [redis-rs](https://docs.rs/redis): every command, pipeline and
//! transaction sent through a [`TracedConnection`] becomes a `redis.command` span tagged as the
//! Python tracer's redis integration tags it.
//!
//! The wrappers implement redis-rs's own `ConnectionLike` traits, so application code keeps
//! calling `con.get(..)`, `redis::cmd(..)`, `redis::pipe()` and `redis::transaction(..)`.
//!
//! ```no_run
//! use ddtrace_redis::TracedClient;
//! use redis::AsyncCommands;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Spans go to the global tracer, the one `ddtrace::init()` installs.
//! let client = TracedClient::open("redis://127.0.0.1:6379/")?;
//! let mut con = client.get_multiplexed_async_connection().await?;
//!
//! let _: () = con.set("user:1:name", "alice").await?; // span: resource SET
//! let name: String = con.get("user:1:name").await?; // span: resource GET, db.row_count 1
//! let (a, b): (i64, i64) = redis::pipe() // one span: resource INCRBY\nINCRBY
//!     .atomic()
//!     .incr("hits", 1)
//!     .incr("hits", 1)
//!     .query_async(&mut con)
//!     .await?;
//! # let _ = (name, a, b);
//! # Ok(()) }
//! ```
//!
//! # Spans
//! | field | value |
//! |---|---|
//! | name | `redis.command` |
//! | type | `redis` |
//! | service | `DD_REDIS_SERVICE`, else `redis` (`DD_SERVICE` under schema v1 or with `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`), renamed by `DD_SERVICE_MAPPING` |
//! | `_dd.svc_src` | `m` for `DD_REDIS_SERVICE` or a service set in code, `opt.service_mapping` when renamed, else `redis` |
//! | resource | the command name (`GET`); for pipelines the names joined by `\n`; the whole raw command when `DD_REDIS_RESOURCE_ONLY_COMMAND=false` |
//! | `redis.raw_command` | the arguments joined by spaces, values replaced with `?` (below), each cut at 100 characters + `...`, the whole at `DD_REDIS_CMD_MAX_LENGTH` (1000) + `...`; pipelines: one line per command. Under schema v1 the key is `redis.command`, as the Python tracer's schema renaming makes it |
//! | `redis.args_length` / `redis.pipeline_length` | arguments of the command (its name included) / commands of the pipeline (MULTI and EXEC not counted) |
//! | `db.row_count` | for `GET`, `MGET`, `HGETALL` and the other row-returning commands |
//! | other tags | `span.kind=client`, `component=redis`, `db.system=redis`, `out.host`, `server.address`, `network.destination.port`, `out.redis_db`, `_dd.measured=1`, `peer.service` (when enabled) |
//! | errors | error replies (`WRONGTYPE ...`) and I/O errors set `error`, `error.type`, `error.message` |
//!
//! # Values stay in the process
//! `SET user:1 S3CR3T` is recorded as `SET user:1 ?`: each command and its keys are kept and
//! its values replaced with `?`, by the rules of the Datadog Agent's redis obfuscator
//! (`pkg/obfuscate/redis.go`): the value of `SET`, `APPEND`, `GETSET`, `SETNX`, ...; the third
//! argument of `HSET`, `SETEX`, `LSET`, ...; every member of `LPUSH`, `SADD`, `ZREM`, ...
//! (as one `?`); every value of `MSET`, `HMSET`, `ZADD`, `GEOADD`; everything after `AUTH`.
//! Other commands (`GET key`, `DEL k1 k2`, `EXPIRE key 10`) are kept whole, as the agent keeps
//! them. A resource that is the whole command (`DD_REDIS_RESOURCE_ONLY_COMMAND=false`) is
//! hidden the same way.
//!
//! The Python tracer sends the values and leaves their obfuscation to the agent.
//! `DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED=false` (or
//! [`RedisConfig::obfuscate_raw_command`]) does the same, for parity.
//!
//! # Not traced, and differences from the Python tracer
//! - Pub/sub subscriber connections (`Connection::as_pubsub`, `Client::get_async_pubsub`) are
//!   not traced; `PUBLISH` through a traced connection is. The Python tracer does the same.
//! - Connecting is not a command: a refused connection returns its error without a span.
//!   (redis-py connects lazily, inside the first command's span.) A connection that dies later
//!   fails the span of the command that finds out.
//! - An async command whose future is dropped unfinished (a timeout) ends its span then,
//!   without an error.
//! - Sync cluster pipelines go through `TracedConnection::query_pipeline` (feature
//!   `cluster`), since redis-rs's `ClusterPipeline::query` takes the concrete connection.
//! - `error.type` is `redis::ServerError` for error replies (with `error.message` the line the
//!   server sent, `WRONGTYPE Operation against ...`) and `redis::RedisError` otherwise.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod aio;
mod client;
#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
mod cluster;
mod command;
mod config;
mod connection;
mod obfuscate;
mod resp;
mod span;

pub use client::TracedClient;
#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub use cluster::TracedClusterClient;
pub use config::{DEFAULT_CMD_MAX_LENGTH, RedisConfig};
pub use connection::TracedConnection;
pub use span::{COMPONENT, DEFAULT_SERVICE, Peer, SPAN_NAME, SPAN_TYPE};
