//! [`CorrelatedFormat`]: log lines of `tracing-subscriber`'s fmt layer that carry the Datadog
//! correlation ids.

use std::cell::RefCell;
use std::fmt;

use ddtrace_core::Tracer;
use ddtrace_core::integration::TracerSource;
use tracing_core::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::correlation::LogContext;
use crate::layer::{Parent, context_of, resolve};

/// Wraps a `tracing-subscriber` event formatter so that every line carries `dd.trace_id`,
/// `dd.span_id`, `dd.service`, `dd.env` and `dd.version` (see [`LogContext`]) when
/// `DD_LOGS_INJECTION` is on (the default).
///
/// - JSON lines (`fmt::format().json()`, or any formatter whose line is a JSON object) get the
///   five fields as top-level string members, the form Datadog's log pipeline reads.
/// - Text lines get ` [dd.service=... dd.env=... dd.version=... dd.trace_id=... dd.span_id=...]`
///   at their end, the fields in the Python tracer's order. The line is formatted into a
///   buffer first, so ANSI colours are only kept if the inner format asks for them itself
///   (`fmt::format().with_ansi(true)`).
///
/// The ids are those of the Datadog span the event belongs to: the span of its explicit
/// `parent:`, else the active span (a `#[traced]` function's span, or the innermost `tracing`
/// span the [`DatadogLayer`](crate::DatadogLayer) recorded). Outside spans they are `0`.
///
/// ```
/// use ddtrace_tracing::{CorrelatedFormat, DatadogLayer};
/// use tracing_subscriber::{fmt, prelude::*};
///
/// let subscriber = tracing_subscriber::registry()
///     .with(DatadogLayer::global())
///     .with(fmt::layer().json().event_format(CorrelatedFormat::new(fmt::format().json())));
/// # drop(subscriber);
/// // Text lines: fmt::layer().event_format(CorrelatedFormat::new(fmt::format()))
/// ```
#[derive(Debug, Clone)]
pub struct CorrelatedFormat<E> {
    inner: E,
    /// The global tracer is looked up at each event.
    tracer: TracerSource,
}

impl<E> CorrelatedFormat<E> {
    /// Wraps `inner`, with the global tracer's configuration (service, env, version,
    /// `DD_LOGS_INJECTION`, 128-bit logging).
    pub fn new(inner: E) -> Self {
        CorrelatedFormat {
            inner,
            tracer: TracerSource::Global,
        }
    }

    /// Wraps `inner`, with `tracer`'s configuration.
    pub fn with_tracer(inner: E, tracer: Tracer) -> Self {
        CorrelatedFormat {
            inner,
            tracer: TracerSource::Explicit(tracer),
        }
    }

    fn tracer(&self) -> &Tracer {
        self.tracer.tracer()
    }
}

thread_local! {
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S, N, E> FormatEvent<S, N> for CorrelatedFormat<E>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    E: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let tracer = self.tracer();
        if !tracer.config().logs_injection {
            return self.inner.format_event(ctx, writer, event);
        }
        let span = resolve(
            Parent::of(event.is_contextual(), event.parent()),
            |id| ctx.span(id).and_then(|s| context_of(&s)),
            || ctx.lookup_current().and_then(|s| context_of(&s)),
        )
        .unwrap_or_default();
        let ids = LogContext::of(&span, tracer);

        let mut format = |line: &mut String| -> fmt::Result {
            line.clear();
            self.inner.format_event(ctx, Writer::new(line), event)?;
            splice(line, &ids)?;
            writer.write_str(line)
        };
        // A Debug impl that logs while being formatted re-enters here: it gets its own buffer.
        LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut line) => format(&mut line),
            Err(_) => format(&mut String::new()),
        })
        .unwrap_or_else(|_| format(&mut String::new()))
    }
}

/// Adds the correlation fields to a formatted line: as members of a JSON object, else at the
/// end of the text (before its line break).
fn splice(line: &mut String, ids: &LogContext) -> fmt::Result {
    let body_len = line.trim_end_matches(['\n', '\r']).len();
    let ending = line.split_off(body_len);
    if line.starts_with('{') && line.ends_with('}') {
        line.pop();
        let empty_object = line.trim_end().len() == 1;
        let at = line.len();
        ids.write_json_members(line)?;
        if empty_object {
            line.remove(at); // the leading comma
        }
        line.push('}');
    } else {
        use fmt::Write;
        write!(line, " [{ids}]")?;
    }
    line.push_str(&ending);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::{Config, SpanRef};

    fn ids() -> LogContext {
        let tracer = Tracer::builder()
            .config(Config::builder_without_env().service("svc").build())
            .build();
        LogContext::of(&SpanRef::none(), &tracer)
    }

    #[test]
    fn json_objects_get_members() {
        let mut line = "{\"a\":1}\n".to_owned();
        splice(&mut line, &ids()).unwrap();
        assert_eq!(
            line,
            "{\"a\":1,\"dd.trace_id\":\"0\",\"dd.span_id\":\"0\",\"dd.service\":\"svc\",\"dd.env\":\"\",\"dd.version\":\"\"}\n"
        );
        let mut line = "{}\n".to_owned();
        splice(&mut line, &ids()).unwrap();
        assert!(line.starts_with("{\"dd.trace_id\""), "{line}");
        serde_json::from_str::<serde_json::Value>(&line).unwrap();
    }

    #[test]
    fn text_lines_end_with_the_fields() {
        let mut line = "INFO app: hello\n".to_owned();
        splice(&mut line, &ids()).unwrap();
        assert_eq!(
            line,
            "INFO app: hello [dd.service=svc dd.env= dd.version= dd.trace_id=0 dd.span_id=0]\n"
        );
    }
}
