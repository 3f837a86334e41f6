//! [`DatadogSampler`]: trace rules with the rate limiter, else the agent's rates, else keep.

use std::sync::Arc;

use super::agent_rates::AgentRates;
use super::limiter::RateLimiter;
use super::priority::{SamplingMechanism, SamplingPriority};
use super::rules::SamplingRule;
use super::rules_json::parse_sampling_rules;
use super::span_sampling::SpanSampler;
use super::{Sampler, SamplingDecision};
use crate::config::Config;
use crate::id::TraceId;
use crate::keys;
use crate::span_data::SpanData;
use crate::str::Str;

/// The Python tracer's default `DD_TRACE_RATE_LIMIT`.
const DEFAULT_RATE_LIMIT: f64 = 100.0;

/// The Datadog sampler, deciding on a trace's local root as the Python tracer's
/// `DatadogSampler` does:
///
/// 1. the first trace sampling rule that matches (rules ordered by provenance) keeps the trace
///    at its rate; a kept trace must then pass the rate limiter (`DD_TRACE_RATE_LIMIT`);
/// 2. else the agent's rate for `service:S,env:E`, if the agent sent one;
/// 3. else keep (priority 1).
///
/// It also carries the single-span rules, applied to chunks of dropped traces.
///
/// ```
/// use std::sync::Arc;
/// use ddtrace_core::sampling::{AgentRates, DatadogSampler, Sampler, SamplingPriority, SamplingRule};
/// use ddtrace_core::{SpanData, TraceId};
///
/// let sampler = DatadogSampler::new(Arc::new(AgentRates::new()))
///     .with_rules(vec![SamplingRule::new(0.0).resource("GET /health*")]);
/// let root = SpanData { resource: "GET /healthz".into(), ..Default::default() };
/// assert_eq!(sampler.decide(TraceId(1), &root).priority, SamplingPriority::USER_REJECT);
/// ```
#[derive(Debug, Clone)]
pub struct DatadogSampler {
    rules: Arc<[SamplingRule]>,
    /// Shared by the clones: the limit is per tracer, not per handle.
    limiter: Arc<RateLimiter>,
    agent_rates: Arc<AgentRates>,
    span_sampler: Arc<SpanSampler>,
}

impl Default for DatadogSampler {
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl DatadogSampler {
    /// A sampler with no rules, the default rate limit, and the agent's rates read from
    /// `agent_rates`.
    pub fn new(agent_rates: Arc<AgentRates>) -> Self {
        DatadogSampler {
            rules: Arc::from(Vec::new()),
            limiter: Arc::new(RateLimiter::new(DEFAULT_RATE_LIMIT)),
            agent_rates,
            span_sampler: Arc::default(),
        }
    }

    /// The sampler `config` describes: `DD_TRACE_SAMPLING_RULES`, `DD_TRACE_RATE_LIMIT`,
    /// `DD_SPAN_SAMPLING_RULES(_FILE)`. Problems in the rules are logged and the rules at fault
    /// ignored; `DD_TRACE_SAMPLE_RATE`, which the Python tracer 4.x ignores, is ignored too,
    /// with a warning giving the rule that does what it meant.
    pub fn from_config(config: &Config, agent_rates: Arc<AgentRates>) -> Self {
        let rules = match config.sampling_rules.as_deref() {
            Some(json) => {
                let parsed = parse_sampling_rules(json);
                for e in &parsed.errors {
                    log::error!("{e}");
                }
                parsed.rules
            }
            None => Vec::new(),
        };
        if let Some(rate) = config.sample_rate {
            log::warn!(
                "DD_TRACE_SAMPLE_RATE={rate} has no effect (as in the Datadog Python tracer 4.x); \
                 to sample at this rate, set DD_TRACE_SAMPLING_RULES='{}' instead",
                equivalent_rules(config.sampling_rules.as_deref(), rate)
            );
        }
        let rate_limit_set = config
            .sources
            .iter()
            .any(|(k, _)| *k == "DD_TRACE_RATE_LIMIT");
        if rate_limit_set && rules.is_empty() {
            log::warn!(
                "DD_TRACE_RATE_LIMIT is set but no trace sampling rule is: it only limits traces \
                 kept by DD_TRACE_SAMPLING_RULES, so it has no effect"
            );
        }
        DatadogSampler::new(agent_rates)
            .with_rules(rules)
            // Python reads the limit with `int()`.
            .with_rate_limit(config.rate_limit.trunc())
            .with_span_sampler(SpanSampler::from_config(config))
    }

    /// Replaces the trace sampling rules (sorted by provenance, listed order within each).
    pub fn with_rules(mut self, mut rules: Vec<SamplingRule>) -> Self {
        rules.sort_by_key(|r| r.rule_provenance());
        self.rules = Arc::from(rules);
        self
    }

    /// Limits rule-kept traces to `limit` per second (0: none; negative: no limit).
    pub fn with_rate_limit(mut self, limit: f64) -> Self {
        self.limiter = Arc::new(RateLimiter::new(limit));
        self
    }

    /// Replaces the single-span rules.
    pub fn with_span_sampler(mut self, span_sampler: SpanSampler) -> Self {
        self.span_sampler = Arc::new(span_sampler);
        self
    }

    /// The trace sampling rules, in the order they are tried.
    pub fn rules(&self) -> &[SamplingRule] {
        &self.rules
    }

    /// The single-span rules.
    pub fn span_sampler(&self) -> &SpanSampler {
        &self.span_sampler
    }

    /// The table the writer updates with the agent's rates.
    pub fn agent_rates(&self) -> &Arc<AgentRates> {
        &self.agent_rates
    }

    fn by_rule(&self, rule: &SamplingRule, trace_id: TraceId) -> SamplingDecision {
        let mechanism = rule.rule_provenance().mechanism();
        let rate = rule.sample_rate();
        let mut root_metrics = Vec::with_capacity(2);
        root_metrics.push((Str::from_static(keys::RULE_PSR), rate));
        let mut keep = rule.sample(trace_id);
        if keep {
            // Consulted once per kept trace, never per span; the limiter is lock-free.
            keep = self.limiter.is_allowed();
            root_metrics.push((
                Str::from_static(keys::LIMIT_PSR),
                self.limiter.effective_rate(),
            ));
        }
        let (keep_p, reject_p) = mechanism.priorities();
        SamplingDecision {
            priority: if keep { keep_p } else { reject_p },
            mechanism,
            rate: Some(rate),
            root_metrics,
            discard: rule.is_discard(),
        }
    }

    fn by_agent_rate(&self, rate: f64, trace_id: TraceId) -> SamplingDecision {
        let mechanism = SamplingMechanism::AGENT_RATE;
        let (keep, reject) = mechanism.priorities();
        SamplingDecision {
            priority: if super::keeps(trace_id.low(), rate) {
                keep
            } else {
                reject
            },
            mechanism,
            rate: Some(rate),
            root_metrics: vec![(Str::from_static(keys::AGENT_PSR), rate)],
            discard: false,
        }
    }
}

impl Sampler for DatadogSampler {
    fn decide(&self, trace_id: TraceId, root: &SpanData) -> SamplingDecision {
        if let Some(rule) = self.rules.iter().find(|r| r.matches(root)) {
            return self.by_rule(rule, trace_id);
        }
        let env = root.meta("env").unwrap_or("");
        match self.agent_rates.rate_for(&root.service, env) {
            Some(rate) => self.by_agent_rate(rate, trace_id),
            None => SamplingDecision::default_keep(),
        }
    }

