//! Configuration: the Python tracer's `DD_*` variables, names and defaults, and a builder to set
//! the same values from code.
//!
//! Values come from, in order of precedence: the builder's setters, the `DD_*` environment
//! variables, the defaults. A value that does not parse is reported as a [`ConfigWarning`]
//! (logged once at start-up) and the default is used instead. The Python tracer raises at import
//! on a malformed number; falling back is a deliberate divergence, since a tracer must never keep
//! an application from starting.

mod parse;
mod startup_log;

pub use parse::{parse_bool, parse_list, parse_seconds, parse_status_ranges, parse_tags};

use std::time::Duration;

use crate::str::Str;

/// The trace intake API the writer sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `/v0.4/traces`: spans as maps.
    V04,
    /// `/v0.5/traces`: spans as arrays with a string table (the default).
    #[default]
    V05,
}

impl ApiVersion {
    /// `v0.4` or `v0.5`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V04 => "v0.4",
            ApiVersion::V05 => "v0.5",
        }
    }
}

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
    pub agent_url: String,
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
    pub propagation_style_extract: Vec<String>,
    /// `DD_TRACE_PROPAGATION_STYLE_INJECT` (else `DD_TRACE_PROPAGATION_STYLE`).
    pub propagation_style_inject: Vec<String>,
    /// `DD_TRACE_PROPAGATION_EXTRACT_FIRST` (default false).
    pub propagation_extract_first: bool,
    /// `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`: `continue` (default), `restart` or `ignore`.
    pub propagation_behavior_extract: String,
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
    pub span_attribute_schema: String,
    /// `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED` (default false): under schema v0,
    /// integrations name their spans' service after `DD_SERVICE` instead of after themselves.
    /// See [`Config::integrations_use_global_service`].
    pub remove_integration_service_names: bool,
    /// `DD_DBM_PROPAGATION_MODE`: `disabled` (default), `service` or `full`.
    pub dbm_propagation_mode: String,
    /// Extra HTTP headers on every request to the agent (tests use
    /// `X-Datadog-Test-Session-Token`); never read from the environment.
    pub agent_extra_headers: Vec<(String, String)>,
    /// Variables that were read from the environment, with their raw values.
    pub sources: Vec<(&'static str, String)>,
    /// Values that could not be used.
    pub warnings: Vec<ConfigWarning>,
}

/// The default sampling of a trace with no other instruction.
pub const DEFAULT_SERVICE_FALLBACK: &str = "unnamed-rust-service";

fn default_service() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVICE_FALLBACK.to_owned())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            service: Str::interned(default_service()),
            env: None,
            version: None,
            tags: Vec::new(),
            debug: false,
            startup_logs: false,
            report_hostname: false,
            trace_id_128_bit: true,
            trace_id_128_bit_logging: false,
            logs_injection: true,
            partial_flush_enabled: true,
            partial_flush_min_spans: 300,
            agent_url: "http://localhost:8126".to_owned(),
            agent_timeout: Duration::from_secs(2),
            api_version: ApiVersion::V05,
            writer_buffer_size_bytes: 20 << 20,
            writer_max_payload_size_bytes: 20 << 20,
            writer_interval: Duration::from_secs(1),
            writer_outage_retention: Duration::ZERO,
            writer_reuse_connections: false,
            stats_computation_enabled: false,
            sampling_rules: None,
            rate_limit: 100.0,
            sample_rate: None,
            span_sampling_rules: None,
            span_sampling_rules_file: None,
            propagation_style_extract: default_styles(),
            propagation_style_inject: default_styles(),
            propagation_extract_first: false,
            propagation_behavior_extract: "continue".to_owned(),
            x_datadog_tags_max_length: 512,
            propagation_http_baggage_enabled: false,
            baggage_tag_keys: vec!["user.id".into(), "account.id".into(), "session.id".into()],
            header_tags: Vec::new(),
            http_server_error_statuses: vec![(500, 599)],
            http_client_error_statuses: vec![(500, 599)],
            client_ip_enabled: false,
            client_ip_header: None,
            obfuscation_query_string_regexp: None,
            service_mapping: Vec::new(),
            peer_service_mapping: Vec::new(),
            peer_service_defaults_enabled: false,
            span_attribute_schema: "v0".to_owned(),
            remove_integration_service_names: false,
            dbm_propagation_mode: "disabled".to_owned(),
            agent_extra_headers: Vec::new(),
            sources: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

