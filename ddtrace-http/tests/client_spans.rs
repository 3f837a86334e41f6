//! Client spans against a real local server: tags, errors, services, context.

mod support;

use std::time::Duration;

use ddtrace_core::{Instrument, SpanId, Tracer, active_span};
use ddtrace_http::DdTraceMiddleware;
use http::Extensions;
use reqwest_middleware::reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, Middleware, Next, reqwest};
use support::*;

#[tokio::test]
async fn a_request_gets_a_client_span_tagged_as_the_python_tracer_does() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer.clone()));

    let url = server.url("/users/42?password=hunter2&page=2");
    let status = async { client.get(&url).send().await.expect("response").status() }
        .instrument(tracer.trace("checkout"))
        .await;
    assert_eq!(status, 200);

    let spans = exporter.spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let parent = span(&spans, "checkout");
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.trace_id, parent.trace_id);
    assert_eq!(s.parent_id, parent.span_id);
    assert_eq!(s.resource, "GET /users/42");
    assert_eq!(s.span_type, "http");
    assert_eq!(s.service, "reqwest");
    assert_eq!(s.error, 0);
    assert_eq!(s.meta("_dd.svc_src"), Some("reqwest"));
    assert_eq!(s.meta("_dd.base_service"), Some("client-app"));
    assert_eq!(s.meta("component"), Some("reqwest"));
    assert_eq!(s.meta("span.kind"), Some("client"));
    assert_eq!(s.meta("http.method"), Some("GET"));
    assert_eq!(
        s.meta("http.url"),
        Some(format!("http://{}/users/42?<redacted>&page=2", server.addr).as_str())
    );
    assert_eq!(s.meta("http.status_code"), Some("200"));
    assert_eq!(s.meta("out.host"), Some("127.0.0.1"));
    assert_eq!(s.meta("env"), Some("test"));
    assert_eq!(
        s.metric("network.destination.port"),
        Some(f64::from(server.addr.port()))
    );
    assert_eq!(s.metric("_dd.measured"), Some(1.0));
    assert_eq!(s.metric("_dd.top_level"), Some(1.0), "a service entry");
    assert_eq!(
        s.meta("peer.service"),
        None,
        "peer.service defaults are off"
    );
    assert_eq!(s.metric(ddtrace_http::RESEND_COUNT), None);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("x-datadog-parent-id"),
        Some(s.span_id.0.to_string().as_str())
    );
}

#[tokio::test]
async fn a_request_without_a_parent_starts_a_trace() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    client.post(server.url("/orders")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.parent_id, SpanId::NONE);
    assert_eq!(s.resource, "POST /orders");
    assert_eq!(
        server.seen()[0].header("x-datadog-trace-id"),
        Some(s.trace_id.low().to_string().as_str())
    );
}

async fn status_span(config: ddtrace_core::Config, status: u16) -> ddtrace_core::SpanData {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer_with(config);
    let client = client(DdTraceMiddleware::new(tracer));
    let response = client
        .get(server.url(&format!("/s?status={status}")))
        .send()
        .await
        .expect("a response, whatever its status");
    assert_eq!(response.status().as_u16(), status);
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request").clone();
    assert_eq!(
        s.meta("http.status_code"),
        Some(status.to_string().as_str())
    );
    s
}

#[tokio::test]
async fn server_errors_mark_the_span_client_errors_do_not() {
    for (status, error) in [(200, 0), (404, 0), (499, 0), (500, 1), (503, 1), (599, 1)] {
        let s = status_span(config(), status).await;
        assert_eq!(s.error, error, "status {status}");
        // As in the Python tracer, a status error sets the flag only.
        assert_eq!(s.meta("error.message"), None);
    }
}

#[tokio::test]
async fn dd_trace_http_client_error_statuses_overrides_the_ranges() {
    let config = config_from(&[("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES", "400-499,502")]);
    for (status, error) in [(404, 1), (400, 1), (500, 0), (502, 1), (503, 0)] {
        assert_eq!(
            status_span(config.clone(), status).await.error,
            error,
            "status {status}"
        );
    }
}

