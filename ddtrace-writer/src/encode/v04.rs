//! `/v0.4/traces`: an array of traces, each an array of span maps with string keys.

use ddtrace_core::export::TraceChunk;
use ddtrace_core::keys;
use ddtrace_core::span_data::{SpanData, SpanLink};

use super::msgpack::{write_array_len, write_f64, write_int, write_map_len, write_str, write_uint};
use super::{json, truncate};

/// Room for the outer array header when checking the limit.
const HEADER: usize = 5;

pub(crate) struct V04Encoder {
    traces: Vec<u8>,
    count: usize,
    limit: usize,
}

impl V04Encoder {
    pub(crate) fn new(limit: usize) -> Self {
        V04Encoder {
            traces: Vec::new(),
            count: 0,
            limit,
        }
    }

    pub(crate) fn push(&mut self, chunk: &TraceChunk) -> bool {
        let mark = self.traces.len();
        write_trace(&mut self.traces, chunk);
        if self.traces.len().saturating_add(HEADER) > self.limit {
            self.traces.truncate(mark);
            return false;
        }
        self.count += 1;
        true
    }

    pub(crate) fn trace_count(&self) -> usize {
        self.count
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.traces.len() + HEADER);
        write_array_len(&mut body, self.count);
        body.extend_from_slice(&self.traces);
        self.traces.clear();
        self.count = 0;
        body
    }
}

fn write_trace(buf: &mut Vec<u8>, chunk: &TraceChunk) {
    write_array_len(buf, chunk.spans.len());
    for span in &chunk.spans {
        write_span(buf, span);
    }
}

/// Field order and presence follow `MsgpackEncoderV04.pack_span` in the Python tracer.
fn write_span(buf: &mut Vec<u8>, s: &SpanData) {
    let events = (!s.events.is_empty()).then(|| json::events(&s.events));
    let has_meta = !s.meta.is_empty() || events.is_some();
    let fields = 7
        + usize::from(!s.parent_id.is_none())
        + usize::from(s.error != 0)
        + usize::from(!s.span_type.is_empty())
        + usize::from(!s.links.is_empty())
        + usize::from(has_meta)
        + usize::from(!s.metrics.is_empty());
    write_map_len(buf, fields);
    write_str(buf, "trace_id");
    write_uint(buf, s.trace_id.low());
    if !s.parent_id.is_none() {
        write_str(buf, "parent_id");
        write_uint(buf, s.parent_id.0);
    }
    write_str(buf, "span_id");
    write_uint(buf, s.span_id.0);
    write_str(buf, "service");
    write_str(buf, &truncate(&s.service));
    write_str(buf, "resource");
    write_str(buf, &truncate(&s.resource));
    write_str(buf, "name");
    write_str(buf, &truncate(&s.name));
    write_str(buf, "start");
    write_int(buf, s.start);
    write_str(buf, "duration");
    write_int(buf, s.duration);
    if s.error != 0 {
        write_str(buf, "error");
        write_int(buf, i64::from(s.error));
    }
    if !s.span_type.is_empty() {
        write_str(buf, "type");
        write_str(buf, &truncate(&s.span_type));
    }
    if !s.links.is_empty() {
        write_str(buf, "span_links");
        write_array_len(buf, s.links.len());
        for l in &s.links {
            write_link(buf, l);
        }
    }
    if has_meta {
        write_str(buf, "meta");
        write_map_len(buf, s.meta.len() + usize::from(events.is_some()));
        for (k, v) in &s.meta {
            write_str(buf, k);
            write_str(buf, &truncate(v));
        }
        if let Some(events) = &events {
            write_str(buf, keys::EVENTS);
            write_str(buf, &truncate(events));
        }
    }
    if !s.metrics.is_empty() {
        write_str(buf, "metrics");
        write_map_len(buf, s.metrics.len());
        for (k, v) in &s.metrics {
            write_str(buf, k);
            write_f64(buf, *v);
        }
    }
}

