//! [`DatadogLayer`]: `tracing` spans as Datadog spans.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use ddtrace_core::integration::TracerSource;
use ddtrace_core::{Span, SpanLink, SpanRef, Str, Tracer};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{self, LookupSpan};

use crate::fields::{self, BuilderFields, FieldState, Visitor};
use crate::filter;

/// Span events kept per span; later events are dropped (the OpenTelemetry SDK's default
/// limit), so a long-lived span that logs in a loop does not grow without bound.
pub const MAX_EVENTS_PER_SPAN: u32 = 128;

/// A `tracing_subscriber` [`Layer`](tracing_subscriber::Layer) that turns `tracing` spans into
/// Datadog spans of a [`Tracer`].
///
/// ```
/// use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
/// use ddtrace_tracing::DatadogLayer;
/// use tracing_subscriber::prelude::*;
///
/// let exporter = InMemoryExporter::new();
/// let tracer = Tracer::builder()
///     .config(Config::builder_without_env().service("shop").build())
///     .exporter(exporter.clone())
///     .build();
/// let subscriber = tracing_subscriber::registry().with(DatadogLayer::new(tracer));
/// tracing::subscriber::with_default(subscriber, || {
///     let _request = tracing::info_span!("checkout.process", user.id = "u-1").entered();
///     let _query = tracing::info_span!("db.query", rows = 3).entered();
/// });
/// let spans = exporter.spans();
/// assert_eq!(spans[0].name, "checkout.process");
/// assert_eq!(spans[0].meta("user.id"), Some("u-1"));
/// assert_eq!(spans[1].metric("rows"), Some(3.0));
/// assert_eq!(spans[1].parent_id, spans[0].span_id);
/// ```
///
/// See the [crate documentation](crate) for how parents, fields, events and the filter work.
#[derive(Debug, Clone)]
pub struct DatadogLayer {
    /// The global tracer is looked up when each span starts.
    tracer: TracerSource,
    spans: Targets,
    events: Targets,
}

impl DatadogLayer {
    /// A layer that records spans with `tracer`.
    pub fn new(tracer: Tracer) -> Self {
        DatadogLayer {
            tracer: TracerSource::Explicit(tracer),
            spans: filter::default_filter(),
            events: filter::default_filter(),
        }
    }

    /// A layer that records spans with the global tracer ([`ddtrace_core::tracer()`]), the one
    /// `ddtrace::init()` installs. It is looked up when each span starts, so the layer may be
    /// installed before the tracer.
    pub fn global() -> Self {
        DatadogLayer {
            tracer: TracerSource::Global,
            spans: filter::default_filter(),
            events: filter::default_filter(),
        }
    }

    /// Which `tracing` spans become Datadog spans, by target and level (default: INFO and
    /// above from every target; see the [crate documentation](crate#which-spans-become-datadog-spans)).
    ///
    /// A span left out does not break its children's parenting: they join its nearest
    /// recorded ancestor.
    ///
    /// ```
    /// use ddtrace_tracing::DatadogLayer;
    /// use tracing_subscriber::filter::{LevelFilter, Targets};
    ///
    /// // Also tower-http's request spans (DEBUG), but nothing from h2.
    /// let layer = DatadogLayer::global().with_span_filter(
    ///     Targets::new()
    ///         .with_default(LevelFilter::INFO)
    ///         .with_target("tower_http", LevelFilter::DEBUG)
    ///         .with_target("h2", LevelFilter::OFF),
    /// );
    /// // The same from a string, e.g. an environment variable of the application's choice.
    /// let targets: Targets = "info,tower_http=debug,h2=off".parse().unwrap();
    /// let layer = DatadogLayer::global().with_span_filter(targets);
    /// ```
    pub fn with_span_filter(mut self, filter: Targets) -> Self {
        self.spans = filter;
        self
    }

    /// Which `tracing` events inside a span become span events, by target and level (default:
    /// INFO and above). `ERROR` events that pass also mark their span as failed.
    pub fn with_event_filter(mut self, filter: Targets) -> Self {
        self.events = filter;
        self
    }

    fn tracer(&self) -> &Tracer {
        self.tracer.tracer()
    }

    /// Identifies this layer in [`LAST`]: once in a subscriber, a layer does not move, and
    /// span ids are only unique within one subscriber.
    fn key(&self) -> usize {
        self as *const Self as usize
    }