#[tokio::test]
async fn without_the_client_variable_the_server_ranges_apply() {
    let config = config_from(&[("DD_TRACE_HTTP_SERVER_ERROR_STATUSES", "500-502")]);
    assert_eq!(status_span(config.clone(), 502).await.error, 1);
    assert_eq!(status_span(config, 503).await.error, 0);
}

#[tokio::test]
async fn a_refused_connection_is_an_error() {
    let port = refused_port();
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    let url = format!("http://127.0.0.1:{port}/stock?api_key=s3cr3t&item=1");
    let err = client.get(&url).send().await.expect_err("nothing listens");
    assert!(err.is_connect(), "{err:?}");

    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.type"), Some("reqwest::Error"));
    let message = s.meta("error.message").expect("error.message");
    assert!(message.contains("error sending request"), "{message}");
    assert!(
        message.to_lowercase().contains("connect"),
        "the cause is in the message: {message}"
    );
    assert!(
        s.meta("error.stack")
            .is_some_and(|st| st.starts_with("Caused by:"))
    );
    assert_eq!(s.meta("http.status_code"), None);
    assert_eq!(s.metric("network.destination.port"), Some(f64::from(port)));
    // The secret in the query reaches neither the URL tag nor the error text.
    for (k, v) in &s.meta {
        assert!(!v.contains("s3cr3t"), "{k} leaks the secret: {v}");
    }
    assert!(message.contains("<redacted>&item=1"), "{message}");
}

#[tokio::test]
async fn a_timeout_is_an_error() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    let err = client
        .get(server.url("/slow"))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .expect_err("the server answers after 2 s");
    assert!(err.is_timeout(), "{err:?}");

    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.type"), Some("reqwest::Error"));
    let message = s.meta("error.message").expect("error.message");
    assert!(message.contains("timed out"), "{message}");
    assert_eq!(s.meta("http.status_code"), None);
    let duration = Duration::from_nanos(s.duration as u64);
    assert!(
        duration >= Duration::from_millis(190) && duration < Duration::from_secs(2),
        "{duration:?}"
    );
}

#[tokio::test]
async fn split_by_domain_names_the_service_after_the_host() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(
        DdTraceMiddleware::builder(tracer)
            .split_by_domain(true)
            .service("ignored-when-split")
            .build(),
    );
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(
        s.service.as_str(),
        format!("127.0.0.1:{}", server.addr.port())
    );
    assert_eq!(s.meta("_dd.svc_src"), Some("opt.split_by_domain"));
}

#[tokio::test]
async fn the_service_can_be_set_and_mapped() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(
        DdTraceMiddleware::builder(tracer)
            .service("stock-client")
            .build(),
    );
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.service, "stock-client");
    assert_eq!(s.meta("_dd.svc_src"), Some("m"));

    let (tracer, exporter) =
        tracer_with(config_from(&[("DD_SERVICE_MAPPING", "reqwest:outbound")]));
    let client = support::client(DdTraceMiddleware::new(tracer));
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.service, "outbound");
    assert_eq!(s.meta("_dd.svc_src"), Some("opt.service_mapping"));
}

#[tokio::test]
async fn schema_v1_names_and_peer_service() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer_with(config_from(&[("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA", "v1")]));
    let client = client(DdTraceMiddleware::new(tracer));
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "http.client.request");
    assert_eq!(s.service, "client-app");
    // DD_SERVICE is then the integration's default service, as in the Python tracer.
    assert_eq!(s.meta("_dd.svc_src"), Some("reqwest"));
    assert_eq!(s.meta("peer.service"), Some("127.0.0.1"));
    assert_eq!(s.meta("_dd.peer.service.source"), Some("out.host"));
}

