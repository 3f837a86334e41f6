//! [`RedisConfig`]: the Python tracer's `DD_REDIS_*` settings.

use ddtrace_core::Str;
use ddtrace_core::config::parse_bool;

/// The Python tracer's default for `DD_REDIS_CMD_MAX_LENGTH`.
pub const DEFAULT_CMD_MAX_LENGTH: usize = 1000;

/// The settings of the redis integration, named and defaulted as in the Python tracer
/// (`ddtrace/contrib/internal/redis/patch.py`).
///
/// ```
/// use ddtrace_redis::RedisConfig;
///
/// let config = RedisConfig::from_lookup(|key| match key {
///     "DD_REDIS_SERVICE" => Some("sessions-cache".to_owned()),
///     "DD_REDIS_CMD_MAX_LENGTH" => Some("200".to_owned()),
///     _ => None,
/// });
/// assert_eq!(config.service.as_deref(), Some("sessions-cache"));
/// assert_eq!(config.cmd_max_length, 200);
/// assert!(config.resource_only_command);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisConfig {
    /// `DD_REDIS_SERVICE`: the service of redis spans. Unset, it is `redis` (or `DD_SERVICE`
    /// under `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1`).
    pub service: Option<Str>,
    /// `DD_REDIS_CMD_MAX_LENGTH` (default 1000): where `redis.raw_command` is cut.
    pub cmd_max_length: usize,
    /// `DD_REDIS_RESOURCE_ONLY_COMMAND` (default true): the resource is the command name alone
    /// (`GET`), else the whole `redis.raw_command` (`GET user:1`).
    pub resource_only_command: bool,
    /// `DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED` (default true): `redis.raw_command` (and a
    /// whole-command resource) keeps each command and its keys and shows values as `?`, by
    /// the Datadog Agent's redis obfuscation rules (`SET key ?`, `HSET key field ?`,
    /// `AUTH ?`). Off, the values are sent as written, as the Python tracer sends them (the
    /// agent then obfuscates them, unless its obfuscation is turned off).
    pub obfuscate_raw_command: bool,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            service: None,
            cmd_max_length: DEFAULT_CMD_MAX_LENGTH,
            resource_only_command: true,
            obfuscate_raw_command: true,
        }
    }
}

impl RedisConfig {
    /// The settings from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// The settings read through `lookup` instead of the environment.
    ///
    /// A `DD_REDIS_CMD_MAX_LENGTH` that is not a non-negative integer is logged and the default
    /// is kept (the Python tracer raises at import instead; a tracer must not stop the
    /// application). `DD_REDIS_RESOURCE_ONLY_COMMAND` is true only for `true` or `1`, as
    /// Python's `asbool`. `DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED` turns obfuscation off
    /// only for `false` or `0`, so that a mistyped value keeps values private. An empty
    /// `DD_REDIS_SERVICE` counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut config = RedisConfig::default();
        if let Some(service) = lookup("DD_REDIS_SERVICE").filter(|s| !s.trim().is_empty()) {
            config.service = Some(Str::shared(service.trim()));
        }
        if let Some(raw) = lookup("DD_REDIS_CMD_MAX_LENGTH") {
            match raw.trim().parse::<usize>() {
                Ok(n) => config.cmd_max_length = n,
                Err(_) => log::warn!(
                    "ddtrace: DD_REDIS_CMD_MAX_LENGTH={raw:?} is not a non-negative integer; \
                     using {DEFAULT_CMD_MAX_LENGTH}"
                ),
            }
        }
        if let Some(raw) = lookup("DD_REDIS_RESOURCE_ONLY_COMMAND") {
            config.resource_only_command = parse_bool(&raw);
        }
        if let Some(raw) = lookup("DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED") {
            let raw = raw.trim();
            config.obfuscate_raw_command = !(raw.eq_ignore_ascii_case("false") || raw == "0");
        }
        config
    }

    /// The settings that shape the text of a command.
    pub(crate) fn format(&self) -> crate::command::Format {
        crate::command::Format {
            max_len: self.cmd_max_length,
            resource_only: self.resource_only_command,
            obfuscate: self.obfuscate_raw_command,
        }
    }

    /// Sets the service of redis spans.
    pub fn service(mut self, service: impl Into<Str>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sets where `redis.raw_command` is cut.
    pub fn cmd_max_length(mut self, max: usize) -> Self {
        self.cmd_max_length = max;
        self
    }

    /// Sets whether values in `redis.raw_command` are replaced with `?` (default true); see
    /// [`RedisConfig::obfuscate_raw_command`].
    pub fn obfuscate_raw_command(mut self, obfuscate: bool) -> Self {
        self.obfuscate_raw_command = obfuscate;
        self
    }

    /// Sets whether the resource is the command name alone.
    pub fn resource_only_command(mut self, only: bool) -> Self {
        self.resource_only_command = only;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> RedisConfig {
        RedisConfig::from_lookup(|k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_match_the_python_tracer() {
        let c = from(&[]);
        assert_eq!(c, RedisConfig::default());
        assert_eq!(c.service, None);
        assert_eq!(c.cmd_max_length, 1000);
        assert!(c.resource_only_command);
        assert!(c.obfuscate_raw_command);
    }

    #[test]
    fn only_false_or_0_sends_raw_values() {
        let on = |v: &str| from(&[("DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED", v)]);
        assert!(!on("false").obfuscate_raw_command);
        assert!(!on(" FALSE ").obfuscate_raw_command);
        assert!(!on("0").obfuscate_raw_command);
        assert!(on("true").obfuscate_raw_command);
        assert!(on("no").obfuscate_raw_command);
    }

    #[test]
    fn resource_only_command_is_python_asbool() {
        assert!(from(&[("DD_REDIS_RESOURCE_ONLY_COMMAND", "TRUE")]).resource_only_command);
        assert!(from(&[("DD_REDIS_RESOURCE_ONLY_COMMAND", "1")]).resource_only_command);
        assert!(!from(&[("DD_REDIS_RESOURCE_ONLY_COMMAND", "yes")]).resource_only_command);
        assert!(!from(&[("DD_REDIS_RESOURCE_ONLY_COMMAND", "false")]).resource_only_command);
    }

    #[test]
    fn a_bad_max_length_keeps_the_default() {
        assert_eq!(
            from(&[("DD_REDIS_CMD_MAX_LENGTH", "-3")]).cmd_max_length,
            1000
        );
        assert_eq!(
            from(&[("DD_REDIS_CMD_MAX_LENGTH", "abc")]).cmd_max_length,
            1000
        );
        assert_eq!(
            from(&[("DD_REDIS_CMD_MAX_LENGTH", " 20 ")]).cmd_max_length,
            20
        );
    }

    #[test]
    fn an_empty_service_is_unset() {
        assert_eq!(from(&[("DD_REDIS_SERVICE", " ")]).service, None);
        assert_eq!(
            from(&[("DD_REDIS_SERVICE", "cache")]).service.as_deref(),
            Some("cache")
        );
    }
}
