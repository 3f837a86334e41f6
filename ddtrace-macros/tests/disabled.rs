//! With no tracer installed (tracing disabled), traced functions behave exactly like the
//! plain ones and evaluate none of their tag expressions.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use ddtrace::traced;

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn counted(value: u32) -> u32 {
    EVALUATED.fetch_add(1, Ordering::SeqCst);
    value
}

#[traced(tags(x = counted(x)), err)]
fn sync_fn(x: u32) -> Result<u32, String> {
    if x == 0 {
        return Err("zero".into());
    }
    Ok(x)
}

#[traced(tags(x = counted(x)), err(Debug))]
async fn async_fn(x: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    sync_fn(x)
}

#[traced(tags(x = counted(x)))]
fn impl_future(x: u32) -> impl Future<Output = u32> {
    async move { x + 1 }
}

#[traced]
fn panics() {
    panic!("still unwinds");
}

#[tokio::test(flavor = "current_thread")]
async fn traced_functions_run_unchanged_and_record_nothing() {
    assert!(!ddtrace::tracer().is_enabled());
    assert_eq!(sync_fn(1), Ok(1));
    assert_eq!(sync_fn(0), Err("zero".to_owned()));
    assert_eq!(async_fn(2).await, Ok(2));
    assert_eq!(impl_future(3).await, 4);
    assert!(std::panic::catch_unwind(panics).is_err());
    assert!(!ddtrace::active_span().is_recording());
    assert_eq!(EVALUATED.load(Ordering::SeqCst), 0, "tag expressions ran");
}
