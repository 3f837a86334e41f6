//! Support code for the `#[traced]` attribute's expansion. Not a public API: names and
//! signatures here change whenever the attribute's expansion does.
//!
//! The expansion keeps the disabled path to one check of the global tracer: every helper that
//! starts a span returns `None` when tracing is off, and everything else (tags, error recording)
//! runs only behind that `Some`.

use std::fmt::{Debug, Display};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::instrument::{Instrument, Instrumented};
use crate::span::{Span, SpanBuilder, SpanRef};
use crate::str::Str;
use crate::tag::{IntoTagValue, TagValue};
use crate::tracer::{Tracer, global_tracer};

/// What a traced function's span looks like, fixed at compile time.
#[derive(Debug)]
pub struct Meta {
    /// The operation name.
    pub name: &'static str,
    /// The service, if given.
    pub service: Option<&'static str>,
    /// The resource, if given (the span defaults it to the name).
    pub resource: Option<&'static str>,
    /// The span type, if given.
    pub span_type: Option<&'static str>,
}

impl Meta {
    fn builder(&'static self, tracer: &'static Tracer) -> SpanBuilder<'static> {
        let mut builder = tracer.trace(Str::from_static(self.name));
        if let Some(service) = self.service {
            builder = builder.service(Str::from_static(service));
        }
        if let Some(resource) = self.resource {
            builder = builder.resource(Str::from_static(resource));
        }
        if let Some(span_type) = self.span_type {
            builder = builder.span_type(Str::from_static(span_type));
        }
        builder
    }
}

/// The global tracer if it records spans.
///
/// This reads the installed tracer rather than calling [`tracer()`](crate::tracer()): with no
/// tracer installed, `tracer()` also forces the lazily built disabled tracer, and that code,
/// inlined into every traced `async fn`, made the disabled path of a trivial one several times
/// slower in `benches/traced.rs`.
#[inline(always)]
fn enabled_tracer() -> Option<&'static Tracer> {
    global_tracer().filter(|t| t.is_enabled())
}

/// The length of `path` with every `::` written as `.`: the default operation name of
/// `#[traced]` is the function's module path and name in the Python tracer's dotted form
/// (`shop.checkout.reserve`), built at compile time with [`dotted`].
pub const fn dotted_len(path: &str) -> usize {
    let b = path.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        i += if b[i] == b':' && i + 1 < b.len() && b[i + 1] == b':' {
            2
        } else {
            1
        };
        n += 1;
    }
    n
}

/// `path` with every `::` written as `.`, into `N` bytes (`N` from [`dotted_len`]).
pub const fn dotted<const N: usize>(path: &str) -> [u8; N] {
    let b = path.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut j) = (0, 0);
    while i < b.len() && j < N {
        if b[i] == b':' && i + 1 < b.len() && b[i + 1] == b':' {
            out[j] = b'.';
            i += 2;
        } else {
            out[j] = b[i];
            i += 1;
        }
        j += 1;
    }
    out
}

/// Starts the span of a synchronous call and makes it active on this thread: `None` when the
/// global tracer is disabled.
#[inline]
pub fn enter(meta: &'static Meta) -> SyncSpan {
    SyncSpan {
        span: enabled_tracer().map(|tracer| start_active(tracer, meta)),
    }
}

/// Starts the span of an asynchronous call without activating it (the future it is attached
/// to activates it on each poll): `None` when the global tracer is disabled.
#[inline]
pub fn start(meta: &'static Meta) -> Option<Span> {
    enabled_tracer().map(|tracer| start_detached(tracer, meta))
}

// Out of line, so that the traced function's own code holds only the check.
#[inline(never)]
fn start_active(tracer: &'static Tracer, meta: &'static Meta) -> Span {
    meta.builder(tracer).start()
}

#[inline(never)]
fn start_detached(tracer: &'static Tracer, meta: &'static Meta) -> Span {
    meta.builder(tracer).start_detached()
}

/// The span of a synchronous traced call; finishes when dropped, and marks the span as failed
/// if it is dropped by a panic unwinding through the function.
#[must_use]
pub struct SyncSpan {
    span: Option<Span>,
}

impl SyncSpan {
    /// The span, if tracing is enabled.
    #[inline]
    pub fn span(&self) -> Option<&SpanRef> {
        self.span.as_deref()
    }
}

impl Drop for SyncSpan {
    #[inline]
    fn drop(&mut self) {
        // Taking the span leaves nothing for the field's own drop glue, so with tracing off
        // the whole drop is this one branch.
        if let Some(span) = self.span.take() {
            finish(span);
        }
    }
}

#[inline(never)]
fn finish(span: Span) {
    mark_if_panicking(&span);
}

/// Records a panic on `span` if the thread is unwinding.
fn mark_if_panicking(span: &SpanRef) {
    if std::thread::panicking() {
        mark_panic(span);
    }
}

