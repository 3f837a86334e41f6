//! Encoding throughput: 100 traces of 10 realistically tagged spans per payload, as v0.4 and
//! v0.5. Reported per span (`spans` group, elements/s) and per byte written (`bytes` group).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddtrace_core::ApiVersion;
use ddtrace_writer::encode::encode_traces;

mod support;

fn encode(c: &mut Criterion) {
    let chunks: Vec<_> = (0..100).map(support::trace).collect();
    let spans: usize = chunks.iter().map(|c| c.spans.len()).sum();
    for api in [ApiVersion::V04, ApiVersion::V05] {
        let bytes = encode_traces(api, &chunks).len();
        let mut g = c.benchmark_group(format!("encode_{}", api.as_str()));
        g.throughput(Throughput::Elements(spans as u64));
        g.bench_function("spans", |b| {
            b.iter(|| encode_traces(api, black_box(&chunks)))
        });
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("bytes", |b| {
            b.iter(|| encode_traces(api, black_box(&chunks)))
        });
        g.finish();
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
