//! [`Span`], [`SpanRef`] and [`SpanBuilder`]: starting, tagging and finishing spans.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;

use crate::active::{self, Entry};
use crate::clock::{self, Anchor, Instant};
use crate::context::SpanContext;
use crate::id::{SpanId, TraceId, new_span_id, new_trace_id};
use crate::sampling::SamplingPriority;
use crate::span_data::{SpanData, SpanEvent, SpanLink};
use crate::special_tag::SpecialTag;
use crate::str::Str;
use crate::tag::{IntoTagValue, TagValue};
use crate::trace::{self, Inherited, LocalParent, TraceInner, TraceState};
use crate::tracer::{Tracer, TracerShared};

/// Where a started span lives: its trace's record and its slot there. Cloning one clones the
/// `Arc` of the trace, not the span.
pub(crate) struct SpanHandle {
    pub(crate) trace: Arc<TraceState>,
    pub(crate) slot: u32,
    /// Set in a [`Span`]'s handle whose span [`SpanBuilder::start`] activated with an entry
    /// that borrows the open spans' share of the trace (see [`active`]); never in a clone.
    borrowed_entry: bool,
    pub(crate) span_id: SpanId,
}

impl Clone for SpanHandle {
    fn clone(&self) -> Self {
        SpanHandle::new(self.trace.clone(), self.slot, self.span_id)
    }
}

impl SpanHandle {
    pub(crate) fn new(trace: Arc<TraceState>, slot: u32, span_id: SpanId) -> Self {
        SpanHandle {
            trace,
            slot,
            borrowed_entry: false,
            span_id,
        }
    }

    pub(crate) fn into_parts(self) -> (Arc<TraceState>, u32, SpanId) {
        (self.trace, self.slot, self.span_id)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.trace
            .lock()
            .open_span(self.slot, self.span_id)
            .is_none()
    }

    /// Changes the span's data while it is open; does nothing once it has finished.
    fn update(&self, f: impl FnOnce(&mut SpanData)) {
        if let Some(data) = self.trace.lock().open_span_mut(self.slot, self.span_id) {
            f(data);
        }
    }

    /// Reads the span's data while the trace still holds it (open, or finished and not sent).
    fn read<R>(&self, f: impl FnOnce(&SpanData) -> R) -> Option<R> {
        self.trace
            .lock()
            .buffered_span(self.slot, self.span_id)
            .map(f)
    }

    /// Finishes the span of a [`Span`]'s handle, whose `Arc` is a copy of the share the
    /// trace's open spans hold between them (see [`trace`](crate::trace)): it is released
    /// only if this was the trace's last open span, and never dropped otherwise.
    fn finish(self, end: Instant) {
        let entry_elsewhere = if self.borrowed_entry {
            !active::remove_borrowed(&self)
        } else {
            active::remove(&self);
            false
        };
        // Wrapped before anything that can unwind (the sampler runs below): a panic leaks
        // the share rather than releasing one that is not this handle's own.
        let trace = ManuallyDrop::new(self.trace);
        if trace.finish_span(self.slot, self.span_id, end, entry_elsewhere) {
            drop(ManuallyDrop::into_inner(trace));
        }
    }

    /// Takes this span off the calling thread's stack without finishing it.
    fn deactivate(&mut self) {
        if self.borrowed_entry {
            if active::remove_borrowed(self) {
                self.borrowed_entry = false;
            }
        } else {
            active::remove(self);
        }
    }
}

/// A handle to a span that does not finish it when dropped: the active span, or a copy of a
/// [`Span`] handed to code that should tag it but not end it.
///
/// A `SpanRef` of a disabled tracer (or of no span at all) accepts every call and does nothing.
#[derive(Clone, Default)]
pub struct SpanRef {
    pub(crate) inner: Option<SpanHandle>,
}

impl std::fmt::Debug for SpanRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            None => f.write_str("SpanRef(none)"),
            Some(i) => write!(f, "SpanRef({:?}, {:?})", i.trace.trace_id, i.span_id),
        }
    }
}