    fn remember_last(&self, id: &Id, span: &SpanRef) {
        let _ = LAST.try_with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some(LastSpan {
                    layer: self.key(),
                    id: id.into_u64(),
                    span: span.clone(),
                });
            }
        });
    }

    /// Calls `f` with the Datadog span of `id` if it is the one this thread created last.
    fn with_last(&self, id: &Id, f: impl FnOnce(&SpanRef)) -> bool {
        LAST.try_with(|last| {
            let Ok(last) = last.try_borrow() else {
                return false;
            };
            match &*last {
                // A span of an id that was closed and reused has finished: not a match.
                Some(l)
                    if l.id == id.into_u64() && l.layer == self.key() && l.span.is_recording() =>
                {
                    f(&l.span);
                    true
                }
                _ => false,
            }
        })
        .unwrap_or(false)
    }

    fn forget_last(&self, id: &Id) {
        let _ = LAST.try_with(|last| {
            if let Ok(mut last) = last.try_borrow_mut()
                && last
                    .as_ref()
                    .is_some_and(|l| l.id == id.into_u64() && l.layer == self.key())
            {
                *last = None;
            }
        });
    }
}

/// The span a thread created last. Spans are usually entered and exited right where they are
/// created, so `on_enter`/`on_exit` find their Datadog span here without the registry lookup
/// and the extensions lock.
struct LastSpan {
    layer: usize,
    id: u64,
    span: SpanRef,
}

thread_local! {
    static LAST: RefCell<Option<LastSpan>> = const { RefCell::new(None) };
}

/// The Datadog span a `tracing` span became.
pub(crate) struct Recorded {
    pub(crate) span: Span,
    state: FieldState,
    events: AtomicU32,
}

/// A `tracing` span the filter left out: the Datadog span its children join instead.
pub(crate) struct Skipped(pub(crate) SpanRef);

/// The Datadog context of a `tracing` span: its own Datadog span, or for a span left out, the
/// one it stands for.
pub(crate) fn context_of<'a, R: LookupSpan<'a>>(
    span: &registry::SpanRef<'a, R>,
) -> Option<SpanRef> {
    let ext = span.extensions();
    if let Some(r) = ext.get::<Recorded>() {
        return Some(r.span.handle());
    }
    ext.get::<Skipped>().map(|s| s.0.clone())
}

/// Where a new span or an event sits in the `tracing` tree.
#[derive(Clone, Copy)]
pub(crate) enum Parent<'a> {
    /// `parent: None`: a new trace.
    Root,
    /// `parent: &span`.
    Explicit(&'a Id),
    /// Wherever the code runs.
    Contextual,
}

impl<'a> Parent<'a> {
    pub(crate) fn of(contextual: bool, parent: Option<&'a Id>) -> Self {
        match (contextual, parent) {
            (true, _) => Parent::Contextual,
            (false, Some(id)) => Parent::Explicit(id),
            (false, None) => Parent::Root,
        }
    }
}

/// The Datadog span that a new span or event with this `parent` belongs to.
///
/// An explicit parent is followed. Otherwise ("contextual"), the ddtrace active span wins: the
/// layer pushes every entered `tracing` span onto it, so it is the innermost of both kinds
/// (a `#[traced]` function called inside `#[instrument]` code is on top of it). When it is
/// empty, as in a task that only `tracing` instrumented, the current `tracing` span decides.
pub(crate) fn resolve(
    parent: Parent<'_>,
    context_of_id: impl FnOnce(&Id) -> Option<SpanRef>,
    current: impl FnOnce() -> Option<SpanRef>,
) -> Option<SpanRef> {
    match parent {
        Parent::Root => None,
        Parent::Explicit(id) => context_of_id(id),
        Parent::Contextual => {
            // `active_span` only returns a span that is open: no second look needed.
            let active = ddtrace_core::active_span();
            if active.is_none() {
                current()
            } else {
                Some(active)
            }
        }
    }
}

/// Whether an event is the tracer's own diagnostic (through `log` and `tracing-log`): a
/// writer's "agent unreachable" logged while a span is active is not the application's error.
fn is_tracer_diagnostic(target: &str) -> bool {
    target
        .strip_prefix("ddtrace")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('_') || rest.starts_with("::"))
}

/// Starts the Datadog span of a `tracing` span that has fields: the builder fields (name,
/// service, resource, type) first, then the others as tags.
fn start_with_fields(
    tracer: &Tracer,
    name: Str,
    parent: Option<&SpanRef>,
    attrs: &Attributes<'_>,
) -> (Span, FieldState) {
    let mut builder_fields = BuilderFields::default();
    attrs.record(&mut Visitor {
        wanted: fields::is_builder_field,
        sink: |name, value| builder_fields.set(name, value),
    });
    let mut state = FieldState::from_builder(&builder_fields);
    let mut builder = tracer.trace(builder_fields.name.unwrap_or(name));
    builder = match parent {
        Some(p) => builder.child_of_span(p),
        None => builder.root(),
    };
    if let Some(s) = builder_fields.service {
        builder = builder.service(s);
    }
    if let Some(r) = builder_fields.resource {
        builder = builder.resource(r);
    }
    if let Some(t) = builder_fields.span_type {
        builder = builder.span_type(t);
    }
    let span = builder.start_detached();
    attrs.record(&mut Visitor {
        wanted: fields::is_tag_field,
        sink: |name, value| state.apply(&span, name, value),
    });
    (span, state)
}

