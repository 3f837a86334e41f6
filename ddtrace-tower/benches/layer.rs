//! Per-request cost of the layer: the same trivial service called directly, bare and wrapped,
//! with the response body read to its end (when the span finishes). No network, no runtime:
//! the service is ready at once and polled with a no-op waker.
//!
//! `cargo bench -p ddtrace-tower --bench layer`

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ddtrace_core::{Config, Tracer};
use ddtrace_tower::DdTraceLayer;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use tower_layer::Layer;
use tower_service::Service;

/// The application: answers every request with a small body.
#[derive(Clone, Copy)]
struct Hello;

impl Service<Request<()>> for Hello {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(Full::new(Bytes::from_static(b"hello")))))
    }
}

fn request(distributed: bool) -> Request<()> {
    let mut req = Request::get("/users/42?page=2&token=abc")
        .header("host", "shop.example")
        .header("user-agent", "bench/1.0");
    if distributed {
        req = req
            .header("x-datadog-trace-id", "1234567890")
            .header("x-datadog-parent-id", "987654321")
            .header("x-datadog-sampling-priority", "1");
    }
    req.body(()).unwrap()
}

/// Calls the service once and reads the body to its end.
fn one_request<S, B>(service: &mut S, req: Request<()>)
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
    B::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    let future = pin!(service.call(req));
    let Poll::Ready(Ok(response)) = future.poll(&mut cx) else {
        panic!("the bench service answers at once");
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        black_box(frame.unwrap());
    }
}

fn tracer(enabled: bool) -> Tracer {
    // No exporter: finished traces are dropped, so the figures are the layer's own cost.
    Tracer::builder()
        .config(
            Config::builder_without_env()
                .service("bench")
                .enabled(enabled)
                .build(),
        )
        .build()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("request");
    let mut bare = Hello;
    group.bench_function("bare service", |b| {
        b.iter_batched(
            || request(false),
            |req| one_request(&mut bare, req),
            BatchSize::SmallInput,
        )
    });
    let mut disabled = DdTraceLayer::new(tracer(false)).layer(Hello);
    group.bench_function("layer, tracing disabled", |b| {
        b.iter_batched(
            || request(false),
            |req| one_request(&mut disabled, req),
            BatchSize::SmallInput,
        )
    });
    let mut traced = DdTraceLayer::new(tracer(true))
        .route(|_| Some("/users/{id}"))
        .layer(Hello);
    group.bench_function("layer, new trace", |b| {
        b.iter_batched(
            || request(false),
            |req| one_request(&mut traced, req),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("layer, distributed trace", |b| {
        b.iter_batched(
            || request(true),
            |req| one_request(&mut traced, req),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // Where the traced request's time goes.
    let mut parts = c.benchmark_group("parts");
    let obfuscator = ddtrace_core::integration::QueryObfuscator::default();
    parts.bench_function("obfuscate query", |b| {
        b.iter(|| black_box(obfuscator.obfuscate(black_box("page=2&token=abc")).len()))
    });
    parts.bench_function("obfuscate query, nothing to redact", |b| {
        b.iter(|| black_box(obfuscator.obfuscate(black_box("page=2&sort=asc")).len()))
    });
    let t = tracer(true);
    parts.bench_function("root span, 8 tags, no layer", |b| {
        b.iter(|| {
            let span = t.trace("tower.request").span_type("web").start_detached();
            span.set_tag("span.kind", "server");
            span.set_tag("component", "tower");
            span.set_tag("http.method", "GET");
            span.set_tag(
                "http.url",
                String::from("http://shop.example/users/42?page=2"),
            );
            span.set_tag("http.route", String::from("/users/{id}"));
            span.set_tag("http.useragent", String::from("bench/1.0"));
            span.set_tag("http.status_code", 200);
            span.set_resource(String::from("GET /users/{id}"));
        })
    });
    parts.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
