//! The agent's `GET /info`: its version and the endpoints it serves, read once at start so
//! the writer can adapt (for example send `/v0.4/traces` to an agent without `/v0.5/traces`).

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use ddtrace_core::ApiVersion;

use crate::encode::traces_path;
use crate::headers::base_headers;
use crate::transport::{Client, TransportError, UrlError};

/// What the agent said about itself at `/info`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AgentInfo {
    /// The agent's version (`"7.60.0"`; the test agent says `"test"`).
    pub version: Option<String>,
    /// Endpoints it serves (`/v0.4/traces`, `/v0.5/traces`, `/v0.6/stats`, ...).
    pub endpoints: Vec<String>,
    /// Whether it lets a tracer that computes stats drop P0 traces (this writer computes no
    /// stats, so it never drops them).
    pub client_drop_p0s: bool,
    /// Whether it accepts `meta_struct`.
    pub span_meta_structs: bool,
    /// Whether it accepts native span events.
    pub span_events: bool,
    /// Tags it uses for peer stats.
    pub peer_tags: Vec<String>,
    /// Its `config` object (for example `default_env`, `statsd_port`).
    pub config: serde_json::Map<String, Value>,
}

impl AgentInfo {
    /// Reads the `/info` JSON. Fields that are missing or of the wrong type are left at their
    /// defaults rather than failing the whole answer: agents add fields over time.
    pub fn from_json(body: &[u8]) -> Result<AgentInfo, serde_json::Error> {
        let v: Value = serde_json::from_slice(body)?;
        let strings = |key: &str| -> Vec<String> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let flag = |key: &str| v.get(key).and_then(Value::as_bool).unwrap_or(false);
        Ok(AgentInfo {
            version: v.get("version").and_then(Value::as_str).map(str::to_owned),
            endpoints: strings("endpoints"),
            client_drop_p0s: flag("client_drop_p0s"),
            span_meta_structs: flag("span_meta_structs"),
            span_events: flag("span_events"),
            peer_tags: strings("peer_tags"),
            config: v
                .get("config")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// Whether the agent lists `endpoint` (for example `"/v0.5/traces"`).
    pub fn has_endpoint(&self, endpoint: &str) -> bool {
        self.endpoints.iter().any(|e| e == endpoint)
    }
}

/// Why [`check_agent`] could not read the agent's `/info`.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The configured URL cannot be used.
    #[error(
        "invalid agent URL {url:?}: {source}; set DD_TRACE_AGENT_URL to http://host:port, https://host:port or unix:///path"
    )]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        source: UrlError,
    },
    /// No HTTP answer.
    #[error(
        "cannot reach the Datadog Agent at {url}: {source}; check that it runs there, or set DD_TRACE_AGENT_URL (or DD_AGENT_HOST and DD_TRACE_AGENT_PORT) to its address"
    )]
    Unreachable {
        /// The URL.
        url: String,
        /// The cause.
        source: TransportError,
    },
    /// The agent answered, but not with 200 (404: an agent too old to have `/info`).
    #[error("the Datadog Agent at {url} answered {status} to GET /info")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The agent refused a payload (the status and the start of its answer).
    #[error("the Datadog Agent at {url} answered {status} to {path}: {body}")]
    Rejected {
        /// The URL.
        url: String,
        /// The endpoint.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// The answer was not the expected JSON.
    #[error("the Datadog Agent at {url} sent an unreadable /info: {reason}")]
    BadInfo {
        /// The URL.
        url: String,
        /// The parse error.
        reason: String,
    },
    /// The check could not run (no thread or runtime could be started).
    #[error("the agent check could not run: {0}")]
    Internal(String),
}

/// `GET /info` with `client`, classified into [`AgentError`].
pub(crate) async fn fetch_info(
    client: &mut Client,
    headers: &http::HeaderMap,
) -> Result<AgentInfo, AgentError> {
    let url = client.url().display.clone();
    let resp = client
        .request(Method::GET, "/info", headers, Bytes::new(), None)
        .await
        .map_err(|source| AgentError::Unreachable {
            url: url.clone(),
            source,
        })?;
    if !resp.status.is_success() {
        return Err(AgentError::Status {
            url,
            status: resp.status.as_u16(),
        });
    }
    AgentInfo::from_json(&resp.body).map_err(|e| AgentError::BadInfo {
        url,
        reason: e.to_string(),
    })
}

