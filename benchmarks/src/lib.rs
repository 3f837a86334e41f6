//! The same workloads written once for each tracer: ddtrace and the crates a Rust user would
//! pick instead (Datadog's `datadog-opentelemetry`, the deprecated `opentelemetry-datadog`
//! on the OpenTelemetry SDK, and `tracing-datadog`).
//!
//! Every tracer is set up as its documentation says, with its batching/background export,
//! sending to the in-process [`sink::Sink`]. Nothing is tuned: default buffer sizes, default
//! flush intervals, default samplers. See BENCHMARKS.md for what each workload does.

#![allow(deprecated)] // opentelemetry-datadog is deprecated; comparing with it is the point.

pub mod exec;
pub mod sink;

/// Service, env and version given to every tracer.
pub const SERVICE: &str = "bench";
/// See [`SERVICE`].
pub const ENV: &str = "prod";
/// See [`SERVICE`].
pub const VERSION: &str = "1.0";

/// ddtrace, as `ddtrace::init_with` wires it: an [`AgentWriter`](ddtrace_writer::AgentWriter)
/// behind the tracer.
pub mod ours {
    use std::sync::Arc;

    use ddtrace_core::sampling::AgentRates;
    use ddtrace_core::{ApiVersion, Config, Instrument, Tracer};
    use ddtrace_writer::AgentWriter;

    use crate::exec::YieldOnce;

    /// A tracer sending to `agent_url` with the default writer settings, except the buffer
    /// and the payload size when they are given.
    pub fn tracer(
        agent_url: &str,
        api: ApiVersion,
        buffer_bytes: Option<usize>,
        max_payload_bytes: Option<usize>,
    ) -> (Tracer, Arc<AgentWriter>) {
        let mut b = Config::builder_without_env()
            .service(crate::SERVICE)
            .env(crate::ENV)
            .version(crate::VERSION)
            .agent_url(agent_url)
            .api_version(api);
        if let Some(n) = buffer_bytes {
            b = b.writer_buffer_size_bytes(n);
        }
        if let Some(n) = max_payload_bytes {
            b = b.writer_max_payload_size_bytes(n);
        }
        let config = b.build();
        let rates = Arc::new(AgentRates::new());
        let writer = Arc::new(AgentWriter::new(&config, rates.clone()));
        let tracer = Tracer::builder()
            .config(config)
            .agent_rates(rates)
            .exporter_arc(writer.clone())
            .build();
        (tracer, writer)
    }

    /// A root and 9 children, each with its resource, type and tags.
    pub fn trace_of_ten(t: &Tracer) {
        let root = t
            .trace("web.request")
            .resource("GET /users")
            .span_type("web")
            .start();
        root.set_tag("http.method", "GET");
        root.set_tag("http.status_code", 200);
        for i in 0..9 {
            let child = t
                .trace("db.query")
                .resource("SELECT 1")
                .span_type("sql")
                .start();
            child.set_tag("db.system", "postgresql");
            child.set_tag("db.row_count", i);
            child.set_tag("component", "bench");
        }
    }

    /// A root future awaiting 3 handlers that each await 2 leaves; every leaf is pending once.
    pub async fn nested(t: &Tracer) {
        let root = t.trace("request").resource("GET /async").start_detached();
        root.set_tag("component", "bench");
        async {
            for h in 0..3 {
                let handler = t.trace("handler").resource("handle").start_detached();
                handler.set_tag("handler.index", h);
                async {
                    for l in 0..2 {
                        let leaf = t.trace("db.query").resource("SELECT 1").start_detached();
                        leaf.set_tag("db.row_count", l);
                        YieldOnce::default().instrument(leaf).await;
                    }
                }
                .instrument(handler)
                .await;
            }
        }
        .instrument(root)
        .await
    }
}

