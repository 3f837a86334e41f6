//! `https://` agent URLs end to end: the writer sends through an in-test TLS-terminating proxy
//! (a certificate made with rcgen, its CA trusted through `SSL_CERT_FILE`) to Datadog's test
//! agent; and a certificate signed by an untrusted CA fails cleanly, counted and logged.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ddtrace_core::export::{ExportError, Exporter};
use ddtrace_core::{ApiVersion, Config};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{Session, Traced, capture_logs, logs_mentioning, test_agent_url, traced};

const WAIT: Duration = Duration::from_secs(15);

/// A CA and a `localhost` server certificate it signed.
struct Pki {
    ca_pem: String,
    server: rustls::ServerConfig,
}

fn pki(ca_name: &str) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA");

    let key = KeyPair::generate().expect("server key");
    let params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    #[allow(deprecated)] // the ring provider, as the writer uses
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key)
        .expect("server config");
    Pki {
        ca_pem: ca.pem(),
        server,
    }
}

/// A TLS endpoint on a loopback port that forwards each decrypted connection to `upstream`
/// (`host:port`), or, without one, completes handshakes and closes.
struct TlsProxy {
    port: u16,
    /// Handshakes that succeeded.
    handshakes: Arc<AtomicUsize>,
}

impl TlsProxy {
    fn start(server: rustls::ServerConfig, upstream: Option<String>) -> TlsProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let count = handshakes.clone();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, upstream, count) =
                        (acceptor.clone(), upstream.clone(), count.clone());
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        count.fetch_add(1, Ordering::SeqCst);
                        if let Some(upstream) = upstream
                            && let Ok(mut agent) = tokio::net::TcpStream::connect(upstream).await
                        {
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut agent).await;
                        }
                    });
                }
            });
        });
        TlsProxy { port, handshakes }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }
}

/// Writes `pem` to a file of its own and points `SSL_CERT_FILE` at it, before any writer
/// starts (the writer reads it at its first `https://` connection).
fn trust(pem: &str, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "ddtrace-{name}-{}-{}.pem",
        std::process::id(),
        support::unique_token("ca")
    ));
    std::fs::write(&path, pem).expect("write the CA bundle");
    // SAFETY: nextest runs each test in a process of its own, and this runs before the test
    // starts any thread that reads the environment. Under `cargo test` the other test of this
    // file uses a CA that is in no bundle, so it fails the same way whatever this holds.
    unsafe { std::env::set_var("SSL_CERT_FILE", &path) };
    path
}

/// `host:port` of the test agent, for the proxy to connect to.
fn test_agent_authority() -> String {
    let url = test_agent_url();
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

#[test]
fn traces_reach_the_test_agent_through_an_https_proxy() {
    let pki = pki("ddtrace test CA");
    let bundle = trust(&pki.ca_pem, "trusted");
    let proxy = TlsProxy::start(pki.server, Some(test_agent_authority()));
    let session = Session::start("https-agent");
    let config = session
        .config()
        .agent_url(proxy.url())
        .service("rust-writer-https")
        .env("test")
        .api_version(ApiVersion::V05)
        .build();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert!(config.agent_url.is_tls());
    let t = traced(config);
    {
        let root = t.tracer.trace("https.request").resource("GET /tls").start();
        let _child = t.tracer.trace("https.child").start();
        root.set_tag("transport", "tls");
    }
    t.writer.flush(WAIT).expect("flush over https");
    let traces = session.wait_for_traces(1, WAIT);
    assert_eq!(traces.len(), 1, "traces received: {traces:?}");
    let names: Vec<&str> = traces[0]
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"https.request"), "{names:?}");
    assert!(names.contains(&"https.child"), "{names:?}");
    session.assert_no_check_failures();
    let stats = t.writer.stats();
    assert_eq!((stats.traces_sent, stats.errors), (1, 0), "{stats:?}");
    assert!(proxy.handshakes.load(Ordering::SeqCst) >= 1);
    let _ = std::fs::remove_file(bundle);
}

#[test]
fn an_untrusted_certificate_fails_cleanly() {
    capture_logs();
    // Signed by a CA that no bundle holds: neither the platform's roots nor SSL_CERT_FILE.
    let pki = pki("ddtrace untrusted CA");
    let proxy = TlsProxy::start(pki.server, None);
    let url = proxy.url();
    let config = Config::builder_without_env()
        .service("rust-writer-https-untrusted")
        .agent_url(&url)
        .agent_timeout(Duration::from_millis(500))
        .build();
    let t = traced(config);
    let r = flush_one_trace(&t);
    assert!(
        matches!(r, Err(ExportError::Dropped { dropped_traces: 1, ref reason }) if reason == "send failed"),
        "{r:?}"
    );
    let s = t.writer.stats();
    assert_eq!(s.traces_dropped.send_failed, 1, "{s:?}");
    assert_eq!(s.traces_sent, 0);
    assert!(s.errors >= 1, "{s:?}");
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), 0);
    let lines: Vec<String> = logs_mentioning(&url)
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("TLS handshake")),
        "{lines:#?}"
    );

    // The agent check says the same, without a panic.
    let config = Config::builder_without_env()
        .agent_url(&url)
        .agent_timeout(Duration::from_millis(500))
        .build();
    let err = ddtrace_writer::check_agent(&config).expect_err("untrusted certificate");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
}

#[test]
fn an_endpoint_that_never_completes_the_handshake_times_out() {
    capture_logs();
    // Accepts connections and never answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let config = Config::builder_without_env()
        .service("rust-writer-https-silent")
        .agent_url(&url)
        .agent_timeout(Duration::from_millis(300))
        .build();
    let t = traced(config);
    let r = flush_one_trace(&t);
    assert!(matches!(r, Err(ExportError::Dropped { .. })), "{r:?}");
    let s = t.writer.stats();
    assert_eq!(s.traces_dropped.send_failed, 1, "{s:?}");
    let lines: Vec<String> = logs_mentioning(&url)
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert!(lines.iter().any(|l| l.contains("timeout")), "{lines:#?}");
}

/// Finishes one trace and flushes it; the flush returns well before its own deadline, whatever
/// the endpoint does.
fn flush_one_trace(t: &Traced) -> Result<(), ExportError> {
    drop(t.tracer.trace("never.sent").start());
    let started = Instant::now();
    let r = t.writer.flush(Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "flush stalled for {:?}",
        started.elapsed()
    );
    r
}
