//! Fault injection against an in-process fake agent: for each failure, `export()` never
//! blocks, memory stays under the buffer size, the counters say what happened and the log
//! says it once.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ddtrace_core::export::{ExportError, Exporter, TraceChunk};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{ApiVersion, Config, SpanId, TraceId};
use ddtrace_writer::AgentWriter;
use support::{FakeAgent, INFO_BODY, RATES_BODY, Reply, capture_logs, free_port, logs_mentioning};

/// Far above what a push into the buffer takes (even with the test threads preempted on a
/// busy machine), below the 300 ms agent timeout that a blocking export would wait for.
const EXPORT_BUDGET: Duration = Duration::from_millis(100);

fn config(url: &str) -> ddtrace_core::ConfigBuilder {
    Config::builder_without_env()
        .service("faults")
        .env("test")
        .agent_url(url)
        .agent_timeout(Duration::from_millis(300))
        .api_version(ApiVersion::V04)
}

fn chunk(spans: usize) -> TraceChunk {
    let trace_id = TraceId(u128::from(ddtrace_core::id::random_u64()));
    let spans = (0..spans)
        .map(|i| {
            let mut s = SpanData {
                trace_id,
                span_id: SpanId(i as u64 + 1),
                parent_id: SpanId(i as u64),
                name: "op".into(),
                service: "faults".into(),
                resource: "res".into(),
                start: 1,
                duration: 1,
                ..Default::default()
            };
            s.set_meta("k".into(), "v".into());
            s
        })
        .collect();
    TraceChunk {
        trace_id,
        priority: None,
        spans,
    }
}

/// Exports `n` chunks and asserts that none of the calls waited.
fn export_quickly(w: &AgentWriter, n: usize, spans: usize) {
    for _ in 0..n {
        let c = chunk(spans);
        let t = Instant::now();
        w.export(c);
        let took = t.elapsed();
        assert!(took < EXPORT_BUDGET, "export() blocked for {took:?}");
    }
}

fn writer(config: Config) -> AgentWriter {
    AgentWriter::new(&config, Arc::new(AgentRates::new()))
}

fn errors(url: &str) -> Vec<String> {
    logs_mentioning(url)
        .into_iter()
        .filter(|r| r.level == log::Level::Error)
        .map(|r| r.message)
        .collect()
}

#[test]
fn refused_connection_is_retried_dropped_counted_and_logged_once() {
    capture_logs();
    let url = format!("http://127.0.0.1:{}", free_port());
    let w = writer(config(&url).build());
    export_quickly(&w, 100, 3);
    let r = w.flush(Duration::from_secs(10));
    assert!(
        matches!(r, Err(ExportError::Dropped { dropped_traces: 100, ref reason }) if reason == "send failed"),
        "{r:?}"
    );
    let s = w.stats();
    assert_eq!(s.traces_dropped.send_failed, 100, "{s:?}");
    assert_eq!(s.spans_dropped.send_failed, 300);
    assert_eq!((s.errors, s.retries, s.traces_sent), (4, 3, 0));

    // More failures do not add log lines.
    export_quickly(&w, 10, 1);
    let _ = w.flush(Duration::from_secs(10));
    let lines = errors(&url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("connection refused"), "{}", lines[0]);
    assert!(lines[0].contains("DD_TRACE_AGENT_URL"), "{}", lines[0]);
    assert!(lines[0].contains("DD_AGENT_HOST"), "{}", lines[0]);
    assert_eq!(w.stats().traces_dropped.send_failed, 110);
    assert!(w.agent_info().is_none());
}

#[test]
fn unresolvable_host_names_dns_in_the_log() {
    capture_logs();
    let url = "http://no-such-agent.invalid:8126";
    let w = writer(config(url).build());
    export_quickly(&w, 2, 1);
    assert!(w.flush(Duration::from_secs(20)).is_err());
    let lines = errors(url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("DNS"), "{}", lines[0]);
}