impl SpanRef {
    /// A handle that refers to no span.
    pub const fn none() -> Self {
        SpanRef { inner: None }
    }

    /// Whether this handle refers to no span at all: tracing is disabled, or there was no
    /// active span when it was taken. Unlike [`is_recording`](Self::is_recording), it does not
    /// look at whether the span has finished since, so it costs no lock.
    pub fn is_none(&self) -> bool {
        self.inner.is_none()
    }

    /// Whether this handle refers to a span that records data (false when tracing is disabled).
    pub fn is_recording(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| !i.is_finished())
    }

    /// The span's trace id (0 when not recording).
    pub fn trace_id(&self) -> TraceId {
        self.inner.as_ref().map_or(TraceId(0), |i| i.trace.trace_id)
    }

    /// The span's id (0 when not recording).
    pub fn span_id(&self) -> SpanId {
        self.inner.as_ref().map_or(SpanId::NONE, |i| i.span_id)
    }

    fn update(&self, f: impl FnOnce(&mut SpanData)) {
        if let Some(inner) = &self.inner {
            inner.update(f);
        }
    }

    /// Sets a tag. Strings go to `meta`, numbers to `metrics`, as in the Python tracer; a few
    /// keys are special:
    ///
    /// - `manual.keep` / `manual.drop` keep or drop the whole trace (the value is ignored);
    /// - `service` and `resource` set the span's own fields;
    /// - `http.status_code` is always stored as a string;
    /// - `network.destination.port` given as a numeric string is stored as a number;
    /// - `_dd.measured` is stored as 1 or 0.
    pub fn set_tag(&self, key: impl Into<Str>, value: impl IntoTagValue) {
        let Some(inner) = &self.inner else { return };
        let key = key.into();
        if let Some(special) = SpecialTag::of(&key) {
            return self.set_special_tag(inner, special, key, value);
        }
        match value.into_tag_value() {
            Some(TagValue::Str(v)) => inner.update(|d| d.set_meta(key, v)),
            Some(TagValue::Number(n)) => inner.update(|d| d.set_metric(key, n)),
            None => {}
        }
    }

    #[cold]
    fn set_special_tag(
        &self,
        inner: &SpanHandle,
        special: SpecialTag,
        key: Str,
        value: impl IntoTagValue,
    ) {
        if let Some(priority) = special.manual_priority() {
            return inner.trace.set_manual_priority(priority);
        }
        let Some(value) = value.into_tag_value() else {
            return;
        };
        // Converted before the lock is taken.
        let value = special.convert(value);
        inner.update(|d| special.store(d, key, value));
    }

    /// Sets a numeric tag (`metrics`); NaN and infinities are ignored.
    pub fn set_metric(&self, key: impl Into<Str>, value: f64) {
        if value.is_finite() {
            let key = key.into();
            self.update(|d| d.set_metric(key, value));
        }
    }

    /// The string tag `key`, if set.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.inner
            .as_ref()?
            .read(|d| d.meta(key).map(str::to_owned))
            .flatten()
    }

    /// Replaces the span's resource.
    pub fn set_resource(&self, resource: impl Into<Str>) {
        let resource = resource.into();
        self.update(|d| d.resource = resource);
    }

    /// Replaces the span's service.
    pub fn set_service(&self, service: impl Into<Str>) {
        let service = service.into();
        self.update(|d| d.service = service);
    }

    /// Replaces the span's operation name.
    pub fn set_name(&self, name: impl Into<Str>) {
        let name = name.into();
        self.update(|d| d.name = name);
    }

    /// Sets the span's type (`web`, `http`, `sql`, ...).
    pub fn set_span_type(&self, span_type: impl Into<Str>) {
        let span_type = span_type.into();
        self.update(|d| d.span_type = span_type);
    }

    /// The span's service.
    pub fn service(&self) -> Option<Str> {
        self.inner.as_ref()?.read(|d| d.service.clone())
    }

    /// Marks the span as failed or not, without tags.
    pub fn set_error_flag(&self, error: bool) {
        self.update(|d| d.error = i32::from(error));
    }

    /// Marks the span as failed and records `error`: `error.message` (its `Display`),
    /// `error.type` (the Rust type name) and `error.stack` (the chain of its sources).
    ///
    /// No backtrace is captured: the place where an error is recorded is not where it arose,
    /// and capturing one costs microseconds to milliseconds per error (with `RUST_BACKTRACE`
    /// set). An error that carries its own backtrace (anyhow's, for instance) can pass it with
    /// [`set_error_info`](Self::set_error_info).
    pub fn set_error<E: std::error::Error + ?Sized>(&self, error: &E) {
        self.set_error_with_type(error, std::any::type_name::<E>());
    }

    /// As [`set_error`](Self::set_error), with an explicit `error.type`.
    pub fn set_error_with_type<E: std::error::Error + ?Sized>(&self, error: &E, type_name: &str) {
        if !self.is_recording() {
            return;
        }
        let message = error.to_string();
        let mut stack = String::new();
        let mut source = error.source();
        while let Some(cause) = source {
            if stack.is_empty() {
                stack.push_str("Caused by:\n");
            }
            stack.push_str("    ");
            stack.push_str(&cause.to_string());
            stack.push('\n');
            source = cause.source();
        }
        self.set_error_info(
            type_name.to_owned(),
            message,
            (!stack.is_empty()).then_some(stack),
        );
    }

    /// Marks the span as failed with the given `error.type`, `error.message` and optional
    /// `error.stack`.
    pub fn set_error_info(
        &self,
        error_type: impl Into<Str>,
        message: impl Into<Str>,
        stack: Option<String>,
    ) {
        let (error_type, message) = (error_type.into(), message.into());
        self.update(|d| {
            d.error = 1;
            d.set_meta(Str::from_static("error.type"), error_type);
            d.set_meta(Str::from_static("error.message"), message);
            if let Some(stack) = stack {
                d.set_meta(Str::from_static("error.stack"), Str::from(stack));
            }
        });
    }

    /// Adds a link to another span.
    pub fn add_link(&self, link: SpanLink) {
        self.update(|d| d.links.push(link));
    }

    /// Adds a timestamped event with string attributes.
    pub fn add_event(&self, name: impl Into<Str>, attributes: Vec<(Str, Str)>) {
        let time = crate::clock::unix_now_ns().max(0) as u64;
        let name = name.into();
        self.update(|d| {
            d.events.push(SpanEvent {
                name,
                time_unix_nano: time,
                attributes,
            })
        });
    }

    /// Keeps the whole trace, whatever the sampler would decide (`manual.keep`).
    pub fn keep_trace(&self) {
        if let Some(i) = &self.inner {
            i.trace.set_manual_priority(SamplingPriority::USER_KEEP);
        }
    }

    /// Drops the whole trace (`manual.drop`).
    pub fn drop_trace(&self) {
        if let Some(i) = &self.inner {
            i.trace.set_manual_priority(SamplingPriority::USER_REJECT);
        }
    }

    /// The trace's sampling priority, deciding it now if nobody has. Propagators call this
    /// before injecting, so downstream services receive the final decision.
    pub fn sampling_priority(&self) -> Option<SamplingPriority> {
        let inner = self.inner.as_ref()?;
        Some(inner.trace.ensure_sampled())
    }

    /// The trace's sampling priority if it has been decided, without deciding it.
    pub fn decided_priority(&self) -> Option<SamplingPriority> {
        self.inner.as_ref()?.trace.lock().priority()
    }

    /// This span's context as it should be sent downstream: ids, the sampling decision (taken
    /// now if not yet taken), origin, propagated tags and baggage.
    pub fn context(&self) -> SpanContext {
        let Some(inner) = &self.inner else {
            return SpanContext::default();
        };
        let priority = inner.trace.ensure_sampled();
        let g = inner.trace.lock();
        SpanContext {
            trace_id: inner.trace.trace_id,
            span_id: inner.span_id,
            sampling_priority: Some(priority),
            origin: g.origin().map(|o| o.to_string()),
            trace_tags: g
                .trace_tags()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            baggage: g.baggage().to_vec(),
            ..Default::default()
        }
    }

    /// A string tag of this trace's local root span while it is open: trace-level tags that
    /// only the root carries (`tracestate`, `_dd.propagation_error`), read when injecting.
    pub fn local_root_meta(&self, key: &str) -> Option<String> {
        let g = self.inner.as_ref()?.trace.lock();
        let (slot, id) = g.root_slot()?;
        g.buffered_span(slot, id)?.meta(key).map(str::to_owned)
    }

    /// Sets a string tag on this trace's local root span, if it is still open.
    pub fn set_local_root_meta(&self, key: impl Into<Str>, value: impl Into<Str>) {
        let Some(inner) = &self.inner else { return };
        let (key, value) = (key.into(), value.into());
        let mut g = inner.trace.lock();
        if let Some((slot, id)) = g.root_slot()
            && let Some(root) = g.open_span_mut(slot, id)
        {
            root.set_meta(key, value);
        }
    }

    /// Sets a propagated trace tag (`_dd.p.*`), sent downstream and on the trace's chunks.
    pub fn set_trace_tag(&self, key: impl Into<Str>, value: impl Into<Str>) {
        if let Some(i) = &self.inner {
            let (key, value) = (key.into(), value.into());
            i.trace.lock().set_trace_tag(key, value);
        }
    }

    /// Sets a W3C baggage item, carried downstream with the trace.
    pub fn set_baggage_item(&self, key: impl Into<String>, value: impl Into<String>) {
        if let Some(i) = &self.inner {
            let (key, value) = (key.into(), value.into());
            i.trace.lock().set_baggage_item(key, value);
        }
    }

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

