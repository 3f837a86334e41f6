//! `/v0.5/traces`: `[string_table, traces]`, each span a 12-element array whose strings are
//! indexes into the table. Repeated strings (service, tag keys, env) are written once per
//! payload, which is why this is the Python tracer's default.

use std::borrow::Cow;

use ddtrace_core::export::TraceChunk;
use ddtrace_core::keys;
use ddtrace_core::span_data::SpanData;
use rustc_hash::FxHashMap;

use super::msgpack::{write_array_len, write_f64, write_int, write_map_len, write_str, write_uint};
use super::{json, truncate};

/// Room for the three container headers when checking the limit.
const HEADERS: usize = 11;

/// Slots of the address cache (a power of two).
const CACHE_SLOTS: usize = 1024;

/// An empty slot: no string lives at address 0.
const EMPTY_SLOT: (usize, usize, u32) = (0, 0, 0);

#[inline]
fn slot(address: usize, len: usize) -> usize {
    (address ^ (address >> 10) ^ len.wrapping_mul(0x9e37)) & (CACHE_SLOTS - 1)
}

pub(crate) struct V05Encoder<'a> {
    /// String -> index. Borrowed from the chunks being encoded; owned only for cut values
    /// and the JSON of links and events.
    index: FxHashMap<Cow<'a, str>, u32>,
    /// A direct-mapped cache in front of `index`, keyed by where the string lives. Span
    /// names, tag keys and the service are mostly literals or shared `Arc<str>`s, so the same
    /// few addresses repeat across every span: a hit costs two compares instead of hashing
    /// and comparing the text. Sound because the chunks outlive the encoder (`'a`): an
    /// address cannot hold other text while it is cached. A collision only evicts.
    by_address: Box<[(usize, usize, u32)]>,
    /// The table's strings, already encoded, in index order.
    table: Vec<u8>,
    table_len: u32,
    traces: Vec<u8>,
    count: usize,
    limit: usize,
}

impl<'a> V05Encoder<'a> {
    pub(crate) fn new(limit: usize) -> Self {
        let mut e = V05Encoder {
            // Sized for a payload's distinct strings, so the table rarely grows.
            index: FxHashMap::with_capacity_and_hasher(512, Default::default()),
            by_address: vec![EMPTY_SLOT; CACHE_SLOTS].into_boxed_slice(),
            table: Vec::new(),
            table_len: 0,
            traces: Vec::new(),
            count: 0,
            limit,
        };
        e.reset();
        e
    }

    fn reset(&mut self) {
        self.index.clear();
        self.by_address.fill(EMPTY_SLOT);
        self.table.clear();
        self.table_len = 0;
        self.traces.clear();
        self.count = 0;
        // Index 0 is always the empty string (a span without a type points at it).
        self.intern(Cow::Borrowed(""));
    }

    #[inline]
    fn intern(&mut self, s: Cow<'a, str>) -> u32 {
        if let Some(&i) = self.index.get(s.as_ref()) {
            return i;
        }
        let i = self.table_len;
        write_str(&mut self.table, &s);
        self.index.insert(s, i);
        self.table_len += 1;
        i
    }

    #[inline]
    fn intern_str(&mut self, s: &'a str) -> u32 {
        let (address, len) = (s.as_ptr() as usize, s.len());
        let slot = slot(address, len);
        if let Some(&(a, l, i)) = self.by_address.get(slot)
            && a == address
            && l == len
        {
            return i;
        }
        let i = self.intern(truncate(s));
        if let Some(entry) = self.by_address.get_mut(slot) {
            *entry = (address, len, i);
        }
        i
    }

    pub(crate) fn push(&mut self, chunk: &'a TraceChunk) -> bool {
        let (table_mark, len_mark, traces_mark) =
            (self.table.len(), self.table_len, self.traces.len());
        let mut traces = std::mem::take(&mut self.traces);
        write_array_len(&mut traces, chunk.spans.len());
        for span in &chunk.spans {
            self.write_span(&mut traces, span);
        }
        self.traces = traces;
        let total = self.table.len() + self.traces.len() + HEADERS;
        if total > self.limit {
            self.table.truncate(table_mark);
            self.table_len = len_mark;
            self.traces.truncate(traces_mark);
            self.index.retain(|_, i| *i < len_mark);
            for entry in self.by_address.iter_mut().filter(|e| e.2 >= len_mark) {
                *entry = EMPTY_SLOT;
            }
            return false;
        }
        self.count += 1;
        true
    }

