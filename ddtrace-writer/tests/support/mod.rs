//! Shared by the integration tests: the test agent's session API, an in-process fake agent
//! (TCP or Unix socket), a log capture and a tracer wired to an [`AgentWriter`].
#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ddtrace_core::export::{Exporter, InMemoryExporter, TraceChunk};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{Config, Tracer};
use ddtrace_writer::AgentWriter;

// ---------------------------------------------------------------------------------------
// The real test agent: sessions come from the workspace's shared test support.

#[allow(unused_imports)] // each test binary uses a different part
pub use ddtrace_test_support::{Session, get, test_agent_url, unique_token};

// ---------------------------------------------------------------------------------------
// A tracer whose exporter is an AgentWriter (and a copy of every chunk for comparisons)

/// Keeps a copy of every chunk, then hands it to the writer.
pub struct Tee {
    pub copy: InMemoryExporter,
    pub writer: Arc<AgentWriter>,
}

impl Exporter for Tee {
    fn export(&self, chunk: TraceChunk) {
        self.copy.export(chunk.clone());
        self.writer.export(chunk);
    }
    fn flush(&self, timeout: Duration) -> Result<(), ddtrace_core::export::ExportError> {
        self.writer.flush(timeout)
    }
    fn shutdown(&self, timeout: Duration) -> Result<(), ddtrace_core::export::ExportError> {
        self.writer.shutdown(timeout)
    }
}

pub struct Traced {
    pub tracer: Tracer,
    pub writer: Arc<AgentWriter>,
    pub copy: InMemoryExporter,
    pub rates: Arc<AgentRates>,
}

pub fn traced(config: Config) -> Traced {
    let rates = Arc::new(AgentRates::new());
    let writer = Arc::new(AgentWriter::new(&config, rates.clone()));
    let copy = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(config)
        .agent_rates(rates.clone())
        .exporter(Tee {
            copy: copy.clone(),
            writer: writer.clone(),
        })
        .build();
    Traced {
        tracer,
        writer,
        copy,
        rates,
    }
}

// ---------------------------------------------------------------------------------------
// Log capture

#[derive(Debug, Clone)]
pub struct Record {
    pub level: log::Level,
    pub message: String,
}

struct Capture(Mutex<Vec<Record>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record.target().starts_with("ddtrace") {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Record {
                    level: record.level(),
                    message: record.args().to_string(),
                });
        }
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(c);
        log::set_max_level(log::LevelFilter::Debug);
        c
    })
}

/// Starts capturing the writer's logs (call before creating the writer).
pub fn capture_logs() {
    capture();
}

/// Captured records (warn and above) that mention `needle` (tests use their own agent URL,
/// so parallel tests do not see each other's lines).
pub fn logs_mentioning(needle: &str) -> Vec<Record> {
    capture()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|r| r.level <= log::Level::Warn && r.message.contains(needle))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------
// A fake agent

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the fake agent does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answers `status` with `body` after `delay`.
    Answer {
        status: u16,
        body: String,
        delay: Duration,
    },
    /// Reads the request and never answers (keeps the socket open).
    Hang,
}

impl Reply {
    pub fn ok(body: &str) -> Reply {
        Reply::Answer {
            status: 200,
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Answer {
            status,
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }
}

pub const INFO_BODY: &str = r#"{"version": "fake", "endpoints": ["/v0.4/traces", "/v0.5/traces", "/v0.6/stats"], "client_drop_p0s": false}"#;
pub const RATES_BODY: &str = r#"{"rate_by_service": {"service:,env:": 1.0}}"#;

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// An agent in a thread of this process. `handler` gets each request and the number of
/// trace requests seen before it.
pub struct FakeAgent {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeAgent {
    /// On a free loopback port.
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> FakeAgent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        Self::serve_tcp(listener, Arc::new(handler))
    }

    /// On `port` (for an agent that appears late).
    pub fn start_on(
        port: u16,
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> FakeAgent {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the reserved port");
        Self::serve_tcp(listener, Arc::new(handler))
    }

    /// A standard agent: `/info`, and 200 with rates to traces.
    pub fn healthy() -> FakeAgent {
        Self::start(|r, _| {
            if r.path == "/info" {
                Reply::ok(INFO_BODY)
            } else {
                Reply::ok(RATES_BODY)
            }
        })
    }

    fn serve_tcp(listener: TcpListener, handler: Arc<Handler>) -> FakeAgent {
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, reqs) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve_connection(stream, &*handler, &reqs));
            }
        });
        FakeAgent { url, requests }
    }

    /// On a Unix socket at `path`.
    #[cfg(unix)]
    pub fn start_unix(
        path: &std::path::Path,
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> FakeAgent {
        let _ = std::fs::remove_file(path);
        let listener = std::os::unix::net::UnixListener::bind(path).expect("bind unix socket");
        let handler: Arc<Handler> = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, reqs) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve_connection(stream, &*handler, &reqs));
            }
        });
        FakeAgent {
            url: format!("unix://{}", path.display()),
            requests,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn trace_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/traces"))
            .collect()
    }
}

