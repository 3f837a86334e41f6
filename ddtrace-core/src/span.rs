//! [`Span`], [`SpanRef`] and [`SpanBuilder`]: starting, tagging and finishing spans.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::active;
use crate::clock::{self, Anchor, Instant};
use crate::context::SpanContext;
use crate::id::{SpanId, TraceId, new_span_id, new_trace_id};
use crate::sampling::SamplingPriority;
use crate::span_data::{SpanData, SpanEvent, SpanLink};
use crate::str::Str;
use crate::tag::{IntoTagValue, TagValue};
use crate::trace::{Inherited, TraceState};
use crate::tracer::Tracer;

/// A started span, shared by its handles and by the active-span stacks that hold it.
pub(crate) struct SpanInner {
    pub(crate) trace: Arc<TraceState>,
    pub(crate) span_id: SpanId,
    /// The local parent's service when this span started; `None` for a local root.
    parent_service: Option<Str>,
    start: Instant,
    finished: AtomicBool,
    data: Mutex<SpanData>,
}

impl SpanInner {
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, SpanData> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn with_data<R>(&self, f: impl FnOnce(&SpanData) -> R) -> R {
        f(&self.lock())
    }

    pub(crate) fn take_data(&self) -> SpanData {
        std::mem::take(&mut *self.lock())
    }

    fn finish(self: Arc<Self>, end: Instant) {
        if self.finished.swap(true, Ordering::AcqRel) {
            return; // finishing twice is a no-op
        }
        active::remove(&self);
        {
            let mut data = self.lock();
            data.duration = clock::nanos(end.saturating_duration_since(self.start));
            let config = &self.trace.tracer.config;
            let top_level = match &self.parent_service {
                None => true,
                Some(parent) => *parent != data.service,
            };
            if top_level {
                data.set_metric(Str::Static("_dd.top_level"), 1.0);
            }
            if data.service == config.service {
                if let Some(version) = &config.version
                    && data.meta("version").is_none()
                {
                    data.meta.push((Str::Static("version"), version.clone()));
                }
            } else if !data.service.eq_ignore_ascii_case(&config.service) {
                data.meta
                    .push((Str::Static("_dd.base_service"), config.service.clone()));
            }
        }
        let trace = self.trace.clone();
        trace.finish_span(self);
    }
}

/// A handle to a span that does not finish it when dropped: the active span, or a copy of a
/// [`Span`] handed to code that should tag it but not end it.
///
/// A `SpanRef` of a disabled tracer (or of no span at all) accepts every call and does nothing.
#[derive(Clone, Default)]
pub struct SpanRef {
    pub(crate) inner: Option<Arc<SpanInner>>,
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
        if let Some(inner) = &self.inner
            && !inner.is_finished()
        {
            f(&mut inner.lock());
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
        match key.as_str() {
            "manual.keep" => return inner.trace.set_manual_priority(SamplingPriority::USER_KEEP),
            "manual.drop" => {
                return inner
                    .trace
                    .set_manual_priority(SamplingPriority::USER_REJECT);
            }
            _ => {}
        }
        let Some(value) = value.into_tag_value() else {
            return;
        };
        self.update(|d| match (key.as_str(), value) {
            ("service", TagValue::Str(v)) => {
                d.service = v.clone();
                d.set_meta(key, v);
            }
            ("resource", TagValue::Str(v)) => d.resource = v,
            ("http.status_code", TagValue::Number(n)) => {
                d.set_meta(key, Str::from(format_number(n)))
            }
            ("network.destination.port", TagValue::Str(v)) => match v.trim().parse::<i64>() {
                Ok(n) => d.set_metric(key, n as f64),
                Err(_) => d.set_meta(key, v),
            },
            ("_dd.measured", TagValue::Number(n)) => {
                d.set_metric(key, f64::from(u8::from(n != 0.0)))
            }
            ("_dd.measured", TagValue::Str(v)) => d.set_metric(
                key,
                f64::from(u8::from(!v.is_empty() && v.as_str() != "False")),
            ),
            (_, TagValue::Str(v)) => d.set_meta(key, v),
            (_, TagValue::Number(n)) => d.set_metric(key, n),
        });
    }

