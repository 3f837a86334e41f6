//! Span buffers handed back by exporters, reused by new traces.
//!
//! A trace's spans live in one vector that leaves with the finished trace and is freed by the
//! exporter, usually on the writer's thread. With the system allocator a block freed on
//! another thread than the one that allocated it takes that thread's allocator lock, which the
//! application's thread needs too for its next trace: under load the two threads take turns
//! on that lock for every trace. An exporter that is done with a chunk gives its vector back
//! with [`recycle`](crate::export::recycle); a new trace takes one from here before asking the
//! allocator.

use crossbeam_queue::ArrayQueue;
use std::sync::LazyLock;

use crate::span_data::SpanData;

/// Buffers kept at most. With [`MAX_SLOTS`] this bounds what the pool holds to
/// `32 * 32 * size_of::<SpanData>()`, about 0.5 MB.
const CAPACITY: usize = 32;

/// Larger buffers (of rare, very large traces) go back to the allocator.
const MAX_SLOTS: usize = 32;

static POOL: LazyLock<ArrayQueue<Vec<SpanData>>> = LazyLock::new(|| ArrayQueue::new(CAPACITY));

/// Empties `spans` and keeps its allocation for a later trace, if it is of a useful size and
/// the pool has room; otherwise frees it.
pub(crate) fn put(mut spans: Vec<SpanData>) {
    if spans.capacity() == 0 || spans.capacity() > MAX_SLOTS {
        return;
    }
    spans.clear();
    let _ = POOL.push(spans);
}

/// An empty buffer with room for at least `slots` spans: a recycled one when there is one.
pub(crate) fn take(slots: usize) -> Vec<SpanData> {
    match POOL.pop() {
        Some(mut spans) => {
            spans.reserve(slots);
            spans
        }
        None => Vec::with_capacity(slots),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_oversized_ones_are_freed() {
        let mut v = Vec::with_capacity(4);
        v.push(SpanData::default());
        put(v);
        put(Vec::with_capacity(MAX_SLOTS + 1));
        // Other tests of this process may use the pool meanwhile: what is in it is checked,
        // not how much.
        while let Some(b) = POOL.pop() {
            assert!(b.is_empty());
            assert!((1..=MAX_SLOTS).contains(&b.capacity()));
        }
        let b = take(3);
        assert!(b.is_empty() && b.capacity() >= 3);
    }
}
