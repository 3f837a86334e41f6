//! Two traced axum services, the first calling the second through the middleware, sending
//! their spans to Datadog's test agent: one trace across both, and the agent's checks pass.
//! Needs the agent `scripts/test.sh` starts (DD_TEST_AGENT_URL).

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use ddtrace_core::Tracer;
use ddtrace_core::config::SpanSchema;
use ddtrace_core::sampling::AgentRates;
use ddtrace_http::DdTraceMiddleware;
use ddtrace_test_support::{Session, with_trace_env_variables};
use ddtrace_tower::DdTraceLayer;
use ddtrace_writer::AgentWriter;
use reqwest_middleware::{ClientWithMiddleware, reqwest};
use serde_json::Value;

/// A tracer for `service` that sends to the test agent within session `token`.
fn agent_tracer(service: &str, session: &Session) -> Tracer {
    agent_tracer_with(service, session, SpanSchema::V0)
}

/// As [`agent_tracer`], under `schema`, telling the agent the settings its `trace_peer_service`
/// and `trace_dd_service` checks need.
fn agent_tracer_with(service: &str, session: &Session, schema: SpanSchema) -> Tracer {
    let config = session
        .config()
        .service(service)
        .env("test")
        .version("1.0.0")
        .span_attribute_schema(schema)
        .build();
    let config = with_trace_env_variables(config);
    let rates = Arc::new(AgentRates::default());
    let writer = AgentWriter::new(&config, rates.clone());
    Tracer::builder()
        .config(config)
        .agent_rates(rates)
        .exporter(writer)
        .build()
}

/// Serves `app` on a loopback port; returns its base URL.
/// Server spans end once their body is sent: gives them a moment, then flushes every tracer to
/// the agent (off the runtime's threads, as `flush` blocks).
async fn flush_after_bodies(tracers: &[&Tracer]) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    for tracer in tracers {
        let t = (*tracer).clone();
        tokio::task::spawn_blocking(move || t.flush(Duration::from_secs(5)))
            .await
            .expect("flush task")
            .expect("flushed to the agent");
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("server") });
    format!("http://{addr}")
}

fn layer(tracer: Tracer) -> DdTraceLayer {
    DdTraceLayer::new(tracer)
        .component("axum")
        .route(|ext| ext.get::<MatchedPath>().map(MatchedPath::as_str))
}

#[derive(Clone)]
struct Frontend {
    client: ClientWithMiddleware,
    stock_url: String,
}

