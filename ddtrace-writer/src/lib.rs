//! Sends finished ddtrace traces to the Datadog Agent, as the Python tracer does on the wire.
//!
//! [`AgentWriter`] implements [`ddtrace_core::export::Exporter`]: the tracer hands it every
//! finished trace chunk, and a background thread batches them, encodes them as `/v0.5/traces`
//! (the default, with a string table) or `/v0.4/traces` (`DD_TRACE_API_VERSION`), sends them
//! over HTTP or a Unix socket, retries connection errors and 5xx answers, and passes the
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
//! # Where things live
//! - [`writer`]: [`AgentWriter`], the exporter;
//! - [`encode`]: the v0.4 and v0.5 MessagePack payloads;
//! - [`stats`]: the health counters;
//! - [`info`]: the agent's `/info` and [`check_agent`];
//! - [`transport`]: agent URLs and their errors.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod buffer;
mod container;
pub mod encode;
mod headers;
mod health;
pub mod info;
mod keep_rate;
mod response;
pub mod stats;
pub mod transport;
mod worker;
pub mod writer;

pub use headers::{RUSTC_VERSION, TRACER_VERSION};
pub use info::{AgentError, AgentInfo, check_agent};
pub use stats::{DropCounts, DropReason, WriterStats};
pub use transport::{AgentUrl, TransportError};
pub use writer::AgentWriter;
