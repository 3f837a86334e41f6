//! Realistic traces for the writer's benchmarks: a web request with nine children (database
//! queries, cache calls, an outgoing HTTP call), tagged as the integrations tag them.

use ddtrace_core::export::TraceChunk;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{SpanId, Str, TraceId};

pub fn trace(seed: u64) -> TraceChunk {
    let trace_id = TraceId::from_parts(
        0x6b06_785a_0000_0000,
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
    );
    let root_id = SpanId(seed | 1);
    let mut spans = Vec::with_capacity(10);
    let mut root = span(
        trace_id,
        root_id,
        SpanId::NONE,
        "http.request",
        "GET /users/{id}",
        "web",
    );
    for (k, v) in [
        ("http.method", "GET"),
        (
            "http.url",
            "https://shop.example.com/users/42?expand=orders",
        ),
        ("http.route", "/users/{id}"),
        ("http.status_code", "200"),
        (
            "http.useragent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        ),
        ("component", "axum"),
        ("span.kind", "server"),
        ("env", "prod"),
        ("version", "1.4.2"),
        ("language", "rust"),
        ("runtime-id", "5f1e4c3b2a1d4e8f9a0b1c2d3e4f5a6b"),
        ("_dd.p.dm", "-0"),
        ("_dd.p.tid", "6b06785a00000000"),
    ] {
        root.meta.push((Str::from(k), Str::from(v)));
    }
    for (k, v) in [
        ("_dd.top_level", 1.0),
        ("_sampling_priority_v1", 1.0),
        ("process_id", 4242.0),
    ] {
        root.metrics.push((Str::from(k), v));
    }
    spans.push(root);
    for i in 0..9u64 {
        let id = SpanId(seed.wrapping_add(i + 2) | 1);
        let mut s = match i % 3 {
            0 => {
                let mut s = span(
                    trace_id,
                    id,
                    root_id,
                    "postgresql.query",
                    "SELECT * FROM orders WHERE user_id = $1",
                    "sql",
                );
                s.meta.push(("db.system".into(), "postgresql".into()));
                s.meta.push(("db.name".into(), "shop".into()));
                s.meta.push(("db.user".into(), "app".into()));
                s.meta.push(("out.host".into(), "db.internal".into()));
                s.metrics.push(("db.row_count".into(), 12.0));
                s
            }
            1 => {
                let mut s = span(trace_id, id, root_id, "redis.command", "GET", "redis");
                s.meta.push(("db.system".into(), "redis".into()));
                s.meta.push((
                    "redis.raw_command".into(),
                    Str::from(format!("GET user:{seed}:profile")),
                ));
                s.meta.push(("out.host".into(), "cache.internal".into()));
                s.metrics.push(("network.destination.port".into(), 6379.0));
                s
            }
            _ => {
                let mut s = span(
                    trace_id,
                    id,
                    root_id,
                    "http.request",
                    "POST /v1/charge",
                    "http",
                );
                s.meta.push(("http.method".into(), "POST".into()));
                s.meta.push((
                    "http.url".into(),
                    "https://payments.example.com/v1/charge".into(),
                ));
                s.meta.push(("http.status_code".into(), "201".into()));
                s.meta.push(("span.kind".into(), "client".into()));
                s
            }
        };
        s.meta.push(("env".into(), "prod".into()));
        s.meta.push(("component".into(), "sqlx".into()));
        spans.push(s);
    }
    TraceChunk {
        trace_id,
        priority: None,
        spans,
    }
}

fn span(
    trace_id: TraceId,
    id: SpanId,
    parent: SpanId,
    name: &'static str,
    resource: &'static str,
    ty: &'static str,
) -> SpanData {
    SpanData {
        trace_id,
        span_id: id,
        parent_id: parent,
        name: name.into(),
        service: Str::shared("shop-api"),
        resource: resource.into(),
        span_type: ty.into(),
        start: 1_764_000_000_000_000_000 + id.0 as i64 % 1_000_000,
        duration: 1_234_567,
        ..Default::default()
    }
}
