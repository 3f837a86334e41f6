//! Test helpers shared by the ddtrace crates' integration tests: a session on Datadog's test
//! agent (`ddapm-test-agent`), which `scripts/test.sh` starts and announces in
//! `DD_TEST_AGENT_URL`.
//!
//! Each test takes a session of its own, so tests that run in parallel never read each other's
//! traces: the tracer sends the session's token in `X-Datadog-Test-Session-Token`.
//!
//! ```no_run
//! use ddtrace_test_support::Session;
//!
//! let session = Session::start("my-test");
//! let config = session.config().service("svc").build(); // agent URL + session token
//! // ... build a tracer with an AgentWriter from `config`, make spans, shut it down ...
//! let traces = session.wait_for_traces(1, std::time::Duration::from_secs(10));
//! session.assert_no_check_failures();
//! # let _ = (config, traces);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ddtrace_core::{Config, ConfigBuilder};
use serde_json::Value;

/// The test agent's URL. Never skips: a missing agent fails the test with what to do.
pub fn test_agent_url() -> String {
    match std::env::var("DD_TEST_AGENT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "DD_TEST_AGENT_URL is not set: this test needs Datadog's test agent. Run the suite \
             with `bash scripts/test.sh` (extra arguments go to cargo nextest, e.g. `-p <crate>`), \
             which installs and starts ddapm-test-agent and exports its URL."
        ),
    }
}

/// A token no other test of any process uses.
pub fn unique_token(name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{name}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        ddtrace_core::id::random_u64() % 1_000_000
    )
}

/// A blocking `GET url`: (status, body). Any status is returned; a transport error panics.
pub fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Large sessions (stress tests) take the test agent a while to decode.
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut resp = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap_or_else(|e| panic!("GET {url}: body: {e}"));
    (status, body)
}

/// One test's session on the test agent.
#[derive(Debug, Clone)]
pub struct Session {
    /// The agent's URL.
    pub agent: String,
    /// The session token.
    pub token: String,
}

impl Session {
    /// Starts a session named after `name` (made unique).
    pub fn start(name: &str) -> Session {
        Self::start_with(name, "")
    }

    /// As [`start`](Self::start), with `extra` appended to the start URL (for
    /// `&agent_sample_rate_by_service=...`).
    pub fn start_with(name: &str, extra: &str) -> Session {
        let agent = test_agent_url();
        let token = unique_token(name);
        let (status, body) = get(&format!(
            "{agent}/test/session/start?test_session_token={token}{extra}"
        ));
        assert_eq!(status, 200, "session start: {body}");
        Session { agent, token }
    }

    fn query(&self, path: &str) -> (u16, String) {
        get(&format!(
            "{}{path}?test_session_token={}",
            self.agent, self.token
        ))
    }

    /// A configuration that sends to the test agent with this session's token, ignoring the
    /// process environment.
    pub fn config(&self) -> ConfigBuilder {
        Config::builder_without_env()
            .agent_url(self.agent.clone())
            .agent_header(("X-Datadog-Test-Session-Token", &self.token))
    }

    /// The traces received so far (newest first), as the agent decoded them.
    pub fn traces(&self) -> Vec<Vec<Value>> {
        let (status, body) = self.query("/test/session/traces");
        assert_eq!(status, 200, "traces: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("traces JSON: {e}: {body}"))
    }

    /// Polls until at least `n` traces arrived or `timeout` passed; returns what arrived.
    pub fn wait_for_traces(&self, n: usize, timeout: Duration) -> Vec<Vec<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            let traces = self.traces();
            if traces.len() >= n || Instant::now() >= deadline {
                return traces;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until at least `n` spans arrived or `timeout` passed; returns every span.
    pub fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans: Vec<Value> = self.traces().into_iter().flatten().collect();
            if spans.len() >= n || Instant::now() >= deadline {
                return spans;
            }
            // Decoding a large session costs the agent time: poll less often as it grows.
            let pause = if spans.len() > 10_000 { 200 } else { 50 };
            std::thread::sleep(Duration::from_millis(pause));
        }
    }

    /// The raw requests of the session (method, url, headers, body).
    pub fn requests(&self) -> Vec<Value> {
        let (status, body) = self.query("/test/session/requests");
        assert_eq!(status, 200, "requests: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("requests JSON: {e}: {body}"))
    }

    /// Asserts that none of the agent's enabled trace checks failed for this session.
    pub fn assert_no_check_failures(&self) {
        let (status, body) = self.query("/test/trace_check/failures");
        assert_eq!(status, 200, "the test agent's trace checks failed: {body}");
    }

    /// The agent's per-check summary for this session (`{check: {Passed_Checks, ...}}`).
    pub fn check_summary(&self) -> Value {
        let (status, body) = self.query("/test/trace_check/summary");
        assert_eq!(status, 200, "summary: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("summary JSON: {e}: {body}"))
    }
}

/// `config` with the test agent's `X-Datadog-Trace-Env-Variables` header: the settings its
/// `trace_peer_service` and `trace_dd_service` checks compare spans with (`DD_SERVICE`,
/// `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA`). Without it both checks skip every span.
///
/// A test-only header: no Datadog tracer sends it in production (only their test harnesses
/// do, as dd-trace-py's and dd-trace-js's do for the test agent), so the writer never adds it
/// by itself; it travels in `agent_extra_headers`, as the session token does. Call it on the
/// final configuration, after the schema is chosen.
pub fn with_trace_env_variables(mut config: Config) -> Config {
    // The agent splits the value on `,` and each pair on `=`: neither may appear in a value.
    let clean = |v: &str| v.replace([',', '='], "_");
    let value = format!(
        "DD_SERVICE={},DD_TRACE_SPAN_ATTRIBUTE_SCHEMA={}",
        clean(&config.service),
        config.span_attribute_schema
    );
    config
        .agent_extra_headers
        .push(("X-Datadog-Trace-Env-Variables".to_owned(), value));
    config
}

/// The span named `name` among `spans`; panics with the names present if there is none.
pub fn span_named<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
        let names: Vec<&Value> = spans.iter().map(|s| &s["name"]).collect();
        panic!("no span named {name} among {names:?}")
    })
}
