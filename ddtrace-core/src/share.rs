//! Who owns a trace's record: the reference-count protocol of the span model, and the only
//! module that handles a trace's `Arc` by hand.
//!
//! # The protocol
//!
//! A trace's spans live in one record ([`TraceState`]), shared through an `Arc`. Starting and
//! finishing a span lock the record anyway, so the open spans do not each hold a share of the
//! `Arc` (two atomic instructions per span): they hold **one share between them**, counted by
//! the record's open-span count under its lock.
//!
//! - [`OpenShare`]: the span that opens a record with no open span takes a share (a new
//!   record's first share, or a clone); a span opened while others are open takes a bitwise
//!   copy that owns nothing.
//! - [`OpenSpan`]: a [`Span`](crate::Span) keeps that copy inside a handle that is never
//!   dropped as is. Finishing the span ([`OpenSpan::finish`]) releases the share only if it
//!   closed the record's last open span ([`TraceState::finish_span`] returns true).
//! - [`Entry`]: an active-stack entry keeps its span's trace alive. Most entries own a share.
//!   The entry that [`SpanBuilder::start`](crate::SpanBuilder::start) pushes *borrows* the open
//!   spans' share instead, and its span removes it when it finishes. A span can finish where
//!   its entry is out of reach (another thread, a future's stack swapped out), so the record
//!   keeps, per slot, whether a borrowed entry may still be on a stack, and under its lock:
//!   a span that finishes without having removed its borrowed entry gives that entry a share
//!   of its own; an entry removed by anyone else clears the flag while the span is open, and
//!   otherwise releases the share it was given ([`TraceState::release_entry`]).
//!
//! Every other holder ([`SpanRef`], an instrumented future) owns a share as usual.
//!
//! # Invariants the `unsafe` code here relies on
//!
//! 1. The record is alive while one of its spans is open: the open spans' share is released
//!    only by the finish that closes the last one, so an [`OpenShare`] copy, an [`OpenSpan`]
//!    and a borrowed [`Entry`] never outlive the record while their span is open.
//! 2. A copy that owns nothing is never dropped: [`OpenShare`] and [`OpenSpan`] keep it in a
//!    `ManuallyDrop` and hand it out only by reference, and [`Lent`] likewise.
//! 3. A borrowed [`Entry`] exists only for a slot the record marked as having one (both are
//!    set by [`OpenShare::insert`] and [`OpenShare::new_record`] from the same flag), so the
//!    record knows to give it a share when its span finishes away from it.
//! 4. An [`Entry`] releases a share only if it owns one: from the start (`owned`), or given
//!    by its span's finish, which the record tells under its lock.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::clock::{Anchor, Instant};
use crate::id::{SpanId, TraceId};
use crate::span_data::SpanData;
use crate::span_handle::SpanHandle;
use crate::span_ref::SpanRef;
use crate::trace::{Inherited, LocalParent, TraceInner, TraceState};
use crate::tracer_shared::TracerShared;

/// The `Arc` a span about to open holds: the open spans' share of its record (see the module
/// docs). Only [`OpenSpan::new`] takes it apart; dropped unused, it leaks rather than
/// releases.
pub(crate) struct OpenShare {
    trace: ManuallyDrop<Arc<TraceState>>,
    /// Whether the span's slot was marked as having a borrowed entry.
    borrowed_entry: bool,
}

impl OpenShare {
    /// Opens a span in `g`, the locked record of `trace`: takes a slot for it (see
    /// [`TraceInner::insert`]) and the share it holds. Returns the share, the slot and the
    /// span's empty data to fill. With `borrowed_entry`, the span is to be activated with
    /// [`OpenSpan::borrowed_entry`].
    #[inline]
    pub(crate) fn insert<'g>(
        trace: &Arc<TraceState>,
        g: &'g mut TraceInner,
        start: Instant,
        parent: LocalParent,
        borrowed_entry: bool,
    ) -> (OpenShare, u32, &'g mut SpanData) {
        let trace = if g.open_count() == 0 {
            // A child started from a handle to a span of a finished trace: it reopens the
            // record, and takes a share.
            ManuallyDrop::new(Arc::clone(trace))
        } else {
            // SAFETY: a bitwise copy of an `Arc` that is never dropped (invariant 2): it
            // releases nothing, and the record stays alive while the span is open (1).
            unsafe { ManuallyDrop::new(std::ptr::read(trace)) }
        };
        let (slot, data) = g.insert(start, Some(parent), borrowed_entry);
        let share = OpenShare {
            trace,
            borrowed_entry,
        };
        (share, slot, data)
    }

    /// A new record whose root `fill_root` fills in place (see [`TraceState::with_root`]);
    /// the record's first share is its open spans'. Returns it with the root's id.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn new_record(
        tracer: Arc<TracerShared>,
        trace_id: TraceId,
        anchor: Anchor,
        inherited: Inherited,
        start: Instant,
        borrowed_entry: bool,
        fill_root: impl FnOnce(&mut SpanData),
    ) -> (OpenShare, SpanId) {
        let (trace, root_id) = TraceState::with_root(
            tracer,
            trace_id,
            anchor,
            inherited,
            start,
            borrowed_entry,
            fill_root,
        );
        let share = OpenShare {
            trace: ManuallyDrop::new(trace),
            borrowed_entry,
        };
        (share, root_id)
    }
}

