//! The state the application's threads share with the writer's thread, and the flush and
//! shutdown protocol between them.
//!
//! The application side asks ([`Shared::request_flush`], [`Shared::request_shutdown`]) and
//! waits ([`Shared::wait_flush`], [`Shared::wait_stopped`]); the writer's thread answers once
//! per send cycle ([`Shared::begin_cycle`], [`Shared::end_cycle`]) and marks itself stopped
//! however it ends ([`StopGuard`]). Only this file reads or writes [`Control`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ddtrace_core::export::SpanBufferPool;
use ddtrace_core::{Config, RateLimitedLog};

use crate::buffer::Buffer;
use crate::drop_reason::DropReason;
use crate::health::REMINDER_INTERVAL;
use crate::info::AgentInfo;
use crate::stats::Counters;

/// `now + d`, saturating far in the future: a caller's `Duration::MAX` or a configured
/// `1e19` seconds must not overflow `Instant` and panic on the application's thread.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(d.min(CENTURY)).unwrap_or(now)
}

/// State shared between the application's threads and the writer's thread.
pub(crate) struct Shared {
    pub(crate) buffer: Buffer,
    pub(crate) counters: Counters,
    pub(crate) info: Mutex<Option<AgentInfo>>,
    /// Rate limits for the messages `export()` may log on application threads.
    pub(crate) buffer_full_log: RateLimitedLog,
    /// Span buffers of sent chunks, for the traces the application starts next.
    pub(crate) spare: SpanBufferPool,
    /// Chunks taken from the buffer and not yet resolved.
    in_flight: AtomicU64,
    control: Mutex<Control>,
    changed: Condvar,
}

/// Flush and shutdown requests and their outcome.
#[derive(Default)]
struct Control {
    flush_requested: u64,
    flush_done: u64,
    /// Traces the writer's thread has dropped so far, and the latest reason. A flush
    /// reports the difference between its start and its end, so that traces already in
    /// flight when it was requested count too.
    worker_dropped: u64,
    last_reason: Option<DropReason>,
    shutdown_deadline: Option<Instant>,
    stopped: bool,
}

/// A flush asked of the writer's thread: the cycle that answers it, and the drops before it.
pub(crate) struct FlushRequest {
    ticket: u64,
    dropped_before: u64,
}

/// A shutdown asked of a running writer's thread, with the drops before it.
pub(crate) struct ShutdownRequest {
    dropped_before: u64,
}

/// How a wait for the writer's thread ended.
pub(crate) enum Waited {
    /// What was asked is done; the traces the writer's thread dropped meanwhile, and the
    /// latest reason.
    Done {
        dropped: u64,
        reason: Option<DropReason>,
    },
    /// The deadline passed first.
    TimedOut,
    /// The writer stopped before doing what was asked.
    Stopped,
}

/// What a send cycle answers, read when it starts.
pub(crate) struct CycleStart {
    /// The latest flush requested: the cycle answers every flush up to it.
    ticket: u64,
    /// A shutdown was requested: this cycle is the last.
    pub(crate) last: bool,
}

