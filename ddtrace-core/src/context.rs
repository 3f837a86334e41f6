//! [`SpanContext`]: what identifies a span to another process.

use crate::id::{SpanId, TraceId};
use crate::keys;
use crate::sampling::SamplingPriority;
use crate::span_data::SpanLink;

/// The key of the tag that records why propagated tags were dropped or not sent.
pub const PROPAGATION_ERROR_KEY: &str = keys::PROPAGATION_ERROR;
/// The key of the tag carrying the last Datadog span id seen upstream (16 hex digits).
pub const LAST_PARENT_ID_KEY: &str = keys::LAST_PARENT_ID;
/// The key under which the incoming W3C `tracestate` is kept.
pub const TRACESTATE_KEY: &str = keys::TRACESTATE;
/// The key under which the incoming W3C `traceparent` is kept.
pub const TRACEPARENT_KEY: &str = keys::TRACEPARENT;
/// The key of the origin tag (`synthetics`, `rum`, ...).
pub const ORIGIN_KEY: &str = keys::ORIGIN;

/// The part of a span that crosses process boundaries: ids, sampling decision, origin,
/// propagated `_dd.p.*` tags and baggage.
///
/// Propagators extract one from incoming headers; passing it to
/// [`SpanBuilder::child_of`](crate::SpanBuilder::child_of) continues the remote trace.
///
/// An extracted context may carry no trace id (only baggage, say, or nothing at all): the
/// Python tracer returns such contexts rather than none, and a span started from one begins a
/// new trace that keeps the baggage. [`has_trace_id`](Self::has_trace_id) tells them apart.
///
/// ```
/// use ddtrace_core::{SpanContext, SpanId, TraceId};
///
/// let mut ctx = SpanContext::new(TraceId(123), SpanId(456));
/// ctx.set_trace_tag("_dd.p.dm", "-4");
/// assert!(ctx.set_origin("synthetics"));
/// assert_eq!(ctx.trace_tag("_dd.p.dm"), Some("-4"));
/// assert!(ctx.tags().any(|(k, v)| k == "_dd.origin" && v == "synthetics"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanContext {
    /// The trace id (128 bits when the upstream sent them); 0 when there is none.
    pub trace_id: TraceId,
    /// The remote parent's span id; 0 when there is none.
    pub span_id: SpanId,
    /// The upstream sampling decision, if any.
    pub sampling_priority: Option<SamplingPriority>,
    /// `_dd.origin` (e.g. `synthetics`, `rum`).
    pub origin: Option<String>,
    /// Propagated trace tags (`_dd.p.*`), in order.
    pub trace_tags: Vec<(String, String)>,
    /// Other tags the local root should carry: `_dd.parent_id`, `_dd.propagation_error`, the
    /// incoming `traceparent` and `tracestate`, `baggage.*` tags.
    ///
    /// The W3C `tracestate` lives here (rather than in a field of its own) so that it reaches
    /// the local root span's tags exactly as the Python tracer puts it there, and so that other
    /// vendors' entries are passed on when injecting.
    pub root_tags: Vec<(String, String)>,
    /// W3C baggage items, in order.
    pub baggage: Vec<(String, String)>,
    /// Links to contexts that other propagation styles carried and that disagreed.
    pub links: Vec<SpanLink>,
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

    /// Whether the context names a trace (a span started from it continues that trace).
    pub fn has_trace_id(&self) -> bool {
        !self.trace_id.is_zero()
    }

    /// The value of the propagated tag `key`, if present.
    pub fn trace_tag(&self, key: &str) -> Option<&str> {
        find(&self.trace_tags, key)
    }

    /// Sets a propagated tag (`_dd.p.*`), replacing any previous value in place.
    pub fn set_trace_tag(&mut self, key: impl Into<String>, value: impl Into<String>) {
        set(&mut self.trace_tags, key.into(), value.into());
    }

    /// Removes the propagated tag `key`; returns its value if it was present.
    pub fn remove_trace_tag(&mut self, key: &str) -> Option<String> {
        remove(&mut self.trace_tags, key)
    }

    /// The value of the local-root tag `key` (see [`root_tags`](Self::root_tags)), if present.
    pub fn root_tag(&self, key: &str) -> Option<&str> {
        find(&self.root_tags, key)
    }

    /// Sets a local-root tag, replacing any previous value in place.
    pub fn set_root_tag(&mut self, key: impl Into<String>, value: impl Into<String>) {
        set(&mut self.root_tags, key.into(), value.into());
    }

    /// The W3C `tracestate` received from upstream, if any.
    pub fn tracestate(&self) -> Option<&str> {
        self.root_tag(TRACESTATE_KEY)
    }

    /// Why propagated tags were dropped on extraction or not sent on injection, if they were
    /// (`decoding_error`, `extract_max_size`, `inject_max_size`, `encoding_error`, `disabled`,
    /// `malformed_tid <value>`).
    pub fn propagation_error(&self) -> Option<&str> {
        self.root_tag(PROPAGATION_ERROR_KEY)
    }

    /// Sets the origin, as the Python tracer's `Context` does: an origin holding characters
    /// outside printable ASCII (0x20–0x7E) is refused, since it could not be sent in a header.
    /// Returns whether the origin was taken.
    pub fn set_origin(&mut self, origin: impl Into<String>) -> bool {
        let origin = origin.into();
        if is_printable_ascii(&origin) {
            self.origin = Some(origin);
            true
        } else {
            false
        }
    }

    /// The baggage item `key`, if present.
    pub fn baggage_item(&self, key: &str) -> Option<&str> {
        find(&self.baggage, key)
    }

    /// Sets a baggage item, replacing any previous value in place.
    pub fn set_baggage_item(&mut self, key: impl Into<String>, value: impl Into<String>) {
        set(&mut self.baggage, key.into(), value.into());
    }

    /// All the context's tags as one map, as the Python tracer's `Context` holds them: `_dd.p.*`
    /// tags, `_dd.origin`, then the local-root tags.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str)> {
        let origin = self.origin.as_deref().map(|o| (ORIGIN_KEY, o));
        self.trace_tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(origin)
            .chain(self.root_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Printable ASCII (0x20–0x7E): what the Python tracer accepts in an origin.
pub(crate) fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn find<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn set(pairs: &mut Vec<(String, String)>, key: String, value: String) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key, value)),
    }
}

fn remove(pairs: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let pos = pairs.iter().position(|(k, _)| k == key)?;
    Some(pairs.remove(pos).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_replace_in_place_and_keep_order() {
        let mut ctx = SpanContext::default();
        ctx.set_trace_tag("_dd.p.a", "1");
        ctx.set_trace_tag("_dd.p.b", "2");
        ctx.set_trace_tag("_dd.p.a", "3");
        assert_eq!(
            ctx.trace_tags,
            vec![
                ("_dd.p.a".to_owned(), "3".to_owned()),
                ("_dd.p.b".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(ctx.remove_trace_tag("_dd.p.a").as_deref(), Some("3"));
        assert_eq!(ctx.trace_tag("_dd.p.a"), None);
    }

    #[test]
    fn origins_outside_printable_ascii_are_refused() {
        let mut ctx = SpanContext::default();
        assert!(!ctx.set_origin("caf\u{e9}"));
        assert!(!ctx.set_origin("a\nb"));
        assert_eq!(ctx.origin, None);
        assert!(ctx.set_origin("rum"));
        assert_eq!(ctx.origin.as_deref(), Some("rum"));
    }
}
