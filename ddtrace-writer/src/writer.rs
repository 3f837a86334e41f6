//! [`AgentWriter`]: the [`Exporter`] that sends traces to the Datadog Agent.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ddtrace_core::export::{ExportError, Exporter, TraceChunk};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, SpanData};

use crate::control::{Shared, Waited, after};
use crate::drop_reason::DropReason;
use crate::info::AgentInfo;
use crate::stats::WriterStats;
use crate::worker::Worker;

/// Sends finished traces to the Datadog Agent from a background thread.
///
/// `export()` only moves the chunk into a bounded buffer (or drops and counts it when the
/// buffer is full); encoding, HTTP, retries and the agent's sampling feedback happen on the
/// writer's own thread, which owns a small single-threaded runtime. The application needs no
/// async runtime and is never blocked by the agent.
///
/// Dropping the writer without [`shutdown`](Exporter::shutdown) asks its thread to send what
/// is left and stop, without waiting for it.
pub struct AgentWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    agent_timeout: Duration,
}

impl std::fmt::Debug for AgentWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentWriter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl AgentWriter {
    /// Starts a writer for `config.agent_url` that publishes the agent's `rate_by_service`
    /// into `agent_rates` (share it with the tracer's sampler).
    ///
    /// Never fails: an unusable URL or a thread that cannot start is logged, and the traces
    /// are then dropped and counted.
    pub fn new(config: &Config, agent_rates: Arc<AgentRates>) -> AgentWriter {
        let shared = Arc::new(Shared::new(config));
        let worker = Worker::new(config, shared.clone(), agent_rates);
        let thread = std::thread::Builder::new()
            .name("ddtrace-writer".into())
            .spawn(move || worker.run());
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                ddtrace_core::diag_error!(
                    "ddtrace: cannot start the trace writer thread: {e}; no trace will be sent"
                );
                shared.mark_stopped();
                None
            }
        };
        AgentWriter {
            shared,
            thread: Mutex::new(thread),
            agent_timeout: config.agent_timeout,
        }
    }

    /// A snapshot of the health counters.
    pub fn stats(&self) -> WriterStats {
        self.shared
            .counters
            .snapshot(self.shared.buffer.usage(), &self.shared.spare)
    }

    /// What the agent's `/info` said, once it has been read.
    pub fn agent_info(&self) -> Option<AgentInfo> {
        self.shared
            .info
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Empties the buffer without sending or counting anything. Only for benchmarks, which
    /// measure `export()` alone and must keep memory flat between samples.
    #[doc(hidden)]
    pub fn discard_buffered(&self) {
        let batch = self.shared.buffer.drain();
        self.shared.buffer.release(batch.bytes);
    }

    fn join_thread(&self) {
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            // The thread has marked itself stopped: joining only reaps it. A panic in it
            // was already contained there.
            let _ = h.join();
        }
    }

    /// The caller's answer once a wait for the writer's thread is over.
    fn result(&self, waited: Waited, timeout: Duration) -> Result<(), ExportError> {
        match waited {
            Waited::Done { dropped: 0, .. } => Ok(()),
            Waited::Done { dropped, reason } => Err(ExportError::Dropped {
                dropped_traces: dropped as usize,
                reason: reason.map_or("unknown", DropReason::as_str).to_owned(),
            }),
            Waited::TimedOut => Err(ExportError::Timeout {
                unsent_traces: self.shared.unsent(),
                timeout,
            }),
            Waited::Stopped => Err(ExportError::ShutDown),
        }
    }
}

impl Exporter for AgentWriter {
    #[inline]
    fn export(&self, chunk: TraceChunk) {
        let Err(refused) = self.shared.buffer.push(chunk) else {
            return;
        };
        let spans = refused.chunk.spans.len() as u64;
        self.shared.counters.dropped(refused.reason, 1, spans);
        if refused.reason != DropReason::ShutDown
            && let Some(n) = self.shared.buffer_full_log.check()
        {
            ddtrace_core::diag_warn!(
                "ddtrace: dropped a trace of {spans} span(s): {} \
                 (DD_TRACE_WRITER_BUFFER_SIZE_BYTES / DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES); \
                 {n} similar drops not logged",
                refused.reason.as_str()
            );
        }
        // Emptied here, outside the buffer's lock, and kept for the next trace: an overloaded
        // writer should not add an allocation per trace to the application's load.
        if refused.reason == DropReason::BufferFull {
            self.shared.spare.give(refused.chunk.spans);
        }
    }

    #[inline]
    fn span_buffer(&self) -> Option<Vec<SpanData>> {
        self.shared.spare.take()
    }

    /// Sends everything exported so far, waiting at most `timeout`.
    ///
    /// `Err(Dropped)` when some of those traces could not be delivered, `Err(Timeout)` with
    /// the number still unsent when the deadline passed first.
    fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        let deadline = after(Instant::now(), timeout);
        let Some(request) = self.shared.request_flush() else {
            return Err(ExportError::ShutDown);
        };
        let waited = self.shared.wait_flush(&request, deadline);
        self.result(waited, timeout)
    }

    /// Sends what is buffered within `timeout`, then stops the writer's thread. Traces
    /// exported afterwards are dropped (counted as shut down).
    fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        let deadline = after(Instant::now(), timeout);
        let Some(request) = self.shared.request_shutdown(deadline) else {
            self.join_thread();
            return Ok(());
        };
        let waited = self.shared.wait_stopped(&request, deadline);
        let stopped = !matches!(waited, Waited::TimedOut);
        let outcome = self.result(waited, timeout);
        if stopped {
            self.join_thread();
        }
        outcome
    }
}

impl Drop for AgentWriter {
    fn drop(&mut self) {
        // Does not wait: the thread sends what is left within the agent timeout, then stops.
        let _ = self
            .shared
            .request_shutdown(after(Instant::now(), self.agent_timeout));
    }
}
