//! An agent outage in the middle of a steady load (issue #13).
//!
//! A fake agent in this process is stopped for a few seconds and started again on the same
//! port while a thread creates traces at a steady rate. Checked: the writer's memory stays
//! under `DD_TRACE_WRITER_BUFFER_SIZE_BYTES`, the application's cost of a trace does not move
//! by orders of magnitude, traces flow again once the agent is back, and every trace created is
//! either acknowledged by the agent or counted as dropped, by reason.
//!
//! CI runs a 3 s outage; `scripts/reliability.sh` runs 30 s (`RELIABILITY_OUTAGE_SECS`).
//! Figures are printed (`--nocapture`) and recorded in RELIABILITY.md.

#[path = "reliability_fake_agent.rs"]
mod fake_agent;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use ddtrace::export::Exporter;
use ddtrace::{Config, Tracer};
use fake_agent::{FakeAgent, memory_kib, percentiles, tracer_with_writer};

const BEFORE: u8 = 0;
const DURING: u8 = 1;
const AFTER: u8 = 2;

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the load thread did, by phase.
#[derive(Default)]
struct Load {
    created: [u64; 3],
    /// Cost of one trace (a root and two children, started and finished) in ns.
    latency: [Vec<u64>; 3],
}

/// Creates `rate` traces a second (three spans each) until `stop`, tagging each with the
/// phase it was created in.
fn steady_load(tracer: &Tracer, rate: u64, phase: &AtomicU8, stop: &AtomicBool) -> Load {
    let mut load = Load::default();
    let start = Instant::now();
    let mut total = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        if total >= due {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let p = phase.load(Ordering::Relaxed) as usize;
        let t0 = Instant::now();
        {
            let root = tracer
                .trace("outage.request")
                .resource("GET /checkout")
                .start();
            root.set_tag("http.method", "GET");
            root.set_tag("http.status_code", 200);
            drop(tracer.trace("outage.db").resource("SELECT 1").start());
            drop(tracer.trace("outage.cache").start());
        }
        load.latency[p].push(t0.elapsed().as_nanos() as u64);
        load.created[p] += 1;
        total += 1;
    }
    load
}

struct Run {
    created: u64,
    created_after_restart: u64,
    delivered_after_restart: u64,
    load: Load,
    stats: ddtrace::writer::WriterStats,
    agent_traces: u64,
    max_buffered_bytes: u64,
    rss_before_kib: u64,
    rss_max_during_kib: u64,
    bytes_per_span: f64,
}

/// One run: `before` s of load with the agent up, `outage` s down, `after` s up again.
fn outage_run(
    buffer_bytes: usize,
    retention: Duration,
    rate: u64,
    before: u64,
    outage: u64,
    after: u64,
) -> Run {
    let mut agent = FakeAgent::start();
    let config = Config::builder_without_env()
        .service("outage")
        .agent_url(agent.url())
        .agent_timeout(Duration::from_secs(1))
        .writer_buffer_size_bytes(buffer_bytes)
        .writer_outage_retention(retention)
        .build();
    let (tracer, writer) = tracer_with_writer(config);
    let tracer = Arc::new(tracer);
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (tracer, phase, stop) = (tracer.clone(), phase.clone(), stop.clone());
        std::thread::spawn(move || steady_load(&tracer, rate, &phase, &stop))
    };

    // Samples the writer's held bytes, the process's memory and the bytes a buffered span takes.
    let mut max_buffered_bytes = 0;
    let mut rss_max_during_kib = 0;
    // Held bytes count the batch in flight too: the smallest ratio seen is the closest to the
    // cost of one buffered span.
    let mut bytes_per_span = f64::MAX;
    let mut sample = |during: bool| {
        let s = writer.stats();
        max_buffered_bytes = max_buffered_bytes.max(s.buffered_bytes);
        if s.buffered_traces > 100 {
            let ratio = s.buffered_bytes as f64 / (3 * s.buffered_traces) as f64;
            bytes_per_span = bytes_per_span.min(ratio);
        }
        if during {
            rss_max_during_kib = rss_max_during_kib.max(memory_kib().0);
        }
    };
    let sleep_sampling = |secs: u64, during: bool, sample: &mut dyn FnMut(bool)| {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            sample(during);
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    sleep_sampling(before, false, &mut sample);
    let rss_before_kib = memory_kib().0;
    assert!(
        agent.traces() > 0,
        "nothing reached the agent before the outage"
    );
    let steady = writer.stats().traces_dropped;
    assert_eq!(
        steady.total(),
        0,
        "dropped with the agent up: the buffer is too small for the load"
    );
    agent.stop();
    phase.store(DURING, Ordering::Relaxed);
    sleep_sampling(outage, true, &mut sample);
    let delivered_before_restart = agent.traces();
    phase.store(AFTER, Ordering::Relaxed);
    agent.restart();
    sleep_sampling(after, false, &mut sample);
    stop.store(true, Ordering::Relaxed);
    let load = load.join().expect("the load thread panicked");

    let shutdown = writer.shutdown(Duration::from_secs(10));
    assert!(
        !matches!(shutdown, Err(ddtrace::export::ExportError::Timeout { .. })),
        "shutdown with the agent up timed out: {shutdown:?}"
    );
    let stats = writer.stats();
    let agent_traces = agent.traces();
    Run {
        created: load.created.iter().sum(),
        created_after_restart: load.created[AFTER as usize],
        delivered_after_restart: agent_traces - delivered_before_restart,
        load,
        stats,
        agent_traces,
        max_buffered_bytes,
        rss_before_kib,
        rss_max_during_kib,
        bytes_per_span,
    }
}

