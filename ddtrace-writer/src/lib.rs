//! Sends finished ddtrace traces to the Datadog Agent, as the Python tracer does on the wire.
//!
//! [`AgentWriter`] implements [`ddtrace_core::export::Exporter`]: the tracer hands it every
//! finished trace chunk, and a background thread batches them, encodes them as `/v0.5/traces`
//! (the default, with a string table) or `/v0.4/traces` (`DD_TRACE_API_VERSION`), sends them
//! over HTTP, HTTPS or a Unix socket, retries connection errors and 5xx answers, and passes the
//! agent's `rate_by_service` to the sampler through [`AgentRates`](ddtrace_core::sampling::AgentRates).
//! The application never waits for the agent: when the bounded buffer is full, traces are
//! dropped and counted in [`WriterStats`].
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use ddtrace_core::{Config, Tracer, export::Exporter, sampling::AgentRates};
//! use ddtrace_writer::AgentWriter;
//!
//! // Nothing listens on port 9 here: the trace is dropped, counted, and one error is logged.
//! let config = Config::builder_without_env()
//!     .service("shop")
//!     .agent_url("http://127.0.0.1:9")
//!     .agent_timeout(Duration::from_millis(200))
//!     .build();
//! let rates = Arc::new(AgentRates::new());
//! let writer = Arc::new(AgentWriter::new(&config, rates.clone()));
//! let tracer = Tracer::builder()
//!     .config(config)
//!     .agent_rates(rates)
//!     .exporter_arc(writer.clone())
//!     .build();
//!
//! drop(tracer.trace("checkout").start()); // export() returns at once
//! assert_eq!(writer.stats().traces_enqueued, 1);
//! assert!(writer.shutdown(Duration::from_secs(5)).is_err()); // could not be delivered
//! assert_eq!(writer.stats().traces_dropped.send_failed, 1);
//! ```
//!
//! # Behaviour, and where it differs from the Python tracer
//! - Flushes every `DD_TRACE_WRITER_INTERVAL_SECONDS`, or as soon as the buffered traces
//!   reach `DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES`; batches larger than that are split.
//! - Connection errors, timeouts (`DD_TRACE_AGENT_TIMEOUT_SECONDS`) and 5xx answers are
//!   retried three times with jittered exponential backoff (100, 200, 400 ms), then the
//!   payload is dropped; 4xx answers (400, 413, 429 ...) drop it at once.
//! - `/info` is read at start; an agent without `/v0.5/traces` gets v0.4. A 404 or 415 on
//!   `/v0.5/traces` also switches to v0.4, and the same traces are sent again as v0.4 (the
//!   Python tracer drops that payload).
//! - An unreachable agent is reported once, with the URL, the cause and the settings to
//!   change, then at most once a minute with the number of traces dropped since.
//! - The first span of each chunk gets `_dd.tracer_kr`, the share of recent traces delivered.
//!
//! # Where things live
//! - [`writer`]: [`AgentWriter`], the exporter;
//! - [`console`]: [`ConsoleExporter`], traces printed as waterfalls (local development);
//! - [`encode`]: the v0.4 and v0.5 MessagePack payloads;
//! - [`stats`]: the health counters;
//! - [`info`]: the agent's `/info` and [`check_agent`];
//! - [`transport`]: agent URLs and their errors.
//!
//! Inside, one way down: `writer.rs` asks `control.rs` (the state shared with the writer's
//! thread, and the flush and shutdown protocol) and starts `worker.rs` (the thread's send
//! cycle), which hands batches to `send.rs` (payloads, retries, the v0.4 fall back), keeps
//! what an outage left in `retention.rs`, and reads the agent's answers with `response.rs`.
//! `buffer.rs` is the bounded hand-off; `drop_reason.rs` says why a trace was dropped.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod buffer;
pub mod console;
mod container;
mod control;
mod drop_reason;
pub mod encode;
mod headers;
mod health;
pub mod info;
mod keep_rate;
mod response;
mod retention;
mod send;
pub mod stats;
pub mod transport;
mod worker;
pub mod writer;

pub use console::ConsoleExporter;
pub use headers::{RUSTC_VERSION, TRACER_VERSION};
pub use info::{AgentError, AgentInfo, check_agent, send_test_payload};
#[doc(hidden)]
pub use response::{Applied, apply_agent_response};
pub use stats::{DropCounts, DropReason, WriterStats};
pub use transport::{AgentUrl, TransportError};
pub use writer::AgentWriter;
