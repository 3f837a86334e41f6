//! [`EnvReader`]: reads `DD_*` values through a lookup, applying the Python tracer's parsing
//! rules, and records what was read and a [`ConfigWarning`] for each value that cannot be used.
//! Which variable feeds which field, with its default, is written once, in `Config::read`
//! (`mod.rs`).

use std::time::Duration;

use super::{
    AgentUrl, ApiVersion, ConfigWarning, DEFAULT_AGENT_PORT, DEFAULT_AGENT_SOCKET,
    PropagationStyle, UnknownStyle, parse_bool, parse_list, parse_seconds, parse_status_ranges,
    parse_tags,
};
use crate::str::Str;

/// Reads values through a lookup (the process environment, a map in tests, nothing for the
/// defaults).
pub(super) struct EnvReader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Whether the default agent socket is looked for on disk (not for `Config::default`).
    probe_socket: bool,
    /// Variables read, with their raw values.
    pub(super) sources: Vec<(&'static str, String)>,
    /// Values that could not be used.
    pub(super) warnings: Vec<ConfigWarning>,
}

/// `DD_SERVICE`, `DD_ENV`, `DD_VERSION` and the rest of `DD_TAGS`, which provides fallbacks
/// for the first three.
pub(super) struct Identity {
    pub(super) service: Option<Str>,
    pub(super) env: Option<Str>,
    pub(super) version: Option<Str>,
    pub(super) tags: Vec<(Str, Str)>,
    /// `git.commit.sha` in `DD_TAGS`: the fallback of `DD_GIT_COMMIT_SHA`.
    pub(super) git_commit_sha: Option<String>,
    /// `git.repository_url` in `DD_TAGS`: the fallback of `DD_GIT_REPOSITORY_URL`.
    pub(super) git_repository_url: Option<String>,
}