fn report(name: &str, buffer_bytes: usize, outage: u64, run: &mut Run) -> [(u64, u64, u64); 3] {
    let lat = [BEFORE, DURING, AFTER].map(|p| percentiles(&mut run.load.latency[p as usize]));
    let s = &run.stats;
    println!(
        "{name}: buffer {buffer_bytes} B, outage {outage} s\n  \
         created {} (before {}, during {}, after {})\n  \
         agent acknowledged {} traces; writer: sent {}, dropped {:?}\n  \
         after the restart: created {}, delivered {}\n  \
         held bytes max {} (bound {buffer_bytes}); estimated bytes per buffered span {:.0}\n  \
         VmRSS before the outage {} KiB, max during {} KiB (+{} KiB), VmHWM {} KiB\n  \
         trace cost p50/p99/max in us: before {:?}, during {:?}, after {:?}",
        run.created,
        run.load.created[0],
        run.load.created[1],
        run.load.created[2],
        run.agent_traces,
        s.traces_sent,
        s.traces_dropped,
        run.created_after_restart,
        run.delivered_after_restart,
        run.max_buffered_bytes,
        run.bytes_per_span,
        run.rss_before_kib,
        run.rss_max_during_kib,
        run.rss_max_during_kib.saturating_sub(run.rss_before_kib),
        memory_kib().1,
        us(lat[0]),
        us(lat[1]),
        us(lat[2]),
    );
    lat
}

fn us((a, b, c): (u64, u64, u64)) -> (u64, u64, u64) {
    (a / 1000, b / 1000, c / 1000)
}

#[test]
fn outage_keeps_memory_bounded_latency_flat_and_counts_every_trace() {
    let outage = env_secs("RELIABILITY_OUTAGE_SECS", 3);
    let rate = env_secs("RELIABILITY_TRACES_PER_SEC", 500);
    // Holds the steady state (about 1.3 MB a second at 500 traces/s) with room for the writer's
    // thread to be late by a second on a loaded machine. During the outage the held bytes peak
    // near 2.1 MB (a payload in retry and the traces that come meanwhile); with 2 MiB the bound
    // is reached too (RELIABILITY.md).
    let buffer = 3 << 20;
    let mut run = outage_run(buffer, Duration::ZERO, rate, 2, outage, 3);
    let lat = report("outage", buffer, outage, &mut run);
    let s = run.stats.clone();

    // Every trace created is accounted for: acknowledged, or dropped for a stated reason.
    assert_eq!(
        run.created,
        s.traces_sent + s.traces_dropped.total(),
        "created = sent + dropped by reason: {s:?}"
    );
    assert_eq!(
        s.traces_sent, run.agent_traces,
        "the writer's count of sent traces"
    );
    assert_eq!(
        s.traces_dropped.rejected_by_agent + s.traces_dropped.too_large,
        0,
        "{s:?}"
    );
    assert!(
        s.traces_dropped.total() > 0,
        "a {outage} s outage must drop traces: {s:?}"
    );
    assert_eq!(
        s.buffered_traces, 0,
        "nothing left behind after shutdown: {s:?}"
    );

    // Memory: the writer's held bytes never exceed the bound; the process grows by less than
    // the bound plus allocator slack.
    assert!(
        run.max_buffered_bytes <= buffer as u64,
        "held {} > {buffer}",
        run.max_buffered_bytes
    );
    let growth_kib = run.rss_max_during_kib.saturating_sub(run.rss_before_kib);
    assert!(
        growth_kib < (buffer as u64 / 1024) + 32 * 1024,
        "VmRSS grew by {growth_kib} KiB during the outage with a {buffer} B buffer"
    );

    // Traces resume: everything created after the agent came back reached it.
    assert!(
        run.delivered_after_restart >= run.created_after_restart,
        "after the restart {} created, only {} delivered",
        run.created_after_restart,
        run.delivered_after_restart
    );

    // The application's cost of a trace: never blocks on the agent. Orders of magnitude only,
    // the machine is shared; the measured figures are printed above and in RELIABILITY.md.
    let (_, p99_before, _) = lat[BEFORE as usize];
    let (_, p99_during, max_during) = lat[DURING as usize];
    assert!(
        p99_during < (100 * p99_before).max(20_000_000),
        "p99 during the outage {p99_during} ns vs {p99_before} ns before"
    );
    assert!(
        max_during < 1_000_000_000,
        "a trace took {max_during} ns during the outage: the application blocked"
    );
}