#[test]
fn agent_that_never_answers_times_out_and_the_buffer_stays_bounded() {
    capture_logs();
    let agent = FakeAgent::start(|_, _| Reply::Hang);
    let buffer = 64 * 1024;
    let w = writer(config(&agent.url).writer_buffer_size_bytes(buffer).build());
    export_quickly(&w, 5, 2);
    // While the writer waits on the agent, the application keeps exporting: the buffer
    // refuses what does not fit instead of growing or blocking.
    let flusher = std::thread::scope(|s| {
        let h = s.spawn(|| w.flush(Duration::from_secs(10)));
        for _ in 0..2000 {
            export_quickly(&w, 1, 2);
            assert!(w.stats().buffered_bytes <= buffer as u64);
        }
        h.join().expect("flush thread")
    });
    assert!(
        matches!(flusher, Err(ExportError::Dropped { .. })),
        "{flusher:?}"
    );
    let s = w.stats();
    assert!(s.traces_dropped.buffer_full > 0, "{s:?}");
    assert_eq!(s.traces_enqueued + s.traces_dropped.buffer_full, 2005);
    assert!(s.retries >= 3 && s.errors >= 4, "{s:?}");
    let lines = errors(&agent.url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("timeout"), "{}", lines[0]);

    // Shutdown respects its deadline even though the agent never answers.
    export_quickly(&w, 3, 1);
    let t = Instant::now();
    let r = w.shutdown(Duration::from_millis(500));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(r.is_err(), "{r:?}");
}

#[test]
fn slow_agent_is_waited_for_without_blocking_the_application() {
    capture_logs();
    let agent = FakeAgent::start(|r, _| {
        if r.path == "/info" {
            return Reply::ok(INFO_BODY);
        }
        Reply::Answer {
            status: 200,
            body: RATES_BODY.into(),
            delay: Duration::from_millis(400),
        }
    });
    let w = writer(
        config(&agent.url)
            .agent_timeout(Duration::from_secs(3))
            .build(),
    );
    export_quickly(&w, 10, 2);
    std::thread::scope(|s| {
        let h = s.spawn(|| w.flush(Duration::from_secs(10)));
        // Exports during the slow send return at once.
        export_quickly(&w, 200, 2);
        assert_eq!(h.join().expect("flush thread"), Ok(()));
    });
    w.flush(Duration::from_secs(10)).expect("second flush");
    let s = w.stats();
    assert_eq!(s.traces_sent, 210, "{s:?}");
    assert_eq!((s.errors, s.retries), (0, 0));
    assert!(errors(&agent.url).is_empty());
}

#[test]
fn server_error_then_success_is_retried() {
    capture_logs();
    let agent = FakeAgent::start(|r, seen| match (r.path.as_str(), seen) {
        ("/info", _) => Reply::ok(INFO_BODY),
        (_, 0) => Reply::status(500, "internal error"),
        _ => Reply::ok(RATES_BODY),
    });
    let w = writer(config(&agent.url).build());
    export_quickly(&w, 7, 2);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let s = w.stats();
    assert_eq!(
        (s.traces_sent, s.payloads_sent, s.errors, s.retries),
        (7, 1, 1, 1),
        "{s:?}"
    );
    assert_eq!(agent.trace_requests().len(), 2);
    assert!(errors(&agent.url).is_empty());
}

#[test]
fn persistent_server_errors_give_up_after_the_retries() {
    capture_logs();
    let agent = FakeAgent::start(|r, _| match r.path.as_str() {
        "/info" => Reply::ok(INFO_BODY),
        _ => Reply::status(503, "overloaded"),
    });
    let w = writer(config(&agent.url).build());
    export_quickly(&w, 3, 1);
    assert!(w.flush(Duration::from_secs(10)).is_err());
    export_quickly(&w, 3, 1);
    assert!(w.flush(Duration::from_secs(10)).is_err());
    let s = w.stats();
    assert_eq!((s.traces_dropped.send_failed, s.retries), (6, 6), "{s:?}");
    let lines = errors(&agent.url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("503"), "{}", lines[0]);
}

fn rejected_once(status: u16, hint: &str) {
    capture_logs();
    let agent = FakeAgent::start(move |r, _| match r.path.as_str() {
        "/info" => Reply::ok(INFO_BODY),
        _ => Reply::status(status, "no thanks"),
    });
    let w = writer(config(&agent.url).build());
    export_quickly(&w, 4, 2);
    let r = w.flush(Duration::from_secs(10));
    assert!(
        matches!(r, Err(ExportError::Dropped { dropped_traces: 4, ref reason }) if reason == "rejected by the agent"),
        "{r:?}"
    );
    export_quickly(&w, 4, 2);
    let _ = w.flush(Duration::from_secs(10));
    let s = w.stats();
    assert_eq!(s.traces_dropped.rejected_by_agent, 8, "{s:?}");
    assert_eq!(s.spans_dropped.rejected_by_agent, 16);
    assert_eq!((s.retries, s.errors), (0, 2), "4xx is not retried");
    let lines = errors(&agent.url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains(&status.to_string()), "{}", lines[0]);
    assert!(lines[0].contains(hint), "{}", lines[0]);
}