#[cold]
fn mark_panic(span: &SpanRef) {
    // The payload is out of reach here (only `catch_unwind` has it), but the stack is not: drop
    // glue runs while the panicking frames are still on it.
    let backtrace = std::backtrace::Backtrace::capture();
    let stack = (backtrace.status() == std::backtrace::BacktraceStatus::Captured)
        .then(|| backtrace.to_string());
    span.set_error_info(
        Str::from_static("panic"),
        Str::from_static("the function panicked"),
        stack,
    );
}

/// Marks `span` as failed if dropped during a panic; lives for one poll or one call.
struct PanicGuard<'a>(Option<&'a SpanRef>);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if let Some(span) = self.0 {
            mark_if_panicking(span);
        }
    }
}

/// Runs the synchronous part of a function that returns a future with `span` active.
#[inline]
pub fn run_in<T>(span: &Option<Span>, f: impl FnOnce() -> T) -> T {
    match span {
        None => f(),
        Some(span) => {
            let _guard = PanicGuard(Some(span));
            span.in_scope(f)
        }
    }
}

/// Runs the body of a function whose return value `err` inspects. Taking an `FnOnce` makes the
/// body's closure own the arguments, so it can return borrows of them (`&mut self.field`).
#[inline(always)]
pub fn call_once<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Pins a future's output type to the function's declared one, so that the error recorder's
/// closure is checked against a known type.
#[inline(always)]
pub fn expect_output<T, F: Future<Output = T>>(future: F) -> F {
    future
}

/// A recorder that looks at nothing: for functions without `err`.
#[inline(always)]
pub fn ignore_output<T: ?Sized>(_span: &SpanRef, _output: &T) {}

pin_project! {
    /// The future of a traced asynchronous call.
    ///
    /// When tracing is on, the inner future runs with the span active on each poll (through
    /// [`Instrumented`], so the span never leaks into other tasks), a panic in a poll marks the
    /// span, and when the future completes the recorder sees the output before the span
    /// finishes. When tracing is off, polls go straight to the inner future.
    ///
    /// The traced state is boxed: starting a span allocates anyway, and keeping that state out
    /// of line keeps the future barely larger than the untraced one when tracing is off
    /// (futures are moved around: into a task, a `join!`, a `Box`).
    #[project = TracedProj]
    #[must_use = "futures do nothing unless polled"]
    pub enum Traced<F, R> {
        /// Tracing is on.
        On {
            inner: Pin<Box<On<F, R>>>,
        },
        /// Tracing is off.
        Off {
            #[pin]
            inner: F,
        },
    }
}

pin_project! {
    /// The state of a [`Traced`] future when tracing is on.
    pub struct On<F, R> {
        #[pin]
        inner: Instrumented<F>,
        span: Option<Span>,
        record: Option<R>,
    }
}

impl<F, R> Traced<F, R>
where
    F: Future,
    R: FnOnce(&SpanRef, &F::Output),
{
    /// Attaches `span` (if any) to `future`; `record` sees the output before the span finishes.
    #[inline]
    pub fn new(future: F, span: Option<Span>, record: R) -> Self {
        match span {
            None => Traced::Off { inner: future },
            Some(span) => Traced::On {
                inner: Box::pin(On::new(future, span, record)),
            },
        }
    }
}

impl<F: Future, R> On<F, R> {
    fn new(future: F, span: Span, record: R) -> Self {
        // The future gets a stack holding the span; the span itself stays here, so that it
        // finishes after the recorder has looked at the output.
        let inner = span.in_scope(|| future.in_current_span());
        On {
            inner,
            span: Some(span),
            record: Some(record),
        }
    }
}

impl<F, R> Future for Traced<F, R>
where
    F: Future,
    R: FnOnce(&SpanRef, &F::Output),
{
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            TracedProj::Off { inner } => inner.poll(cx),
            TracedProj::On { inner } => inner.as_mut().poll(cx),
        }
    }
}

impl<F, R> Future for On<F, R>
where
    F: Future,
    R: FnOnce(&SpanRef, &F::Output),
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let guard = PanicGuard(this.span.as_deref());
        let poll = this.inner.poll(cx);
        drop(guard);
        if let Poll::Ready(output) = &poll
            && let Some(span) = this.span.take()
        {
            if let Some(record) = this.record.take() {
                record(&span, output);
            }
            drop(span);
        }
        poll
    }
}

/// Records an error through its `Display` (`err(Display)`).
pub fn record_display<E: Display + ?Sized>(span: &SpanRef, error: &E) {
    if span.is_recording() {
        span.set_error_info(
            Str::from_static(std::any::type_name::<E>()),
            Str::from(error.to_string()),
            None,
        );
    }
}

/// Records an error through its `Debug` (`err(Debug)`).
pub fn record_debug<E: Debug + ?Sized>(span: &SpanRef, error: &E) {
    if span.is_recording() {
        span.set_error_info(
            Str::from_static(std::any::type_name::<E>()),
            Str::from(format!("{error:?}")),
            None,
        );
    }
}

