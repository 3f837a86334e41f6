//! [`SpanBuilder`]: describes a span before it starts.

use std::sync::Arc;

use super::Span;
use super::start::{
    Fields, Parent, Position, start_child, start_new_trace, start_remote_child, start_under_active,
};
use crate::active;
use crate::clock;
use crate::context::SpanContext;
use crate::span_ref::SpanRef;
use crate::str::Str;
use crate::tracer_shared::TracerShared;

/// Describes a span before it starts; made by [`Tracer::trace`](crate::Tracer::trace).
#[must_use = "call .start() to start the span"]
pub struct SpanBuilder<'t> {
    shared: &'t Arc<TracerShared>,
    fields: Fields,
    parent: Parent,
}

impl<'t> SpanBuilder<'t> {
    pub(crate) fn new(shared: &'t Arc<TracerShared>, name: Str) -> Self {
        SpanBuilder {
            shared,
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
        if !self.shared.config.enabled {
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
            return start_under_active(self.shared, &mut self.fields, true);
        }
        let span = self.start_detached_enabled();
        if let Some(inner) = &span.inner {
            active::push(inner.clone());
        }
        span
    }

    /// Starts the span without making it active.
    #[inline]
    pub fn start_detached(mut self) -> Span {
        if !self.shared.config.enabled {
            return Span::noop();
        }
        let span = self.start_detached_enabled();
        self.forget_taken();
        span
    }

    fn start_detached_enabled(&mut self) -> Span {
        let shared = self.shared;
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
