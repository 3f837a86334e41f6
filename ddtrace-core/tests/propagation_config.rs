//! `Propagator::from_config`: the `DD_TRACE_PROPAGATION_*` variables, their defaults and
//! precedence, as the Python tracer reads them.

use std::collections::HashMap;

use ddtrace_core::Config;
use ddtrace_core::propagation::{PropagationStyle, Propagator};

use PropagationStyle::*;

fn propagator(env: &[(&str, &str)]) -> Propagator {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Propagator::from_config(&Config::from_lookup(|k| env.get(k).cloned()))
}

#[test]
fn defaults_are_datadog_tracecontext_baggage_both_ways() {
    let p = propagator(&[]);
    assert_eq!(p.extract_styles(), [Datadog, TraceContext, Baggage]);
    assert_eq!(p.inject_styles(), [Datadog, TraceContext, Baggage]);
}

#[test]
fn the_general_variable_sets_both_and_the_specific_ones_win() {
    let p = propagator(&[("DD_TRACE_PROPAGATION_STYLE", "b3multi,b3")]);
    assert_eq!(p.extract_styles(), [B3Multi, B3Single]);
    assert_eq!(p.inject_styles(), [B3Multi, B3Single]);

    let p = propagator(&[
        ("DD_TRACE_PROPAGATION_STYLE", "b3"),
        ("DD_TRACE_PROPAGATION_STYLE_INJECT", "datadog"),
    ]);
    assert_eq!(p.extract_styles(), [B3Single]);
    assert_eq!(p.inject_styles(), [Datadog]);

    let p = propagator(&[
        ("DD_TRACE_PROPAGATION_STYLE", "b3"),
        ("DD_TRACE_PROPAGATION_STYLE_EXTRACT", "tracecontext"),
    ]);
    assert_eq!(p.extract_styles(), [TraceContext]);
    assert_eq!(p.inject_styles(), [B3Single]);
}

#[test]
fn none_and_unknown_names_select_nothing() {
    let p = propagator(&[("DD_TRACE_PROPAGATION_STYLE", "none")]);
    assert!(p.extract_styles().is_empty());
    assert!(p.inject_styles().is_empty());

    let p = propagator(&[("DD_TRACE_PROPAGATION_STYLE_EXTRACT", "jaeger, Datadog")]);
    assert_eq!(p.extract_styles(), [Datadog]);

    // Nothing is written with no inject style.
    let mut ctx = ddtrace_core::SpanContext::new(ddtrace_core::TraceId(1), ddtrace_core::SpanId(2));
    let mut out: HashMap<String, String> = HashMap::new();
    propagator(&[("DD_TRACE_PROPAGATION_STYLE_INJECT", "none")]).inject_context(&mut ctx, &mut out);
    assert!(out.is_empty());
}

#[test]
fn ignore_extracts_nothing_not_even_baggage() {
    let p = propagator(&[("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "ignore")]);
    let headers: HashMap<String, String> = [
        ("x-datadog-trace-id", "1"),
        ("x-datadog-parent-id", "2"),
        ("baggage", "k=v"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let ctx = p.extract(&headers).expect("an empty context");
    assert!(!ctx.has_trace_id());
    assert!(ctx.baggage.is_empty());
}

#[test]
fn the_tags_length_limit_and_128_bit_setting_are_taken() {
    let headers: HashMap<String, String> = [
        ("x-datadog-trace-id", "123"),
        ("x-datadog-parent-id", "2"),
        ("x-datadog-tags", "_dd.p.tid=640cfd8d00000000"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let p = propagator(&[("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", "false")]);
    let ctx = p.extract(&headers).expect("a context");
    // The id stays 64-bit; the tag is kept and passed on, so a later hop can still rebuild it.
    assert_eq!(ctx.trace_id.0, 123);
    assert_eq!(ctx.trace_tag("_dd.p.tid"), Some("640cfd8d00000000"));

    let p = propagator(&[("DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH", "10")]);
    let mut ctx = p.extract(&headers).expect("a context");
    let mut out: HashMap<String, String> = HashMap::new();
    p.inject_context(&mut ctx, &mut out);
    assert!(!out.contains_key("x-datadog-tags"));
    assert_eq!(ctx.propagation_error(), Some("inject_max_size"));
}
