//! What every wrapper of one pool shares: the tracer, the service and where the pool connects.

use std::sync::Arc;

use ddtrace_core::integration::TracerSource;
use ddtrace_core::{Str, Tracer};

use crate::database::Endpoint;
use crate::dbm::DbmMode;

/// Settings shared (through an `Arc`) by a traced pool and the connections and transactions
/// taken from it.
#[derive(Debug)]
pub(crate) struct Instrumentation {
    /// The global tracer at the time of each query (so a pool wrapped before
    /// `ddtrace::init()` reports to the tracer installed later), or a given one.
    tracer: TracerSource,
    /// A service set in code; else the integration default (schema v0) or `DD_SERVICE` (v1).
    pub(crate) service: Option<Str>,
    /// `DD_DBM_PROPAGATION_MODE` set in code; else the tracer's configuration.
    pub(crate) dbm_mode: Option<DbmMode>,
    pub(crate) endpoint: Endpoint,
}

impl Instrumentation {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Instrumentation {
            tracer: TracerSource::Global,
            service: None,
            dbm_mode: None,
            endpoint,
        }
    }

    pub(crate) fn tracer(&self) -> &Tracer {
        self.tracer.tracer()
    }

    /// A copy with `f` applied: settings are changed on a wrapper before it is shared.
    pub(crate) fn with(self: &Arc<Self>, f: impl FnOnce(&mut Self)) -> Arc<Self> {
        let mut copy = Instrumentation {
            tracer: self.tracer.clone(),
            service: self.service.clone(),
            dbm_mode: self.dbm_mode,
            endpoint: self.endpoint.clone(),
        };
        f(&mut copy);
        Arc::new(copy)
    }

    pub(crate) fn set_tracer(&mut self, tracer: Tracer) {
        self.tracer = TracerSource::Explicit(tracer);
    }
}