/// A span: created by [`Tracer::trace`], finished when dropped or by [`Span::finish`].
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
#[derive(Debug, Default)]
#[must_use = "a span finishes as soon as it is dropped"]
pub struct Span {
    /// Never dropped as is: its `Arc` is not a share of its own but a copy of the one the
    /// trace's open spans hold together, which [`Drop`] releases if this is the last of them.
    handle: ManuallyDrop<SpanRef>,
}

impl Span {
    /// A span that records nothing.
    pub const fn noop() -> Self {
        Span {
            handle: ManuallyDrop::new(SpanRef::none()),
        }
    }

    /// The span in `slot` of `trace`, which has just been counted open there.
    fn started(
        trace: ManuallyDrop<Arc<TraceState>>,
        slot: u32,
        span_id: SpanId,
        borrowed_entry: bool,
    ) -> Self {
        Span {
            handle: ManuallyDrop::new(SpanRef {
                inner: Some(SpanHandle {
                    trace: ManuallyDrop::into_inner(trace),
                    slot,
                    borrowed_entry,
                    span_id,
                }),
            }),
        }
    }

    /// An active-stack entry that borrows this span's share of its trace, if it was started
    /// to be activated that way.
    pub(crate) fn borrowed_entry(&self) -> Option<Entry> {
        self.handle
            .inner
            .as_ref()
            .filter(|h| h.borrowed_entry)
            .map(Entry::borrowed)
    }

