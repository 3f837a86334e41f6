//! TLS for `https://` agent URLs: rustls with the ring provider, over tokio.
//!
//! Trusted roots, loaded once per client at its first `https://` connection (on the writer's
//! thread, never on an application thread):
//!
//! - the platform's roots, as `rustls-native-certs` finds them (the system store on macOS and
//!   Windows; elsewhere the CA file and directories OpenSSL would use);
//! - plus the PEM bundle named by `SSL_CERT_FILE` and the directories named by `SSL_CERT_DIR`
//!   (`:`-separated), when set.
//!
//! `rustls-native-certs` alone reads *only* the variables' locations when either is set,
//! dropping the platform's roots. Here the variables add to them, as with an OpenSSL client
//! (the Python tracer's) given `SSL_CERT_FILE` alone: a private CA for the agent's proxy then
//! does not cost the public roots. On Unix other than macOS the platform's directories are
//! added back explicitly; on macOS and Windows, `rustls-native-certs` does not expose the
//! system store separately, so there the variables replace it.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::TransportError;

/// A TLS client configuration with its trust roots loaded.
pub(super) struct Connector {
    inner: Result<TlsConnector, String>,
}

impl Connector {
    /// Loads the roots and builds the configuration. Problems reading a bundle are logged once
    /// here; the roots that could be read are used.
    pub(super) fn new() -> Self {
        Connector {
            inner: client_config().map(|c| TlsConnector::from(Arc::new(c))),
        }
    }

    /// The TLS handshake over `stream`, checking that the certificate names `host`.
    pub(super) async fn connect(
        &self,
        host: &str,
        stream: TcpStream,
    ) -> Result<TlsStream<TcpStream>, TransportError> {
        let tls_error = |source| TransportError::Tls {
            host: host.to_owned(),
            source,
        };
        let connector = self
            .inner
            .as_ref()
            .map_err(|e| tls_error(std::io::Error::other(e.clone())))?;
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| tls_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        connector.connect(name, stream).await.map_err(tls_error)
    }
}

fn client_config() -> Result<rustls::ClientConfig, String> {
    // An explicit provider: the process-wide default may be unset, or another crate's. ring
    // lacks post-quantum key exchange (hence the deprecation) but builds with a plain C
    // compiler, where aws-lc-rs may need cmake; the agent is usually on the same network.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform's roots plus `SSL_CERT_FILE` and `SSL_CERT_DIR` (see the module's doc).
fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let mut problems = Vec::new();
    // The platform's store, or the variables' locations when either is set.
    let mut add = |result: rustls_native_certs::CertificateResult| {
        problems.extend(result.errors.iter().map(|e| e.to_string()));
        // Certificates rustls cannot use (unsupported algorithms) are skipped, as browsers do.
        let _ = roots.add_parsable_certificates(result.certs);
    };
    add(rustls_native_certs::load_native_certs());
    let from_env = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|p| !p.is_empty()));
    #[cfg(all(unix, not(target_os = "macos")))]
    if from_env {
        for dir in openssl_probe::candidate_cert_dirs() {
            add(rustls_native_certs::load_certs_from_paths(None, Some(dir)));
        }
    }
    for problem in &problems {
        ddtrace_core::diag_warn!("ddtrace: reading trusted certificates for https: {problem}");
    }
    if roots.is_empty() {
        ddtrace_core::diag_warn!(
            "ddtrace: no trusted certificate found (platform store{}); https:// agents will be \
             refused",
            if from_env {
                ", SSL_CERT_FILE, SSL_CERT_DIR"
            } else {
                ""
            }
        );
    }
    roots
}
