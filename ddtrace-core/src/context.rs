//! [`SpanContext`]: what identifies a span to another process.

use crate::id::{SpanId, TraceId};
use crate::sampling::SamplingPriority;
use crate::span_data::SpanLink;

/// The part of a span that crosses process boundaries: ids, sampling decision, origin,
/// propagated `_dd.p.*` tags and baggage.
///
/// Propagators extract one from incoming headers; passing it to
/// [`SpanBuilder::child_of`](crate::SpanBuilder::child_of) continues the remote trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanContext {
    /// The trace id (128 bits when the upstream sent them).
    pub trace_id: TraceId,
    /// The remote parent's span id.
    pub span_id: SpanId,
    /// The upstream sampling decision, if any.
    pub sampling_priority: Option<SamplingPriority>,
    /// `_dd.origin` (e.g. `synthetics`, `rum`).
    pub origin: Option<String>,
    /// Propagated trace tags (`_dd.p.*`), in order.
    pub trace_tags: Vec<(String, String)>,
    /// Other tags the local root should carry (`_dd.parent_id`, `_dd.propagation_error`, ...).
    pub root_tags: Vec<(String, String)>,
    /// W3C baggage items.
    pub baggage: Vec<(String, String)>,
    /// Links to contexts that other propagation styles carried and that disagreed.
    pub links: Vec<SpanLink>,
    /// The raw W3C tracestate, kept so it is passed on unchanged.
    pub tracestate: Option<String>,
}

impl SpanContext {
    /// A context for `trace_id` and parent `span_id` with nothing else set.
    pub fn new(trace_id: TraceId, span_id: SpanId) -> Self {
        SpanContext {
            trace_id,
            span_id,
            ..Default::default()
        }
    }

    /// The value of the propagated tag `key`, if present.
    pub fn trace_tag(&self, key: &str) -> Option<&str> {
        self.trace_tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
