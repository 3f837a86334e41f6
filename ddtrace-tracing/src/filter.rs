//! The default choice of `tracing` spans and events that reach Datadog.

use tracing_subscriber::filter::{LevelFilter, Targets};

/// The filter a [`DatadogLayer`](crate::DatadogLayer) starts with, for spans and for events:
/// INFO and above, from every target.
///
/// `#[tracing::instrument]` makes INFO spans and applications name their own work with
/// `info_span!`, so these are kept. Libraries describe their internals at DEBUG and TRACE
/// (hyper, h2, tower, tonic's transport, tokio's task spans): one request can open dozens of
/// those, which would bury the application's spans and cost a Datadog span each. A library
/// whose DEBUG spans are wanted is added by target, e.g. `tower_http=debug`.
pub fn default_filter() -> Targets {
    Targets::new().with_default(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_core::Level;

    #[test]
    fn the_default_keeps_info_and_above_from_every_target() {
        let f = default_filter();
        assert!(f.would_enable("my_app::orders", &Level::INFO));
        assert!(f.would_enable("hyper::proto", &Level::ERROR));
        assert!(!f.would_enable("hyper::proto", &Level::DEBUG));
        assert!(!f.would_enable("h2::codec", &Level::TRACE));
    }
}
