//! `tracing` spans across `.await`s and `tokio::spawn`, through the layer and the agent writer
//! to Datadog's test agent: one trace with the right parents and typed tags, the agent's
//! checks pass, and the JSON log lines carry the ids of the spans the agent received.
//! Needs the agent `scripts/test.sh` starts (DD_TEST_AGENT_URL).

mod support;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use ddtrace_core::Tracer;
use ddtrace_core::sampling::AgentRates;
use ddtrace_test_support::Session;
use ddtrace_tracing::{CorrelatedFormat, DatadogLayer};
use ddtrace_writer::AgentWriter;
use serde_json::Value;
use support::Buffer;
use tracing::Instrument as _;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

thread_local! {
    static WORKER_DEFAULT: RefCell<Option<tracing::dispatcher::DefaultGuard>> =
        const { RefCell::new(None) };
}

/// A runtime whose workers use `dispatch` as their default subscriber (see tests/layer.rs).
fn runtime_with(dispatch: tracing::Dispatch) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .on_thread_start(move || {
            let guard = tracing::dispatcher::set_default(&dispatch);
            WORKER_DEFAULT.with(|g| *g.borrow_mut() = Some(guard));
        })
        .on_thread_stop(|| WORKER_DEFAULT.with(|g| drop(g.borrow_mut().take())))
        .build()
        .expect("tokio runtime")
}

#[tracing::instrument(fields(otel.kind = "server", http.method = "POST", http.route = "/checkout",
    http.status_code = tracing::field::Empty))]
async fn checkout(user_id: u64, items: Vec<u32>) {
    tracing::info!(count = items.len(), "checkout started");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let reserve = tokio::spawn(
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            for item in items {
                query(item).await;
            }
        }
        .instrument(tracing::info_span!(
            "inventory.reserve",
            service = "inventory"
        )),
    );
    // A library-style DEBUG span: left out, its child still joins the trace.
    async {
        tokio::task::yield_now().await;
        async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            tracing::info!("payment authorised");
        }
        .instrument(tracing::info_span!(
            "payment.charge",
            amount = 12.5,
            currency = "EUR"
        ))
        .await;
    }
    .instrument(tracing::debug_span!(target: "h2::codec", "poll"))
    .await;
    reserve.await.expect("reserve task");
    tracing::Span::current().record("http.status_code", 201);
}

async fn query(item: u32) {
    async {
        tokio::task::yield_now().await;
        tracing::info!(rows = 1, "queried");
    }
    .instrument(tracing::info_span!(
        "postgres.query",
        span.type = "sql",
        resource = "SELECT stock FROM items WHERE id = $1",
        item,
        db.system = "postgresql",
        cached = false,
    ))
    .await;
}

