//! [`PropagationStyle`] and [`ExtractBehavior`]: what `DD_TRACE_PROPAGATION_STYLE*` and
//! `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT` select.

use std::fmt;
use std::str::FromStr;

/// A header format trace context travels in.
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
    /// and lowercased, `none` and empty names are dropped, unknown names are logged and ignored,
    /// and a style named twice is kept once.
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
        let mut styles = Vec::new();
        for name in names {
            let name = name.as_ref().trim().to_ascii_lowercase();
            if name.is_empty() || name == "none" {
                continue;
            }
            match name.parse::<PropagationStyle>() {
                Ok(style) if !styles.contains(&style) => styles.push(style),
                Ok(_) => {}
                Err(e) => log::warn!("ddtrace: {e}; ignored"),
            }
        }
        styles
    }
}

impl fmt::Display for PropagationStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// `continue`, `restart` or `ignore`; anything else (logged) is `continue`.
    pub fn parse(value: &str) -> ExtractBehavior {
        match value.trim().to_ascii_lowercase().as_str() {
            "continue" => ExtractBehavior::Continue,
            "restart" => ExtractBehavior::Restart,
            "ignore" => ExtractBehavior::Ignore,
            other => {
                log::warn!(
                    "ddtrace: unknown DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT {other:?} \
                     (known: continue, restart, ignore); using continue"
                );
                ExtractBehavior::Continue
            }
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
