//! The active span: a per-thread stack that futures swap in and out.
//!
//! Synchronous code activates a span by pushing it on the calling thread's stack; finishing the
//! span removes it. Asynchronous code cannot rely on the thread: a task yields, and an unrelated
//! task runs next on the same thread. So [`Instrumented`](crate::Instrumented) futures own a
//! stack of their own and swap it in for the duration of each poll, which carries spans across
//! `.await`s and keeps them from leaking into other tasks.
//!
//! # Borrowed entries
//!
//! An entry keeps its span's trace alive. Most entries own a share of the trace's `Arc`, but
//! the entry [`SpanBuilder::start`](crate::SpanBuilder::start) pushes *borrows* the share the
//! trace's open spans hold (see `trace`): the span removes it when it finishes, so pushing
//! and popping it touch no reference count (two atomic instructions per span, about 5% of
//! the span lifecycle).
//! A span can finish where its entry is out of reach, though: on another thread, or while a
//! future's stack is swapped in. So the trace's record keeps, per slot, whether a borrowed
//! entry of that span may still be on a stack, and under the trace's lock:
//!
//! - a span that finishes without having removed its borrowed entry gives that entry a share
//!   of its own (the entry owns one from then on);
//! - an entry removed by anyone else (a stack dropped, a finished span popped) clears the
//!   flag while the span is open, and otherwise releases the share it was given.
//!
//! Either way the trace lives while an entry points at it: before the span finishes, the
//! open spans' share does; after, the entry's own.

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::id::SpanId;
use crate::span::{Span, SpanHandle};
use crate::trace::{TraceInner, TraceState};

/// A stack of active spans (top = current). Each instrumented future owns one, usually of a
/// span or two: kept inline, instrumenting a future allocates nothing.
pub(crate) type Stack = SmallVec<[Entry; 2]>;

/// An active span: its trace, and its slot and id there.
pub(crate) struct Entry {
    /// Alive while the entry exists: see the module docs.
    trace: NonNull<TraceState>,
    slot: u32,
    /// Whether this entry owns a share of the trace's `Arc` from the start; a borrowed entry
    /// may be given one later, which its trace's record tells.
    owned: bool,
    span_id: SpanId,
}

// SAFETY: an entry is a (possibly borrowed) `Arc<TraceState>`, which is `Send`; it is never
// shared between threads, only moved with the stack that holds it.
#[allow(unsafe_code)]
unsafe impl Send for Entry {}

impl Entry {
    /// An entry that owns the share `span` holds.
    pub(crate) fn owned(span: SpanHandle) -> Self {
        let (trace, slot, span_id) = span.into_parts();
        Entry {
            trace: NonNull::new(Arc::into_raw(trace).cast_mut()).expect("an Arc is never null"),
            slot,
            owned: true,
            span_id,
        }
    }

    /// An entry that borrows `span`'s share: only for a span whose slot was marked as having a
    /// borrowed entry, and that removes it with [`remove_borrowed`] when it finishes.
    pub(crate) fn borrowed(span: &SpanHandle) -> Self {
        Entry {
            // `as_ptr`, not a reference: the pointer must keep the whole allocation's
            // provenance for `trace_arc` to reach the reference count.
            trace: NonNull::new(Arc::as_ptr(&span.trace).cast_mut()).expect("an Arc is never null"),
            slot: span.slot,
            owned: false,
            span_id: span.span_id,
        }
    }

    /// The span's trace.
    pub(crate) fn trace(&self) -> &TraceState {
        // SAFETY: the trace is alive while the entry exists (module docs).
        #[allow(unsafe_code)]
        unsafe {
            self.trace.as_ref()
        }
    }

    /// The span's trace as an `Arc` that owns no share: to lend, never to drop.
    pub(crate) fn trace_copy(&self) -> ManuallyDrop<Arc<TraceState>> {
        // SAFETY: `trace` came from an `Arc`, alive while the entry exists; the copy is never
        // dropped, so it releases nothing.
        #[allow(unsafe_code)]
        unsafe {
            ManuallyDrop::new(Arc::from_raw(self.trace.as_ptr().cast_const()))
        }
    }

    /// A share of the span's trace.
    pub(crate) fn trace_arc(&self) -> Arc<TraceState> {
        Arc::clone(&self.trace_copy())
    }

    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    pub(crate) fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// A handle of its own to the span.
    pub(crate) fn to_handle(&self) -> SpanHandle {
        SpanHandle::new(self.trace_arc(), self.slot, self.span_id)
    }

    fn is(&self, span: &SpanHandle) -> bool {
        self.span_id == span.span_id && std::ptr::eq(self.trace.as_ptr(), Arc::as_ptr(&span.trace))
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let owns = self.owned || self.trace().release_entry(self.slot, self.span_id);
        if owns {
            // SAFETY: this entry owns one share of the trace, released here once.
            #[allow(unsafe_code)]
            unsafe {
                Arc::decrement_strong_count(self.trace.as_ptr().cast_const());
            }
        }
    }
}

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(SmallVec::new_const()) };
}