#[test]
fn tracing_spans_reach_the_test_agent_as_one_trace_and_logs_carry_their_ids() {
    let session = Session::start("ddtrace-tracing-e2e");
    let mut config = session
        .config()
        .service("tracing-e2e")
        .env("test")
        .version("0.1.0")
        .build();
    config.trace_id_128_bit_logging = true;
    let rates = Arc::new(AgentRates::default());
    let writer = AgentWriter::new(&config, rates.clone());
    let tracer = Tracer::builder()
        .config(config)
        .agent_rates(rates)
        .exporter(writer)
        .build();

    let logs = Buffer::default();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(DatadogLayer::new(tracer.clone()))
            .with(
                fmt::layer()
                    .json()
                    .event_format(CorrelatedFormat::with_tracer(
                        fmt::format().json(),
                        tracer.clone(),
                    ))
                    .with_writer(logs.clone()),
            ),
    );
    let runtime = runtime_with(dispatch.clone());
    {
        let _default = tracing::dispatcher::set_default(&dispatch);
        runtime.block_on(checkout(42, vec![1, 2]));
    }
    drop(runtime);

    tracer
        .flush(Duration::from_secs(5))
        .expect("flushed to the test agent");
    session.wait_for_spans(5, Duration::from_secs(10));
    let traces = session.traces();
    assert_eq!(traces.len(), 1, "one trace: {traces:#?}");
    let spans = &traces[0];
    assert_eq!(spans.len(), 5, "{spans:#?}");
    let named =
        |name: &str| -> Vec<&Value> { spans.iter().filter(|s| s["name"] == name).collect() };
    let one = |name: &str| -> &Value {
        let found = named(name);
        assert_eq!(found.len(), 1, "one span named {name}: {spans:#?}");
        found[0]
    };

    let root = one("checkout");
    assert_eq!(root["parent_id"], 0);
    assert_eq!(root["service"], "tracing-e2e");
    assert_eq!(root["resource"], "POST /checkout");
    assert_eq!(root["type"], "web");
    assert_eq!(root["error"], 0);
    assert_eq!(root["metrics"]["user_id"], 42.0);
    assert_eq!(root["meta"]["items"], "[1, 2]");
    assert_eq!(root["meta"]["http.status_code"], "201");
    assert_eq!(root["meta"]["span.kind"], "server");
    assert_eq!(root["meta"]["env"], "test");
    let events: Value = serde_json::from_str(
        root["meta"]["events"]
            .as_str()
            .expect("events as JSON in meta"),
    )
    .unwrap();
    assert_eq!(events[0]["name"], "checkout started");

    let reserve = one("inventory.reserve");
    assert_eq!(reserve["parent_id"], root["span_id"]);
    assert_eq!(reserve["service"], "inventory");
    let queries = named("postgres.query");
    assert_eq!(queries.len(), 2);
    for q in &queries {
        assert_eq!(q["parent_id"], reserve["span_id"]);
        assert_eq!(q["service"], "inventory", "inherited from the parent");
        assert_eq!(q["type"], "sql");
        assert_eq!(q["resource"], "SELECT stock FROM items WHERE id = $1");
        assert_eq!(q["meta"]["db.system"], "postgresql");
        assert_eq!(q["meta"]["cached"], "False");
        assert!(q["metrics"]["item"].is_number());
    }
    let charge = one("payment.charge");
    assert_eq!(
        charge["parent_id"], root["span_id"],
        "the DEBUG span is skipped"
    );
    assert_eq!(charge["metrics"]["amount"], 12.5);
    assert_eq!(charge["meta"]["currency"], "EUR");
    assert!(named("poll").is_empty());

    // Log lines: 128-bit trace ids as 32 hex digits, span ids of the spans received.
    let high = root["meta"]["_dd.p.tid"]
        .as_str()
        .expect("_dd.p.tid on the chunk root");
    let low = root["trace_id"].as_u64().expect("trace_id");
    let trace_id = format!("{high}{low:016x}");
    let lines = logs.json_lines();
    let line = |message: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["fields"]["message"] == message)
            .collect()
    };
    let expect_ids = |message: &str, span: &Value| {
        let found = line(message);
        assert!(!found.is_empty(), "no log line {message}: {lines:#?}");
        for l in found {
            assert_eq!(l["dd.trace_id"], trace_id, "{l}");
            assert_eq!(
                l["dd.span_id"],
                span["span_id"].as_u64().unwrap().to_string(),
                "{l}"
            );
            assert_eq!(l["dd.service"], "tracing-e2e");
            assert_eq!(l["dd.env"], "test");
            assert_eq!(l["dd.version"], "0.1.0");
        }
    };
    expect_ids("checkout started", root);
    expect_ids("payment authorised", charge);
    let queried = line("queried");
    assert_eq!(queried.len(), 2);
    for l in queried {
        assert!(
            queries
                .iter()
                .any(|q| l["dd.span_id"].as_str().and_then(|s| s.parse().ok())
                    == q["span_id"].as_u64()),
            "{l}"
        );
    }

    session.assert_no_check_failures();
    let _ = tracer.shutdown(Duration::from_secs(2));
}
