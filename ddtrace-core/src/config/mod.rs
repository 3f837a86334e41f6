//! Configuration: the Python tracer's `DD_*` variables, names and defaults, and a builder to set
//! the same values from code.
//!
//! Values come from, in order of precedence: the builder's setters, the `DD_*` environment
//! variables, the defaults. A value that does not parse is reported as a [`ConfigWarning`]
//! (logged once at start-up) and the default is used instead. The Python tracer raises at import
//! on a malformed number; falling back is a deliberate divergence, since a tracer must never keep
//! an application from starting.
//!
//! Values with a closed set of forms are parsed once, here, into types: [`AgentUrl`],
//! [`SpanSchema`], [`DbmMode`], [`PropagationStyle`], [`ExtractBehavior`], [`ApiVersion`].
//! The code that uses them matches on the type and never re-reads the text.
//!
//! Where things live:
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Config`]: its fields and, in `Config::read`, each one's variable and default |
//! | `env.rs` | the reading rules (`EnvReader`), and the warnings |
//! | `builder.rs` | [`ConfigBuilder`], setting values from code |
//! | `parse.rs` | the Python tracer's parsing rules (booleans, tag lists, ranges) |
//! | `agent_url.rs`, `schema.rs`, `dbm.rs`, `api_version.rs` | one typed value each |
//! | `git.rs` | the repository URL's credentials removed |
//! | `propagation_style.rs` | the propagation styles and the extract behaviour |
//! | `startup_log.rs` | the start-up log's JSON |
//!
//! Adding a `DD_*` setting is a change to `mod.rs`: its field, and one line in `Config::read`
//! naming its variable and default (the defaults are what `read` gives with no variable set).
//! Then, if code may set it, a setter in `builder.rs`; and a row in the README's table.

mod agent_url;
mod api_version;
mod builder;
mod dbm;
mod env;
mod git;
mod parse;
mod propagation_style;
mod schema;
mod startup_log;
#[cfg(test)]
mod tests;

pub use agent_url::{
    AgentAddress, AgentUrl, DEFAULT_AGENT_PORT, DEFAULT_AGENT_SOCKET, DEFAULT_HTTPS_PORT, UrlError,
};
pub use api_version::ApiVersion;
pub use builder::ConfigBuilder;
pub use dbm::{DbmMode, UnknownDbmMode};
pub use git::strip_url_credentials;
pub use parse::{parse_bool, parse_list, parse_seconds, parse_status_ranges, parse_tags};
pub use propagation_style::{ExtractBehavior, PropagationStyle, UnknownBehavior, UnknownStyle};
pub use schema::{SpanSchema, UnknownSchema};

use std::time::Duration;

use crate::str::Str;
use env::EnvReader;

/// A value that was set but could not be used; the default was taken instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The variable (or builder setting) that held the value.
    pub key: &'static str,
    /// The value as given.
    pub value: String,
    /// What was done instead.
    pub message: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={:?}: {}", self.key, self.value, self.message)
    }
}

/// The tracer's effective configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `DD_TRACE_ENABLED` (default true). When false every tracing call is a cheap no-op.
    pub enabled: bool,
    /// `DD_SERVICE`; defaults to the executable's name.
    pub service: Str,
    /// `DD_ENV` (or `env` in `DD_TAGS`).
    pub env: Option<Str>,
    /// `DD_VERSION` (or `version` in `DD_TAGS`).
    pub version: Option<Str>,
    /// `DD_TAGS`: added to every span.
    pub tags: Vec<(Str, Str)>,
    /// `DD_TRACE_DEBUG`: debug logging and the start-up log.
    pub debug: bool,
    /// `DD_TRACE_STARTUP_LOGS`: log the effective configuration at start-up.
    pub startup_logs: bool,
    /// `DD_TRACE_REPORT_HOSTNAME`: add `_dd.hostname` to root spans.
    pub report_hostname: bool,
    /// `DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED` (default true).
    pub trace_id_128_bit: bool,
    /// `DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED` (default false).
    pub trace_id_128_bit_logging: bool,
    /// `DD_LOGS_INJECTION` (default true).
    pub logs_injection: bool,
    /// `DD_TRACE_PARTIAL_FLUSH_ENABLED` (default true).
    pub partial_flush_enabled: bool,
    /// `DD_TRACE_PARTIAL_FLUSH_MIN_SPANS` (default 300, at least 1).
    pub partial_flush_min_spans: usize,
    /// The agent's URL: `DD_TRACE_AGENT_URL`, else `DD_AGENT_HOST`/`DD_TRACE_AGENT_PORT`, else
    /// `unix:///var/run/datadog/apm.socket` if that socket exists, else `http://localhost:8126`.
    pub agent_url: AgentUrl,
    /// `DD_TRACE_AGENT_TIMEOUT_SECONDS` (default 2 s).
    pub agent_timeout: Duration,
    /// `DD_TRACE_API_VERSION` (default v0.5).
    pub api_version: ApiVersion,
    /// `DD_TRACE_WRITER_BUFFER_SIZE_BYTES` (default 20 MiB).
    pub writer_buffer_size_bytes: usize,
    /// `DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES` (default 20 MiB).
    pub writer_max_payload_size_bytes: usize,
    /// `DD_TRACE_WRITER_INTERVAL_SECONDS` (default 1 s).
    pub writer_interval: Duration,
    /// How long traces that could not reach the agent (connection refused, timeout) are kept,
    /// within `writer_buffer_size_bytes`, for the next attempts. Zero (the default, as in the
    /// Python tracer) drops them after the writer's retries. Set from code only.
    pub writer_outage_retention: Duration,
    /// `DD_TRACE_WRITER_REUSE_CONNECTIONS` (default false).
    pub writer_reuse_connections: bool,
    /// `DD_TRACE_STATS_COMPUTATION_ENABLED` (default false).
    pub stats_computation_enabled: bool,
    /// `DD_TRACE_SAMPLING_RULES`: the raw JSON rules.
    pub sampling_rules: Option<String>,
    /// `DD_TRACE_RATE_LIMIT` (default 100 traces per second).
    pub rate_limit: f64,
    /// `DD_TRACE_SAMPLE_RATE`: not applied (as in the Python tracer 4.x); kept to warn about it.
    pub sample_rate: Option<f64>,
    /// `DD_SPAN_SAMPLING_RULES`: the raw JSON rules.
    pub span_sampling_rules: Option<String>,
    /// `DD_SPAN_SAMPLING_RULES_FILE`.
    pub span_sampling_rules_file: Option<String>,
    /// `DD_TRACE_PROPAGATION_STYLE_EXTRACT` (else `DD_TRACE_PROPAGATION_STYLE`).
    pub propagation_style_extract: Vec<PropagationStyle>,
    /// `DD_TRACE_PROPAGATION_STYLE_INJECT` (else `DD_TRACE_PROPAGATION_STYLE`).
    pub propagation_style_inject: Vec<PropagationStyle>,
    /// `DD_TRACE_PROPAGATION_EXTRACT_FIRST` (default false).
    pub propagation_extract_first: bool,
    /// `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`: `continue` (default), `restart` or `ignore`.
    pub propagation_behavior_extract: ExtractBehavior,
    /// `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH` (default 512; 0 disables `x-datadog-tags`).
    pub x_datadog_tags_max_length: usize,
    /// `DD_TRACE_PROPAGATION_HTTP_BAGGAGE_ENABLED` (default false): legacy `ot-baggage-*`
    /// headers.
    pub propagation_http_baggage_enabled: bool,
    /// `DD_TRACE_BAGGAGE_TAG_KEYS` (default `user.id,account.id,session.id`).
    pub baggage_tag_keys: Vec<String>,
    /// `DD_TRACE_HEADER_TAGS`: `header[:tag]` pairs.
    pub header_tags: Vec<(String, String)>,
    /// `DD_TRACE_HTTP_SERVER_ERROR_STATUSES` (default 500-599).
    pub http_server_error_statuses: Vec<(u16, u16)>,
    /// `DD_TRACE_HTTP_CLIENT_ERROR_STATUSES`. The Python tracer 4.x has no such variable and
    /// applies the server ranges to client spans; so, when unset, this is a copy of
    /// `http_server_error_statuses` (default 500-599). The other Datadog tracers read it.
    pub http_client_error_statuses: Vec<(u16, u16)>,
    /// `DD_TRACE_CLIENT_IP_ENABLED` (default false).
    pub client_ip_enabled: bool,
    /// `DD_TRACE_CLIENT_IP_HEADER`.
    pub client_ip_header: Option<String>,
    /// `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`; `None` means the default pattern.
    pub obfuscation_query_string_regexp: Option<String>,
    /// `DD_SERVICE_MAPPING`: `from:to` service renames.
    pub service_mapping: Vec<(String, String)>,
    /// `DD_TRACE_PEER_SERVICE_MAPPING`.
    pub peer_service_mapping: Vec<(String, String)>,
    /// `DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED` (default false).
    pub peer_service_defaults_enabled: bool,
    /// `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA`: `v0` (default) or `v1`.
    pub span_attribute_schema: SpanSchema,
    /// `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED` (default false): under schema v0,
    /// integrations name their spans' service after `DD_SERVICE` instead of after themselves.
    /// See [`Config::integrations_use_global_service`].
    pub remove_integration_service_names: bool,
    /// `DD_DBM_PROPAGATION_MODE`: `disabled` (default), `service` or `full`.
    pub dbm_propagation_mode: DbmMode,
    /// `DD_TRACE_GIT_METADATA_ENABLED` (default true): send [`git_commit_sha`] and
    /// [`git_repository_url`] as `_dd.git.commit.sha` and `_dd.git.repository_url` on each
    /// chunk's first span.
    ///
    /// [`git_commit_sha`]: Config::git_commit_sha
    /// [`git_repository_url`]: Config::git_repository_url
    pub git_metadata_enabled: bool,
    /// `DD_GIT_COMMIT_SHA`, else `git.commit.sha` in `DD_TAGS`.
    pub git_commit_sha: Option<Str>,
    /// `DD_GIT_REPOSITORY_URL`, else `git.repository_url` in `DD_TAGS`, with any credentials
    /// (`https://user:token@host/...`) removed by [`strip_url_credentials`].
    pub git_repository_url: Option<Str>,
    /// Extra HTTP headers on every request to the agent (tests use
    /// `X-Datadog-Test-Session-Token`); never read from the environment.
    pub agent_extra_headers: Vec<(String, String)>,
    /// Variables that were read from the environment, with their raw values.
    pub sources: Vec<(&'static str, String)>,
    /// Values that could not be used.
    pub warnings: Vec<ConfigWarning>,
}

