//! ddtrace beside datadog-opentelemetry, opentelemetry-datadog and tracing-datadog: the same
//! workloads, the same span counts and tags, each tracer exporting to the in-process sink
//! with its own background/batch export.
//!
//! Benchmark ids are `<workload>/<tracer>`; `scripts/bench.sh` turns criterion's estimates
//! into the table of BENCHMARKS.md. A tracer missing from a workload has no equivalent API
//! there (the reasons are in BENCHMARKS.md).

#![allow(deprecated)] // opentelemetry-datadog

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ddtrace_benchmarks::exec::block_on;
use ddtrace_benchmarks::sink::Sink;
use ddtrace_benchmarks::{dd_otel, otel_dd, ours, propagation, tracing_dd};
use ddtrace_core::ApiVersion;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{Empty, Full};
use tower::{Layer, Service};

/// One sink for the whole run.
fn sink() -> &'static Sink {
    static SINK: std::sync::OnceLock<Sink> = std::sync::OnceLock::new();
    SINK.get_or_init(Sink::start)
}

fn span_lifecycle_and_async(c: &mut Criterion) {
    let sink = sink();
    let (ours, writer) = ours::tracer(&sink.url(), ApiVersion::V05, None, None);
    let (dd_provider, _) = dd_otel::provider(&sink.url(), None);
    let dd_tracer = {
        use opentelemetry::trace::TracerProvider;
        dd_provider.tracer("bench")
    };
    let od_provider = otel_dd::provider(&sink.url());
    let od_tracer = {
        use opentelemetry_032::trace::TracerProvider;
        od_provider.tracer("bench")
    };
    let td = tracing::Dispatch::new(tracing_dd::subscriber(&sink.host_port()));

    let mut g = c.benchmark_group("span_lifecycle");
    g.throughput(Throughput::Elements(10));
    g.bench_function("ddtrace", |b| b.iter(|| ours::trace_of_ten(&ours)));
    g.bench_function("datadog-opentelemetry", |b| {
        b.iter(|| dd_otel::trace_of_ten(&dd_tracer))
    });
    g.bench_function("opentelemetry-datadog", |b| {
        b.iter(|| otel_dd::trace_of_ten(&od_tracer))
    });
    tracing::dispatcher::with_default(&td, || {
        g.bench_function("tracing-datadog", |b| b.iter(tracing_dd::trace_of_ten))
    });
    g.finish();

    let mut g = c.benchmark_group("nested_async");
    g.throughput(Throughput::Elements(10));
    g.bench_function("ddtrace", |b| b.iter(|| block_on(ours::nested(&ours))));
    g.bench_function("datadog-opentelemetry", |b| {
        b.iter(|| block_on(dd_otel::nested(&dd_tracer)))
    });
    g.bench_function("opentelemetry-datadog", |b| {
        b.iter(|| block_on(otel_dd::nested(&od_tracer)))
    });
    tracing::dispatcher::with_default(&td, || {
        g.bench_function("tracing-datadog", |b| {
            b.iter(|| block_on(tracing_dd::nested()))
        })
    });
    g.finish();

    let stats = writer.stats();
    eprintln!(
        "ddtrace writer during span benches: {} traces enqueued, {} sent, {} dropped ({} buffer full)",
        stats.traces_enqueued,
        stats.traces_sent,
        stats.traces_dropped.total(),
        stats.traces_dropped.buffer_full
    );
    let _ = dd_provider.shutdown_with_timeout(Duration::from_secs(5));
    let _ = od_provider.shutdown_with_timeout(Duration::from_secs(5));
}

fn sampling(c: &mut Criterion) {
    use ddtrace_core::SpanData;
    use ddtrace_core::TraceId;
    use ddtrace_core::sampling::{AgentRates, DatadogSampler, Sampler, SamplingRule};

    let mut g = c.benchmark_group("sampling_decision");
    // ddtrace: one rule (rate 0.5 on service/name/tag) after three that do not match, with
    // the default rate limiter (100/s), as DD_TRACE_SAMPLING_RULES configures it.
    let mut root = SpanData {
        service: "web-api".into(),
        name: "http.request".into(),
        resource: "GET /users/{id}".into(),
        ..Default::default()
    };
    root.set_meta("http.method".into(), "GET".into());
    let sampler = DatadogSampler::new(Arc::new(AgentRates::new()))
        .with_rules(vec![
            SamplingRule::new(0.0).resource("GET /health*"),
            SamplingRule::new(0.1).service("batch-*"),
            SamplingRule::new(1.0).tag("http.status_code", "5??"),
            SamplingRule::new(0.5)
                .service("web-*")
                .name("http.*")
                .tag("http.method", "GET"),
        ])
        .with_rate_limit(1e12);
    let mut id = 0u64;
    g.bench_function("ddtrace", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            black_box(sampler.decide(TraceId(u128::from(id)), black_box(&root)))
        })
    });

    // opentelemetry-datadog leaves sampling to the SDK: ParentBased(TraceIdRatioBased(0.5)).
    {
        use opentelemetry_032::trace::{SpanKind, TraceId};
        use opentelemetry_032::{Context, KeyValue};
        use opentelemetry_sdk_032::trace::{Sampler, ShouldSample};
        let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.5)));
        let attrs = [KeyValue::new("http.method", "GET")];
        let parent = Context::new();
        g.bench_function("opentelemetry-datadog", |b| {
            b.iter(|| {
                id = id.wrapping_add(1);
                black_box(sampler.should_sample(
                    Some(&parent),
                    TraceId::from(u128::from(id)),
                    "http.request",
                    &SpanKind::Server,
                    black_box(&attrs),
                    &[],
                ))
            })
        });
    }
    g.finish();
}

