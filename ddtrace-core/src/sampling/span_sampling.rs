//! Single-span sampling (`DD_SPAN_SAMPLING_RULES`, `DD_SPAN_SAMPLING_RULES_FILE`): keeping
//! chosen spans of traces that are otherwise dropped.

use serde_json::Value;

use super::glob::GlobMatcher;
use super::knuth::keeps;
use super::limiter::RateLimiter;
use super::priority::SamplingPriority;
use super::rules_json::ParsedRules;
use crate::config::Config;
use crate::keys;
use crate::span_data::SpanData;
use crate::str::Str;

/// `_dd.span_sampling.mechanism`: always 8 (single-span rule).
pub const SPAN_SAMPLING_MECHANISM: &str = keys::SPAN_SAMPLING_MECHANISM;
/// `_dd.span_sampling.rule_rate`: the rule's `sample_rate`.
pub const SPAN_SAMPLING_RULE_RATE: &str = keys::SPAN_SAMPLING_RULE_RATE;
/// `_dd.span_sampling.max_per_second`: the rule's limit, when it has one.
pub const SPAN_SAMPLING_MAX_PER_SECOND: &str = keys::SPAN_SAMPLING_MAX_PER_SECOND;

/// One single-span rule: service and name patterns, a rate applied to the span id, and an
/// optional per-rule limit.
#[derive(Debug)]
pub struct SpanSamplingRule {
    service: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
    sample_rate: f64,
    /// As given; -1 (the default) means no limit and no tag.
    max_per_second: f64,
    limiter: RateLimiter,
}

impl SpanSamplingRule {
    /// A rule for spans matching `service` and `name` (at least one should be given), keeping
    /// `sample_rate` of them and at most `max_per_second` (negative: no limit).
    pub fn new(
        service: Option<&str>,
        name: Option<&str>,
        sample_rate: f64,
        max_per_second: f64,
    ) -> Self {
        SpanSamplingRule {
            service: service.map(GlobMatcher::new),
            name: name.map(GlobMatcher::new),
            sample_rate,
            max_per_second,
            limiter: RateLimiter::new(max_per_second),
        }
    }

    /// The service pattern, lower-cased.
    pub fn service_pattern(&self) -> Option<&str> {
        self.service.as_ref().map(GlobMatcher::pattern)
    }

    /// The name pattern, lower-cased.
    pub fn name_pattern(&self) -> Option<&str> {
        self.name.as_ref().map(GlobMatcher::pattern)
    }

    /// The rate, as given (not clamped: the Python tracer writes it as is).
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// The limit per second, as given (-1 when unlimited).
    pub fn max_per_second(&self) -> f64 {
        self.max_per_second
    }

    /// Whether `span`'s service and name match the rule's patterns.
    pub fn matches(&self, span: &SpanData) -> bool {
        self.service
            .as_ref()
            .is_none_or(|p| p.matches(&span.service))
            && self.name.as_ref().is_none_or(|p| p.matches(&span.name))
    }

    /// Keeps `span` if its span id passes the rate and the limiter has room, tagging it; returns
    /// whether it was kept.
    pub fn sample(&self, span: &mut SpanData) -> bool {
        let by_rate = if self.sample_rate == 1.0 {
            true
        } else if self.sample_rate == 0.0 {
            false
        } else {
            keeps(span.span_id.0, self.sample_rate)
        };
        if !by_rate || !self.limiter.take_token() {
            return false;
        }
        span.metrics.reserve(3);
        span.set_metric(Str::from_static(SPAN_SAMPLING_MECHANISM), 8.0);
        span.set_metric(Str::from_static(SPAN_SAMPLING_RULE_RATE), self.sample_rate);
        if self.max_per_second != -1.0 {
            span.set_metric(
                Str::from_static(SPAN_SAMPLING_MAX_PER_SECOND),
                self.max_per_second,
            );
        }
        true
    }
}

/// The single-span rules of a tracer.
///
/// ```
/// use ddtrace_core::sampling::{SamplingPriority, SpanSampler};
/// use ddtrace_core::SpanData;
///
/// let parsed = SpanSampler::parse(r#"[{"service": "db", "max_per_second": 10}]"#);
/// let sampler = SpanSampler::new(parsed.rules);
/// let mut spans = vec![SpanData { service: "db".into(), ..Default::default() }];
/// sampler.sample(SamplingPriority::AUTO_REJECT, &mut spans);
/// assert_eq!(spans[0].metric("_dd.span_sampling.mechanism"), Some(8.0));
/// ```
#[derive(Debug, Default)]
pub struct SpanSampler {
    rules: Vec<SpanSamplingRule>,
}

impl SpanSampler {
    /// A sampler applying `rules`, first match per span.
    pub fn new(rules: Vec<SpanSamplingRule>) -> Self {
        SpanSampler { rules }
    }

