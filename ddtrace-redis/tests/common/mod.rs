//! Helpers shared by the integration tests: the Redis under test, tracers that keep their
//! spans, unique keys, and a throw-away Redis server for the dead-server cases.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{Config, Tracer};
use ddtrace_redis::{RedisConfig, TracedClient};

/// `TEST_REDIS_URL` (scripts/test.sh exports it), else the local default.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A client for the Redis under test; panics loudly when it does not answer, since a test
/// that cannot reach Redis must fail, not pass without checking anything.
pub fn plain_client() -> redis::Client {
    let url = redis_url();
    let client = redis::Client::open(url.as_str())
        .unwrap_or_else(|e| panic!("TEST_REDIS_URL={url:?} is not a Redis URL: {e}"));
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap_or_else(|e| {
            panic!(
                "Redis at {url} cannot be reached ({e}). Start it (scripts/test.sh does) or set \
             TEST_REDIS_URL; these tests do not skip."
            )
        });
    let pong: String = redis::cmd("PING")
        .query(&mut con)
        .unwrap_or_else(|e| panic!("Redis at {url} does not answer PING: {e}"));
    assert_eq!(pong, "PONG");
    client
}

/// A tracer that keeps every span, with a fixed service and no `DD_*` from the environment.
pub fn tracer() -> (Tracer, InMemoryExporter) {
    tracer_with(Config::builder_without_env().service("test-app").build())
}

/// A tracer with `config`, keeping its spans.
pub fn tracer_with(config: Config) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(config)
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

/// A traced client for the Redis under test, with the default integration settings (the
/// environment's `DD_REDIS_*` ignored).
pub fn traced_client(tracer: &Tracer) -> TracedClient {
    TracedClient::with_tracer(plain_client(), tracer.clone()).with_config(RedisConfig::default())
}

/// A key no other test (or test process) uses.
pub fn key(name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "ddtrace-redis-test:{name}:{}:{nanos}:{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The spans named `redis.command`, in the order they started.
pub fn redis_spans(exporter: &InMemoryExporter) -> Vec<SpanData> {
    let mut spans: Vec<_> = exporter
        .spans()
        .into_iter()
        .filter(|s| s.name == "redis.command")
        .collect();
    spans.sort_by_key(|s| s.start);
    spans
}

/// The one span named `name`.
pub fn span_named(exporter: &InMemoryExporter, name: &str) -> SpanData {
    let mut spans: Vec<_> = exporter
        .spans()
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(spans.len(), 1, "spans named {name}: {spans:#?}");
    spans.remove(0)
}

/// Checks the tags every redis span carries.
pub fn assert_redis_span(s: &SpanData, resource: &str, raw: &str) {
    assert_eq!(s.name, "redis.command");
    assert_eq!(s.span_type, "redis");
    assert_eq!(s.service, "redis");
    assert_eq!(s.resource, resource, "{s:#?}");
    assert_eq!(s.meta("redis.raw_command"), Some(raw), "{s:#?}");
    assert_eq!(s.meta("span.kind"), Some("client"));
    assert_eq!(s.meta("component"), Some("redis"));
    assert_eq!(s.meta("db.system"), Some("redis"));
    assert_eq!(s.meta("_dd.svc_src"), Some("redis"));
    assert_eq!(s.metric("_dd.measured"), Some(1.0));
    let url = redis_url();
    let info = redis::IntoConnectionInfo::into_connection_info(url.as_str()).unwrap();
    if let redis::ConnectionAddr::Tcp(host, port) = info.addr() {
        assert_eq!(s.meta("out.host"), Some(host.as_str()));
        assert_eq!(s.meta("server.address"), Some(host.as_str()));
        assert_eq!(s.metric("network.destination.port"), Some(f64::from(*port)));
    }
    assert_eq!(
        s.metric("out.redis_db"),
        Some(info.redis_settings().db() as f64)
    );
}

/// A Redis server of our own on a free port, to kill: the dead-server cases.
pub struct OwnRedis {
    pub port: u16,
    child: Child,
}

impl OwnRedis {
    /// Starts `redis-server` on a free loopback port and waits until it answers; panics if the
    /// binary is missing or the server does not come up.
    pub fn start() -> OwnRedis {
        Self::start_with(&[])
    }

    /// As [`start`](Self::start), with more `redis-server` arguments (`{port}` is replaced by
    /// the server's port).
    pub fn start_with(extra: &[&str]) -> OwnRedis {
        let port = closed_port();
        let extra: Vec<String> = extra
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .args(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server (is it installed?): {e}"));
        let server = OwnRedis { port, child };
        let client = redis::Client::open(server.url()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ok = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok();
            if ok {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    // Bound then released: nothing else listens there for the next moments.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}