/// The service name when `DD_SERVICE` is unset and the executable's name cannot be read.
pub const DEFAULT_SERVICE_FALLBACK: &str = "unnamed-rust-service";

fn default_service() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVICE_FALLBACK.to_owned())
}

impl Default for Config {
    /// The defaults: the configuration read with no variable set (and without looking for the
    /// agent's socket on disk).
    fn default() -> Self {
        Config::read(&mut EnvReader::new(&|_| None, false))
    }
}

impl Config {
    /// Every setting from `r`: which variable feeds which field, its default, and how a bad
    /// value falls back. Adding a `DD_*` setting is its field above and one line here.
    ///
    /// The fields are read in the order written, which is the order of `sources` and
    /// `warnings`.
    fn read(r: &mut EnvReader<'_>) -> Config {
        // Values that feed several fields.
        let id = r.identity();
        let (style_extract, style_inject) = r.styles(&default_styles());
        let server_errors = r
            .status_ranges("DD_TRACE_HTTP_SERVER_ERROR_STATUSES")
            .unwrap_or_else(|| vec![(500, 599)]);
        let client_errors = r.status_ranges("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES");
        Config {
            service: id
                .service
                .unwrap_or_else(|| Str::interned(default_service())),
            env: id.env,
            version: id.version,
            tags: id.tags,
            enabled: r.bool("DD_TRACE_ENABLED", true),
            debug: r.bool("DD_TRACE_DEBUG", false),
            startup_logs: r.bool("DD_TRACE_STARTUP_LOGS", false),
            report_hostname: r.bool("DD_TRACE_REPORT_HOSTNAME", false),
            trace_id_128_bit: r.bool("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", true),
            trace_id_128_bit_logging: r.bool("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", false),
            logs_injection: r.bool("DD_LOGS_INJECTION", true),
            partial_flush_enabled: r.bool("DD_TRACE_PARTIAL_FLUSH_ENABLED", true),
            partial_flush_min_spans: r.at_least_one("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", 300),
            agent_url: r.agent_url(),
            agent_timeout: r.seconds("DD_TRACE_AGENT_TIMEOUT_SECONDS", Duration::from_secs(2)),
            api_version: r.api_version(),
            writer_buffer_size_bytes: r.number("DD_TRACE_WRITER_BUFFER_SIZE_BYTES", 20 << 20),
            writer_max_payload_size_bytes: r
                .number("DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES", 20 << 20),
            writer_interval: r.seconds("DD_TRACE_WRITER_INTERVAL_SECONDS", Duration::from_secs(1)),
            writer_outage_retention: Duration::ZERO,
            writer_reuse_connections: r.bool("DD_TRACE_WRITER_REUSE_CONNECTIONS", false),
            stats_computation_enabled: r.bool("DD_TRACE_STATS_COMPUTATION_ENABLED", false),
            sampling_rules: r.string("DD_TRACE_SAMPLING_RULES"),
            rate_limit: r.number("DD_TRACE_RATE_LIMIT", 100.0),
            sample_rate: r.sample_rate(),
            span_sampling_rules: r.string("DD_SPAN_SAMPLING_RULES"),
            span_sampling_rules_file: r.string("DD_SPAN_SAMPLING_RULES_FILE"),
            propagation_style_extract: style_extract,
            propagation_style_inject: style_inject,
            propagation_extract_first: r.bool("DD_TRACE_PROPAGATION_EXTRACT_FIRST", false),
            propagation_behavior_extract: r.typed(
                "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT",
                ExtractBehavior::Continue,
                "supported: continue, restart, ignore; using continue",
            ),
            x_datadog_tags_max_length: r.non_negative(
                "DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH",
                512,
                "x-datadog-tags disabled",
            ),
            propagation_http_baggage_enabled: r
                .bool("DD_TRACE_PROPAGATION_HTTP_BAGGAGE_ENABLED", false),
            baggage_tag_keys: r.list(
                "DD_TRACE_BAGGAGE_TAG_KEYS",
                &["user.id", "account.id", "session.id"],
            ),
            header_tags: r.header_tags("DD_TRACE_HEADER_TAGS"),
            // The Python tracer has no client variable and applies the server ranges.
            http_client_error_statuses: client_errors.unwrap_or_else(|| server_errors.clone()),
            http_server_error_statuses: server_errors,
            client_ip_enabled: r.bool("DD_TRACE_CLIENT_IP_ENABLED", false),
            client_ip_header: r.string("DD_TRACE_CLIENT_IP_HEADER"),
            obfuscation_query_string_regexp: r.get("DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP"),
            service_mapping: r.pairs("DD_SERVICE_MAPPING"),
            peer_service_mapping: r.pairs("DD_TRACE_PEER_SERVICE_MAPPING"),
            peer_service_defaults_enabled: r.bool("DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED", false),
            remove_integration_service_names: r
                .bool("DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED", false),
            span_attribute_schema: r.typed(
                "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA",
                SpanSchema::V0,
                "supported: v0, v1; using v0",
            ),
            dbm_propagation_mode: r.typed(
                "DD_DBM_PROPAGATION_MODE",
                DbmMode::Disabled,
                "supported: disabled, service, full; using disabled",
            ),
            git_metadata_enabled: r.bool("DD_TRACE_GIT_METADATA_ENABLED", true),
            git_commit_sha: r
                .string("DD_GIT_COMMIT_SHA")
                .or(id.git_commit_sha)
                .map(Str::interned),
            git_repository_url: r
                .string("DD_GIT_REPOSITORY_URL")
                .or(id.git_repository_url)
                .map(|url| Str::interned(strip_url_credentials(&url))),
            // Set from code only.
            agent_extra_headers: Vec::new(),
            // Last: everything above has been read.
            sources: std::mem::take(&mut r.sources),
            warnings: std::mem::take(&mut r.warnings),
        }
    }
}

