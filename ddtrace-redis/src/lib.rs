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
//! let (a, b): (i64, i64) = redis::pipe() // one span for the pipeline: resource INCR\nINCR
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
//! | service | `DD_REDIS_SERVICE`, else `redis` (`DD_SERVICE` under schema v1), renamed by `DD_SERVICE_MAPPING` |
//! | resource | the command name (`GET`); for pipelines the names joined by `\n`; the whole raw command when `DD_REDIS_RESOURCE_ONLY_COMMAND=false` |
//! | `redis.raw_command` | the arguments joined by spaces, each cut at 100 characters + `...`, the whole at `DD_REDIS_CMD_MAX_LENGTH` (1000) + `...`; pipelines: one line per command |
//! | `redis.args_length` / `redis.pipeline_length` | arguments of the command (its name included) / commands of the pipeline (MULTI and EXEC not counted) |
//! | `db.row_count` | for `GET`, `MGET`, `HGETALL` and the other row-returning commands |
//! | other tags | `span.kind=client`, `component=redis`, `db.system=redis`, `out.host`, `server.address`, `network.destination.port`, `out.redis_db`, `_dd.measured=1`, `peer.service` (when enabled) |
//! | errors | error replies (`WRONGTYPE ...`) and I/O errors set `error`, `error.type`, `error.message` |
//!
//! Values are not obfuscated, as in the Python tracer: the Datadog Agent obfuscates
//! `redis.raw_command` before it leaves the host (its `obfuscation.redis` settings).

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
mod resp;
mod span;

pub use client::TracedClient;
#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub use cluster::TracedClusterClient;
pub use config::{DEFAULT_CMD_MAX_LENGTH, RedisConfig};
pub use connection::TracedConnection;
pub use span::{COMPONENT, DEFAULT_SERVICE, Peer, SPAN_NAME, SPAN_TYPE};
