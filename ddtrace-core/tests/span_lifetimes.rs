//! How long a trace's record lives. A span handle holds no reference count of its own (the
//! trace's open spans share one), and a span activated by `start()` is on its thread's stack
//! through an entry that borrows it. These tests finish spans where that entry is out of reach
//! (on another thread, inside a future's stack, after the thread that held it exited), reopen
//! finished traces, and race partial flushes, and check that every span arrives, that the
//! active span stays right, and that no trace is leaked: the exporter, owned by the tracer
//! every trace holds, is dropped once the tracer is.
//!
//! They exercise the core's unsafe code: run them under Miri too
//! (`cargo +nightly miri test -p ddtrace-core --test span_lifetimes`).

mod support;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use ddtrace_core::export::{Exporter, InMemoryExporter, TraceChunk};
use ddtrace_core::{Config, ConfigBuilder, Instrument, SpanId, Tracer, active_span};
use support::by_name;

/// Exports into memory and records when it is dropped.
struct Watched {
    inner: InMemoryExporter,
    dropped: Arc<AtomicBool>,
}

impl Exporter for Watched {
    fn export(&self, chunk: TraceChunk) {
        self.inner.export(chunk);
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// A tracer, its spans, and a flag set once no trace holds the tracer any more.
fn watched_tracer() -> (Tracer, InMemoryExporter, Arc<AtomicBool>) {
    watched_tracer_with(|c| c)
}

fn watched_tracer_with(
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> (Tracer, InMemoryExporter, Arc<AtomicBool>) {
    let inner = InMemoryExporter::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let tracer = Tracer::builder()
        .config(configure(Config::builder_without_env().service("entries")).build())
        .exporter(Watched {
            inner: inner.clone(),
            dropped: dropped.clone(),
        })
        .build();
    (tracer, inner, dropped)
}

fn assert_no_trace_leaked(tracer: Tracer, dropped: &AtomicBool) {
    drop(tracer);
    assert!(
        dropped.load(Ordering::SeqCst),
        "a trace still holds the tracer: a stack entry leaked its share"
    );
}

#[test]
fn a_span_finished_on_another_thread_is_popped_from_the_thread_it_started_on() {
    let (t, exp, dropped) = watched_tracer();
    let root = t.trace("root").start();
    let child = t.trace("child").start();
    std::thread::spawn(move || drop(child)).join().unwrap();
    // The child's entry is still on this stack; it finished, so the root is current again.
    assert_eq!(active_span().span_id(), root.span_id());
    let sibling = t.trace("sibling").start();
    drop(sibling);
    drop(root);
    assert!(!active_span().is_recording());
    let spans = exp.spans();
    assert_eq!(spans.len(), 3);
    let root_id = by_name(&spans, "root").span_id;
    assert_eq!(by_name(&spans, "child").parent_id, root_id);
    assert_eq!(by_name(&spans, "sibling").parent_id, root_id);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_whole_trace_finished_elsewhere_is_released_by_the_stack_it_was_active_on() {
    let (t, exp, dropped) = watched_tracer();
    let root = t.trace("root").start();
    // The trace is complete and sent while its entry is still on this stack.
    std::thread::spawn(move || drop(root)).join().unwrap();
    assert_eq!(exp.spans().len(), 1);
    // Looking for the active span finds the entry finished and drops it.
    assert!(!active_span().is_recording());
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_span_outlives_the_thread_whose_stack_held_its_entry() {
    let (t, exp, dropped) = watched_tracer();
    let t2 = t.clone();
    let (span, child) = std::thread::spawn(move || {
        let span = t2.trace("moved").start();
        let child = t2.trace("child").start();
        // Both entries stay on this thread's stack, which is dropped when the thread exits.
        (span, child)
    })
    .join()
    .unwrap();
    span.set_tag("after", "exit");
    drop(child);
    drop(span);
    let spans = exp.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(by_name(&spans, "moved").meta("after"), Some("exit"));
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_span_finished_inside_a_future_releases_its_entry_when_the_thread_looks_again() {
    let (t, exp, dropped) = watched_tracer();
    let span = t.trace("outer").start();
    let id = span.span_id();
    let mut fut = Box::pin(
        async move {
            // The future's stack is swapped in: the span's entry is out of reach here.
            drop(span);
        }
        .in_current_span(),
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    drop(fut);
    assert_ne!(
        active_span().span_id(),
        id,
        "a finished span is not current"
    );
    let next = t.trace("next").start();
    drop(next);
    let spans = exp.spans();
    assert_eq!(by_name(&spans, "next").parent_id, SpanId::NONE);
    assert_eq!(spans.len(), 2);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_handle_taken_from_a_borrowed_entry_outlives_its_span() {
    let (t, exp, dropped) = watched_tracer();
    let span = t.trace("work").start();
    let handle = active_span();
    assert_eq!(handle.span_id(), span.span_id());
    drop(span);
    assert!(!handle.is_recording());
    handle.set_tag("too", "late");
    assert_eq!(exp.spans()[0].meta("too"), None);
    drop(handle);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn exiting_a_started_span_by_hand_keeps_it_alive_until_it_finishes() {
    let (t, exp, dropped) = watched_tracer();
    let span = t.trace("exited").start();
    // `exit` removes the borrowed entry without the span: the span must not think it is
    // still on a stack when it finishes elsewhere.
    span.exit();
    assert!(!active_span().is_recording());
    std::thread::spawn(move || drop(span)).join().unwrap();
    assert_eq!(exp.spans().len(), 1);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_started_span_handed_to_a_future_is_finished_by_it_once() {
    let (t, exp, dropped) = watched_tracer();
    let span = t.trace("handed").start();
    let mut fut = Box::pin(async { active_span().set_tag("inside", "yes") }.instrument(span));
    assert!(!active_span().is_recording());
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(()));
    drop(fut);
    let spans = exp.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].meta("inside"), Some("yes"));
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn threads_racing_to_finish_spans_their_origin_still_pops_lose_nothing() {
    let (t, exp, dropped) = watched_tracer();
    let (tx, rx) = std::sync::mpsc::channel();
    let finisher = std::thread::spawn(move || {
        for span in rx {
            drop(span);
        }
    });
    const TRACES: usize = 2_000;
    for _ in 0..TRACES {
        let root = t.trace("root").start();
        let child = t.trace("child").start();
        tx.send(child).unwrap();
        // Races the other thread: the child's entry is popped here, finished or not.
        let _ = active_span().span_id();
        tx.send(root).unwrap();
    }
    drop(tx);
    finisher.join().unwrap();
    assert!(!active_span().is_recording());
    assert_eq!(exp.spans().len(), 2 * TRACES);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn a_child_of_a_sent_span_reopens_its_trace() {
    let (t, exp, dropped) = watched_tracer();
    let root = t.trace("root").start();
    let handle = root.handle();
    drop(root);
    assert_eq!(exp.spans().len(), 1);
    // The record has no open span left; the late child opens it again from the handle.
    let late = t.trace("late").child_of_span(&handle).start();
    drop(handle);
    let grandchild = t.trace("grandchild").start();
    drop(grandchild);
    drop(late);
    let spans = exp.spans();
    assert_eq!(spans.len(), 3);
    let late = by_name(&spans, "late");
    assert_eq!(late.parent_id, by_name(&spans, "root").span_id);
    assert_eq!(late.trace_id, by_name(&spans, "root").trace_id);
    assert_eq!(by_name(&spans, "grandchild").parent_id, late.span_id);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn the_last_span_of_a_trace_can_finish_on_any_thread() {
    let (t, exp, dropped) = watched_tracer();
    let root = t.trace("root").start_detached();
    let children: Vec<_> = (0..4)
        .map(|_| t.trace("child").child_of_span(&root).start_detached())
        .collect();
    drop(root);
    let threads: Vec<_> = children
        .into_iter()
        .map(|c| std::thread::spawn(move || drop(c)))
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(exp.spans().len(), 5);
    assert_no_trace_leaked(t, &dropped);
}

#[test]
fn partial_flushes_racing_with_spans_finishing_elsewhere_lose_nothing() {
    let (t, exp, dropped) =
        watched_tracer_with(|c| c.partial_flush_enabled(true).partial_flush_min_spans(2));
    const SPANS: usize = 200;
    let root = t.trace("root").start_detached();
    let spans: Vec<_> = (0..SPANS)
        .map(|_| t.trace("child").child_of_span(&root).start_detached())
        .collect();
    let (a, b): (Vec<_>, Vec<_>) = spans.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let finish = |half: Vec<(usize, ddtrace_core::Span)>| {
        std::thread::spawn(move || half.into_iter().for_each(|(_, s)| drop(s)))
    };
    let (ta, tb) = (finish(a), finish(b));
    ta.join().unwrap();
    tb.join().unwrap();
    drop(root);
    assert_eq!(exp.spans().len(), SPANS + 1);
    assert_no_trace_leaked(t, &dropped);
}