/// `datadog,tracecontext,baggage`, as the Python tracer.
fn default_styles() -> Vec<PropagationStyle> {
    vec![
        PropagationStyle::Datadog,
        PropagationStyle::TraceContext,
        PropagationStyle::Baggage,
    ]
}

impl Config {
    /// The configuration from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The configuration read through `lookup` instead of the process environment (for tests,
    /// or configuration kept elsewhere).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Config::read(&mut EnvReader::new(&lookup, true))
    }

    /// A builder that starts from the environment.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::from(Config::from_env())
    }

    /// A builder that starts from the defaults and ignores the environment.
    pub fn builder_without_env() -> ConfigBuilder {
        ConfigBuilder::from(Config::default())
    }

    /// Whether integrations (redis, sqlx, the HTTP client) give their spans `DD_SERVICE` as
    /// service rather than their own name (`redis`, `postgres`, `reqwest`...) when the code
    /// names none: under schema v1, or with `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`,
    /// as in the Python tracer. `DD_SERVICE_MAPPING` applies either way.
    ///
    /// ```
    /// use ddtrace_core::Config;
    ///
    /// let lookup = |k: &str| {
    ///     (k == "DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED").then(|| "true".to_owned())
    /// };
    /// assert!(Config::from_lookup(lookup).integrations_use_global_service());
    /// assert!(!Config::builder_without_env().build().integrations_use_global_service());
    /// ```
    pub fn integrations_use_global_service(&self) -> bool {
        self.span_attribute_schema.is_v1() || self.remove_integration_service_names
    }

    /// The effective configuration as the JSON object of the start-up log.
    pub fn startup_json(&self) -> serde_json::Value {
        startup_log::to_json(self)
    }

    /// Whether `status` is in `DD_TRACE_HTTP_SERVER_ERROR_STATUSES`.
    pub fn is_server_error_status(&self, status: u16) -> bool {
        self.http_server_error_statuses
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }

    /// Whether `status` is in `DD_TRACE_HTTP_CLIENT_ERROR_STATUSES`.
    pub fn is_client_error_status(&self, status: u16) -> bool {
        self.http_client_error_statuses
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}
