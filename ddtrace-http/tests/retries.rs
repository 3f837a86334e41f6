//! Retries with reqwest-retry: where the middleware sits decides whether each attempt is a
//! span (after the retry middleware, the recommended order) or the whole request is one.

mod support;

use std::time::Duration;

use ddtrace_core::{Instrument, SpanId};
use ddtrace_http::{DdTraceMiddleware, RESEND_COUNT};
use reqwest_middleware::{ClientBuilder, reqwest};
use reqwest_retry::RetryTransientMiddleware;
use reqwest_retry::policies::ExponentialBackoff;
use support::*;

fn retries() -> RetryTransientMiddleware<ExponentialBackoff> {
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
        .build_with_max_retries(3);
    RetryTransientMiddleware::new_with_policy(policy)
}

#[tokio::test]
async fn after_the_retry_middleware_each_attempt_is_a_span() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(retries())
        .with(DdTraceMiddleware::new(tracer.clone()))
        .build();

    let response = async { client.get(server.url("/flaky?fail=2")).send().await }
        .instrument(tracer.trace("caller"))
        .await
        .expect("the third attempt succeeds");
    assert_eq!(response.status(), 200);

    let spans = exporter.spans();
    let caller = span(&spans, "caller");
    let mut attempts: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "reqwest.request")
        .collect();
    attempts.sort_by_key(|s| s.start);
    assert_eq!(attempts.len(), 3, "{spans:#?}");
    let statuses: Vec<_> = attempts
        .iter()
        .map(|s| s.meta("http.status_code"))
        .collect();
    assert_eq!(statuses, [Some("503"), Some("503"), Some("200")]);
    let errors: Vec<_> = attempts.iter().map(|s| s.error).collect();
    assert_eq!(errors, [1, 1, 0]);
    let resends: Vec<_> = attempts.iter().map(|s| s.metric(RESEND_COUNT)).collect();
    assert_eq!(resends, [None, Some(1.0), Some(2.0)]);
    for a in &attempts {
        assert_eq!(a.parent_id, caller.span_id, "siblings under the caller");
        assert_eq!(a.trace_id, caller.trace_id);
    }

    // Each attempt told the server its own span id.
    let parents: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.header("x-datadog-parent-id").map(str::to_owned))
        .collect();
    let ids: Vec<_> = attempts
        .iter()
        .map(|a| Some(a.span_id.0.to_string()))
        .collect();
    assert_eq!(parents, ids);
}

#[tokio::test]
async fn before_the_retry_middleware_the_request_is_one_span() {
    let server = TestServer::start().await;
    let (tracer, exporter) = tracer();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(DdTraceMiddleware::new(tracer.clone()))
        .with(retries())
        .build();

    let response = client
        .get(server.url("/flaky?fail=2"))
        .send()
        .await
        .expect("the third attempt succeeds");
    assert_eq!(response.status(), 200);

    let spans = exporter.spans();
    let s = span(&spans, "reqwest.request");
    assert_eq!(s.meta("http.status_code"), Some("200"));
    assert_eq!(s.error, 0, "the last outcome counts");
    assert_eq!(s.metric(RESEND_COUNT), None);
    assert_eq!(s.parent_id, SpanId::NONE);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for attempt in &seen {
        assert_eq!(
            attempt.header("x-datadog-parent-id"),
            Some(s.span_id.0.to_string().as_str())
        );
    }
}

#[tokio::test]
async fn retries_that_run_out_leave_failed_attempts() {
    let port = refused_port();
    let (tracer, exporter) = tracer();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(retries())
        .with(DdTraceMiddleware::new(tracer))
        .build();
    let err = client
        .get(format!("http://127.0.0.1:{port}/x"))
        .send()
        .await
        .expect_err("nothing listens");
    assert!(
        err.is_middleware(),
        "reqwest-retry wraps the last error: {err:?}"
    );

    let spans = exporter.spans();
    assert_eq!(spans.len(), 4, "the first try and three retries");
    for s in &spans {
        assert_eq!(s.error, 1);
        assert_eq!(s.meta("error.type"), Some("reqwest::Error"));
    }
}