/// Both OpenTelemetry-based alternatives share their workload code; only the crate versions
/// (0.33 for datadog-opentelemetry, 0.32 for opentelemetry-datadog) differ.
macro_rules! otel_workloads {
    ($otel:ident, $sdk:ident) => {
        use std::str::FromStr;

        use $otel::context::FutureExt;
        use $otel::propagation::{Extractor, Injector};
        use $otel::trace::{
            SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
            Tracer as _, mark_span_as_active,
        };
        use $otel::{Context, KeyValue};
        use $sdk::trace::SdkTracer;

        use crate::exec::YieldOnce;

        /// A root and 9 children, each with its resource, type and tags (as attributes, the
        /// way both crates map them to Datadog's fields).
        pub fn trace_of_ten(t: &SdkTracer) {
            let root = t
                .span_builder("web.request")
                .with_kind(SpanKind::Server)
                .with_attributes([
                    KeyValue::new("resource.name", "GET /users"),
                    KeyValue::new("span.type", "web"),
                    KeyValue::new("http.method", "GET"),
                    KeyValue::new("http.status_code", 200i64),
                ])
                .start(t);
            let _active = mark_span_as_active(root);
            for i in 0..9i64 {
                let child = t
                    .span_builder("db.query")
                    .with_attributes([
                        KeyValue::new("resource.name", "SELECT 1"),
                        KeyValue::new("span.type", "sql"),
                        KeyValue::new("db.system", "postgresql"),
                        KeyValue::new("db.row_count", i),
                        KeyValue::new("component", "bench"),
                    ])
                    .start(t);
                let _active = mark_span_as_active(child);
            }
        }

        /// As `ours::nested`: the context travels with each future (`FutureExt::with_context`).
        pub async fn nested(t: &SdkTracer) {
            let root = t
                .span_builder("request")
                .with_attributes([
                    KeyValue::new("resource.name", "GET /async"),
                    KeyValue::new("component", "bench"),
                ])
                .start(t);
            async {
                for h in 0..3i64 {
                    let handler = t
                        .span_builder("handler")
                        .with_attributes([
                            KeyValue::new("resource.name", "handle"),
                            KeyValue::new("handler.index", h),
                        ])
                        .start(t);
                    async {
                        for l in 0..2i64 {
                            let leaf = t
                                .span_builder("db.query")
                                .with_attributes([
                                    KeyValue::new("resource.name", "SELECT 1"),
                                    KeyValue::new("db.row_count", l),
                                ])
                                .start(t);
                            YieldOnce::default()
                                .with_context(Context::current_with_span(leaf))
                                .await;
                        }
                    }
                    .with_context(Context::current_with_span(handler))
                    .await;
                }
            }
            .with_context(Context::current_with_span(root))
            .await
        }

        /// `http::HeaderMap` as an OpenTelemetry carrier (what opentelemetry-http does).
        pub struct Headers<'a>(pub &'a mut http::HeaderMap);

        impl Injector for Headers<'_> {
            fn set(&mut self, key: &str, value: String) {
                if let (Ok(k), Ok(v)) = (
                    http::HeaderName::from_bytes(key.as_bytes()),
                    http::HeaderValue::from_str(&value),
                ) {
                    self.0.insert(k, v);
                }
            }
        }

        /// Read side of [`Headers`].
        pub struct HeadersRef<'a>(pub &'a http::HeaderMap);

        impl Extractor for HeadersRef<'_> {
            fn get(&self, key: &str) -> Option<&str> {
                self.0.get(key).and_then(|v| v.to_str().ok())
            }
            fn keys(&self) -> Vec<&str> {
                self.0.keys().map(|k| k.as_str()).collect()
            }
        }

        /// The same continued trace as `crate::propagation::context()`: ids, sampled,
        /// tracestate, and the two baggage items.
        pub fn context() -> Context {
            use $otel::baggage::BaggageExt;
            let sc = SpanContext::new(
                TraceId::from(crate::propagation::TRACE_ID),
                SpanId::from(crate::propagation::SPAN_ID),
                TraceFlags::SAMPLED,
                true,
                TraceState::from_str(crate::propagation::TRACESTATE).unwrap_or_default(),
            );
            Context::new().with_remote_span_context(sc).with_baggage([
                KeyValue::new("user.id", "alice"),
                KeyValue::new("session.id", "s 1"),
            ])
        }
    };
}

/// Datadog's `datadog-opentelemetry` 0.6 on the OpenTelemetry SDK 0.33.
pub mod dd_otel {
    otel_workloads!(opentelemetry, opentelemetry_sdk);

    use datadog_opentelemetry::configuration::{Config, TracePropagationStyle};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    /// `datadog_opentelemetry::tracing().with_config(..).init_local()`, sending to
    /// `agent_url`; `styles` sets the propagation styles.
    pub fn provider(
        agent_url: &str,
        styles: Option<Vec<TracePropagationStyle>>,
    ) -> (
        SdkTracerProvider,
        impl opentelemetry::propagation::TextMapPropagator + use<>,
    ) {
        let mut b = Config::builder();
        b.set_service(crate::SERVICE.into())
            .set_env(crate::ENV.into())
            .set_version(crate::VERSION.into())
            .set_trace_agent_url(agent_url.into());
        if let Some(s) = styles {
            b.set_trace_propagation_style(s);
        }
        datadog_opentelemetry::tracing()
            .with_config(b.build())
            .init_local()
    }
}

