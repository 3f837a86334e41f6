//! The writer hands the span buffers of the chunks it has sent back to new traces, keeps no
//! more of them than a quarter of its buffer bound, and frees them once nobody takes them.

mod support;

use std::mem::size_of;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddtrace_core::export::{Exporter, TraceChunk};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{ApiVersion, Config, SpanData, SpanId, TraceId, Tracer};
use ddtrace_writer::AgentWriter;
use support::FakeAgent;

/// A long interval, so that kept buffers are only freed where a test asks for it (a flush
/// still runs a send cycle at once).
fn config(url: &str) -> ddtrace_core::ConfigBuilder {
    Config::builder_without_env()
        .service("buffers")
        .agent_url(url)
        .api_version(ApiVersion::V04)
        .writer_interval(Duration::from_secs(60))
}

/// A chunk of `spans` spans in a buffer with room for `capacity`.
fn chunk(spans: usize, capacity: usize) -> TraceChunk {
    let trace_id = TraceId(u128::from(ddtrace_core::id::random_u64()));
    let mut buffer = Vec::with_capacity(capacity);
    buffer.extend((0..spans).map(|i| SpanData {
        trace_id,
        span_id: SpanId(i as u64 + 1),
        name: "op".into(),
        service: "buffers".into(),
        resource: "res".into(),
        start: 1,
        duration: 1,
        ..Default::default()
    }));
    TraceChunk {
        trace_id,
        priority: None,
        spans: buffer,
    }
}

/// Takes every buffer the writer keeps; returns their capacities.
fn take_all(w: &AgentWriter) -> Vec<usize> {
    std::iter::from_fn(|| w.span_buffer())
        .map(|b| {
            assert!(b.is_empty(), "a reused buffer must come back empty");
            b.capacity()
        })
        .collect()
}

#[test]
fn sent_chunks_give_their_buffers_to_new_traces() {
    let agent = FakeAgent::healthy();
    let w = AgentWriter::new(&config(&agent.url).build(), Arc::new(AgentRates::new()));
    assert!(w.span_buffer().is_none(), "nothing sent yet");
    for _ in 0..20 {
        w.export(chunk(3, 12));
    }
    w.flush(Duration::from_secs(10)).expect("flush");
    assert_eq!(w.stats().spans_sent, 60);
    assert_eq!(take_all(&w), vec![12; 20]);
    w.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn kept_buffers_stay_within_a_quarter_of_the_buffer_bound() {
    let agent = FakeAgent::healthy();
    let bound = 256 * 1024;
    let w = AgentWriter::new(
        &config(&agent.url).writer_buffer_size_bytes(bound).build(),
        Arc::new(AgentRates::new()),
    );
    for _ in 0..10 {
        for _ in 0..20 {
            w.export(chunk(2, 10));
        }
        w.flush(Duration::from_secs(10)).expect("flush");
    }
    assert_eq!(w.stats().traces_sent, 200);
    let kept = take_all(&w);
    let bytes: usize = kept.iter().map(|c| c * size_of::<SpanData>()).sum();
    assert!(!kept.is_empty());
    assert!(
        bytes <= bound / 4,
        "{bytes} bytes kept for a {bound}-byte bound"
    );
    // 10-span buffers of 544 bytes: a 64 KiB quarter holds 12 of them.
    assert_eq!(kept.len(), bound / 4 / (10 * size_of::<SpanData>()));
    w.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn buffers_nobody_takes_are_freed_after_an_interval() {
    let agent = FakeAgent::healthy();
    let w = AgentWriter::new(
        &config(&agent.url)
            .writer_interval(Duration::from_millis(50))
            .build(),
        Arc::new(AgentRates::new()),
    );
    for _ in 0..10 {
        w.export(chunk(1, 4));
    }
    w.flush(Duration::from_secs(10)).expect("flush");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Peek without taking: a take would count as use and keep the rest alive.
        std::thread::sleep(Duration::from_millis(50));
        if w.stats().spare_span_buffers == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "idle buffers were never freed");
    }
    assert!(w.span_buffer().is_none());
    w.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn a_tracer_reuses_the_buffers_its_writer_sent() {
    let agent = FakeAgent::healthy();
    let writer = Arc::new(AgentWriter::new(
        &config(&agent.url).build(),
        Arc::new(AgentRates::new()),
    ));
    let tracer = Tracer::builder()
        .config(config(&agent.url).build())
        .exporter_arc(writer.clone())
        .build();
    let trace = || {
        let _root = tracer.trace("root").start();
        let _child = tracer.trace("child").start();
    };
    for _ in 0..5 {
        trace();
    }
    writer.flush(Duration::from_secs(10)).expect("flush");
    assert_eq!(writer.stats().spare_span_buffers, 5);
    trace();
    assert_eq!(
        writer.stats().spare_span_buffers,
        4,
        "the new trace took a kept buffer"
    );
    writer.flush(Duration::from_secs(10)).expect("flush");
    assert_eq!(writer.stats().spans_sent, 12);
    writer.shutdown(Duration::from_secs(5)).expect("shutdown");
}
