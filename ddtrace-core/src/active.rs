//! The active span: a per-thread stack that futures swap in and out.
//!
//! Synchronous code activates a span by pushing it on the calling thread's stack; finishing the
//! span removes it. Asynchronous code cannot rely on the thread: a task yields, and an unrelated
//! task runs next on the same thread. So [`Instrumented`](crate::Instrumented) futures own a
//! stack of their own and swap it in for the duration of each poll, which carries spans across
//! `.await`s and keeps them from leaking into other tasks.
//!
//! The stack is plain data: a vector of [`Entry`]s. How an entry keeps its span's trace alive
//! (its own share of the trace, or one it borrows from its span) is the business of
//! [`share`](crate::share).

use std::cell::RefCell;

use smallvec::SmallVec;

use crate::share::{Entry, push_entry};
use crate::span_handle::SpanHandle;
use crate::span_ref::SpanRef;
use crate::trace::TraceInner;

/// A stack of active spans (top = current). Each instrumented future owns one, usually of a
/// span or two: kept inline, instrumenting a future allocates nothing.
pub(crate) type Stack = SmallVec<[Entry; 2]>;

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(SmallVec::new_const()) };
}

/// What [`start_under_current`] starts: a span that may come with an entry to push.
pub(crate) trait Started {
    /// The entry that borrows the new span's share, if it is to be activated that way.
    fn borrowed_entry(&self) -> Option<Entry>;
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
    let mine = |e: &Entry| e.is_borrowed_by(span);
    STACK
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let entry = if s.last().is_some_and(mine) {
                s.pop()
            } else {
                s.iter().rposition(mine).map(|pos| s.remove(pos))
            };
            entry.map(Entry::dismiss_borrowed).is_some()
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

/// The span active on the calling thread (or in the current instrumented future); a handle to
/// no span if there is none.
pub fn active_span() -> SpanRef {
    SpanRef {
        inner: with_current(|s| s.map(|(entry, _)| entry.to_handle())),
    }
}

/// Starts a span with `start`, given the current span and its trace's record (locked) as in
/// [`with_current`], and whether to activate it; the span is then pushed through its borrowed
/// entry, if it has one. One visit to the stack, and one lock of the parent's trace.
///
/// `start` captures references only: it is moved more than once on the way here.
pub(crate) fn start_under_current<S: Started>(
    activate: bool,
    start: impl FnOnce(Option<(&Entry, &mut TraceInner)>, bool) -> S,
) -> S {
    let mut start = Some(start);
    let r = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        let start = start.take().expect("called once");
        let span = visit_current(&mut s, |current| start(current, activate));
        if let Some(entry) = span.borrowed_entry() {
            push_entry(&mut s, entry);
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
        if g.open_span(top.slot(), top.span_id()).is_some() {
            break f(Some((top, &mut g)));
        }
        drop(g);
        s.pop();
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
