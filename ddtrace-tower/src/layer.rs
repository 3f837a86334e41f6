//! [`DdTraceLayer`]: the configuration, cheap to clone, that wraps services in
//! [`DdTraceService`].

use std::net::IpAddr;
use std::sync::Arc;

use ddtrace_core::integration::{PerTracer, TracerSource};
use ddtrace_core::{Str, Tracer};
use tower_layer::Layer;

use crate::service::DdTraceService;
use crate::settings::{PeerAddrFn, Resolved, RouteFn, Settings};

/// The default `component` tag, and the prefix of the span name under schema v0.
pub const DEFAULT_COMPONENT: &str = "tower";

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
    settings: Arc<Settings>,
}

impl std::fmt::Debug for DdTraceLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdTraceLayer")
            .field("component", &self.settings.component)
            .field("service", &self.settings.service)
            .finish_non_exhaustive()
    }
}

impl DdTraceLayer {
    /// A layer that traces with `tracer`; the propagation styles, header tags, client IP and
    /// query obfuscation settings are read from its configuration now.
    pub fn new(tracer: Tracer) -> Self {
        Self::with_source(TracerSource::Explicit(tracer))
    }

    /// A layer that traces with the global tracer ([`ddtrace_core::tracer()`]). Requests
    /// handled before a global tracer is installed are passed through untraced; the tracer's
    /// settings are read on the first request after it is.
    pub fn global() -> Self {
        Self::with_source(TracerSource::Global)
    }

    fn with_source(source: TracerSource) -> Self {
        DdTraceLayer {
            settings: Arc::new(Settings {
                resolved: Arc::new(PerTracer::new(source, Resolved::new)),
                component: Str::from_static(DEFAULT_COMPONENT),
                http_name_v0: Str::from_static("tower.request"),
                service: None,
                route: None,
                peer_addr: None,
            }),
        }
    }

    fn update(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        f(Arc::make_mut(&mut self.settings));
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
    /// `DD_TRACE_CLIENT_IP_ENABLED` is on (default: a [`SocketAddr`](std::net::SocketAddr)
    /// extension). With axum's `ConnectInfo`:
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
        DdTraceService::new(inner, self.settings.clone())
    }
}