fn default_styles() -> Vec<String> {
    vec!["datadog".into(), "tracecontext".into(), "baggage".into()]
}

/// Where the socket of a local agent is looked for when no address is configured.
pub const DEFAULT_AGENT_SOCKET: &str = "/var/run/datadog/apm.socket";

impl Config {
    /// The configuration from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The configuration read through `lookup` instead of the process environment (for tests,
    /// or configuration kept elsewhere).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        EnvReader {
            lookup: &lookup,
            config: Config::default(),
        }
        .read()
    }

    /// A builder that starts from the environment.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::from_env(),
        }
    }

    /// A builder that starts from the defaults and ignores the environment.
    pub fn builder_without_env() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
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
        self.span_attribute_schema == "v1" || self.remove_integration_service_names
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

struct EnvReader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    config: Config,
}

impl EnvReader<'_> {
    fn get(&mut self, key: &'static str) -> Option<String> {
        let v = (self.lookup)(key)?;
        self.config.sources.push((key, v.clone()));
        Some(v)
    }

    fn warn(&mut self, key: &'static str, value: &str, message: impl Into<String>) {
        self.config.warnings.push(ConfigWarning {
            key,
            value: value.to_owned(),
            message: message.into(),
        });
    }

    fn bool(&mut self, key: &'static str, default: bool) -> bool {
        self.get(key).map_or(default, |v| parse_bool(&v))
    }

    fn number<T: std::str::FromStr + std::fmt::Display + Copy>(
        &mut self,
        key: &'static str,
        default: T,
    ) -> T {
        match self.get(key) {
            None => default,
            Some(v) => v.trim().parse().unwrap_or_else(|_| {
                self.warn(
                    key,
                    &v,
                    format!("not a valid number; using the default {default}"),
                );
                default
            }),
        }
    }

    fn seconds(&mut self, key: &'static str, default: Duration) -> Duration {
        match self.get(key) {
            None => default,
            Some(v) => parse_seconds(&v).unwrap_or_else(|| {
                let msg = format!(
                    "not a non-negative number of seconds; using the default {}",
                    default.as_secs_f64()
                );
                self.warn(key, &v, msg);
                default
            }),
        }
    }

    fn string(&mut self, key: &'static str) -> Option<String> {
        self.get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn read(mut self) -> Config {
        let tags = self
            .get("DD_TAGS")
            .map(|v| parse_tags(&v))
            .unwrap_or_default();
        let tag = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.clone());
        let service = self
            .string("DD_SERVICE")
            .or_else(|| tag("service"))
            .or_else(|| self.string("OTEL_SERVICE_NAME"));
        if let Some(s) = service {
            self.config.service = Str::interned(s);
        }
        self.config.env = self
            .string("DD_ENV")
            .or_else(|| tag("env"))
            .map(Str::interned);
        self.config.version = self
            .string("DD_VERSION")
            .or_else(|| tag("version"))
            .map(Str::interned);
        self.config.tags = tags
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "env" | "service" | "version"))
            .map(|(k, v)| (Str::interned(k), Str::interned(v)))
            .collect();

        let c = &mut self;
        c.config.enabled = c.bool("DD_TRACE_ENABLED", true);
        c.config.debug = c.bool("DD_TRACE_DEBUG", false);
        c.config.startup_logs = c.bool("DD_TRACE_STARTUP_LOGS", false);
        c.config.report_hostname = c.bool("DD_TRACE_REPORT_HOSTNAME", false);
        c.config.trace_id_128_bit = c.bool("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", true);
        c.config.trace_id_128_bit_logging =
            c.bool("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", false);
        c.config.logs_injection = c.bool("DD_LOGS_INJECTION", true);
        c.config.partial_flush_enabled = c.bool("DD_TRACE_PARTIAL_FLUSH_ENABLED", true);
        let min_spans: i64 = c.number("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", 300);
        if min_spans < 1 {
            c.warn(
                "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS",
                &min_spans.to_string(),
                "below 1; using 1",
            );
        }
        c.config.partial_flush_min_spans = min_spans.max(1) as usize;

        c.read_agent_url();
        c.config.agent_timeout =
            c.seconds("DD_TRACE_AGENT_TIMEOUT_SECONDS", Duration::from_secs(2));
        if let Some(v) = c.string("DD_TRACE_API_VERSION") {
            match v.as_str() {
                "v0.4" => c.config.api_version = ApiVersion::V04,
                "v0.5" => c.config.api_version = ApiVersion::V05,
                _ => c.warn(
                    "DD_TRACE_API_VERSION",
                    &v,
                    "supported: v0.4, v0.5; using v0.5",
                ),
            }
        }
        if c.bool("DD_TRACE_NATIVE_SPAN_EVENTS", false) {
            c.config.api_version = ApiVersion::V04;
        }
        c.config.writer_buffer_size_bytes =
            c.number("DD_TRACE_WRITER_BUFFER_SIZE_BYTES", 20usize << 20);
        c.config.writer_max_payload_size_bytes =
            c.number("DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES", 20usize << 20);
        c.config.writer_interval =
            c.seconds("DD_TRACE_WRITER_INTERVAL_SECONDS", Duration::from_secs(1));
        c.config.writer_reuse_connections = c.bool("DD_TRACE_WRITER_REUSE_CONNECTIONS", false);
        c.config.stats_computation_enabled = c.bool("DD_TRACE_STATS_COMPUTATION_ENABLED", false);

        c.config.sampling_rules = c.string("DD_TRACE_SAMPLING_RULES");
        c.config.rate_limit = c.number("DD_TRACE_RATE_LIMIT", 100.0);
        if let Some(v) = c.string("DD_TRACE_SAMPLE_RATE") {
            match v.parse::<f64>() {
                Ok(r) if r.is_finite() => c.config.sample_rate = Some(r),
                _ => c.warn("DD_TRACE_SAMPLE_RATE", &v, "not a number; ignored"),
            }
        }
        c.config.span_sampling_rules = c.string("DD_SPAN_SAMPLING_RULES");
        c.config.span_sampling_rules_file = c.string("DD_SPAN_SAMPLING_RULES_FILE");

        let both = c
            .string("DD_TRACE_PROPAGATION_STYLE")
            .map(|v| parse_list(&v.to_lowercase()));
        let extract = c
            .string("DD_TRACE_PROPAGATION_STYLE_EXTRACT")
            .map(|v| parse_list(&v.to_lowercase()));
        let inject = c
            .string("DD_TRACE_PROPAGATION_STYLE_INJECT")
            .map(|v| parse_list(&v.to_lowercase()));
        if let Some(s) = extract.or_else(|| both.clone()) {
            c.config.propagation_style_extract = s;
        }
        if let Some(s) = inject.or(both) {
            c.config.propagation_style_inject = s;
        }
        c.config.propagation_extract_first = c.bool("DD_TRACE_PROPAGATION_EXTRACT_FIRST", false);
        if let Some(v) = c.string("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT") {
            let v = v.to_lowercase();
            if matches!(v.as_str(), "continue" | "restart" | "ignore") {
                c.config.propagation_behavior_extract = v;
            } else {
                c.warn(
                    "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT",
                    &v,
                    "supported: continue, restart, ignore; using continue",
                );
            }
        }
        let max_len: i64 = c.number("DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH", 512);
        if max_len < 0 {
            c.warn(
                "DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH",
                &max_len.to_string(),
                "negative; x-datadog-tags disabled",
            );
        }
        c.config.x_datadog_tags_max_length = max_len.max(0) as usize;
        c.config.propagation_http_baggage_enabled =
            c.bool("DD_TRACE_PROPAGATION_HTTP_BAGGAGE_ENABLED", false);
        if let Some(v) = c.get("DD_TRACE_BAGGAGE_TAG_KEYS") {
            c.config.baggage_tag_keys = parse_list(&v);
        }
        if let Some(v) = c.get("DD_TRACE_HEADER_TAGS") {
            c.config.header_tags = parse_header_tags(&v);
        }
        let mut client_statuses_set = false;
        for (key, slot_is_server) in [
            ("DD_TRACE_HTTP_SERVER_ERROR_STATUSES", true),
            ("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES", false),
        ] {
            if let Some(v) = c.get(key) {
                let (ranges, bad) = parse_status_ranges(&v);
                for piece in bad {
                    c.warn(key, &piece, "not a status or status range; skipped");
                }
                if slot_is_server {
                    c.config.http_server_error_statuses = ranges;
                } else {
                    c.config.http_client_error_statuses = ranges;
                    client_statuses_set = true;
                }
            }
        }
        if !client_statuses_set {
            c.config.http_client_error_statuses = c.config.http_server_error_statuses.clone();
        }
        c.config.client_ip_enabled = c.bool("DD_TRACE_CLIENT_IP_ENABLED", false);
        c.config.client_ip_header = c.string("DD_TRACE_CLIENT_IP_HEADER");
        c.config.obfuscation_query_string_regexp =
            c.get("DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP");
        if let Some(v) = c.get("DD_SERVICE_MAPPING") {
            c.config.service_mapping = parse_tags(&v);
        }
        if let Some(v) = c.get("DD_TRACE_PEER_SERVICE_MAPPING") {
            c.config.peer_service_mapping = parse_tags(&v);
        }
        c.config.peer_service_defaults_enabled =
            c.bool("DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED", false);
        c.config.remove_integration_service_names =
            c.bool("DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED", false);
        if let Some(v) = c.string("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA") {
            if matches!(v.as_str(), "v0" | "v1") {
                c.config.span_attribute_schema = v;
            } else {
                c.warn(
                    "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA",
                    &v,
                    "supported: v0, v1; using v0",
                );
            }
        }
        if let Some(v) = c.string("DD_DBM_PROPAGATION_MODE") {
            let v = v.to_lowercase();
            if matches!(v.as_str(), "disabled" | "service" | "full") {
                c.config.dbm_propagation_mode = v;
            } else {
                c.warn(
                    "DD_DBM_PROPAGATION_MODE",
                    &v,
                    "supported: disabled, service, full; using disabled",
                );
            }
        }
        self.config
    }

    fn read_agent_url(&mut self) {
        if let Some(url) = self.string("DD_TRACE_AGENT_URL") {
            let ok = ["http://", "https://", "unix://"]
                .iter()
                .any(|p| url.starts_with(p));
            if ok {
                self.config.agent_url = url;
                return;
            }
            self.warn(
                "DD_TRACE_AGENT_URL",
                &url,
                "supported schemes: http://, https://, unix://; ignored",
            );
        }
        let host = self
            .string("DD_AGENT_HOST")
            .or_else(|| self.string("DD_TRACE_AGENT_HOSTNAME"));
        let port_raw = self
            .string("DD_TRACE_AGENT_PORT")
            .or_else(|| self.string("DD_AGENT_PORT"));
        let port = port_raw.as_ref().and_then(|p| match p.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => None,
        });
        if let (Some(raw), None) = (&port_raw, port) {
            let raw = raw.clone();
            self.warn("DD_TRACE_AGENT_PORT", &raw, "not a valid port; using 8126");
        }
        if host.is_some() || port.is_some() {
            let host = host.unwrap_or_else(|| "localhost".to_owned());
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host
            };
            self.config.agent_url = format!("http://{host}:{}", port.unwrap_or(8126));
        } else if std::path::Path::new(DEFAULT_AGENT_SOCKET).exists() {
            self.config.agent_url = format!("unix://{DEFAULT_AGENT_SOCKET}");
        }
    }
}

