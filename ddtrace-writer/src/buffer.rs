//! The bounded hand-off between application threads and the writer's thread.
//!
//! Bounded in bytes, not entries: one trace can hold a 25 kB SQL statement and another three
//! short tags. A chunk's bytes stay counted from `export()` until the agent has acknowledged
//! or the writer has dropped it, so chunks held for a retry count too and memory stays under
//! the configured size whatever the agent does.

use std::mem::size_of;
use std::sync::{Mutex, MutexGuard};

use ddtrace_core::Str;
use ddtrace_core::export::TraceChunk;
use ddtrace_core::span_data::SpanData;
use tokio::sync::Notify;

use crate::drop_reason::DropReason;

/// Bytes counted for a tag key or a short span field (name, service, type) without reading
/// its length: these are nearly always literals of a few dozen bytes, and reading every one
/// would double the cost of `export()`. Values and resources, which can be long (SQL, stack
/// traces), are counted by their real length.
pub const SHORT_STRING: usize = 32;

/// The estimated memory of a chunk: what the buffer bound counts.
///
/// An upper bound for the usual trace: the span structs (and unused room in the chunk's
/// buffer), every tag slot, the real length of every value and resource, and [`SHORT_STRING`]
/// for each key, name, service and type, most of which are literals that take no memory at all. It also bounds the encoded size, which
/// decides when a payload is full.
pub fn estimated_size(chunk: &TraceChunk) -> usize {
    const PAIR: usize = 2 * size_of::<Str>() + SHORT_STRING;
    const METRIC: usize = size_of::<(Str, f64)>() + SHORT_STRING;
    const SPAN: usize = size_of::<SpanData>() + 3 * SHORT_STRING;
    // Room reserved for spans that never came is memory held too.
    let unused = chunk.spans.capacity() - chunk.spans.len();
    let mut total = size_of::<TraceChunk>() + unused * size_of::<SpanData>();
    for s in &chunk.spans {
        total += SPAN + s.resource.len() + s.meta.len() * PAIR + s.metrics.len() * METRIC;
        for (_, v) in &s.meta {
            total += v.len();
        }
        if !s.links.is_empty() || !s.events.is_empty() {
            total += rare_fields(s);
        }
    }
    total
}

/// Links and events, counted in full (few spans have them).
fn rare_fields(s: &SpanData) -> usize {
    const PAIR: usize = 2 * size_of::<Str>();
    let mut total = 0;
    for l in &s.links {
        total += 64 + l.attributes.len() * PAIR;
        total += l.tracestate.as_ref().map_or(0, String::len);
        for (k, v) in &l.attributes {
            total += k.len() + v.len();
        }
    }
    for e in &s.events {
        total += 64 + e.name.len() + e.attributes.len() * PAIR;
        for (k, v) in &e.attributes {
            total += k.len() + v.len();
        }
    }
    total
}

/// A chunk the buffer refused, with why.
pub(crate) struct Refused {
    pub(crate) chunk: TraceChunk,
    pub(crate) reason: DropReason,
}

/// Chunks taken out by the writer, with the bytes they hold in the bound.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) chunks: Vec<TraceChunk>,
    pub(crate) bytes: usize,
}

struct Inner {
    chunks: Vec<TraceChunk>,
    /// Bytes of chunks not yet taken by the writer.
    pending: usize,
    /// Bytes of every chunk not yet resolved (pending plus taken but not acknowledged).
    held: usize,
    /// The writer has been woken for a full payload and has not drained since.
    woken: bool,
    closed: bool,
    /// Chunks and spans accepted so far. Counted here, under the lock `push` holds anyway,
    /// rather than with two more atomic operations on the application's thread.
    accepted_traces: u64,
    accepted_spans: u64,
}

/// What the buffer holds and has accepted, for the health counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    pub(crate) pending_traces: usize,
    pub(crate) held_bytes: usize,
    pub(crate) accepted_traces: u64,
    pub(crate) accepted_spans: u64,
}

pub(crate) struct Buffer {
    inner: Mutex<Inner>,
    capacity: usize,
    /// A single chunk above this can never be sent.
    item_limit: usize,
    /// Pending bytes that make a payload worth sending before the interval ends.
    payload_threshold: usize,
    /// Wakes the writer's thread (a permit is stored if it is not waiting).
    pub(crate) wake: Notify,
}

