//! [`DdTraceMiddleware`]: one client span per request attempt.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use ddtrace_core::integration::{HeaderSide, HeaderTags, QueryObfuscator, apply_peer_service};
use ddtrace_core::propagation::Propagator;
use ddtrace_core::{Instrument, Span, SpanRef, Str, Tracer};
use http::Extensions;
use reqwest_middleware::reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next, Result};

use crate::target::Target;

/// The integration's name: the `component` tag, the default service under schema v0 and the
/// `_dd.svc_src` of spans that use it.
pub const COMPONENT: &str = "reqwest";
/// The span name under `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v0` (the default), after the Python
/// tracer's `requests.request`.
pub const SPAN_NAME_V0: &str = "reqwest.request";
/// The span name under `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1`.
pub const SPAN_NAME_V1: &str = "http.client.request";
/// The metric counting the attempts that came before this one, on retried requests.
pub const RESEND_COUNT: &str = "http.request.resend_count";

/// A [`reqwest_middleware::Middleware`] that traces every request it sends.
///
/// Each request gets a client span (`span.kind=client`, type `http`) named `reqwest.request`
/// (`http.client.request` under schema v1), with the resource `"{METHOD} {path}"` and the tags
/// of the Python tracer's `requests` integration: `component`, `http.method`, `http.url`
/// (without credentials, its query string obfuscated with
/// `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`), `http.status_code`, `out.host`,
/// `network.destination.port`, `http.useragent`, `peer.service` when configured, and the
/// request and response headers named in `DD_TRACE_HEADER_TAGS`.
///
/// - **Propagation**: the trace context is written into the request headers in the configured
///   styles (`DD_TRACE_PROPAGATION_STYLE_INJECT`). The sampling decision is taken first, so the
///   service called receives the final priority.
/// - **Errors**: a request that gets no response (refused connection, timeout, ...) marks the
///   span with `error.type`, `error.message` and `error.stack`; a response whose status is in
///   `DD_TRACE_HTTP_CLIENT_ERROR_STATUSES` marks it as an error too. That variable is the
///   other Datadog tracers'; when it is unset the server ranges apply
///   (`DD_TRACE_HTTP_SERVER_ERROR_STATUSES`, default `500-599`), as in the Python tracer, so
///   a 404 is not an error and a 503 is.
/// - **Context**: the span is the active span while the request runs, so spans started by
///   middleware further down the chain are its children; it is not visible to other tasks.
///   A request dropped before it completes (the caller's own timeout) ends its span then,
///   with neither status nor error.
/// - **Service**: `reqwest` under schema v0 (as the Python tracer's `requests`), the
///   application's service under v1; [`service`](DdTraceMiddlewareBuilder::service) overrides
///   it and [`split_by_domain`](DdTraceMiddlewareBuilder::split_by_domain) names it after the
///   host called. `DD_SERVICE_MAPPING` applies.
///
/// # Retries
///
/// Each attempt is its own span when this middleware comes **after** the retry middleware:
///
/// ```
/// # use ddtrace_http::DdTraceMiddleware;
/// use reqwest_middleware::{ClientBuilder, reqwest};
/// use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
///
/// let policy = ExponentialBackoff::builder().build_with_max_retries(3);
/// let client = ClientBuilder::new(reqwest::Client::new())
///     .with(RetryTransientMiddleware::new_with_policy(policy))
///     .with(DdTraceMiddleware::global()) // after the retries: one span per attempt
///     .build();
/// ```
///
/// The attempts are then siblings under the span active where the request was made, each with
/// its own status or error and its own parent id sent downstream; attempts after the first
/// carry `http.request.resend_count` (1, 2, ...). Wrap the call in a span of your own to group
/// them. Placed **before** the retry middleware, the middleware makes one span for the whole
/// logical request instead: its duration covers every attempt and the waits between them, it
/// records only the last outcome, and every attempt sends the same parent id.
///
/// # Tracer
///
/// [`DdTraceMiddleware::global`] uses the global tracer ([`ddtrace_core::tracer()`]) that
/// `ddtrace::init()` installs, even when the client is built before `init` runs (requests sent
/// before then are not traced). [`DdTraceMiddleware::new`] uses the tracer given.
#[derive(Clone)]
pub struct DdTraceMiddleware {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DdTraceMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdTraceMiddleware")
            .field("global", &matches!(self.inner.source, Source::Global(_)))
            .field("options", &self.inner.options)
            .finish()
    }
}