trait Stream: Read + Write {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>>;
}

impl Stream for TcpStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.try_clone()?))
    }
}

#[cfg(unix)]
impl Stream for std::os::unix::net::UnixStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.try_clone()?))
    }
}

fn serve_connection<S: Stream>(mut stream: S, handler: &Handler, reqs: &Mutex<Vec<Request>>) {
    let Ok(read_half) = stream.try_clone_box() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    loop {
        let Some(req) = read_request(&mut reader) else {
            return;
        };
        let seen = {
            let mut r = reqs.lock().unwrap_or_else(|e| e.into_inner());
            let seen = r.iter().filter(|r| r.path.ends_with("/traces")).count();
            r.push(req.clone());
            seen
        };
        match handler(&req, seen) {
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(3600));
                return;
            }
            Reply::Answer {
                status,
                body,
                delay,
            } => {
                std::thread::sleep(delay);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(resp.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

// ---------------------------------------------------------------------------------------
// Decoding what the writer sent

/// The decoded msgpack body.
pub fn decode(body: &[u8]) -> rmpv::Value {
    let mut r = body;
    let v = rmpv::decode::read_value(&mut r).expect("valid msgpack");
    assert!(r.is_empty(), "trailing bytes after the payload");
    v
}

/// Spans of a v0.4 or v0.5 body as maps of field name -> value (v0.5 strings resolved).
pub fn spans_of(path: &str, body: &[u8]) -> Vec<HashMap<String, rmpv::Value>> {
    let v = decode(body);
    let mut out = Vec::new();
    if path.contains("v0.4") {
        for trace in v.as_array().expect("traces") {
            for span in trace.as_array().expect("spans") {
                let map = span
                    .as_map()
                    .expect("span map")
                    .iter()
                    .map(|(k, v)| (k.as_str().expect("key").to_owned(), v.clone()))
                    .collect();
                out.push(map);
            }
        }
    } else {
        let arr = v.as_array().expect("[table, traces]");
        let table: Vec<String> = arr[0]
            .as_array()
            .expect("table")
            .iter()
            .map(|s| s.as_str().expect("str").to_owned())
            .collect();
        let s = |v: &rmpv::Value| -> rmpv::Value {
            rmpv::Value::from(table[v.as_u64().expect("index") as usize].clone())
        };
        const NAMES: [&str; 12] = [
            "service",
            "name",
            "resource",
            "trace_id",
            "span_id",
            "parent_id",
            "start",
            "duration",
            "error",
            "meta",
            "metrics",
            "type",
        ];
        for trace in arr[1].as_array().expect("traces") {
            for span in trace.as_array().expect("spans") {
                let f = span.as_array().expect("12 fields");
                assert_eq!(f.len(), 12);
                let mut map = HashMap::new();
                for (i, name) in NAMES.iter().enumerate() {
                    let value = match i {
                        0 | 1 | 2 | 11 => s(&f[i]),
                        9 => rmpv::Value::Map(
                            f[9].as_map()
                                .expect("meta")
                                .iter()
                                .map(|(k, v)| (s(k), s(v)))
                                .collect(),
                        ),
                        10 => rmpv::Value::Map(
                            f[10]
                                .as_map()
                                .expect("metrics")
                                .iter()
                                .map(|(k, v)| (s(k), v.clone()))
                                .collect(),
                        ),
                        _ => f[i].clone(),
                    };
                    map.insert(name.to_string(), value);
                }
                out.push(map);
            }
        }
    }
    out
}
