//! `ddtrace::init_with` + `shutdown` against Datadog's test agent: what a user's program does,
//! end to end. Needs the agent that `scripts/test.sh` starts (DD_TEST_AGENT_URL).

use std::time::Duration;

use ddtrace::{Instrument, SpanId};
use ddtrace_test_support::{Session, span_named};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_traces_reach_the_agent_and_pass_its_checks() {
    let session = Session::start("facade-init");
    let config = session
        .config()
        .service("facade-e2e")
        .env("test")
        .version("0.1.0")
        .build();
    let _guard = ddtrace::init_with(config);
    // A second init keeps the first tracer.
    let _again = ddtrace::init();
    assert_eq!(ddtrace::tracer().config().service, "facade-e2e");

    {
        let root = ddtrace::tracer()
            .trace("checkout.process")
            .resource("POST /checkout")
            .start();
        root.set_tag("user.id", "123");
        root.set_tag("cart.items", 3);
        let child = ddtrace::tracer()
            .trace("db.lookup")
            .span_type("sql")
            .start();
        child.set_error(&std::io::Error::other("timeout"));
    }
    async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let t = ddtrace::spawn(async { drop(ddtrace::tracer().trace("in-task").start()) });
        t.await.unwrap();
    }
    .instrument(ddtrace::tracer().trace("async.request"))
    .await;

    ddtrace::shutdown().expect("everything sent before the deadline");
    let stats = ddtrace::writer_stats().expect("writer installed");
    assert_eq!(stats.traces_sent, 2, "{stats:?}");
    assert_eq!(stats.traces_dropped.total(), 0, "{stats:?}");

    let traces = session.wait_for_traces(2, Duration::from_secs(10));
    assert_eq!(traces.len(), 2, "{traces:?}");
    let all: Vec<serde_json::Value> = traces.into_iter().flatten().collect();
    let root = span_named(&all, "checkout.process");
    assert_eq!(root["service"], "facade-e2e");
    assert_eq!(root["meta"]["user.id"], "123");
    assert_eq!(root["metrics"]["cart.items"], 3.0);
    assert_eq!(root["meta"]["env"], "test");
    assert_eq!(root["meta"]["version"], "0.1.0");
    assert_eq!(root["meta"]["language"], "rust");
    assert_eq!(root["metrics"]["_sampling_priority_v1"], 1.0);
    let child = span_named(&all, "db.lookup");
    assert_eq!(child["parent_id"], root["span_id"]);
    assert_eq!(child["error"], 1);
    assert_eq!(child["meta"]["error.message"], "timeout");
    assert_eq!(child["type"], "sql");
    assert_eq!(
        span_named(&all, "in-task")["parent_id"],
        span_named(&all, "async.request")["span_id"]
    );
    assert_ne!(root["span_id"].as_u64().map(SpanId), Some(SpanId::NONE));

    session.assert_no_check_failures();
    let summary = session.check_summary();
    for check in std::env::var("DD_TEST_AGENT_CHECKS")
        .unwrap_or_default()
        .split(',')
        .filter(|c| !c.is_empty())
    {
        let passed = summary[check]["Passed_Checks"].as_u64().unwrap_or(0);
        // meta_events_is_valid_json runs only on spans with events; trace_peer_service and
        // trace_dd_service only under span schema v1 (these spans are v0): ddtrace-http's
        // end-to-end test runs them under v1 and asserts they pass.
        if !matches!(
            check,
            "meta_events_is_valid_json" | "trace_peer_service" | "trace_dd_service"
        ) {
            assert!(passed > 0, "check {check} never ran: {summary}");
        }
    }

    // After shutdown, new traces are dropped and counted, never sent or blocking.
    drop(ddtrace::tracer().trace("late").start());
    let later = ddtrace::writer_stats().unwrap();
    assert_eq!(later.traces_sent, 2);
    assert_eq!(later.traces_dropped.shut_down, 1, "{later:?}");
}
