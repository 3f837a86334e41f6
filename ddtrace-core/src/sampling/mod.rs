//! Trace sampling: who decides whether a trace is kept, and how.
//!
//! The decision is taken once per trace, on the local root, as late as possible: when the first
//! chunk of the trace is handed to the exporter, or earlier if the context is injected into
//! outgoing headers first. A priority extracted from upstream headers is kept as it is.
//!
//! - [`DatadogSampler`]: the sampler a tracer builds from its [`Config`](crate::Config);
//! - [`SamplingRule`], [`parse_sampling_rules`]: `DD_TRACE_SAMPLING_RULES`, matched with
//!   [`GlobMatcher`] patterns;
//! - [`RateLimiter`]: `DD_TRACE_RATE_LIMIT` and the single-span rules' `max_per_second`;
//! - [`SpanSampler`]: `DD_SPAN_SAMPLING_RULES`, spans kept from dropped traces;
//! - [`AgentRates`]: the agent's rates by service and env;
//! - [`keeps`]: the deterministic keep/drop of an id at a rate.

mod agent_rates;
mod datadog;
mod glob;
mod knuth;
mod limiter;
mod priority;
mod rules;
mod rules_json;
mod span_sampling;

pub use agent_rates::AgentRates;
pub use datadog::DatadogSampler;
pub use glob::GlobMatcher;
pub use knuth::{KNUTH_FACTOR, keeps};
pub use limiter::RateLimiter;
pub use priority::{SamplingMechanism, SamplingPriority};
pub use rules::{Provenance, SamplingRule};
pub use rules_json::{ParsedRules, parse_sampling_rules};
pub use span_sampling::{
    SPAN_SAMPLING_MAX_PER_SECOND, SPAN_SAMPLING_MECHANISM, SPAN_SAMPLING_RULE_RATE, SpanSampler,
    SpanSamplingRule,
};

use crate::id::TraceId;
use crate::keys;
use crate::span_data::SpanData;
use crate::str::Str;
use crate::tag::{TraceTags, set_pair};

/// The outcome of sampling one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingDecision {
    /// The priority the trace gets.
    pub priority: SamplingPriority,
    /// What decided (becomes `_dd.p.dm`).
    pub mechanism: SamplingMechanism,
    /// The rate applied, if any (becomes `_dd.p.ksr`).
    pub rate: Option<f64>,
    /// Numeric tags for the local root (`_dd.rule_psr`, `_dd.agent_psr`, `_dd.limit_psr`).
    pub root_metrics: Vec<(Str, f64)>,
    /// Drop the trace's chunks entirely instead of sending them with a reject priority.
    pub discard: bool,
}

impl SamplingDecision {
    /// Keep with the default mechanism: what happens when nothing else applies.
    pub fn default_keep() -> Self {
        SamplingDecision {
            priority: SamplingPriority::AUTO_KEEP,
            mechanism: SamplingMechanism::DEFAULT,
            rate: None,
            root_metrics: Vec::new(),
            discard: false,
        }
    }

    /// An upstream service's decision, carried in from its headers. Its `_dd.p.dm` comes in
    /// the propagated tags.
    pub(crate) fn inherited(priority: SamplingPriority) -> Self {
        SamplingDecision {
            priority,
            mechanism: SamplingMechanism::DEFAULT,
            rate: None,
            root_metrics: Vec::new(),
            discard: false,
        }
    }

    /// The user kept or dropped the trace by hand (`manual.keep`, `manual.drop`): this beats
    /// any other decision. Sets `_dd.p.dm=-4` in the trace's propagated `tags`, whatever
    /// decided before, and drops `_dd.p.ksr`, as no rate applied.
    pub(crate) fn manual(priority: SamplingPriority, tags: &mut TraceTags) -> Self {
        set_pair(
            tags,
            Str::from_static(keys::DECISION_MAKER),
            SamplingMechanism::MANUAL.decision_maker(),
        );
        tags.retain(|(k, _)| k.as_str() != keys::KNUTH_SAMPLE_RATE);
        SamplingDecision {
            priority,
            mechanism: SamplingMechanism::MANUAL,
            rate: None,
            root_metrics: Vec::new(),
            discard: false,
        }
    }

