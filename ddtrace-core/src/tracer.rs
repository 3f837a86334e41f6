//! [`Tracer`]: creates spans and hands finished traces to an exporter.

use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use crate::active::active_span;
use crate::config::Config;
use crate::export::{ExportError, Exporter, NoopExporter};
use crate::keys;
use crate::sampling::{AgentRates, DatadogSampler, Sampler};
use crate::span::{SpanBuilder, SpanRef};
use crate::str::Str;
use crate::tracer_shared::TracerShared;

/// Creates spans. Cheap to clone; clones share configuration, sampler and exporter.
///
/// Most programs use the global tracer that `ddtrace::init()` installs, through
/// [`tracer()`](crate::tracer()). Tests and libraries can build their own:
///
/// ```
/// use ddtrace_core::{Config, Tracer, export::InMemoryExporter};
///
/// let exporter = InMemoryExporter::new();
/// let tracer = Tracer::builder()
///     .config(Config::builder_without_env().service("shop").build())
///     .exporter(exporter.clone())
///     .build();
/// {
///     let root = tracer.trace("checkout.process").resource("POST /checkout").start();
///     root.set_tag("user.id", "123");
///     let _child = tracer.trace("db.lookup").start(); // child of the active span
/// }
/// let spans = exporter.spans();
/// assert_eq!(spans.len(), 2);
/// assert_eq!(spans[1].parent_id, spans[0].span_id);
/// ```
#[derive(Clone)]
pub struct Tracer {
    pub(crate) shared: Arc<TracerShared>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("enabled", &self.shared.config.enabled)
            .field("service", &self.shared.config.service)
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// A builder for a tracer.
    pub fn builder() -> TracerBuilder {
        TracerBuilder::default()
    }

    /// A tracer on which every call is a no-op.
    pub fn disabled() -> Tracer {
        Tracer::builder()
            .config(Config::builder_without_env().enabled(false).build())
            .build()
    }

    /// Describes a new span named `name`; call `.start()` on the result.
    #[inline]
    pub fn trace(&self, name: impl Into<Str>) -> SpanBuilder<'_> {
        SpanBuilder::new(&self.shared, name.into())
    }

    /// The span active on the calling thread (or in the current instrumented future), if any.
    pub fn active_span(&self) -> SpanRef {
        active_span()
    }

    /// Whether spans record anything (`DD_TRACE_ENABLED`).
    pub fn is_enabled(&self) -> bool {
        self.shared.config.enabled
    }

    /// The tracer's configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The agent rates table the sampler reads and the writer updates.
    pub fn agent_rates(&self) -> &Arc<AgentRates> {
        &self.shared.agent_rates
    }

    /// Sends every finished trace now, waiting at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        self.shared.exporter.flush(timeout)
    }

    /// Flushes within `timeout` and stops the exporter.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        self.shared.exporter.shutdown(timeout)
    }
}

/// Builds a [`Tracer`].
#[derive(Default)]
pub struct TracerBuilder {
    config: Option<Config>,
    exporter: Option<Arc<dyn Exporter>>,
    sampler: Option<Arc<dyn Sampler>>,
    agent_rates: Option<Arc<AgentRates>>,
}

impl TracerBuilder {
    /// The configuration (default: [`Config::from_env`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Where finished traces go (default: nowhere).
    pub fn exporter(mut self, exporter: impl Exporter) -> Self {
        self.exporter = Some(Arc::new(exporter));
        self
    }

    /// Where finished traces go, as a shared exporter.
    pub fn exporter_arc(mut self, exporter: Arc<dyn Exporter>) -> Self {
        self.exporter = Some(exporter);
        self
    }

    /// The sampler (default: [`DatadogSampler`] reading the agent rates).
    pub fn sampler(mut self, sampler: impl Sampler) -> Self {
        self.sampler = Some(Arc::new(sampler));
        self
    }

    /// The agent-rates table shared with the writer (default: a new one).
    pub fn agent_rates(mut self, rates: Arc<AgentRates>) -> Self {
        self.agent_rates = Some(rates);
        self
    }

    /// Builds the tracer.
    pub fn build(self) -> Tracer {
        let config = self.config.unwrap_or_else(Config::from_env);
        let agent_rates = self.agent_rates.unwrap_or_default();
        let sampler = self
            .sampler
            .unwrap_or_else(|| Arc::new(DatadogSampler::from_config(&config, agent_rates.clone())));
        let mut span_tags = Vec::new();
        if let Some(env) = &config.env {
            span_tags.push((Str::from_static(keys::ENV), env.clone()));
        }
        span_tags.extend(config.tags.iter().cloned());
        let git_tags = crate::rules::chunk::git_tags(&config);
        Tracer {
            shared: Arc::new(TracerShared {
                exporter: self.exporter.unwrap_or_else(|| Arc::new(NoopExporter)),
                sampler,
                agent_rates,
                span_tags,
                git_tags,
                runtime_id: Str::from_static(crate::process::runtime_id()),
                pid: f64::from(crate::process::pid()),
                config,
            }),
        }
    }
}

static GLOBAL: OnceLock<Tracer> = OnceLock::new();
static DISABLED: LazyLock<Tracer> = LazyLock::new(Tracer::disabled);

/// The global tracer: the one installed by [`set_global_tracer`] (which `ddtrace::init()`
/// calls), or a disabled tracer until then.
#[inline]
pub fn tracer() -> &'static Tracer {
    match GLOBAL.get() {
        Some(t) => t,
        None => &DISABLED,
    }
}

/// Installs the global tracer. Returns the tracer back if one was already installed.
pub fn set_global_tracer(tracer: Tracer) -> Result<(), Tracer> {
    GLOBAL.set(tracer)
}

/// The global tracer if one was installed.
pub fn global_tracer() -> Option<&'static Tracer> {
    GLOBAL.get()
}