fn parse_header_tags(raw: &str) -> Vec<(String, String)> {
    parse_list(raw)
        .into_iter()
        .filter_map(|item| {
            let (header, tag) = match item.rsplit_once(':') {
                Some((h, t)) => (h.trim().to_lowercase(), t.trim().to_owned()),
                None => (item.trim().to_lowercase(), String::new()),
            };
            (!header.is_empty()).then_some((header, tag))
        })
        .collect()
}

/// Sets configuration values from code; what is not set keeps its environment or default value.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => |$c:ident, $v:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $v: $ty) -> Self {
            let $c = &mut self.config;
            $body;
            self
        }
    )*};
}

impl ConfigBuilder {
    setters! {
        /// Enables or disables tracing (`DD_TRACE_ENABLED`).
        enabled: bool => |c, v| c.enabled = v;
        /// The service name (`DD_SERVICE`).
        service: impl AsRef<str> => |c, v| c.service = Str::interned(v);
        /// The environment (`DD_ENV`).
        env: impl AsRef<str> => |c, v| c.env = Some(Str::interned(v));
        /// The application version (`DD_VERSION`).
        version: impl AsRef<str> => |c, v| c.version = Some(Str::interned(v));
        /// Adds a tag to every span (`DD_TAGS`).
        tag: (&str, &str) => |c, v| c.tags.push((Str::interned(v.0), Str::interned(v.1)));
        /// The agent URL (`DD_TRACE_AGENT_URL`): `http://host:port` or `unix:///path`.
        agent_url: impl Into<String> => |c, v| c.agent_url = v.into();
        /// Timeout of each request to the agent (`DD_TRACE_AGENT_TIMEOUT_SECONDS`).
        agent_timeout: Duration => |c, v| c.agent_timeout = v;
        /// The intake API version (`DD_TRACE_API_VERSION`).
        api_version: ApiVersion => |c, v| c.api_version = v;
        /// Maximum bytes of traces buffered while waiting to be sent.
        writer_buffer_size_bytes: usize => |c, v| c.writer_buffer_size_bytes = v;
        /// Maximum bytes of one payload to the agent.
        writer_max_payload_size_bytes: usize => |c, v| c.writer_max_payload_size_bytes = v;
        /// How often buffered traces are sent.
        writer_interval: Duration => |c, v| c.writer_interval = v;
        /// Keep traces the agent could not receive for this long (within the buffer) and send
        /// them when it answers again; see [`Config::writer_outage_retention`].
        writer_outage_retention: Duration => |c, v| c.writer_outage_retention = v;
        /// Partial flush on or off.
        partial_flush_enabled: bool => |c, v| c.partial_flush_enabled = v;
        /// Finished spans of an open trace that trigger a partial flush (at least 1).
        partial_flush_min_spans: usize => |c, v| c.partial_flush_min_spans = v.max(1);
        /// 128-bit trace id generation.
        trace_id_128_bit: bool => |c, v| c.trace_id_128_bit = v;
        /// Sampling rules as the JSON of `DD_TRACE_SAMPLING_RULES`.
        sampling_rules: impl Into<String> => |c, v| c.sampling_rules = Some(v.into());
        /// Traces per second kept by rules (`DD_TRACE_RATE_LIMIT`).
        rate_limit: f64 => |c, v| c.rate_limit = v;
        /// Styles read from incoming headers.
        propagation_style_extract: Vec<String> => |c, v| c.propagation_style_extract = v;
        /// Styles written to outgoing headers.
        propagation_style_inject: Vec<String> => |c, v| c.propagation_style_inject = v;
        /// Log the effective configuration at start-up.
        startup_logs: bool => |c, v| c.startup_logs = v;
        /// An extra header on every request to the agent (for test sessions).
        agent_header: (&str, &str) => |c, v| c.agent_extra_headers.push((v.0.to_owned(), v.1.to_owned()));
    }

