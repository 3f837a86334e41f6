//! Datadog APM tracing for Rust.
//!
//! `ddtrace` sends traces to the Datadog Agent with the same wire protocol, `DD_*`
//! configuration, sampling and propagation semantics as Datadog's other tracers, so a Rust
//! service joins a distributed trace that Python, Go or Java services also take part in.
//!
//! # 1. Install
//!
//! ```toml
//! [dependencies]
//! ddtrace = { version = "0.1", features = ["tower", "http", "sqlx", "redis"] } # or "full"
//! ```
//!
//! Features: `tokio` (default: [`spawn`], [`spawn_blocking`]), `tower` (the `tower` module),
//! `http` (`http`), `sqlx` (`sqlx`), `redis` (`redis`), `tracing` (the `tracing` bridge),
//! `full`.
//!
//! # 2. Start the tracer, 3. a manual span
//!
//! ```no_run
//! // Reads DD_SERVICE, DD_ENV, DD_TRACE_AGENT_URL, ... from the environment.
//! let _guard = ddtrace::init();
//! {
//!     let span = ddtrace::tracer()
//!         .trace("checkout.process")
//!         .service("shop")
//!         .resource("POST /checkout")
//!         .start();
//!     span.set_tag("user.id", "123"); // strings go to meta
//!     span.set_tag("cart.items", 3); // numbers go to metrics
//!     let _child = ddtrace::tracer().trace("db.lookup").start(); // parent: the active span
//! } // spans finish when dropped
//! ddtrace::shutdown().ok(); // sends what is still buffered, within 5 s
//! ```
//!
//! In async code, [`Instrument::instrument`] keeps a span active for one future across its
//! `.await`s, and [`spawn`] starts a task that continues the active span.
//!
//! # 4. `#[traced]`
//!
//! ```
//! use ddtrace::traced;
//!
//! #[traced(tags(cart.items = items.len()), err)]
//! fn reserve(items: &[u32]) -> Result<u32, std::fmt::Error> {
//!     Ok(items.iter().sum())
//! }
//! # reserve(&[1, 2]).unwrap();
//! ```
//!
//! # 5.–7. Integrations
//!
//! The snippets below need their features; `examples/shop.rs` uses all of them together and is
//! built and run by the test suite.
//!
//! ```ignore
//! // tower (axum, hyper, tonic): one server span per request.
//! let app = axum::Router::new()
//!     .route("/users/{id}", axum::routing::get(handler))
//!     .layer(ddtrace::tower::DdTraceLayer::global().component("axum").route(|ext| {
//!         ext.get::<axum::extract::MatchedPath>().map(|p| p.as_str())
//!     }));
//!
//! // reqwest-middleware: client spans, and the trace context in the request headers.
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(ddtrace::http::DdTraceMiddleware::global())
//!     .build();
//!
//! // sqlx: wrap the pool once; queries keep their form.
//! let pool = ddtrace::sqlx::TracedPool::new(sqlx::PgPool::connect(&url).await?);
//!
//! // redis: wrap the client; commands, pipelines and transactions are unchanged.
//! let redis = ddtrace::redis::TracedClient::open("redis://127.0.0.1:6379/")?;
//! ```
//!
//! # 8. Configuration
//!
//! Every setting comes from the Python tracer's `DD_*` variables (the README has the table
//! with defaults) and can be set in code through [`Config::builder`] and [`init_with`]. A value
//! that does not parse is reported in one warning and its default is used.
//!
//! # 9. Check the agent connection
//!
//! `cargo run --bin ddtrace-info` prints the effective configuration and checks the agent;
//! [`writer_stats`] returns the writer's counters at run time.
//!
//! # Where the parts live
//! - [`ddtrace_core`] (re-exported at the root): spans, the active span, the tracer,
//!   sampling, propagation and configuration;
//! - [`writer`]: the agent transport and the console exporter;
//! - the `#[traced]` attribute (`ddtrace-macros`);
//! - integrations behind features.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use ddtrace_core::*;
pub use ddtrace_macros::*;
pub use ddtrace_writer as writer;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use ddtrace_tower as tower;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use ddtrace_http as http;

#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub use ddtrace_sqlx as sqlx;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use ddtrace_redis as redis;

#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use ddtrace_tracing as tracing_bridge;

use ddtrace_core::export::ExportError;
use ddtrace_writer::{AgentWriter, WriterStats};

/// How long [`shutdown`] and [`TracerGuard`] wait for buffered traces to be sent.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

static WRITER: OnceLock<Arc<AgentWriter>> = OnceLock::new();

