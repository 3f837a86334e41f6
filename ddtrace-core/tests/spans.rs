//! Span model, parenting in synchronous code and threads, tags, errors, trace assembly.

mod support;

use std::time::Duration;

use ddtrace_core::sampling::SamplingPriority;
use ddtrace_core::{SpanContext, SpanId, TraceId, active_span, spawn_thread};
use support::{by_name, tracer, tracer_with};

#[test]
fn nested_spans_parent_to_the_active_span_and_form_one_chunk() {
    let (t, exp) = tracer();
    {
        let root = t.trace("root").resource("GET /").start();
        {
            let _child = t.trace("child").start();
            let _grandchild = t.trace("grandchild").start();
        }
        let _sibling = t.trace("sibling").start();
        assert!(root.is_recording());
    }
    let chunks = exp.chunks();
    assert_eq!(chunks.len(), 1, "one local trace, one chunk");
    let spans = &chunks[0].spans;
    assert_eq!(spans.len(), 4);
    let (root, child, grand, sib) = (
        by_name(spans, "root"),
        by_name(spans, "child"),
        by_name(spans, "grandchild"),
        by_name(spans, "sibling"),
    );
    assert_eq!(root.parent_id, SpanId::NONE);
    assert_eq!(child.parent_id, root.span_id);
    assert_eq!(grand.parent_id, child.span_id);
    assert_eq!(
        sib.parent_id, root.span_id,
        "finished child is no longer active"
    );
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
    assert_eq!(
        spans[0].span_id, root.span_id,
        "the local root leads its chunk"
    );
}

#[test]
fn spans_finish_once_and_durations_are_non_negative() {
    let (t, exp) = tracer();
    let span = t.trace("op").start();
    std::thread::sleep(Duration::from_millis(2));
    span.finish();
    let s = &exp.spans()[0];
    assert!(s.duration >= 2_000_000, "duration {}", s.duration);
    assert!(s.start > 1_600_000_000_000_000_000, "start is epoch ns");
    assert_eq!(exp.chunks().len(), 1);
}

#[test]
fn children_inherit_service_and_top_level_marks_service_entries() {
    let (t, exp) = tracer();
    {
        let _root = t.trace("root").start();
        let _same = t.trace("same").start();
        let _other = t.trace("other").service("db").start();
    }
    let spans = exp.spans();
    assert_eq!(by_name(&spans, "root").service, "core-test");
    assert_eq!(by_name(&spans, "same").service, "core-test");
    assert_eq!(by_name(&spans, "root").metric("_dd.top_level"), Some(1.0));
    assert_eq!(by_name(&spans, "same").metric("_dd.top_level"), None);
    assert_eq!(by_name(&spans, "other").metric("_dd.top_level"), Some(1.0));
    assert_eq!(
        by_name(&spans, "other").meta("_dd.base_service"),
        Some("core-test")
    );
}

#[test]
fn tags_are_typed_like_the_python_tracer() {
    let (t, exp) = tracer();
    {
        let s = t.trace("op").start();
        s.set_tag("user.id", "123");
        s.set_tag("cart.items", 3);
        s.set_tag("ratio", 0.5);
        s.set_tag("flag", true);
        s.set_tag("nan", f64::NAN);
        s.set_tag("big", u64::MAX);
        s.set_tag("http.status_code", 200);
        s.set_tag("network.destination.port", String::from("5432"));
        s.set_tag("k", "first");
        s.set_tag("k", 2);
        s.set_tag("resource", "changed");
    }
    let s = &exp.spans()[0];
    assert_eq!(s.meta("user.id"), Some("123"));
    assert_eq!(s.metric("cart.items"), Some(3.0));
    assert_eq!(s.metric("ratio"), Some(0.5));
    assert_eq!(s.meta("flag"), Some("True"));
    assert_eq!(s.meta("nan"), None);
    assert_eq!(s.metric("nan"), None);
    assert_eq!(s.meta("big"), Some("18446744073709551615"));
    assert_eq!(s.meta("http.status_code"), Some("200"));
    assert_eq!(s.metric("network.destination.port"), Some(5432.0));
    assert_eq!(s.meta("k"), None);
    assert_eq!(s.metric("k"), Some(2.0));
    assert_eq!(s.resource, "changed");
}

