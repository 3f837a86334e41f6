//! Trace sampling rules (`DD_TRACE_SAMPLING_RULES`): which traces they match and keep.

use std::fmt;

use super::glob::GlobMatcher;
use super::knuth::keeps;
use super::priority::SamplingMechanism;
use crate::id::TraceId;
use crate::span_data::SpanData;

/// Where a rule came from; rules are tried `Customer` first, then `Dynamic`, then `Default`,
/// keeping their listed order within each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Provenance {
    /// Set by the user in the Datadog UI (remote configuration).
    Customer,
    /// Computed by Datadog (adaptive sampling, remote configuration).
    Dynamic,
    /// Set locally: the environment or code.
    #[default]
    Default,
}

impl Provenance {
    /// The value of the rule's `provenance` key, if it is one of the three.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(Provenance::Customer),
            "dynamic" => Some(Provenance::Dynamic),
            "default" => Some(Provenance::Default),
            _ => None,
        }
    }

    /// `customer`, `dynamic` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Customer => "customer",
            Provenance::Dynamic => "dynamic",
            Provenance::Default => "default",
        }
    }

    /// The mechanism a rule of this provenance reports in `_dd.p.dm`.
    pub fn mechanism(self) -> SamplingMechanism {
        match self {
            Provenance::Customer => SamplingMechanism::REMOTE_USER_RULE,
            Provenance::Dynamic => SamplingMechanism::REMOTE_DYNAMIC_RULE,
            Provenance::Default => SamplingMechanism::LOCAL_USER_RULE,
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One trace sampling rule: glob patterns on the local root's service, name, resource and tags,
/// and the rate at which matching traces are kept.
///
/// ```
/// use ddtrace_core::sampling::SamplingRule;
/// use ddtrace_core::SpanData;
///
/// let rule = SamplingRule::new(0.0).service("web").tag("http.status_code", "5??");
/// let mut root = SpanData { service: "web".into(), ..Default::default() };
/// assert!(!rule.matches(&root));
/// root.set_meta("http.status_code".into(), "503".into());
/// assert!(rule.matches(&root));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingRule {
    sample_rate: f64,
    service: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
    resource: Option<GlobMatcher>,
    tags: Vec<(String, GlobMatcher)>,
    provenance: Provenance,
    discard: bool,
}

impl SamplingRule {
    /// A rule matching every trace, keeping `sample_rate` of them (clamped to [0, 1]; NaN is 0,
    /// as Python's `min(1, max(0, rate))` makes it).
    pub fn new(sample_rate: f64) -> Self {
        let sample_rate = if sample_rate.is_nan() {
            0.0
        } else {
            sample_rate.clamp(0.0, 1.0)
        };
        SamplingRule {
            sample_rate,
            service: None,
            name: None,
            resource: None,
            tags: Vec::new(),
            provenance: Provenance::Default,
            discard: false,
        }
    }

    /// Only traces whose local root's service matches `pattern`.
    pub fn service(mut self, pattern: &str) -> Self {
        self.service = Some(GlobMatcher::new(pattern));
        self
    }

    /// Only traces whose local root's operation name matches `pattern`.
    pub fn name(mut self, pattern: &str) -> Self {
        self.name = Some(GlobMatcher::new(pattern));
        self
    }

    /// Only traces whose local root's resource matches `pattern`; an empty pattern sets no
    /// constraint, as in the Python tracer.
    pub fn resource(mut self, pattern: &str) -> Self {
        self.resource = (!pattern.is_empty()).then(|| GlobMatcher::new(pattern));
        self
    }

    /// Only traces whose local root has tag `key` matching `pattern` (all tags must match).
    pub fn tag(mut self, key: impl Into<String>, pattern: &str) -> Self {
        self.tags.push((key.into(), GlobMatcher::new(pattern)));
        self
    }

    /// Where the rule came from (default [`Provenance::Default`]).
    pub fn provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = provenance;
        self
    }

    /// Drop the chunks of traces this rule rejects instead of sending them with a reject
    /// priority.
    pub fn discard(mut self, discard: bool) -> Self {
        self.discard = discard;
        self
    }

    /// The rate, within [0, 1].
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// The service pattern, lower-cased.
    pub fn service_pattern(&self) -> Option<&str> {
        self.service.as_ref().map(GlobMatcher::pattern)
    }

    /// The name pattern, lower-cased.
    pub fn name_pattern(&self) -> Option<&str> {
        self.name.as_ref().map(GlobMatcher::pattern)
    }

    /// The resource pattern, lower-cased.
    pub fn resource_pattern(&self) -> Option<&str> {
        self.resource.as_ref().map(GlobMatcher::pattern)
    }

    /// The tag patterns (keys as given, patterns lower-cased), in order.
    pub fn tag_patterns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tags.iter().map(|(k, g)| (k.as_str(), g.pattern()))
    }

    /// The rule's provenance.
    pub fn rule_provenance(&self) -> Provenance {
        self.provenance
    }

    /// Whether rejected traces are dropped entirely.
    pub fn is_discard(&self) -> bool {
        self.discard
    }

    /// Whether `root` (a trace's local root) matches every pattern of the rule.
    pub fn matches(&self, root: &SpanData) -> bool {
        let field = |pattern: &Option<GlobMatcher>, value: &str| {
            pattern.as_ref().is_none_or(|p| p.matches(value))
        };
        field(&self.service, &root.service)
            && field(&self.name, &root.name)
            && field(&self.resource, &root.resource)
            && self.tags.iter().all(|(key, p)| tag_matches(root, key, p))
    }

    /// Whether the rule keeps trace `trace_id`: always at rate 1, never at rate 0, else by the
    /// Knuth hash of the id's low 64 bits.
    pub fn sample(&self, trace_id: TraceId) -> bool {
        if self.sample_rate == 1.0 {
            true
        } else if self.sample_rate == 0.0 {
            false
        } else {
            keeps(trace_id.low(), self.sample_rate)
        }
    }
}

