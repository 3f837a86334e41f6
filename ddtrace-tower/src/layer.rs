//! [`DdTraceLayer`]: the configuration, cheap to clone, that wraps services in
//! [`DdTraceService`].

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use ddtrace_core::integration::{ClientIp, HeaderTags, QueryObfuscator};
use ddtrace_core::propagation::Propagator;
use ddtrace_core::{Str, Tracer};
use tower_layer::Layer;

use crate::service::DdTraceService;

/// Reads the matched route template (`/users/{id}`) from a request's extensions.
pub(crate) type RouteFn = dyn for<'a> Fn(&'a http::Extensions) -> Option<&'a str> + Send + Sync;
/// Reads the peer's (socket) address from a request's extensions.
pub(crate) type PeerAddrFn = dyn Fn(&http::Extensions) -> Option<IpAddr> + Send + Sync;

/// The default `component` tag, and the prefix of the span name under schema v0.
pub const DEFAULT_COMPONENT: &str = "tower";

/// Everything a request needs that comes from the tracer's configuration, computed once.
pub(crate) struct Resolved {
    pub(crate) tracer: Tracer,
    pub(crate) propagator: Propagator,
    pub(crate) obfuscator: QueryObfuscator,
    pub(crate) header_tags: HeaderTags,
    pub(crate) client_ip: ClientIp,
    pub(crate) schema_v1: bool,
}

impl Resolved {
    fn new(tracer: Tracer) -> Self {
        let config = tracer.config();
        Resolved {
            propagator: Propagator::from_config(config),
            obfuscator: QueryObfuscator::from_config(config),
            header_tags: HeaderTags::from_config(config),
            client_ip: ClientIp::from_config(config),
            schema_v1: config.span_attribute_schema.is_v1(),
            tracer,
        }
    }
}

#[derive(Clone)]
enum Source {
    Explicit(Arc<Resolved>),
    /// The global tracer, looked up on each request until one is installed, then kept.
    Global(Arc<OnceLock<Arc<Resolved>>>),
}

/// The layer's settings, shared by every service it builds.
#[derive(Clone)]
pub(crate) struct Shared {
    source: Source,
    pub(crate) component: Str,
    pub(crate) http_name_v0: Str,
    pub(crate) service: Option<Str>,
    pub(crate) route: Option<Arc<RouteFn>>,
    pub(crate) peer_addr: Option<Arc<PeerAddrFn>>,
}

impl Shared {
    /// The tracer state, or `None` while the global tracer is not installed.
    #[inline]
    pub(crate) fn resolved(&self) -> Option<&Arc<Resolved>> {
        match &self.source {
            Source::Explicit(r) => Some(r),
            Source::Global(cell) => {
                if let Some(r) = cell.get() {
                    return Some(r);
                }
                let tracer = ddtrace_core::global_tracer()?;
                Some(cell.get_or_init(|| Arc::new(Resolved::new(tracer.clone()))))
            }
        }
    }

    /// The peer's address: the configured reader, else a `SocketAddr` extension.
    pub(crate) fn peer_addr(&self, extensions: &http::Extensions) -> Option<IpAddr> {
        match &self.peer_addr {
            Some(f) => f(extensions),
            None => extensions.get::<SocketAddr>().map(SocketAddr::ip),
        }
    }
}

/// A [`Layer`] that traces every request its service handles: one server span per request, in
/// the Datadog Python tracer's shape (see the [crate documentation](crate)).
///
/// Cheap to clone: the settings are shared. Build it once with [`DdTraceLayer::new`] (an
/// explicit tracer) or [`DdTraceLayer::global`] (the tracer `ddtrace::init()` installs), adjust
/// it with the builder methods, and apply it like any tower layer.
///
/// ```
/// use ddtrace_core::Tracer;
/// use ddtrace_tower::DdTraceLayer;
///
/// let layer = DdTraceLayer::new(Tracer::disabled())
///     .component("axum")
///     .service("storefront");
/// let for_another_router = layer.clone(); // shares the settings
/// # let _ = for_another_router;
/// ```
#[derive(Clone)]
pub struct DdTraceLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DdTraceLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdTraceLayer")
            .field("component", &self.shared.component)
            .field("service", &self.shared.service)
            .finish_non_exhaustive()
    }
}