    /// The configuration.
    pub fn build(self) -> Config {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_python_tracer() {
        let c = from(&[]);
        assert!(c.enabled);
        assert_eq!(c.partial_flush_min_spans, 300);
        assert_eq!(c.api_version, ApiVersion::V05);
        assert_eq!(c.writer_buffer_size_bytes, 20 << 20);
        assert_eq!(c.writer_interval, Duration::from_secs(1));
        assert_eq!(c.agent_timeout, Duration::from_secs(2));
        assert_eq!(c.rate_limit, 100.0);
        assert_eq!(
            c.propagation_style_extract,
            vec!["datadog", "tracecontext", "baggage"]
        );
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn bad_values_warn_and_fall_back() {
        let c = from(&[
            ("DD_TRACE_RATE_LIMIT", "abc"),
            ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "x"),
            ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "zz"),
            ("DD_TRACE_SAMPLE_RATE", "abc"),
            ("DD_TRACE_API_VERSION", "v0.3"),
        ]);
        assert_eq!(c.rate_limit, 100.0);
        assert_eq!(c.partial_flush_min_spans, 300);
        assert_eq!(c.agent_timeout, Duration::from_secs(2));
        assert_eq!(c.api_version, ApiVersion::V05);
        let keys: Vec<_> = c.warnings.iter().map(|w| w.key).collect();
        assert_eq!(
            keys,
            vec![
                "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS",
                "DD_TRACE_AGENT_TIMEOUT_SECONDS",
                "DD_TRACE_API_VERSION",
                "DD_TRACE_RATE_LIMIT",
                "DD_TRACE_SAMPLE_RATE"
            ]
        );
    }

