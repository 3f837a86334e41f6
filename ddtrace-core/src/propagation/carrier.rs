//! [`Injector`] and [`Extractor`]: the two small traits every carrier implements, so HTTP
//! headers, gRPC metadata, message headers and plain maps all go through the same code.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use crate::RateLimitedLog;

/// Where a propagator writes outgoing headers.
///
/// Names are always given in lowercase. Implement it for your carrier (gRPC metadata, message
/// headers, ...) when it is not one of those implemented here.
///
/// ```
/// use ddtrace_core::propagation::Injector;
///
/// struct Pairs(Vec<(String, String)>);
///
/// impl Injector for Pairs {
///     fn set(&mut self, name: &str, value: String) {
///         self.0.retain(|(k, _)| k != name);
///         self.0.push((name.to_owned(), value));
///     }
/// }
/// ```
pub trait Injector {
    /// Sets header `name` (lowercase) to `value`, replacing any previous value.
    fn set(&mut self, name: &str, value: String);
}

/// Where a propagator reads incoming headers from.
///
/// Names are looked up in lowercase; implementations should match them case-insensitively,
/// since senders and frameworks differ in how they spell header names. For a header that
/// repeats, give its first value.
///
/// ```
/// use ddtrace_core::propagation::{Extractor, Propagator};
///
/// /// A message's headers, as a queue client might hand them over.
/// struct MessageHeaders(Vec<(String, Vec<u8>)>);
///
/// impl Extractor for MessageHeaders {
///     fn get(&self, name: &str) -> Option<&str> {
///         let (_, value) = self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
///         std::str::from_utf8(value).ok()
///     }
///     fn keys(&self) -> Vec<&str> {
///         self.0.iter().map(|(k, _)| k.as_str()).collect()
///     }
/// }
///
/// let message = MessageHeaders(vec![
///     ("x-datadog-trace-id".into(), b"42".to_vec()),
///     ("x-datadog-parent-id".into(), b"7".to_vec()),
/// ]);
/// let ctx = Propagator::default().extract(&message).expect("a context");
/// assert_eq!((ctx.trace_id.0, ctx.span_id.0), (42, 7));
/// ```
pub trait Extractor {
    /// The value of header `name` (given in lowercase), if present.
    fn get(&self, name: &str) -> Option<&str>;

    /// The names of all headers present. Used only for prefixed headers (`ot-baggage-*`) and
    /// to tell an empty carrier from one without tracing headers.
    fn keys(&self) -> Vec<&str>;

    /// Whether the carrier holds no header at all.
    fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// Whether a header missing under its own name is also looked up under its WSGI/CGI
    /// environment form (`x-datadog-origin` as `http_x_datadog_origin`), as the Python tracer
    /// does for dictionaries. Default: yes. Carriers that hold real HTTP headers say no and
    /// spare every request that second lookup.
    fn wsgi_fallback(&self) -> bool {
        true
    }
}

impl<T: Extractor + ?Sized> Extractor for &T {
    fn get(&self, name: &str) -> Option<&str> {
        (**self).get(name)
    }

    fn keys(&self) -> Vec<&str> {
        (**self).keys()
    }

    fn is_empty(&self) -> bool {
        (**self).is_empty()
    }

    fn wsgi_fallback(&self) -> bool {
        (**self).wsgi_fallback()
    }
}

impl<T: Injector + ?Sized> Injector for &mut T {
    fn set(&mut self, name: &str, value: String) {
        (**self).set(name, value)
    }
}

impl<S: std::hash::BuildHasher> Extractor for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        // Exact match first (the common, cheap case); then any spelling of the name.
        if let Some(v) = HashMap::get(self, name) {
            return Some(v.as_str());
        }
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }

    fn is_empty(&self) -> bool {
        HashMap::is_empty(self)
    }
}

impl<S: std::hash::BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, name: &str, value: String) {
        self.insert(name.to_owned(), value);
    }
}

