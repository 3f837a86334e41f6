//! [`SpanRef`]: a handle that tags a span without finishing it; [`Span`](crate::Span)
//! dereferences to it, so these are the tagging methods of every span.
//!
//! Keys with a special meaning go through [`rules::special_keys`](crate::rules::special_keys).
//! The methods that activate a span (`in_scope`, `enter`, `exit`) sit above the active-span
//! stack, in `span/activate.rs`.

use crate::context::SpanContext;
use crate::id::{SpanId, TraceId};
use crate::keys;
use crate::rules::special_keys::SpecialTag;
use crate::sampling::SamplingPriority;
use crate::span_data::{SpanData, SpanEvent, SpanLink};
use crate::span_handle::SpanHandle;
use crate::str::Str;
use crate::tag::{IntoTagValue, TagValue};

/// A handle to a span that does not finish it when dropped: the active span, or a copy of a
/// [`Span`](crate::Span) handed to code that should tag it but not end it.
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
        // `http.status_code` is Python's `str(value)`, which for a float is its own text.
        let value = if special == SpecialTag::StatusCode {
            value.into_text_tag_value()
        } else {
            value.into_tag_value()
        };
        let Some(value) = value else {
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
            d.set_meta(Str::from_static(keys::ERROR_TYPE), error_type);
            d.set_meta(Str::from_static(keys::ERROR_MESSAGE), message);
            if let Some(stack) = stack {
                d.set_meta(Str::from_static(keys::ERROR_STACK), Str::from(stack));
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
}