impl Shared {
    pub(crate) fn new(config: &Config) -> Self {
        Shared {
            buffer: Buffer::new(
                config.writer_buffer_size_bytes,
                config.writer_max_payload_size_bytes,
            ),
            counters: Counters::default(),
            info: Mutex::new(None),
            buffer_full_log: RateLimitedLog::new(REMINDER_INTERVAL),
            // A quarter of the buffer's bound: the buffers of about one send cycle at a
            // steady load, where the bound is sized for bursts and outages.
            spare: SpanBufferPool::new(config.writer_buffer_size_bytes / 4),
            in_flight: AtomicU64::new(0),
            control: Mutex::new(Control::default()),
            changed: Condvar::new(),
        }
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds or `deadline` passes; returns the final guard and whether
    /// `done` held.
    fn wait_until(
        &self,
        deadline: Instant,
        done: impl Fn(&Control) -> bool,
    ) -> (MutexGuard<'_, Control>, bool) {
        let mut g = self.control();
        loop {
            if done(&g) {
                return (g, true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (g, false);
            }
            g = match self.changed.wait_timeout(g, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    // --- The application's side ---------------------------------------------------------

    /// Asks the writer's thread to send everything buffered now; `None` once a shutdown was
    /// requested or the writer stopped.
    pub(crate) fn request_flush(&self) -> Option<FlushRequest> {
        let request = {
            let mut c = self.control();
            if c.stopped || c.shutdown_deadline.is_some() {
                return None;
            }
            c.flush_requested += 1;
            FlushRequest {
                ticket: c.flush_requested,
                dropped_before: c.worker_dropped,
            }
        };
        self.buffer.wake.notify_one();
        Some(request)
    }

    /// Waits until a cycle has answered `request`, at most until `deadline`.
    pub(crate) fn wait_flush(&self, request: &FlushRequest, deadline: Instant) -> Waited {
        let (c, done) = self.wait_until(deadline, |c| c.flush_done >= request.ticket || c.stopped);
        if !done {
            return Waited::TimedOut;
        }
        if c.flush_done < request.ticket {
            return Waited::Stopped;
        }
        Waited::Done {
            dropped: c.worker_dropped - request.dropped_before,
            reason: c.last_reason,
        }
    }

    /// Refuses every later trace and asks the writer's thread to send what is buffered by
    /// `deadline` (or by an earlier deadline already asked for), then stop. `None` when it
    /// has already stopped.
    pub(crate) fn request_shutdown(&self, deadline: Instant) -> Option<ShutdownRequest> {
        self.buffer.close();
        let request = {
            let mut c = self.control();
            if c.stopped {
                return None;
            }
            if c.shutdown_deadline.is_none() {
                c.shutdown_deadline = Some(deadline);
            }
            ShutdownRequest {
                dropped_before: c.worker_dropped,
            }
        };
        self.buffer.wake.notify_one();
        Some(request)
    }

    /// Waits until the writer's thread has stopped, at most until `deadline`.
    pub(crate) fn wait_stopped(&self, request: &ShutdownRequest, deadline: Instant) -> Waited {
        let (c, done) = self.wait_until(deadline, |c| c.stopped);
        if !done {
            return Waited::TimedOut;
        }
        Waited::Done {
            dropped: c.worker_dropped - request.dropped_before,
            reason: c.last_reason,
        }
    }

    /// Traces exported and not yet resolved: buffered, or taken by the writer's thread.
    pub(crate) fn unsent(&self) -> usize {
        self.buffer.usage().pending_traces + self.in_flight.load(Ordering::Relaxed) as usize
    }

    // --- The writer's thread's side -----------------------------------------------------

    /// Whether a flush or a shutdown waits for a cycle (then the thread does not sleep).
    pub(crate) fn cycle_requested(&self) -> bool {
        let c = self.control();
        c.flush_requested > c.flush_done || c.shutdown_deadline.is_some()
    }

    /// Reads what the cycle starting now answers.
    pub(crate) fn begin_cycle(&self) -> CycleStart {
        let c = self.control();
        CycleStart {
            ticket: c.flush_requested,
            last: c.shutdown_deadline.is_some(),
        }
    }

    /// Records a finished cycle, the traces it dropped and the first reason, and wakes the
    /// callers waiting for it.
    pub(crate) fn end_cycle(&self, start: &CycleStart, dropped: u64, reason: Option<DropReason>) {
        {
            let mut c = self.control();
            c.flush_done = c.flush_done.max(start.ticket);
            c.worker_dropped += dropped;
            if reason.is_some() {
                c.last_reason = reason;
            }
        }
        self.changed.notify_all();
    }

    /// The shutdown deadline, if one was asked for.
    pub(crate) fn shutdown_deadline(&self) -> Option<Instant> {
        self.control().shutdown_deadline
    }

    /// Records how many chunks the current cycle has taken from the buffer.
    pub(crate) fn set_in_flight(&self, chunks: usize) {
        self.in_flight.store(chunks as u64, Ordering::Relaxed);
    }

    /// Refuses every later trace and wakes every caller waiting for the writer's thread.
    pub(crate) fn mark_stopped(&self) {
        self.buffer.close();
        self.control().stopped = true;
        self.changed.notify_all();
    }
}

/// Marks the writer stopped however the thread ends, a panic included, so that `flush` and
/// `shutdown` callers stop waiting for it.
pub(crate) struct StopGuard(Arc<Shared>);

impl StopGuard {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        StopGuard(shared)
    }
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        // Whatever is still buffered can no longer be sent.
        let batch = self.0.buffer.drain();
        let spans: usize = batch.chunks.iter().map(|c| c.spans.len()).sum();
        self.0.counters.dropped(
            DropReason::ShutDown,
            batch.chunks.len() as u64,
            spans as u64,
        );
        self.0.buffer.release(batch.bytes);
        self.0.spare.clear();
        self.0.mark_stopped();
    }
}
