//! Span lifecycle: a root and 9 children with a few tags each, started, tagged and finished.
//!
//! Reported per trace (10 spans); divide by 10 for the per-span figure. Finished chunks go to
//! another thread as the agent writer takes them (pushed under a lock, drained by the writer's
//! thread, which empties them and hands their span buffers back for new traces), so the
//! figure is the cost on the application's thread.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddtrace_core::export::{Exporter, SpanBufferPool, TraceChunk};
use ddtrace_core::{Config, SpanData, Tracer};

/// Hands chunks to a thread, as `ddtrace-writer` does: `export` pushes the chunk into a buffer
/// under a lock, and the writer's thread drains the buffer on its own schedule (here every
/// millisecond) rather than being woken for every trace, then gives the chunks' span buffers
/// to a [`SpanBufferPool`] that new traces take theirs from.
struct OffThreadSink {
    buffer: Arc<Mutex<Vec<TraceChunk>>>,
    spare: Arc<SpanBufferPool>,
}

impl OffThreadSink {
    fn start() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::<TraceChunk>::new()));
        // A quarter of the writer's default 20 MiB bound, as the writer keeps.
        let spare = Arc::new(SpanBufferPool::new(5 << 20));
        let drained = Arc::downgrade(&buffer);
        let pool = spare.clone();
        std::thread::spawn(move || {
            let mut batch = Vec::new();
            while let Some(buffer) = drained.upgrade() {
                std::mem::swap(&mut batch, &mut *buffer.lock().unwrap());
                drop(buffer);
                batch.drain(..).for_each(|c| pool.give(black_box(c).spans));
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        OffThreadSink { buffer, spare }
    }
}

impl Exporter for OffThreadSink {
    fn export(&self, chunk: TraceChunk) {
        self.buffer.lock().unwrap().push(chunk);
    }

    fn span_buffer(&self) -> Option<Vec<SpanData>> {
        self.spare.take()
    }
}

/// Drops chunks on the thread that finished them.
struct DropInPlace;

impl Exporter for DropInPlace {
    fn export(&self, chunk: TraceChunk) {
        drop(black_box(chunk));
    }
}

fn tracer(enabled: bool) -> Tracer {
    Tracer::builder()
        .config(
            Config::builder_without_env()
                .service("bench")
                .env("prod")
                .enabled(enabled)
                .build(),
        )
        .exporter(OffThreadSink::start())
        .build()
}

fn trace_of_ten(t: &Tracer) {
    let root = t
        .trace("web.request")
        .resource("GET /users")
        .span_type("web")
        .start();
    root.set_tag("http.method", "GET");
    root.set_tag("http.status_code", 200);
    for i in 0..9 {
        let child = t
            .trace("db.query")
            .resource("SELECT 1")
            .span_type("sql")
            .start();
        child.set_tag("db.system", "postgresql");
        child.set_tag("db.row_count", i);
        child.set_tag("component", "bench");
    }
}

fn span_lifecycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("span_lifecycle");
    g.throughput(Throughput::Elements(10));
    let enabled = tracer(true);
    g.bench_function("root_plus_9_children", |b| {
        b.iter(|| trace_of_ten(&enabled))
    });
    // The same with chunks dropped where they finish: the cost without the hand-off (the
    // buffer's lock, and span buffers that come back from the other thread's cache), but with
    // the spans' drop, which the writer's thread does otherwise.
    let in_place = Tracer::builder()
        .config(
            Config::builder_without_env()
                .service("bench")
                .env("prod")
                .build(),
        )
        .exporter(DropInPlace)
        .build();
    g.bench_function("root_plus_9_children_dropped_in_place", |b| {
        b.iter(|| trace_of_ten(&in_place))
    });
    let disabled = tracer(false);
    g.bench_function("disabled_root_plus_9_children", |b| {
        b.iter(|| trace_of_ten(&disabled))
    });
    g.finish();

    // The same work on 2 threads at once: no lock is shared between traces, so the cost per
    // span should stay flat (on a machine with 2 free cores).
    let mut g = c.benchmark_group("span_lifecycle_2_threads");
    g.throughput(Throughput::Elements(20));
    g.bench_function("root_plus_9_children_x2", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    let t = enabled.clone();
                    s.spawn(move || {
                        for _ in 0..iters {
                            trace_of_ten(&t);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, span_lifecycle);
criterion_main!(benches);