#[test]
fn local_root_carries_process_tags_and_every_span_the_global_ones() {
    let (t, exp) = tracer_with(|c| c.version("1.2.3").tag(("team", "core")));
    {
        let _root = t.trace("root").start();
        let _child = t.trace("child").start();
    }
    let spans = exp.spans();
    let (root, child) = (by_name(&spans, "root"), by_name(&spans, "child"));
    assert_eq!(root.meta("runtime-id").map(str::len), Some(32));
    assert_eq!(
        root.metric("process_id"),
        Some(f64::from(std::process::id()))
    );
    assert_eq!(child.meta("runtime-id"), None);
    assert_eq!(child.metric("process_id"), None);
    for s in [root, child] {
        assert_eq!(s.meta("env"), Some("test"));
        assert_eq!(s.meta("team"), Some("core"));
        assert_eq!(s.meta("version"), Some("1.2.3"));
    }
    assert_eq!(root.meta("language"), Some("rust"));
    assert_eq!(root.meta("_dd.p.dm"), Some("-0"));
    assert_eq!(root.metric("_sampling_priority_v1"), Some(1.0));
    assert_eq!(
        child.meta("language"),
        None,
        "chunk tags go on the first span only"
    );
}

#[test]
fn trace_ids_are_128_bit_with_tid_on_the_chunk_root() {
    let (t, exp) = tracer();
    drop(t.trace("root").start());
    let s = &exp.spans()[0];
    let tid = s.meta("_dd.p.tid").expect("_dd.p.tid");
    assert_eq!(tid.len(), 16);
    let high = u64::from_str_radix(tid, 16).unwrap();
    assert_eq!(TraceId::from_parts(high, s.trace_id.low()), s.trace_id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        ((high >> 32) as i64 - now as i64).abs() < 5,
        "top 32 bits are the start time"
    );
    assert_eq!(high & 0xffff_ffff, 0);

    let (t64, exp64) = tracer_with(|c| c.trace_id_128_bit(false));
    drop(t64.trace("root").start());
    assert_eq!(exp64.spans()[0].meta("_dd.p.tid"), None);
    assert_eq!(exp64.spans()[0].trace_id.high(), 0);
}

#[derive(Debug)]
struct Inner;
impl std::fmt::Display for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}
impl std::error::Error for Inner {}

