//! The ids Datadog joins logs to traces with, read from the active span.

use std::fmt::{self, Write};

use ddtrace_core::{SpanId, SpanRef, Str, TraceId, Tracer};

/// The correlation fields of a log line, as the Python tracer injects them: `dd.trace_id`,
/// `dd.span_id`, `dd.service`, `dd.env` and `dd.version`.
///
/// - `dd.trace_id`: the low 64 bits in decimal; with
///   `DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED=true`, a 128-bit id as 32 lowercase hex
///   digits (a 64-bit id stays decimal). `0` outside a span.
/// - `dd.span_id`: decimal, `0` outside a span.
/// - `dd.service`, `dd.env`, `dd.version`: the tracer's configuration (`DD_SERVICE`,
///   `DD_ENV`, `DD_VERSION`), empty when unset.
///
/// Its `Display` writes `dd.service=... dd.env=... dd.version=... dd.trace_id=...
/// dd.span_id=...`, for a `log` formatter or any other; the getters give each value.
///
/// ```
/// use ddtrace_core::{Config, Tracer};
/// use ddtrace_tracing::LogContext;
///
/// let tracer = Tracer::builder()
///     .config(Config::builder_without_env().service("shop").env("prod").build())
///     .build();
/// let span = tracer.trace("checkout").start();
/// let ids = LogContext::current_with(&tracer);
/// assert_eq!(ids.span_id(), span.span_id().0.to_string());
/// assert_eq!(ids.trace_id(), span.trace_id().low().to_string());
/// assert_eq!(ids.service(), "shop");
/// // In a `log` formatter: writeln!(buf, "{} [{}]", record.args(), ids)
/// assert!(ids.to_string().starts_with("dd.service=shop dd.env=prod dd.version= dd.trace_id="));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContext {
    trace_id: TraceId,
    span_id: SpanId,
    trace_id_128: bool,
    service: Str,
    env: Option<Str>,
    version: Option<Str>,
}

impl LogContext {
    /// The ids of the active span (or zeros), with the global tracer's service, env and
    /// version.
    pub fn current() -> Self {
        Self::current_with(ddtrace_core::tracer())
    }

    /// The ids of the active span (or zeros), with `tracer`'s service, env and version.
    pub fn current_with(tracer: &Tracer) -> Self {
        Self::of(&ddtrace_core::active_span(), tracer)
    }

    /// The ids of `span` (zeros for a span that does not record), with `tracer`'s service,
    /// env and version.
    pub fn of(span: &SpanRef, tracer: &Tracer) -> Self {
        let config = tracer.config();
        LogContext {
            trace_id: span.trace_id(),
            span_id: span.span_id(),
            trace_id_128: config.trace_id_128_bit_logging,
            service: config.service.clone(),
            env: config.env.clone(),
            version: config.version.clone(),
        }
    }

    /// `dd.trace_id` as it is logged.
    pub fn trace_id(&self) -> String {
        self.trace_id_display().to_string()
    }

    /// `dd.span_id` as it is logged (decimal).
    pub fn span_id(&self) -> String {
        self.span_id.0.to_string()
    }

    /// `dd.service`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// `dd.env` (empty when unset).
    pub fn env(&self) -> &str {
        self.env.as_deref().unwrap_or("")
    }

    /// `dd.version` (empty when unset).
    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or("")
    }

    fn trace_id_display(&self) -> TraceIdForLogs {
        TraceIdForLogs {
            id: self.trace_id,
            hex128: self.trace_id_128,
        }
    }

    /// Writes the fields as JSON members, each preceded by a comma:
    /// `,"dd.trace_id":"...","dd.span_id":"...",...` (values are strings, as the Python
    /// tracer's JSON logs carry them).
    pub fn write_json_members(&self, out: &mut impl Write) -> fmt::Result {
        write!(
            out,
            ",\"dd.trace_id\":\"{}\",\"dd.span_id\":\"{}\"",
            self.trace_id_display(),
            self.span_id.0
        )?;
        for (key, value) in [
            ("dd.service", self.service()),
            ("dd.env", self.env()),
            ("dd.version", self.version()),
        ] {
            write!(out, ",\"{key}\":")?;
            write_json_string(out, value)?;
        }
        Ok(())
    }
}

impl fmt::Display for LogContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dd.service={} dd.env={} dd.version={} dd.trace_id={} dd.span_id={}",
            self.service(),
            self.env(),
            self.version(),
            self.trace_id_display(),
            self.span_id.0
        )
    }
}

struct TraceIdForLogs {
    id: TraceId,
    hex128: bool,
}

impl fmt::Display for TraceIdForLogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hex128 && self.id.high() != 0 {
            write!(f, "{:032x}", self.id.0)
        } else {
            write!(f, "{}", self.id.low())
        }
    }
}

fn write_json_string(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(trace_id: u128, hex128: bool) -> LogContext {
        LogContext {
            trace_id: TraceId(trace_id),
            span_id: SpanId(42),
            trace_id_128: hex128,
            service: Str::from_static("shop \"eu\""),
            env: Some(Str::from_static("prod")),
            version: None,
        }
    }

    #[test]
    fn trace_ids_are_decimal_low_bits_unless_128_bit_logging_is_on() {
        let id = (0x6b06_785a_u128 << 96) | 0x1234;
        assert_eq!(context(id, false).trace_id(), "4660");
        assert_eq!(
            context(id, true).trace_id(),
            "6b06785a000000000000000000001234"
        );
        // A 64-bit id stays decimal.
        assert_eq!(context(0x1234, true).trace_id(), "4660");
        assert_eq!(context(0, true).trace_id(), "0");
    }

    #[test]
    fn json_members_are_escaped_strings() {
        let mut out = String::new();
        context(7, false).write_json_members(&mut out).unwrap();
        assert_eq!(
            out,
            r#","dd.trace_id":"7","dd.span_id":"42","dd.service":"shop \"eu\"","dd.env":"prod","dd.version":"""#
        );
        let parsed: serde_json::Value = serde_json::from_str(&format!("{{\"a\":1{out}}}")).unwrap();
        assert_eq!(parsed["dd.service"], "shop \"eu\"");
    }

    #[test]
    fn display_follows_the_python_tracer_order() {
        assert_eq!(
            context(7, false).to_string(),
            "dd.service=shop \"eu\" dd.env=prod dd.version= dd.trace_id=7 dd.span_id=42"
        );
    }
}
