//! [`integration_service`]: the service of an integration's spans and its `_dd.svc_src`,
//! decided once for every integration as the Python tracer decides it.

use crate::config::Config;
use crate::keys;
use crate::span::SpanRef;
use crate::str::Str;

/// `_dd.svc_src` of a service set in code (on the integration, or on the span).
pub const SOURCE_MANUAL: &str = "m";
/// `_dd.svc_src` of a service `DD_SERVICE_MAPPING` renamed.
pub const SOURCE_SERVICE_MAPPING: &str = "opt.service_mapping";
/// `_dd.svc_src` of a service named after the host an HTTP client called.
pub const SOURCE_SPLIT_BY_DOMAIN: &str = "opt.split_by_domain";

/// The service of an integration's spans and where it came from (`_dd.svc_src`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanService {
    /// The span's service.
    pub service: Str,
    /// The span's `_dd.svc_src`: [`SOURCE_MANUAL`], [`SOURCE_SERVICE_MAPPING`] or the
    /// integration's name.
    pub source: &'static str,
}

impl SpanService {
    /// Sets the service and `_dd.svc_src` of `span`.
    pub fn apply(&self, span: &SpanRef) {
        span.set_service(self.service.clone());
        span.set_tag(keys::SERVICE_SOURCE, self.source);
    }
}

/// The service of a span of the integration named `integration` (its `component`), whose own
/// default service is `default_service` (`redis`, `postgres`...), given the service set on the
/// integration in code, if any. As the Python tracer does (`ext_service` and
/// `set_service_and_source` in `ddtrace/contrib/internal/trace_utils.py`):
///
/// 1. the service set in code; else `DD_SERVICE` under schema v1 or with
///    `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`; else `default_service`;
/// 2. `DD_SERVICE_MAPPING` renames it (`_dd.svc_src=opt.service_mapping`); otherwise the
///    source is the integration's name when the service is the integration's default (which
///    is `DD_SERVICE` under v1), and `m` for any other service set in code.
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::integration_service;
///
/// let mut config = Config::builder_without_env().service("shop").build();
/// let s = integration_service(&config, "redis", "redis", None);
/// assert_eq!((&*s.service, s.source), ("redis", "redis"));
///
/// config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
/// let s = integration_service(&config, "redis", "redis", None);
/// assert_eq!((&*s.service, s.source), ("shop", "redis"));
///
/// config.service_mapping = vec![("cache".into(), "sessions".into())];
/// let s = integration_service(&config, "redis", "redis", Some(&"cache".into()));
/// assert_eq!((&*s.service, s.source), ("sessions", "opt.service_mapping"));
/// ```
pub fn integration_service(
    config: &Config,
    integration: &'static str,
    default_service: &'static str,
    explicit: Option<&Str>,
) -> SpanService {
    // Under v1 the Python integrations' default service *is* `DD_SERVICE`.
    let default = if config.integrations_use_global_service() {
        config.service.clone()
    } else {
        Str::from_static(default_service)
    };
    let service = explicit.cloned().unwrap_or_else(|| default.clone());
    if let Some(to) = mapped(config, &service) {
        return SpanService {
            service: Str::shared(to),
            source: SOURCE_SERVICE_MAPPING,
        };
    }
    let source = if service.as_str() == default.as_str() {
        integration
    } else {
        SOURCE_MANUAL
    };
    SpanService { service, source }
}

/// The service of an HTTP client span named after the host it called (`split_by_domain`):
/// `domain` (`host` or `host:port`) with `_dd.svc_src=opt.split_by_domain`, or its
/// `DD_SERVICE_MAPPING` rename with `opt.service_mapping`, as the Python tracer's `requests`
/// integration names it.
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::domain_service;
///
/// let config = Config::builder_without_env().build();
/// let s = domain_service(&config, "api.example.com");
/// assert_eq!((&*s.service, s.source), ("api.example.com", "opt.split_by_domain"));
/// ```
pub fn domain_service(config: &Config, domain: impl Into<Str>) -> SpanService {
    let domain = domain.into();
    match mapped(config, &domain) {
        Some(to) => SpanService {
            service: Str::shared(to),
            source: SOURCE_SERVICE_MAPPING,
        },
        None => SpanService {
            service: domain,
            source: SOURCE_SPLIT_BY_DOMAIN,
        },
    }
}

