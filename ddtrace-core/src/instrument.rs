//! Carrying the active span into futures and tasks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::active::{Stack, SwapGuard, active_span};
use crate::share::Entry;
use crate::span::{Span, SpanBuilder};

pin_project! {
    /// A future that runs with its own active-span stack: [`Instrument::instrument`] and
    /// [`Instrument::in_current_span`] make one.
    ///
    /// Each poll swaps the future's stack in and swaps it back out before returning, so spans
    /// started inside stay active across `.await`s and are never seen by other tasks that run
    /// on the same thread.
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        stack: Stack,
        span: Option<Span>,
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _guard = SwapGuard::enter(this.stack);
        let out = this.inner.poll(cx);
        if out.is_ready() {
            // Finish the owned span when the work ends, not when the future is dropped.
            drop(this.span.take());
        }
        out
    }
}

impl<F> Instrumented<F> {
    /// The span this future owns, if any.
    pub fn span(&self) -> Option<&Span> {
        self.span.as_ref()
    }
}

/// Extension methods that attach spans to futures.
pub trait Instrument: Sized {
    /// Runs the future with `span` active; the span finishes when the future completes or is
    /// dropped. Accepts a started [`Span`] or a [`SpanBuilder`](crate::SpanBuilder).
    ///
    /// ```
    /// use ddtrace_core::{Instrument, Tracer};
    ///
    /// # let tracer = Tracer::disabled();
    /// let work = async { 42 }.instrument(tracer.trace("work"));
    /// ```
    fn instrument(self, span: impl Into<Span>) -> Instrumented<Self> {
        let mut span = span.into();
        span.deactivate();
        let stack = span.inner.iter().cloned().map(Entry::owned).collect();
        Instrumented {
            inner: self,
            stack,
            span: Some(span),
        }
    }

    /// Runs the future with the currently active span as its parent context (without owning
    /// it): for futures handed to another task or executor.
    fn in_current_span(self) -> Instrumented<Self> {
        let stack = active_span().inner.into_iter().map(Entry::owned).collect();
        Instrumented {
            inner: self,
            stack,
            span: None,
        }
    }
}

impl<F: Future> Instrument for F {}

impl From<SpanBuilder<'_>> for Span {
    fn from(builder: SpanBuilder<'_>) -> Span {
        builder.start_detached()
    }
}

/// Spawns `future` on the current tokio runtime with the active span as its parent context.
///
/// Spans the task starts are children of the span that was active where `spawn` was called.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_current_span())
}

/// Runs `f` on tokio's blocking pool with the active span as the current span there.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn spawn_blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let parent = active_span();
    tokio::task::spawn_blocking(move || parent.in_scope(f))
}

/// Spawns an OS thread with the active span as the current span there.
pub fn spawn_thread<F, R>(f: F) -> std::thread::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let parent = active_span();
    std::thread::spawn(move || parent.in_scope(f))
}
