//! [`Span`]: a started span, which finishes when dropped.
//!
//! A span's path through this folder and below, one way down:
//!
//! - `builder.rs`: [`SpanBuilder`] describes it;
//! - `start.rs`: starts it under the active span, a given parent, a remote context, or as a
//!   new trace, and fills it ([`rules::span_start`](crate::rules::span_start));
//! - this file: the [`Span`] it returns, whose drop finishes it;
//! - `activate.rs`: [`SpanRef::in_scope`], [`enter`](SpanRef::enter) and
//!   [`exit`](SpanRef::exit).
//!
//! Below: [`active`](crate::active) (the stack of current spans), [`share`](crate::share) (who
//! owns the trace's record), `span_ref.rs` (tagging) and [`trace`](crate::trace) (the record).

mod activate;
mod builder;
mod start;

use std::ops::Deref;

pub use crate::span_ref::SpanRef;
pub use builder::SpanBuilder;

use crate::active::{self, Started};
use crate::clock::{self, Instant};
use crate::id::SpanId;
use crate::share::{Entry, OpenShare, OpenSpan};

/// A span: created by [`Tracer::trace`](crate::Tracer::trace), finished when dropped or by
/// [`Span::finish`].
///
/// All tagging methods come from [`SpanRef`], which `Span` dereferences to.
///
/// ```
/// use ddtrace_core::Tracer;
///
/// let tracer = Tracer::disabled();
/// let span = tracer.trace("checkout.process").service("shop").start();
/// span.set_tag("user.id", "123");
/// span.set_tag("cart.items", 3);
/// span.finish();
/// ```
#[must_use = "a span finishes as soon as it is dropped"]
pub struct Span {
    /// A handle whose `Arc` is a copy of the one the trace's open spans hold together:
    /// [`Drop`] finishes the span through it, which releases that share if this is the last.
    handle: OpenSpan,
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Span")
            .field("handle", &self.handle)
            .finish()
    }
}

impl Default for Span {
    fn default() -> Self {
        Span::noop()
    }
}

impl Span {
    /// A span that records nothing.
    pub const fn noop() -> Self {
        Span {
            handle: OpenSpan::none(),
        }
    }

    /// The span in `slot`, which has just been opened with `share`.
    #[inline]
    fn started(share: OpenShare, slot: u32, span_id: SpanId) -> Self {
        Span {
            handle: OpenSpan::new(share, slot, span_id),
        }
    }

    /// Finishes the span now. Finishing twice does nothing.
    pub fn finish(self) {
        drop(self)
    }

    /// Finishes the span as of `end` (which must not be before its start to count).
    pub fn finish_at(mut self, end: std::time::Instant) {
        if self.records() {
            self.finish_as_of(clock::from_std(end));
        }
    }

    /// A handle that can tag this span but does not finish it.
    pub fn handle(&self) -> SpanRef {
        SpanRef::clone(self.handle.span_ref())
    }

    /// Whether the span records and has not finished yet: the check made before reading the
    /// clock, kept apart from [`finish_as_of`](Self::finish_as_of) so that a span that records
    /// nothing costs a test and no more.
    #[inline]
    fn records(&self) -> bool {
        self.handle.span_ref().inner.is_some()
    }

    /// Takes the span off the calling thread's active stack, then finishes it as of `end`.
    fn finish_as_of(&mut self, end: Instant) {
        let Some(h) = &self.handle.span_ref().inner else {
            return;
        };
        let entry_elsewhere = if h.borrowed_entry {
            !active::remove_borrowed(h)
        } else {
            active::remove(h);
            false
        };
        self.handle.finish(end, entry_elsewhere);
    }

    /// Removes the span from the calling thread's active stack without finishing it (for
    /// handing it to a future or another thread).
    pub(crate) fn deactivate(&mut self) {
        let Some(h) = &self.handle.span_ref().inner else {
            return;
        };
        if !h.borrowed_entry {
            active::remove(h);
        } else if active::remove_borrowed(h) {
            self.handle.entry_removed();
        }
    }
}

impl Started for Span {
    #[inline]
    fn borrowed_entry(&self) -> Option<Entry> {
        self.handle.borrowed_entry()
    }
}

impl Deref for Span {
    type Target = SpanRef;
    #[inline]
    fn deref(&self) -> &SpanRef {
        self.handle.span_ref()
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if self.records() {
            self.finish_as_of(clock::now());
        }
    }
}