    /// The rules from `DD_SPAN_SAMPLING_RULES`, else from the file
    /// `DD_SPAN_SAMPLING_RULES_FILE`; problems are logged (as warnings, like the Python tracer)
    /// and the rules at fault ignored.
    pub fn from_config(config: &Config) -> Self {
        let from_env = config
            .span_sampling_rules
            .as_deref()
            .map(Self::parse)
            .unwrap_or_default();
        let from_file = match config.span_sampling_rules_file.as_deref() {
            None => ParsedRules::default(),
            Some(path) => match std::fs::read_to_string(path) {
                Ok(json) => Self::parse(&json),
                Err(e) => ParsedRules {
                    rules: Vec::new(),
                    errors: vec![format!(
                        "DD_SPAN_SAMPLING_RULES_FILE {path:?} cannot be read ({e}); no \
                         single-span rule from it applies"
                    )],
                },
            },
        };
        for e in from_env.errors.iter().chain(&from_file.errors) {
            log::warn!("{e}");
        }
        // As in the Python tracer, an empty rule list counts as absent.
        let rules = if from_env.rules.is_empty() {
            from_file.rules
        } else {
            if !from_file.rules.is_empty() {
                log::warn!(
                    "DD_SPAN_SAMPLING_RULES and DD_SPAN_SAMPLING_RULES_FILE are both set; using \
                     DD_SPAN_SAMPLING_RULES"
                );
            }
            from_env.rules
        };
        SpanSampler::new(rules)
    }

    /// Reads single-span rules from JSON: an array of objects with `service` and/or `name`
    /// (glob patterns), `sample_rate` (default 1) and `max_per_second` (default -1, no limit).
    pub fn parse(json: &str) -> ParsedRules<SpanSamplingRule> {
        let mut out = ParsedRules::default();
        let list = match serde_json::from_str::<Value>(json) {
            Ok(Value::Array(list)) => list,
            Ok(_) => {
                out.errors.push(format!(
                    "single-span sampling rules must be a JSON array, got {json:?}; none applies"
                ));
                return out;
            }
            Err(e) => {
                out.errors.push(format!(
                    "single-span sampling rules {json:?} are not valid JSON ({e}); none applies"
                ));
                return out;
            }
        };
        for item in &list {
            match parse_rule(item) {
                Ok(rule) => out.rules.push(rule),
                Err(why) => out.errors.push(format!(
                    "single-span sampling rule {item} is ignored: {why}"
                )),
            }
        }
        out
    }

    /// The rules, in the order they are tried.
    pub fn rules(&self) -> &[SpanSamplingRule] {
        &self.rules
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Tags the spans of a chunk that single-span rules keep, when the trace's `priority`
    /// drops it (<= 0). Each span is tried against the rules in order; the first rule that
    /// matches decides, kept or not. Spans are visited in start order, as the Python tracer
    /// visits its trace, which matters once a rule's limit runs out.
    pub fn sample(&self, priority: SamplingPriority, spans: &mut [SpanData]) {
        if self.rules.is_empty() || priority.is_keep() {
            return;
        }
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i].start);
        for i in order {
            let span = &mut spans[i];
            if let Some(rule) = self.rules.iter().find(|r| r.matches(span)) {
                rule.sample(span);
            }
        }
    }
}

fn parse_rule(item: &Value) -> Result<SpanSamplingRule, String> {
    let Value::Object(obj) = item else {
        return Err("a rule must be a JSON object".to_owned());
    };
    let pattern = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("{key} must be a glob pattern string")),
    };
    let service = pattern("service")?;
    let name = pattern("name")?;
    // Python tests truthiness: an empty pattern counts as absent here, yet is kept below.
    if service.is_none_or(str::is_empty) && name.is_none_or(str::is_empty) {
        return Err("a rule must give at least 'service' or 'name'".to_owned());
    }
    let number = |key: &str, default: f64| match obj.get(key) {
        None => Ok(default),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{key} is not a number")),
        Some(Value::Bool(b)) => Ok(f64::from(u8::from(*b))),
        Some(_) => Err(format!("{key} must be a number")),
    };
    let sample_rate = number("sample_rate", 1.0)?;
    let max_per_second = number("max_per_second", -1.0)?;
    Ok(SpanSamplingRule::new(
        service,
        name,
        sample_rate,
        max_per_second,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(service: &str, name: &str, start: i64) -> SpanData {
        SpanData {
            service: Str::from(service.to_owned()),
            name: Str::from(name.to_owned()),
            start,
            ..Default::default()
        }
    }

    #[test]
    fn only_dropped_traces_and_first_match_decides() {
        let parsed = SpanSampler::parse(
            r#"[{"service":"web","sample_rate":0},{"service":"*","max_per_second":1}]"#,
        );
        assert!(parsed.errors.is_empty());
        let sampler = SpanSampler::new(parsed.rules);
        let mut spans = vec![span("web", "a", 0), span("db", "b", 2), span("db", "c", 1)];
        sampler.sample(SamplingPriority::USER_KEEP, &mut spans);
        assert!(spans.iter().all(|s| s.metrics.is_empty()));
        sampler.sample(SamplingPriority::USER_REJECT, &mut spans);
        assert_eq!(spans[0].metric(SPAN_SAMPLING_MECHANISM), None);
        // The earlier-started span takes the rule's only token.
        assert_eq!(spans[2].metric(SPAN_SAMPLING_MAX_PER_SECOND), Some(1.0));
        assert_eq!(spans[1].metric(SPAN_SAMPLING_MECHANISM), None);
    }

    #[test]
    fn bad_rules_are_skipped() {
        let parsed = SpanSampler::parse(
            r#"[{"sample_rate":1}, 3, {"service":"a","sample_rate":"x"}, {"name":"n"}]"#,
        );
        assert_eq!(parsed.rules.len(), 1);
        assert_eq!(parsed.errors.len(), 3);
        assert!(SpanSampler::parse("not json").rules.is_empty());
        assert!(SpanSampler::parse(r#"{"service":"a"}"#).rules.is_empty());
    }
}
