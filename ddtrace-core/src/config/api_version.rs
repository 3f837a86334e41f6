//! [`ApiVersion`]: the trace intake API `DD_TRACE_API_VERSION` selects.

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
