//! The active span: a per-thread stack that futures swap in and out.
//!
//! Synchronous code activates a span by pushing it on the calling thread's stack; finishing the
//! span removes it. Asynchronous code cannot rely on the thread: a task yields, and an unrelated
//! task runs next on the same thread. So [`Instrumented`](crate::Instrumented) futures own a
//! stack of their own and swap it in for the duration of each poll, which carries spans across
//! `.await`s and keeps them from leaking into other tasks.

use std::cell::RefCell;

use smallvec::SmallVec;

use crate::span::SpanHandle;
use crate::trace::TraceInner;

/// A stack of active spans (top = current). Each instrumented future owns one, usually of a
/// span or two: kept inline, instrumenting a future allocates nothing.
pub(crate) type Stack = SmallVec<[SpanHandle; 2]>;

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(SmallVec::new_const()) };
}

/// Makes `span` the current span of this thread.
pub(crate) fn push(span: SpanHandle) {
    let _ = STACK.try_with(|s| s.borrow_mut().push(span));
}

/// Removes `span` from this thread's stack, wherever it is (spans may finish out of order).
#[inline]
pub(crate) fn remove(span: &SpanHandle) {
    let _ = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        // Nearly always the top: `pop` then, as `remove` calls `memmove` even for nothing.
        if s.last().is_some_and(|top| top.same_span(span)) {
            s.pop();
        } else if let Some(pos) = s.iter().rposition(|e| e.same_span(span)) {
            s.remove(pos);
        }
    });
}

/// Calls `f` with the current span and its trace's record, locked; finished spans left on top
/// (a span finished on another thread cannot remove itself from this one) are dropped first.
///
/// `f` runs with this thread's stack borrowed: it must not activate or deactivate spans.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<(&SpanHandle, &mut TraceInner)>) -> R) -> R {
    with_current_then_push(|current| (f(current), None))
}

/// As [`with_current`], and pushes the span `f` returns on the stack in the same visit to
/// this thread's stack (starting an active span visits it once, not twice).
pub(crate) fn with_current_then_push<R>(
    f: impl FnOnce(Option<(&SpanHandle, &mut TraceInner)>) -> (R, Option<SpanHandle>),
) -> R {
    let mut f = Some(f);
    let r = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        let (r, pushed) = loop {
            match s.last() {
                None => break (f.take().expect("called once"))(None),
                Some(top) => {
                    let mut g = top.trace.lock();
                    if g.open_span(top.slot, top.span_id).is_some() {
                        break (f.take().expect("called once"))(Some((top, &mut g)));
                    }
                }
            }
            s.pop();
        };
        if let Some(span) = pushed {
            s.push(span);
        }
        r
    });
    match r {
        Ok(r) => r,
        // Thread-local storage is being torn down: there is no current span.
        Err(_) => (f.take().expect("not called yet"))(None).0,
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
