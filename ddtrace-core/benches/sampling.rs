//! The sampling decision for one trace's local root: a rule matching (after three that do not),
//! the agent's rate, and the default keep; plus single-span sampling of a dropped chunk.
//!
//! Run with `cargo bench -p ddtrace-core --bench sampling`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace_core::sampling::{
    AgentRates, DatadogSampler, RateLimiter, Sampler, SamplingPriority, SamplingRule, SpanSampler,
};
use ddtrace_core::{SpanData, SpanId, TraceId};

fn root() -> SpanData {
    let mut root = SpanData {
        service: "web-api".into(),
        name: "http.request".into(),
        resource: "GET /users/{id}".into(),
        ..Default::default()
    };
    root.set_meta("env".into(), "prod".into());
    root.set_meta("http.method".into(), "GET".into());
    root.set_meta("http.status_code".into(), "200".into());
    root.set_metric("retries".into(), 0.0);
    root
}

fn rules() -> Vec<SamplingRule> {
    vec![
        SamplingRule::new(0.0).resource("GET /health*"),
        SamplingRule::new(0.1).service("batch-*"),
        SamplingRule::new(1.0).tag("http.status_code", "5??"),
        SamplingRule::new(0.5)
            .service("web-*")
            .name("http.*")
            .tag("http.method", "GET"),
    ]
}

fn decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampling_decision");
    let root = root();
    let mut id = 0u64;

    // A negative limit: the bench measures matching, not the limiter denying after the burst.
    let by_rule = DatadogSampler::new(Arc::new(AgentRates::new()))
        .with_rules(rules())
        .with_rate_limit(-1.0);
    group.bench_function("rule_matched", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            black_box(by_rule.decide(TraceId(u128::from(id)), black_box(&root)))
        })
    });

    let limited = DatadogSampler::new(Arc::new(AgentRates::new()))
        .with_rules(rules())
        .with_rate_limit(1e12);
    group.bench_function("rule_matched_with_limiter", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            black_box(limited.decide(TraceId(u128::from(id)), black_box(&root)))
        })
    });

    let rates = Arc::new(AgentRates::new());
    rates.update(HashMap::from([
        (AgentRates::key("web-api", "prod"), 0.5),
        (AgentRates::key("", ""), 1.0),
    ]));
    let by_agent = DatadogSampler::new(rates);
    group.bench_function("agent_rate", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            black_box(by_agent.decide(TraceId(u128::from(id)), black_box(&root)))
        })
    });

    let by_default = DatadogSampler::new(Arc::new(AgentRates::new()));
    group.bench_function("default", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            black_box(by_default.decide(TraceId(u128::from(id)), black_box(&root)))
        })
    });
    group.finish();
}

fn limiter(c: &mut Criterion) {
    // Never empties: measures the clock read and the two compare-and-swaps.
    let limiter = RateLimiter::new(1e12);
    c.bench_function("rate_limiter_is_allowed", |b| {
        b.iter(|| black_box(limiter.is_allowed()))
    });
}

fn span_sampling(c: &mut Criterion) {
    let parsed = SpanSampler::parse(
        r#"[{"service": "db", "name": "postgres.*"}, {"name": "redis.*", "sample_rate": 0.5}]"#,
    );
    let sampler = SpanSampler::new(parsed.rules);
    let spans: Vec<SpanData> = (0..10u64)
        .map(|i| SpanData {
            span_id: SpanId(i + 1),
            service: if i % 2 == 0 { "db" } else { "web-api" }.into(),
            name: if i % 2 == 0 {
                "postgres.query"
            } else {
                "redis.get"
            }
            .into(),
            start: i as i64,
            ..Default::default()
        })
        .collect();
    c.bench_function("span_sampling_dropped_chunk_of_10", |b| {
        b.iter_batched_ref(
            || spans.clone(),
            |spans| sampler.sample(SamplingPriority::AUTO_REJECT, spans),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, decision, limiter, span_sampling);
criterion_main!(benches);