    /// Finishes the span now. Finishing twice does nothing.
    pub fn finish(self) {
        drop(self)
    }

    /// Finishes the span as of `end` (which must not be before its start to count).
    pub fn finish_at(mut self, end: std::time::Instant) {
        if let Some(inner) = self.handle.inner.take() {
            inner.finish(clock::from_std(end));
        }
    }

    /// A handle that can tag this span but does not finish it.
    pub fn handle(&self) -> SpanRef {
        SpanRef::clone(&self.handle)
    }

    /// Removes the span from the calling thread's active stack without finishing it (for
    /// handing it to a future or another thread).
    pub(crate) fn deactivate(&mut self) {
        if let Some(inner) = &mut self.handle.inner {
            inner.deactivate();
        }
    }
}

impl Deref for Span {
    type Target = SpanRef;
    fn deref(&self) -> &SpanRef {
        &self.handle
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(inner) = self.handle.inner.take() {
            inner.finish(clock::now());
        }
    }
}

enum Parent {
    Active,
    Root,
    Local(SpanRef),
    /// Boxed: a context is large, and a builder is moved by value at every call.
    Remote(Box<SpanContext>),
}

/// The fields a span starts with.
struct Fields {
    name: Str,
    service: Option<Str>,
    resource: Option<Str>,
    span_type: Option<Str>,
}

