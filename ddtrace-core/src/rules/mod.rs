//! Every tag the tracer adds by itself, by the moment it is added. Key names come from
//! [`keys`](crate::keys); the rules are plain functions over a span's data, called from the
//! span path with no dispatch.
//!
//! | moment | tags | where |
//! |---|---|---|
//! | span start, every span | `env`, `DD_TAGS`, `_dd.svc_src` | `rules/span_start.rs` `every_span` |
//! | span start, local root | `runtime-id`, `process_id`, `_dd.hostname` | `rules/span_start.rs` `local_root` |
//! | span start, local root of a remote trace | the extracted context's root tags: `tracestate`, `traceparent`, `_dd.parent_id`, `_dd.propagation_error` | `span/start.rs`, from [`propagation`](crate::propagation) |
//! | `set_tag` of a special key | `service`, `resource`, `manual.keep`/`manual.drop`, `http.status_code`, `network.destination.port`, `_dd.measured` | `rules/special_keys.rs` |
//! | span finish | `_dd.top_level`, `version`, `_dd.base_service` | `rules/span_finish.rs` |
//! | sampling decision | `_dd.p.dm`, `_dd.p.ksr` (trace tags) | [`SamplingDecision`](crate::sampling::SamplingDecision) (`manual`, `tag_trace`) |
//! | sampling decision | `_dd.rule_psr`, `_dd.limit_psr`, `_dd.agent_psr` (root metrics) | [`DatadogSampler`](crate::sampling::DatadogSampler) |
//! | chunk leaves | `language`, `_dd.p.*`, `_dd.p.tid`, root metrics, `_dd.origin`, `_dd.git.commit.sha`, `_dd.git.repository_url`, `_sampling_priority_v1` | `rules/chunk.rs` |
//! | chunk leaves, span sampling | `_dd.span_sampling.mechanism`, `_dd.span_sampling.rule_rate`, `_dd.span_sampling.max_per_second` | [`SpanSampler`](crate::sampling::SpanSampler) |
//! | integration spans | `component`, `span.kind`, `peer.service`, `_dd.peer.service.source`, `_dd.peer.service.remapped_from`, `_dd.dbm_trace_injected` | [`integration`](crate::integration) and the integration crates |
//! | payload sent (`ddtrace-writer`) | `_dd.tracer_kr` on each chunk's first span | the writer's worker |
//! | encoding (`ddtrace-writer`) | `_dd.span_links`, `events` (as JSON in meta, for agents that lack the fields) | the writer's encoders |
//!
//! The functions are internal: this page is the map of where each tag comes from.

pub(crate) mod chunk;
pub(crate) mod span_finish;
pub(crate) mod span_start;
pub(crate) mod special_keys;
