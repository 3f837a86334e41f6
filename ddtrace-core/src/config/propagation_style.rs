//! [`PropagationStyle`] and [`ExtractBehavior`]: what `DD_TRACE_PROPAGATION_STYLE*` and
//! `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT` select. They live with the configuration, which
//! parses them once; [`crate::propagation`] re-exports them beside the code that uses them.

use std::fmt;
use std::str::FromStr;

/// A header format trace context travels in.
///
/// Adding a variant: see the checklist in [`crate::propagation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropagationStyle {
    /// `x-datadog-trace-id`, `-parent-id`, `-sampling-priority`, `-origin`, `-tags`.
    Datadog,
    /// W3C `traceparent` and `tracestate`.
    TraceContext,
    /// Zipkin B3, one header per field (`x-b3-traceid`, ...).
    B3Multi,
    /// Zipkin B3, the single `b3` header.
    B3Single,
    /// W3C `baggage`.
    Baggage,
}

impl PropagationStyle {
    /// The name used in `DD_TRACE_PROPAGATION_STYLE` and in span links' `context_headers`.
    pub fn as_str(self) -> &'static str {
        match self {
            PropagationStyle::Datadog => "datadog",
            PropagationStyle::TraceContext => "tracecontext",
            PropagationStyle::B3Multi => "b3multi",
            PropagationStyle::B3Single => "b3",
            PropagationStyle::Baggage => "baggage",
        }
    }

    /// Parses a configured list of style names, as the Python tracer does: names are trimmed
    /// and lowercased, `none` and empty names are dropped, unknown names are ignored, and a
    /// style named twice is kept once. The configuration reports the unknown names once, as
    /// [`ConfigWarning`](super::ConfigWarning)s (see
    /// [`parse_list_checked`](Self::parse_list_checked)).
    ///
    /// ```
    /// use ddtrace_core::propagation::PropagationStyle;
    ///
    /// let styles = PropagationStyle::parse_list(["Datadog", " tracecontext", "none", "bogus"]);
    /// assert_eq!(styles, vec![PropagationStyle::Datadog, PropagationStyle::TraceContext]);
    /// ```
    pub fn parse_list<I, S>(names: I) -> Vec<PropagationStyle>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::parse_list_checked(names).0
    }

    /// As [`parse_list`](Self::parse_list), also returning the names that no style has.
    ///
    /// ```
    /// use ddtrace_core::propagation::{PropagationStyle, UnknownStyle};
    ///
    /// let (styles, unknown) = PropagationStyle::parse_list_checked(["b3", "jaeger"]);
    /// assert_eq!(styles, vec![PropagationStyle::B3Single]);
    /// assert_eq!(unknown, vec![UnknownStyle("jaeger".into())]);
    /// ```
    pub fn parse_list_checked<I, S>(names: I) -> (Vec<PropagationStyle>, Vec<UnknownStyle>)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut styles = Vec::new();
        let mut unknown = Vec::new();
        for name in names {
            let name = name.as_ref().trim().to_ascii_lowercase();
            if name.is_empty() || name == "none" {
                continue;
            }
            match name.parse::<PropagationStyle>() {
                Ok(style) if !styles.contains(&style) => styles.push(style),
                Ok(_) => {}
                Err(e) => unknown.push(e),
            }
        }
        (styles, unknown)
    }
}

impl fmt::Display for PropagationStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the style's name ([`PropagationStyle::as_str`]).
impl PartialEq<&str> for PropagationStyle {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A propagation style name that no style has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown propagation style {0:?} (known: datadog, tracecontext, b3multi, b3, baggage, none)"
)]
pub struct UnknownStyle(pub String);

impl FromStr for PropagationStyle {
    type Err = UnknownStyle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "datadog" => Ok(PropagationStyle::Datadog),
            "tracecontext" => Ok(PropagationStyle::TraceContext),
            "b3multi" => Ok(PropagationStyle::B3Multi),
            // The old name of the single-header style, still accepted by the other tracers.
            "b3" | "b3 single header" => Ok(PropagationStyle::B3Single),
            "baggage" => Ok(PropagationStyle::Baggage),
            other => Err(UnknownStyle(other.to_owned())),
        }
    }
}

/// What to do with an incoming trace context (`DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtractBehavior {
    /// Continue the upstream trace (the default).
    #[default]
    Continue,
    /// Start a new trace with a span link to the upstream context; keep the baggage.
    Restart,
    /// Extract nothing, baggage included.
    Ignore,
}

impl ExtractBehavior {
    /// `continue`, `restart` or `ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractBehavior::Continue => "continue",
            ExtractBehavior::Restart => "restart",
            ExtractBehavior::Ignore => "ignore",
        }
    }

    /// `continue`, `restart` or `ignore`, in any case; anything else is `continue` (the
    /// configuration reports such a value once, as a [`ConfigWarning`](super::ConfigWarning)).
    pub fn parse(value: &str) -> ExtractBehavior {
        value.parse().unwrap_or_default()
    }
}

impl fmt::Display for ExtractBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT` value other than `continue`, `restart`, `ignore`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown extract behaviour {0:?} (supported: continue, restart, ignore)")]
pub struct UnknownBehavior(pub String);

impl FromStr for ExtractBehavior {
    type Err = UnknownBehavior;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "continue" => Ok(ExtractBehavior::Continue),
            "restart" => Ok(ExtractBehavior::Restart),
            "ignore" => Ok(ExtractBehavior::Ignore),
            other => Err(UnknownBehavior(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_like_python() {
        assert_eq!(
            PropagationStyle::parse_list(["B3", "b3 single header", "b3multi", "baggage"]),
            vec![
                PropagationStyle::B3Single,
                PropagationStyle::B3Multi,
                PropagationStyle::Baggage
            ]
        );
        assert!(PropagationStyle::parse_list(["none"]).is_empty());
        assert!("jaeger".parse::<PropagationStyle>().is_err());
    }

    #[test]
    fn behaviours() {
        assert_eq!(ExtractBehavior::parse("RESTART"), ExtractBehavior::Restart);
        assert_eq!(ExtractBehavior::parse("ignore"), ExtractBehavior::Ignore);
        assert_eq!(ExtractBehavior::parse("bogus"), ExtractBehavior::Continue);
    }
}