    fn sample_spans(&self, priority: SamplingPriority, spans: &mut [SpanData]) {
        self.span_sampler.sample(priority, spans);
    }
}

/// `DD_TRACE_SAMPLING_RULES` with a catch-all rule at `rate` appended (rules first match, so
/// the catch-all applies to what the other rules leave).
fn equivalent_rules(rules: Option<&str>, rate: f64) -> String {
    let catch_all = serde_json::json!({ "sample_rate": rate });
    let mut list = match rules.map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(serde_json::Value::Array(list))) => list,
        _ => Vec::new(),
    };
    list.push(catch_all);
    serde_json::Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn root(service: &str) -> SpanData {
        let mut root = SpanData {
            service: Str::from(service.to_owned()),
            ..Default::default()
        };
        root.set_meta("env".into(), "test".into());
        root
    }

    #[test]
    fn agent_rates_pick_the_service_env_key() {
        let rates = Arc::new(AgentRates::new());
        let sampler = DatadogSampler::new(rates.clone());
        assert_eq!(
            sampler.decide(TraceId(7), &root("svc")),
            SamplingDecision::default_keep()
        );
        rates.update(HashMap::from([(AgentRates::key("svc", "test"), 0.0)]));
        let d = sampler.decide(TraceId(7), &root("svc"));
        assert_eq!(d.priority, SamplingPriority::AUTO_REJECT);
        assert_eq!(d.mechanism, SamplingMechanism::AGENT_RATE);
        assert_eq!(d.root_metrics, vec![(Str::from("_dd.agent_psr"), 0.0)]);
    }

    #[test]
    fn a_matching_rule_beats_the_agent_rate_and_meets_the_limiter() {
        let rates = Arc::new(AgentRates::new());
        rates.update(HashMap::from([(AgentRates::key("svc", "test"), 0.0)]));
        let sampler = DatadogSampler::new(rates)
            .with_rules(vec![SamplingRule::new(1.0).service("svc")])
            .with_rate_limit(1.0);
        let first = sampler.decide(TraceId(7), &root("svc"));
        assert_eq!(first.priority, SamplingPriority::USER_KEEP);
        assert_eq!(first.mechanism, SamplingMechanism::LOCAL_USER_RULE);
        let second = sampler.decide(TraceId(8), &root("svc"));
        assert_eq!(second.priority, SamplingPriority::USER_REJECT);
        assert!(
            second
                .root_metrics
                .contains(&(Str::from("_dd.limit_psr"), 0.5))
        );
    }

    #[test]
    fn sample_rate_warning_shows_the_equivalent_rules() {
        assert_eq!(equivalent_rules(None, 0.5), r#"[{"sample_rate":0.5}]"#);
        assert_eq!(
            equivalent_rules(Some(r#"[{"service":"a","sample_rate":1}]"#), 0.25),
            r#"[{"sample_rate":1,"service":"a"},{"sample_rate":0.25}]"#
        );
        assert_eq!(
            equivalent_rules(Some("[oops"), 0.0),
            r#"[{"sample_rate":0.0}]"#
        );
    }
}
