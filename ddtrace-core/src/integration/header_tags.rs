//! [`HeaderTags`]: `DD_TRACE_HEADER_TAGS`, request and response headers copied to span tags.

use http::HeaderMap;

use crate::config::Config;
use crate::span::SpanRef;
use crate::str::Str;

/// Whether headers are read from a request or from a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSide {
    /// `http.request.headers.<name>`.
    Request,
    /// `http.response.headers.<name>`.
    Response,
}

impl HeaderSide {
    fn as_str(self) -> &'static str {
        match self {
            HeaderSide::Request => "request",
            HeaderSide::Response => "response",
        }
    }
}

/// The tag a header gets when `DD_TRACE_HEADER_TAGS` names no tag for it, as the Python tracer
/// spells it (`_normalize_tag_name`): `http.<side>.headers.<name>`, the name lowercased, cut to
/// 200 characters, and every character other than a letter, digit, `_`, `-`, `:` or `/`
/// replaced with `_`.
///
/// ```
/// use ddtrace_core::integration::{HeaderSide, normalized_header_tag};
///
/// assert_eq!(
///     normalized_header_tag(HeaderSide::Request, "X-Request.Id"),
///     "http.request.headers.x-request_id"
/// );
/// ```
pub fn normalized_header_tag(side: HeaderSide, header: &str) -> String {
    let mut tag = format!("http.{}.headers.", side.as_str());
    tag.extend(header.chars().take(200).map(|c| {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':' | '/') {
            c
        } else {
            '_'
        }
    }));
    tag
}

#[derive(Debug, Clone)]
struct Entry {
    /// Lowercase header name.
    header: http::HeaderName,
    request_tag: Str,
    response_tag: Str,
}

/// The headers `DD_TRACE_HEADER_TAGS` asks for (`header[:tag],...`), with their tag names
/// computed once.
///
/// A header with a tag name is recorded under that name (on both sides); one without under
/// [`normalized_header_tag`]. A header that repeats is recorded once, its values joined with
/// `", "`; values that are not valid UTF-8 are recorded lossily.
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::HeaderTags;
///
/// let mut config = Config::builder_without_env().build();
/// config.header_tags = vec![("x-user".into(), "user.id".into()), ("accept".into(), "".into())];
/// let tags = HeaderTags::from_config(&config);
/// assert!(!tags.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct HeaderTags {
    entries: Vec<Entry>,
}

impl HeaderTags {
    /// The mapping of `config.header_tags`; entries that are not valid header names are
    /// skipped.
    pub fn from_config(config: &Config) -> Self {
        Self::new(
            config
                .header_tags
                .iter()
                .map(|(h, t)| (h.as_str(), t.as_str())),
        )
    }

    /// A mapping from `(header, tag)` pairs; an empty tag means the normalized name.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let entries = pairs
            .into_iter()
            .filter_map(|(header, tag)| {
                let header = header.trim();
                let name = http::HeaderName::from_bytes(header.to_ascii_lowercase().as_bytes())
                    .map_err(|_| {
                        log::debug!("DD_TRACE_HEADER_TAGS: {header:?} is not a header name");
                    })
                    .ok()?;
                let tag = tag.trim();
                let (request_tag, response_tag) = if tag.is_empty() {
                    (
                        Str::shared(normalized_header_tag(HeaderSide::Request, header)),
                        Str::shared(normalized_header_tag(HeaderSide::Response, header)),
                    )
                } else {
                    (Str::shared(tag), Str::shared(tag))
                };
                Some(Entry {
                    header: name,
                    request_tag,
                    response_tag,
                })
            })
            .collect();
        HeaderTags { entries }
    }

    /// Whether no header is to be recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Copies the configured headers of `headers` to `span`.
    pub fn record(&self, span: &SpanRef, side: HeaderSide, headers: &HeaderMap) {
        for entry in &self.entries {
            let mut values = headers.get_all(&entry.header).iter();
            let Some(first) = values.next() else { continue };
            let mut value = String::from_utf8_lossy(first.as_bytes()).into_owned();
            for more in values {
                value.push_str(", ");
                value.push_str(&String::from_utf8_lossy(more.as_bytes()));
            }
            let tag = match side {
                HeaderSide::Request => &entry.request_tag,
                HeaderSide::Response => &entry.response_tag,
            };
            span.set_tag(tag.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tracer;
    use crate::export::InMemoryExporter;

    #[test]
    fn normalization_matches_the_python_tracer() {
        assert_eq!(
            normalized_header_tag(HeaderSide::Response, "Content-Type"),
            "http.response.headers.content-type"
        );
        assert_eq!(
            normalized_header_tag(HeaderSide::Request, "x.a b:c/d"),
            "http.request.headers.x_a_b:c/d"
        );
        let long = "a".repeat(300);
        assert_eq!(
            normalized_header_tag(HeaderSide::Request, &long).len(),
            "http.request.headers.".len() + 200
        );
    }

    #[test]
    fn records_mapped_and_normalized_headers() {
        let tags = HeaderTags::new([("X-User", "user.id"), ("Accept", ""), ("bad header", "")]);
        assert_eq!(tags.entries.len(), 2);
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(Config::builder_without_env().build())
            .exporter(exporter.clone())
            .build();
        {
            let span = tracer.trace("web").start();
            let mut req = HeaderMap::new();
            req.insert("x-user", "42".parse().unwrap());
            req.append("accept", "text/html".parse().unwrap());
            req.append("accept", "application/json".parse().unwrap());
            tags.record(&span, HeaderSide::Request, &req);
            let mut resp = HeaderMap::new();
            resp.insert("accept", "x".parse().unwrap());
            tags.record(&span, HeaderSide::Response, &resp);
        }
        let s = &exporter.spans()[0];
        assert_eq!(s.meta("user.id"), Some("42"));
        assert_eq!(
            s.meta("http.request.headers.accept"),
            Some("text/html, application/json")
        );
        assert_eq!(s.meta("http.response.headers.accept"), Some("x"));
    }
}