impl Fields {
    /// Whether `fill` took everything: what is left owns nothing.
    fn is_taken(&self) -> bool {
        self.name.is_static()
            && self.service.is_none()
            && self.resource.is_none()
            && self.span_type.is_none()
    }
}

/// Describes a span before it starts; made by [`Tracer::trace`].
#[must_use = "call .start() to start the span"]
pub struct SpanBuilder<'t> {
    tracer: &'t Tracer,
    fields: Fields,
    parent: Parent,
}

impl<'t> SpanBuilder<'t> {
    pub(crate) fn new(tracer: &'t Tracer, name: Str) -> Self {
        SpanBuilder {
            tracer,
            fields: Fields {
                name,
                service: None,
                resource: None,
                span_type: None,
            },
            parent: Parent::Active,
        }
    }

    /// The span's service (default: the parent's, or `DD_SERVICE` for a root).
    pub fn service(mut self, service: impl Into<Str>) -> Self {
        self.fields.service = Some(service.into());
        self
    }

    /// The span's resource (default: its name).
    pub fn resource(mut self, resource: impl Into<Str>) -> Self {
        self.fields.resource = Some(resource.into());
        self
    }

    /// The span's type (`web`, `http`, `sql`, `redis`, `custom`, ...).
    pub fn span_type(mut self, span_type: impl Into<Str>) -> Self {
        self.fields.span_type = Some(span_type.into());
        self
    }

    /// Continues a trace from another process (a context extracted from headers).
    pub fn child_of(mut self, context: SpanContext) -> Self {
        self.parent = Parent::Remote(Box::new(context));
        self
    }

    /// Continues a remote trace if `context` is `Some`, else uses the active span.
    pub fn child_of_opt(self, context: Option<SpanContext>) -> Self {
        match context {
            Some(c) => self.child_of(c),
            None => self,
        }
    }

    /// Makes the span a child of `parent` instead of the active span.
    pub fn child_of_span(mut self, parent: &SpanRef) -> Self {
        self.parent = Parent::Local(parent.clone());
        self
    }

    /// Starts a new trace, ignoring the active span.
    pub fn root(mut self) -> Self {
        self.parent = Parent::Root;
        self
    }

    /// Starts the span and makes it the calling thread's active span until it finishes, so
    /// spans started meanwhile on this thread are its children.
    ///
    /// In async code, prefer [`start_detached`](Self::start_detached) with
    /// [`Instrument::instrument`](crate::Instrument::instrument), which keeps the span active
    /// for one future only.
    #[inline]
    pub fn start(mut self) -> Span {
        // The disabled case returns before the builder is handed anywhere, so that it costs a
        // branch and not a copy of the builder into an out-of-line call.
        if !self.tracer.shared.config.enabled {
            return Span::noop();
        }
        let span = self.start_enabled();
        self.forget_taken();
        span
    }

    /// Lent rather than moved, as everything after: a copy of the builder (made by the caller
    /// with narrow stores, read back with wide loads) stalled the start of every span.
    fn start_enabled(&mut self) -> Span {
        if matches!(self.parent, Parent::Active) {
            return start_under_active(&self.tracer.shared, &mut self.fields, true);
        }
        let span = self.start_detached_enabled();
        if let Some(inner) = &span.handle.inner {
            active::push(inner.clone());
        }
        span
    }

