//! [`ConfigBuilder`]: configuration values set from code.

use std::time::Duration;

use super::{
    AgentUrl, ApiVersion, Config, ConfigWarning, DbmMode, ExtractBehavior, PropagationStyle,
    SpanSchema, UnknownStyle,
};
use crate::str::Str;

/// Sets configuration values from code; what is not set keeps its environment or default value.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl From<Config> for ConfigBuilder {
    /// A builder that starts from `config`.
    fn from(config: Config) -> Self {
        ConfigBuilder { config }
    }
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
        /// The agent URL (`DD_TRACE_AGENT_URL`): `http://host:port`, `https://host:port` or
        /// `unix:///path`. A URL that does not parse is reported as a [`ConfigWarning`] (key
        /// `agent_url`) and the previous URL is kept.
        agent_url: impl AsRef<str> => |c, v| match AgentUrl::parse(v.as_ref()) {
            Ok(url) => c.agent_url = url,
            Err(e) => c.warnings.push(ConfigWarning {
                key: "agent_url",
                value: v.as_ref().to_owned(),
                message: format!("{e}; keeping {}", c.agent_url),
            }),
        };
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
        /// Styles read from incoming headers, by name (`DD_TRACE_PROPAGATION_STYLE_EXTRACT`);
        /// unknown names are reported as [`ConfigWarning`]s and skipped.
        propagation_style_extract: Vec<String> => |c, v| {
            c.propagation_style_extract = styles(c, "propagation_style_extract", v)
        };
        /// Styles written to outgoing headers, by name (`DD_TRACE_PROPAGATION_STYLE_INJECT`);
        /// unknown names are reported as [`ConfigWarning`]s and skipped.
        propagation_style_inject: Vec<String> => |c, v| {
            c.propagation_style_inject = styles(c, "propagation_style_inject", v)
        };
        /// Continue, restart or ignore incoming traces (`DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`).
        propagation_behavior_extract: ExtractBehavior => |c, v| c.propagation_behavior_extract = v;
        /// The span naming schema (`DD_TRACE_SPAN_ATTRIBUTE_SCHEMA`).
        span_attribute_schema: SpanSchema => |c, v| c.span_attribute_schema = v;
        /// What database queries carry in their SQL comment (`DD_DBM_PROPAGATION_MODE`).
        dbm_propagation_mode: DbmMode => |c, v| c.dbm_propagation_mode = v;
        /// Log the effective configuration at start-up.
        startup_logs: bool => |c, v| c.startup_logs = v;
        /// Send the git commit and repository on each chunk's first span
        /// (`DD_TRACE_GIT_METADATA_ENABLED`).
        git_metadata_enabled: bool => |c, v| c.git_metadata_enabled = v;
        /// The commit the service was built from (`DD_GIT_COMMIT_SHA`).
        git_commit_sha: impl AsRef<str> => |c, v| c.git_commit_sha = git_value(v.as_ref(), false);
        /// The service's repository (`DD_GIT_REPOSITORY_URL`); credentials in it are removed
        /// ([`strip_url_credentials`](super::strip_url_credentials)).
        git_repository_url: impl AsRef<str> => |c, v| {
            c.git_repository_url = git_value(v.as_ref(), true)
        };
        /// An extra header on every request to the agent (for test sessions).
        agent_header: (&str, &str) => |c, v| c.agent_extra_headers.push((v.0.to_owned(), v.1.to_owned()));
    }

    /// The git commit and repository known when the application was compiled, used where
    /// neither the environment nor a setter gave one: what `ddtrace::embed_git_metadata!`
    /// passes from `option_env!("DD_GIT_COMMIT_SHA")` and
    /// `option_env!("DD_GIT_REPOSITORY_URL")`. Empty values count as absent.
    pub fn git_metadata_defaults(
        mut self,
        commit_sha: Option<&str>,
        repository_url: Option<&str>,
    ) -> Self {
        let c = &mut self.config;
        if c.git_commit_sha.is_none() {
            c.git_commit_sha = commit_sha.and_then(|v| git_value(v, false));
        }
        if c.git_repository_url.is_none() {
            c.git_repository_url = repository_url.and_then(|v| git_value(v, true));
        }
        self
    }

    /// The configuration.
    pub fn build(self) -> Config {
        self.config
    }
}

/// Parses style names set from code, reporting unknown ones as the environment's are.
fn styles(c: &mut Config, key: &'static str, names: Vec<String>) -> Vec<PropagationStyle> {
    let (styles, unknown) = PropagationStyle::parse_list_checked(names);
    for UnknownStyle(name) in unknown {
        c.warnings.push(ConfigWarning {
            key,
            value: name,
            message: "unknown propagation style; skipped".to_owned(),
        });
    }
    styles
}

/// A git value as stored: trimmed, `None` when empty, a URL without credentials.
fn git_value(v: &str, url: bool) -> Option<Str> {
    let v = v.trim();
    match (v.is_empty(), url) {
        (true, _) => None,
        (false, true) => Some(Str::interned(super::strip_url_credentials(v))),
        (false, false) => Some(Str::interned(v)),
    }
}
