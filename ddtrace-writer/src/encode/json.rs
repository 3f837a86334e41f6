//! Span links and events as the JSON strings the meta map carries (`_dd.span_links`, `events`)
//! where the payload format has no native field for them.

use ddtrace_core::span_data::{SpanEvent, SpanLink};
use serde_json::{Map, Value, json};

fn attributes(pairs: &[(ddtrace_core::Str, ddtrace_core::Str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect::<Map<_, _>>(),
    )
}

/// `[{"trace_id": "<32 hex>", "span_id": "<16 hex>", "attributes": {..}, "tracestate": .., "flags": ..}]`
pub(crate) fn links(links: &[SpanLink]) -> String {
    let list: Vec<Value> = links
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("trace_id".into(), json!(l.trace_id.to_hex32()));
            m.insert("span_id".into(), json!(l.span_id.to_hex16()));
            if !l.attributes.is_empty() {
                m.insert("attributes".into(), attributes(&l.attributes));
            }
            if let Some(ts) = &l.tracestate {
                m.insert("tracestate".into(), json!(ts));
            }
            if let Some(flags) = l.flags {
                m.insert("flags".into(), json!(flags));
            }
            Value::Object(m)
        })
        .collect();
    Value::Array(list).to_string()
}

/// `[{"name": .., "time_unix_nano": .., "attributes": {..}}]`
pub(crate) fn events(events: &[SpanEvent]) -> String {
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("name".into(), json!(e.name.as_str()));
            m.insert("time_unix_nano".into(), json!(e.time_unix_nano));
            if !e.attributes.is_empty() {
                m.insert("attributes".into(), attributes(&e.attributes));
            }
            Value::Object(m)
        })
        .collect();
    Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::{SpanId, TraceId};

    #[test]
    fn links_use_hex_ids() {
        let mut l = SpanLink::new(TraceId(1), SpanId(2));
        l.attributes
            .push(("reason".into(), "terminated_context".into()));
        l.flags = Some(1);
        let v: Value = serde_json::from_str(&links(&[l])).expect("json");
        assert_eq!(v[0]["trace_id"], "00000000000000000000000000000001");
        assert_eq!(v[0]["span_id"], "0000000000000002");
        assert_eq!(v[0]["attributes"]["reason"], "terminated_context");
        assert_eq!(v[0]["flags"], 1);
    }

    #[test]
    fn events_are_valid_json() {
        let e = SpanEvent {
            name: "exception".into(),
            time_unix_nano: 5,
            attributes: vec![("exception.message".into(), "boom \"quoted\"".into())],
        };
        let v: Value = serde_json::from_str(&events(&[e])).expect("json");
        assert_eq!(v[0]["name"], "exception");
        assert_eq!(v[0]["attributes"]["exception.message"], "boom \"quoted\"");
    }
}