struct Inner {
    source: Source,
    options: Options,
}

enum Source {
    Fixed(Bound),
    /// Bound to the global tracer the first time one is installed when a request goes out.
    Global(OnceLock<Bound>),
}

#[derive(Debug, Clone, Default)]
struct Options {
    split_by_domain: bool,
    distributed_tracing: bool,
    service: Option<String>,
}

/// What a request needs from the tracer, worked out once.
struct Bound {
    tracer: Tracer,
    propagator: Propagator,
    obfuscator: QueryObfuscator,
    name: &'static str,
    /// The service when not split by domain, and its `_dd.svc_src` (none for `DD_SERVICE`
    /// under schema v1 or with `DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED`).
    service: (Str, Option<&'static str>),
    /// `DD_TRACE_HEADER_TAGS`.
    header_tags: HeaderTags,
}

impl Bound {
    fn new(tracer: Tracer, options: &Options) -> Bound {
        let config = tracer.config();
        let v1 = config.span_attribute_schema.is_v1();
        let service = match (&options.service, config.integrations_use_global_service()) {
            (Some(s), _) => map_service(config, s, "m"),
            (None, false) => map_service(config, COMPONENT, COMPONENT),
            (None, true) => (config.service.clone(), None),
        };
        Bound {
            propagator: Propagator::from_config(config),
            obfuscator: QueryObfuscator::from_config(config),
            name: if v1 { SPAN_NAME_V1 } else { SPAN_NAME_V0 },
            service,
            header_tags: HeaderTags::from_config(config),
            tracer,
        }
    }
}

/// `service` after `DD_SERVICE_MAPPING`, with the `_dd.svc_src` it gets.
fn map_service(
    config: &ddtrace_core::Config,
    service: &str,
    source: &'static str,
) -> (Str, Option<&'static str>) {
    match config
        .service_mapping
        .iter()
        .find(|(from, _)| from == service)
    {
        Some((_, to)) => (Str::shared(to), Some("opt.service_mapping")),
        None => (Str::shared(service), Some(source)),
    }
}

impl DdTraceMiddleware {
    /// A middleware that traces with `tracer`.
    pub fn new(tracer: Tracer) -> Self {
        Self::builder(tracer).build()
    }

    /// A middleware that traces with the global tracer (the one `ddtrace::init()` installs).
    pub fn global() -> Self {
        Self::global_builder().build()
    }

    /// A builder for a middleware that traces with `tracer`.
    pub fn builder(tracer: Tracer) -> DdTraceMiddlewareBuilder {
        DdTraceMiddlewareBuilder {
            tracer: Some(tracer),
            options: Options {
                distributed_tracing: true,
                ..Options::default()
            },
        }
    }

    /// A builder for a middleware that traces with the global tracer.
    pub fn global_builder() -> DdTraceMiddlewareBuilder {
        DdTraceMiddlewareBuilder {
            tracer: None,
            options: Options {
                distributed_tracing: true,
                ..Options::default()
            },
        }
    }

    fn bound(&self) -> Option<&Bound> {
        let bound = match &self.inner.source {
            Source::Fixed(b) => b,
            Source::Global(cell) => match cell.get() {
                Some(b) => b,
                None => {
                    let tracer = ddtrace_core::global_tracer()?;
                    cell.get_or_init(|| Bound::new(tracer.clone(), &self.inner.options))
                }
            },
        };
        bound.tracer.is_enabled().then_some(bound)
    }
}

/// Configures a [`DdTraceMiddleware`].
///
/// ```
/// use ddtrace_http::DdTraceMiddleware;
///
/// let middleware = DdTraceMiddleware::global_builder()
///     .split_by_domain(true) // service = the host called
///     .build();
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the middleware"]
pub struct DdTraceMiddlewareBuilder {
    tracer: Option<Tracer>,
    options: Options,
}

impl DdTraceMiddlewareBuilder {
    /// Names each span's service after the host called (`host`, or `host:port` when the URL
    /// gives a port), with `_dd.svc_src=opt.split_by_domain`; the Python tracer's
    /// `split_by_domain` (`DD_REQUESTS_SPLIT_BY_DOMAIN`). Off by default.
    pub fn split_by_domain(mut self, enabled: bool) -> Self {
        self.options.split_by_domain = enabled;
        self
    }

