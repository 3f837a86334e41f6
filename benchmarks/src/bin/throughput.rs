//! End-to-end throughput: one thread makes 10-span traces (the span-lifecycle workload) as
//! fast as it can for a fixed time, the tracer's background export sends them to the
//! in-process sink, and the run ends when the sink has everything or stops receiving.
//!
//! One tracer per process, so that the peak RSS (`VmHWM`) is that tracer's own.
//!
//! ```text
//! throughput <tracer> [--seconds S] [--buffer-bytes N] [--max-payload-bytes N] [--api v04|v05]
//! ```
//!
//! Prints one JSON object: traces and spans made and received, spans/s made and delivered,
//! drops, the RSS before the load and the peak during it.

#![allow(deprecated)] // opentelemetry-datadog

use std::time::{Duration, Instant};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ddtrace_benchmarks::sink::Sink;
use ddtrace_benchmarks::{dd_otel, memory_kib, otel_dd, ours, tracing_dd};
use ddtrace_core::ApiVersion;
use ddtrace_core::export::Exporter as _;

/// Makes traces until `seconds` have passed; returns how many, when it started, how long.
fn produce(seconds: f64, mut one: impl FnMut()) -> (u64, Instant, Duration) {
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    loop {
        for _ in 0..64 {
            one();
        }
        n += 64;
        if start.elapsed() >= limit {
            return (n, start, start.elapsed());
        }
    }
}

/// Waits until the sink has `expected` spans, or nothing new came for `idle`.
fn drain(sink: &Sink, expected: u64, idle: Duration) -> Instant {
    let mut last = sink.spans();
    let mut last_change = Instant::now();
    loop {
        let now = sink.spans();
        if now >= expected {
            return Instant::now();
        }
        if now != last {
            last = now;
            last_change = Instant::now();
        } else if last_change.elapsed() >= idle {
            return last_change;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tracer = args.next().unwrap_or_else(|| "ddtrace".into());
    let mut seconds = 3.0;
    let mut buffer: Option<usize> = None;
    let mut max_payload: Option<usize> = None;
    let mut api = ApiVersion::V05;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()).unwrap_or(3.0),
            "--buffer-bytes" => buffer = args.next().and_then(|v| v.parse().ok()),
            // ddtrace only: DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES (default 20 MiB).
            "--max-payload-bytes" => max_payload = args.next().and_then(|v| v.parse().ok()),
            "--api" => {
                api = match args.next().as_deref() {
                    Some("v04") => ApiVersion::V04,
                    _ => ApiVersion::V05,
                }
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let sink = Sink::start();
    // tracing-datadog and the OTel batch processors flush on a timer (1 s, 5 s): 6 s of
    // silence means everything that was going to arrive has arrived.
    let idle = Duration::from_secs(6);

    let mut dropped_by_tracer: Option<u64> = None;
    let (rss_before, made, started, made_for, end) = match tracer.as_str() {
        "ddtrace" => {
            let (t, writer) = ours::tracer(&sink.url(), api, buffer, max_payload);
            let (_, rss) = memory_kib();
            let (n, s, d) = produce(seconds, || ours::trace_of_ten(&t));
            let _ = writer.flush(Duration::from_secs(30));
            let end = drain(&sink, n * 10, idle);
            let stats = writer.stats();
            dropped_by_tracer = Some(stats.traces_dropped.total());
            (rss, n, s, d, end)
        }
        "datadog-opentelemetry" => {
            use opentelemetry::trace::TracerProvider;
            let (p, _) = dd_otel::provider(&sink.url(), None);
            let t = p.tracer("bench");
            let (_, rss) = memory_kib();
            let (n, s, d) = produce(seconds, || dd_otel::trace_of_ten(&t));
            let _ = p.force_flush();
            let end = drain(&sink, n * 10, idle);
            let _ = p.shutdown_with_timeout(Duration::from_secs(5));
            (rss, n, s, d, end)
        }
        "opentelemetry-datadog" => {
            use opentelemetry_032::trace::TracerProvider;
            let p = otel_dd::provider(&sink.url());
            let t = p.tracer("bench");
            let (_, rss) = memory_kib();
            let (n, s, d) = produce(seconds, || otel_dd::trace_of_ten(&t));
            let _ = p.force_flush();
            let end = drain(&sink, n * 10, idle);
            let _ = p.shutdown_with_timeout(Duration::from_secs(5));
            (rss, n, s, d, end)
        }
        "tracing-datadog" => {
            tracing::subscriber::set_global_default(tracing_dd::subscriber(&sink.host_port()))
                .expect("first subscriber");
            let (_, rss) = memory_kib();
            let (n, s, d) = produce(seconds, tracing_dd::trace_of_ten);
            let end = drain(&sink, n * 10, idle);
            (rss, n, s, d, end)
        }
        other => panic!("unknown tracer {other}"),
    };
    let (hwm, _) = memory_kib();
    let received = sink.traces();
    let spans_received = sink.spans();
    let spans_made = made * 10;
    // From the first span made to the last trace the sink received.
    let delivered_for = end.saturating_duration_since(started).max(made_for);
    println!(
        "{}",
        serde_json::json!({
            "tracer": tracer,
            "api": api.as_str(),
            "buffer_bytes": buffer,
            "max_payload_bytes": max_payload,
            "seconds": seconds,
            "traces_made": made,
            "traces_received": received,
            "traces_dropped": made.saturating_sub(received),
            "traces_counted_from_headers": "X-Datadog-Trace-Count; a trace split over two payloads counts twice",
            "traces_dropped_counted_by_tracer": dropped_by_tracer,
            "spans_per_sec_made": (made * 10) as f64 / made_for.as_secs_f64(),
            "spans_made": spans_made,
            "spans_received": spans_received,
            "spans_dropped": spans_made.saturating_sub(spans_received),
            "undecodable_payloads": sink.counters().undecodable.load(std::sync::atomic::Ordering::Relaxed),
            "spans_per_sec_delivered": spans_received as f64 / delivered_for.as_secs_f64(),
            "delivered_secs": delivered_for.as_secs_f64(),
            "rss_before_kib": rss_before,
            "peak_rss_kib": hwm,
        })
    );
}
