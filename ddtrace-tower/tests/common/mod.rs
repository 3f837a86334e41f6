//! Helpers shared by the integration tests: tracers with an in-memory exporter, servers on
//! 127.0.0.1, bodies that stream slowly, waiting for spans.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, SpanData, Tracer};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The configuration tests start from: no environment.
pub fn config() -> Config {
    Config::builder_without_env().service("shop").build()
}

/// A tracer that keeps finished spans in memory.
pub fn tracer(config: Config) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(config)
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

/// Waits until a span named `name` has been exported (spans finish after the client has read
/// the response, so a test cannot just look once).
pub async fn span_named(exporter: &InMemoryExporter, name: &str) -> SpanData {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(span) = exporter.spans().into_iter().find(|s| s.name == name) {
            return span;
        }
        assert!(
            Instant::now() < deadline,
            "no span named {name} after 10 s; spans: {:#?}",
            exporter.spans()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Serves `app` on a free port of 127.0.0.1.
pub async fn serve_axum(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A response read to its end.
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// Sends a GET with `headers` over HTTP/1.1 and reads the whole response.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = http::Request::get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A body that yields `count` chunks (`None`: forever), one every `every`, like a server-sent
/// events stream.
pub struct Ticker {
    interval: tokio::time::Interval,
    left: Option<usize>,
}

impl Ticker {
    pub fn new(every: Duration, count: Option<usize>) -> Self {
        Ticker {
            interval: tokio::time::interval_at(tokio::time::Instant::now() + every, every),
            left: count,
        }
    }
}

impl Body for Ticker {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == Some(0) {
            return Poll::Ready(None);
        }
        match self.interval.poll_tick(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                if let Some(n) = &mut self.left {
                    *n -= 1;
                }
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"data: tick\n\n")))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.left == Some(0)
    }
}