    /// Whether the trace context is written into outgoing headers; the Python tracer's
    /// `distributed_tracing` (`DD_REQUESTS_DISTRIBUTED_TRACING`). On by default.
    pub fn distributed_tracing(mut self, enabled: bool) -> Self {
        self.options.distributed_tracing = enabled;
        self
    }

    /// The service of the client spans instead of the default (`reqwest` under schema v0,
    /// `DD_SERVICE` under v1); split-by-domain still wins.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.options.service = Some(service.into());
        self
    }

    /// The middleware.
    pub fn build(self) -> DdTraceMiddleware {
        let source = match self.tracer {
            Some(tracer) => Source::Fixed(Bound::new(tracer, &self.options)),
            None => Source::Global(OnceLock::new()),
        };
        DdTraceMiddleware {
            inner: Arc::new(Inner {
                source,
                options: self.options,
            }),
        }
    }
}

/// How many attempts of this request this middleware has seen; kept in the request's
/// extensions, which reqwest-retry hands to every attempt.
#[derive(Clone, Copy)]
struct Attempts(u32);

#[async_trait]
impl Middleware for DdTraceMiddleware {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let Some(bound) = self.bound() else {
            return next.run(req, extensions).await;
        };
        let resends = extensions.get::<Attempts>().map_or(0, |a| a.0);
        extensions.insert(Attempts(resends.saturating_add(1)));

        let span = self.start_span(bound, &req, resends);
        if self.inner.options.distributed_tracing {
            // Takes the sampling decision first, so downstream gets the final priority.
            bound.propagator.inject(&span, req.headers_mut());
        }

        let handle = span.handle();
        async move {
            let result = next.run(req, extensions).await;
            finish(&handle, bound, &result);
            result
        }
        .instrument(span)
        .await
    }
}

impl DdTraceMiddleware {
    /// Starts the request's span, not active yet, with every tag known before sending.
    fn start_span(&self, bound: &Bound, req: &Request, resends: u32) -> Span {
        let target = Target::new(req.url(), &bound.obfuscator);
        let method = method_tag(req.method().as_str());
        let span = bound
            .tracer
            .trace(bound.name)
            .resource(format!("{method} {}", target.path))
            .span_type("http")
            .start_detached();
        let domain = if self.inner.options.split_by_domain {
            target.domain()
        } else {
            None
        };
        let (service, source) = match domain {
            Some(domain) => (Str::from(domain), Some("opt.split_by_domain")),
            None => (bound.service.0.clone(), bound.service.1),
        };
        span.set_service(service);
        if let Some(source) = source {
            span.set_tag("_dd.svc_src", source);
        }
        span.set_tag("component", COMPONENT);
        span.set_tag("span.kind", "client");
        span.set_metric("_dd.measured", 1.0);
        span.set_tag("http.method", method);
        if let Some(host) = target.host {
            span.set_tag("out.host", host.to_owned());
        }
        if let Some(port) = target.port {
            span.set_metric("network.destination.port", f64::from(port));
        }
        if resends > 0 {
            span.set_metric(RESEND_COUNT, f64::from(resends));
        }
        if let Some(ua) = req.headers().get(http::header::USER_AGENT)
            && let Ok(ua) = ua.to_str()
        {
            span.set_tag("http.useragent", ua.to_owned());
        }
        if !bound.header_tags.is_empty() {
            bound
                .header_tags
                .record(&span, HeaderSide::Request, req.headers());
        }
        span.set_tag("http.url", target.url);
        span
    }
}

/// Records the outcome on the span, which is still open.
fn finish(span: &SpanRef, bound: &Bound, result: &Result<Response>) {
    let config = bound.tracer.config();
    match result {
        Ok(response) => {
            let status = response.status().as_u16();
            span.set_tag("http.status_code", i64::from(status));
            if config.is_client_error_status(status) {
                span.set_error_flag(true);
            }
            if !bound.header_tags.is_empty() {
                bound
                    .header_tags
                    .record(span, HeaderSide::Response, response.headers());
            }
        }
        Err(error) => {
            // Read back rather than kept: only failed requests need it.
            let http_url = span.meta("http.url").unwrap_or_default();
            crate::error::record(span, error, &http_url);
        }
    }
    apply_peer_service(span, config);
}

/// The `http.method` tag, in upper case as the Python tracer writes it; the standard methods
/// without allocating.
fn method_tag(method: &str) -> Str {
    const STANDARD: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().find(|m| **m == method) {
        Some(m) => Str::from_static(m),
        None => Str::from(method.to_ascii_uppercase()),
    }
}
