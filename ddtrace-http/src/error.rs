//! Recording a failed request (no response at all) on its client span.

use std::error::Error as StdError;

use ddtrace_core::SpanRef;
use reqwest_middleware::{Error, reqwest};

/// Marks `span` as failed with `error`: `error.type`, `error.message` (the error and its
/// causes, `a: b: c`, so a refused connection or a timeout reads as such) and `error.stack`
/// (the causes, one a line).
///
/// reqwest writes the request URL into its messages; every URL found in the chain is replaced
/// by `http_url`, the obfuscated one the span reports, so secrets in query strings do not reach
/// the span through the error either.
pub(crate) fn record(span: &SpanRef, error: &Error, http_url: &str) {
    if !span.is_recording() {
        return;
    }
    let error_type = match error {
        Error::Reqwest(_) => "reqwest::Error",
        Error::Middleware(_) => "reqwest_middleware::Error",
    };
    let mut raw_urls: Vec<String> = Vec::new();
    let mut message = error.to_string();
    let mut stack = String::new();
    note_url(error, &mut raw_urls);
    let mut source = error.source();
    let mut last = message.clone();
    while let Some(cause) = source {
        note_url(cause, &mut raw_urls);
        let text = cause.to_string();
        // `#[error(transparent)]` wrappers repeat their inner error's text.
        if text != last && !last.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
            if stack.is_empty() {
                stack.push_str("Caused by:\n");
            }
            stack.push_str("    ");
            stack.push_str(&text);
            stack.push('\n');
        }
        last = text;
        source = cause.source();
    }
    for raw in &raw_urls {
        if raw != http_url {
            message = message.replace(raw.as_str(), http_url);
            stack = stack.replace(raw.as_str(), http_url);
        }
    }
    span.set_error_info(error_type, message, (!stack.is_empty()).then_some(stack));
}

/// Remembers the URL a reqwest error carries, if `error` is one.
fn note_url(error: &(dyn StdError + 'static), urls: &mut Vec<String>) {
    let url = if let Some(e) = error.downcast_ref::<reqwest::Error>() {
        e.url()
    } else if let Some(e) = error.downcast_ref::<Error>() {
        e.url()
    } else {
        None
    };
    if let Some(url) = url {
        let url = url.as_str();
        if !urls.iter().any(|u| u == url) {
            urls.push(url.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::export::InMemoryExporter;
    use ddtrace_core::{Config, Tracer};

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("circuit open")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn middleware_errors_carry_their_causes() {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(Config::builder_without_env().build())
            .exporter(exporter.clone())
            .build();
        {
            let span = tracer.trace("reqwest.request").start_detached();
            let error = Error::middleware(Outer(std::io::Error::other("too many failures")));
            record(&span, &error, "http://h/p");
        }
        let s = &exporter.spans()[0];
        assert_eq!(s.error, 1);
        assert_eq!(s.meta("error.type"), Some("reqwest_middleware::Error"));
        assert_eq!(
            s.meta("error.message"),
            Some("circuit open: too many failures")
        );
        assert_eq!(
            s.meta("error.stack"),
            Some("Caused by:\n    too many failures\n")
        );
    }
}
