//! Propagating a trace through something that is not HTTP: here, messages on an in-process
//! queue whose headers are a list of byte pairs (as Kafka's or AMQP's are).
//!
//! ```sh
//! cargo run --example custom_carrier
//! ```
//!
//! The producer injects its span's context into the message headers; the consumer extracts
//! it and continues the same trace. Implementing `Injector` and `Extractor` for a carrier type
//! is all it takes; every propagation style (`datadog`, `tracecontext`, `b3`, `baggage`, as
//! `DD_TRACE_PROPAGATION_STYLE` says) works with it.

use std::sync::mpsc;

use ddtrace::Config;
use ddtrace::propagation::{Extractor, Injector, Propagator};

/// A message as a broker client hands it over: a payload and binary headers.
struct Message {
    headers: Vec<(String, Vec<u8>)>,
    payload: String,
}

impl Injector for Message {
    fn set(&mut self, name: &str, value: String) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_owned(), value.into_bytes()));
    }
}

impl Extractor for Message {
    fn get(&self, name: &str) -> Option<&str> {
        // Header names are case-insensitive for propagation; values must be UTF-8 to count.
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }
}

fn main() {
    let config = Config::from_env();
    let propagator = Propagator::from_config(&config);
    let _guard = ddtrace::init_with_exporter(config, ddtrace::writer::ConsoleExporter::stdout());
    let (queue, consumer) = mpsc::channel::<Message>();

    // Producer: a span per message sent, its context carried in the headers.
    let producer = ddtrace::spawn_thread({
        let propagator = propagator.clone();
        move || {
            for order in ["order-1", "order-2"] {
                let span = ddtrace::tracer()
                    .trace("queue.send")
                    .service("orders")
                    .resource("orders topic")
                    .start();
                span.set_tag("span.kind", "producer");
                let mut msg = Message {
                    headers: Vec::new(),
                    payload: order.to_owned(),
                };
                propagator.inject(&span, &mut msg);
                queue.send(msg).ok();
            }
        }
    });

    // Consumer: continues each message's trace.
    for msg in consumer.iter().take(2) {
        let parent = propagator.extract(&msg);
        let span = ddtrace::tracer()
            .trace("queue.process")
            .service("billing")
            .resource("orders topic")
            .child_of_opt(parent)
            .start();
        span.set_tag("span.kind", "consumer");
        span.set_tag("order.id", msg.payload.clone());
        let headers: Vec<&str> = msg.keys();
        println!("{} arrived with headers {headers:?}", msg.payload);
        drop(span);
    }
    producer.join().ok();
    ddtrace::shutdown().ok();
}
