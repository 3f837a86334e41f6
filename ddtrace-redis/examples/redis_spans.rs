//! What the redis integration records: runs a few commands, a pipeline, a transaction and a
//! failing command against a local Redis, then prints the spans instead of sending them.
//!
//! ```text
//! cargo run -p ddtrace-redis --example redis_spans [redis://127.0.0.1:6379/]
//! ```
//!
//! A real application installs the global tracer with `ddtrace::init()` and opens its client
//! with `TracedClient::open(url)`; the in-memory exporter here only makes the spans visible.

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, Instrument, Tracer};
use ddtrace_redis::TracedClient;
use redis::AsyncCommands;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".to_owned());
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(Config::builder().service("redis-example").build())
        .exporter(exporter.clone())
        .build();

    let client = TracedClient::with_tracer(redis::Client::open(url)?, tracer.clone());
    // A multiplexed connection is cheap to clone and shared by tasks; each command's span is
    // active only inside that command's future, so concurrent tasks never adopt it.
    let mut con = client.get_multiplexed_async_connection().await?;

    // The redis spans are children of whatever span is active: here, one per "request".
    async {
        let _: () = con.set("example:user:1", "alice").await?;
        let _: Option<String> = con.get("example:user:1").await?;
        let _: (i64, i64) = redis::pipe()
            .atomic() // MULTI/EXEC: one span, the queued commands as its raw command
            .incr("example:hits", 1)
            .incr("example:hits", 1)
            .query_async(&mut con)
            .await?;
        // An error reply fails its span (error.message: WRONGTYPE Operation against ...).
        let _: () = con.rpush("example:list", "x").await?;
        let _ = con.get::<_, String>("example:list").await;
        let _: () = con
            .del(&["example:user:1", "example:hits", "example:list"])
            .await?;
        Ok::<_, redis::RedisError>(())
    }
    .instrument(tracer.trace("example.request"))
    .await?;

    for span in exporter.spans() {
        println!(
            "{:<16} {:<10} resource={:?} raw={:?} error={}",
            span.name.as_str(),
            span.service.as_str(),
            span.resource.as_str(),
            span.meta("redis.raw_command").unwrap_or(""),
            span.meta("error.message").unwrap_or("-"),
        );
    }
    Ok(())
}
