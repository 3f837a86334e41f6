//! Propagation: inject and extract for each style, on an `http::HeaderMap` (what servers and
//! clients hold) and a `HashMap<String, String>`.
//!
//! The context is a typical continued trace: 128-bit id, priority, origin, two `_dd.p.*` tags,
//! a vendor's tracestate entry and two baggage items.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ddtrace_core::propagation::{Extractor, Injector, PropagationStyle, Propagator};
use ddtrace_core::sampling::SamplingPriority;
use ddtrace_core::{SpanContext, SpanId, TraceId};

const STYLES: [PropagationStyle; 5] = [
    PropagationStyle::Datadog,
    PropagationStyle::TraceContext,
    PropagationStyle::B3Multi,
    PropagationStyle::B3Single,
    PropagationStyle::Baggage,
];

fn context() -> SpanContext {
    let mut ctx = SpanContext::new(
        TraceId(0x6b06_785a_0000_0000_a3ce_929d_0e0e_4736),
        SpanId(0x00f0_67aa_0ba9_02b7),
    );
    ctx.sampling_priority = Some(SamplingPriority::USER_KEEP);
    ctx.set_origin("synthetics");
    ctx.set_trace_tag("_dd.p.dm", "-4");
    ctx.set_trace_tag("_dd.p.usr.id", "dXNlcg==");
    ctx.set_root_tag("tracestate", "dd=s:2;o:synthetics,congo=t61rcWkgMzE");
    ctx.set_baggage_item("user.id", "alice");
    ctx.set_baggage_item("session.id", "s 1");
    ctx
}

fn headers_for(style: PropagationStyle) -> http::HeaderMap {
    let propagator = Propagator::new([], [style]);
    let mut headers = http::HeaderMap::new();
    propagator.inject_context(&mut context(), &mut headers);
    headers
}

fn inject<C: Injector + Default>(c: &mut Criterion, carrier: &str) {
    let mut group = c.benchmark_group(format!("inject/{carrier}"));
    for style in STYLES {
        let propagator = Propagator::new([], [style]);
        let ctx = context();
        group.bench_function(BenchmarkId::from_parameter(style), |b| {
            b.iter(|| {
                // A fresh carrier and context per call, as for each outgoing request.
                let mut out = C::default();
                let mut ctx = ctx.clone();
                propagator.inject_context(&mut ctx, &mut out);
                black_box(out)
            })
        });
    }
    group.finish();
}

fn extract<C: Extractor>(c: &mut Criterion, carrier: &str, convert: impl Fn(http::HeaderMap) -> C) {
    let mut group = c.benchmark_group(format!("extract/{carrier}"));
    for style in STYLES {
        let propagator = Propagator::new([style], []);
        let headers = convert(headers_for(style));
        group.bench_function(BenchmarkId::from_parameter(style), |b| {
            b.iter(|| black_box(propagator.extract(black_box(&headers))))
        });
    }
    // The default configuration on a request that carries all of its headers.
    let propagator = Propagator::default();
    let mut all = headers_for(PropagationStyle::Datadog);
    all.extend(headers_for(PropagationStyle::TraceContext));
    all.extend(headers_for(PropagationStyle::Baggage));
    let all = convert(all);
    group.bench_function(BenchmarkId::from_parameter("default-styles"), |b| {
        b.iter(|| black_box(propagator.extract(black_box(&all))))
    });
    group.finish();
}

fn to_hash_map(headers: http::HeaderMap) -> HashMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    inject::<http::HeaderMap>(c, "header_map");
    inject::<HashMap<String, String>>(c, "hash_map");
    extract(c, "header_map", |h| h);
    extract(c, "hash_map", to_hash_map);
}

criterion_group!(propagation, benches);
criterion_main!(propagation);
