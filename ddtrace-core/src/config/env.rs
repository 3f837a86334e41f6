//! Reading the `DD_*` environment variables into a [`Config`], with a [`ConfigWarning`] for each
//! value that cannot be used.

use std::time::Duration;

use super::{
    AgentUrl, ApiVersion, Config, ConfigWarning, DEFAULT_AGENT_PORT, DEFAULT_AGENT_SOCKET,
    PropagationStyle, UnknownStyle, parse_bool, parse_list, parse_seconds, parse_status_ranges,
    parse_tags,
};
use crate::str::Str;

pub(super) struct EnvReader<'a> {
    pub(super) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(super) config: Config,
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

    pub(super) fn read(mut self) -> Config {
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

        let both = c.styles("DD_TRACE_PROPAGATION_STYLE");
        let extract = c.styles("DD_TRACE_PROPAGATION_STYLE_EXTRACT");
        let inject = c.styles("DD_TRACE_PROPAGATION_STYLE_INJECT");
        if let Some(s) = extract.or_else(|| both.clone()) {
            c.config.propagation_style_extract = s;
        }
        if let Some(s) = inject.or(both) {
            c.config.propagation_style_inject = s;
        }
        c.config.propagation_extract_first = c.bool("DD_TRACE_PROPAGATION_EXTRACT_FIRST", false);
        if let Some(v) = c.string("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT") {
            match v.parse() {
                Ok(b) => c.config.propagation_behavior_extract = b,
                Err(_) => c.warn(
                    "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT",
                    &v.to_lowercase(),
                    "supported: continue, restart, ignore; using continue",
                ),
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
            match v.parse() {
                Ok(schema) => c.config.span_attribute_schema = schema,
                Err(_) => c.warn(
                    "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA",
                    &v,
                    "supported: v0, v1; using v0",
                ),
            }
        }
        if let Some(v) = c.string("DD_DBM_PROPAGATION_MODE") {
            match v.parse() {
                Ok(mode) => c.config.dbm_propagation_mode = mode,
                Err(_) => c.warn(
                    "DD_DBM_PROPAGATION_MODE",
                    &v.to_lowercase(),
                    "supported: disabled, service, full; using disabled",
                ),
            }
        }
        self.config
    }

    /// A list of propagation style names; unknown names are reported and skipped.
    fn styles(&mut self, key: &'static str) -> Option<Vec<PropagationStyle>> {
        let raw = self.string(key)?;
        let (styles, unknown) = PropagationStyle::parse_list_checked(parse_list(&raw));
        for UnknownStyle(name) in unknown {
            self.warn(
                key,
                &name,
                "unknown propagation style (known: datadog, tracecontext, b3multi, b3, baggage, \
                 none); skipped",
            );
        }
        Some(styles)
    }

    fn read_agent_url(&mut self) {
        if let Some(url) = self.string("DD_TRACE_AGENT_URL") {
            match AgentUrl::parse(&url) {
                Ok(parsed) => {
                    self.config.agent_url = parsed;
                    self.check_tls_roots();
                    return;
                }
                Err(e) => self.warn(
                    "DD_TRACE_AGENT_URL",
                    &url,
                    format!("{e}; ignored, using DD_AGENT_HOST and DD_TRACE_AGENT_PORT"),
                ),
            }
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
            self.config.agent_url =
                AgentUrl::from_host_port(&host, port.unwrap_or(DEFAULT_AGENT_PORT));
        } else if std::path::Path::new(DEFAULT_AGENT_SOCKET).exists() {
            self.config.agent_url = AgentUrl::from_socket(DEFAULT_AGENT_SOCKET);
        }
        self.check_tls_roots();
    }

    /// For an `https://` agent, a CA bundle that cannot be read is said now rather than as a
    /// failed handshake later. The writer reads the same variable (see its `transport/tls.rs`).
    fn check_tls_roots(&mut self) {
        if !self.config.agent_url.is_tls() {
            return;
        }
        if let Some(file) = self.string("SSL_CERT_FILE")
            && !std::path::Path::new(&file).is_file()
        {
            self.warn(
                "SSL_CERT_FILE",
                &file,
                "not a file; the https:// agent's certificate must chain to the platform's roots",
            );
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