impl<S> tracing_subscriber::Layer<S> for DatadogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let tracer = self.tracer();
        if !tracer.is_enabled() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let parent = resolve(
            Parent::of(attrs.is_contextual(), attrs.parent()),
            |id| ctx.span(id).and_then(|s| context_of(&s)),
            || ctx.lookup_current().and_then(|s| context_of(&s)),
        );

        let meta = attrs.metadata();
        if !self.spans.would_enable(meta.target(), meta.level()) {
            if let Some(parent) = parent {
                span.extensions_mut().insert(Skipped(parent));
            }
            return;
        }

        let name = Str::from_static(meta.name());
        let (dd, state) = if attrs.values().is_empty() {
            // The common case, kept to one builder expression: no fields to read.
            let span = match &parent {
                Some(p) => tracer.trace(name).child_of_span(p).start_detached(),
                None => tracer.trace(name).root().start_detached(),
            };
            (span, FieldState::default())
        } else {
            start_with_fields(tracer, name, parent.as_ref(), attrs)
        };
        self.remember_last(id, &dd);
        span.extensions_mut().insert(Recorded {
            span: dd,
            state,
            events: AtomicU32::new(0),
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<Recorded>().is_none() {
            return;
        }
        // Values are converted before the extensions are locked: a `Debug` impl that logs
        // would otherwise reach `on_event`, which reads them, while they are locked.
        let mut converted = Vec::new();
        values.record(&mut Visitor {
            wanted: fields::any_field,
            sink: |name, value| converted.push((name, value)),
        });
        let mut ext = span.extensions_mut();
        if let Some(Recorded { span, state, .. }) = ext.get_mut::<Recorded>() {
            for (name, value) in converted {
                state.apply(span, name, value);
            }
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let (Some(span), Some(follows)) = (ctx.span(id), ctx.span(follows)) else {
            return;
        };
        let Some(target) = context_of(&follows) else {
            return;
        };
        if let Some(r) = span.extensions().get::<Recorded>() {
            r.span
                .add_link(SpanLink::new(target.trace_id(), target.span_id()));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !self.events.would_enable(meta.target(), meta.level())
            || is_tracer_diagnostic(meta.target())
        {
            return;
        }
        let parent = Parent::of(event.is_contextual(), event.parent());
        let Some(target) = resolve(
            parent,
            |id| ctx.span(id).and_then(|s| context_of(&s)),
            || ctx.lookup_current().and_then(|s| context_of(&s)),
        ) else {
            return;
        };
        if !target.is_recording() {
            return;
        }
        // Count the events of spans this layer made (the common case: the event's span is the
        // event's `tracing` span); others (`#[traced]` spans) are not capped.
        let current = match parent {
            Parent::Explicit(id) => ctx.span(id),
            Parent::Root => None,
            Parent::Contextual => ctx.lookup_current(),
        };
        if let Some(current) = current
            && let Some(r) = current.extensions().get::<Recorded>()
            && r.span.span_id() == target.span_id()
            && r.events.fetch_add(1, Ordering::Relaxed) >= MAX_EVENTS_PER_SPAN
        {
            return;
        }
        crate::events::record(&target, event);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if self.with_last(id, SpanRef::enter) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let ext = span.extensions();
        if let Some(r) = ext.get::<Recorded>() {
            r.span.enter();
        } else if let Some(s) = ext.get::<Skipped>() {
            // Code inside a span left out belongs to the span it stands for.
            s.0.enter();
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if self.with_last(id, SpanRef::exit) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let ext = span.extensions();
        if let Some(r) = ext.get::<Recorded>() {
            r.span.exit();
        } else if let Some(s) = ext.get::<Skipped>() {
            s.0.exit();
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.forget_last(&id);
        let Some(span) = ctx.span(&id) else { return };
        let recorded = {
            let mut ext = span.extensions_mut();
            let recorded = ext.remove::<Recorded>();
            if recorded.is_none() {
                ext.remove::<Skipped>();
            }
            recorded
        };
        // The extensions are released before the span finishes: finishing may export, and an
        // exporter may log.
        if let Some(r) = recorded {
            r.state.finish(&r.span, self.tracer());
            drop(r.span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_tracer_diagnostic;

    #[test]
    fn the_tracers_own_targets_are_diagnostics() {
        assert!(is_tracer_diagnostic("ddtrace_writer::health"));
        assert!(is_tracer_diagnostic("ddtrace"));
        assert!(is_tracer_diagnostic("ddtrace::writer"));
        assert!(!is_tracer_diagnostic("ddtracer_app"));
        assert!(!is_tracer_diagnostic("my_app"));
    }
}