/// A started [`Span`](crate::Span)'s handle: a [`SpanRef`] whose `Arc` is a copy of the open
/// spans' share, never dropped as is. It is lent by reference only, and
/// [`finish`](Self::finish) is the one way it ends.
pub(crate) struct OpenSpan {
    handle: ManuallyDrop<SpanRef>,
}

impl std::fmt::Debug for OpenSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.handle.fmt(f)
    }
}

impl OpenSpan {
    /// A handle to no span.
    pub(crate) const fn none() -> Self {
        OpenSpan {
            handle: ManuallyDrop::new(SpanRef::none()),
        }
    }

    /// The span `span_id` in `slot`, just opened with `share`.
    #[inline]
    pub(crate) fn new(share: OpenShare, slot: u32, span_id: SpanId) -> Self {
        OpenSpan {
            handle: ManuallyDrop::new(SpanRef {
                inner: Some(SpanHandle {
                    trace: ManuallyDrop::into_inner(share.trace),
                    slot,
                    borrowed_entry: share.borrowed_entry,
                    span_id,
                }),
            }),
        }
    }

    /// The span, to tag it or to clone a handle (which owns a share of its own).
    #[inline]
    pub(crate) fn span_ref(&self) -> &SpanRef {
        &self.handle
    }

    /// An active-stack entry that borrows this span's share, if the span was opened to be
    /// activated that way (invariant 3).
    #[inline]
    pub(crate) fn borrowed_entry(&self) -> Option<Entry> {
        self.handle
            .inner
            .as_ref()
            .filter(|h| h.borrowed_entry)
            .map(Entry::borrowed)
    }

    /// The span's borrowed entry was removed from the stack without finishing the span.
    #[inline]
    pub(crate) fn entry_removed(&mut self) {
        if let Some(h) = &mut self.handle.inner {
            h.borrowed_entry = false;
        }
    }

    /// Finishes the span as of `end`, releasing the open spans' share if it was the trace's
    /// last open span. `entry_elsewhere`: the span had a borrowed entry that could not be
    /// removed from the calling thread's stack, and may outlive the span. Afterwards this
    /// handle refers to no span.
    #[inline]
    pub(crate) fn finish(&mut self, end: Instant, entry_elsewhere: bool) {
        let Some(h) = self.handle.inner.take() else {
            return;
        };
        // Kept wrapped through everything that can unwind (the sampler runs in there): a
        // panic leaks the share rather than releasing one that is not this span's own.
        let trace = ManuallyDrop::new(h.trace);
        if trace.finish_span(h.slot, h.span_id, end, entry_elsewhere) {
            drop(ManuallyDrop::into_inner(trace));
        }
    }
}

/// An active span on a stack: its trace, and its slot and id there. It keeps the trace alive
/// (module docs): with a share of its own, or borrowing the open spans' share.
pub(crate) struct Entry {
    /// Alive while the entry exists (invariants 1, 3, 4).
    trace: NonNull<TraceState>,
    slot: u32,
    /// Whether this entry owns a share of the trace's `Arc` from the start; a borrowed entry
    /// may be given one later, which its trace's record tells.
    owned: bool,
    span_id: SpanId,
}

// SAFETY: an entry is a (possibly borrowed) `Arc<TraceState>`, which is `Send`; it is never
// shared between threads, only moved with the stack that holds it.
unsafe impl Send for Entry {}

impl Entry {
    /// An entry that owns the share `span` holds.
    #[inline]
    pub(crate) fn owned(span: SpanHandle) -> Self {
        let (trace, slot, span_id) = span.into_parts();
        Entry {
            trace: NonNull::new(Arc::into_raw(trace).cast_mut()).expect("an Arc is never null"),
            slot,
            owned: true,
            span_id,
        }
    }