    /// Starts the span without making it active.
    #[inline]
    pub fn start_detached(mut self) -> Span {
        if !self.tracer.shared.config.enabled {
            return Span::noop();
        }
        let span = self.start_detached_enabled();
        self.forget_taken();
        span
    }

    fn start_detached_enabled(&mut self) -> Span {
        let shared = &self.tracer.shared;
        let now = clock::now();
        // Lent, not moved: a builder's fields are read once, where the span is filled in.
        let fields = &mut self.fields;
        match std::mem::replace(&mut self.parent, Parent::Active) {
            Parent::Active => start_under_active(shared, fields, false),
            Parent::Local(SpanRef {
                inner: Some(parent),
            }) => {
                let mut g = parent.trace.lock();
                let at = Position {
                    slot: parent.slot,
                    id: parent.span_id,
                };
                start_child(shared, &parent.trace, at, &mut g, fields, now, false)
            }
            Parent::Local(SpanRef { inner: None }) | Parent::Root => {
                start_new_trace(shared, fields, now, false)
            }
            Parent::Remote(ctx) => start_remote_child(shared, fields, *ctx, now),
        }
    }

    /// Forgets a builder whose span has started: filling the span took every field and the
    /// parent was taken, so nothing is left to drop, and the drop glue would still check it all.
    #[inline]
    fn forget_taken(self) {
        debug_assert!(self.fields.is_taken() && matches!(self.parent, Parent::Active));
        std::mem::forget(self);
    }
}

/// Starts a child of the active span, or a new trace when there is none, and makes it the
/// active span if `activate`. The active span's trace is locked once: to check that the span
/// is still open, read what the child inherits and put the child in the buffer; and the
/// thread's stack is visited once.
fn start_under_active(shared: &Arc<TracerShared>, fields: &mut Fields, activate: bool) -> Span {
    let now = clock::now();
    active::start_under_current(activate, |current, activate| match current {
        Some((parent, g)) => {
            let at = Position {
                slot: parent.slot(),
                id: parent.span_id(),
            };
            let trace = parent.trace_copy();
            start_child(shared, &trace, at, g, fields, now, activate)
        }
        None => start_new_trace(shared, fields, now, activate),
    })
}

/// Where a span is in its trace's record.
#[derive(Clone, Copy)]
struct Position {
    slot: u32,
    id: SpanId,
}

/// Starts a child of the span at `parent` in `trace`, whose record `g` is (locked). With
/// `borrowed_entry`, the caller activates it with an [`Entry::borrowed`].
#[inline]
#[allow(clippy::too_many_arguments)]
fn start_child(
    shared: &Arc<TracerShared>,
    trace: &Arc<TraceState>,
    parent: Position,
    g: &mut TraceInner,
    fields: &mut Fields,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let Position {
        slot: parent_slot,
        id: parent_id,
    } = parent;
    // A parent that has already been sent is no longer in the buffer: its service is not
    // known, and the child takes the tracer's.
    let (inherited_service, local_parent) = match g.buffered_span(parent_slot, parent_id) {
        Some(p) => (
            fields.service.is_none().then(|| p.service.clone()),
            LocalParent::Slot(parent_slot),
        ),
        None => (None, LocalParent::Flushed(shared.config.service.clone())),
    };
    let explicit_service = fields.service.is_some();
    let service = match fields.service.take() {
        Some(service) => service,
        None => inherited_service.unwrap_or_else(|| shared.config.service.clone()),
    };
    let span_id = new_span_id();
    let share = trace::open_spans_share(trace, g);
    let (slot, data) = g.insert(now, Some(local_parent), borrowed_entry);
    fill(
        data,
        shared,
        trace.trace_id,
        span_id,
        parent_id,
        fields,
        service,
        explicit_service,
    );
    data.start = trace.anchor.epoch_ns(now);
    Span::started(share, slot, span_id, borrowed_entry)
}

