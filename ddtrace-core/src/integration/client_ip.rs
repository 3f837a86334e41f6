//! [`ClientIp`]: `http.client_ip` on server spans (`DD_TRACE_CLIENT_IP_ENABLED`,
//! `DD_TRACE_CLIENT_IP_HEADER`).

use std::net::IpAddr;

use http::HeaderMap;

use crate::config::Config;
use crate::keys;
use crate::span::SpanRef;

/// The headers searched for the client's address, in the Python tracer's order (`IP_PATTERNS`
/// in `ddtrace/contrib/internal/trace_utils.py`).
pub const CLIENT_IP_HEADERS: [&str; 10] = [
    "x-forwarded-for",
    "x-real-ip",
    "true-client-ip",
    "x-client-ip",
    "x-forwarded",
    "forwarded-for",
    "x-cluster-client-ip",
    "fastly-client-ip",
    "cf-connecting-ip",
    "cf-connecting-ipv6",
];

/// Resolves the client's address of a server request as the Python tracer does
/// (`_get_request_header_client_ip`), when `DD_TRACE_CLIENT_IP_ENABLED` is on.
///
/// - With `DD_TRACE_CLIENT_IP_HEADER`, only that header is read; missing or not an IP address:
///   no tag.
/// - Otherwise the first present header of [`CLIENT_IP_HEADERS`] is read.
/// - In the header's comma-separated list, the first public address wins; else the first
///   private, non-loopback one; else the peer (socket) address if it is not loopback.
///
/// When more than one candidate header is present, their names are recorded in
/// `_dd.multiple-ip-headers`.
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::ClientIp;
///
/// let mut config = Config::builder_without_env().build();
/// config.client_ip_enabled = true;
/// let client_ip = ClientIp::from_config(&config);
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-for", "10.0.0.1, 8.8.8.8".parse().unwrap());
/// assert_eq!(client_ip.resolve(&headers, None), Some("8.8.8.8".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientIp {
    enabled: bool,
    header: Option<http::HeaderName>,
}

impl ClientIp {
    /// As `config.client_ip_enabled` and `config.client_ip_header` describe.
    pub fn from_config(config: &Config) -> Self {
        let header = config.client_ip_header.as_deref().and_then(|h| {
            http::HeaderName::from_bytes(h.trim().to_ascii_lowercase().as_bytes())
                .map_err(|_| log::debug!("DD_TRACE_CLIENT_IP_HEADER: {h:?} is not a header name"))
                .ok()
        });
        ClientIp {
            enabled: config.client_ip_enabled,
            header,
        }
    }

    /// Whether `http.client_ip` is collected.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The client's address, from `headers` and the peer's address, whether or not collection
    /// is enabled.
    pub fn resolve(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let value = match &self.header {
            Some(name) => {
                let v = headers.get(name)?.to_str().ok()?.trim();
                return v.parse().ok();
            }
            None => CLIENT_IP_HEADERS
                .iter()
                .find_map(|h| headers.get(*h).filter(|v| !v.is_empty()))
                .and_then(|v| v.to_str().ok()),
        };
        let mut private = None;
        for candidate in value.into_iter().flat_map(|v| v.split(',')) {
            let Some(ip) = parse_ip(candidate) else {
                continue;
            };
            if !is_private(ip) {
                return Some(ip);
            }
            if private.is_none() && !ip.is_loopback() {
                private = Some(ip);
            }
        }
        match peer {
            Some(p) if !p.is_loopback() => match private {
                Some(private) if is_private(p) => Some(private),
                _ => Some(p),
            },
            _ => private,
        }
    }

    /// Sets `http.client_ip` and `network.client.ip` on `span` when enabled and an address was
    /// found, and `_dd.multiple-ip-headers` when several candidate headers were present.
    pub fn record(&self, span: &SpanRef, headers: &HeaderMap, peer: Option<IpAddr>) {
        if !self.enabled {
            return;
        }
        if self.header.is_none() {
            let mut present = CLIENT_IP_HEADERS
                .iter()
                .filter(|h| headers.contains_key(**h));
            if let (Some(first), Some(second)) = (present.next(), present.next()) {
                let mut names = format!("{first},{second}");
                for more in present {
                    names.push(',');
                    names.push_str(more);
                }
                span.set_tag(keys::MULTIPLE_IP_HEADERS, names);
            }
        }
        if let Some(ip) = self.resolve(headers, peer) {
            let ip = ip.to_string();
            span.set_tag("http.client_ip", ip.clone());
            span.set_tag("network.client.ip", ip);
        }
    }
}

/// An address from a header item: trimmed, `for=` and quotes (RFC 7239 style) and a port
/// removed.
fn parse_ip(item: &str) -> Option<IpAddr> {
    let item = item.trim();
    let item = item
        .strip_prefix("for=")
        .or_else(|| item.strip_prefix("For="))
        .unwrap_or(item)
        .trim_matches('"');
    if let Ok(ip) = item.parse() {
        return Some(ip);
    }
    // `[v6]:port` or `v4:port`.
    if let Some(rest) = item.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = item.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// Python's `ipaddress` `is_private`: RFC 1918, loopback, link-local, and also the
/// documentation, benchmarking and reserved ranges.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_documentation()
                // Benchmarking (198.18.0.0/15) and reserved (240.0.0.0/4, broadcast included).
                || (v4.octets()[0] == 198 && v4.octets()[1] & 0xfe == 18)
                || v4.octets()[0] >= 240
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn first_public_address_wins() {
        let c = ClientIp::default();
        let h = headers(&[("x-forwarded-for", "127.0.0.1, 10.0.0.2, 1.2.3.4, 5.6.7.8")]);
        assert_eq!(c.resolve(&h, None), ip("1.2.3.4"));
    }

    #[test]
    fn private_address_when_no_public_one() {
        let c = ClientIp::default();
        let h = headers(&[("x-real-ip", "192.168.1.1")]);
        assert_eq!(c.resolve(&h, ip("10.1.1.1")), ip("192.168.1.1"));
        assert_eq!(c.resolve(&h, ip("8.8.4.4")), ip("8.8.4.4"));
        assert_eq!(c.resolve(&HeaderMap::new(), ip("10.1.1.1")), ip("10.1.1.1"));
        assert_eq!(c.resolve(&HeaderMap::new(), ip("127.0.0.1")), None);
    }

    #[test]
    fn header_order_and_garbage() {
        let c = ClientIp::default();
        let h = headers(&[
            ("x-client-ip", "9.9.9.9"),
            ("x-forwarded-for", "nope, 8.8.8.8:443"),
        ]);
        assert_eq!(c.resolve(&h, None), ip("8.8.8.8"));
        let h = headers(&[("forwarded-for", "for=\"[2001:4860::1]:80\"")]);
        assert_eq!(c.resolve(&h, None), ip("2001:4860::1"));
    }

    #[test]
    fn configured_header_only() {
        let mut config = Config::builder_without_env().build();
        config.client_ip_enabled = true;
        config.client_ip_header = Some("X-My-IP".into());
        let c = ClientIp::from_config(&config);
        let h = headers(&[("x-forwarded-for", "8.8.8.8"), ("x-my-ip", "10.0.0.1")]);
        assert_eq!(c.resolve(&h, None), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "8.8.8.8")]);
        assert_eq!(c.resolve(&h, None), None);
        let h = headers(&[("x-my-ip", "8.8.8.8, 1.1.1.1")]);
        assert_eq!(c.resolve(&h, None), None);
    }
}