    #[test]
    fn enabled_is_true_only_for_true_or_one() {
        assert!(!from(&[("DD_TRACE_ENABLED", "yes")]).enabled);
        assert!(!from(&[("DD_TRACE_ENABLED", "false")]).enabled);
        assert!(from(&[("DD_TRACE_ENABLED", "TRUE")]).enabled);
    }

    #[test]
    fn agent_url_resolution_order() {
        assert_eq!(
            from(&[("DD_TRACE_AGENT_URL", "unix:///tmp/a.sock")]).agent_url,
            "unix:///tmp/a.sock"
        );
        assert_eq!(
            from(&[
                ("DD_AGENT_HOST", "agent"),
                ("DD_TRACE_AGENT_URL", "http://x:1")
            ])
            .agent_url,
            "http://x:1"
        );
        assert_eq!(
            from(&[("DD_AGENT_HOST", "agent")]).agent_url,
            "http://agent:8126"
        );
        assert_eq!(
            from(&[("DD_TRACE_AGENT_PORT", "9000")]).agent_url,
            "http://localhost:9000"
        );
        assert_eq!(
            from(&[("DD_AGENT_HOST", "::1")]).agent_url,
            "http://[::1]:8126"
        );
        let bad = from(&[("DD_TRACE_AGENT_PORT", "http")]);
        assert_eq!(bad.warnings[0].key, "DD_TRACE_AGENT_PORT");
    }

