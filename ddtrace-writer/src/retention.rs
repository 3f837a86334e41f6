//! Chunks kept through an agent outage (`Config::writer_outage_retention`) for a later cycle.
//!
//! A kept chunk's bytes stay held in the buffer's bound (see [`crate::buffer`]) until it is
//! delivered or dropped, so retention never takes memory past the configured size.

use std::time::{Duration, Instant};

use ddtrace_core::export::TraceChunk;

use crate::buffer::estimated_size;

/// The chunks the agent could not be reached for, each with when it first failed.
pub(crate) struct Retained {
    /// How long chunks are kept (zero: never, they are dropped at once).
    retention: Duration,
    chunks: Vec<(TraceChunk, Instant)>,
    /// Their bytes in the buffer's bound.
    bytes: usize,
}

impl Retained {
    pub(crate) fn new(retention: Duration) -> Self {
        Retained {
            retention,
            chunks: Vec::new(),
            bytes: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Takes every kept chunk, oldest first, and the bytes they hold in the buffer's bound;
    /// those bytes stay held until the caller releases them.
    pub(crate) fn take(&mut self) -> (Vec<(TraceChunk, Instant)>, usize) {
        (
            std::mem::take(&mut self.chunks),
            std::mem::take(&mut self.bytes),
        )
    }

    /// Whether a chunk that first failed at `since` may still be kept at `now`.
    pub(crate) fn within(&self, since: Instant, now: Instant) -> bool {
        now.saturating_duration_since(since) < self.retention
    }

    /// Keeps `chunk` for the next cycle; returns the bytes it holds in the buffer's bound.
    pub(crate) fn keep(&mut self, chunk: TraceChunk, since: Instant) -> usize {
        let size = estimated_size(&chunk);
        self.bytes += size;
        self.chunks.push((chunk, since));
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::TraceId;

    fn chunk() -> TraceChunk {
        TraceChunk {
            trace_id: TraceId(1),
            priority: None,
            spans: vec![Default::default()],
        }
    }

    #[test]
    fn kept_chunks_come_back_oldest_first_with_their_bytes() {
        let mut r = Retained::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let a = r.keep(chunk(), t0);
        let b = r.keep(chunk(), t0 + Duration::from_secs(1));
        assert_eq!(a, estimated_size(&chunk()));
        let (chunks, bytes) = r.take();
        assert_eq!(bytes, a + b);
        assert_eq!(chunks[0].1, t0);
        assert!(r.is_empty());
        assert_eq!(r.take().1, 0);
    }

    #[test]
    fn a_chunk_is_kept_only_within_the_retention() {
        let t0 = Instant::now();
        let r = Retained::new(Duration::from_secs(10));
        assert!(r.within(t0, t0 + Duration::from_secs(9)));
        assert!(!r.within(t0, t0 + Duration::from_secs(10)));
        assert!(!Retained::new(Duration::ZERO).within(t0, t0));
    }
}
