//! The [`SpanRef`] methods that make a span the current one: they push onto the active-span
//! stack, so they sit above it, apart from the tagging methods in `span_ref.rs`.

use crate::active;
use crate::span_handle::SpanHandle;
use crate::span_ref::SpanRef;

impl SpanRef {
    /// Runs `f` with this span as the current span of the calling thread.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(inner) = &self.inner else { return f() };
        active::push(inner.clone());
        struct Pop<'a>(&'a SpanHandle);
        impl Drop for Pop<'_> {
            fn drop(&mut self) {
                active::remove(self.0);
            }
        }
        let _pop = Pop(inner);
        f()
    }

    /// Makes this span the current span of the calling thread (or of the instrumented future
    /// being polled) until [`exit`](Self::exit) is called for it; spans started meanwhile are
    /// its children. Entering does not finish the span, and a span may be entered more than
    /// once.
    ///
    /// For bridges whose "enter" and "exit" arrive as separate calls, such as a `tracing`
    /// subscriber's `on_enter`/`on_exit`; elsewhere prefer [`in_scope`](Self::in_scope) or
    /// [`Instrument`](crate::Instrument).
    ///
    /// ```
    /// use ddtrace_core::{Tracer, active_span};
    ///
    /// # let tracer = Tracer::disabled();
    /// let span = tracer.trace("work").start_detached();
    /// span.enter();
    /// assert_eq!(active_span().span_id(), span.span_id());
    /// span.exit();
    /// ```
    pub fn enter(&self) {
        if let Some(inner) = &self.inner {
            active::push(inner.clone());
        }
    }

    /// Undoes the latest [`enter`](Self::enter) of this span on the calling thread (or in the
    /// instrumented future being polled). Does nothing if it was not entered there.
    pub fn exit(&self) {
        if let Some(inner) = &self.inner {
            active::remove(inner);
        }
    }
}