#[test]
fn payload_too_large_413_is_dropped_and_counted() {
    rejected_once(413, "DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES");
}

#[test]
fn bad_request_400_is_dropped_and_counted() {
    rejected_once(400, "no thanks");
}

#[test]
fn garbage_answer_body_counts_as_sent_but_is_reported() {
    capture_logs();
    let agent = FakeAgent::start(|r, _| match r.path.as_str() {
        "/info" => Reply::ok(INFO_BODY),
        _ => Reply::ok("\u{1}\u{2}garbage{{"),
    });
    let rates = Arc::new(AgentRates::new());
    let w = AgentWriter::new(&config(&agent.url).build(), rates.clone());
    for _ in 0..3 {
        export_quickly(&w, 2, 1);
        assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    }
    let s = w.stats();
    assert_eq!(
        (s.traces_sent, s.bad_responses, s.rate_updates),
        (6, 3, 0),
        "{s:?}"
    );
    assert!(rates.snapshot().is_empty());
    let lines = logs_mentioning(&agent.url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].message.contains("not JSON"),
        "{}",
        lines[0].message
    );
}

#[test]
fn malformed_rate_by_service_keeps_the_last_good_rates() {
    capture_logs();
    let agent = FakeAgent::start(|r, seen| match (r.path.as_str(), seen) {
        ("/info", _) => Reply::ok(INFO_BODY),
        (_, 0) => Reply::ok(r#"{"rate_by_service": {"service:faults,env:test": 0.5}}"#),
        (_, 1) => Reply::ok(r#"{"rate_by_service": "everything"}"#),
        _ => Reply::ok(
            r#"{"rate_by_service": {"service:faults,env:test": "x", "service:,env:": 0.25, "service:y,env:": 3}}"#,
        ),
    });
    let rates = Arc::new(AgentRates::new());
    let w = AgentWriter::new(&config(&agent.url).build(), rates.clone());
    export_quickly(&w, 1, 1);
    w.flush(Duration::from_secs(10)).expect("flush");
    assert_eq!(rates.rate_for("faults", "test"), Some(0.5));
    export_quickly(&w, 1, 1);
    w.flush(Duration::from_secs(10)).expect("flush");
    assert_eq!(
        rates.rate_for("faults", "test"),
        Some(0.5),
        "not an object: ignored"
    );
    export_quickly(&w, 1, 1);
    w.flush(Duration::from_secs(10)).expect("flush");
    // The valid entries replace the table; the invalid ones are left out.
    assert_eq!(rates.rate_for("", ""), Some(0.25));
    assert_eq!(rates.rate_for("faults", "test"), None);
    assert_eq!(rates.snapshot().len(), 1);
    let s = w.stats();
    assert_eq!(
        (s.traces_sent, s.rate_updates, s.bad_responses),
        (3, 2, 2),
        "{s:?}"
    );
    assert_eq!(logs_mentioning(&agent.url).len(), 1);
}

#[test]
fn agent_that_appears_after_start_up_receives_later_traces() {
    capture_logs();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let w = writer(config(&url).build());
    export_quickly(&w, 3, 1);
    // Nothing listens yet: the first batch fails (after its retries).
    let first = w.flush(Duration::from_secs(10));
    assert!(first.is_err(), "{first:?}");
    let agent = FakeAgent::start_on(port, |r, _| {
        if r.path == "/info" {
            Reply::ok(INFO_BODY)
        } else {
            Reply::ok(RATES_BODY)
        }
    });
    export_quickly(&w, 4, 1);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let s = w.stats();
    assert_eq!(
        (s.traces_dropped.send_failed, s.traces_sent),
        (3, 4),
        "{s:?}"
    );
    assert_eq!(agent.trace_requests().len(), 1);
    // It learns what the agent serves once it is there.
    assert_eq!(
        w.agent_info().and_then(|i| i.version).as_deref(),
        Some("fake")
    );
    let lines = logs_mentioning(&url);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].message.contains("cannot reach"));
    assert!(lines[1].message.contains("answers again"));
    assert!(lines[1].message.contains("3 trace(s) were dropped"));
}