#[derive(Debug)]
struct Outer(Inner);
impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("query failed")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn errors_are_recorded_from_any_std_error() {
    let (t, exp) = tracer();
    {
        let s = t.trace("op").start();
        s.set_error(&Outer(Inner));
        let io = t.trace("io").start();
        io.set_error(&std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
        let boxed: Box<dyn std::error::Error> = Box::new(Inner);
        let dynamic = t.trace("dyn").start();
        dynamic.set_error_with_type(boxed.as_ref(), "Inner");
    }
    let spans = exp.spans();
    let s = by_name(&spans, "op");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.message"), Some("query failed"));
    assert_eq!(s.meta("error.type"), Some("spans::Outer"));
    assert!(s.meta("error.stack").unwrap().contains("connection reset"));
    let io = by_name(&spans, "io");
    assert_eq!(io.meta("error.type"), Some("std::io::error::Error"));
    assert_eq!(io.meta("error.message"), Some("no such file"));
    assert_eq!(by_name(&spans, "dyn").meta("error.type"), Some("Inner"));
}

#[test]
fn spans_parent_across_threads_when_handed_on() {
    let (t, exp) = tracer();
    {
        let _root = t.trace("root").start();
        let t2 = t.clone();
        spawn_thread(move || {
            let _c = t2.trace("in-thread").start();
        })
        .join()
        .unwrap();
        // A plain thread does not inherit the active span.
        let t3 = t.clone();
        std::thread::spawn(move || drop(t3.trace("unrelated").start()))
            .join()
            .unwrap();
    }
    let spans = exp.spans();
    let root = by_name(&spans, "root");
    assert_eq!(by_name(&spans, "in-thread").parent_id, root.span_id);
    assert_eq!(by_name(&spans, "in-thread").trace_id, root.trace_id);
    assert_eq!(by_name(&spans, "unrelated").parent_id, SpanId::NONE);
    assert_ne!(by_name(&spans, "unrelated").trace_id, root.trace_id);
}

#[test]
fn threads_racing_on_one_trace_lose_no_span_and_no_tag() {
    // Every span of a trace shares its record's lock: 4 threads start, tag and finish
    // children of one root at once, and every span arrives with its own tags.
    let (t, exp) = tracer();
    let per_thread: u32 = 250;
    {
        let root = t.trace("root").start();
        std::thread::scope(|s| {
            for n in 0..4 {
                let (t, root) = (&t, root.handle());
                s.spawn(move || {
                    for i in 0..per_thread {
                        let c = t.trace("child").child_of_span(&root).start();
                        c.set_tag("thread", n);
                        c.set_tag("i", i);
                        c.set_tag("who", format!("{n}/{i}"));
                        root.set_tag(format!("seen.{n}"), i);
                    }
                });
            }
        });
    }
    let spans = exp.spans();
    let children: Vec<_> = spans
        .iter()
        .filter(|s| s.name.as_str() == "child")
        .collect();
    assert_eq!(children.len(), 4 * per_thread as usize);
    let root = by_name(&spans, "root");
    let mut seen = std::collections::HashSet::new();
    for c in &children {
        assert_eq!(c.parent_id, root.span_id);
        let (n, i) = (c.metric("thread").unwrap(), c.metric("i").unwrap());
        assert_eq!(c.meta("who"), Some(format!("{n}/{i}").as_str()));
        assert!(seen.insert((n as u32, i as u32)), "each child once");
    }
    for n in 0..4 {
        assert_eq!(
            root.metric(&format!("seen.{n}")),
            Some(f64::from(per_thread - 1))
        );
    }
}

#[test]
fn a_span_finished_on_another_thread_leaves_this_threads_stack() {
    let (t, exp) = tracer();
    let moved = t.trace("moved").start();
    std::thread::spawn(move || moved.finish()).join().unwrap();
    let next = t.trace("next").start();
    assert!(next.is_recording());
    drop(next);
    assert_eq!(by_name(&exp.spans(), "next").parent_id, SpanId::NONE);
}

#[test]
fn out_of_order_finish_keeps_the_right_active_span() {
    let (t, exp) = tracer();
    let a = t.trace("a").start();
    let b = t.trace("b").start();
    a.finish(); // finished before its child
    assert_eq!(active_span().span_id(), b.span_id());
    drop(b);
    assert!(!active_span().is_recording());
    assert_eq!(exp.chunks().len(), 1);
}

#[test]
fn trace_is_sent_only_when_every_span_finished() {
    let (t, exp) = tracer();
    let root = t.trace("root").start();
    let child = t.trace("child").start_detached();
    drop(root);
    assert!(exp.chunks().is_empty(), "child still open");
    drop(child);
    assert_eq!(exp.chunks().len(), 1);
    assert_eq!(exp.chunks()[0].spans.len(), 2);
}

#[test]
fn partial_flush_sends_finished_spans_of_long_traces() {
    let (t, exp) = tracer_with(|c| c.partial_flush_min_spans(5));
    let root = t.trace("root").start();
    for _ in 0..12 {
        drop(t.trace("child").start());
    }
    let chunks = exp.chunks();
    assert_eq!(chunks.len(), 2, "two partial chunks of 5");
    assert!(chunks.iter().all(|c| c.spans.len() == 5));
    assert!(
        chunks
            .iter()
            .all(|c| c.spans[0].meta("language") == Some("rust"))
    );
    assert!(
        chunks
            .iter()
            .all(|c| c.spans[0].metric("_sampling_priority_v1") == Some(1.0))
    );
    drop(root);
    let chunks = exp.chunks();
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[2].spans.len(), 3, "2 children + the root");
    assert_eq!(chunks[2].spans[0].name, "root");
    assert_eq!(chunks.iter().map(|c| c.spans.len()).sum::<usize>(), 13);
}

