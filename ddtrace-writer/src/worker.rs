//! The writer's own thread: one send cycle per interval or request, which takes what the buffer
//! holds and what an outage left over, hands it to the [`Sender`], then keeps or drops what
//! could not be delivered and releases the rest from the buffer's bound.
//!
//! It runs a current-thread tokio runtime of its own, so the application needs no runtime
//! and its threads never wait on the network.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ddtrace_core::export::TraceChunk;
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, Str, keys};

use crate::control::{Shared, StopGuard, after};
use crate::drop_reason::DropReason;
use crate::info::INFO_RETRY;
use crate::keep_rate::KeepRate;
use crate::retention::Retained;
use crate::send::{Cycle, Sender};

/// The writer's thread: the cycle, the keep rate, outage retention and the spare span buffers.
pub(crate) struct Worker {
    shared: Arc<Shared>,
    sender: Sender,
    interval: Duration,
    last_info_attempt: Option<Instant>,
    keep_rate: KeepRate,
    /// Chunks kept through an outage (see [`Retained`]).
    retained: Retained,
    /// How many spare span buffers there were at the end of the last cycle that changed
    /// their number, and when: see [`Worker::trim_spare`].
    spare_seen: (usize, Instant),
}

impl Worker {
    pub(crate) fn new(config: &Config, shared: Arc<Shared>, agent_rates: Arc<AgentRates>) -> Self {
        Worker {
            sender: Sender::new(config, shared.clone(), agent_rates),
            shared,
            // A zero interval would spin; a millisecond is as good as "immediately".
            interval: config.writer_interval.max(Duration::from_millis(1)),
            last_info_attempt: None,
            keep_rate: KeepRate::default(),
            retained: Retained::new(config.writer_outage_retention),
            spare_seen: (0, Instant::now()),
        }
    }

    /// The thread's body.
    pub(crate) fn run(self) {
        let guard = StopGuard::new(self.shared.clone());
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(self.serve()),
            Err(e) => {
                ddtrace_core::diag_error!("ddtrace: the trace writer cannot start its runtime: {e}")
            }
        }
        drop(guard);
    }

    async fn serve(mut self) {
        self.refresh_info().await;
        let mut next_tick = after(Instant::now(), self.interval);
        loop {
            if !self.shared.cycle_requested() {
                tokio::select! {
                    _ = self.shared.buffer.wake.notified() => {}
                    _ = tokio::time::sleep_until(next_tick.into()) => {}
                }
            }
            let start = self.shared.begin_cycle();
            let now = Instant::now();
            if now >= next_tick {
                next_tick = after(now, self.interval);
            }
            let cycle = self.send_buffered().await;
            self.shared.end_cycle(&start, cycle.dropped, cycle.reason);
            if start.last {
                return;
            }
        }
    }

    /// Reads `/info`, and lets the sender adapt the API version to what the agent serves.
    async fn refresh_info(&mut self) {
        self.last_info_attempt = Some(Instant::now());
        self.sender.refresh_info().await;
    }

    /// The shutdown deadline, read afresh so that a shutdown requested during a send also
    /// bounds that send's retries.
    fn deadline(&self) -> Option<Instant> {
        self.shared.shutdown_deadline()
    }

    fn info_known(&self) -> bool {
        self.shared
            .info
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Sends everything buffered now, and what an outage left over.
    async fn send_buffered(&mut self) -> Cycle {
        let mut cycle = Cycle::default();
        self.trim_spare();
        let batch = self.shared.buffer.drain();
        if batch.chunks.is_empty() && self.retained.is_empty() {
            return cycle;
        }
        // Chunks kept through an outage go first: they are the oldest.
        let (carried, carried_bytes) = self.retained.take();
        // Every byte the buffer's bound counts for these chunks, released below but for
        // those kept again.
        let held = batch.bytes + carried_bytes;
        let mut first_failed = Vec::with_capacity(carried.len());
        let mut chunks = Vec::with_capacity(carried.len() + batch.chunks.len());
        for (chunk, since) in carried {
            chunks.push(chunk);
            first_failed.push(since);
        }
        chunks.extend(batch.chunks);
        let count = chunks.len();
        self.shared.set_in_flight(count);
        let dropped_before = self.shared.counters.dropped_traces_total();
        let kr = self.keep_rate.rate();
        for chunk in &mut chunks {
            if let Some(first) = chunk.spans.first_mut() {
                first.set_metric(Str::from_static(keys::TRACER_KEEP_RATE), kr);
            }
        }
        let info_due = self
            .last_info_attempt
            .is_none_or(|t| t.elapsed() >= INFO_RETRY);
        if self.deadline().is_none() && info_due && !self.info_known() {
            self.refresh_info().await;
        }
        let unreachable = self.sender.send_chunks(&chunks, &mut cycle).await;
        let kept = self.keep_or_drop(chunks, &first_failed, unreachable, &mut cycle);
        self.spare_seen = (self.shared.spare.len(), Instant::now());
        self.shared.set_in_flight(0);
        self.shared.buffer.release(held.saturating_sub(kept));
        let dropped_after = self.shared.counters.dropped_traces_total();
        self.keep_rate
            .record(cycle.sent, dropped_after.saturating_sub(dropped_before));
        if cycle.sent > 0 && !self.info_known() && self.deadline().is_none() {
            // The agent has just come up: learn what it serves.
            self.refresh_info().await;
        }
        cycle
    }

    /// Frees the spare span buffers when no trace has taken one for a whole interval, so that
    /// a service gone idle does not keep the memory of its last burst.
    fn trim_spare(&mut self) {
        let len = self.shared.spare.len();
        let (seen, since) = self.spare_seen;
        if len != seen {
            self.spare_seen = (len, Instant::now());
        } else if len > 0 && since.elapsed() >= self.interval {
            self.shared.spare.clear();
            self.spare_seen = (0, Instant::now());
        }
    }

    /// Keeps the chunks at `unreachable` for the next cycle while they are younger than the
    /// retention, and counts the others as dropped; returns the bytes kept. The span buffers
    /// of the chunks not kept go to the spare pool.
    fn keep_or_drop(
        &mut self,
        chunks: Vec<TraceChunk>,
        first_failed: &[Instant],
        mut unreachable: Vec<usize>,
        cycle: &mut Cycle,
    ) -> usize {
        if unreachable.is_empty() {
            for chunk in chunks {
                self.shared.spare.give(chunk.spans);
            }
            return 0;
        }
        unreachable.sort_unstable();
        let now = Instant::now();
        let mut kept = 0;
        let mut dropped = 0u64;
        let mut next = unreachable.iter().peekable();
        for (i, chunk) in chunks.into_iter().enumerate() {
            if next.peek() != Some(&&i) {
                self.shared.spare.give(chunk.spans);
                continue;
            }
            next.next();
            let since = first_failed.get(i).copied().unwrap_or(now);
            if self.deadline().is_none() && self.retained.within(since, now) {
                kept += self.retained.keep(chunk, since);
            } else {
                let spans = chunk.spans.len() as u64;
                self.shared
                    .counters
                    .dropped(DropReason::SendFailed, 1, spans);
                cycle.drop(DropReason::SendFailed, 1);
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.sender.report_expired(dropped);
        }
        kept
    }
}
