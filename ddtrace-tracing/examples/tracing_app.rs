//! An application instrumented with `tracing`, traced to Datadog and logging JSON lines that
//! Datadog links to its traces.
//!
//! ```sh
//! DD_SERVICE=shop DD_ENV=dev DD_TRACE_AGENT_URL=http://localhost:8126 \
//!     cargo run -p ddtrace-tracing --example tracing_app
//! ```

use std::time::Duration;

use ddtrace_tracing::{CorrelatedFormat, DatadogLayer};
use tracing::Instrument as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::{fmt, prelude::*};

#[tokio::main]
async fn main() {
    // The global tracer, configured from DD_* variables; the guard flushes on drop.
    let _guard = ddtrace::init();

    tracing_subscriber::registry()
        // `tracing` spans become Datadog spans: INFO and above, plus this crate's DEBUG spans.
        .with(
            DatadogLayer::global().with_span_filter(
                Targets::new()
                    .with_default(LevelFilter::INFO)
                    .with_target("tracing_app", LevelFilter::DEBUG),
            ),
        )
        // JSON log lines with dd.trace_id, dd.span_id, dd.service, dd.env, dd.version.
        .with(
            fmt::layer()
                .json()
                .event_format(CorrelatedFormat::new(fmt::format().json())),
        )
        // The global default, not a scoped one: spans closed on tokio's workers must release
        // their parents through it.
        .init();

    for order in 1..=3 {
        handle(order).await;
    }
    ddtrace::shutdown().ok();
}

/// A server span: the `http.*` fields make its resource `POST /orders` and its type `web`.
#[tracing::instrument(fields(otel.kind = "server", http.method = "POST", http.route = "/orders",
    http.status_code = tracing::field::Empty))]
async fn handle(order: u64) {
    tracing::info!("order received");
    // Work on another task keeps its parent through `.instrument(..)`.
    let stock = tokio::spawn(check_stock(order).instrument(tracing::Span::current()));
    charge(order).await;
    let in_stock = stock.await.unwrap_or(false);
    tracing::Span::current().record("http.status_code", if in_stock { 201 } else { 409 });
}

#[tracing::instrument(fields(span.type = "sql", resource = "SELECT stock FROM items WHERE id = $1"))]
async fn check_stock(order: u64) -> bool {
    tokio::time::sleep(Duration::from_millis(5)).await;
    !order.is_multiple_of(3)
}

#[tracing::instrument(level = "debug", fields(service = "payments"))]
async fn charge(order: u64) {
    tokio::time::sleep(Duration::from_millis(3)).await;
    if order == 2 {
        // An ERROR event fails the span and records the message.
        tracing::error!(error = "card declined", "charge failed");
    }
}
