//! The agent's answer to a trace payload (`{"rate_by_service": ...}`), read as the writer reads
//! it, then used by the sampler as the next trace would use it; and the agent's `/info`.
#![no_main]

use std::sync::{Arc, OnceLock};

use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, Tracer};
use ddtrace_writer::AgentInfo;
use libfuzzer_sys::fuzz_target;

fn tracer() -> &'static (Tracer, Arc<AgentRates>) {
    static T: OnceLock<(Tracer, Arc<AgentRates>)> = OnceLock::new();
    T.get_or_init(|| {
        ddtrace_fuzz::quiet();
        let config = Config::builder_without_env()
            .service("fuzz")
            .env("prod")
            .build();
        ddtrace_fuzz::tracer(config)
    })
}

fuzz_target!(|data: &[u8]| {
    let (tracer, rates) = tracer();
    // The function the writer applies every answer with.
    let applied = ddtrace_writer::apply_agent_response(data, None, rates);
    if applied.stored.is_some() {
        // Sample with the new table: the agent's key for this service, and others.
        drop(tracer.trace("fuzz.op").start());
        drop(tracer.trace("fuzz.op").service("other").start());
        for key in rates.snapshot().keys() {
            if let Some(rest) = key.strip_prefix("service:") {
                let (service, env) = rest.split_once(",env:").unwrap_or((rest, ""));
                let _ = rates.rate_for(service, env);
                drop(tracer.trace("fuzz.op").service(service.to_owned()).start());
            }
        }
    }
    if let Ok(info) = AgentInfo::from_json(data) {
        let _ = info.has_endpoint(ddtrace_writer::encode::traces_path(ddtrace_core::ApiVersion::V05));
    }
});
