//! An in-process fake Datadog Agent for the reliability tests: it counts what arrives and can
//! be stopped and started again on the same port, which the real test agent cannot do (an
//! outage). Included by the other `reliability_*` tests with `#[path]`; `reliability_outage.rs`
//! checks the fake itself. (Built on its own too, as every file in `tests/` is: no tests.)
#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the agent answers to `/info`: it serves both trace endpoints.
const INFO: &str = r#"{"version":"fake","endpoints":["/v0.4/traces","/v0.5/traces"]}"#;
/// What it answers to a trace payload.
const RATES: &str = r#"{"rate_by_service":{"service:,env:":1}}"#;

#[derive(Default)]
struct Counts {
    /// Sum of `X-Datadog-Trace-Count` over acknowledged payloads.
    traces: AtomicU64,
    payloads: AtomicU64,
    bytes: AtomicU64,
    /// Whether to keep payload bodies (for tests that decode them).
    keep_bodies: AtomicBool,
    bodies: Mutex<Vec<(String, Vec<u8>)>>,
}

/// A fake agent on `127.0.0.1:port`. Dropping it stops it.
pub struct FakeAgent {
    pub port: u16,
    counts: Arc<Counts>,
    server: Option<Server>,
}

struct Server {
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    /// Open connections, so that a stop also cuts the writer's kept-alive ones.
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl FakeAgent {
    /// Starts on a free port.
    pub fn start() -> FakeAgent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local addr").port();
        let counts = Arc::new(Counts::default());
        let server = Some(serve(listener, counts.clone()));
        FakeAgent {
            port,
            counts,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Keeps every payload body from now on, with its path.
    pub fn keep_bodies(&self) {
        self.counts.keep_bodies.store(true, Ordering::Relaxed);
    }

    pub fn bodies(&self) -> Vec<(String, Vec<u8>)> {
        self.counts.bodies.lock().unwrap().clone()
    }

    /// Traces acknowledged so far (the writer's `X-Datadog-Trace-Count`).
    pub fn traces(&self) -> u64 {
        self.counts.traces.load(Ordering::Relaxed)
    }

    pub fn payloads(&self) -> u64 {
        self.counts.payloads.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.counts.bytes.load(Ordering::Relaxed)
    }

    /// Stops listening and closes every open connection: connecting is refused from now on.
    pub fn stop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        server.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop up so that it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let _ = server.accept.join();
        for conn in server.conns.lock().unwrap().drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port (retrying while the old socket lingers).
    pub fn restart(&mut self) {
        assert!(self.server.is_none(), "the fake agent is running");
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("rebinding port {}: {e}; retrying", self.port);
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        };
        self.server = Some(serve(listener, self.counts.clone()));
    }

    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Connections accepted and not yet seen closed.
    pub fn open_connections(&self) -> usize {
        self.server
            .as_ref()
            .map_or(0, |s| s.conns.lock().unwrap().len())
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(listener: TcpListener, counts: Arc<Counts>) -> Server {
    let stop = Arc::new(AtomicBool::new(false));
    let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let accept = {
        let stop = stop.clone();
        let conns = conns.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(clone) = stream.try_clone() {
                    let mut conns = conns.lock().unwrap();
                    // Forget connections that have closed, so the list stays short.
                    conns.retain(|c| c.peer_addr().is_ok());
                    conns.push(clone);
                }
                let counts = counts.clone();
                let gate = Gate {
                    stop: stop.clone(),
                    conns: conns.clone(),
                };
                std::thread::spawn(move || {
                    let _ = handle(stream, &counts, &gate);
                });
            }
        })
    };
    Server {
        stop,
        accept,
        conns,
    }
}

/// What a connection's handler shares with `FakeAgent::stop`.
struct Gate {
    stop: Arc<AtomicBool>,
    /// Held while a payload is counted and answered, and by `stop` while it cuts connections:
    /// a payload is counted only if its answer was written before the cut. Otherwise a stop
    /// between counting and answering would count a payload the writer saw fail.
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

/// Answers HTTP/1.1 requests on one connection until it closes.
fn handle(stream: TcpStream, counts: &Counts, gate: &Gate) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut length = 0usize;
        let mut trace_count = 0u64;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let v = v.trim();
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("x-datadog-trace-count") {
                    trace_count = v.parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let _answering = gate.conns.lock().unwrap();
        if gate.stop.load(Ordering::SeqCst) {
            // Stopped while the request was read: it is neither counted nor answered.
            let _ = out.shutdown(Shutdown::Both);
            return Ok(());
        }
        let answer = if path.ends_with("/traces") {
            counts.traces.fetch_add(trace_count, Ordering::Relaxed);
            counts.payloads.fetch_add(1, Ordering::Relaxed);
            counts.bytes.fetch_add(length as u64, Ordering::Relaxed);
            if counts.keep_bodies.load(Ordering::Relaxed) {
                counts.bodies.lock().unwrap().push((path, body));
            }
            RATES
        } else if path == "/info" {
            INFO
        } else {
            "{}"
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        out.write_all(response.as_bytes())?;
    }
}

/// VmRSS and VmHWM of this process, in KiB.
pub fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A tracer of its own (not the global one: tests in one binary share a process) wired to an
/// agent writer, as `ddtrace::init_with` wires them.
pub fn tracer_with_writer(
    config: ddtrace::Config,
) -> (ddtrace::Tracer, Arc<ddtrace::writer::AgentWriter>) {
    let rates = Arc::new(ddtrace::sampling::AgentRates::new());
    let writer = Arc::new(ddtrace::writer::AgentWriter::new(&config, rates.clone()));
    let tracer = ddtrace::Tracer::builder()
        .config(config)
        .agent_rates(rates)
        .exporter_arc(writer.clone())
        .build();
    (tracer, writer)
}

/// Percentiles of durations in nanoseconds (sorts `v`): (p50, p99, max).
pub fn percentiles(v: &mut [u64]) -> (u64, u64, u64) {
    if v.is_empty() {
        return (0, 0, 0);
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), v[v.len() - 1])
}