/// The deprecated `opentelemetry-datadog` 0.20 exporter on the OpenTelemetry SDK 0.32.
pub mod otel_dd {
    otel_workloads!(opentelemetry_032, opentelemetry_sdk_032);

    use opentelemetry_datadog::ApiVersion;
    use opentelemetry_sdk_032::trace::SdkTracerProvider;

    /// `new_pipeline()...install_batch()`: the SDK's batch span processor on its own thread,
    /// the default blocking reqwest client, v0.5 (its newest API version).
    pub fn provider(agent_url: &str) -> SdkTracerProvider {
        opentelemetry_datadog::new_pipeline()
            .with_service_name(crate::SERVICE)
            .with_env(crate::ENV)
            .with_version(crate::VERSION)
            .with_api_version(ApiVersion::Version05)
            .with_agent_endpoint(agent_url)
            .install_batch()
            .expect("opentelemetry-datadog pipeline")
    }
}

/// `tracing-datadog` 0.6: a `tracing` Layer.
pub mod tracing_dd {
    use tracing::Instrument;
    use tracing_datadog::DatadogTraceLayer;
    use tracing_subscriber::layer::SubscriberExt;

    use crate::exec::YieldOnce;

    /// `registry().with(DatadogTraceLayer::builder()...build())`, sending to `host_port`.
    pub fn subscriber(host_port: &str) -> impl tracing::Subscriber + Send + Sync + 'static {
        let layer = DatadogTraceLayer::builder()
            .service(crate::SERVICE)
            .env(crate::ENV)
            .version(crate::VERSION)
            .agent_address(host_port)
            .build()
            .expect("tracing-datadog layer");
        tracing_subscriber::registry().with(layer)
    }

    /// A root and 9 children; `resource` and `span.type` are the fields it maps.
    pub fn trace_of_ten() {
        let root = tracing::info_span!(
            "web.request",
            resource = "GET /users",
            span.type = "web",
            http.method = "GET",
            http.status_code = 200
        );
        let _root = root.enter();
        for i in 0..9i64 {
            let child = tracing::info_span!(
                "db.query",
                resource = "SELECT 1",
                span.type = "sql",
                db.system = "postgresql",
                db.row_count = i,
                component = "bench"
            );
            let _child = child.enter();
        }
    }

    /// As `ours::nested`, with `tracing::Instrument`.
    pub async fn nested() {
        async {
            for h in 0..3i64 {
                async {
                    for l in 0..2i64 {
                        YieldOnce::default()
                            .instrument(tracing::info_span!(
                                "db.query",
                                resource = "SELECT 1",
                                db.row_count = l
                            ))
                            .await;
                    }
                }
                .instrument(tracing::info_span!(
                    "handler",
                    resource = "handle",
                    handler.index = h
                ))
                .await;
            }
        }
        .instrument(tracing::info_span!(
            "request",
            resource = "GET /async",
            component = "bench"
        ))
        .await
    }
}

/// The propagated context every tracer injects and extracts.
pub mod propagation {
    use ddtrace_core::sampling::SamplingPriority;
    use ddtrace_core::{SpanContext, SpanId, TraceId};

    /// 128-bit trace id.
    pub const TRACE_ID: u128 = 0x6b06_785a_0000_0000_a3ce_929d_0e0e_4736;
    /// Parent span id.
    pub const SPAN_ID: u64 = 0x00f0_67aa_0ba9_02b7;
    /// A vendor's entry beside Datadog's.
    pub const TRACESTATE: &str = "dd=s:2;o:synthetics,congo=t61rcWkgMzE";

    /// The continued trace of ddtrace-core's propagation bench: priority, origin, two
    /// `_dd.p.*` tags, tracestate and two baggage items.
    pub fn context() -> SpanContext {
        let mut ctx = SpanContext::new(TraceId(TRACE_ID), SpanId(SPAN_ID));
        ctx.sampling_priority = Some(SamplingPriority::USER_KEEP);
        ctx.set_origin("synthetics");
        ctx.set_trace_tag("_dd.p.dm", "-4");
        ctx.set_trace_tag("_dd.p.usr.id", "dXNlcg==");
        ctx.set_root_tag("tracestate", TRACESTATE);
        ctx.set_baggage_item("user.id", "alice");
        ctx.set_baggage_item("session.id", "s 1");
        ctx
    }
}

/// Peak and current resident set size of this process, from `/proc/self/status`, in KiB.
pub fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
