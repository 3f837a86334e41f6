//! One HTTP/1.1 exchange with the agent, over TCP, TLS (`https://`, see `transport/tls.rs`)
//! or a Unix domain socket.
//!
//! hyper's connection-level client is used directly: the writer talks to one host, so the
//! pooling client adds nothing, and owning the socket lets the same code serve `unix://`.

mod tls;

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// The agent URL is parsed by the configuration; these are re-exported where they were.
pub use ddtrace_core::config::{AgentAddress, AgentUrl, UrlError};

/// Answers above this size are cut off: the agent's JSON is a few kB at most.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The host name did not resolve.
    #[error("cannot resolve host {host:?} (DNS): {source}")]
    Dns {
        /// The host.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// Nothing listens at the address.
    #[error("connection refused")]
    Refused,
    /// The Unix socket does not exist.
    #[error("socket {0:?} does not exist")]
    NoSocket(PathBuf),
    /// No complete answer within the agent timeout (`DD_TRACE_AGENT_TIMEOUT_SECONDS`).
    #[error("no answer within {0:?} (timeout)")]
    Timeout(Duration),
    /// Another I/O error while connecting.
    #[error("{0}")]
    Io(io::Error),
    /// The HTTP exchange failed (connection closed early, malformed answer).
    #[error("HTTP error: {0}")]
    Http(String),
    /// The TLS handshake with an `https://` agent failed, for example because its certificate
    /// is not signed by a trusted root.
    #[error(
        "TLS handshake with {host:?} failed: {source} (trusted: the platform's roots, plus \
         SSL_CERT_FILE and SSL_CERT_DIR when set)"
    )]
    Tls {
        /// The host name the certificate must match.
        host: String,
        /// rustls' error.
        source: io::Error,
    },
}

impl TransportError {
    /// A short name of the cause, for counters and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::Dns { .. } => "dns",
            TransportError::Refused => "refused",
            TransportError::NoSocket(_) => "no socket",
            TransportError::Timeout(_) => "timeout",
            TransportError::Io(_) => "io",
            TransportError::Http(_) => "http",
            TransportError::Tls { .. } => "tls",
        }
    }
}

fn connect_error(e: io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TransportError::Refused,
        _ => TransportError::Io(e),
    }
}

/// An agent's answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    /// The status arrived but the body could not be read (too large, cut short). The
    /// request itself went through, so it must not be retried.
    pub(crate) body_error: Option<String>,
}

/// Sends requests to one agent. Lives on the writer's runtime.
pub(crate) struct Client {
    url: AgentUrl,
    timeout: Duration,
    /// Kept between requests when `DD_TRACE_WRITER_REUSE_CONNECTIONS` is on.
    reuse: bool,
    conn: Option<SendRequest<Full<Bytes>>>,
    /// Built at the first `https://` connection, on the writer's thread: loading the trust
    /// roots reads files.
    tls: Option<tls::Connector>,
}

impl Client {
    pub(crate) fn new(url: AgentUrl, timeout: Duration, reuse: bool) -> Self {
        Client {
            url,
            timeout,
            reuse,
            conn: None,
            tls: None,
        }
    }

    pub(crate) fn url(&self) -> &AgentUrl {
        &self.url
    }

    /// One request, bounded by the agent timeout (and by `deadline_left` if shorter).
    pub(crate) async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
        deadline_left: Option<Duration>,
    ) -> Result<Response, TransportError> {
        let limit = deadline_left.map_or(self.timeout, |d| d.min(self.timeout));
        match tokio::time::timeout(limit, self.exchange(method, path, headers, body)).await {
            Ok(result) => result,
            Err(_) => {
                self.conn = None;
                Err(TransportError::Timeout(limit))
            }
        }
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, TransportError> {
        let mut sender = match self.conn.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.url.base_path, path))
            .body(Full::new(body))
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let h = req.headers_mut();
        h.extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Ok(host) = HeaderValue::from_str(&self.url.host_header()) {
            h.insert(HOST, host);
        }
        sender
            .ready()
            .await
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let status = resp.status();
        let (body, body_error) = match Limited::new(resp.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
        {
            Ok(collected) => (collected.to_bytes(), None),
            // The connection is in an unknown state: never reuse it.
            Err(e) => {
                return Ok(Response {
                    status,
                    body: Bytes::new(),
                    body_error: Some(e.to_string()),
                });
            }
        };
        if self.reuse {
            self.conn = Some(sender);
        }
        Ok(Response {
            status,
            body,
            body_error,
        })
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        match &self.url.address {
            AgentAddress::Tcp { host, port, tls } => {
                let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .map_err(|source| TransportError::Dns {
                        host: host.clone(),
                        source,
                    })?
                    .collect();
                let mut last = TransportError::Dns {
                    host: host.clone(),
                    source: io::Error::new(io::ErrorKind::NotFound, "no address"),
                };
                for addr in addrs {
                    match tokio::net::TcpStream::connect(addr).await {
                        Ok(stream) => {
                            // Payloads go out in one write; waiting for ACKs only adds latency.
                            let _ = stream.set_nodelay(true);
                            if !*tls {
                                return handshake(stream).await;
                            }
                            let connector = self.tls.get_or_insert_with(tls::Connector::new);
                            let stream = connector.connect(host, stream).await?;
                            return handshake(stream).await;
                        }
                        Err(e) => last = connect_error(e),
                    }
                }
                Err(last)
            }
            AgentAddress::Unix { path } => {
                #[cfg(unix)]
                {
                    match tokio::net::UnixStream::connect(path).await {
                        Ok(stream) => handshake(stream).await,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            Err(TransportError::NoSocket(path.clone()))
                        }
                        Err(e) => Err(connect_error(e)),
                    }
                }
                #[cfg(not(unix))]
                {
                    Err(TransportError::NoSocket(path.clone()))
                }
            }
        }
    }
}

async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, TransportError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| TransportError::Http(e.to_string()))?;
    // The connection task ends when the sender is dropped or the agent closes the socket.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