/// A string tag is globbed as is. A numeric tag is globbed as an integer when it is integral
/// (`3.0` as `"3"`, `-0.0` as `"0"`); a non-integral number only matches a pattern made of
/// wildcards alone, so `23.*` never matches a float, and is then globbed as Python's
/// `str(float)` (`1e-07`, so `?????` matches it). A missing tag never matches. A float
/// `http.status_code` is a string tag (`"200.0"`), so `200` does not match it, as in Python.
fn tag_matches(span: &SpanData, key: &str, pattern: &GlobMatcher) -> bool {
    if let Some(value) = span.meta(key) {
        return pattern.matches(value);
    }
    let Some(number) = span.metric(key) else {
        return false;
    };
    if number.is_finite() && number.fract() == 0.0 {
        // `{:.0}` prints an integral f64 exactly, as Python's `str(int(v))`; adding 0.0 turns
        // -0.0 into 0.0, which `int()` prints as `0`.
        pattern.matches(&format!("{:.0}", number + 0.0))
    } else if pattern.is_wildcards_only() {
        pattern.matches(&crate::tag::python_float_repr(number))
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> SpanData {
        SpanData {
            service: "web".into(),
            name: "http.request".into(),
            resource: "GET /".into(),
            ..Default::default()
        }
    }

    #[test]
    fn numeric_tags() {
        let mut span = root();
        span.set_metric("retries".into(), 3.0);
        span.set_metric("ratio".into(), 1.5);
        assert!(SamplingRule::new(0.0).tag("retries", "3").matches(&span));
        assert!(SamplingRule::new(0.0).tag("retries", "3*").matches(&span));
        assert!(SamplingRule::new(0.0).tag("ratio", "*").matches(&span));
        assert!(SamplingRule::new(0.0).tag("ratio", "???").matches(&span));
        assert!(!SamplingRule::new(0.0).tag("ratio", "1*").matches(&span));
        assert!(!SamplingRule::new(0.0).tag("absent", "*").matches(&span));
    }

    /// Checked against `SamplingRule(0.5, tags={key: pattern}).matches(span)` of ddtrace
    /// 4.16.0, after `span.set_tag(key, value)`.
    #[test]
    fn float_tags_match_as_in_python() {
        let mut span = root();
        span.set_metric("zero".into(), -0.0);
        span.set_metric("tiny".into(), 1e-7);
        span.set_metric("huge".into(), 1e20);
        assert!(SamplingRule::new(0.0).tag("zero", "0").matches(&span));
        assert!(!SamplingRule::new(0.0).tag("zero", "-0").matches(&span));
        assert!(SamplingRule::new(0.0).tag("tiny", "?????").matches(&span));
        assert!(SamplingRule::new(0.0).tag("huge", "1*").matches(&span));
        assert!(
            SamplingRule::new(0.0)
                .tag("huge", "100000000000000000000")
                .matches(&span)
        );
    }

    #[test]
    fn empty_resource_is_no_constraint() {
        assert!(SamplingRule::new(1.0).resource("").matches(&root()));
        assert!(!SamplingRule::new(1.0).service("").matches(&root()));
    }

    #[test]
    fn rates_are_clamped_and_shortcut() {
        assert_eq!(SamplingRule::new(5.0).sample_rate(), 1.0);
        assert_eq!(SamplingRule::new(-1.0).sample_rate(), 0.0);
        assert_eq!(SamplingRule::new(f64::NAN).sample_rate(), 0.0);
        // Trace id 2^64 hashes to 0, which the rate sampler keeps even at rate 0.
        assert!(!SamplingRule::new(0.0).sample(TraceId(1 << 64)));
    }
}
