//! `tracing` fields as Datadog tags, and the well-known field names that set a span's own
//! fields instead.

use std::fmt;

use ddtrace_core::{IntoTagValue, SpanRef, Str, TagValue, Tracer};
use tracing_core::field::{Field, Visit};

/// A field value, converted once whatever the visitor does with it.
pub(crate) enum Value {
    /// Text: `&str`, `%display` and `?debug` values.
    Text(String),
    /// A number or a boolean, typed as [`SpanRef::set_tag`] types it.
    Typed(TagValue),
    /// A boolean, kept as such for the `error` field.
    Bool(bool),
    /// A `&dyn Error`: its message and the chain of its sources.
    Error {
        message: String,
        chain: Option<String>,
    },
}

impl Value {
    /// The value as text (numbers as their decimal form, booleans as the Python tracer writes
    /// them).
    pub(crate) fn into_text(self) -> String {
        match self {
            Value::Text(s) => s,
            Value::Typed(TagValue::Str(s)) => s.to_string(),
            Value::Typed(TagValue::Number(n)) => format_number(n),
            Value::Bool(b) => if b { "True" } else { "False" }.to_owned(),
            Value::Error { message, .. } => message,
        }
    }

    fn into_tag(self) -> Option<TagValue> {
        match self {
            Value::Text(s) => Some(TagValue::Str(s.into())),
            Value::Typed(v) => Some(v),
            Value::Bool(b) => b.into_tag_value(),
            Value::Error { message, .. } => Some(TagValue::Str(message.into())),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        (n as i64).to_string()
    } else {
        n.to_string()
    }
}

/// "Caused by:" followed by the error's sources, one per line, as
/// [`SpanRef::set_error`] writes `error.stack`; `None` for an error without sources.
pub(crate) fn source_chain(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = error.source();
    let mut out = String::new();
    while let Some(cause) = source {
        if out.is_empty() {
            out.push_str("Caused by:\n");
        }
        out.push_str("    ");
        out.push_str(&cause.to_string());
        out.push('\n');
        source = cause.source();
    }
    (!out.is_empty()).then_some(out)
}

/// Adapts [`Visit`] to a closure receiving each field's name and converted value.
pub(crate) struct Visitor<F: FnMut(&'static str, Value)> {
    /// Which fields are worth converting (the others are skipped before any formatting).
    pub(crate) wanted: fn(&str) -> bool,
    pub(crate) sink: F,
}

impl<F: FnMut(&'static str, Value)> Visitor<F> {
    fn put(&mut self, field: &Field, value: impl FnOnce() -> Value) {
        let name = field.name();
        if (self.wanted)(name) {
            (self.sink)(name, value());
        }
    }
}

impl<F: FnMut(&'static str, Value)> Visit for Visitor<F> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // NaN and infinities are dropped, as `set_tag` drops them.
        if let Some(v) = value.into_tag_value() {
            self.put(field, || Value::Typed(v));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, || Value::Typed(TagValue::Number(value as f64)));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if let Some(v) = value.into_tag_value() {
            self.put(field, || Value::Typed(v));
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        if let Some(v) = value.into_tag_value() {
            self.put(field, || Value::Typed(v));
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if let Some(v) = value.into_tag_value() {
            self.put(field, || Value::Typed(v));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, || Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, || Value::Text(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, || Value::Error {
            message: value.to_string(),
            chain: source_chain(value),
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, || Value::Text(format!("{value:?}")));
    }
}

/// The field names that set the span's operation name, service, resource or type: read before
/// the span starts, as the builder takes them.
pub(crate) fn is_builder_field(name: &str) -> bool {
    matches!(
        name,
        "operation.name"
            | "service"
            | "service.name"
            | "resource"
            | "resource.name"
            | "otel.name"
            | "span.type"
    )
}

/// Every field except the builder fields.
pub(crate) fn is_tag_field(name: &str) -> bool {
    !is_builder_field(name)
}

/// Every field.
pub(crate) fn any_field(_: &str) -> bool {
    true
}

/// What the builder fields asked for.
#[derive(Default)]
pub(crate) struct BuilderFields {
    pub(crate) name: Option<Str>,
    pub(crate) service: Option<Str>,
    pub(crate) resource: Option<Str>,
    pub(crate) span_type: Option<Str>,
}

impl BuilderFields {
    pub(crate) fn set(&mut self, name: &'static str, value: Value) {
        let text = Str::from(value.into_text());
        match name {
            "operation.name" => self.name = Some(text),
            "service" | "service.name" => self.service = Some(text),
            "resource" | "resource.name" | "otel.name" => self.resource = Some(text),
            "span.type" => self.span_type = Some(text),
            _ => {}
        }
    }
}

/// The span kind, from `otel.kind` or `span.kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    #[default]
    Unknown,
    Server,
    Client,
    Other,
}

/// What the bridge remembers about a span's fields until it finishes: the HTTP fields from
/// which it derives the resource, the type and the error flag, unless they were given.
#[derive(Default)]
pub(crate) struct FieldState {
    pub(crate) resource_set: bool,
    pub(crate) span_type_set: bool,
    pub(crate) error_set: bool,
    /// Boxed: most spans have none, and the state is moved with every span.
    http: Option<Box<Http>>,
}

#[derive(Default)]
struct Http {
    kind: Kind,
    status: Option<u16>,
    method: Option<Str>,
    route: Option<Str>,
}

impl FieldState {
    pub(crate) fn from_builder(fields: &BuilderFields) -> Self {
        FieldState {
            resource_set: fields.resource.is_some(),
            span_type_set: fields.span_type.is_some(),
            ..FieldState::default()
        }
    }

    fn http(&mut self) -> &mut Http {
        self.http.get_or_insert_default()
    }

    /// Applies one field to a started span.
    pub(crate) fn apply(&mut self, span: &SpanRef, name: &'static str, value: Value) {
        match name {
            "operation.name" => span.set_name(value.into_text()),
            "service" | "service.name" => span.set_service(value.into_text()),
            "resource" | "resource.name" | "otel.name" => {
                self.resource_set = true;
                span.set_resource(value.into_text());
            }
            "span.type" => {
                self.span_type_set = true;
                span.set_span_type(value.into_text());
            }
            "otel.kind" | "span.kind" => {
                let kind = value.into_text().to_ascii_lowercase();
                self.http().kind = match kind.as_str() {
                    "server" => Kind::Server,
                    "client" => Kind::Client,
                    _ => Kind::Other,
                };
                span.set_tag("span.kind", kind);
            }
            "otel.status_code" => {
                let code = value.into_text();
                if code.eq_ignore_ascii_case("error") {
                    self.error_set = true;
                    span.set_error_flag(true);
                } else if code.eq_ignore_ascii_case("ok") {
                    self.error_set = true;
                    span.set_error_flag(false);
                }
            }
            "otel.status_description" | "otel.status_message" => {
                span.set_tag("error.message", value.into_text());
            }
            "error" => self.apply_error(span, value),
            "http.status_code" | "http.response.status_code" => {
                let text = value.into_text();
                self.http().status = text.trim().parse::<u16>().ok();
                // Always a string, as `set_tag("http.status_code", ..)` stores it.
                span.set_tag("http.status_code", text);
            }
            "http.method" | "http.request.method" => {
                let method = Str::from(value.into_text());
                self.http().method = Some(method.clone());
                span.set_tag("http.method", method);
            }
            "http.route" => {
                let route = Str::from(value.into_text());
                self.http().route = Some(route.clone());
                span.set_tag("http.route", route);
            }
            "url.full" => span.set_tag("http.url", value.into_text()),
            _ => {
                if let Some(tag) = value.into_tag() {
                    span.set_tag(name, tag);
                }
            }
        }
    }

    fn apply_error(&mut self, span: &SpanRef, value: Value) {
        self.error_set = true;
        match value {
            Value::Bool(b) => span.set_error_flag(b),
            Value::Typed(TagValue::Number(n)) => span.set_error_flag(n != 0.0),
            Value::Typed(TagValue::Str(s)) => {
                span.set_error_flag(true);
                span.set_tag("error.message", s);
            }
            Value::Text(message) => {
                span.set_error_flag(true);
                span.set_tag("error.message", message);
            }
            Value::Error { message, chain } => {
                span.set_error_flag(true);
                span.set_tag("error.message", message);
                if let Some(chain) = chain {
                    span.set_tag("error.stack", chain);
                }
            }
        }
    }

    /// Derives what the HTTP fields imply and was not given: the resource (`GET /route`), the
    /// span type (`web` for a server, `http` for a client) and the error flag (the status is
    /// in `DD_TRACE_HTTP_SERVER_ERROR_STATUSES` or `..._CLIENT_...`).
    pub(crate) fn finish(&self, span: &SpanRef, tracer: &Tracer) {
        let Some(http) = &self.http else { return };
        let Some(method) = &http.method else { return };
        if !self.resource_set {
            match &http.route {
                Some(route) => span.set_resource(format!("{method} {route}")),
                None => span.set_resource(method.clone()),
            }
        }
        if !self.span_type_set {
            match http.kind {
                Kind::Server => span.set_span_type("web"),
                Kind::Client => span.set_span_type("http"),
                _ => {}
            }
        }
        if !self.error_set
            && let Some(status) = http.status
        {
            let config = tracer.config();
            let error = match http.kind {
                Kind::Server => config.is_server_error_status(status),
                Kind::Client => config.is_client_error_status(status),
                _ => false,
            };
            if error {
                span.set_error_flag(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_text_have_no_trailing_fraction() {
        assert_eq!(Value::Typed(TagValue::Number(200.0)).into_text(), "200");
        assert_eq!(Value::Typed(TagValue::Number(1.5)).into_text(), "1.5");
        assert_eq!(Value::Bool(true).into_text(), "True");
    }

    #[test]
    fn builder_fields_are_the_span_fields() {
        assert!(is_builder_field("otel.name"));
        assert!(is_builder_field("span.type"));
        assert!(!is_builder_field("http.method"));
        assert!(is_tag_field("user.id"));
    }
}