#[test]
fn partial_flush_disabled_waits_for_the_root() {
    let (t, exp) = tracer_with(|c| c.partial_flush_enabled(false).partial_flush_min_spans(2));
    let root = t.trace("root").start();
    for _ in 0..10 {
        drop(t.trace("child").start());
    }
    assert!(exp.chunks().is_empty());
    drop(root);
    assert_eq!(exp.chunks().len(), 1);
}

#[test]
fn abandoned_spans_do_not_hold_memory_forever() {
    // A span kept open for ever (here: leaked) must not make its trace keep every finished
    // child: even with partial flush off, finished spans leave in bounded chunks.
    let (t, exp) = tracer_with(|c| c.partial_flush_enabled(false));
    let root = t.trace("long-lived").start();
    for _ in 0..20_001 {
        drop(t.trace("child").start());
    }
    std::mem::forget(root);
    let sent: usize = exp.chunks().iter().map(|c| c.spans.len()).sum();
    assert_eq!(sent, 20_000);
}

#[test]
fn remote_parent_continues_the_trace() {
    let (t, exp) = tracer();
    let mut ctx = SpanContext::new(TraceId::from_parts(0x1234, 42), SpanId(7));
    ctx.sampling_priority = Some(SamplingPriority::USER_KEEP);
    ctx.origin = Some("synthetics".into());
    ctx.trace_tags.push(("_dd.p.dm".into(), "-3".into()));
    {
        let _root = t.trace("server").child_of(ctx).start();
        let _child = t.trace("work").start();
    }
    let spans = exp.spans();
    let root = by_name(&spans, "server");
    assert_eq!(root.trace_id, TraceId::from_parts(0x1234, 42));
    assert_eq!(root.parent_id, SpanId(7));
    assert_eq!(root.metric("_sampling_priority_v1"), Some(2.0));
    assert_eq!(
        root.meta("_dd.p.dm"),
        Some("-3"),
        "upstream decision maker kept"
    );
    assert_eq!(root.meta("runtime-id").map(str::len), Some(32));
    assert_eq!(root.metric("_dd.top_level"), Some(1.0));
    assert!(
        spans
            .iter()
            .all(|s| s.meta("_dd.origin") == Some("synthetics"))
    );
    assert_eq!(root.meta("_dd.p.tid"), Some("0000000000001234"));
}

#[test]
fn manual_keep_and_drop_set_user_priorities() {
    let (t, exp) = tracer();
    {
        let s = t.trace("kept").start();
        s.set_tag("manual.keep", true);
    }
    {
        let s = t.trace("dropped").start();
        s.drop_trace();
    }
    let spans = exp.spans();
    assert_eq!(
        by_name(&spans, "kept").metric("_sampling_priority_v1"),
        Some(2.0)
    );
    assert_eq!(by_name(&spans, "kept").meta("_dd.p.dm"), Some("-4"));
    assert_eq!(by_name(&spans, "kept").meta("manual.keep"), None);
    assert_eq!(
        by_name(&spans, "dropped").metric("_sampling_priority_v1"),
        Some(-1.0)
    );
}

#[test]
fn context_takes_the_sampling_decision_before_it_leaves() {
    let (t, _exp) = tracer();
    let s = t.trace("client").start();
    assert_eq!(s.decided_priority(), None);
    let ctx = s.context();
    assert_eq!(ctx.sampling_priority, Some(SamplingPriority::AUTO_KEEP));
    assert_eq!(ctx.trace_id, s.trace_id());
    assert_eq!(ctx.span_id, s.span_id());
    assert_eq!(ctx.trace_tag("_dd.p.dm"), Some("-0"));
    assert_eq!(s.decided_priority(), Some(SamplingPriority::AUTO_KEEP));
}

#[test]
fn disabled_tracer_records_nothing() {
    let (t, exp) = tracer_with(|c| c.enabled(false));
    {
        let s = t.trace("op").start();
        s.set_tag("k", "v");
        assert!(!s.is_recording());
        assert_eq!(s.trace_id(), TraceId(0));
        let _c = t.trace("child").start();
        assert!(!active_span().is_recording());
    }
    assert!(exp.chunks().is_empty());
}

