//! [`AgentUrl`]: where the Datadog Agent listens, parsed once from `DD_TRACE_AGENT_URL` (or
//! `DD_AGENT_HOST`/`DD_TRACE_AGENT_PORT`) and used as is by the writer.

use std::fmt;
use std::path::PathBuf;

/// Where the socket of a local agent is looked for when no address is configured.
pub const DEFAULT_AGENT_SOCKET: &str = "/var/run/datadog/apm.socket";

/// The agent's port when an `http://` URL names none.
pub const DEFAULT_AGENT_PORT: u16 = 8126;

/// The port when an `https://` URL names none: the HTTPS port, as an HTTPS client expects
/// (a TLS-terminating proxy in front of the agent listens there).
pub const DEFAULT_HTTPS_PORT: u16 = 443;

/// Where the agent listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAddress {
    /// `http://host:port` or, with `tls`, `https://host:port`.
    Tcp {
        /// Host name or IP literal (without brackets).
        host: String,
        /// Port (8126 for `http://` and 443 for `https://` unless given).
        port: u16,
        /// Whether the connection is TLS (`https://`).
        tls: bool,
    },
    /// `unix:///path/to/socket`.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
}

/// A parsed agent URL: its address and an optional path prefix.
///
/// ```
/// use ddtrace_core::config::{AgentAddress, AgentUrl};
///
/// let url = AgentUrl::parse("https://agent.internal/prefix").unwrap();
/// let tcp = AgentAddress::Tcp { host: "agent.internal".into(), port: 443, tls: true };
/// assert_eq!(url.address, tcp);
/// assert_eq!(url.base_path, "/prefix");
/// assert_eq!(url, "https://agent.internal/prefix");
/// assert!(AgentUrl::parse("ftp://agent").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUrl {
    /// Where to connect.
    pub address: AgentAddress,
    /// A path prefix from the URL (usually empty), without a trailing `/`.
    pub base_path: String,
    /// The URL as configured, for messages.
    pub display: String,
}

/// Why an agent URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The scheme is none of `http`, `https`, `unix`.
    #[error("unsupported scheme {0:?} (use http://, https:// or unix://)")]
    UnsupportedScheme(String),
    /// No `scheme://`.
    #[error("not a URL (expected http://host:port, https://host:port or unix:///path)")]
    NotAUrl,
    /// The port is not a number in 1..=65535.
    #[error("invalid port {0:?}")]
    BadPort(String),
    /// Nothing after `http://`, `https://` or `unix://`.
    #[error("missing host or socket path")]
    Empty,
}

impl AgentUrl {
    /// Parses `http://host[:port][/prefix]`, `https://host[:port][/prefix]` or `unix:///path`.
    pub fn parse(url: &str) -> Result<AgentUrl, UrlError> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::NotAUrl)?;
        let display = url.to_owned();
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "unix" => {
                if rest.is_empty() {
                    return Err(UrlError::Empty);
                }
                return Ok(AgentUrl {
                    address: AgentAddress::Unix {
                        path: PathBuf::from(rest),
                    },
                    base_path: String::new(),
                    display,
                });
            }
            "http" => false,
            "https" => true,
            other => return Err(UrlError::UnsupportedScheme(other.to_owned())),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let default_port = if tls {
            DEFAULT_HTTPS_PORT
        } else {
            DEFAULT_AGENT_PORT
        };
        let (host, port) = split_host_port(authority, default_port)?;
        if host.is_empty() {
            return Err(UrlError::Empty);
        }
        Ok(AgentUrl {
            address: AgentAddress::Tcp { host, port, tls },
            base_path: path.to_owned(),
            display,
        })
    }

    /// `http://{host}:{port}`, with brackets around an IPv6 literal.
    pub fn from_host_port(host: &str, port: u16) -> AgentUrl {
        let display = if host.contains(':') && !host.starts_with('[') {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        };
        AgentUrl {
            address: AgentAddress::Tcp {
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port,
                tls: false,
            },
            base_path: String::new(),
            display,
        }
    }

    /// `unix://{path}`.
    pub fn from_socket(path: impl Into<PathBuf>) -> AgentUrl {
        let path = path.into();
        AgentUrl {
            display: format!("unix://{}", path.display()),
            address: AgentAddress::Unix { path },
            base_path: String::new(),
        }
    }

    /// The URL as configured.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// Whether the connection is TLS (`https://`).
    pub fn is_tls(&self) -> bool {
        matches!(self.address, AgentAddress::Tcp { tls: true, .. })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        match &self.address {
            AgentAddress::Tcp { host, port, .. } if host.contains(':') => {
                format!("[{host}]:{port}")
            }
            AgentAddress::Tcp { host, port, .. } => format!("{host}:{port}"),
            // The agent ignores the host on its socket; `localhost` is what other tracers send.
            AgentAddress::Unix { .. } => "localhost".to_owned(),
        }
    }
}

impl Default for AgentUrl {
    /// `http://localhost:8126`.
    fn default() -> Self {
        AgentUrl::from_host_port("localhost", DEFAULT_AGENT_PORT)
    }
}

impl fmt::Display for AgentUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl std::str::FromStr for AgentUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgentUrl::parse(s)
    }
}

/// Compares the URL as configured.
impl PartialEq<str> for AgentUrl {
    fn eq(&self, other: &str) -> bool {
        self.display == other
    }
}

/// Compares the URL as configured.
impl PartialEq<&str> for AgentUrl {
    fn eq(&self, other: &&str) -> bool {
        self.display == *other
    }
}

fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16), UrlError> {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // [v6]:port
        let (host, after) = rest.split_once(']').ok_or(UrlError::NotAUrl)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 => n,
            _ => return Err(UrlError::BadPort(p.to_owned())),
        },
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_agent_url_forms() {
        let u = AgentUrl::parse("http://localhost:8126").expect("url");
        assert_eq!(
            u.address,
            AgentAddress::Tcp {
                host: "localhost".into(),
                port: 8126,
                tls: false,
            }
        );
        let u = AgentUrl::parse("http://agent").expect("url");
        assert_eq!(u.host_header(), "agent:8126");
        let u = AgentUrl::parse("http://[::1]:9000/prefix/").expect("url");
        assert_eq!(u.host_header(), "[::1]:9000");
        assert_eq!(u.base_path, "/prefix");
        let u = AgentUrl::parse("unix:///var/run/datadog/apm.socket").expect("url");
        assert_eq!(
            u.address,
            AgentAddress::Unix {
                path: "/var/run/datadog/apm.socket".into()
            }
        );
        let u = AgentUrl::parse("HTTPS://x").expect("url");
        assert!(u.is_tls());
        assert_eq!(u.host_header(), "x:443");
        assert_eq!(
            AgentUrl::parse("ftp://x"),
            Err(UrlError::UnsupportedScheme("ftp".into()))
        );
        assert_eq!(
            AgentUrl::parse("http://x:http"),
            Err(UrlError::BadPort("http".into()))
        );
        assert_eq!(AgentUrl::parse("localhost:8126"), Err(UrlError::NotAUrl));
        assert_eq!(AgentUrl::parse("https://"), Err(UrlError::Empty));
    }

    #[test]
    fn built_urls_read_back_the_same() {
        for url in [
            AgentUrl::default(),
            AgentUrl::from_host_port("::1", 9000),
            AgentUrl::from_socket("/tmp/a.sock"),
        ] {
            assert_eq!(AgentUrl::parse(url.as_str()), Ok(url));
        }
    }
}