    /// Sets a numeric tag (`metrics`); NaN and infinities are ignored.
    pub fn set_metric(&self, key: impl Into<Str>, value: f64) {
        if value.is_finite() {
            self.update(|d| d.set_metric(key.into(), value));
        }
    }

    /// The string tag `key`, if set.
    pub fn meta(&self, key: &str) -> Option<String> {
        let inner = self.inner.as_ref()?;
        inner.lock().meta(key).map(str::to_owned)
    }

    /// Replaces the span's resource.
    pub fn set_resource(&self, resource: impl Into<Str>) {
        self.update(|d| d.resource = resource.into());
    }

    /// Replaces the span's service.
    pub fn set_service(&self, service: impl Into<Str>) {
        self.update(|d| d.service = service.into());
    }

    /// Replaces the span's operation name.
    pub fn set_name(&self, name: impl Into<Str>) {
        self.update(|d| d.name = name.into());
    }

    /// Sets the span's type (`web`, `http`, `sql`, ...).
    pub fn set_span_type(&self, span_type: impl Into<Str>) {
        self.update(|d| d.span_type = span_type.into());
    }

    /// The span's service.
    pub fn service(&self) -> Option<Str> {
        Some(self.inner.as_ref()?.lock().service.clone())
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
        self.update(|d| {
            d.error = 1;
            d.set_meta(Str::Static("error.type"), error_type.into());
            d.set_meta(Str::Static("error.message"), message.into());
            if let Some(stack) = stack {
                d.set_meta(Str::Static("error.stack"), Str::from(stack));
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
        self.update(|d| {
            d.events.push(SpanEvent {
                name: name.into(),
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
        Some(inner.trace.ensure_sampled(None))
    }

    /// The trace's sampling priority if it has been decided, without deciding it.
    pub fn decided_priority(&self) -> Option<SamplingPriority> {
        self.inner.as_ref()?.trace.priority()
    }

    /// This span's context as it should be sent downstream: ids, the sampling decision (taken
    /// now if not yet taken), origin, propagated tags and baggage.
    pub fn context(&self) -> SpanContext {
        let Some(inner) = &self.inner else {
            return SpanContext::default();
        };
        let priority = inner.trace.ensure_sampled(None);
        SpanContext {
            trace_id: inner.trace.trace_id,
            span_id: inner.span_id,
            sampling_priority: Some(priority),
            origin: inner.trace.origin().map(|o| o.to_string()),
            trace_tags: inner
                .trace
                .trace_tags()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            baggage: inner.trace.baggage(),
            ..Default::default()
        }
    }

    /// A string tag of this trace's local root span while it is open: trace-level tags that
    /// only the root carries (`tracestate`, `_dd.propagation_error`), read when injecting.
    pub fn local_root_meta(&self, key: &str) -> Option<String> {
        let root = self.inner.as_ref()?.trace.local_root()?;
        root.with_data(|d| d.meta(key).map(str::to_owned))
    }

    /// Sets a string tag on this trace's local root span, if it is still open.
    pub fn set_local_root_meta(&self, key: impl Into<Str>, value: impl Into<Str>) {
        if let Some(root) = self.inner.as_ref().and_then(|i| i.trace.local_root()) {
            SpanRef { inner: Some(root) }.update(|d| d.set_meta(key.into(), value.into()));
        }
    }

    /// Sets a propagated trace tag (`_dd.p.*`), sent downstream and on the trace's chunks.
    pub fn set_trace_tag(&self, key: impl Into<Str>, value: impl Into<Str>) {
        if let Some(i) = &self.inner {
            i.trace.set_trace_tag(key.into(), value.into());
        }
    }

    /// Sets a W3C baggage item, carried downstream with the trace.
    pub fn set_baggage_item(&self, key: impl Into<String>, value: impl Into<String>) {
        if let Some(i) = &self.inner {
            i.trace.set_baggage_item(key.into(), value.into());
        }
    }

    /// Runs `f` with this span as the current span of the calling thread.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(inner) = &self.inner else { return f() };
        active::push(inner.clone());
        struct Pop<'a>(&'a SpanInner);
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

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        // Integral status codes are the common case: format them without the fmt machinery.
        let mut v = n.abs() as u64;
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let mut out = String::with_capacity(21 - i);
        if n < 0.0 {
            out.push('-');
        }
        out.extend(digits[i..].iter().map(|&d| char::from(d)));
        out
    } else {
        n.to_string()
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
    handle: SpanRef,
}

impl Span {
    /// A span that records nothing.
    pub const fn noop() -> Self {
        Span {
            handle: SpanRef::none(),
        }
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
        self.handle.clone()
    }

    /// Removes the span from the calling thread's active stack without finishing it (for
    /// handing it to a future or another thread).
    pub(crate) fn deactivate(&self) {
        if let Some(inner) = &self.handle.inner {
            active::remove(inner);
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

/// What a child takes from its local parent.
struct ParentInfo {
    trace: Arc<TraceState>,
    span_id: SpanId,
    service: Str,
}

impl ParentInfo {
    fn of(parent: &SpanInner) -> Self {
        ParentInfo {
            trace: parent.trace.clone(),
            span_id: parent.span_id,
            service: parent.lock().service.clone(),
        }
    }
}

enum Parent {
    Active,
    Root,
    Local(SpanRef),
    Remote(SpanContext),
}

/// Describes a span before it starts; made by [`Tracer::trace`].
#[must_use = "call .start() to start the span"]
pub struct SpanBuilder<'t> {
    tracer: &'t Tracer,
    name: Str,
    service: Option<Str>,
    resource: Option<Str>,
    span_type: Option<Str>,
    parent: Parent,
}

impl<'t> SpanBuilder<'t> {
    pub(crate) fn new(tracer: &'t Tracer, name: Str) -> Self {
        SpanBuilder {
            tracer,
            name,
            service: None,
            resource: None,
            span_type: None,
            parent: Parent::Active,
        }
    }

    /// The span's service (default: the parent's, or `DD_SERVICE` for a root).
    pub fn service(mut self, service: impl Into<Str>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// The span's resource (default: its name).
    pub fn resource(mut self, resource: impl Into<Str>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The span's type (`web`, `http`, `sql`, `redis`, `custom`, ...).
    pub fn span_type(mut self, span_type: impl Into<Str>) -> Self {
        self.span_type = Some(span_type.into());
        self
    }

    /// Continues a trace from another process (a context extracted from headers).
    pub fn child_of(mut self, context: SpanContext) -> Self {
        self.parent = Parent::Remote(context);
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
    pub fn start(self) -> Span {
        let span = self.start_detached();
        if let Some(inner) = &span.handle.inner {
            active::push(inner.clone());
        }
        span
    }

    /// Starts the span without making it active.
    pub fn start_detached(self) -> Span {
        let shared = &self.tracer.shared;
        if !shared.config.enabled {
            return Span::noop();
        }
        let now = clock::now();
        // Read what the child needs from its parent in place: cloning the parent's Arc would
        // cost two more atomic operations per span.
        let local_parent = match self.parent {
            Parent::Active => active::with_current(|p| p.map(|p| ParentInfo::of(p))),
            Parent::Local(p) => p.inner.as_deref().map(ParentInfo::of),
            Parent::Root => None,
            Parent::Remote(ctx) => {
                return start_remote_child(
                    self.tracer,
                    self.name,
                    self.service,
                    self.resource,
                    self.span_type,
                    ctx,
                    now,
                );
            }
        };
        match local_parent {
            Some(ParentInfo {
                trace,
                span_id: parent_id,
                service: parent_service,
            }) => {
                trace.span_started();
                let explicit_service = self.service.is_some();
                let mut data = new_data(
                    &self.tracer.shared,
                    trace.trace_id,
                    parent_id,
                    self.name,
                    self.service.unwrap_or_else(|| parent_service.clone()),
                    self.resource,
                    self.span_type,
                );
                if explicit_service {
                    data.meta
                        .push((Str::Static("_dd.svc_src"), Str::Static("m")));
                }
                data.start = trace.anchor.epoch_ns(now);
                Span {
                    handle: SpanRef {
                        inner: Some(Arc::new(SpanInner {
                            trace,
                            span_id: data.span_id,
                            parent_service: Some(parent_service),
                            start: now,
                            finished: AtomicBool::new(false),
                            data: Mutex::new(data),
                        })),
                    },
                }
            }
            None => {
                let anchor = Anchor::now();
                let trace_id = new_trace_id(
                    (anchor.wall_ns() / 1_000_000_000) as u64,
                    shared.config.trace_id_128_bit,
                );
                let trace = TraceState::new(shared.clone(), trace_id, anchor, Inherited::default());
                start_local_root(
                    self.tracer,
                    trace,
                    SpanId::NONE,
                    self.name,
                    self.service,
                    self.resource,
                    self.span_type,
                    Vec::new(),
                    Vec::new(),
                    now,
                )
            }
        }
    }
}

fn new_data(
    shared: &crate::tracer::TracerShared,
    trace_id: TraceId,
    parent_id: SpanId,
    name: Str,
    service: Str,
    resource: Option<Str>,
    span_type: Option<Str>,
) -> SpanData {
    let mut meta = crate::span_data::Meta::new();
    meta.extend(shared.span_tags.iter().cloned());
    SpanData {
        trace_id,
        span_id: new_span_id(),
        parent_id,
        resource: resource.unwrap_or_else(|| name.clone()),
        name,
        service,
        span_type: span_type.unwrap_or_default(),
        meta,
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn start_remote_child(
    tracer: &Tracer,
    name: Str,
    service: Option<Str>,
    resource: Option<Str>,
    span_type: Option<Str>,
    ctx: SpanContext,
    now: Instant,
) -> Span {
    let shared = &tracer.shared;
    let anchor = Anchor::now();
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
    let trace = TraceState::new(shared.clone(), trace_id, anchor, inherited);
    let root_tags = ctx.root_tags;
    start_local_root(
        tracer,
        trace,
        ctx.span_id,
        name,
        service,
        resource,
        span_type,
        root_tags,
        ctx.links,
        now,
    )
}

#[allow(clippy::too_many_arguments)]
fn start_local_root(
    tracer: &Tracer,
    trace: Arc<TraceState>,
    parent_id: SpanId,
    name: Str,
    service: Option<Str>,
    resource: Option<Str>,
    span_type: Option<Str>,
    root_tags: Vec<(String, String)>,
    links: Vec<SpanLink>,
    now: Instant,
) -> Span {
    let shared = &tracer.shared;
    let explicit_service = service.is_some();
    let mut data = new_data(
        shared,
        trace.trace_id,
        parent_id,
        name,
        service.unwrap_or_else(|| shared.config.service.clone()),
        resource,
        span_type,
    );
    if explicit_service {
        data.meta
            .push((Str::Static("_dd.svc_src"), Str::Static("m")));
    }
    data.meta
        .push((Str::Static("runtime-id"), shared.runtime_id.clone()));
    data.metrics.push((Str::Static("process_id"), shared.pid));
    if shared.config.report_hostname {
        data.meta.push((
            Str::Static("_dd.hostname"),
            Str::shared(crate::process::hostname()),
        ));
    }
    for (k, v) in root_tags {
        data.set_meta(Str::from(k), Str::from(v));
    }
    data.links = links;
    data.start = trace.anchor.epoch_ns(now);
    let inner = Arc::new(SpanInner {
        span_id: data.span_id,
        trace,
        parent_service: None,
        start: now,
        finished: AtomicBool::new(false),
        data: Mutex::new(data),
    });
    inner.trace.set_root(&inner, inner.span_id);
    Span {
        handle: SpanRef { inner: Some(inner) },
    }
}

#[cfg(test)]
mod format_tests {
    use super::format_number;

    #[test]
    fn numbers_format_like_python_str_of_int_or_float() {
        assert_eq!(format_number(200.0), "200");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-42.0), "-42");
        assert_eq!(format_number(1.5), "1.5");
    }
}