/// Flushes buffered traces when dropped. Keep it alive for the life of `main`:
/// `let _guard = ddtrace::init();`.
///
/// Dropping it early is harmless: it flushes what is buffered and tracing goes on.
#[derive(Debug)]
pub struct TracerGuard {
    _private: (),
}

impl Drop for TracerGuard {
    fn drop(&mut self) {
        if let Some(t) = global_tracer() {
            match t.flush(DEFAULT_SHUTDOWN_TIMEOUT) {
                // `shutdown()` already flushed and reported.
                Ok(()) | Err(ExportError::ShutDown) => {}
                Err(e) => ddtrace_core::diag_warn!("{e}"),
            }
        }
    }
}

/// Installs the global tracer configured from the `DD_*` environment variables, sending to
/// the Datadog Agent. Safe to call more than once: later calls keep the first tracer.
pub fn init() -> TracerGuard {
    init_with(Config::from_env())
}

/// As [`init`], with a configuration built in code (see [`Config::builder`], which starts
/// from the environment).
pub fn init_with(config: Config) -> TracerGuard {
    if global_tracer().is_some() {
        log::debug!("ddtrace::init called again; keeping the tracer already installed");
        return TracerGuard { _private: () };
    }
    for warning in &config.warnings {
        ddtrace_core::diag_warn!("invalid setting {warning}");
    }
    if config.startup_logs || config.debug {
        ddtrace_core::diag_info!("DATADOG TRACER CONFIGURATION - {}", config.startup_json());
    }
    let rates = Arc::new(sampling::AgentRates::new());
    let builder = Tracer::builder().agent_rates(rates.clone());
    let tracer = if config.enabled {
        let writer = Arc::new(AgentWriter::new(&config, rates));
        let tracer = builder.config(config).exporter_arc(writer.clone()).build();
        if set_global_tracer(tracer).is_ok() {
            let _ = WRITER.set(writer);
        } else {
            // Lost a race with another init: this writer was never installed.
            use ddtrace_core::export::Exporter;
            let _ = writer.shutdown(Duration::ZERO);
        }
        return TracerGuard { _private: () };
    } else {
        builder.config(config).build()
    };
    let _ = set_global_tracer(tracer);
    TracerGuard { _private: () }
}

/// Installs the global tracer with `config`, sending finished traces to `exporter` instead
/// of the agent: for example [`writer::ConsoleExporter`] in local development, or an exporter
/// of your own. Safe to call more than once: later calls keep the first tracer.
pub fn init_with_exporter(config: Config, exporter: impl export::Exporter) -> TracerGuard {
    if global_tracer().is_some() {
        return TracerGuard { _private: () };
    }
    for warning in &config.warnings {
        ddtrace_core::diag_warn!("invalid setting {warning}");
    }
    let _ = set_global_tracer(Tracer::builder().config(config).exporter(exporter).build());
    TracerGuard { _private: () }
}

/// Gives a [`ConfigBuilder`] the git commit and repository URL the application was compiled
/// with, for source code integration: the values of `DD_GIT_COMMIT_SHA` and
/// `DD_GIT_REPOSITORY_URL` in the environment of the compiler, read with `option_env!` in the
/// crate that calls the macro (where a `build.rs` can set them with `cargo:rustc-env`; the
/// README shows one). Values in the environment at run time, or set on the builder before,
/// take precedence ([`ConfigBuilder::git_metadata_defaults`]).
///
/// ```no_run
/// let config = ddtrace::embed_git_metadata!(ddtrace::Config::builder()).build();
/// let _guard = ddtrace::init_with(config);
/// ```
#[macro_export]
macro_rules! embed_git_metadata {
    ($builder:expr) => {
        $builder.git_metadata_defaults(
            ::core::option_env!("DD_GIT_COMMIT_SHA"),
            ::core::option_env!("DD_GIT_REPOSITORY_URL"),
        )
    };
}

/// Sends every buffered trace to the agent, waiting at most 5 s, and stops the writer.
/// Traces finished afterwards are dropped (and counted).
pub fn shutdown() -> Result<(), ExportError> {
    shutdown_timeout(DEFAULT_SHUTDOWN_TIMEOUT)
}

/// As [`shutdown`], with an explicit deadline.
pub fn shutdown_timeout(timeout: Duration) -> Result<(), ExportError> {
    match global_tracer() {
        Some(t) => t.shutdown(timeout),
        None => Ok(()),
    }
}

/// The writer's health counters (traces enqueued, sent, dropped by reason, ...), once
/// [`init`] has installed it.
pub fn writer_stats() -> Option<WriterStats> {
    WRITER.get().map(|w| w.stats())
}
