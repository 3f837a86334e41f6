//! [`SpanBufferPool`]: span buffers of chunks an exporter is done with, kept for new traces.

use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_queue::ArrayQueue;

use crate::span_data::SpanData;

/// Buffers with room for more spans than this are freed rather than kept: they come from rare
/// large traces or partial flushes, and one of them would hold the room of many usual ones.
pub const MAX_POOLED_SPANS: usize = 64;

/// Empty span buffers, handed back by an exporter once it has sent their chunks, and taken by
/// the tracer for the traces it starts (through [`Exporter::span_buffer`]).
///
/// Why: a trace's spans live in one buffer, allocated on the application's thread and, once
/// sent, freed on the exporter's. With glibc's allocator those frees and the application's
/// allocations contend for the same arena lock, and the application's thread ended up
/// sleeping on it: in the `span_lifecycle` benchmark a trace handed to another thread cost far
/// more than one dropped in place (figures in BENCHMARKS.md). Reusing the buffers takes both
/// the allocation and the free out of the hot path.
///
/// Bounded in bytes (the buffers' capacity): what does not fit is freed. Taking and giving are
/// lock-free and never block.
///
/// ```
/// use ddtrace_core::SpanData;
/// use ddtrace_core::export::SpanBufferPool;
///
/// let pool = SpanBufferPool::new(64 * 1024);
/// let mut spans = Vec::with_capacity(10);
/// spans.push(SpanData::default());
/// pool.give(spans);
/// let reused = pool.take().expect("kept");
/// assert!(reused.is_empty() && reused.capacity() >= 10);
/// assert!(pool.take().is_none());
/// ```
///
/// [`Exporter::span_buffer`]: crate::export::Exporter::span_buffer
#[derive(Debug)]
pub struct SpanBufferPool {
    buffers: ArrayQueue<Vec<SpanData>>,
    /// Capacity bytes of the buffers in `buffers`.
    bytes: AtomicUsize,
    limit: usize,
}

impl SpanBufferPool {
    /// A pool that keeps buffers up to `limit_bytes` of capacity in all.
    pub fn new(limit_bytes: usize) -> Self {
        // Room for the count of 10-span buffers the byte limit allows; smaller buffers beyond
        // that are freed, which only matters for services whose traces have one or two spans.
        let slots = (limit_bytes / (10 * size_of::<SpanData>())).clamp(1, 16_384);
        SpanBufferPool {
            buffers: ArrayQueue::new(slots),
            bytes: AtomicUsize::new(0),
            limit: limit_bytes,
        }
    }

    /// Empties `spans` and keeps it if the pool has room; frees it otherwise.
    pub fn give(&self, mut spans: Vec<SpanData>) {
        let cap = spans.capacity();
        if cap == 0 || cap > MAX_POOLED_SPANS {
            return;
        }
        let size = cap * size_of::<SpanData>();
        if self.bytes.fetch_add(size, Ordering::Relaxed) + size > self.limit {
            self.bytes.fetch_sub(size, Ordering::Relaxed);
            return;
        }
        spans.clear();
        if self.buffers.push(spans).is_err() {
            self.bytes.fetch_sub(size, Ordering::Relaxed);
        }
    }

    /// An empty buffer, if one is kept.
    #[inline]
    pub fn take(&self) -> Option<Vec<SpanData>> {
        let spans = self.buffers.pop()?;
        self.bytes
            .fetch_sub(spans.capacity() * size_of::<SpanData>(), Ordering::Relaxed);
        Some(spans)
    }

    /// How many buffers are kept.
    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    /// Whether no buffer is kept.
    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// The capacity bytes of the buffers kept (at most the limit given to [`new`](Self::new)).
    pub fn kept_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Frees every kept buffer: for an exporter that sees the pool unused for a while, so an
    /// idle service does not keep the memory of its last burst.
    pub fn clear(&self) {
        while self.take().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(capacity: usize, spans: usize) -> Vec<SpanData> {
        let mut v = Vec::with_capacity(capacity);
        v.resize_with(spans, SpanData::default);
        v
    }

    #[test]
    fn keeps_emptied_buffers_and_hands_them_out_once() {
        let pool = SpanBufferPool::new(1 << 20);
        pool.give(buffer(10, 10));
        pool.give(buffer(12, 3));
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.kept_bytes(), 22 * size_of::<SpanData>());
        let a = pool.take().unwrap();
        let b = pool.take().unwrap();
        assert!(a.is_empty() && b.is_empty());
        let mut caps = [a.capacity(), b.capacity()];
        caps.sort();
        assert_eq!(caps, [10, 12]);
        assert!(pool.take().is_none());
        assert_eq!(pool.kept_bytes(), 0);
    }

    #[test]
    fn frees_what_does_not_fit_the_byte_limit() {
        let pool = SpanBufferPool::new(25 * size_of::<SpanData>());
        pool.give(buffer(10, 1));
        pool.give(buffer(10, 1));
        pool.give(buffer(10, 1)); // 30 spans of room: over the limit
        assert_eq!(pool.len(), 2);
        assert!(pool.kept_bytes() <= 25 * size_of::<SpanData>());
    }

    #[test]
    fn frees_empty_and_oversized_buffers() {
        let pool = SpanBufferPool::new(1 << 30);
        pool.give(Vec::new());
        pool.give(buffer(MAX_POOLED_SPANS + 1, 1));
        assert!(pool.is_empty());
        assert_eq!(pool.kept_bytes(), 0);
    }

    #[test]
    fn clear_frees_everything() {
        let pool = SpanBufferPool::new(1 << 20);
        for _ in 0..5 {
            pool.give(buffer(8, 8));
        }
        pool.clear();
        assert!(pool.is_empty());
        assert_eq!(pool.kept_bytes(), 0);
    }

    #[test]
    fn threads_giving_and_taking_at_once_keep_the_count_exact() {
        let pool = std::sync::Arc::new(SpanBufferPool::new(1 << 20));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    for _ in 0..2_000 {
                        pool.give(buffer(4, 4));
                        if let Some(b) = pool.take() {
                            assert!(b.is_empty());
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(pool.kept_bytes(), pool.len() * 4 * size_of::<SpanData>());
    }
}
