//! The names of every tag the tracer reads or writes by itself, in one table.
//!
//! The core, the writer, the encoders and the integrations all name these keys through this
//! module, never with a string literal, so a key is spelt once. Which moment writes each one is
//! indexed in [`rules`](crate::rules).
//!
//! ```
//! use ddtrace_core::keys;
//! assert_eq!(keys::DECISION_MAKER, "_dd.p.dm");
//! assert!(keys::DECISION_MAKER.starts_with(keys::PROPAGATED_PREFIX));
//! ```

// --- Span identity and unified service tagging ----------------------------------------------

/// The span's environment (`DD_ENV`).
pub const ENV: &str = "env";
/// The application version (`DD_VERSION`), on spans of the tracer's own service.
pub const VERSION: &str = "version";
/// Setting this tag sets the span's service.
pub const SERVICE: &str = "service";
/// Setting this tag sets the span's resource.
pub const RESOURCE: &str = "resource";
/// Where the span's service name came from (`m` for manual, or an integration's name).
pub const SERVICE_SOURCE: &str = "_dd.svc_src";
/// The tracer's service, on spans whose service differs from it.
pub const BASE_SERVICE: &str = "_dd.base_service";
/// The span kind: `server`, `client`, `producer`, `consumer` or `internal`.
pub const SPAN_KIND: &str = "span.kind";
/// The integration that made the span.
pub const COMPONENT: &str = "component";

// --- Process tags, on local roots ----------------------------------------------------------

/// The tracer's runtime id, a UUID per process.
pub const RUNTIME_ID: &str = "runtime-id";
/// The process id, a metric.
pub const PROCESS_ID: &str = "process_id";
/// The host name, when `DD_TRACE_REPORT_HOSTNAME` is on.
pub const HOSTNAME: &str = "_dd.hostname";
/// The tracer's language, on the first span of each chunk.
pub const LANGUAGE: &str = "language";
/// The value of [`LANGUAGE`].
pub const LANGUAGE_RUST: &str = "rust";
/// The commit the service was built from (`DD_GIT_COMMIT_SHA`), on each chunk's first span.
pub const GIT_COMMIT_SHA: &str = "_dd.git.commit.sha";
/// The service's repository (`DD_GIT_REPOSITORY_URL`), on each chunk's first span.
pub const GIT_REPOSITORY_URL: &str = "_dd.git.repository_url";

// --- Span metrics the tracer computes ----------------------------------------------------

/// `1` on a span whose service differs from its parent's (or that has no local parent).
pub const TOP_LEVEL: &str = "_dd.top_level";
/// `1` on a span the agent computes trace metrics for although it is not top-level.
pub const MEASURED: &str = "_dd.measured";

// --- Setting these tags decides the trace -------------------------------------------------

/// Setting this tag keeps the trace (`USER_KEEP`).
pub const MANUAL_KEEP: &str = "manual.keep";
/// Setting this tag drops the trace (`USER_REJECT`).
pub const MANUAL_DROP: &str = "manual.drop";
/// The HTTP status code, always stored as a string.
pub const HTTP_STATUS_CODE: &str = "http.status_code";
/// The destination port, stored as a metric when it parses as a number.
pub const NETWORK_DESTINATION_PORT: &str = "network.destination.port";

// --- Errors --------------------------------------------------------------------------------

/// The error's type.
pub const ERROR_TYPE: &str = "error.type";
/// The error's message.
pub const ERROR_MESSAGE: &str = "error.message";
/// The error's stack or source chain.
pub const ERROR_STACK: &str = "error.stack";

// --- Chunk and trace-level tags ------------------------------------------------------------

/// The trace's sampling priority, a metric on the chunk's first span.
pub const SAMPLING_PRIORITY: &str = "_sampling_priority_v1";
/// The trace's origin (`synthetics`, `rum`...), on every span of the chunk.
pub const ORIGIN: &str = "_dd.origin";
/// The prefix of the trace tags that propagate to downstream services.
pub const PROPAGATED_PREFIX: &str = "_dd.p.";
/// The sampling mechanism that decided the trace, a propagated tag such as `-3`.
pub const DECISION_MAKER: &str = "_dd.p.dm";
/// The sample rate the deciding rule or agent rate applied, a propagated tag.
pub const KNUTH_SAMPLE_RATE: &str = "_dd.p.ksr";
/// The upper 64 bits of a 128-bit trace id, as 16 hex digits.
pub const TRACE_ID_HIGH: &str = "_dd.p.tid";
/// The deprecated upstream-services tag, never propagated.
pub const UPSTREAM_SERVICES: &str = "_dd.p.upstream_services";
/// The user id, carried in tracecontext as `t.usr.id`.
pub const USER_ID: &str = "_dd.p.usr.id";
/// Why propagated tags were dropped (`extract_max_size`, `decoding_error`...).
pub const PROPAGATION_ERROR: &str = "_dd.propagation_error";
/// The last Datadog parent seen in tracecontext's `p:` member.
pub const LAST_PARENT_ID: &str = "_dd.parent_id";
/// The incoming W3C `tracestate`, kept on the local root for injection.
pub const TRACESTATE: &str = "tracestate";
/// The incoming W3C `traceparent`, kept on the local root.
pub const TRACEPARENT: &str = "traceparent";

// --- Sampler metrics ---------------------------------------------------------------------

/// The rate of the sampling rule that matched.
pub const RULE_PSR: &str = "_dd.rule_psr";
/// The rate limiter's effective rate.
pub const LIMIT_PSR: &str = "_dd.limit_psr";
/// The agent's rate for the trace's service and env.
pub const AGENT_PSR: &str = "_dd.agent_psr";
/// The single-span sampling mechanism (8) on a span kept by a span rule.
pub const SPAN_SAMPLING_MECHANISM: &str = "_dd.span_sampling.mechanism";
/// The sample rate of the span rule that kept the span.
pub const SPAN_SAMPLING_RULE_RATE: &str = "_dd.span_sampling.rule_rate";
/// The limit of the span rule that kept the span.
pub const SPAN_SAMPLING_MAX_PER_SECOND: &str = "_dd.span_sampling.max_per_second";

// --- Integrations --------------------------------------------------------------------------

/// The service a client span talks to.
pub const PEER_SERVICE: &str = "peer.service";
/// The tag [`PEER_SERVICE`] was taken from.
pub const PEER_SERVICE_SOURCE: &str = "_dd.peer.service.source";
/// The peer service before `DD_TRACE_PEER_SERVICE_MAPPING` renamed it.
pub const PEER_SERVICE_REMAPPED_FROM: &str = "_dd.peer.service.remapped_from";
/// The names of the client-IP headers a request carried, when it carried more than one.
pub const MULTIPLE_IP_HEADERS: &str = "_dd.multiple-ip-headers";
/// `true` on a query span whose SQL carries the trace context for Database Monitoring.
pub const DBM_TRACE_INJECTED: &str = "_dd.dbm_trace_injected";

// --- Added by the writer and the encoders -------------------------------------------------

/// The writer's keep rate, on the first span of each payload's chunk.
pub const TRACER_KEEP_RATE: &str = "_dd.tracer_kr";
/// Span links as JSON in meta, for agents that lack the v0.4 `span_links` field (v0.5).
pub const SPAN_LINKS: &str = "_dd.span_links";
/// Span events as JSON in meta.
pub const EVENTS: &str = "events";