#[tokio::test]
async fn peer_service_defaults_and_mapping() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer_with(config_from(&[
        ("DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED", "true"),
        ("DD_TRACE_PEER_SERVICE_MAPPING", "127.0.0.1:stock-service"),
    ]));
    let client = client(DdTraceMiddleware::new(tracer));
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.meta("peer.service"), Some("stock-service"));
    assert_eq!(s.meta("_dd.peer.service.source"), Some("out.host"));
    assert_eq!(s.meta("_dd.peer.service.remapped_from"), Some("127.0.0.1"));
}

#[tokio::test]
async fn header_tags_name_request_and_response_headers() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer_with(config_from(&[(
        "DD_TRACE_HEADER_TAGS",
        "x-request-id:request.id,content-length",
    )]));
    let client = client(DdTraceMiddleware::new(tracer));
    client
        .get(server.url("/x"))
        .header("x-request-id", "abc-1")
        .header("user-agent", "stock-client/1.0")
        .send()
        .await
        .unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.meta("request.id"), Some("abc-1"));
    assert_eq!(s.meta("http.response.headers.content-length"), Some("0"));
    assert_eq!(s.meta("http.useragent"), Some("stock-client/1.0"));
}

/// Records the active span and what a task spawned without ddtrace's helpers sees.
struct Probe(std::sync::Arc<std::sync::Mutex<Vec<(SpanId, SpanId)>>>);

#[async_trait::async_trait]
impl Middleware for Probe {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let here = active_span().span_id();
        let elsewhere = tokio::spawn(async { active_span().span_id() })
            .await
            .expect("task");
        self.0.lock().unwrap().push((here, elsewhere));
        // A span started down the chain is a child of the client span.
        let _nested = ddtrace_core::tracer().trace("unused").start_detached();
        next.run(req, extensions).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_span_is_active_during_the_request_only() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let probe = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(DdTraceMiddleware::new(tracer.clone()))
        .with(Probe(probe.clone()))
        .build();

    let parent_id = async {
        let parent = active_span().span_id();
        client.get(server.url("/x")).send().await.unwrap();
        assert_eq!(active_span().span_id(), parent, "the caller's span again");
        parent
    }
    .instrument(tracer.trace("caller"))
    .await;
    assert_eq!(active_span().span_id(), SpanId::NONE, "nothing leaks out");

    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.parent_id, parent_id);
    let (here, elsewhere) = probe.lock().unwrap()[0];
    assert_eq!(here, s.span_id, "active inside the middleware chain");
    assert_eq!(elsewhere, SpanId::NONE, "invisible to other tasks");
}

/// Another instrumented layer below the client span.
struct Nested(Tracer);

#[async_trait::async_trait]
impl Middleware for Nested {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let span = self.0.trace("nested.work").start_detached();
        next.run(req, extensions).instrument(span).await
    }
}

#[tokio::test]
async fn nested_spans_down_the_chain_are_children() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(DdTraceMiddleware::new(tracer.clone()))
        .with(Nested(tracer))
        .build();
    client.get(server.url("/x")).send().await.unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(span(&spans, "nested.work").parent_id, s.span_id);
}

#[tokio::test]
async fn sampling_is_decided_before_injection() {
    let server = TestServer::start().await;
    // A rule that drops every trace: the server must receive the same decision.
    let (tracer, exporter) = tracer_with(config_from(&[(
        "DD_TRACE_SAMPLING_RULES",
        r#"[{"sample_rate": 0}]"#,
    )]));
    let client = client(DdTraceMiddleware::new(tracer.clone()));
    async { client.get(server.url("/x")).send().await.unwrap() }
        .instrument(tracer.trace("caller"))
        .await;
    let chunk = &exporter.chunks()[0];
    let priority = chunk.priority.expect("decided").0;
    assert_eq!(priority, -1);
    let seen = &server.seen()[0];
    assert_eq!(seen.header("x-datadog-sampling-priority"), Some("-1"));
    assert!(
        seen.header("x-datadog-tags")
            .is_some_and(|t| t.contains("_dd.p.dm=-3")),
        "{seen:?}"
    );

    // A manual keep set before the request travels too.
    let (tracer, exporter) = support::tracer();
    let client = support::client(DdTraceMiddleware::new(tracer.clone()));
    async {
        active_span().keep_trace();
        client.get(server.url("/y")).send().await.unwrap()
    }
    .instrument(tracer.trace("caller"))
    .await;
    assert_eq!(exporter.chunks()[0].priority.map(|p| p.0), Some(2));
    assert_eq!(
        server.seen()[1].header("x-datadog-sampling-priority"),
        Some("2")
    );
}

