//! What `#[traced]` costs: a traced function against the same function without the attribute,
//! with tracing disabled (no global tracer: the state of a program that never called `init`)
//! and enabled (a global tracer whose exporter drops every trace).
//!
//! The global tracer can be installed once per process, so the disabled group runs first.
//!
//! ```text
//! cargo bench -p ddtrace-macros --bench traced
//! ```

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace::{Config, Tracer, traced};

#[inline(never)]
fn plain(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[traced]
#[inline(never)]
fn traced_plain(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[traced(tags(x), err)]
#[inline(never)]
fn traced_tags_err(x: u64) -> Result<u64, std::fmt::Error> {
    Ok(black_box(x).wrapping_mul(3))
}

// Not `#[inline(never)]`, for the reason given on `run`.
async fn plain_async(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[traced]
async fn traced_async(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Polls a future that completes at once. Inlined, so that the future is built where it is
/// polled: moving a freshly built future into another function's frame stalls on its state
/// byte, which costs more than what is being measured.
#[inline(always)]
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benchmarked futures never wait"),
    }
}

fn functions(c: &mut Criterion, group: &str) {
    let mut group = c.benchmark_group(group);
    group.bench_function("plain fn", |b| b.iter(|| plain(black_box(7))));
    group.bench_function("traced fn", |b| b.iter(|| traced_plain(black_box(7))));
    group.bench_function("traced fn, tags and err", |b| {
        b.iter(|| traced_tags_err(black_box(7)))
    });
    group.bench_function("plain async fn", |b| {
        b.iter(|| run(plain_async(black_box(7))))
    });
    group.bench_function("traced async fn", |b| {
        b.iter(|| run(traced_async(black_box(7))))
    });
    group.finish();
}

fn disabled(c: &mut Criterion) {
    assert!(!ddtrace::tracer().is_enabled());
    functions(c, "disabled");
}

fn enabled(c: &mut Criterion) {
    let tracer = Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .build();
    let _ = ddtrace::set_global_tracer(tracer);
    assert!(ddtrace::tracer().is_enabled());
    functions(c, "enabled");
}

criterion_group!(benches, disabled, enabled);
criterion_main!(benches);
