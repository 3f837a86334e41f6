//! An axum app with the layer, traced to Datadog's test agent through the agent writer; the
//! agent's checks must pass. Needs the agent `scripts/test.sh` starts (DD_TEST_AGENT_URL).

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::get;
use common::{get as send, serve_axum};
use ddtrace_core::Tracer;
use ddtrace_core::sampling::AgentRates;
use ddtrace_test_support::Session;
use ddtrace_tower::DdTraceLayer;
use ddtrace_writer::AgentWriter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_spans_reach_the_test_agent_and_pass_its_checks() {
    let session = Session::start("ddtrace-tower-e2e");
    let mut config = session
        .config()
        .service("tower-e2e")
        .env("test")
        .version("1.2.3")
        .build();
    config.header_tags = vec![("x-user-id".into(), "user.id".into())];
    let rates = Arc::new(AgentRates::default());
    let writer = AgentWriter::new(&config, rates.clone());
    let tracer = Tracer::builder()
        .config(config)
        .agent_rates(rates)
        .exporter(writer)
        .build();

    let t = tracer.clone();
    let app = Router::new()
        .route(
            "/orders/{id}",
            get(move || {
                let t = t.clone();
                async move {
                    let q = t.trace("postgres.query").span_type("sql").start();
                    q.set_tag("span.kind", "client");
                    drop(q);
                    "order"
                }
            }),
        )
        .route(
            "/fail",
            get(|| async { (http::StatusCode::BAD_GATEWAY, "upstream down") }),
        )
        .layer(
            DdTraceLayer::new(tracer.clone())
                .component("axum")
                .route(|ext| ext.get::<MatchedPath>().map(MatchedPath::as_str)),
        );
    let addr = serve_axum(app).await;

    let reply = send(
        addr,
        "/orders/5?access_token=abc&view=full",
        &[
            ("x-datadog-trace-id", "7777"),
            ("x-datadog-parent-id", "8888"),
            ("x-datadog-sampling-priority", "1"),
            ("x-user-id", "u-5"),
        ],
    )
    .await;
    assert_eq!(reply.body, "order");
    assert_eq!(send(addr, "/fail", &[]).await.status, 502);

    // Both server spans finish once their bodies are sent; then flush them to the agent.
    tracer
        .flush(Duration::from_secs(5))
        .expect("flushed to the test agent");
    let traces = tokio::task::spawn_blocking(move || {
        let traces = session.wait_for_traces(2, Duration::from_secs(10));
        session.assert_no_check_failures();
        traces
    })
    .await
    .expect("test agent queries");
    assert_eq!(traces.len(), 2, "{traces:#?}");
    let spans: Vec<&serde_json::Value> = traces.iter().flatten().collect();
    let find = |resource: &str| {
        *spans
            .iter()
            .find(|s| s["resource"] == resource)
            .unwrap_or_else(|| panic!("no span with resource {resource}: {spans:#?}"))
    };

    let server = find("GET /orders/{id}");
    assert_eq!(server["name"], "axum.request");
    assert_eq!(server["service"], "tower-e2e");
    assert_eq!(server["type"], "web");
    assert_eq!(server["trace_id"], 7777);
    assert_eq!(server["parent_id"], 8888);
    assert_eq!(server["error"], 0);
    let meta = &server["meta"];
    assert_eq!(meta["span.kind"], "server");
    assert_eq!(meta["component"], "axum");
    assert_eq!(meta["http.method"], "GET");
    assert_eq!(meta["http.route"], "/orders/{id}");
    assert_eq!(meta["http.status_code"], "200");
    assert_eq!(
        meta["http.url"],
        format!("http://{addr}/orders/5?access_<redacted>&view=full")
    );
    assert_eq!(meta["user.id"], "u-5");
    assert_eq!(meta["env"], "test");
    assert_eq!(meta["version"], "1.2.3");
    assert_eq!(server["metrics"]["_sampling_priority_v1"], 1.0);
    let query = find("postgres.query");
    assert_eq!(query["parent_id"], server["span_id"]);
    assert_eq!(query["trace_id"], 7777);

    let failed = find("GET /fail");
    assert_eq!(failed["error"], 1);
    assert_eq!(failed["meta"]["http.status_code"], "502");
    assert_eq!(failed["parent_id"], 0);

    tracer
        .shutdown(Duration::from_secs(5))
        .expect("writer shut down");
}
