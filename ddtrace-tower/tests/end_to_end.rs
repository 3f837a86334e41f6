//! An axum app with the layer, traced to Datadog's test agent through the agent writer; the
//! agent's checks must pass. Needs the agent `scripts/test.sh` starts (DD_TEST_AGENT_URL).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::get;
use common::{get as send, serve_axum};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, Tracer};
use ddtrace_tower::DdTraceLayer;
use ddtrace_writer::AgentWriter;

fn agent_url() -> String {
    match std::env::var("DD_TEST_AGENT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "DD_TEST_AGENT_URL is not set: run this test with `bash scripts/test.sh -p \
             ddtrace-tower`, which starts Datadog's test agent and exports its URL"
        ),
    }
}

/// A blocking GET to the test agent: (status, body).
fn agent_get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = agent.get(url).call().expect("test agent request");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

async fn agent(url: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || agent_get(&url))
        .await
        .expect("agent request task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_spans_reach_the_test_agent_and_pass_its_checks() {
    let url = agent_url();
    let token = format!("ddtrace-tower-e2e-{}", std::process::id());
    let (status, body) = agent(format!(
        "{url}/test/session/start?test_session_token={token}"
    ))
    .await;
    assert_eq!(status, 200, "session start: {body}");

    let mut config = Config::builder_without_env()
        .service("tower-e2e")
        .env("test")
        .version("1.2.3")
        .agent_url(url.clone())
        .agent_header(("X-Datadog-Test-Session-Token", &token))
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
    let deadline = Instant::now() + Duration::from_secs(10);
    let traces: Vec<Vec<serde_json::Value>> = loop {
        let _ = tracer.flush(Duration::from_secs(2));
        let (_, body) = agent(format!(
            "{url}/test/session/traces?test_session_token={token}"
        ))
        .await;
        let traces: Vec<Vec<serde_json::Value>> = serde_json::from_str(&body).unwrap_or_default();
        if traces.len() >= 2 || Instant::now() > deadline {
            break traces;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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

    let (status, body) = agent(format!(
        "{url}/test/trace_check/failures?test_session_token={token}"
    ))
    .await;
    assert_eq!(status, 200, "the test agent's checks failed: {body}");
    tracer
        .shutdown(Duration::from_secs(5))
        .expect("writer shut down");
}
