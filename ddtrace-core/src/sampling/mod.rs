//! Trace sampling: who decides whether a trace is kept, and how.
//!
//! The decision is taken once per trace, on the local root, as late as possible: when the first
//! chunk of the trace is handed to the exporter, or earlier if the context is injected into
//! outgoing headers first. A priority extracted from upstream headers is kept as it is.

mod agent_rates;
mod knuth;
mod priority;

pub use agent_rates::AgentRates;
pub use knuth::{KNUTH_FACTOR, keeps};
pub use priority::{SamplingMechanism, SamplingPriority};

use std::sync::Arc;

use crate::id::TraceId;
use crate::span_data::SpanData;
use crate::str::Str;

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
}

/// Decides a trace's priority from its local root.
pub trait Sampler: Send + Sync + 'static {
    /// Samples the trace `trace_id` whose local root currently looks like `root`.
    fn decide(&self, trace_id: TraceId, root: &SpanData) -> SamplingDecision;
}

/// Formats a rate as `_dd.p.ksr` wants it: up to 6 decimals, trailing zeros stripped.
pub fn format_rate(rate: f64) -> String {
    let s = format!("{rate:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The Datadog sampler: agent rates by service and env, else keep.
#[derive(Debug, Clone, Default)]
pub struct DatadogSampler {
    agent_rates: Arc<AgentRates>,
}

impl DatadogSampler {
    /// A sampler that reads the agent's rates from `agent_rates`.
    pub fn new(agent_rates: Arc<AgentRates>) -> Self {
        DatadogSampler { agent_rates }
    }

    /// The table the writer updates with the agent's rates.
    pub fn agent_rates(&self) -> &Arc<AgentRates> {
        &self.agent_rates
    }
}

impl Sampler for DatadogSampler {
    fn decide(&self, trace_id: TraceId, root: &SpanData) -> SamplingDecision {
        let env = root.meta("env").unwrap_or("");
        match self.agent_rates.rate_for(&root.service, env) {
            Some(rate) => {
                let mechanism = SamplingMechanism::AGENT_RATE;
                let (keep, reject) = mechanism.priorities();
                SamplingDecision {
                    priority: if keeps(trace_id.low(), rate) {
                        keep
                    } else {
                        reject
                    },
                    mechanism,
                    rate: Some(rate),
                    root_metrics: vec![(Str::Static("_dd.agent_psr"), rate)],
                    discard: false,
                }
            }
            None => SamplingDecision::default_keep(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn rates_format_like_the_python_tracer() {
        assert_eq!(format_rate(0.5), "0.5");
        assert_eq!(format_rate(1.0), "1");
        assert_eq!(format_rate(0.0), "0");
        assert_eq!(format_rate(0.000001), "0.000001");
    }

    #[test]
    fn knuth_keeps_everything_at_one_and_hash_zero_at_zero() {
        assert!(keeps(12345, 1.0));
        assert!(!keeps(12345, 0.0));
        assert!(keeps(0, 0.0));
    }

    #[test]
    fn agent_rates_pick_the_service_env_key() {
        let rates = Arc::new(AgentRates::new());
        let sampler = DatadogSampler::new(rates.clone());
        let mut root = SpanData {
            service: "svc".into(),
            ..Default::default()
        };
        root.set_meta("env".into(), "test".into());
        assert_eq!(
            sampler.decide(TraceId(7), &root),
            SamplingDecision::default_keep()
        );
        rates.update(HashMap::from([(AgentRates::key("svc", "test"), 0.0)]));
        let d = sampler.decide(TraceId(7), &root);
        assert_eq!(d.priority, SamplingPriority::AUTO_REJECT);
        assert_eq!(d.mechanism, SamplingMechanism::AGENT_RATE);
        assert_eq!(d.root_metrics, vec![(Str::from("_dd.agent_psr"), 0.0)]);
    }
}