/// The first service's handler: asks the second one, through the traced client.
async fn checkout(State(app): State<Frontend>) -> StatusCode {
    match app
        .client
        .get(format!("{}/stock/42?api_key=s3cr3t", app.stock_url))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => StatusCode::OK,
        _ => StatusCode::BAD_GATEWAY,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_between_two_services_is_one_trace_at_the_agent() {
    let session = Session::start("ddtrace-http-e2e");
    let http = reqwest::Client::new();

    // The second service: stock.
    let stock_tracer = agent_tracer("stock", &session);
    let stock_url = serve(
        Router::new()
            .route("/stock/{item}", get(|| async { "7" }))
            .layer(layer(stock_tracer.clone())),
    )
    .await;

    // The first service: frontend, calling stock through the middleware.
    let frontend_tracer = agent_tracer("frontend", &session);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(DdTraceMiddleware::new(frontend_tracer.clone()))
        .build();
    let frontend_url = serve(
        Router::new()
            .route("/checkout", get(checkout))
            .with_state(Frontend { client, stock_url })
            .layer(layer(frontend_tracer.clone())),
    )
    .await;

    let response = http
        .get(format!("{frontend_url}/checkout"))
        .send()
        .await
        .expect("frontend answers");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");

    flush_after_bodies(&[&frontend_tracer, &stock_tracer]).await;

    let checked = session.clone();
    let spans = tokio::task::spawn_blocking(move || {
        let spans = checked.wait_for_spans(3, Duration::from_secs(15));
        checked.assert_no_check_failures();
        spans
    })
    .await
    .expect("test agent queries");
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let find = |name: &str, service: &str| -> &Value {
        spans
            .iter()
            .find(|s| s["name"] == name && s["service"] == service)
            .unwrap_or_else(|| panic!("no {name} span of {service}: {spans:#?}"))
    };
    let front = find("axum.request", "frontend");
    let call = find("reqwest.request", "reqwest");
    let stock = find("axum.request", "stock");

    // One trace: frontend server -> client call -> stock server.
    assert_eq!(call["trace_id"], front["trace_id"]);
    assert_eq!(stock["trace_id"], front["trace_id"]);
    assert_eq!(call["parent_id"], front["span_id"]);
    assert_eq!(stock["parent_id"], call["span_id"]);
    assert_eq!(front["parent_id"], 0);
    assert_eq!(
        front["meta"]["_dd.p.tid"], stock["meta"]["_dd.p.tid"],
        "the 128-bit trace id's high half travelled"
    );
    // The same sampling decision on both sides.
    assert_eq!(front["metrics"]["_sampling_priority_v1"], 1.0);
    assert_eq!(stock["metrics"]["_sampling_priority_v1"], 1.0);

    // The client span as the agent received it.
    assert_eq!(call["type"], "http");
    assert_eq!(call["resource"], "GET /stock/42");
    assert_eq!(call["error"], 0);
    assert_eq!(call["meta"]["span.kind"], "client");
    assert_eq!(call["meta"]["component"], "reqwest");
    assert_eq!(call["meta"]["http.method"], "GET");
    assert_eq!(call["meta"]["http.status_code"], "200");
    assert_eq!(call["meta"]["out.host"], "127.0.0.1");
    assert_eq!(call["meta"]["_dd.base_service"], "frontend");
    let http_url = call["meta"]["http.url"].as_str().expect("http.url");
    assert!(
        http_url.ends_with("/stock/42?<redacted>"),
        "query obfuscated: {http_url}"
    );
    assert!(
        call["metrics"]["network.destination.port"]
            .as_f64()
            .is_some()
    );
    assert_eq!(call["metrics"]["_dd.measured"], 1.0);
    assert_eq!(stock["resource"], "GET /stock/{item}");
}

/// Under schema v1 the test agent's `trace_peer_service` and `trace_dd_service` checks run on
/// the spans (they skip under v0, or without `X-Datadog-Trace-Env-Variables`), and pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_schema_v1_the_peer_service_and_dd_service_checks_pass() {
    let session = Session::start("ddtrace-http-e2e-v1");
    let stock_tracer = agent_tracer_with("stock", &session, SpanSchema::V1);
    let stock_url = serve(
        Router::new()
            .route("/stock/{item}", get(|| async { "7" }))
            .layer(layer(stock_tracer.clone())),
    )
    .await;
    let frontend_tracer = agent_tracer_with("frontend", &session, SpanSchema::V1);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(DdTraceMiddleware::new(frontend_tracer.clone()))
        .build();
    {
        let _root = frontend_tracer.trace("checkout").start();
        let r = client
            .get(format!("{stock_url}/stock/42"))
            .send()
            .await
            .expect("stock answers");
        assert_eq!(r.status(), 200);
    }
    flush_after_bodies(&[&frontend_tracer, &stock_tracer]).await;
    let checked = session.clone();
    let (spans, summary) = tokio::task::spawn_blocking(move || {
        let spans = checked.wait_for_spans(3, Duration::from_secs(15));
        checked.assert_no_check_failures();
        (spans, checked.check_summary())
    })
    .await
    .expect("test agent queries");
    let call = spans
        .iter()
        .find(|s| s["meta"]["span.kind"] == "client")
        .unwrap_or_else(|| panic!("no client span: {spans:#?}"));
    assert_eq!(call["service"], "frontend", "v1: DD_SERVICE");
    assert!(call["meta"]["peer.service"].is_string(), "{call:#?}");
    for check in ["trace_peer_service", "trace_dd_service"] {
        let passed = summary[check]["Passed_Checks"].as_u64().unwrap_or(0);
        assert!(passed > 0, "{check} did not run on any span: {summary:#}");
    }
}
