//! [`schema_v1`]: the one place integrations ask which span attribute schema is in force
//! (`DD_TRACE_SPAN_ATTRIBUTE_SCHEMA`).

use crate::config::Config;

/// Whether `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1` is in force: integrations then use the v1 span
/// names (`http.client.request`, `postgresql.query`...), `DD_SERVICE` as their service, and
/// `peer.service` defaults.
///
/// Every integration asks here rather than reading the setting, so the setting's type can
/// change in one place.
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::schema_v1;
///
/// let mut config = Config::builder_without_env().build();
/// assert!(!schema_v1(&config));
/// config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
/// assert!(schema_v1(&config));
/// ```
#[inline]
pub fn schema_v1(config: &Config) -> bool {
    config.span_attribute_schema.is_v1()
}
