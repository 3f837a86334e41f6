//! [`SpanSchema`]: the span naming schema `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA` selects.

use std::fmt;
use std::str::FromStr;

/// How integrations name their spans and services (`DD_TRACE_SPAN_ATTRIBUTE_SCHEMA`).
///
/// ```
/// use ddtrace_core::config::SpanSchema;
///
/// assert_eq!("v1".parse::<SpanSchema>(), Ok(SpanSchema::V1));
/// assert!(SpanSchema::V1.is_v1());
/// assert!("v2".parse::<SpanSchema>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum SpanSchema {
    /// Integration-named services and library-specific operation names (the default).
    #[default]
    V0,
    /// `DD_SERVICE` everywhere, OpenTelemetry-like operation names, peer service by default.
    V1,
}

impl SpanSchema {
    /// `v0` or `v1`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanSchema::V0 => "v0",
            SpanSchema::V1 => "v1",
        }
    }

    /// Whether this is schema v1.
    pub fn is_v1(self) -> bool {
        self == SpanSchema::V1
    }
}

impl fmt::Display for SpanSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema name other than `v0` and `v1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown span attribute schema {0:?} (supported: v0, v1)")]
pub struct UnknownSchema(pub String);

impl FromStr for SpanSchema {
    type Err = UnknownSchema;

    /// Exactly `v0` or `v1`, as the Python tracer compares them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "v0" => Ok(SpanSchema::V0),
            "v1" => Ok(SpanSchema::V1),
            other => Err(UnknownSchema(other.to_owned())),
        }
    }
}