impl Extractor for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        // `HeaderMap` lookups are case-insensitive already. Values are read as UTF-8 rather than
        // with `to_str` (visible ASCII only), so a header holding UTF-8 is not silently lost.
        let value = match static_name(name) {
            // A prepared name skips parsing and validating `name` again for every request; a
            // miss tries the WSGI form (`http_x_datadog_trace_id`), a valid HTTP header name
            // too, which the Python tracer accepts from any carrier: a `HeaderMap` and a
            // `HashMap` with the same headers must give the same context.
            Some(i) => http::HeaderMap::get(self, &names()[i])
                .or_else(|| http::HeaderMap::get(self, &wsgi_names()[i])),
            None => http::HeaderMap::get(self, name),
        }?;
        std::str::from_utf8(value.as_bytes()).ok()
    }

    /// `get` already tried the WSGI form of every name the propagators read, without building
    /// a string for it.
    fn wsgi_fallback(&self) -> bool {
        false
    }

    fn keys(&self) -> Vec<&str> {
        http::HeaderMap::keys(self)
            .map(http::HeaderName::as_str)
            .collect()
    }

    fn is_empty(&self) -> bool {
        http::HeaderMap::is_empty(self)
    }
}

static BAD_HEADER: RateLimitedLog = RateLimitedLog::new(Duration::from_secs(60));

/// Every header name the propagators write (and read, besides `ot-baggage-*`), lower case.
pub const HEADER_NAMES: [&str; 13] = [
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "baggage",
];

/// The names propagators write, as `HeaderName`s built once: cloning one of these copies a
/// pointer, where `from_static` checks every character again on every outgoing request.
fn names() -> &'static [http::HeaderName; HEADER_NAMES.len()] {
    static NAMES: LazyLock<[http::HeaderName; HEADER_NAMES.len()]> =
        LazyLock::new(|| HEADER_NAMES.map(http::HeaderName::from_static));
    &NAMES
}

/// [`HEADER_NAMES`] in their WSGI/CGI environment form (`http_x_datadog_trace_id`), built
/// once for the same reason.
fn wsgi_names() -> &'static [http::HeaderName; HEADER_NAMES.len()] {
    static NAMES: LazyLock<[http::HeaderName; HEADER_NAMES.len()]> = LazyLock::new(|| {
        HEADER_NAMES.map(|name| {
            let wsgi = format!("http_{}", name.replace('-', "_"));
            http::HeaderName::from_bytes(wsgi.as_bytes()).expect("a valid header name")
        })
    });
    &NAMES
}

/// The position of `name` in [`HEADER_NAMES`].
fn static_name(name: &str) -> Option<usize> {
    HEADER_NAMES.iter().position(|n| *n == name)
}

impl Injector for http::HeaderMap {
    fn set(&mut self, name: &str, value: String) {
        let name = static_name(name)
            .map(|i| names()[i].clone())
            .map_or_else(|| http::HeaderName::from_bytes(name.as_bytes()), Ok);
        let value = http::HeaderValue::try_from(value);
        match (name, value) {
            (Ok(name), Ok(value)) => {
                self.insert(name, value);
            }
            // Values are built from validated parts, so this only happens with a hand-made
            // context holding control characters; never panic over it.
            (name, _) => {
                if let Some(suppressed) = BAD_HEADER.check() {
                    log::warn!(
                        "ddtrace: could not set propagation header {name:?}: invalid header \
                         name or value ({suppressed} similar messages suppressed)"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_map_lookups_ignore_case() {
        let mut m = HashMap::new();
        m.insert("X-Datadog-Trace-Id".to_owned(), "1".to_owned());
        assert_eq!(Extractor::get(&m, "x-datadog-trace-id"), Some("1"));
        assert_eq!(Extractor::get(&m, "x-datadog-parent-id"), None);
    }

    #[test]
    fn header_map_round_trip() {
        let mut h = http::HeaderMap::new();
        Injector::set(&mut h, "x-datadog-trace-id", "7".to_owned());
        assert_eq!(Extractor::get(&h, "X-DATADOG-TRACE-ID"), Some("7"));
        // Control characters cannot go into a header: dropped, no panic.
        Injector::set(&mut h, "x-datadog-origin", "a\nb".to_owned());
        assert_eq!(Extractor::get(&h, "x-datadog-origin"), None);
        assert_eq!(Extractor::keys(&h), vec!["x-datadog-trace-id"]);
    }

    #[test]
    fn header_map_reads_wsgi_names_as_python_does() {
        let mut h = http::HeaderMap::new();
        h.insert("http_x_datadog_origin", "rum".parse().unwrap());
        assert_eq!(Extractor::get(&h, "x-datadog-origin"), Some("rum"));
        h.insert("x-datadog-origin", "synthetics".parse().unwrap());
        assert_eq!(Extractor::get(&h, "x-datadog-origin"), Some("synthetics"));
    }
}