    #[test]
    fn dd_tags_provide_env_and_version_fallbacks() {
        let c = from(&[("DD_TAGS", "env:staging,version:2,team:core")]);
        assert_eq!(c.env.as_deref(), Some("staging"));
        assert_eq!(c.version.as_deref(), Some("2"));
        assert_eq!(c.tags, vec![(Str::from("team"), Str::from("core"))]);
        let c = from(&[("DD_TAGS", "env:staging"), ("DD_ENV", "prod")]);
        assert_eq!(c.env.as_deref(), Some("prod"));
    }

    #[test]
    fn propagation_styles_specific_beat_general() {
        let c = from(&[
            ("DD_TRACE_PROPAGATION_STYLE", "b3,tracecontext"),
            ("DD_TRACE_PROPAGATION_STYLE_INJECT", "Datadog"),
        ]);
        assert_eq!(c.propagation_style_extract, vec!["b3", "tracecontext"]);
        assert_eq!(c.propagation_style_inject, vec!["datadog"]);
    }

    #[test]
    fn partial_flush_minimum_is_at_least_one() {
        let c = from(&[("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "0")]);
        assert_eq!(c.partial_flush_min_spans, 1);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn builder_overrides_environment_values() {
        let c = Config::builder_without_env()
            .service("svc")
            .env("e")
            .partial_flush_min_spans(0)
            .build();
        assert_eq!(c.service, "svc");
        assert_eq!(c.env.as_deref(), Some("e"));
        assert_eq!(c.partial_flush_min_spans, 1);
    }

    #[test]
    fn client_error_statuses_follow_the_server_ones_unless_set() {
        let c = from(&[("DD_TRACE_HTTP_SERVER_ERROR_STATUSES", "500-503")]);
        assert!(c.is_client_error_status(502));
        assert!(!c.is_client_error_status(504));
        assert!(!c.is_client_error_status(404));
        let c = from(&[("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES", "400-499")]);
        assert!(c.is_client_error_status(404));
        assert!(!c.is_client_error_status(500));
        assert!(c.is_server_error_status(500));
    }

    #[test]
    fn header_tags_map_headers_to_tags() {
        let c = from(&[("DD_TRACE_HEADER_TAGS", "X-User:user.id, Content-Type")]);
        assert_eq!(
            c.header_tags,
            vec![
                ("x-user".into(), "user.id".into()),
                ("content-type".into(), "".into())
            ]
        );
    }
}
