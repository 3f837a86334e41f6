//! Leak check (issue #13): a long loop of traces through a real agent writer to a fake agent,
//! then shutdown. In CI the process's memory must stop growing once warm; under valgrind
//! (`scripts/reliability.sh`, 100,000 traces) the report must say "definitely lost: 0 bytes".

#[path = "reliability_fake_agent.rs"]
mod fake_agent;

use std::time::Duration;

use ddtrace::Config;
use ddtrace::export::Exporter;
use fake_agent::{FakeAgent, memory_kib, tracer_with_writer};

#[test]
fn a_long_loop_of_traces_does_not_grow() {
    let traces: u64 = std::env::var("RELIABILITY_LEAK_TRACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_000);
    let agent = FakeAgent::start();
    let config = Config::builder_without_env()
        .service("leak")
        .agent_url(agent.url())
        .writer_interval(Duration::from_millis(100))
        // Under valgrind everything is ~50 times slower: a timeout would resend a payload.
        .agent_timeout(Duration::from_secs(60))
        .build();
    let (tracer, writer) = tracer_with_writer(config);
    let mut rss = Vec::new();
    for i in 0..traces {
        let root = tracer.trace("leak.request").resource("GET /items").start();
        root.set_tag("http.status_code", 200);
        root.set_tag("user.id", format!("user-{i}"));
        let child = tracer.trace("leak.db").start();
        if i % 97 == 0 {
            child.set_error(&std::io::Error::other("timeout"));
        }
        drop(child);
        drop(root);
        if i % 1_000 == 999 {
            // Let the writer keep up, so that what is measured is what stays, not the backlog.
            writer.flush(Duration::from_secs(30)).expect("flush");
            rss.push(memory_kib().0);
        }
    }
    writer
        .shutdown(Duration::from_secs(30))
        .expect("shutdown sends everything");
    let s = writer.stats();
    assert_eq!(agent.traces(), traces);
    assert_eq!((s.traces_sent, s.traces_dropped.total()), (traces, 0));
    drop(tracer);
    drop(writer);
    drop(agent);

    // Warm after the first quarter: from there on, growth must stay within allocator noise.
    let warm = rss[rss.len() / 4];
    let last = *rss.last().expect("samples");
    let peak = *rss.iter().max().expect("samples");
    println!(
        "leak loop: {traces} traces; VmRSS warm {warm} KiB, last {last} KiB, peak {peak} KiB, \
         VmHWM {} KiB",
        memory_kib().1
    );
    assert!(
        last <= warm + 4 * 1024,
        "VmRSS grew from {warm} KiB to {last} KiB over {traces} traces"
    );
}
