//! The middleware's cost per request.
//!
//! - `canned/*`: the chain ends in a middleware that answers at once, so the figures are the
//!   middleware's own work (span, tags, URL obfuscation, injection in the default styles,
//!   sampling, finishing and handing the trace to the exporter), with no network noise;
//! - `loopback/*`: real requests to an axum server on 127.0.0.1, with and without the
//!   middleware, for scale.
//!
//! `cargo bench -p ddtrace-http --bench middleware`

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace_core::{Config, Instrument, Tracer};
use ddtrace_http::DdTraceMiddleware;
use http::Extensions;
use reqwest_middleware::reqwest::{self, Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

/// Answers every request with an empty 200, without sending it.
struct Canned;

#[async_trait::async_trait]
impl Middleware for Canned {
    async fn handle(
        &self,
        _req: Request,
        _extensions: &mut Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        Ok(Response::from(http::Response::new("")))
    }
}

/// A tracer that builds full spans and drops the finished traces (no exporter).
fn tracer() -> Tracer {
    Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .build()
}

fn client(traced: Option<Tracer>, canned: bool) -> ClientWithMiddleware {
    let mut builder = ClientBuilder::new(reqwest::Client::new());
    if let Some(t) = traced {
        builder = builder.with(DdTraceMiddleware::new(t));
    }
    if canned {
        builder = builder.with(Canned);
    }
    builder.build()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let url = "http://127.0.0.1:9/items/42?page=2&api_key=abc";

    let mut g = c.benchmark_group("canned");
    let plain = client(None, true);
    g.bench_function("without_middleware", |b| {
        b.to_async(&rt)
            .iter(|| async { plain.get(url).send().await.expect("canned") })
    });
    let traced = client(Some(tracer()), true);
    g.bench_function("with_middleware_root_span", |b| {
        b.to_async(&rt)
            .iter(|| async { traced.get(url).send().await.expect("canned") })
    });
    let t = tracer();
    let traced_child = client(Some(t.clone()), true);
    g.bench_function("with_middleware_under_parent", |b| {
        b.to_async(&rt).iter(|| {
            async { traced_child.get(url).send().await.expect("canned") }
                .instrument(t.trace("parent"))
        })
    });
    let disabled = client(Some(Tracer::disabled()), true);
    g.bench_function("with_middleware_tracing_disabled", |b| {
        b.to_async(&rt)
            .iter(|| async { disabled.get(url).send().await.expect("canned") })
    });
    g.finish();

    let addr = rt.block_on(async {
        let app = Router::new().route("/items/{id}", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("server") });
        addr
    });
    let url = format!("http://{addr}/items/42?page=2&api_key=abc");
    let mut g = c.benchmark_group("loopback");
    g.measurement_time(Duration::from_secs(5));
    let plain = client(None, false);
    g.bench_function("without_middleware", |b| {
        b.to_async(&rt).iter(|| async {
            let r = plain.get(&url).send().await.expect("server");
            r.bytes().await.expect("body")
        })
    });
    let traced = client(Some(tracer()), false);
    g.bench_function("with_middleware", |b| {
        b.to_async(&rt).iter(|| async {
            let r = traced.get(&url).send().await.expect("server");
            r.bytes().await.expect("body")
        })
    });
    g.finish();
}

criterion_group!(middleware, benches);
criterion_main!(middleware);
