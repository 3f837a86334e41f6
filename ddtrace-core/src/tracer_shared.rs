//! [`TracerShared`]: what every span of a tracer reads, kept apart from [`Tracer`](crate::Tracer)
//! so that the span model depends on this data and not on the tracer's API.

use std::sync::Arc;

use crate::config::Config;
use crate::export::Exporter;
use crate::sampling::{AgentRates, Sampler};
use crate::str::Str;

/// What every span of a tracer shares; read-only after the tracer is built.
pub(crate) struct TracerShared {
    pub(crate) config: Config,
    pub(crate) exporter: Arc<dyn Exporter>,
    pub(crate) sampler: Arc<dyn Sampler>,
    pub(crate) agent_rates: Arc<AgentRates>,
    /// `env` and `DD_TAGS`, added to every span when it starts
    /// ([`rules::span_start`](crate::rules::span_start)).
    pub(crate) span_tags: Vec<(Str, Str)>,
    /// `_dd.git.commit.sha` and `_dd.git.repository_url`, built once from the configuration
    /// and added to each chunk's first span ([`rules::chunk`](crate::rules::chunk)).
    pub(crate) git_tags: Vec<(Str, Str)>,
    pub(crate) runtime_id: Str,
    pub(crate) pid: f64,
}
