//! The active span across `.await`s and tokio tasks, without leaking into unrelated tasks.

mod support;

use std::time::Duration;

use ddtrace_core::{Instrument, SpanId, active_span};
use support::{by_name, tracer};

#[tokio::test(flavor = "current_thread")]
async fn a_span_stays_active_across_awaits() {
    let (t, exp) = tracer();
    let t2 = t.clone();
    async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let _c = t2.trace("after-await").start();
        tokio::task::yield_now().await;
        let _g = t2.trace("nested-after-await").start();
    }
    .instrument(t.trace("request"))
    .await;
    let spans = exp.spans();
    let root = by_name(&spans, "request");
    assert_eq!(by_name(&spans, "after-await").parent_id, root.span_id);
    assert_eq!(
        by_name(&spans, "nested-after-await").parent_id,
        by_name(&spans, "after-await").span_id
    );
    assert_eq!(exp.chunks().len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_tasks_on_one_thread_do_not_see_each_others_spans() {
    let (t, exp) = tracer();
    let task = |name: &'static str, child: &'static str| {
        let t2 = t.clone();
        async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            // A span started with start() inside an instrumented future, held across an await.
            let held = t2.trace(child).start();
            tokio::task::yield_now().await;
            let _leaf = t2.trace("leaf").start();
            drop(held);
        }
        .instrument(t.trace(name))
    };
    let a = tokio::spawn(task("task-a", "child-a"));
    let b = tokio::spawn(task("task-b", "child-b"));
    // Meanwhile the test's own task sees no active span at all.
    for _ in 0..5 {
        assert!(!active_span().is_recording());
        tokio::task::yield_now().await;
    }
    a.await.unwrap();
    b.await.unwrap();
    let spans = exp.spans();
    let (ta, tb) = (by_name(&spans, "task-a"), by_name(&spans, "task-b"));
    assert_ne!(ta.trace_id, tb.trace_id);
    assert_eq!(by_name(&spans, "child-a").parent_id, ta.span_id);
    assert_eq!(by_name(&spans, "child-b").parent_id, tb.span_id);
    let leaves: Vec<_> = spans.iter().filter(|s| s.name == "leaf").collect();
    assert_eq!(leaves.len(), 2);
    let child_ids = [
        by_name(&spans, "child-a").span_id,
        by_name(&spans, "child-b").span_id,
    ];
    assert!(leaves.iter().all(|l| child_ids.contains(&l.parent_id)));
    assert_ne!(leaves[0].trace_id, leaves[1].trace_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_carries_the_active_span_into_the_new_task() {
    let (t, exp) = tracer();
    let t2 = t.clone();
    async move {
        let t3 = t2.clone();
        ddtrace_core::spawn(async move {
            tokio::task::yield_now().await;
            let _c = t3.trace("spawned").start();
        })
        .await
        .unwrap();
        let t4 = t2.clone();
        ddtrace_core::spawn_blocking(move || drop(t4.trace("blocking").start()))
            .await
            .unwrap();
        // Plain tokio::spawn does not carry it.
        let t5 = t2.clone();
        tokio::spawn(async move { drop(t5.trace("plain").start()) })
            .await
            .unwrap();
    }
    .instrument(t.trace("parent"))
    .await;
    let spans = exp.spans();
    let parent = by_name(&spans, "parent");
    assert_eq!(by_name(&spans, "spawned").parent_id, parent.span_id);
    assert_eq!(by_name(&spans, "blocking").parent_id, parent.span_id);
    assert_eq!(by_name(&spans, "plain").parent_id, SpanId::NONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instrumented_span_finishes_when_the_future_completes_or_is_dropped() {
    let (t, exp) = tracer();
    let never = std::future::pending::<()>().instrument(t.trace("cancelled"));
    let _ = tokio::time::timeout(Duration::from_millis(5), never).await;
    async {}.instrument(t.trace("done")).await;
    let spans = exp.spans();
    assert_eq!(spans.len(), 2);
    by_name(&spans, "cancelled");
    by_name(&spans, "done");
}

#[tokio::test(flavor = "current_thread")]
async fn a_started_span_handed_to_instrument_is_not_left_active_outside() {
    let (t, exp) = tracer();
    let span = t.trace("handed").start();
    let fut = async {}.instrument(span);
    assert!(
        !active_span().is_recording(),
        "instrument takes the span off this stack"
    );
    let other = t.trace("other").start();
    drop(other);
    fut.await;
    assert_eq!(by_name(&exp.spans(), "other").parent_id, SpanId::NONE);
}