impl Buffer {
    pub(crate) fn new(capacity: usize, max_payload: usize) -> Self {
        Buffer {
            inner: Mutex::new(Inner {
                chunks: Vec::new(),
                pending: 0,
                held: 0,
                woken: false,
                closed: false,
                accepted_traces: 0,
                accepted_spans: 0,
            }),
            capacity,
            item_limit: capacity.min(max_payload),
            // Send early at a full payload or half the buffer, whichever comes first: with the
            // defaults (both 20 MiB) waiting for a full payload meant a full buffer, and drops.
            payload_threshold: max_payload.min(capacity / 2).max(1),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing done under this lock can leave it inconsistent; a poisoned lock (a panic in
        // an allocation) must not stop tracing.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a chunk, or gives it back with the reason it was refused. Never blocks beyond a
    /// short uncontended lock.
    pub(crate) fn push(&self, chunk: TraceChunk) -> Result<(), Refused> {
        let size = estimated_size(&chunk);
        if size > self.item_limit {
            return Err(Refused {
                chunk,
                reason: DropReason::TooLarge,
            });
        }
        let mut g = self.lock();
        if g.closed {
            drop(g);
            return Err(Refused {
                chunk,
                reason: DropReason::ShutDown,
            });
        }
        if g.held + size > self.capacity {
            drop(g);
            return Err(Refused {
                chunk,
                reason: DropReason::BufferFull,
            });
        }
        g.held += size;
        g.pending += size;
        g.accepted_traces += 1;
        g.accepted_spans += chunk.spans.len() as u64;
        g.chunks.push(chunk);
        let wake = !g.woken && g.pending >= self.payload_threshold;
        g.woken |= wake;
        drop(g);
        if wake {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Takes every pending chunk; their bytes stay held until [`Buffer::release`].
    pub(crate) fn drain(&self) -> Batch {
        let mut g = self.lock();
        g.woken = false;
        let bytes = std::mem::take(&mut g.pending);
        // The next batch is likely as large as this one: keep `push` from regrowing it.
        let capacity = g.chunks.len();
        Batch {
            chunks: std::mem::replace(&mut g.chunks, Vec::with_capacity(capacity)),
            bytes,
        }
    }

    /// The writer is done with `bytes` (sent or dropped).
    pub(crate) fn release(&self, bytes: usize) {
        let mut g = self.lock();
        g.held = g.held.saturating_sub(bytes);
    }

    /// Refuses every later chunk.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
    }

    pub(crate) fn usage(&self) -> Usage {
        let g = self.lock();
        Usage {
            pending_traces: g.chunks.len(),
            held_bytes: g.held,
            accepted_traces: g.accepted_traces,
            accepted_spans: g.accepted_spans,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::TraceId;

    fn chunk(spans: usize, tag_len: usize) -> TraceChunk {
        let mut s = SpanData {
            name: "n".into(),
            ..Default::default()
        };
        s.set_meta("k".into(), "v".repeat(tag_len).into());
        TraceChunk {
            trace_id: TraceId(1),
            priority: None,
            spans: vec![s; spans],
        }
    }

    #[test]
    fn refuses_when_full_and_accepts_again_after_release() {
        let one = estimated_size(&chunk(1, 10));
        let b = Buffer::new(one * 2, one * 100);
        assert!(b.push(chunk(1, 10)).is_ok());
        assert!(b.push(chunk(1, 10)).is_ok());
        let r = b.push(chunk(1, 10)).err().map(|r| r.reason);
        assert_eq!(r, Some(DropReason::BufferFull));
        let batch = b.drain();
        assert_eq!(batch.chunks.len(), 2);
        // Still held while the writer sends them.
        assert!(b.push(chunk(1, 10)).is_err());
        b.release(batch.bytes);
        assert!(b.push(chunk(1, 10)).is_ok());
    }

    #[test]
    fn a_chunk_larger_than_a_payload_is_too_large() {
        let b = Buffer::new(1 << 20, 1000);
        let r = b.push(chunk(1, 2000)).err().map(|r| r.reason);
        assert_eq!(r, Some(DropReason::TooLarge));
    }

    #[test]
    fn closed_buffer_refuses() {
        let b = Buffer::new(1 << 20, 1 << 20);
        b.close();
        let r = b.push(chunk(1, 1)).err().map(|r| r.reason);
        assert_eq!(r, Some(DropReason::ShutDown));
    }

    #[test]
    fn estimate_grows_with_tag_values() {
        assert!(estimated_size(&chunk(1, 1000)) >= estimated_size(&chunk(1, 0)) + 1000);
    }
}