#[test]
fn explicit_root_ignores_the_active_span() {
    let (t, exp) = tracer();
    {
        let _a = t.trace("a").start();
        let _b = t.trace("b").root().start();
    }
    let spans = exp.spans();
    assert_ne!(by_name(&spans, "a").trace_id, by_name(&spans, "b").trace_id);
    assert_eq!(exp.chunks().len(), 2);
}

#[test]
fn a_handle_to_a_sent_span_does_not_reach_the_span_that_reuses_its_slot() {
    // Partial flush after every finished span: the child's slot in the trace's buffer is
    // freed as soon as it finishes, and the next child takes it.
    let (t, exp) = tracer_with(|c| c.partial_flush_min_spans(1));
    let root = t.trace("root").start();
    let first = t.trace("first").start_detached();
    let stale = first.handle();
    drop(first);
    let second = t.trace("second").start_detached();
    assert!(!stale.is_recording());
    stale.set_tag("from.stale.handle", "x");
    stale.set_resource("stale");
    assert!(second.is_recording());
    drop(second);
    drop(root);
    let spans: Vec<_> = exp.chunks().into_iter().flat_map(|c| c.spans).collect();
    let second = by_name(&spans, "second");
    assert_eq!(second.meta("from.stale.handle"), None);
    assert_eq!(second.resource, "second");
    assert_eq!(spans.len(), 3);
}

#[test]
fn children_outliving_a_sent_parent_keep_top_level_and_parent() {
    let (t, exp) = tracer_with(|c| c.partial_flush_min_spans(2));
    let root = t.trace("root").service("api").start_detached();
    let parent = t
        .trace("parent")
        .service("db")
        .child_of_span(&root)
        .start_detached();
    let same = t.trace("same").child_of_span(&parent).start_detached();
    let parent_ref = parent.handle();
    drop(parent);
    drop(t.trace("filler").child_of_span(&root).start_detached());
    // Two spans finished: the partial flush sent `parent` while `same` is still open.
    assert_eq!(exp.chunks().len(), 1);
    let late = t.trace("late").child_of_span(&parent_ref).start_detached();
    drop(same);
    drop(late);
    drop(root);
    let spans: Vec<_> = exp.chunks().into_iter().flat_map(|c| c.spans).collect();
    let (parent, same, late) = (
        by_name(&spans, "parent"),
        by_name(&spans, "same"),
        by_name(&spans, "late"),
    );
    assert_eq!(same.parent_id, parent.span_id);
    assert_eq!(same.service, "db", "inherited while the parent was open");
    assert_eq!(
        same.metric("_dd.top_level"),
        None,
        "same service as its parent"
    );
    assert_eq!(late.parent_id, parent.span_id);
    // Started after its parent was sent: the parent's service is no longer known, so the
    // child takes the tracer's and is compared with that.
    assert_eq!(late.service, t.config().service);
    assert_eq!(late.metric("_dd.top_level"), None);
}

#[test]
fn git_metadata_is_on_the_first_span_of_each_chunk_only() {
    use ddtrace_core::keys;
    let (t, exp) = tracer_with(|c| {
        c.git_commit_sha("abc123")
            .git_repository_url("https://user:token@github.com/org/repo.git")
            .partial_flush_min_spans(2)
    });
    {
        let _root = t.trace("root").start();
        for i in 0..3 {
            let _child = t.trace(format!("child{i}")).start();
        }
    }
    let chunks = exp.chunks();
    assert!(chunks.len() >= 2, "a partial flush and the rest");
    for chunk in &chunks {
        let (first, rest) = chunk.spans.split_first().expect("non-empty chunk");
        assert_eq!(first.meta(keys::GIT_COMMIT_SHA), Some("abc123"));
        assert_eq!(
            first.meta(keys::GIT_REPOSITORY_URL),
            Some("https://github.com/org/repo.git")
        );
        assert!(rest.iter().all(|s| s.meta(keys::GIT_COMMIT_SHA).is_none()
            && s.meta(keys::GIT_REPOSITORY_URL).is_none()));
    }

    let (t, exp) = tracer_with(|c| c.git_commit_sha("abc123").git_metadata_enabled(false));
    drop(t.trace("root").start());
    assert_eq!(exp.spans()[0].meta(keys::GIT_COMMIT_SHA), None);
}
