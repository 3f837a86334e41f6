//! Shared by the fuzz targets: a discarding logger, a no-op tracer, and a header carrier built
//! from raw fuzzer bytes.

use std::sync::{Arc, Once};

use ddtrace_core::export::NoopExporter;
use ddtrace_core::propagation::{Extractor, Injector};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, Tracer};

struct Discard;

impl log::Log for Discard {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        false
    }
    fn log(&self, _: &log::Record<'_>) {}
    fn flush(&self) {}
}

/// Installs a logger that drops everything, so that the tracer's diagnostics (which go to
/// stderr when no logger is set) do not slow the fuzzer down. The code that formats them
/// still runs for errors.
pub fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = log::set_logger(&Discard);
        log::set_max_level(log::LevelFilter::Error);
    });
}

/// A tracer for `config` that exports nowhere, with the agent rates it samples with.
pub fn tracer(config: Config) -> (Tracer, Arc<AgentRates>) {
    let rates = Arc::new(AgentRates::new());
    let tracer = Tracer::builder()
        .config(config)
        .agent_rates(rates.clone())
        .exporter(NoopExporter)
        .build();
    (tracer, rates)
}

/// Header names the propagators read: a line that starts with a control byte names one of
/// them by index, so the fuzzer reaches the parsers without having to guess the names.
pub const HEADERS: &[&str] = &[
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-sampled",
    "x-b3-flags",
    "x-b3-parentspanid",
    "b3",
    "baggage",
    "ot-baggage-key",
    "X-Datadog-Trace-Id",
    "TraceParent",
];

/// Headers as a list of pairs: repeated names, any case, any UTF-8, as a server may hand them
/// over. Lookups are case-insensitive and return the first value, as [`Extractor`] asks.
#[derive(Debug, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// One header per line: `name:value`, or a control byte `i` then the value of
    /// `HEADERS[i % len]`.
    pub fn from_bytes(data: &[u8]) -> Headers {
        let text = String::from_utf8_lossy(data);
        let mut headers = Vec::new();
        for line in text.split('\n') {
            let bytes = line.as_bytes();
            match bytes.first() {
                Some(&b) if b < 0x20 => {
                    let name = HEADERS[b as usize % HEADERS.len()];
                    headers.push((name.to_owned(), line[1..].to_owned()));
                }
                Some(_) => {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    headers.push((name.to_owned(), value.to_owned()));
                }
                None => {}
            }
        }
        Headers(headers)
    }
}

impl Extractor for Headers {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

impl Injector for Headers {
    fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value));
    }
}
