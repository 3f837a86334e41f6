//! `peer.service` on client and producer spans: the defaults and
//! `DD_TRACE_PEER_SERVICE_MAPPING`, as the Python tracer's `PeerServiceProcessor` sets them.

use super::schema::schema_v1;
use crate::config::Config;
use crate::keys;
use crate::span::SpanRef;

/// The tag naming the service on the other end of a client call ([`keys::PEER_SERVICE`]).
pub const PEER_SERVICE: &str = keys::PEER_SERVICE;
/// Which tag `peer.service` was taken from ([`keys::PEER_SERVICE_SOURCE`]).
pub const PEER_SERVICE_SOURCE: &str = keys::PEER_SERVICE_SOURCE;
/// The value `DD_TRACE_PEER_SERVICE_MAPPING` replaced ([`keys::PEER_SERVICE_REMAPPED_FROM`]).
pub const PEER_SERVICE_REMAPPED_FROM: &str = keys::PEER_SERVICE_REMAPPED_FROM;

/// Tags `peer.service` is taken from when the span has none, first non-empty wins.
pub const PEER_SERVICE_SOURCES: [&str; 5] = [
    "messaging.kafka.bootstrap.servers",
    "db.name",
    "mongodb.db",
    "rpc.service",
    "out.host",
];

/// Whether `peer.service` defaults apply: `DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED`, always on
/// under `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1`.
pub fn peer_service_defaults_enabled(config: &Config) -> bool {
    config.peer_service_defaults_enabled || schema_v1(config)
}

/// Sets `peer.service`, `_dd.peer.service.source` and `_dd.peer.service.remapped_from` on
/// `span` as the Python tracer's `PeerServiceProcessor` does. Call it once the span's other
/// tags are set, just before it finishes (the Python tracer runs it on finished traces).
///
/// - A `peer.service` the span already has (set by the user or the integration) is kept, with
///   `_dd.peer.service.source=peer.service`.
/// - Otherwise, when defaults are on ([`peer_service_defaults_enabled`]) and `span.kind` is
///   `client` or `producer`, the first non-empty tag of [`PEER_SERVICE_SOURCES`] is copied to
///   `peer.service` and named in `_dd.peer.service.source`.
/// - Then `DD_TRACE_PEER_SERVICE_MAPPING` (`old:new,...`) renames the value, recording the old
///   one in `_dd.peer.service.remapped_from`.
///
/// ```
/// use ddtrace_core::integration::apply_peer_service;
/// use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
///
/// let mut config = Config::builder_without_env().build();
/// config.peer_service_defaults_enabled = true;
/// config.peer_service_mapping = vec![("db-1".into(), "orders-db".into())];
/// let exporter = InMemoryExporter::new();
/// let tracer = Tracer::builder().config(config.clone()).exporter(exporter.clone()).build();
/// {
///     let span = tracer.trace("postgres.query").start();
///     span.set_tag("span.kind", "client");
///     span.set_tag("out.host", "db-1");
///     apply_peer_service(&span, &config);
/// }
/// let span = &exporter.spans()[0];
/// assert_eq!(span.meta("peer.service"), Some("orders-db"));
/// assert_eq!(span.meta("_dd.peer.service.source"), Some("out.host"));
/// assert_eq!(span.meta("_dd.peer.service.remapped_from"), Some("db-1"));
/// ```
pub fn apply_peer_service(span: &SpanRef, config: &Config) {
    if !span.is_recording() {
        return;
    }
    let peer = match span.meta(PEER_SERVICE).filter(|v| !v.is_empty()) {
        Some(existing) => {
            span.set_tag(PEER_SERVICE_SOURCE, PEER_SERVICE);
            existing
        }
        None => {
            if !peer_service_defaults_enabled(config) {
                return;
            }
            let kind = span.meta(keys::SPAN_KIND);
            if !matches!(kind.as_deref(), Some("client" | "producer")) {
                return;
            }
            let Some((source, value)) = PEER_SERVICE_SOURCES
                .iter()
                .find_map(|s| Some((*s, span.meta(s).filter(|v| !v.is_empty())?)))
            else {
                return;
            };
            span.set_tag(PEER_SERVICE, value.clone());
            span.set_tag(PEER_SERVICE_SOURCE, source);
            value
        }
    };
    if let Some((_, new)) = config
        .peer_service_mapping
        .iter()
        .find(|(old, _)| *old == peer)
    {
        span.set_tag(PEER_SERVICE_REMAPPED_FROM, peer);
        span.set_tag(PEER_SERVICE, new.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tracer;
    use crate::export::InMemoryExporter;
    use crate::span_data::SpanData;

    fn run(config: Config, tags: &[(&'static str, &'static str)]) -> SpanData {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(config.clone())
            .exporter(exporter.clone())
            .build();
        {
            let span = tracer.trace("op").start();
            for (k, v) in tags {
                span.set_tag(*k, *v);
            }
            apply_peer_service(&span, &config);
        }
        exporter.spans().remove(0)
    }

    fn config(defaults: bool, mapping: &[(&str, &str)]) -> Config {
        let mut c = Config::builder_without_env().build();
        c.peer_service_defaults_enabled = defaults;
        c.peer_service_mapping = mapping
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        c
    }

    #[test]
    fn defaults_off_leaves_spans_without_peer_service_alone() {
        let s = run(
            config(false, &[]),
            &[("span.kind", "client"), ("out.host", "h")],
        );
        assert_eq!(s.meta(PEER_SERVICE), None);
        assert_eq!(s.meta(PEER_SERVICE_SOURCE), None);
    }

    #[test]
    fn existing_peer_service_is_the_source_and_is_remapped() {
        let s = run(
            config(false, &[("a", "b")]),
            &[("span.kind", "server"), ("peer.service", "a")],
        );
        assert_eq!(s.meta(PEER_SERVICE), Some("b"));
        assert_eq!(s.meta(PEER_SERVICE_SOURCE), Some("peer.service"));
        assert_eq!(s.meta(PEER_SERVICE_REMAPPED_FROM), Some("a"));
    }

    #[test]
    fn sources_in_priority_order() {
        let s = run(
            config(true, &[]),
            &[
                ("span.kind", "client"),
                ("out.host", "h"),
                ("db.name", "orders"),
            ],
        );
        assert_eq!(s.meta(PEER_SERVICE), Some("orders"));
        assert_eq!(s.meta(PEER_SERVICE_SOURCE), Some("db.name"));
        assert_eq!(s.meta(PEER_SERVICE_REMAPPED_FROM), None);
    }

    #[test]
    fn only_client_and_producer_spans_get_defaults() {
        let s = run(
            config(true, &[]),
            &[("span.kind", "server"), ("out.host", "h")],
        );
        assert_eq!(s.meta(PEER_SERVICE), None);
        let s = run(
            config(true, &[]),
            &[("span.kind", "producer"), ("out.host", "h")],
        );
        assert_eq!(s.meta(PEER_SERVICE), Some("h"));
    }

    #[test]
    fn schema_v1_turns_defaults_on() {
        let mut c = config(false, &[]);
        c.span_attribute_schema = crate::config::SpanSchema::V1;
        let s = run(c, &[("span.kind", "client"), ("rpc.service", "pkg.Svc")]);
        assert_eq!(s.meta(PEER_SERVICE), Some("pkg.Svc"));
        assert_eq!(s.meta(PEER_SERVICE_SOURCE), Some("rpc.service"));
    }
}
