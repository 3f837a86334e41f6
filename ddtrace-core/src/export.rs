//! The interface between the tracer and whatever sends finished traces somewhere.
//!
//! The core never names a transport: [`Tracer`](crate::Tracer) hands every finished chunk to an
//! [`Exporter`]. `ddtrace-writer` implements it for the Datadog Agent; [`InMemoryExporter`]
//! keeps chunks for tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::id::TraceId;
use crate::sampling::SamplingPriority;
use crate::span_data::SpanData;

mod buffer_pool;

pub use buffer_pool::{MAX_POOLED_SPANS, SpanBufferPool};

/// Spans of one trace that are sent together: the whole local trace, or a partial flush of it.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceChunk {
    /// The trace the spans belong to.
    pub trace_id: TraceId,
    /// The trace's sampling priority when the chunk was emitted.
    pub priority: Option<SamplingPriority>,
    /// The spans; the first one carries the chunk-level tags (`language`, `_dd.p.*`,
    /// `_sampling_priority_v1`).
    pub spans: Vec<SpanData>,
}

/// Why [`Exporter::flush`] or [`Exporter::shutdown`] could not send everything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The deadline passed with traces still unsent.
    #[error("{unsent_traces} trace(s) were still unsent when the {timeout:?} deadline passed")]
    Timeout {
        /// Traces not sent.
        unsent_traces: usize,
        /// The deadline that passed.
        timeout: Duration,
    },
    /// The exporter is no longer running.
    #[error("the exporter has shut down")]
    ShutDown,
    /// Traces were dropped (agent unreachable or rejecting them).
    #[error("{dropped_traces} trace(s) could not be delivered: {reason}")]
    Dropped {
        /// Traces dropped.
        dropped_traces: usize,
        /// Why.
        reason: String,
    },
}

/// Receives finished trace chunks. Called on the application's threads: must not block.
pub trait Exporter: Send + Sync + 'static {
    /// Takes a finished chunk. Must return quickly and never block on I/O.
    fn export(&self, chunk: TraceChunk);

    /// An empty buffer for the spans of a trace about to start, from the chunks this exporter
    /// is done with (see [`SpanBufferPool`]), or `None` to have the tracer allocate one.
    /// Called once per trace on the application's thread: must not block.
    #[inline]
    fn span_buffer(&self) -> Option<Vec<SpanData>> {
        None
    }

    /// Sends everything received so far, waiting at most `timeout`.
    fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        let _ = timeout;
        Ok(())
    }

    /// Flushes within `timeout` and stops; later chunks are dropped.
    fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        self.flush(timeout)
    }
}

/// An exporter that drops everything (the exporter of a disabled tracer).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopExporter;

impl Exporter for NoopExporter {
    fn export(&self, _chunk: TraceChunk) {}
}

/// An exporter that keeps every chunk in memory: for tests and for inspecting what a piece of
/// code traces.
///
/// ```
/// use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
///
/// let exporter = InMemoryExporter::new();
/// let tracer = Tracer::builder()
///     .config(Config::builder_without_env().service("demo").build())
///     .exporter(exporter.clone())
///     .build();
/// drop(tracer.trace("work").start());
/// assert_eq!(exporter.spans()[0].name, "work");
/// ```
#[derive(Debug, Default, Clone)]
pub struct InMemoryExporter {
    chunks: Arc<Mutex<Vec<TraceChunk>>>,
}

impl InMemoryExporter {
    /// An empty exporter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The chunks received so far.
    pub fn chunks(&self) -> Vec<TraceChunk> {
        self.chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every span received so far, chunk after chunk.
    pub fn spans(&self) -> Vec<SpanData> {
        self.chunks().into_iter().flat_map(|c| c.spans).collect()
    }

    /// Forgets everything received.
    pub fn clear(&self) {
        self.chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl Exporter for InMemoryExporter {
    fn export(&self, chunk: TraceChunk) {
        self.chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(chunk);
    }
}