impl<'a> EnvReader<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>, probe_socket: bool) -> Self {
        EnvReader {
            lookup,
            probe_socket,
            sources: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The raw value, recorded in `sources`.
    pub(super) fn get(&mut self, key: &'static str) -> Option<String> {
        let v = (self.lookup)(key)?;
        self.sources.push((key, v.clone()));
        Some(v)
    }

    pub(super) fn warn(&mut self, key: &'static str, value: &str, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            key,
            value: value.to_owned(),
            message: message.into(),
        });
    }

    /// Python's `asbool`.
    pub(super) fn bool(&mut self, key: &'static str, default: bool) -> bool {
        self.get(key).map_or(default, |v| parse_bool(&v))
    }

    pub(super) fn number<T: std::str::FromStr + std::fmt::Display + Copy>(
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

    /// A count of at least 1 (a smaller one is reported and raised to 1).
    pub(super) fn at_least_one(&mut self, key: &'static str, default: i64) -> usize {
        let n: i64 = self.number(key, default);
        if n < 1 {
            self.warn(key, &n.to_string(), "below 1; using 1");
        }
        n.max(1) as usize
    }

    /// A length where a negative value is reported and means 0.
    pub(super) fn non_negative(
        &mut self,
        key: &'static str,
        default: i64,
        zero_means: &str,
    ) -> usize {
        let n: i64 = self.number(key, default);
        if n < 0 {
            self.warn(key, &n.to_string(), format!("negative; {zero_means}"));
        }
        n.max(0) as usize
    }

    pub(super) fn seconds(&mut self, key: &'static str, default: Duration) -> Duration {
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

    /// The trimmed value; empty counts as unset.
    pub(super) fn string(&mut self, key: &'static str) -> Option<String> {
        self.get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A value of a closed set (`T: FromStr`); another one is reported with `supported` (for
    /// example "supported: v0, v1; using v0") and `default` is used.
    pub(super) fn typed<T: std::str::FromStr>(
        &mut self,
        key: &'static str,
        default: T,
        supported: &str,
    ) -> T {
        match self.string(key) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                self.warn(key, &v, supported);
                default
            }),
        }
    }

    /// A comma-separated list, or `default` when unset.
    pub(super) fn list(&mut self, key: &'static str, default: &[&str]) -> Vec<String> {
        match self.get(key) {
            Some(v) => parse_list(&v),
            None => default.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// A `from:to` tag list (empty when unset).
    pub(super) fn pairs(&mut self, key: &'static str) -> Vec<(String, String)> {
        self.get(key).map(|v| parse_tags(&v)).unwrap_or_default()
    }

    /// `DD_TRACE_HEADER_TAGS`-style `header[:tag]` pairs (empty when unset).
    pub(super) fn header_tags(&mut self, key: &'static str) -> Vec<(String, String)> {
        self.get(key)
            .map(|v| parse_header_tags(&v))
            .unwrap_or_default()
    }

    /// HTTP status ranges; pieces that do not parse are reported and skipped.
    pub(super) fn status_ranges(&mut self, key: &'static str) -> Option<Vec<(u16, u16)>> {
        let v = self.get(key)?;
        let (ranges, bad) = parse_status_ranges(&v);
        for piece in bad {
            self.warn(key, &piece, "not a status or status range; skipped");
        }
        Some(ranges)
    }

    /// `DD_TAGS` and the identity variables it provides fallbacks for.
    pub(super) fn identity(&mut self) -> Identity {
        let tags = self
            .get("DD_TAGS")
            .map(|v| parse_tags(&v))
            .unwrap_or_default();
        let tag = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.clone());
        let service = self
            .string("DD_SERVICE")
            .or_else(|| tag("service"))
            .or_else(|| self.string("OTEL_SERVICE_NAME"))
            .map(Str::interned);
        let env = self
            .string("DD_ENV")
            .or_else(|| tag("env"))
            .map(Str::interned);
        let version = self
            .string("DD_VERSION")
            .or_else(|| tag("version"))
            .map(Str::interned);
        let nonempty = |k: &str| tag(k).filter(|v| !v.is_empty());
        let git_commit_sha = nonempty("git.commit.sha");
        let git_repository_url = nonempty("git.repository_url");
        // The git tags go to each chunk's first span as `_dd.git.*`, not to every span, as the
        // Python tracer's `gitmetadata.clean_tags`.
        let tags = tags
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "env" | "service" | "version" | "git.commit.sha" | "git.repository_url"
                )
            })
            .map(|(k, v)| (Str::interned(k), Str::interned(v)))
            .collect();
        Identity {
            service,
            env,
            version,
            tags,
            git_commit_sha,
            git_repository_url,
        }
    }

    /// `DD_TRACE_API_VERSION`, forced to v0.4 by `DD_TRACE_NATIVE_SPAN_EVENTS`.
    pub(super) fn api_version(&mut self) -> ApiVersion {
        let mut api = ApiVersion::V05;
        if let Some(v) = self.string("DD_TRACE_API_VERSION") {
            match v.as_str() {
                "v0.4" => api = ApiVersion::V04,
                "v0.5" => api = ApiVersion::V05,
                _ => self.warn(
                    "DD_TRACE_API_VERSION",
                    &v,
                    "supported: v0.4, v0.5; using v0.5",
                ),
            }
        }
        if self.bool("DD_TRACE_NATIVE_SPAN_EVENTS", false) {
            api = ApiVersion::V04;
        }
        api
    }

    /// `DD_TRACE_SAMPLE_RATE`, kept only to warn that it has no effect.
    pub(super) fn sample_rate(&mut self) -> Option<f64> {
        let v = self.string("DD_TRACE_SAMPLE_RATE")?;
        match v.parse::<f64>() {
            Ok(r) if r.is_finite() => Some(r),
            _ => {
                self.warn("DD_TRACE_SAMPLE_RATE", &v, "not a number; ignored");
                None
            }
        }
    }

    /// `DD_TRACE_PROPAGATION_STYLE_EXTRACT` and `_INJECT`, each falling back to
    /// `DD_TRACE_PROPAGATION_STYLE`, else to `default`.
    pub(super) fn styles(
        &mut self,
        default: &[PropagationStyle],
    ) -> (Vec<PropagationStyle>, Vec<PropagationStyle>) {
        let both = self.style_list("DD_TRACE_PROPAGATION_STYLE");
        let extract = self.style_list("DD_TRACE_PROPAGATION_STYLE_EXTRACT");
        let inject = self.style_list("DD_TRACE_PROPAGATION_STYLE_INJECT");
        let extract = extract
            .or_else(|| both.clone())
            .unwrap_or_else(|| default.to_vec());
        let inject = inject.or(both).unwrap_or_else(|| default.to_vec());
        (extract, inject)
    }

    /// A list of propagation style names; unknown names are reported and skipped.
    fn style_list(&mut self, key: &'static str) -> Option<Vec<PropagationStyle>> {
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

    /// `DD_TRACE_AGENT_URL`, else `DD_AGENT_HOST`/`DD_TRACE_AGENT_PORT`, else the default
    /// socket if it exists, else `http://localhost:8126`.
    pub(super) fn agent_url(&mut self) -> AgentUrl {
        let url = self.agent_url_inner();
        self.check_tls_roots(&url);
        url
    }

    fn agent_url_inner(&mut self) -> AgentUrl {
        if let Some(url) = self.string("DD_TRACE_AGENT_URL") {
            match AgentUrl::parse(&url) {
                Ok(parsed) => return parsed,
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
            AgentUrl::from_host_port(&host, port.unwrap_or(DEFAULT_AGENT_PORT))
        } else if self.probe_socket && std::path::Path::new(DEFAULT_AGENT_SOCKET).exists() {
            AgentUrl::from_socket(DEFAULT_AGENT_SOCKET)
        } else {
            AgentUrl::default()
        }
    }

    /// For an `https://` agent, a CA bundle that cannot be read is said now rather than as a
    /// failed handshake later. The writer reads the same variable (see its `transport/tls.rs`).
    fn check_tls_roots(&mut self, url: &AgentUrl) {
        if !url.is_tls() {
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
