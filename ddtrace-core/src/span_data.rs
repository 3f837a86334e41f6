//! [`SpanData`]: a span's fields as the agent receives them.

use smallvec::SmallVec;

use crate::id::{SpanId, TraceId};
use crate::raw::{push_pair, push_str_pair};
use crate::str::Str;

/// A span's string tags, the first eight stored inline.
///
/// Eight because a local root carries four tags of its own (`runtime-id`, `language`,
/// `_dd.p.dm`, `_dd.p.tid`) besides `env` and the user's: with four inline, nearly every root
/// spilled to the heap, and that allocation, freed on the writer's thread, cost more than the
/// rest of the hand-off (see BENCHMARKS.md).
pub type Meta = SmallVec<[(Str, Str); 8]>;

/// A span's numeric tags, the first four stored inline: a local root carries `process_id`,
/// `_dd.top_level`, `_sampling_priority_v1` and a sampling rate.
pub type Metrics = SmallVec<[(Str, f64); 4]>;

/// A link from a span to another span, possibly of another trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanLink {
    /// The linked span's trace id (128 bits).
    pub trace_id: TraceId,
    /// The linked span's id.
    pub span_id: SpanId,
    /// String attributes of the link.
    pub attributes: Vec<(Str, Str)>,
    /// The W3C tracestate of the linked context, if known.
    pub tracestate: Option<String>,
    /// W3C trace flags of the linked context, if known.
    pub flags: Option<u32>,
}

impl SpanLink {
    /// A link to `span_id` in `trace_id` with no attributes.
    pub fn new(trace_id: TraceId, span_id: SpanId) -> Self {
        SpanLink {
            trace_id,
            span_id,
            attributes: Vec::new(),
            tracestate: None,
            flags: None,
        }
    }
}

/// A timestamped event attached to a span (for example a recorded exception).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// The event's name.
    pub name: Str,
    /// When it happened, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// String attributes.
    pub attributes: Vec<(Str, Str)>,
}

/// The fields of one span, in the agent's model.
///
/// Tags are split by value type into `meta` (strings) and `metrics` (numbers); a key lives in at
/// most one of the two. They are small vectors rather than maps: spans carry a handful of tags,
/// and a linear scan over a few entries beats hashing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanData {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// This span's id.
    pub span_id: SpanId,
    /// The parent span's id, or [`SpanId::NONE`] for a root.
    pub parent_id: SpanId,
    /// The operation name (`http.request`, `postgres.query`, ...).
    pub name: Str,
    /// The service the span belongs to.
    pub service: Str,
    /// What the operation acted on (`GET /users/{id}`, the SQL text, ...).
    pub resource: Str,
    /// The span type (`web`, `http`, `sql`, `redis`, `custom`, ...); empty when unset.
    pub span_type: Str,
    /// Start, in nanoseconds since the Unix epoch.
    pub start: i64,
    /// Duration in nanoseconds; 0 until finished.
    pub duration: i64,
    /// 1 when the span recorded an error.
    pub error: i32,
    /// String tags.
    pub meta: Meta,
    /// Numeric tags.
    pub metrics: Metrics,
    /// Links to other spans.
    pub links: Vec<SpanLink>,
    /// Events recorded on the span.
    pub events: Vec<SpanEvent>,
}

impl SpanData {
    /// The string tag `key`, if set.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| *k == *key)
            .map(|(_, v)| v.as_str())
    }

    /// The numeric tag `key`, if set.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(k, _)| *k == *key)
            .map(|(_, v)| *v)
    }

    /// Sets a string tag, replacing any previous value of `key` in either map.
    #[inline(always)]
    pub fn set_meta(&mut self, key: Str, value: Str) {
        // Keys are mostly the same literals: `Str ==` compares lengths, then addresses, before
        // any bytes.
        if let Some(slot) = self.meta.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
        if let Some(i) = self.metrics.iter().position(|(k, _)| *k == key) {
            self.metrics.remove(i);
        }
        push_str_pair(&mut self.meta, key, value);
    }

    /// Sets a numeric tag, replacing any previous value of `key` in either map.
    #[inline(always)]
    pub fn set_metric(&mut self, key: Str, value: f64) {
        if let Some(slot) = self.metrics.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
        if let Some(i) = self.meta.iter().position(|(k, _)| *k == key) {
            self.meta.remove(i);
        }
        push_pair(&mut self.metrics, key, value);
    }

    /// Adds a string tag without looking for an earlier value of `key`: for the tags the
    /// tracer itself gives a span that cannot have them yet.
    #[inline(always)]
    pub(crate) fn append_meta(&mut self, key: Str, value: Str) {
        push_str_pair(&mut self.meta, key, value);
    }

    /// Adds a numeric tag without looking for an earlier value of `key` (see
    /// [`append_meta`](Self::append_meta)).
    #[inline(always)]
    pub(crate) fn append_metric(&mut self, key: Str, value: f64) {
        push_pair(&mut self.metrics, key, value);
    }

    /// Removes the string tag `key`; returns whether it was present.
    pub fn remove_meta(&mut self, key: &str) -> bool {
        match self.meta.iter().position(|(k, _)| *k == *key) {
            Some(i) => {
                self.meta.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes the numeric tag `key`; returns whether it was present.
    pub fn remove_metric(&mut self, key: &str) -> bool {
        match self.metrics.iter().position(|(k, _)| *k == *key) {
            Some(i) => {
                self.metrics.remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether this span has no parent in this trace.
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_lives_in_one_map_only() {
        let mut s = SpanData::default();
        s.set_meta("k".into(), "v".into());
        s.set_metric("k".into(), 2.0);
        assert_eq!(s.meta("k"), None);
        assert_eq!(s.metric("k"), Some(2.0));
        s.set_meta("k".into(), "w".into());
        assert_eq!(s.metric("k"), None);
        assert_eq!(s.meta("k"), Some("w"));
        s.set_meta("k".into(), "x".into());
        assert_eq!(s.meta.len(), 1);
    }
}