/// Wraps the error of a plain `err`, which picks the richest recording the error's type allows
/// through method resolution: `(&&ErrorProbe(e)).record_error(span)` finds [`RecordStdError`]
/// first (message, type and chain of sources) and falls back on [`RecordDisplayError`].
pub struct ErrorProbe<'a, E: ?Sized>(pub &'a E);

/// The preferred way to record a plain `err`: the error implements `std::error::Error`.
pub trait RecordStdError {
    /// Records the error on `span`.
    fn record_error(&self, span: &SpanRef);
}

impl<E: std::error::Error + ?Sized> RecordStdError for &ErrorProbe<'_, E> {
    fn record_error(&self, span: &SpanRef) {
        span.set_error(self.0);
    }
}

/// The fallback way to record a plain `err`: the error only implements `Display`.
pub trait RecordDisplayError {
    /// Records the error on `span`.
    fn record_error(&self, span: &SpanRef);
}

impl<E: Display + ?Sized> RecordDisplayError for ErrorProbe<'_, E> {
    fn record_error(&self, span: &SpanRef) {
        record_display(span, self.0);
    }
}

/// Wraps a reference to a value named in `tags(...)`: `TagProbe(&value).tag_value()` copies a
/// borrowed `&str` of any lifetime, and otherwise clones the value and converts it with
/// [`IntoTagValue`]. The value is only borrowed, so naming an argument does not move it.
pub struct TagProbe<T>(pub T);

impl TagProbe<&&str> {
    /// A borrowed string, copied.
    pub fn tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(Str::from(self.0.to_string())))
    }
}

/// Converts a tag value that is not a borrowed string.
pub trait ToTagValue {
    /// The value to store.
    fn tag_value(self) -> Option<TagValue>;
}

impl<T: IntoTagValue + Clone> ToTagValue for TagProbe<&T> {
    fn tag_value(self) -> Option<TagValue> {
        self.0.clone().into_tag_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::export::InMemoryExporter;

    fn tracer_with(exporter: &InMemoryExporter) -> Tracer {
        Tracer::builder()
            .config(Config::builder_without_env().service("svc").build())
            .exporter(exporter.clone())
            .build()
    }

    #[test]
    fn tag_probe_borrows_strings_and_clones_values() {
        let owned = String::from("abc");
        let borrowed: &str = &owned;
        assert_eq!(
            TagProbe(&borrowed).tag_value(),
            Some(TagValue::Str("abc".into()))
        );
        assert_eq!(
            TagProbe(&owned).tag_value(),
            Some(TagValue::Str("abc".into()))
        );
        assert_eq!(TagProbe(&7u8).tag_value(), Some(TagValue::Number(7.0)));
        assert_eq!(TagProbe(&None::<u8>).tag_value(), None);
    }

    #[derive(Debug)]
    struct Inner;
    impl Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("inner")
        }
    }
    impl std::error::Error for Inner {}

    #[derive(Debug)]
    struct Outer(Inner);
    impl Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    // The two borrows are how the expansion picks the trait, not noise.
    #[allow(clippy::needless_borrow)]
    fn error_probe_prefers_std_error_and_falls_back_on_display() {
        let exporter = InMemoryExporter::new();
        let tracer = tracer_with(&exporter);
        {
            let a = tracer.trace("a").start_detached();
            (&&ErrorProbe(&Outer(Inner))).record_error(&a);
            let b = tracer.trace("b").start_detached();
            (&&ErrorProbe(&"plain")).record_error(&b);
        }
        let spans = exporter.spans();
        let a = spans.iter().find(|s| s.name == "a").unwrap();
        assert_eq!(a.error, 1);
        assert_eq!(a.meta("error.message"), Some("outer"));
        assert!(a.meta("error.stack").unwrap().contains("inner"));
        let b = spans.iter().find(|s| s.name == "b").unwrap();
        assert_eq!(b.meta("error.message"), Some("plain"));
        assert_eq!(b.meta("error.type"), Some("&str"));
    }

    #[test]
    fn traced_future_records_output_before_finishing() {
        let exporter = InMemoryExporter::new();
        let tracer = tracer_with(&exporter);
        let span = tracer.trace("fut").start_detached();
        let fut = Traced::new(async { Err::<(), _>("boom") }, Some(span), |s, out| {
            if let Err(e) = out {
                record_debug(s, e)
            }
        });
        let mut fut = std::pin::pin!(fut);
        let waker = std::task::Waker::noop();
        let poll = fut.as_mut().poll(&mut Context::from_waker(waker));
        assert_eq!(poll, Poll::Ready(Err("boom")));
        let spans = exporter.spans();
        assert_eq!(spans[0].meta("error.message"), Some("\"boom\""));
    }
}
