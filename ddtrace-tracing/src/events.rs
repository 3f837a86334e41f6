//! `tracing` events inside a span: span events, and the span's error for `ERROR` events.

use ddtrace_core::{SpanRef, Str};
use tracing_core::{Event, Level};

use crate::fields::{Value, Visitor};

/// Records `event` on `span`.
///
/// - The event becomes a span event named after its message (`exception` for an event with an
///   `error` field and no message, else the event's callsite name), with its fields as string
///   attributes plus `level` and `target`. The `error` field becomes `exception.message`, and
///   the sources of an error recorded as `&dyn Error` become `exception.stacktrace`, as the
///   Python tracer's `record_exception` names them.
/// - An `ERROR` event also marks the span as failed: `error` = 1, `error.message` = the `error`
///   field (else the message), `error.stack` = its sources, `error.type` = an `error.type`
///   field if the event has one.
pub(crate) fn record(span: &SpanRef, event: &Event<'_>) {
    let meta = event.metadata();
    let mut message: Option<String> = None;
    let mut error: Option<(String, Option<String>)> = None;
    let mut error_type: Option<String> = None;
    let mut attributes: Vec<(Str, Str)> = Vec::with_capacity(meta.fields().len() + 2);
    event.record(&mut Visitor {
        // `log.*` fields carry the metadata of records bridged from the `log` crate.
        wanted: |name| !name.starts_with("log."),
        sink: |name, value| match name {
            "message" => message = Some(value.into_text()),
            "error" => {
                let (text, chain) = match value {
                    Value::Error { message, chain } => (message, chain),
                    other => (other.into_text(), None),
                };
                attributes.push((
                    Str::from_static("exception.message"),
                    Str::from(text.clone()),
                ));
                if let Some(chain) = &chain {
                    attributes.push((
                        Str::from_static("exception.stacktrace"),
                        Str::from(chain.clone()),
                    ));
                }
                error = Some((text, chain));
            }
            "error.type" => {
                let text = value.into_text();
                attributes.push((Str::from_static("exception.type"), Str::from(text.clone())));
                error_type = Some(text);
            }
            _ => attributes.push((Str::from_static(name), Str::from(value.into_text()))),
        },
    });
    attributes.push((
        Str::from_static("level"),
        Str::from_static(meta.level().as_str()),
    ));
    attributes.push((Str::from_static("target"), Str::from_static(meta.target())));

    if *meta.level() == Level::ERROR {
        span.set_error_flag(true);
        let (error_message, stack) = match &error {
            Some((text, chain)) => (Some(text.clone()), chain.clone()),
            None => (message.clone(), None),
        };
        if let Some(m) = error_message {
            span.set_tag("error.message", m);
        }
        if let Some(stack) = stack {
            span.set_tag("error.stack", stack);
        }
        if let Some(t) = error_type {
            span.set_tag("error.type", t);
        }
    }

    let name = match (message, &error) {
        (Some(m), _) => Str::from(m),
        (None, Some(_)) => Str::from_static("exception"),
        (None, None) => Str::from_static(meta.name()),
    };
    span.add_event(name, attributes);
}
