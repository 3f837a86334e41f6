//! The cost of `AgentWriter::export()` on the application's thread for one 10-span trace:
//! the size estimate, the buffer's lock and the counters. Encoding and I/O happen on the
//! writer's thread and are not part of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddtrace_core::Config;
use ddtrace_core::export::Exporter;
use ddtrace_core::sampling::AgentRates;
use ddtrace_writer::AgentWriter;

mod support;

fn enqueue(c: &mut Criterion) {
    // A buffer large enough never to refuse, an interval long enough never to send: the
    // bench drains the buffer itself between timed batches.
    let config = Config::builder_without_env()
        .agent_url("http://127.0.0.1:9")
        .writer_interval(Duration::from_secs(3600))
        .writer_buffer_size_bytes(1 << 30)
        .writer_max_payload_size_bytes(1 << 30)
        .build();
    let writer = AgentWriter::new(&config, Arc::new(AgentRates::new()));
    let template = support::trace(7);
    let mut g = c.benchmark_group("enqueue");
    g.throughput(Throughput::Elements(1));
    g.bench_function("export_10_span_trace", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                // Small batches: a trace that has just finished is in the cache, as these are.
                let n = (iters - done).min(16);
                let chunks: Vec<_> = (0..n).map(|_| template.clone()).collect();
                let start = Instant::now();
                for chunk in chunks {
                    writer.export(chunk);
                }
                total += start.elapsed();
                writer.discard_buffered();
                done += n;
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, enqueue);
criterion_main!(benches);