    /// An entry that borrows `span`'s share: only for a span opened with a borrowed entry
    /// (through [`OpenSpan::borrowed_entry`]).
    #[inline]
    fn borrowed(span: &SpanHandle) -> Self {
        Entry {
            // `as_ptr`, not a reference: the pointer must keep the whole allocation's
            // provenance for `lend` to reach the reference count.
            trace: NonNull::new(Arc::as_ptr(&span.trace).cast_mut()).expect("an Arc is never null"),
            slot: span.slot,
            owned: false,
            span_id: span.span_id,
        }
    }

    /// The span's trace.
    #[inline]
    pub(crate) fn trace(&self) -> &TraceState {
        // SAFETY: the trace is alive while the entry exists (invariants 1, 3, 4).
        unsafe { self.trace.as_ref() }
    }

    /// The span's trace as an `Arc`, lent for as long as the entry is borrowed.
    #[inline]
    pub(crate) fn lend(&self) -> Lent<'_> {
        // SAFETY: `trace` came from an `Arc`, alive while the entry exists; the copy is never
        // dropped (invariant 2), so it releases nothing.
        let arc = unsafe { ManuallyDrop::new(Arc::from_raw(self.trace.as_ptr().cast_const())) };
        Lent {
            arc,
            _entry: PhantomData,
        }
    }

    /// A share of the span's trace.
    #[inline]
    pub(crate) fn trace_arc(&self) -> Arc<TraceState> {
        Arc::clone(&self.lend())
    }

    #[inline]
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    #[inline]
    pub(crate) fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// A handle of its own to the span.
    #[inline]
    pub(crate) fn to_handle(&self) -> SpanHandle {
        SpanHandle::new(self.trace_arc(), self.slot, self.span_id)
    }

    /// Whether this entry is of `span`.
    #[inline]
    pub(crate) fn is(&self, span: &SpanHandle) -> bool {
        self.span_id == span.span_id && std::ptr::eq(self.trace.as_ptr(), Arc::as_ptr(&span.trace))
    }

    /// Whether this entry is the one that borrows `span`'s share.
    #[inline]
    pub(crate) fn is_borrowed_by(&self, span: &SpanHandle) -> bool {
        !self.owned && self.is(span)
    }

    /// Drops the borrowed entry its own span took off the stack: the share stays with the
    /// span, so there is nothing to release.
    #[inline]
    pub(crate) fn dismiss_borrowed(self) {
        debug_assert!(!self.owned);
        std::mem::forget(self);
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let owns = self.owned || self.trace().release_entry(self.slot, self.span_id);
        if owns {
            // SAFETY: this entry owns one share of the trace (invariant 4), released here once.
            unsafe {
                Arc::decrement_strong_count(self.trace.as_ptr().cast_const());
            }
        }
    }
}

/// An entry's trace as an `Arc` that owns no share: to lend, never to drop.
pub(crate) struct Lent<'a> {
    arc: ManuallyDrop<Arc<TraceState>>,
    _entry: PhantomData<&'a Entry>,
}

impl Deref for Lent<'_> {
    type Target = Arc<TraceState>;
    #[inline]
    fn deref(&self) -> &Arc<TraceState> {
        &self.arc
    }
}

/// Pushes `entry` onto a stack field by field, in the room reserved for it: `push` copied it
/// through a stack slot with wide loads of narrow stores that the CPU could not forward. The
/// pattern of [`raw`](crate::raw), here because only this module sees an entry's fields.
#[inline(always)]
pub(crate) fn push_entry<A: smallvec::Array<Item = Entry>>(s: &mut SmallVec<A>, entry: Entry) {
    s.reserve(1);
    let len = s.len();
    // Moved field by field: the entry's drop must not run here.
    let entry = ManuallyDrop::new(entry);
    let (trace, slot, owned, span_id) = (entry.trace, entry.slot, entry.owned, entry.span_id);
    // SAFETY: `reserve` made room for one more entry at `len`; it is written whole before the
    // length covers it, and nothing between can unwind (see `raw`).
    unsafe {
        let at = s.as_mut_ptr().add(len);
        std::ptr::addr_of_mut!((*at).trace).write(trace);
        std::ptr::addr_of_mut!((*at).slot).write(slot);
        std::ptr::addr_of_mut!((*at).owned).write(owned);
        std::ptr::addr_of_mut!((*at).span_id).write(span_id);
        s.set_len(len + 1);
    }
}
