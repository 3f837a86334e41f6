//! Health counters: what the writer did with the traces it was given.

use std::sync::atomic::{AtomicU64, Ordering};

use ddtrace_core::export::SpanBufferPool;

use crate::buffer::Usage;
pub use crate::drop_reason::DropReason;

/// Counts by [`DropReason`] (traces or spans, depending on where it is used).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// See [`DropReason::BufferFull`].
    pub buffer_full: u64,
    /// See [`DropReason::TooLarge`].
    pub too_large: u64,
    /// See [`DropReason::RejectedByAgent`].
    pub rejected_by_agent: u64,
    /// See [`DropReason::SendFailed`].
    pub send_failed: u64,
    /// See [`DropReason::ShutDown`].
    pub shut_down: u64,
}

impl DropCounts {
    /// The sum over every reason.
    pub fn total(&self) -> u64 {
        self.buffer_full
            + self.too_large
            + self.rejected_by_agent
            + self.send_failed
            + self.shut_down
    }

    /// The count for one reason.
    pub fn get(&self, reason: DropReason) -> u64 {
        match reason {
            DropReason::BufferFull => self.buffer_full,
            DropReason::TooLarge => self.too_large,
            DropReason::RejectedByAgent => self.rejected_by_agent,
            DropReason::SendFailed => self.send_failed,
            DropReason::ShutDown => self.shut_down,
        }
    }
}

/// A snapshot of the writer's health counters, from [`AgentWriter::stats`](crate::AgentWriter::stats).
///
/// Every count is cumulative since the writer started. A trace here means one exported chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Chunks accepted into the buffer by `export()`.
    pub traces_enqueued: u64,
    /// Spans in those chunks.
    pub spans_enqueued: u64,
    /// Chunks the agent acknowledged (2xx).
    pub traces_sent: u64,
    /// Spans in those chunks.
    pub spans_sent: u64,
    /// Chunks dropped, by reason (those refused by `export()` included).
    pub traces_dropped: DropCounts,
    /// Spans dropped, by reason.
    pub spans_dropped: DropCounts,
    /// Payloads the agent acknowledged.
    pub payloads_sent: u64,
    /// Requests that failed: connection errors, timeouts and HTTP error statuses.
    pub errors: u64,
    /// Requests sent again after a failure.
    pub retries: u64,
    /// 2xx answers whose body was not the expected JSON (the payload still counts as sent).
    pub bad_responses: u64,
    /// Times the agent's `rate_by_service` replaced the sampler's rates.
    pub rate_updates: u64,
    /// Times the writer fell back from v0.5 to v0.4 (at most once).
    pub downgrades: u64,
    /// Chunks waiting in the buffer right now.
    pub buffered_traces: u64,
    /// Estimated memory those chunks hold, in bytes (bounded by the buffer size).
    pub buffered_bytes: u64,
    /// Emptied span buffers of sent traces, kept for new traces to reuse.
    pub spare_span_buffers: u64,
    /// Their capacity in bytes (at most a quarter of the buffer size).
    pub spare_span_buffer_bytes: u64,
}

/// The live counters behind [`WriterStats`]; relaxed atomics, as they are only ever summed.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) traces_sent: AtomicU64,
    pub(crate) spans_sent: AtomicU64,
    dropped_traces: [AtomicU64; 5],
    dropped_spans: [AtomicU64; 5],
    pub(crate) payloads_sent: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) bad_responses: AtomicU64,
    pub(crate) rate_updates: AtomicU64,
    pub(crate) downgrades: AtomicU64,
}

fn slot(reason: DropReason) -> usize {
    match reason {
        DropReason::BufferFull => 0,
        DropReason::TooLarge => 1,
        DropReason::RejectedByAgent => 2,
        DropReason::SendFailed => 3,
        DropReason::ShutDown => 4,
    }
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn dropped(&self, reason: DropReason, traces: u64, spans: u64) {
        add(&self.dropped_traces[slot(reason)], traces);
        add(&self.dropped_spans[slot(reason)], spans);
    }

    /// Traces dropped for any reason so far.
    pub(crate) fn dropped_traces_total(&self) -> u64 {
        self.dropped_traces
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The counters with the buffer's and the spare buffers' own figures.
    pub(crate) fn snapshot(&self, buffer: Usage, spare: &SpanBufferPool) -> WriterStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let counts = |a: &[AtomicU64; 5]| DropCounts {
            buffer_full: get(&a[0]),
            too_large: get(&a[1]),
            rejected_by_agent: get(&a[2]),
            send_failed: get(&a[3]),
            shut_down: get(&a[4]),
        };
        WriterStats {
            traces_enqueued: buffer.accepted_traces,
            spans_enqueued: buffer.accepted_spans,
            traces_sent: get(&self.traces_sent),
            spans_sent: get(&self.spans_sent),
            traces_dropped: counts(&self.dropped_traces),
            spans_dropped: counts(&self.dropped_spans),
            payloads_sent: get(&self.payloads_sent),
            errors: get(&self.errors),
            retries: get(&self.retries),
            bad_responses: get(&self.bad_responses),
            rate_updates: get(&self.rate_updates),
            downgrades: get(&self.downgrades),
            buffered_traces: buffer.pending_traces as u64,
            buffered_bytes: buffer.held_bytes as u64,
            spare_span_buffers: spare.len() as u64,
            spare_span_buffer_bytes: spare.kept_bytes() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_counted_by_reason() {
        let c = Counters::default();
        c.dropped(DropReason::TooLarge, 1, 10);
        c.dropped(DropReason::ShutDown, 2, 3);
        let s = c.snapshot(Usage::default(), &SpanBufferPool::new(0));
        assert_eq!(s.traces_dropped.too_large, 1);
        assert_eq!(s.spans_dropped.too_large, 10);
        assert_eq!(s.traces_dropped.get(DropReason::ShutDown), 2);
        assert_eq!(s.traces_dropped.total(), 3);
    }
}
