//! [`TracerSource`] and [`PerTracer`]: which tracer an integration reports to, the global one
//! or one given in code, and the settings it works out once from that tracer.

use std::sync::OnceLock;

use crate::tracer::Tracer;

/// The tracer an integration reports to.
///
/// [`Global`](TracerSource::Global) looks the global tracer up on each use, so an integration
/// set up before `ddtrace::init()` reports to the tracer installed later; until then it gets
/// the disabled tracer, which records nothing. The lookup is one atomic load.
///
/// ```
/// use ddtrace_core::Tracer;
/// use ddtrace_core::integration::TracerSource;
///
/// let explicit = TracerSource::Explicit(Tracer::disabled());
/// assert!(!explicit.tracer().is_enabled());
/// assert!(explicit.installed().is_some());
/// assert!(TracerSource::Global.is_global());
/// ```
#[derive(Debug, Clone, Default)]
pub enum TracerSource {
    /// A tracer of the application's (or a test's) own.
    Explicit(Tracer),
    /// [`crate::tracer()`] at the time of each use.
    #[default]
    Global,
}

impl TracerSource {
    /// The tracer: the explicit one, else the global one, else a disabled tracer.
    #[inline]
    pub fn tracer(&self) -> &Tracer {
        match self {
            TracerSource::Explicit(t) => t,
            TracerSource::Global => crate::tracer(),
        }
    }

    /// The tracer if there is one yet: `None` while the global tracer is not installed.
    #[inline]
    pub fn installed(&self) -> Option<&Tracer> {
        match self {
            TracerSource::Explicit(t) => Some(t),
            TracerSource::Global => crate::global_tracer(),
        }
    }

    /// Whether this follows the global tracer.
    pub fn is_global(&self) -> bool {
        matches!(self, TracerSource::Global)
    }
}

impl From<Tracer> for TracerSource {
    fn from(tracer: Tracer) -> Self {
        TracerSource::Explicit(tracer)
    }
}

impl From<Option<Tracer>> for TracerSource {
    /// `None` is the global tracer.
    fn from(tracer: Option<Tracer>) -> Self {
        tracer.map_or(TracerSource::Global, TracerSource::Explicit)
    }
}

/// What an integration works out once from its tracer's configuration (propagator, header
/// tags, span names...), bound to a [`TracerSource`].
///
/// With an explicit tracer the value is built at once. With the global tracer it is built the
/// first time [`get`](PerTracer::get) runs after one is installed, then kept: the global tracer
/// is installed once and never replaced, so the value never goes stale. Reading it afterwards
/// is one atomic load.
///
/// ```
/// use ddtrace_core::Tracer;
/// use ddtrace_core::integration::{PerTracer, TracerSource};
///
/// let names = PerTracer::new(TracerSource::Explicit(Tracer::disabled()), |t| {
///     t.config().service.to_string()
/// });
/// assert!(names.get(|_| unreachable!()).is_some());
/// ```
#[derive(Debug)]
pub struct PerTracer<T> {
    state: State<T>,
}

#[derive(Debug)]
enum State<T> {
    Explicit(T),
    Global(OnceLock<T>),
}

impl<T> PerTracer<T> {
    /// Binds `source`: `bind` runs now for an explicit tracer, later for the global one.
    pub fn new(source: TracerSource, bind: impl FnOnce(Tracer) -> T) -> Self {
        let state = match source {
            TracerSource::Explicit(tracer) => State::Explicit(bind(tracer)),
            TracerSource::Global => State::Global(OnceLock::new()),
        };
        PerTracer { state }
    }

    /// The bound value, built with `bind` from the global tracer on the first call after it
    /// is installed; `None` before that (the integration then passes work through untraced).
    #[inline]
    pub fn get(&self, bind: impl FnOnce(Tracer) -> T) -> Option<&T> {
        match &self.state {
            State::Explicit(value) => Some(value),
            State::Global(cell) => match cell.get() {
                Some(value) => Some(value),
                None => {
                    let tracer = crate::global_tracer()?;
                    Some(cell.get_or_init(|| bind(tracer.clone())))
                }
            },
        }
    }

    /// Whether this follows the global tracer.
    pub fn is_global(&self) -> bool {
        matches!(self.state, State::Global(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn explicit_binds_at_once() {
        let mut bound = 0;
        let per = PerTracer::new(TracerSource::Explicit(Tracer::disabled()), |_| {
            bound += 1;
            7
        });
        assert_eq!(bound, 1);
        assert!(!per.is_global());
        assert_eq!(per.get(|_| 8), Some(&7));
    }

    #[test]
    fn global_waits_for_an_installed_tracer() {
        // No test of this crate's unit tests installs a global tracer.
        let per = PerTracer::new(TracerSource::Global, |_| 1);
        assert!(per.is_global());
        if crate::global_tracer().is_none() {
            assert_eq!(per.get(|_| 1), None);
            assert!(!TracerSource::Global.tracer().is_enabled());
            assert!(TracerSource::Global.installed().is_none());
        }
    }

    #[test]
    fn conversions() {
        let t = Tracer::builder()
            .config(Config::builder_without_env().service("s").build())
            .build();
        assert!(!TracerSource::from(Some(t.clone())).is_global());
        assert!(TracerSource::from(None::<Tracer>).is_global());
        assert_eq!(&*TracerSource::from(t).tracer().config().service, "s");
    }
}