fn start_new_trace(
    shared: &Arc<TracerShared>,
    fields: &mut Fields,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let anchor = Anchor::at(now);
    let trace_id = new_trace_id(
        (anchor.wall_ns() / 1_000_000_000) as u64,
        shared.config.trace_id_128_bit,
    );
    start_local_root(
        shared,
        trace_id,
        anchor,
        Inherited::default(),
        SpanId::NONE,
        fields,
        Vec::new(),
        Vec::new(),
        now,
        borrowed_entry,
    )
}

/// Fills an empty span's fields and the tags every span starts with. `service` is the one
/// named in the builder (`explicit_service`, marked as set by hand with `_dd.svc_src`), or
/// else the parent's or the tracer's. Decided by the caller and passed as plain values: a
/// closure's captures, or an enum holding the text, were copied through the stack in a way
/// the CPU could not forward (perf annotate showed a quarter of a span's start waiting).
#[inline]
#[allow(clippy::too_many_arguments)]
fn fill(
    data: &mut SpanData,
    shared: &TracerShared,
    trace_id: TraceId,
    span_id: SpanId,
    parent_id: SpanId,
    fields: &mut Fields,
    service: Str,
    explicit_service: bool,
) {
    data.trace_id = trace_id;
    data.span_id = span_id;
    data.parent_id = parent_id;
    let name = std::mem::take(&mut fields.name);
    data.resource = fields.resource.take().unwrap_or_else(|| name.clone());
    data.name = name;
    data.service = service;
    if let Some(t) = fields.span_type.take() {
        data.span_type = t;
    }
    for (k, v) in &shared.span_tags {
        data.append_meta(k.clone(), v.clone());
    }
    if explicit_service {
        data.append_meta(Str::from_static("_dd.svc_src"), Str::from_static("m"));
    }
}

fn start_remote_child(
    shared: &Arc<TracerShared>,
    fields: &mut Fields,
    ctx: SpanContext,
    now: Instant,
) -> Span {
    let anchor = Anchor::at(now);
    let trace_id = if ctx.trace_id.is_zero() {
        new_trace_id(
            (anchor.wall_ns() / 1_000_000_000) as u64,
            shared.config.trace_id_128_bit,
        )
    } else {
        ctx.trace_id
    };
    let inherited = Inherited {
        priority: ctx.sampling_priority,
        origin: ctx.origin,
        tags: ctx.trace_tags,
        baggage: ctx.baggage,
    };
    start_local_root(
        shared,
        trace_id,
        anchor,
        inherited,
        ctx.span_id,
        fields,
        ctx.root_tags,
        ctx.links,
        now,
        false,
    )
}

#[allow(clippy::too_many_arguments)]
fn start_local_root(
    shared: &Arc<TracerShared>,
    trace_id: TraceId,
    anchor: Anchor,
    inherited: Inherited,
    parent_id: SpanId,
    fields: &mut Fields,
    root_tags: Vec<(String, String)>,
    links: Vec<SpanLink>,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let start = anchor.epoch_ns(now);
    let (trace, span_id) = TraceState::with_root(
        shared.clone(),
        trace_id,
        anchor,
        inherited,
        now,
        borrowed_entry,
        |data| {
            let explicit_service = fields.service.is_some();
            let service = match fields.service.take() {
                Some(service) => service,
                None => shared.config.service.clone(),
            };
            fill(
                data,
                shared,
                trace_id,
                new_span_id(),
                parent_id,
                fields,
                service,
                explicit_service,
            );
            data.append_meta(Str::from_static("runtime-id"), shared.runtime_id.clone());
            data.append_metric(Str::from_static("process_id"), shared.pid);
            if shared.config.report_hostname {
                data.append_meta(
                    Str::from_static("_dd.hostname"),
                    Str::shared(crate::process::hostname()),
                );
            }
            for (k, v) in root_tags {
                data.set_meta(Str::from(k), Str::from(v));
            }
            data.links = links;
            data.start = start;
        },
    );
    // The new record's one share is its open spans': the root's.
    Span::started(ManuallyDrop::new(trace), 0, span_id, borrowed_entry)
}
