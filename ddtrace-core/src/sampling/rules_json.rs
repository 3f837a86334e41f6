//! Reading `DD_TRACE_SAMPLING_RULES`: a JSON array of rule objects.
//!
//! Where the Python tracer logs and goes on, so do we: invalid JSON gives no rules, a rule
//! without `sample_rate` is skipped, and a `sample_rate` that is not a number ends the reading
//! (the rules before it are kept). Where it fails to build its tracer (a JSON object instead of
//! an array, an unknown key, a pattern that is not a string, an unknown provenance), we
//! deliberately diverge: the offending rule is skipped with an error, since a tracer must never
//! keep an application from starting.

use serde_json::{Map, Value};

use super::rules::{Provenance, SamplingRule};

/// Rules read from user input, with what could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRules<R> {
    /// The rules that can be used, in the order they apply.
    pub rules: Vec<R>,
    /// One message per problem, for the log.
    pub errors: Vec<String>,
}

// Not derived: a derive would require `R: Default`.
impl<R> Default for ParsedRules<R> {
    fn default() -> Self {
        ParsedRules {
            rules: Vec::new(),
            errors: Vec::new(),
        }
    }
}

const KEYS: [&str; 7] = [
    "sample_rate",
    "service",
    "name",
    "resource",
    "tags",
    "provenance",
    "discard",
];

/// Reads trace sampling rules from the JSON of `DD_TRACE_SAMPLING_RULES`, sorted by provenance
/// (`customer`, `dynamic`, `default`; listed order within each).
///
/// ```
/// use ddtrace_core::sampling::parse_sampling_rules;
///
/// let parsed = parse_sampling_rules(r#"[{"service": "web", "sample_rate": 0.5}, {"name": "x"}]"#);
/// assert_eq!(parsed.rules.len(), 1);
/// assert_eq!(parsed.errors.len(), 1); // the second rule has no sample_rate
/// ```
pub fn parse_sampling_rules(json: &str) -> ParsedRules<SamplingRule> {
    let mut out = ParsedRules::default();
    let list = match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(list)) => list,
        Ok(other) => {
            out.errors.push(format!(
                "DD_TRACE_SAMPLING_RULES must be a JSON array of rule objects, got {}; no trace \
                 sampling rule applies (the Python tracer fails to start here)",
                kind(&other)
            ));
            return out;
        }
        Err(e) => {
            out.errors.push(format!(
                "DD_TRACE_SAMPLING_RULES is not valid JSON ({e}); no trace sampling rule applies"
            ));
            return out;
        }
    };
    for (i, item) in list.iter().enumerate() {
        match parse_rule(item) {
            Ok(rule) => out.rules.push(rule),
            Err(RuleError::Skip(why)) => out.errors.push(format!(
                "DD_TRACE_SAMPLING_RULES rule #{i} {item} is ignored: {why}"
            )),
            Err(RuleError::Stop(why)) => {
                out.errors.push(format!(
                    "DD_TRACE_SAMPLING_RULES rule #{i} {item}: {why}; this rule and those after \
                     it are ignored, as in the Python tracer"
                ));
                break;
            }
        }
    }
    // A stable sort keeps the listed order within a provenance.
    out.rules.sort_by_key(|r| r.rule_provenance());
    out
}

enum RuleError {
    /// Skip this rule, read the next.
    Skip(String),
    /// Stop reading: the Python tracer's `ValueError` ends its loop.
    Stop(String),
}

