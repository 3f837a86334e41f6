//! [`SpanHandle`]: where a started span lives (its trace's record and its slot there), and
//! reading or changing the span's data through it.

use std::sync::Arc;

use crate::id::SpanId;
use crate::span_data::SpanData;
use crate::trace::TraceState;

/// Where a started span lives: its trace's record and its slot there. Cloning one clones the
/// `Arc` of the trace, not the span.
///
/// A handle owns a share of the record, except inside a [`Span`](crate::Span), whose handle
/// holds a copy of the open spans' share (see [`share`](crate::share)).
pub(crate) struct SpanHandle {
    pub(crate) trace: Arc<TraceState>,
    pub(crate) slot: u32,
    /// Set in a [`Span`](crate::Span)'s handle whose span
    /// [`SpanBuilder::start`](crate::SpanBuilder::start) activated with an entry that borrows
    /// the open spans' share of the trace (see [`share`](crate::share)); never in a clone.
    pub(crate) borrowed_entry: bool,
    pub(crate) span_id: SpanId,
}

impl Clone for SpanHandle {
    fn clone(&self) -> Self {
        SpanHandle::new(self.trace.clone(), self.slot, self.span_id)
    }
}

impl SpanHandle {
    #[inline]
    pub(crate) fn new(trace: Arc<TraceState>, slot: u32, span_id: SpanId) -> Self {
        SpanHandle {
            trace,
            slot,
            borrowed_entry: false,
            span_id,
        }
    }

    #[inline]
    pub(crate) fn into_parts(self) -> (Arc<TraceState>, u32, SpanId) {
        (self.trace, self.slot, self.span_id)
    }

    #[inline]
    pub(crate) fn is_finished(&self) -> bool {
        self.trace
            .lock()
            .open_span(self.slot, self.span_id)
            .is_none()
    }

    /// Changes the span's data while it is open; does nothing once it has finished.
    pub(crate) fn update(&self, f: impl FnOnce(&mut SpanData)) {
        if let Some(data) = self.trace.lock().open_span_mut(self.slot, self.span_id) {
            f(data);
        }
    }

    /// Reads the span's data while the trace still holds it (open, or finished and not sent).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&SpanData) -> R) -> Option<R> {
        self.trace
            .lock()
            .buffered_span(self.slot, self.span_id)
            .map(f)
    }
}