/// What `DD_SERVICE_MAPPING` renames `service` to, if it does. The Python tracer keeps the
/// mapping in a dict: of a repeated name, the last one wins.
fn mapped<'c>(config: &'c Config, service: &str) -> Option<&'c str> {
    config
        .service_mapping
        .iter()
        .rev()
        .find(|(from, _)| from.as_str() == service)
        .map(|(_, to)| to.as_str())
        .filter(|to| *to != service)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(schema: &str, remove_names: bool, mapping: &[(&str, &str)]) -> Config {
        let mut c = Config::builder_without_env().service("app").build();
        c.span_attribute_schema = schema.parse().unwrap();
        c.remove_integration_service_names = remove_names;
        c.service_mapping = mapping
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        c
    }

    fn decide(c: &Config, explicit: Option<&str>) -> (String, &'static str) {
        let explicit = explicit.map(Str::shared);
        let s = integration_service(c, "redis", "redis", explicit.as_ref());
        (s.service.to_string(), s.source)
    }

    fn pair(service: &str, source: &'static str) -> (String, &'static str) {
        (service.to_owned(), source)
    }

    #[test]
    fn integration_default_under_v0() {
        let c = config("v0", false, &[]);
        assert_eq!(decide(&c, None), pair("redis", "redis"));
    }

    #[test]
    fn service_set_in_code_is_manual_under_either_schema() {
        assert_eq!(
            decide(&config("v0", false, &[]), Some("cache")),
            pair("cache", "m")
        );
        assert_eq!(
            decide(&config("v1", false, &[]), Some("cache")),
            pair("cache", "m")
        );
        assert_eq!(
            decide(&config("v0", true, &[]), Some("cache")),
            pair("cache", "m")
        );
    }

    #[test]
    fn service_set_in_code_to_the_default_is_the_integrations() {
        assert_eq!(
            decide(&config("v0", false, &[]), Some("redis")),
            pair("redis", "redis")
        );
        // Under v1 the default is DD_SERVICE.
        assert_eq!(
            decide(&config("v1", false, &[]), Some("app")),
            pair("app", "redis")
        );
    }

    #[test]
    fn global_service_under_v1_or_without_integration_names() {
        assert_eq!(
            decide(&config("v1", false, &[]), None),
            pair("app", "redis")
        );
        assert_eq!(decide(&config("v0", true, &[]), None), pair("app", "redis"));
    }

    #[test]
    fn mapping_renames_every_kind_of_service() {
        let c = config("v0", false, &[("redis", "cache"), ("mine", "theirs")]);
        assert_eq!(decide(&c, None), pair("cache", "opt.service_mapping"));
        assert_eq!(
            decide(&c, Some("mine")),
            pair("theirs", "opt.service_mapping")
        );
        assert_eq!(decide(&c, Some("other")), pair("other", "m"));
        let c = config("v1", false, &[("app", "cache")]);
        assert_eq!(decide(&c, None), pair("cache", "opt.service_mapping"));
        let c = config("v0", true, &[("app", "cache")]);
        assert_eq!(decide(&c, None), pair("cache", "opt.service_mapping"));
    }

    #[test]
    fn mapping_edge_cases() {
        // A name mapped to itself is not renamed.
        let c = config("v0", false, &[("redis", "redis")]);
        assert_eq!(decide(&c, None), pair("redis", "redis"));
        // Of a repeated name, the last mapping wins.
        let c = config("v0", false, &[("redis", "a"), ("redis", "b")]);
        assert_eq!(decide(&c, None), pair("b", "opt.service_mapping"));
    }

    #[test]
    fn split_by_domain_and_its_mapping() {
        let c = config("v0", false, &[("db.internal", "orders")]);
        let s = domain_service(&c, "api.example.com:8443");
        assert_eq!(
            (s.service.as_str(), s.source),
            ("api.example.com:8443", "opt.split_by_domain")
        );
        let s = domain_service(&c, "db.internal");
        assert_eq!(
            (s.service.as_str(), s.source),
            ("orders", "opt.service_mapping")
        );
    }

    #[test]
    fn apply_sets_service_and_source() {
        use crate::Tracer;
        use crate::export::InMemoryExporter;
        let exporter = InMemoryExporter::new();
        let c = config("v0", false, &[]);
        let tracer = Tracer::builder()
            .config(c.clone())
            .exporter(exporter.clone())
            .build();
        {
            let span = tracer.trace("redis.command").start();
            integration_service(&c, "redis", "redis", None).apply(&span);
        }
        let span = &exporter.spans()[0];
        assert_eq!(&*span.service, "redis");
        assert_eq!(span.meta(keys::SERVICE_SOURCE), Some("redis"));
    }
}