/// Makes `span` the current span of this thread.
pub(crate) fn push(span: SpanHandle) {
    let _ = STACK.try_with(|s| s.borrow_mut().push(Entry::owned(span)));
}

/// Removes `span` from this thread's stack, wherever it is (spans may finish out of order).
#[inline]
pub(crate) fn remove(span: &SpanHandle) {
    let _ = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        // Nearly always the top: `pop` then, as `remove` calls `memmove` even for nothing.
        if s.last().is_some_and(|top| top.is(span)) {
            s.pop();
        } else if let Some(pos) = s.iter().rposition(|e| e.is(span)) {
            s.remove(pos);
        }
    });
}

/// Removes the entry borrowing `span`'s share from this thread's stack, if it is there;
/// returns whether it was.
#[inline]
pub(crate) fn remove_borrowed(span: &SpanHandle) -> bool {
    let mine = |e: &Entry| !e.owned && e.is(span);
    STACK
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let entry = if s.last().is_some_and(mine) {
                s.pop()
            } else {
                s.iter().rposition(mine).map(|pos| s.remove(pos))
            };
            // The span's own share stays with the span: nothing to release.
            entry.map(std::mem::forget).is_some()
        })
        .unwrap_or(false)
}

/// Calls `f` with the current span and its trace's record, locked; finished spans left on top
/// (a span finished on another thread cannot remove itself from this one) are dropped first.
///
/// `f` runs with this thread's stack borrowed: it must not activate or deactivate spans.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<(&Entry, &mut TraceInner)>) -> R) -> R {
    let mut f = Some(f);
    let r = STACK.try_with(|s| visit_current(&mut s.borrow_mut(), f.take().expect("called once")));
    match r {
        Ok(r) => r,
        // Thread-local storage is being torn down: there is no current span.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Starts a span with `start`, given the current span and its trace's record (locked) as in
/// [`with_current`], and whether to activate it; the span is then pushed through its borrowed
/// entry, if it has one. One visit to the stack, and one lock of the parent's trace.
///
/// `start` captures references only: it is moved more than once on the way here.
pub(crate) fn start_under_current(
    activate: bool,
    start: impl FnOnce(Option<(&Entry, &mut TraceInner)>, bool) -> Span,
) -> Span {
    let mut start = Some(start);
    let r = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        let start = start.take().expect("called once");
        let span = visit_current(&mut s, |current| start(current, activate));
        if let Some(entry) = span.borrowed_entry() {
            push_in_place(&mut s, entry);
        }
        span
    });
    match r {
        Ok(span) => span,
        // Thread-local storage is being torn down: no stack to activate the span on.
        Err(_) => (start.take().expect("not called yet"))(None, false),
    }
}

/// Calls `f` with the top of `s` and its trace's record, locked, once the finished spans left
/// on top are dropped.
#[inline(always)]
fn visit_current<R>(s: &mut Stack, f: impl FnOnce(Option<(&Entry, &mut TraceInner)>) -> R) -> R {
    loop {
        let Some(top) = s.last() else { break f(None) };
        let mut g = top.trace().lock();
        if g.open_span(top.slot, top.span_id).is_some() {
            break f(Some((top, &mut g)));
        }
        drop(g);
        s.pop();
    }
}

/// Pushes `entry` field by field into the stack's spare slot: `push` copied it through a
/// stack slot, with wide loads of narrow stores that the CPU could not forward (perf
/// annotate: a third of starting a span waited there).
#[inline(always)]
fn push_in_place(s: &mut Stack, entry: Entry) {
    s.reserve(1);
    let len = s.len();
    // Moved field by field: the entry's drop must not run here.
    let entry = ManuallyDrop::new(entry);
    let (trace, slot, owned, span_id) = (entry.trace, entry.slot, entry.owned, entry.span_id);
    // SAFETY: `reserve` made room for one more entry at `len`; it is written whole before the
    // length covers it, and nothing between can unwind.
    #[allow(unsafe_code)]
    unsafe {
        let at = s.as_mut_ptr().add(len);
        std::ptr::addr_of_mut!((*at).trace).write(trace);
        std::ptr::addr_of_mut!((*at).slot).write(slot);
        std::ptr::addr_of_mut!((*at).owned).write(owned);
        std::ptr::addr_of_mut!((*at).span_id).write(span_id);
        s.set_len(len + 1);
    }
}

/// Exchanges this thread's stack with `other`.
pub(crate) fn swap(other: &mut Stack) {
    let _ = STACK.try_with(|s| std::mem::swap(&mut *s.borrow_mut(), other));
}

/// Swaps a stack in on creation and back out on drop, even if the code in between panics.
pub(crate) struct SwapGuard<'a> {
    stack: &'a mut Stack,
}

impl<'a> SwapGuard<'a> {
    pub(crate) fn enter(stack: &'a mut Stack) -> Self {
        swap(stack);
        SwapGuard { stack }
    }
}

impl Drop for SwapGuard<'_> {
    fn drop(&mut self) {
        swap(self.stack);
    }
}