impl DdTraceLayer {
    /// A layer that traces with `tracer`; the propagation styles, header tags, client IP and
    /// query obfuscation settings are read from its configuration now.
    pub fn new(tracer: Tracer) -> Self {
        Self::with_source(Source::Explicit(Arc::new(Resolved::new(tracer))))
    }

    /// A layer that traces with the global tracer ([`ddtrace_core::tracer()`]). Requests
    /// handled before a global tracer is installed are passed through untraced; the tracer's
    /// settings are read on the first request after it is.
    pub fn global() -> Self {
        Self::with_source(Source::Global(Arc::new(OnceLock::new())))
    }

    fn with_source(source: Source) -> Self {
        DdTraceLayer {
            shared: Arc::new(Shared {
                source,
                component: Str::from_static(DEFAULT_COMPONENT),
                http_name_v0: Str::from_static("tower.request"),
                service: None,
                route: None,
                peer_addr: None,
            }),
        }
    }

    fn update(mut self, f: impl FnOnce(&mut Shared)) -> Self {
        f(Arc::make_mut(&mut self.shared));
        self
    }

    /// The `component` tag of HTTP spans (default `tower`), which also names them under schema
    /// v0: `<component>.request`, as the Python tracer names spans after the integration
    /// (`flask.request`, `asgi.request`). Set `"axum"` to get `axum.request`.
    pub fn component(self, component: impl Into<Str>) -> Self {
        let component = component.into();
        self.update(|s| {
            s.http_name_v0 = Str::from(format!("{component}.request"));
            s.component = component;
        })
    }

    /// The service of the server spans (default: the tracer's `DD_SERVICE`, as the Python
    /// tracer's web integrations use it).
    pub fn service(self, service: impl Into<Str>) -> Self {
        let service = service.into();
        self.update(|s| s.service = Some(service))
    }

    /// How to read the matched route template from a request's extensions, for `http.route`
    /// and the resource (`GET /users/{id}`). With axum, where the route is the
    /// `MatchedPath` extension:
    ///
    /// ```
    /// use axum::extract::MatchedPath;
    /// # use ddtrace_core::Tracer;
    /// # use ddtrace_tower::DdTraceLayer;
    /// # let tracer = Tracer::disabled();
    ///
    /// let layer = DdTraceLayer::new(tracer)
    ///     .route(|ext| ext.get::<MatchedPath>().map(MatchedPath::as_str));
    /// ```
    ///
    /// When the layer runs before routing (around a whole router), the route is not known yet:
    /// the handler can report it with [`set_route`](crate::set_route).
    pub fn route<F>(self, f: F) -> Self
    where
        F: for<'a> Fn(&'a http::Extensions) -> Option<&'a str> + Send + Sync + 'static,
    {
        let f: Arc<RouteFn> = Arc::new(f);
        self.update(|s| s.route = Some(f))
    }

    /// How to read the peer's address from a request's extensions, for `http.client_ip` when
    /// `DD_TRACE_CLIENT_IP_ENABLED` is on (default: a [`SocketAddr`] extension). With axum's
    /// `ConnectInfo`:
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use axum::extract::ConnectInfo;
    /// # use ddtrace_core::Tracer;
    /// # use ddtrace_tower::DdTraceLayer;
    /// # let tracer = Tracer::disabled();
    ///
    /// // Serve with `app.into_make_service_with_connect_info::<SocketAddr>()`.
    /// let layer = DdTraceLayer::new(tracer)
    ///     .peer_addr(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
    /// ```
    pub fn peer_addr<F>(self, f: F) -> Self
    where
        F: Fn(&http::Extensions) -> Option<IpAddr> + Send + Sync + 'static,
    {
        let f: Arc<PeerAddrFn> = Arc::new(f);
        self.update(|s| s.peer_addr = Some(f))
    }
}

impl<S> Layer<S> for DdTraceLayer {
    type Service = DdTraceService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DdTraceService::new(inner, self.shared.clone())
    }
}
