//! Inputs the fuzz targets (fuzz/, RELIABILITY.md) found to panic, replayed on every test run.

use std::sync::Arc;
use std::time::Duration;

use ddtrace::Config;
use ddtrace::export::Exporter;

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_lookup(|key| {
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    })
}

/// `config_env`: a number of seconds too large for a `Duration` panicked in
/// `Duration::from_secs_f64` (ddtrace-core/src/config/parse.rs, `parse_seconds`), so one bad
/// variable crashed `ddtrace::init()`. Now refused with a warning, and the default kept.
#[test]
fn seconds_too_large_for_a_duration_fall_back_to_the_default() {
    for value in [
        "99999999999999999999900000000099",
        "1e20",
        "1.8446744073709552e19",
    ] {
        let c = config(&[
            ("DD_TRACE_AGENT_TIMEOUT_SECONDS", value),
            ("DD_TRACE_WRITER_INTERVAL_SECONDS", value),
        ]);
        assert_eq!(c.agent_timeout, Duration::from_secs(2), "{value}");
        assert_eq!(c.writer_interval, Duration::from_secs(1), "{value}");
        assert_eq!(c.warnings.len(), 2, "{value}: {:?}", c.warnings);
    }
}

/// The largest durations that parse still have to be usable: the writer adds them to
/// `Instant::now()` (its shutdown deadline on drop, its flush tick).
///
/// Found while checking the fix above: `Instant + Duration` overflowed and panicked in
/// `AgentWriter`'s `Drop` on the application's thread and on the writer's thread; its
/// deadlines are now computed by `control::after`, which saturates. See RELIABILITY.md ("Found by
/// fuzzing").
#[test]
fn huge_but_valid_seconds_do_not_panic_the_application() {
    let c = config(&[
        ("DD_TRACE_AGENT_URL", "http://127.0.0.1:9"),
        ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "1e19"),
        ("DD_TRACE_WRITER_INTERVAL_SECONDS", "1e19"),
    ]);
    let rates = Arc::new(ddtrace::sampling::AgentRates::new());
    let writer = Arc::new(ddtrace::writer::AgentWriter::new(&c, rates.clone()));
    let tracer = ddtrace::Tracer::builder()
        .config(c)
        .agent_rates(rates)
        .exporter_arc(writer.clone())
        .build();
    drop(tracer.trace("huge.durations").start());
    let _ = writer.flush(Duration::from_millis(100));
    drop(tracer);
    drop(writer); // the writer's Drop sets a deadline of now + the agent timeout
}

/// "Wait as long as it takes" is a natural thing to ask of `flush` and `shutdown`.
///
/// `Instant::now() + timeout` used to panic in `flush` and `shutdown`; they use
/// `control::after`.
#[test]
fn flush_and_shutdown_accept_any_timeout() {
    let c = Config::builder_without_env()
        .agent_url("http://127.0.0.1:9")
        .agent_timeout(Duration::from_millis(100))
        .build();
    let rates = Arc::new(ddtrace::sampling::AgentRates::new());
    let writer = ddtrace::writer::AgentWriter::new(&c, rates);
    let _ = writer.flush(Duration::MAX);
    let _ = writer.shutdown(Duration::MAX);
}

/// CPU time of this process (user + system), from /proc/self/stat, in clock ticks (1/100 s).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

/// `DD_TRACE_WRITER_INTERVAL_SECONDS=0` is accepted; an idle writer must still sleep.
#[test]
fn a_zero_flush_interval_does_not_spin() {
    let c = config(&[
        ("DD_TRACE_AGENT_URL", "http://127.0.0.1:9"),
        ("DD_TRACE_WRITER_INTERVAL_SECONDS", "0"),
    ]);
    assert_eq!(c.writer_interval, Duration::ZERO);
    let rates = Arc::new(ddtrace::sampling::AgentRates::new());
    let writer = ddtrace::writer::AgentWriter::new(&c, rates);
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks() - before;
    let _ = writer.shutdown(Duration::from_millis(100));
    println!("idle writer with a zero interval: {used} ticks of CPU in 1 s");
    assert!(
        used < 50,
        "an idle writer used {used}/100 s of CPU in one second"
    );
}