/// What a larger buffer buys through an outage: with a buffer that holds the whole outage's
/// traces (bytes per span × spans/s × outage seconds), nothing should be lost.
///
/// This needs `Config::writer_outage_retention`: by default (as in the Python tracer) the
/// writer drops a payload after its three retries (about 0.7 s), whatever room the buffer has.
#[test]
fn a_buffer_sized_for_the_outage_keeps_every_trace() {
    let outage = env_secs("RELIABILITY_OUTAGE_SECS", 3);
    let rate = 200;
    // ~850 bytes per buffered span (measured above) × 3 spans × rate × (outage + 1 interval),
    // twice over.
    let buffer = 2 * 850 * 3 * rate as usize * (outage as usize + 2);
    let retention = Duration::from_secs(outage + 30);
    // Two seconds before the outage: the first flush comes after one interval (1 s).
    let mut run = outage_run(buffer, retention, rate, 2, outage, 3);
    report("outage with a sized buffer", buffer, outage, &mut run);
    let s = &run.stats;
    assert_eq!(run.created, s.traces_sent + s.traces_dropped.total());
    assert_eq!(
        s.traces_dropped.total(),
        0,
        "dropped through the outage: {s:?}"
    );
    assert_eq!(run.agent_traces, run.created);
}

/// With a buffer smaller than `DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES` (20 MiB by default), the
/// writer sends only once per interval: a load that fills the buffer within one interval is
/// dropped as "buffer full" although the agent is up.
///
/// Fails today: `Buffer::new` (ddtrace-writer/src/buffer.rs) wakes the writer early when the
/// pending bytes reach `max_payload`, never before; waking it at `max_payload.min(capacity / 2)`
/// would send before the buffer fills. See RELIABILITY.md.
#[test]
fn a_small_buffer_is_flushed_before_it_fills() {
    let agent = FakeAgent::start();
    let config = Config::builder_without_env()
        .service("small-buffer")
        .agent_url(agent.url())
        .writer_buffer_size_bytes(1 << 20)
        .build();
    let (tracer, writer) = tracer_with_writer(config);
    let stop = AtomicBool::new(false);
    let phase = AtomicU8::new(BEFORE);
    let load = std::thread::scope(|s| {
        let load = s.spawn(|| steady_load(&tracer, 2000, &phase, &stop));
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        load.join().expect("the load thread panicked")
    });
    writer.shutdown(Duration::from_secs(10)).ok();
    let s = writer.stats();
    println!("small buffer: created {}, {s:?}", load.created[0]);
    assert_eq!(
        s.traces_dropped.total(),
        0,
        "dropped with the agent up: {s:?}"
    );
    assert_eq!(agent.traces(), load.created[0]);
}

/// The fake agent itself: an outage must look like one to the writer.
mod fake_agent_checks {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use super::fake_agent::{FakeAgent, wait_until};

    fn post(port: u16) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.write_all(
            b"POST /v0.5/traces HTTP/1.1\r\nHost: x\r\nX-Datadog-Trace-Count: 3\r\nContent-Length: 2\r\n\r\nab",
        )?;
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    #[test]
    fn counts_payloads_and_refuses_connections_while_stopped() {
        let mut agent = FakeAgent::start();
        assert!(post(agent.port).unwrap().contains("rate_by_service"));
        assert_eq!((agent.traces(), agent.payloads()), (3, 1));
        agent.stop();
        assert!(
            post(agent.port).is_err(),
            "a stopped agent must refuse connections"
        );
        agent.restart();
        assert!(post(agent.port).unwrap().starts_with("HTTP/1.1 200"));
        assert_eq!(agent.traces(), 6);
    }

    #[test]
    fn stop_cuts_kept_alive_connections() {
        let mut agent = FakeAgent::start();
        let mut s = TcpStream::connect(("127.0.0.1", agent.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 512];
        assert!(s.read(&mut buf).unwrap() > 0);
        assert!(wait_until(Duration::from_secs(5), || agent
            .open_connections()
            > 0));
        agent.stop();
        // The server side is shut: reading reaches the end of the stream (or a reset), rather
        // than timing out.
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("the connection stayed open after stop: {e}"),
            }
        }
    }
}
