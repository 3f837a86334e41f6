//! What the span records about the request's target, read from its URL once per request.

use std::fmt::Write;

use ddtrace_core::integration::QueryObfuscator;
use reqwest_middleware::reqwest::Url;

/// The parts of a request URL the client span is tagged with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target<'u> {
    /// `out.host`: the host without port, and without brackets for an IPv6 address (as
    /// Python's `urlparse(...).hostname`).
    pub(crate) host: Option<&'u str>,
    /// The port written in the URL, if it is not the scheme's default.
    pub(crate) explicit_port: Option<u16>,
    /// `network.destination.port`: the port the connection goes to.
    pub(crate) port: Option<u16>,
    /// The path, for the resource (`GET /users/1`).
    pub(crate) path: &'u str,
    /// `http.url`: scheme, host, port and path, then the obfuscated query. No user name or
    /// password (the Python tracer's `_sanitized_url`) and no fragment (never sent).
    pub(crate) url: String,
}

impl<'u> Target<'u> {
    pub(crate) fn new(url: &'u Url, obfuscator: &QueryObfuscator) -> Self {
        let host_str = url.host_str();
        let host = host_str.map(|h| {
            h.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(h)
        });
        let explicit_port = url.port();
        let path = url.path();

        let mut base = String::with_capacity(url.as_str().len());
        base.push_str(url.scheme());
        base.push_str("://");
        if let Some(h) = host_str {
            base.push_str(h);
        }
        if let Some(p) = explicit_port {
            // Writing to a String cannot fail.
            let _ = write!(base, ":{p}");
        }
        base.push_str(path);
        Target {
            host,
            explicit_port,
            port: url.port_or_known_default(),
            path,
            url: obfuscator.url(&base, url.query()),
        }
    }

    /// The service name under split-by-domain: `host` or `host:port` when the URL names a
    /// port, as the Python tracer's `requests` integration builds it.
    pub(crate) fn domain(&self) -> Option<String> {
        let host = self.host?;
        Some(match self.explicit_port {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> (Target<'static>, Option<String>) {
        let url: &'static Url = Box::leak(Box::new(Url::parse(url).expect("test URL")));
        let t = Target::new(url, &QueryObfuscator::default());
        let d = t.domain();
        (t, d)
    }

    #[test]
    fn plain_url() {
        let (t, domain) = target("http://Example.COM/a/b?page=2#frag");
        assert_eq!(t.host, Some("example.com"));
        assert_eq!(t.port, Some(80));
        assert_eq!(t.explicit_port, None);
        assert_eq!(t.path, "/a/b");
        assert_eq!(t.url, "http://example.com/a/b?page=2");
        assert_eq!(domain.as_deref(), Some("example.com"));
    }

    #[test]
    fn credentials_are_dropped_and_secrets_in_the_query_redacted() {
        let (t, _) = target("https://user:pw@api.example.com:8443/v1?api_key=abc&x=1");
        assert_eq!(t.url, "https://api.example.com:8443/v1?<redacted>&x=1");
        assert_eq!(t.port, Some(8443));
        assert_eq!(t.explicit_port, Some(8443));
    }

    #[test]
    fn ipv6_hosts() {
        let (t, domain) = target("http://[::1]:8080/x");
        assert_eq!(t.host, Some("::1"));
        assert_eq!(t.url, "http://[::1]:8080/x");
        assert_eq!(domain.as_deref(), Some("::1:8080"));
    }
}
