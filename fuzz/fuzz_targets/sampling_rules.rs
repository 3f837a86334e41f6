//! `DD_TRACE_SAMPLING_RULES` and `DD_SPAN_SAMPLING_RULES` as a user may write them: read through
//! `Config::from_lookup`, a tracer built from them, and spans sampled by the rules.
//!
//! Input: `rules JSON` [`\0` span-rules JSON [`\0` a name the spans use, so globs can match]].
#![no_main]

use ddtrace_core::Config;
use ddtrace_core::sampling::{SpanSampler, parse_sampling_rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ddtrace_fuzz::quiet();
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let rules = parts.next().unwrap_or("").to_owned();
    let span_rules = parts.next().map_or_else(|| rules.clone(), str::to_owned);
    let subject = parts.next().unwrap_or("web.request").to_owned();

    let _ = parse_sampling_rules(&rules);
    let _ = SpanSampler::parse(&span_rules);

    let config = Config::from_lookup(|key| match key {
        "DD_TRACE_SAMPLING_RULES" => Some(rules.clone()),
        "DD_SPAN_SAMPLING_RULES" => Some(span_rules.clone()),
        "DD_SERVICE" => Some("fuzz".to_owned()),
        "DD_TRACE_RATE_LIMIT" => Some("1000000".to_owned()),
        _ => None,
    });
    let (tracer, _) = ddtrace_fuzz::tracer(config);
    for service in ["fuzz", subject.as_str()] {
        let root = tracer
            .trace(subject.clone())
            .service(service.to_owned())
            .resource(subject.clone())
            .start();
        root.set_tag(subject.clone(), subject.clone());
        root.set_tag("http.status_code", 200);
        let child = tracer.trace("child").child_of_span(&root.handle()).start();
        child.set_tag("tag", subject.clone());
        child.finish();
        root.finish();
    }
});