    /// Writes the propagated tags this decision stands for into a trace's `tags`: `_dd.p.dm`
    /// unless one is there (an upstream's wins), and `_dd.p.ksr` when a rate applied.
    pub(crate) fn tag_trace(&self, tags: &mut TraceTags) {
        if !tags.iter().any(|(k, _)| k.as_str() == keys::DECISION_MAKER) {
            tags.push((
                Str::from_static(keys::DECISION_MAKER),
                self.mechanism.decision_maker(),
            ));
        }
        if let Some(rate) = self.rate {
            set_pair(
                tags,
                Str::from_static(keys::KNUTH_SAMPLE_RATE),
                Str::from(format_rate(rate)),
            );
        }
    }
}

/// Decides a trace's priority from its local root.
pub trait Sampler: Send + Sync + 'static {
    /// Samples the trace `trace_id` whose local root currently looks like `root`.
    fn decide(&self, trace_id: TraceId, root: &SpanData) -> SamplingDecision;

    /// Sees every chunk of the trace before it is exported, with the trace's priority: where
    /// single-span sampling tags the spans to keep from a dropped trace. Does nothing by
    /// default.
    fn sample_spans(&self, priority: SamplingPriority, spans: &mut [SpanData]) {
        let _ = (priority, spans);
    }
}

/// Formats a rate as `_dd.p.ksr` wants it: up to 6 decimals, trailing zeros stripped.
///
/// Rounds half up at the sixth decimal, as the Python tracer does (`0.0000005` gives
/// `0.000001`, where round-half-even would give `0`).
pub fn format_rate(rate: f64) -> String {
    let rounded = (rate * 1e6 + 0.5).floor() / 1e6;
    let s = format!("{rounded:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_format_like_the_python_tracer() {
        assert_eq!(format_rate(0.5), "0.5");
        assert_eq!(format_rate(1.0), "1");
        assert_eq!(format_rate(0.0), "0");
        assert_eq!(format_rate(0.000001), "0.000001");
        assert_eq!(format_rate(0.0000005), "0.000001");
        assert_eq!(format_rate(0.75), "0.75");
    }

    #[test]
    fn a_decision_tags_the_trace_unless_upstream_did_and_by_hand_overrides() {
        let tag = |tags: &TraceTags, key: &str| {
            tags.iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v.as_str().to_owned())
        };
        let mut tags = TraceTags::new();
        let by_rule = SamplingDecision {
            mechanism: SamplingMechanism::LOCAL_USER_RULE,
            rate: Some(0.5),
            ..SamplingDecision::default_keep()
        };
        by_rule.tag_trace(&mut tags);
        assert_eq!(tag(&tags, keys::DECISION_MAKER).as_deref(), Some("-3"));
        assert_eq!(tag(&tags, keys::KNUTH_SAMPLE_RATE).as_deref(), Some("0.5"));

        // An upstream `_dd.p.dm` stays.
        let mut upstream = TraceTags::new();
        upstream.push((
            Str::from_static(keys::DECISION_MAKER),
            Str::from_static("-1"),
        ));
        by_rule.tag_trace(&mut upstream);
        assert_eq!(tag(&upstream, keys::DECISION_MAKER).as_deref(), Some("-1"));

        let manual = SamplingDecision::manual(SamplingPriority::USER_KEEP, &mut tags);
        assert_eq!(manual.mechanism, SamplingMechanism::MANUAL);
        assert_eq!(tag(&tags, keys::DECISION_MAKER).as_deref(), Some("-4"));
        assert_eq!(tag(&tags, keys::KNUTH_SAMPLE_RATE), None);
    }

    #[test]
    fn decision_makers_are_minus_the_mechanism() {
        for m in [0, 1, 3, 4, 8, 11, 12, 200] {
            let dm = SamplingMechanism(m).decision_maker();
            assert_eq!(dm.as_str(), format!("-{m}"));
            assert_eq!(SamplingMechanism(m).decision_maker_tag(), format!("-{m}"));
        }
    }

    #[test]
    fn knuth_keeps_everything_at_one_and_hash_zero_at_zero() {
        assert!(keeps(12345, 1.0));
        assert!(!keeps(12345, 0.0));
        assert!(keeps(0, 0.0));
    }
}