const STYLES: [(&str, ddtrace_core::propagation::PropagationStyle); 5] = {
    use ddtrace_core::propagation::PropagationStyle as S;
    [
        ("datadog", S::Datadog),
        ("tracecontext", S::TraceContext),
        ("b3multi", S::B3Multi),
        ("b3", S::B3Single),
        ("baggage", S::Baggage),
    ]
};

fn propagation(c: &mut Criterion) {
    use datadog_opentelemetry::configuration::TracePropagationStyle as DdStyle;
    use ddtrace_core::propagation::Propagator;
    use opentelemetry::propagation::TextMapPropagator as _;
    use tracing_datadog::context::{DatadogContext, TraceContextExt};
    use tracing_datadog::http::{DatadogHeaders, W3CTraceContextHeaders};

    let sink = sink();
    let ours_ctx = propagation::context();
    let dd_cx = dd_otel::context();
    let od_cx = otel_dd::context();
    let td_ctx = DatadogContext {
        trace_id: propagation::TRACE_ID,
        parent_id: propagation::SPAN_ID,
    };
    for (name, style) in STYLES {
        // The headers each tracer extracts: what ddtrace injects for the style.
        let headers = {
            let mut h = http::HeaderMap::new();
            Propagator::new([], [style]).inject_context(&mut ours_ctx.clone(), &mut h);
            h
        };
        let dd_style = match style {
            ddtrace_core::propagation::PropagationStyle::Datadog => DdStyle::Datadog,
            ddtrace_core::propagation::PropagationStyle::TraceContext => DdStyle::TraceContext,
            ddtrace_core::propagation::PropagationStyle::B3Multi => DdStyle::B3Multi,
            ddtrace_core::propagation::PropagationStyle::B3Single => DdStyle::B3SingleHeader,
            _ => DdStyle::Baggage,
        };
        let (dd_provider, dd_prop) = dd_otel::provider(&sink.url(), Some(vec![dd_style]));
        // opentelemetry-datadog ships the datadog propagator; the SDK it builds on has
        // tracecontext and baggage. B3 would need another crate (opentelemetry-zipkin).
        let od_prop: Option<Box<dyn opentelemetry_032::propagation::TextMapPropagator>> = match name
        {
            "datadog" => Some(Box::new(opentelemetry_datadog::DatadogPropagator::new())),
            "tracecontext" => Some(Box::new(
                opentelemetry_sdk_032::propagation::TraceContextPropagator::new(),
            )),
            "baggage" => Some(Box::new(
                opentelemetry_sdk_032::propagation::BaggagePropagator::new(),
            )),
            _ => None,
        };

        let mut g = c.benchmark_group(format!("inject_{name}"));
        let p = Propagator::new([], [style]);
        g.bench_function("ddtrace", |b| {
            b.iter(|| {
                let mut out = http::HeaderMap::new();
                let mut ctx = ours_ctx.clone();
                p.inject_context(&mut ctx, &mut out);
                black_box(out)
            })
        });
        g.bench_function("datadog-opentelemetry", |b| {
            b.iter(|| {
                let mut out = http::HeaderMap::new();
                dd_prop.inject_context(black_box(&dd_cx), &mut dd_otel::Headers(&mut out));
                black_box(out)
            })
        });
        if let Some(od) = &od_prop {
            g.bench_function("opentelemetry-datadog", |b| {
                b.iter(|| {
                    let mut out = http::HeaderMap::new();
                    od.inject_context(black_box(&od_cx), &mut otel_dd::Headers(&mut out));
                    black_box(out)
                })
            });
        }
        let td_inject: Option<fn(&mut http::HeaderMap, DatadogContext)> = match name {
            "datadog" => Some(|h, c| h.inject_trace_context::<DatadogHeaders>(c)),
            "tracecontext" => Some(|h, c| h.inject_trace_context::<W3CTraceContextHeaders>(c)),
            _ => None,
        };
        if let Some(inject) = td_inject {
            g.bench_function("tracing-datadog", |b| {
                b.iter(|| {
                    let mut out = http::HeaderMap::new();
                    inject(&mut out, black_box(td_ctx));
                    black_box(out)
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("extract_{name}"));
        let p = Propagator::new([style], []);
        g.bench_function("ddtrace", |b| {
            b.iter(|| black_box(p.extract(black_box(&headers))))
        });
        g.bench_function("datadog-opentelemetry", |b| {
            b.iter(|| black_box(dd_prop.extract(&dd_otel::HeadersRef(black_box(&headers)))))
        });
        if let Some(od) = &od_prop {
            g.bench_function("opentelemetry-datadog", |b| {
                b.iter(|| black_box(od.extract(&otel_dd::HeadersRef(black_box(&headers)))))
            });
        }
        let td_extract: Option<fn(&http::HeaderMap) -> DatadogContext> = match name {
            "datadog" => Some(|h| h.extract_trace_context::<DatadogHeaders>()),
            "tracecontext" => Some(|h| h.extract_trace_context::<W3CTraceContextHeaders>()),
            _ => None,
        };
        if let Some(extract) = td_extract {
            g.bench_function("tracing-datadog", |b| {
                b.iter(|| black_box(extract(black_box(&headers))))
            });
        }
        g.finish();
        let _ = dd_provider.shutdown_with_timeout(Duration::from_secs(2));
    }
}

fn encoding(c: &mut Criterion) {
    use ddtrace_core::export::{InMemoryExporter, TraceChunk};
    use ddtrace_writer::encode::encode_traces;

    // 100 traces made by the span-lifecycle workload: 1,000 spans per payload.
    let mem = InMemoryExporter::new();
    let t = ddtrace_core::Tracer::builder()
        .config(
            ddtrace_core::Config::builder_without_env()
                .service(ddtrace_benchmarks::SERVICE)
                .env(ddtrace_benchmarks::ENV)
                .version(ddtrace_benchmarks::VERSION)
                .build(),
        )
        .exporter(mem.clone())
        .build();
    for _ in 0..100 {
        ours::trace_of_ten(&t);
    }
    let chunks: Vec<TraceChunk> = mem.chunks();
    // datadog-opentelemetry hands v0.4-shaped libdatadog spans to libdatadog's exporter, which
    // encodes v0.4 with its msgpack encoder, or converts to v0.5 and serializes with rmp-serde.
    let libdd = to_libdd_spans(&chunks);
    for (name, api) in [
        ("encode_v04", ApiVersion::V04),
        ("encode_v05", ApiVersion::V05),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1000));
        g.bench_function("ddtrace", |b| {
            b.iter(|| encode_traces(api, black_box(&chunks)))
        });
        g.bench_function("datadog-opentelemetry", |b| {
            b.iter(|| match api {
                ApiVersion::V04 => {
                    libdd_trace_utils::msgpack_encoder::v04::to_vec_from_v04(black_box(&libdd))
                }
                _ => {
                    let chunks = libdd_trace_utils::trace_utils::convert_trace_chunks_v04_to_v05(
                        black_box(&libdd),
                    )
                    .expect("v0.5 conversion");
                    let libdd_trace_utils::tracer_payload::TraceChunks::V05(payload) = chunks
                    else {
                        unreachable!("v0.5 conversion gives v0.5")
                    };
                    let mut buf = Vec::new();
                    rmp_serde::encode::write(&mut buf, &payload).expect("v0.5 payload");
                    buf
                }
            })
        });
        g.finish();
    }
}

/// The same spans, field for field, as libdatadog's v0.4 span.
fn to_libdd_spans(
    chunks: &[ddtrace_core::export::TraceChunk],
) -> Vec<Vec<libdd_trace_utils::span::v04::SpanBytes>> {
    use libdd_tinybytes::BytesString;
    use libdd_trace_utils::span::v04::SpanBytes;
    let s = |v: &str| BytesString::from_slice(v.as_bytes()).expect("utf-8");
    chunks
        .iter()
        .map(|c| {
            c.spans
                .iter()
                .map(|d| {
                    let mut span = SpanBytes {
                        service: s(&d.service),
                        name: s(&d.name),
                        resource: s(&d.resource),
                        r#type: s(&d.span_type),
                        trace_id: d.trace_id.0,
                        span_id: d.span_id.0,
                        parent_id: d.parent_id.0,
                        start: d.start,
                        duration: d.duration,
                        error: d.error,
                        ..Default::default()
                    };
                    for (k, v) in &d.meta {
                        span.meta.insert(s(k), s(v));
                    }
                    for (k, v) in &d.metrics {
                        span.metrics.insert(s(k), *v);
                    }
                    span
                })
                .collect()
        })
        .collect()
}

/// The application behind every layer: answers at once with a small body.
#[derive(Clone, Copy)]
struct Hello;

impl<B> Service<Request<B>> for Hello {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<B>) -> Self::Future {
        ready(Ok(Response::new(Full::new(Bytes::from_static(b"hello")))))
    }
}

/// The request every layer gets; tower-http needs a real body type.
type Req = Request<Empty<Bytes>>;

fn request() -> Req {
    Request::get("/users/42?page=2")
        .header("host", "shop.example")
        .header("user-agent", "bench/1.0")
        .body(Empty::new())
        .unwrap()
}

/// Calls the service once and reads the body to its end (where the span finishes).
fn one_request<S, B>(service: &mut S, req: Req)
where
    S: Service<Req, Response = Response<B>>,
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

/// tower-http's `TraceLayer` with a server span tagged as ddtrace's layer tags it; the
/// alternatives have no tower layer of their own, and this is what their users put in front
/// of an axum/hyper service.
macro_rules! tower_http_layer {
    () => {
        tower_http::trace::TraceLayer::new_for_http()
            .make_span_with(|req: &Req| {
                tracing::info_span!(
                    "http.request",
                    otel.kind = "server",
                    span.kind = "server",
                    span.type = "web",
                    resource = "GET /users/{id}",
                    component = "tower-http",
                    http.method = %req.method(),
                    http.url = %req.uri(),
                    http.route = "/users/{id}",
                    http.useragent = ?req.headers().get("user-agent"),
                    http.status_code = tracing::field::Empty,
                )
            })
            .on_request(())
            .on_response(
                |res: &Response<_>, _: Duration, span: &tracing::Span| {
                    span.record("http.status_code", res.status().as_u16());
                },
            )
    };
}

fn tower_layer(c: &mut Criterion) {
    use tracing_subscriber::layer::SubscriberExt;

    let sink = sink();
    let mut g = c.benchmark_group("tower_request");
    let mut bare = Hello;
    g.bench_function("bare service", |b| {
        b.iter_batched(
            request,
            |r| one_request(&mut bare, r),
            BatchSize::SmallInput,
        )
    });

    let (t, _writer) = ours::tracer(&sink.url(), ApiVersion::V05, None, None);
    let mut svc = ddtrace_tower::DdTraceLayer::new(t)
        .route(|_| Some("/users/{id}"))
        .layer(Hello);
    g.bench_function("ddtrace", |b| {
        b.iter_batched(request, |r| one_request(&mut svc, r), BatchSize::SmallInput)
    });

    // datadog-opentelemetry through tracing-opentelemetry 0.34, as its docs show.
    let (dd_provider, _) = dd_otel::provider(&sink.url(), None);
    let dispatch = {
        use opentelemetry::trace::TracerProvider;
        tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(dd_provider.tracer("bench"))),
        )
    };
    let mut svc = tower_http_layer!().layer(Hello);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("datadog-opentelemetry", |b| {
            b.iter_batched(request, |r| one_request(&mut svc, r), BatchSize::SmallInput)
        })
    });

    // opentelemetry-datadog through tracing-opentelemetry 0.33 (the one on OpenTelemetry 0.32).
    let od_provider = otel_dd::provider(&sink.url());
    let dispatch = {
        use opentelemetry_032::trace::TracerProvider;
        tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry_033::layer().with_tracer(od_provider.tracer("bench"))),
        )
    };
    let mut svc = tower_http_layer!().layer(Hello);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("opentelemetry-datadog", |b| {
            b.iter_batched(request, |r| one_request(&mut svc, r), BatchSize::SmallInput)
        })
    });

    let dispatch = tracing::Dispatch::new(tracing_dd::subscriber(&sink.host_port()));
    let mut svc = tower_http_layer!().layer(Hello);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing-datadog", |b| {
            b.iter_batched(request, |r| one_request(&mut svc, r), BatchSize::SmallInput)
        })
    });
    g.finish();
    let _ = dd_provider.shutdown_with_timeout(Duration::from_secs(2));
    let _ = od_provider.shutdown_with_timeout(Duration::from_secs(2));
}

criterion_group!(
    benches,
    span_lifecycle_and_async,
    sampling,
    propagation,
    encoding,
    tower_layer
);
criterion_main!(benches);