fn parse_rule(item: &Value) -> Result<SamplingRule, RuleError> {
    let Value::Object(obj) = item else {
        return Err(RuleError::Skip(format!(
            "a rule must be a JSON object, not {}",
            kind(item)
        )));
    };
    let unknown: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(RuleError::Skip(format!(
            "unknown key(s) {unknown:?} (known: {KEYS:?}); the Python tracer fails to start here"
        )));
    }
    let rate = match obj.get("sample_rate") {
        None => return Err(RuleError::Skip("no sample_rate".to_owned())),
        Some(v) => sample_rate(v)?,
    };
    let mut rule = SamplingRule::new(rate);
    if let Some(p) = pattern(obj, "service")? {
        rule = rule.service(p);
    }
    if let Some(p) = pattern(obj, "name")? {
        rule = rule.name(p);
    }
    if let Some(p) = pattern(obj, "resource")? {
        rule = rule.resource(p);
    }
    match obj.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tags)) => {
            for (key, value) in tags {
                rule = rule.tag(key.clone(), &python_str(value));
            }
        }
        Some(other) => {
            return Err(RuleError::Skip(format!(
                "tags must be an object of tag patterns, not {}",
                kind(other)
            )));
        }
    }
    match obj.get("provenance") {
        None => {}
        Some(Value::String(s)) => match Provenance::parse(s) {
            Some(p) => rule = rule.provenance(p),
            None => {
                return Err(RuleError::Skip(format!(
                    "provenance must be customer, dynamic or default, not {s:?}"
                )));
            }
        },
        Some(other) => {
            return Err(RuleError::Skip(format!(
                "provenance must be a string, not {}",
                kind(other)
            )));
        }
    }
    match obj.get("discard") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => rule = rule.discard(*b),
        Some(other) => {
            return Err(RuleError::Skip(format!(
                "discard must be true or false, not {}",
                kind(other)
            )));
        }
    }
    Ok(rule)
}

/// What Python's `float()` accepts: numbers, booleans and numeric strings.
fn sample_rate(v: &Value) -> Result<f64, RuleError> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| RuleError::Skip(format!("sample_rate {n} is not a number"))),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| RuleError::Stop(format!("sample_rate {s:?} is not a number"))),
        other => Err(RuleError::Skip(format!(
            "sample_rate must be a number, not {}",
            kind(other)
        ))),
    }
}

fn pattern<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, RuleError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(RuleError::Skip(format!(
            "{key} must be a glob pattern string, not {}",
            kind(other)
        ))),
    }
}

/// A tag pattern as Python's `str()` writes the JSON value (`200` -> `200`, `2.0` -> `2.0`,
/// `true` -> `True`, `null` -> `None`).
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 => {
                format!("{f:.1}")
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_orders_rules() {
        let p = parse_sampling_rules(
            r#"[{"service":"a","sample_rate":0},{"service":"b","sample_rate":1,"provenance":"dynamic"},
                {"service":"c","sample_rate":1,"provenance":"customer"}]"#,
        );
        let order: Vec<_> = p.rules.iter().filter_map(|r| r.service_pattern()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        assert!(p.errors.is_empty());
    }

    #[test]
    fn bad_input_is_reported_not_fatal() {
        assert!(parse_sampling_rules("[{not json").rules.is_empty());
        let obj = parse_sampling_rules(r#"{"sample_rate": 0.0}"#);
        assert!(obj.rules.is_empty());
        assert_eq!(obj.errors.len(), 1);
        let unknown = parse_sampling_rules(
            r#"[{"sample_rate":0,"bogus":1},{"service":"web","sample_rate":1}]"#,
        );
        assert_eq!(unknown.rules.len(), 1);
        assert!(unknown.errors[0].contains("bogus"));
    }

    #[test]
    fn a_non_numeric_rate_ends_the_reading_as_in_python() {
        let p = parse_sampling_rules(
            r#"[{"sample_rate":"0.5"},{"sample_rate":"half"},{"sample_rate":1}]"#,
        );
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.rules[0].sample_rate(), 0.5);
    }

    #[test]
    fn tag_patterns_are_python_strings() {
        let p = parse_sampling_rules(r#"[{"sample_rate":1,"tags":{"a":200,"b":2.0,"c":true}}]"#);
        let tags: Vec<_> = p.rules[0].tag_patterns().collect();
        assert_eq!(tags, [("a", "200"), ("b", "2.0"), ("c", "true")]);
    }
}
