//! [`DbmMode`]: what `DD_DBM_PROPAGATION_MODE` selects for database integrations.

use std::fmt;
use std::str::FromStr;

/// Which trace context database queries carry in their SQL comment
/// (`DD_DBM_PROPAGATION_MODE`).
///
/// ```
/// use ddtrace_core::config::DbmMode;
///
/// assert_eq!("FULL".parse::<DbmMode>(), Ok(DbmMode::Full));
/// assert!("dynamic".parse::<DbmMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum DbmMode {
    /// No comment (the default).
    #[default]
    Disabled,
    /// The service, environment, version and peer names.
    Service,
    /// As `Service`, plus the W3C `traceparent` of the query's span, which then gets the tag
    /// `_dd.dbm_trace_injected=true`.
    Full,
}

impl DbmMode {
    /// `disabled`, `service` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            DbmMode::Disabled => "disabled",
            DbmMode::Service => "service",
            DbmMode::Full => "full",
        }
    }
}

impl fmt::Display for DbmMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `DD_DBM_PROPAGATION_MODE` value other than `disabled`, `service` and `full`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown DBM propagation mode {0:?} (supported: disabled, service, full)")]
pub struct UnknownDbmMode(pub String);

impl FromStr for DbmMode {
    type Err = UnknownDbmMode;

    /// The name, trimmed, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disabled" => Ok(DbmMode::Disabled),
            "service" => Ok(DbmMode::Service),
            "full" => Ok(DbmMode::Full),
            other => Err(UnknownDbmMode(other.to_owned())),
        }
    }
}
