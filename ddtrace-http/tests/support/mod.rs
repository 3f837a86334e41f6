//! A local HTTP server that records what it receives, and tracers that keep spans in memory.
#![allow(dead_code)] // each test binary uses its own part

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::span_data::SpanData;
use ddtrace_core::{Config, Tracer};
use ddtrace_http::DdTraceMiddleware;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, reqwest};

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone, Default)]
struct ServerState {
    seen: Arc<Mutex<Vec<Seen>>>,
    hits: Arc<AtomicUsize>,
}

/// A server on 127.0.0.1 that answers every path:
/// - `?status=N`: answers with status N;
/// - `/slow`: answers after 2 s;
/// - `/flaky?fail=N`: answers 503 to the first N requests it gets, then 200;
/// - `/redirect`: redirects to `/target`.
pub struct TestServer {
    pub addr: SocketAddr,
    state: ServerState,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let state = ServerState::default();
        let app = Router::new().fallback(handler).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("test server");
        });
        TestServer { addr, state }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn handler(
    State(state): State<ServerState>,
    uri: Uri,
    headers: HeaderMap,
) -> (StatusCode, HeaderMap) {
    let mut response_headers = HeaderMap::new();
    if uri.path() == "/redirect" {
        response_headers.insert(axum::http::header::LOCATION, "/target".parse().unwrap());
    }
    let status = respond(state, uri, headers).await;
    (status, response_headers)
}

async fn respond(state: ServerState, uri: Uri, headers: HeaderMap) -> StatusCode {
    let hit = state.hits.fetch_add(1, Ordering::SeqCst);
    state.seen.lock().unwrap().push(Seen {
        path: uri.path().to_owned(),
        headers,
    });
    let query: HashMap<&str, &str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if uri.path() == "/slow" {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    if uri.path() == "/redirect" {
        return StatusCode::FOUND;
    }
    if uri.path() == "/flaky" {
        let fail: usize = query.get("fail").and_then(|f| f.parse().ok()).unwrap_or(0);
        return if hit < fail {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
    }
    query
        .get("status")
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK)
}

/// A tracer with `config`, keeping its spans in memory.
pub fn tracer_with(config: Config) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(config)
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

/// A tracer with the defaults (no environment), service `client-app`.
pub fn tracer() -> (Tracer, InMemoryExporter) {
    tracer_with(config())
}

/// The defaults, ignoring the environment, with service `client-app`.
pub fn config() -> Config {
    Config::builder_without_env()
        .service("client-app")
        .env("test")
        .build()
}

/// A configuration read from these variables only.
pub fn config_from(vars: &[(&str, &str)]) -> Config {
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert("DD_SERVICE".into(), "client-app".into());
    for (k, v) in vars {
        map.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| map.get(k).cloned())
}

/// A client with the middleware around plain reqwest.
pub fn client(middleware: DdTraceMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

/// The only span named `name`.
pub fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let mut found = spans.iter().filter(|s| s.name == name);
    let span = found
        .next()
        .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"));
    assert!(found.next().is_none(), "more than one span {name}");
    span
}

/// A loopback port nothing listens on.
pub fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
