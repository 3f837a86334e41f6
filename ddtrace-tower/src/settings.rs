//! [`Settings`]: what a [`DdTraceLayer`](crate::DdTraceLayer) was configured with, shared by
//! the services it builds and read by each request's span; [`Resolved`]: what comes from the
//! tracer's configuration, worked out once.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ddtrace_core::integration::{ClientIp, HeaderTags, PerTracer, QueryObfuscator, schema_v1};
use ddtrace_core::propagation::Propagator;
use ddtrace_core::{Str, Tracer};

/// Reads the matched route template (`/users/{id}`) from a request's extensions.
pub(crate) type RouteFn = dyn for<'a> Fn(&'a http::Extensions) -> Option<&'a str> + Send + Sync;
/// Reads the peer's (socket) address from a request's extensions.
pub(crate) type PeerAddrFn = dyn Fn(&http::Extensions) -> Option<IpAddr> + Send + Sync;

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
    pub(crate) fn new(tracer: Tracer) -> Arc<Self> {
        let config = tracer.config();
        Arc::new(Resolved {
            propagator: Propagator::from_config(config),
            obfuscator: QueryObfuscator::from_config(config),
            header_tags: HeaderTags::from_config(config),
            client_ip: ClientIp::from_config(config),
            schema_v1: schema_v1(config),
            tracer,
        })
    }
}

/// The layer's settings, shared by every service it builds.
#[derive(Clone)]
pub(crate) struct Settings {
    /// Shared by the layer's clones, so the global tracer is bound once for all of them.
    pub(crate) resolved: Arc<PerTracer<Arc<Resolved>>>,
    pub(crate) component: Str,
    pub(crate) http_name_v0: Str,
    pub(crate) service: Option<Str>,
    pub(crate) route: Option<Arc<RouteFn>>,
    pub(crate) peer_addr: Option<Arc<PeerAddrFn>>,
}

impl Settings {
    /// The tracer state, or `None` while the global tracer is not installed.
    #[inline]
    pub(crate) fn resolved(&self) -> Option<&Arc<Resolved>> {
        self.resolved.get(Resolved::new)
    }

    /// The peer's address: the configured reader, else a `SocketAddr` extension.
    pub(crate) fn peer_addr(&self, extensions: &http::Extensions) -> Option<IpAddr> {
        match &self.peer_addr {
            Some(f) => f(extensions),
            None => extensions.get::<SocketAddr>().map(SocketAddr::ip),
        }
    }
}