/// Checks that the agent at `config.agent_url` answers and returns what its `/info` says,
/// within `config.agent_timeout`. For diagnostics (a `ddtrace-info` command, start-up checks).
///
/// Blocks the calling thread; safe to call from inside an async runtime too, since the
/// request runs on a short-lived thread of its own.
///
/// ```no_run
/// let config = ddtrace_core::Config::from_env();
/// match ddtrace_writer::check_agent(&config) {
///     Ok(info) => println!("agent {:?} serves {:?}", info.version, info.endpoints),
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
pub fn check_agent(config: &ddtrace_core::Config) -> Result<AgentInfo, AgentError> {
    // Parsed by the configuration already: a URL that does not parse is a `ConfigWarning`.
    let url = config.agent_url.clone();
    let (headers, _) = base_headers(&config.agent_extra_headers);
    let timeout = config.agent_timeout;
    let worker = std::thread::Builder::new()
        .name("ddtrace-agent-check".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| AgentError::Internal(e.to_string()))?;
            let mut client = Client::new(url, timeout, false);
            rt.block_on(fetch_info(&mut client, &headers))
        })
        .map_err(|e| AgentError::Internal(e.to_string()))?;
    worker
        .join()
        .unwrap_or_else(|_| Err(AgentError::Internal("the check panicked".into())))
}

/// Sends an empty trace payload (`[]`, `X-Datadog-Trace-Count: 0`) to the agent's
/// `/v0.4/traces` and checks that it is accepted: proof that traces can get through, without
/// adding a trace to the account. For diagnostics (`ddtrace-info`).
///
/// Blocks the calling thread, like [`check_agent`].
pub fn send_test_payload(config: &ddtrace_core::Config) -> Result<(), AgentError> {
    let url = config.agent_url.clone();
    let (mut headers, _) = base_headers(&config.agent_extra_headers);
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/msgpack"),
    );
    headers.insert(
        http::HeaderName::from_static("x-datadog-trace-count"),
        http::HeaderValue::from_static("0"),
    );
    let timeout = config.agent_timeout;
    let worker = std::thread::Builder::new()
        .name("ddtrace-agent-check".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| AgentError::Internal(e.to_string()))?;
            let mut client = Client::new(url, timeout, false);
            let display = client.url().display.clone();
            let path = traces_path(ApiVersion::V04);
            // msgpack for an empty array.
            let body = Bytes::from_static(&[0x90]);
            let resp = rt
                .block_on(client.request(Method::PUT, path, &headers, body, None))
                .map_err(|source| AgentError::Unreachable {
                    url: display.clone(),
                    source,
                })?;
            if resp.status.is_success() {
                Ok(())
            } else {
                let body = String::from_utf8_lossy(&resp.body)
                    .chars()
                    .take(300)
                    .collect();
                Err(AgentError::Rejected {
                    url: display,
                    path: path.to_owned(),
                    status: resp.status.as_u16(),
                    body,
                })
            }
        })
        .map_err(|e| AgentError::Internal(e.to_string()))?;
    worker
        .join()
        .unwrap_or_else(|_| Err(AgentError::Internal("the check panicked".into())))
}

/// How long to wait before asking `/info` again after it failed (as the Python tracer).
pub(crate) const INFO_RETRY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_test_agent_answer_and_tolerates_odd_fields() {
        let body = br#"{"version": "test", "endpoints": ["/v0.4/traces", "/v0.5/traces", 3],
            "client_drop_p0s": true, "span_events": "yes", "config": {"statsd_port": 8125}}"#;
        let info = AgentInfo::from_json(body).expect("json");
        assert_eq!(info.version.as_deref(), Some("test"));
        assert!(info.has_endpoint("/v0.5/traces"));
        assert_eq!(info.endpoints.len(), 2);
        assert!(info.client_drop_p0s);
        assert!(!info.span_events);
        assert_eq!(info.config["statsd_port"], 8125);
        assert!(AgentInfo::from_json(b"not json").is_err());
    }

    #[test]
    fn the_test_agent_accepts_the_empty_test_payload() {
        let url = std::env::var("DD_TEST_AGENT_URL")
            .expect("DD_TEST_AGENT_URL is not set: run the suite with `bash scripts/test.sh`");
        let config = ddtrace_core::Config::builder_without_env()
            .agent_url(url)
            .agent_header(("X-Datadog-Test-Session-Token", "writer-info-empty-payload"))
            .build();
        send_test_payload(&config).expect("accepted");
        let closed = ddtrace_core::Config::builder_without_env()
            .agent_url("http://127.0.0.1:1")
            .build();
        assert!(matches!(
            send_test_payload(&closed),
            Err(AgentError::Unreachable { .. })
        ));
    }

    #[test]
    fn an_unreachable_agent_names_the_url_and_the_setting() {
        let config = ddtrace_core::Config::builder_without_env()
            .agent_url("http://127.0.0.1:1")
            .build();
        let err = check_agent(&config).expect_err("nothing listens on port 1");
        let msg = err.to_string();
        assert!(msg.contains("http://127.0.0.1:1"), "{msg}");
        assert!(msg.contains("connection refused"), "{msg}");
        assert!(msg.contains("DD_TRACE_AGENT_URL"), "{msg}");
    }
}
