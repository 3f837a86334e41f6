//! The README's quickstart as a complete program: a plain synchronous `main` that traces a
//! checkout and sends it to the Datadog Agent at the configured address
//! (`DD_TRACE_AGENT_URL`, else `DD_AGENT_HOST`/`DD_TRACE_AGENT_PORT`, else localhost:8126).
//!
//! ```sh
//! DD_SERVICE=shop DD_ENV=dev cargo run --example quickstart
//! ```

use std::time::Duration;

fn lookup_cart(user: &str) -> usize {
    // A child span: its parent is whatever span is active on this thread.
    let span = ddtrace::tracer()
        .trace("db.lookup")
        .resource("SELECT cart")
        .span_type("sql")
        .start();
    span.set_tag("db.system", "sqlite");
    std::thread::sleep(Duration::from_millis(3));
    user.len()
}

fn main() {
    // Reads DD_* from the environment; keep the guard alive so buffered traces are flushed.
    let _guard = ddtrace::init();

    for user in ["123", "4567"] {
        let span = ddtrace::tracer()
            .trace("checkout.process")
            .service("shop")
            .resource("POST /checkout")
            .start();
        span.set_tag("user.id", user); // a string: goes to meta
        let items = lookup_cart(user);
        span.set_tag("cart.items", items); // a number: goes to metrics
        if items > 3 {
            span.set_error(&std::io::Error::other("cart too large"));
        }
    } // spans finish when dropped

    // Sends everything still buffered, waiting at most 5 s, and reports what it could not send.
    match ddtrace::shutdown() {
        Ok(()) => println!("traces sent to the agent"),
        Err(e) => eprintln!("ddtrace: {e}"),
    }
    if let Some(stats) = ddtrace::writer_stats() {
        println!("{stats:?}");
    }
}