#[test]
fn v05_answered_404_downgrades_to_v04_and_resends() {
    capture_logs();
    let agent = FakeAgent::start(|r, _| match r.path.as_str() {
        "/info" => Reply::ok(INFO_BODY),
        "/v0.5/traces" => Reply::status(404, "not found"),
        _ => Reply::ok(RATES_BODY),
    });
    let w = writer(config(&agent.url).api_version(ApiVersion::V05).build());
    export_quickly(&w, 5, 2);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    export_quickly(&w, 1, 1);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let paths: Vec<String> = agent.trace_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v0.5/traces", "/v0.4/traces", "/v0.4/traces"]);
    let s = w.stats();
    assert_eq!(
        (s.traces_sent, s.downgrades, s.traces_dropped.total()),
        (6, 1, 0),
        "{s:?}"
    );
}

#[test]
fn agent_without_v05_gets_v04_from_the_start() {
    let agent = FakeAgent::start(|r, _| match r.path.as_str() {
        "/info" => Reply::ok(r#"{"version": "7.0.0", "endpoints": ["/v0.4/traces"]}"#),
        _ => Reply::ok(RATES_BODY),
    });
    let w = writer(config(&agent.url).api_version(ApiVersion::V05).build());
    export_quickly(&w, 2, 1);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let paths: Vec<String> = agent.trace_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v0.4/traces"]);
    assert_eq!(
        w.agent_info().and_then(|i| i.version).as_deref(),
        Some("7.0.0")
    );
}

#[test]
fn traces_larger_than_a_payload_are_dropped_as_too_large() {
    let agent = FakeAgent::healthy();
    let w = writer(
        config(&agent.url)
            .writer_max_payload_size_bytes(4 * 1024)
            .build(),
    );
    let mut big = chunk(1);
    big.spans[0].set_meta("blob".into(), "z".repeat(10_000).into());
    w.export(big);
    export_quickly(&w, 3, 1);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let s = w.stats();
    assert_eq!((s.traces_dropped.too_large, s.traces_sent), (1, 3), "{s:?}");
}

#[test]
fn after_shutdown_exports_are_dropped_as_shut_down() {
    let agent = FakeAgent::healthy();
    let w = writer(config(&agent.url).build());
    export_quickly(&w, 2, 1);
    assert_eq!(w.shutdown(Duration::from_secs(5)), Ok(()));
    assert_eq!(w.stats().traces_sent, 2);
    export_quickly(&w, 3, 1);
    assert_eq!(w.stats().traces_dropped.shut_down, 3);
    assert_eq!(w.flush(Duration::from_secs(1)), Err(ExportError::ShutDown));
    assert_eq!(w.shutdown(Duration::from_secs(1)), Ok(()), "idempotent");
}

#[test]
fn payload_size_threshold_flushes_before_the_interval() {
    let agent = FakeAgent::healthy();
    let w = writer(
        config(&agent.url)
            .writer_interval(Duration::from_secs(3600))
            .writer_max_payload_size_bytes(8 * 1024)
            .build(),
    );
    export_quickly(&w, 200, 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.stats().traces_sent == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        w.stats().traces_sent > 0,
        "no send before the one-hour interval"
    );
}

#[test]
fn interval_sends_without_an_explicit_flush() {
    let agent = FakeAgent::healthy();
    let w = writer(
        config(&agent.url)
            .writer_interval(Duration::from_millis(100))
            .build(),
    );
    export_quickly(&w, 3, 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.stats().traces_sent < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(w.stats().traces_sent, 3);
}

#[test]
fn works_from_inside_an_async_runtime_too() {
    let agent = FakeAgent::healthy();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Neither the writer nor the agent check may start a runtime inside this one.
        let w = writer(config(&agent.url).build());
        w.export(chunk(1));
        let info = ddtrace_writer::check_agent(&config(&agent.url).build()).expect("check");
        assert_eq!(info.version.as_deref(), Some("fake"));
        assert_eq!(w.shutdown(Duration::from_secs(5)), Ok(()));
    });
}

#[test]
fn oversized_answer_is_not_a_reason_to_resend() {
    let huge = format!(
        r#"{{"rate_by_service": {{"service:,env:": 1.0}}, "pad": "{}"}}"#,
        "p".repeat(2 << 20)
    );
    let agent = FakeAgent::start(move |r, _| match r.path.as_str() {
        "/info" => Reply::ok(INFO_BODY),
        _ => Reply::ok(&huge),
    });
    let w = writer(
        config(&agent.url)
            .agent_timeout(Duration::from_secs(5))
            .build(),
    );
    export_quickly(&w, 2, 1);
    assert_eq!(w.flush(Duration::from_secs(10)), Ok(()));
    let s = w.stats();
    assert_eq!(
        (s.traces_sent, s.retries, s.bad_responses),
        (2, 0, 1),
        "{s:?}"
    );
    assert_eq!(agent.trace_requests().len(), 1);
}
