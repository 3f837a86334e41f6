//! `#[traced]` on `async fn`, on functions returning `impl Future` and on `#[async_trait]`
//! methods, through the `ddtrace` facade.

mod common;

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use common::{exporter, span};
use ddtrace::traced;

/// Yields to the runtime a few times, so that other tasks run in between.
async fn yield_a_few_times() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[traced]
async fn across_awaits(x: u32) -> u32 {
    let before = ddtrace::active_span().span_id();
    yield_a_few_times().await;
    assert_eq!(ddtrace::active_span().span_id(), before);
    x * 2
}

#[tokio::test(flavor = "current_thread")]
async fn async_fn_keeps_its_span_across_awaits() {
    exporter();
    assert_eq!(across_awaits(4).await, 8);
    let s = span("asynchronous.across_awaits");
    assert!(s.is_root());
    // Not active outside the function's future.
    assert!(!ddtrace::active_span().is_recording());
}

#[traced(name = "async.child")]
async fn async_child() -> ddtrace::SpanId {
    yield_a_few_times().await;
    ddtrace::active_span().span_id()
}

#[traced(name = "sync.in.async")]
fn sync_child() {}

#[traced(name = "async.parent", tags(job))]
async fn async_parent(job: &str) -> (ddtrace::SpanId, ddtrace::SpanId) {
    let mine = ddtrace::active_span().span_id();
    yield_a_few_times().await;
    let child = async_child().await;
    sync_child();
    assert_eq!(ddtrace::active_span().span_id(), mine);
    (mine, child)
}

#[tokio::test(flavor = "current_thread")]
async fn nested_async_functions_are_parent_and_child() {
    exporter();
    let (parent_id, child_id) = async_parent("reindex").await;
    let p = span("async.parent");
    assert_eq!(p.span_id, parent_id);
    assert_eq!(p.meta("job"), Some("reindex"));
    let c = span("async.child");
    assert_eq!(c.span_id, child_id);
    assert_eq!(c.parent_id, p.span_id);
    assert_eq!(span("sync.in.async").parent_id, p.span_id);
}

#[traced(name = "concurrent.task", tags(task))]
async fn concurrent_task(task: u32) -> (ddtrace::TraceId, ddtrace::SpanId) {
    let mine = ddtrace::active_span().span_id();
    for _ in 0..5 {
        tokio::task::yield_now().await;
        // Whatever ran on this thread meanwhile, this future still sees its own span.
        assert_eq!(ddtrace::active_span().span_id(), mine);
    }
    (ddtrace::active_span().trace_id(), mine)
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_tasks_on_one_thread_do_not_see_each_others_spans() {
    exporter();
    let a = tokio::spawn(concurrent_task(1));
    let b = tokio::spawn(concurrent_task(2));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_ne!(a.0, b.0, "two separate traces");
    let spans = common::spans("concurrent.task");
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert!(s.is_root(), "neither task is the other's parent");
    }
    assert!(!ddtrace::active_span().is_recording());
}

#[traced(name = "impl.future", tags(n))]
fn returns_impl_future(n: u32) -> impl Future<Output = u32> {
    // The synchronous part runs with the span active too.
    let outer = ddtrace::active_span().span_id();
    async move {
        yield_a_few_times().await;
        assert_eq!(ddtrace::active_span().span_id(), outer);
        n + 1
    }
}

#[traced(name = "impl.future.err", err)]
fn impl_future_err(fail: bool) -> impl Future<Output = Result<(), String>> + Send {
    async move {
        tokio::task::yield_now().await;
        if fail {
            Err("failed later".to_owned())
        } else {
            Ok(())
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn functions_returning_impl_future() {
    exporter();
    let future = returns_impl_future(1);
    assert!(!ddtrace::active_span().is_recording());
    assert_eq!(future.await, 2);
    assert_eq!(span("impl.future").metric("n"), Some(1.0));

    assert!(impl_future_err(true).await.is_err());
    let s = span("impl.future.err");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.message"), Some("failed later"));
}

#[async_trait]
trait Store {
    async fn load(&self, key: &str) -> Result<String, std::io::Error>;
}

struct MemoryStore;

#[async_trait]
impl Store for MemoryStore {
    #[traced(name = "store.load", tags(key), err)]
    async fn load(&self, key: &str) -> Result<String, std::io::Error> {
        let outer = ddtrace::active_span().span_id();
        yield_a_few_times().await;
        assert_eq!(ddtrace::active_span().span_id(), outer);
        if key.is_empty() {
            return Err(std::io::Error::other("empty key"));
        }
        Ok(key.to_uppercase())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn async_trait_methods() {
    exporter();
    let store: Box<dyn Store + Send + Sync> = Box::new(MemoryStore);
    assert_eq!(store.load("k").await.unwrap(), "K");
    assert!(store.load("").await.is_err());
    let spans = common::spans("store.load");
    assert_eq!(spans.len(), 2);
    let ok = spans.iter().find(|s| s.meta("key") == Some("k")).unwrap();
    assert_eq!(ok.error, 0);
    let failed = spans.iter().find(|s| s.meta("key") == Some("")).unwrap();
    assert_eq!(failed.error, 1);
    assert_eq!(failed.meta("error.message"), Some("empty key"));
}

/// A trait with a native `async fn` (no `#[async_trait]`).
trait Fetch {
    fn fetch(&self, id: u32) -> impl Future<Output = u32> + Send;
}

struct Fetcher;

impl Fetch for Fetcher {
    #[traced(name = "native.async.trait", tags(id))]
    async fn fetch(&self, id: u32) -> u32 {
        yield_a_few_times().await;
        id * 10
    }
}

#[tokio::test(flavor = "current_thread")]
async fn native_async_trait_methods() {
    exporter();
    assert_eq!(Fetcher.fetch(4).await, 40);
    assert_eq!(span("native.async.trait").metric("id"), Some(4.0));
}

#[derive(Debug)]
struct Timeout;

#[traced(name = "async.err.debug", err(Debug))]
async fn async_err_debug() -> Result<u8, Timeout> {
    tokio::task::yield_now().await;
    let value: Result<u8, Timeout> = Err(Timeout);
    let v = value?;
    Ok(v)
}

#[traced(name = "async.err.borrowed", err)]
async fn first_line(text: &str) -> Result<&str, String> {
    tokio::task::yield_now().await;
    text.lines().next().ok_or_else(|| "no line".to_owned())
}

#[tokio::test(flavor = "current_thread")]
async fn async_fn_with_err() {
    exporter();
    assert_eq!(first_line("a\nb").await, Ok("a"));
    assert!(first_line("").await.is_err());
    let spans = common::spans("async.err.borrowed");
    assert_eq!(spans.iter().filter(|s| s.error == 1).count(), 1);
    assert!(async_err_debug().await.is_err());
    let s = span("async.err.debug");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.message"), Some("Timeout"));
}

#[traced(name = "async.panic")]
async fn async_panics() {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_in_an_async_fn_marks_the_span() {
    exporter();
    let joined = tokio::spawn(async_panics()).await;
    let error = joined.expect_err("the panic goes on");
    assert!(error.is_panic());
    let payload = error.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"async boom"));
    let s = span("async.panic");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.type"), Some("panic"));
}

#[traced(name = "async.dropped")]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_future_finishes_its_span() {
    exporter();
    let timed_out = tokio::time::timeout(Duration::from_millis(5), never_finishes()).await;
    assert!(timed_out.is_err());
    let s = span("async.dropped");
    assert_eq!(s.error, 0);
}