fn write_link(buf: &mut Vec<u8>, l: &SpanLink) {
    let high = l.trace_id.high();
    let fields = 2
        + usize::from(high != 0)
        + usize::from(!l.attributes.is_empty())
        + usize::from(l.tracestate.is_some())
        + usize::from(l.flags.is_some());
    write_map_len(buf, fields);
    write_str(buf, "trace_id");
    write_uint(buf, l.trace_id.low());
    if high != 0 {
        write_str(buf, "trace_id_high");
        write_uint(buf, high);
    }
    write_str(buf, "span_id");
    write_uint(buf, l.span_id.0);
    if !l.attributes.is_empty() {
        write_str(buf, "attributes");
        write_map_len(buf, l.attributes.len());
        for (k, v) in &l.attributes {
            write_str(buf, k);
            write_str(buf, &truncate(v));
        }
    }
    if let Some(ts) = &l.tracestate {
        write_str(buf, "tracestate");
        write_str(buf, ts);
    }
    if let Some(flags) = l.flags {
        // Bit 31 tells the agent the flags were set, so that 0 differs from "unset".
        write_str(buf, "flags");
        write_uint(buf, u64::from(flags | 1 << 31));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::span_data::SpanEvent;
    use ddtrace_core::{SpanId, TraceId};
    use rmpv::Value;

    fn field<'v>(span: &'v Value, key: &str) -> Option<&'v Value> {
        span.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    fn one_span(s: SpanData) -> Value {
        let chunk = TraceChunk {
            trace_id: s.trace_id,
            priority: None,
            spans: vec![s],
        };
        let mut e = V04Encoder::new(usize::MAX);
        assert!(e.push(&chunk));
        let body = e.finish();
        let v = rmpv::decode::read_value(&mut &body[..]).expect("msgpack");
        v[0][0].clone()
    }

    #[test]
    fn root_span_has_no_parent_id_and_fields_in_python_order() {
        let mut s = SpanData {
            trace_id: TraceId::from_parts(9, 7),
            span_id: SpanId(8),
            name: "web.request".into(),
            service: "svc".into(),
            resource: "GET /".into(),
            span_type: "web".into(),
            start: 1,
            duration: 2,
            ..Default::default()
        };
        s.set_meta("k".into(), "v".into());
        s.set_metric("m".into(), 3.0);
        let v = one_span(s);
        let keys: Vec<_> = v
            .as_map()
            .map(|m| m.iter().filter_map(|(k, _)| k.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "trace_id", "span_id", "service", "resource", "name", "start", "duration", "type",
                "meta", "metrics"
            ]
        );
        assert_eq!(field(&v, "trace_id"), Some(&Value::from(7u64)));
        let metrics = field(&v, "metrics").expect("metrics");
        assert_eq!(field(metrics, "m"), Some(&Value::F64(3.0)));
    }

    #[test]
    fn error_parent_links_and_events_appear_only_when_set() {
        let mut s = SpanData {
            parent_id: SpanId(5),
            error: 1,
            ..Default::default()
        };
        let mut link = SpanLink::new(TraceId::from_parts(1, 2), SpanId(3));
        link.flags = Some(0);
        s.links.push(link);
        s.events.push(SpanEvent {
            name: "e".into(),
            time_unix_nano: 1,
            attributes: vec![],
        });
        let v = one_span(s);
        assert_eq!(field(&v, "parent_id"), Some(&Value::from(5u64)));
        assert_eq!(field(&v, "error"), Some(&Value::from(1)));
        let link = &field(&v, "span_links").expect("links")[0];
        assert_eq!(field(link, "trace_id_high"), Some(&Value::from(1u64)));
        assert_eq!(field(link, "flags"), Some(&Value::from(1u64 << 31)));
        let meta = field(&v, "meta").expect("meta");
        assert!(field(meta, "events").and_then(Value::as_str).is_some());
        assert_eq!(field(&v, "type"), None);
        assert_eq!(field(&v, "metrics"), None);
    }

    #[test]
    fn refuses_a_trace_over_the_limit_and_stays_valid() {
        let chunk = TraceChunk {
            trace_id: TraceId(1),
            priority: None,
            spans: vec![SpanData::default(); 3],
        };
        let one = super::super::encode_traces(
            ddtrace_core::ApiVersion::V04,
            std::slice::from_ref(&chunk),
        );
        let limit = one.len() + 10;
        let mut e = V04Encoder::new(limit);
        assert!(e.push(&chunk));
        assert!(!e.push(&chunk));
        let body = e.finish();
        assert!(body.len() <= limit);
        let v = rmpv::decode::read_value(&mut &body[..]).expect("msgpack");
        assert_eq!(v.as_array().map(Vec::len), Some(1));
    }
}