#[tokio::test]
async fn distributed_tracing_can_be_turned_off() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(
        DdTraceMiddleware::builder(tracer)
            .distributed_tracing(false)
            .build(),
    );
    client.get(server.url("/x")).send().await.unwrap();
    assert_eq!(exporter.spans().len(), 1);
    let seen = &server.seen()[0];
    assert_eq!(seen.header("x-datadog-trace-id"), None);
    assert_eq!(seen.header("traceparent"), None);
}

#[tokio::test]
async fn a_disabled_tracer_sends_requests_untouched() {
    let server = TestServer::start().await;
    let client = client(DdTraceMiddleware::new(Tracer::disabled()));
    let response = client
        .get(server.url("/x?status=503"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let seen = &server.seen()[0];
    assert_eq!(seen.header("x-datadog-trace-id"), None);
    assert_eq!(seen.header("traceparent"), None);
}

#[tokio::test]
async fn methods_are_upper_case() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    let purge = reqwest::Method::from_bytes(b"purge").expect("an extension method");
    client
        .request(purge, server.url("/cache"))
        .send()
        .await
        .unwrap();
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.meta("http.method"), Some("PURGE"));
    assert_eq!(s.resource, "PURGE /cache");
}

#[tokio::test]
async fn redirects_followed_by_reqwest_are_one_span() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    let response = client.get(server.url("/redirect")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.resource, "GET /redirect");
    assert_eq!(s.meta("http.status_code"), Some("200"), "the final status");
    let seen = server.seen();
    let paths: Vec<_> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/redirect", "/target"]);
    for hop in &seen {
        assert_eq!(
            hop.header("x-datadog-parent-id"),
            Some(s.span_id.0.to_string().as_str())
        );
    }
}

#[tokio::test]
async fn a_dropped_request_still_finishes_its_span() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer));
    let send = client.get(server.url("/slow")).send();
    assert!(
        tokio::time::timeout(Duration::from_millis(100), send)
            .await
            .is_err(),
        "the caller gives up first"
    );
    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.meta("http.status_code"), None);
    assert_eq!(
        s.error, 0,
        "giving up is the caller's choice, not a failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_keep_their_own_parents() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let (tracer, exporter) = tracer();
    let client = client(DdTraceMiddleware::new(tracer.clone()));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (client, server, tracer) = (client.clone(), server.clone(), tracer.clone());
            tokio::spawn(async move {
                let root = tracer.trace("job").resource(format!("job {i}"));
                async move {
                    tokio::task::yield_now().await;
                    client
                        .get(server.url(&format!("/job/{i}")))
                        .send()
                        .await
                        .unwrap();
                }
                .instrument(root)
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let spans = exporter.spans();
    let seen = server.seen();
    for i in 0..20 {
        let root = spans
            .iter()
            .find(|s| s.name == "job" && s.resource == format!("job {i}").as_str())
            .expect("root");
        let call = spans
            .iter()
            .find(|s| s.resource == format!("GET /job/{i}").as_str())
            .expect("client span");
        assert_eq!(call.parent_id, root.span_id);
        assert_eq!(call.trace_id, root.trace_id);
        let hit = seen
            .iter()
            .find(|s| s.path == format!("/job/{i}"))
            .expect("request");
        assert_eq!(
            hit.header("x-datadog-parent-id"),
            Some(call.span_id.0.to_string().as_str())
        );
    }
}
