//! `Propagator::extract` over arbitrary headers, for each style alone and for combinations,
//! then a span continuing the context and injection of it (what a server does with a request).
#![no_main]

use std::sync::OnceLock;

use ddtrace_core::propagation::{ExtractBehavior, PropagationStyle, Propagator};
use ddtrace_core::{Config, Tracer};
use ddtrace_fuzz::Headers;
use libfuzzer_sys::fuzz_target;

const STYLES: [PropagationStyle; 5] = [
    PropagationStyle::Datadog,
    PropagationStyle::TraceContext,
    PropagationStyle::B3Multi,
    PropagationStyle::B3Single,
    PropagationStyle::Baggage,
];

fn propagators() -> &'static Vec<Propagator> {
    static P: OnceLock<Vec<Propagator>> = OnceLock::new();
    P.get_or_init(|| {
        let mut all: Vec<Propagator> = STYLES
            .iter()
            .map(|s| Propagator::new([*s], STYLES))
            .collect();
        all.push(Propagator::default());
        all.push(Propagator::new(STYLES, STYLES));
        let mut reversed = STYLES;
        reversed.reverse();
        all.push(
            Propagator::builder()
                .extract_styles(reversed)
                .inject_styles(STYLES)
                .extract_first(true)
                .x_datadog_tags_max_length(64)
                .baggage_tag_keys(["*".to_owned()])
                .http_baggage(true)
                .trace_id_128_bit(false)
                .build(),
        );
        all.push(
            Propagator::builder()
                .extract_styles(STYLES)
                .extract_behavior(ExtractBehavior::Restart)
                .x_datadog_tags_max_length(0)
                .build(),
        );
        all
    })
}

fn tracer() -> &'static Tracer {
    static T: OnceLock<Tracer> = OnceLock::new();
    T.get_or_init(|| {
        ddtrace_fuzz::quiet();
        ddtrace_fuzz::tracer(Config::builder_without_env().service("fuzz").build()).0
    })
}

fuzz_target!(|data: &[u8]| {
    let tracer = tracer();
    let headers = Headers::from_bytes(data);
    for propagator in propagators() {
        let Some(mut ctx) = propagator.extract(&headers) else {
            continue;
        };
        let mut out = Headers::default();
        propagator.inject_context(&mut ctx, &mut out);
        let span = tracer.trace("fuzz.request").child_of(ctx).start();
        let mut out = Headers::default();
        propagator.inject(&span.handle(), &mut out);
        span.finish();
    }
});