    fn write_span(&mut self, buf: &mut Vec<u8>, s: &'a SpanData) {
        write_array_len(buf, 12);
        let service = self.intern_str(&s.service);
        write_uint(buf, u64::from(service));
        let name = self.intern_str(&s.name);
        write_uint(buf, u64::from(name));
        let resource = self.intern_str(&s.resource);
        write_uint(buf, u64::from(resource));
        write_uint(buf, s.trace_id.low());
        write_uint(buf, s.span_id.0);
        write_uint(buf, s.parent_id.0);
        write_int(buf, s.start.max(0));
        write_int(buf, s.duration.max(0));
        write_int(buf, i64::from(s.error));

        let extra = usize::from(!s.links.is_empty()) + usize::from(!s.events.is_empty());
        write_map_len(buf, s.meta.len() + extra);
        for (k, v) in &s.meta {
            let k = self.intern_str(k);
            write_uint(buf, u64::from(k));
            let v = self.intern_str(v);
            write_uint(buf, u64::from(v));
        }
        if !s.links.is_empty() {
            let k = self.intern(Cow::Borrowed(keys::SPAN_LINKS));
            write_uint(buf, u64::from(k));
            let v = self.intern(Cow::Owned(json::links(&s.links)));
            write_uint(buf, u64::from(v));
        }
        if !s.events.is_empty() {
            let k = self.intern(Cow::Borrowed(keys::EVENTS));
            write_uint(buf, u64::from(k));
            let v = self.intern(Cow::Owned(truncate(&json::events(&s.events)).into_owned()));
            write_uint(buf, u64::from(v));
        }

        write_map_len(buf, s.metrics.len());
        for (k, v) in &s.metrics {
            let k = self.intern_str(k);
            write_uint(buf, u64::from(k));
            write_f64(buf, *v);
        }
        let ty = self.intern_str(&s.span_type);
        write_uint(buf, u64::from(ty));
    }

    pub(crate) fn trace_count(&self) -> usize {
        self.count
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.table.len() + self.traces.len() + HEADERS);
        write_array_len(&mut body, 2);
        write_array_len(&mut body, self.table_len as usize);
        body.extend_from_slice(&self.table);
        write_array_len(&mut body, self.count);
        body.extend_from_slice(&self.traces);
        self.reset();
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::{SpanId, TraceId};
    use rmpv::Value;

    fn chunk(n: usize) -> TraceChunk {
        let spans = (0..n)
            .map(|i| {
                let mut s = SpanData {
                    trace_id: TraceId(1),
                    span_id: SpanId(i as u64 + 1),
                    parent_id: SpanId(i as u64),
                    name: "op".into(),
                    service: "svc".into(),
                    resource: "res".into(),
                    ..Default::default()
                };
                s.set_meta("env".into(), "test".into());
                s.set_metric("m".into(), 1.5);
                s
            })
            .collect();
        TraceChunk {
            trace_id: TraceId(1),
            priority: None,
            spans,
        }
    }

    fn decode(body: &[u8]) -> (Vec<String>, Value) {
        let v = rmpv::decode::read_value(&mut &body[..]).expect("msgpack");
        let table = v[0]
            .as_array()
            .expect("table")
            .iter()
            .map(|s| s.as_str().expect("str").to_owned())
            .collect();
        (table, v[1].clone())
    }

    #[test]
    fn strings_are_written_once_and_spans_point_at_them() {
        let c = chunk(3);
        let mut e = V05Encoder::new(usize::MAX);
        assert!(e.push(&c));
        let (table, traces) = decode(&e.finish());
        assert_eq!(table, ["", "svc", "op", "res", "env", "test", "m"]);
        let span = &traces[0][1];
        assert_eq!(span.as_array().map(Vec::len), Some(12));
        let at = |i: usize| table[span[i].as_u64().expect("index") as usize].clone();
        assert_eq!(
            (at(0), at(1), at(2)),
            ("svc".into(), "op".into(), "res".into())
        );
        assert_eq!(span[5].as_u64(), Some(1));
        assert_eq!(span[11].as_u64(), Some(0)); // no type: ""
        let metrics = span[10].as_map().expect("metrics");
        assert_eq!(metrics[0].1, Value::F64(1.5));
    }

    #[test]
    fn a_refused_trace_leaves_no_strings_behind() {
        let small = chunk(1);
        let mut big = chunk(1);
        big.spans[0].set_meta("big".into(), "x".repeat(500).into());
        let mut e = V05Encoder::new(200);
        assert!(e.push(&small));
        assert!(!e.push(&big));
        let body = e.finish();
        assert!(body.len() <= 200);
        let (table, traces) = decode(&body);
        assert!(!table.iter().any(|s| s == "big"));
        assert_eq!(traces.as_array().map(Vec::len), Some(1));
        // The encoder is reusable: the next payload starts with a fresh table.
        assert!(e.push(&small));
        let (table, _) = decode(&e.finish());
        assert_eq!(table[0], "");
        assert_eq!(table.len(), 7);
    }
}
