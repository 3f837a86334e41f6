//! A tiny in-process stand-in for the Datadog Agent: it accepts `/v0.4/traces` and
//! `/v0.5/traces` (and the other endpoints the tracers call), reads and discards the bodies,
//! counts what arrived, and answers as the agent does.
//!
//! One thread per connection, HTTP/1.1 keep-alive, `Content-Length` or chunked bodies. It
//! counts traces from the `X-Datadog-Trace-Count` header and spans by walking the msgpack
//! payload without keeping anything (`serde::de::IgnoredAny`), as the agent has to read it too:
//! the header alone would count a partly dropped trace as a whole one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the sink has received so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Trace payloads (`PUT`/`POST` to a `.../traces` path).
    pub payloads: AtomicU64,
    /// Traces, summed from `X-Datadog-Trace-Count`.
    pub traces: AtomicU64,
    /// Spans in the trace payloads.
    pub spans: AtomicU64,
    /// Trace payloads that could not be decoded.
    pub undecodable: AtomicU64,
    /// Body bytes of trace payloads.
    pub bytes: AtomicU64,
    /// Every request, traces or not (`/info`, telemetry, remote config, stats).
    pub requests: AtomicU64,
}

/// A running sink. Its threads live until the process exits.
#[derive(Debug, Clone)]
pub struct Sink {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

const INFO: &str = r#"{"version":"7.60.0","endpoints":["/v0.4/traces","/v0.5/traces","/v0.6/stats","/v0.7/config","/telemetry/proxy/"],"client_drop_p0s":true,"span_meta_structs":true,"long_running_spans":true}"#;
const RATES: &str = r#"{"rate_by_service":{"service:,env:":1}}"#;

impl Sink {
    /// Binds a free loopback port and starts accepting.
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        std::thread::Builder::new()
            .name("sink-accept".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let c = c.clone();
                    let _ = std::thread::Builder::new()
                        .name("sink-conn".into())
                        .spawn(move || {
                            let _ = serve(stream, &c);
                        });
                }
            })
            .expect("spawn the sink");
        Sink { addr, counters }
    }

    /// `127.0.0.1:PORT`, as tracing-datadog takes it.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`, as the other tracers take it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Traces received so far.
    pub fn traces(&self) -> u64 {
        self.counters.traces.load(Ordering::Relaxed)
    }

    /// Spans received so far.
    pub fn spans(&self) -> u64 {
        self.counters.spans.load(Ordering::Relaxed)
    }
}

fn serve(stream: TcpStream, c: &Counters) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    let mut body = Vec::with_capacity(1 << 20);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request_line = line.trim_end().to_owned();
        if request_line.is_empty() {
            continue;
        }
        let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
        let mut content_length = 0u64;
        let mut chunked = false;
        let mut trace_count = 0u64;
        let mut close = false;
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let Some((name, value)) = h.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("x-datadog-trace-count") {
                trace_count = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        body.clear();
        if chunked {
            read_chunked(&mut r, &mut body)?;
        } else {
            (&mut r).take(content_length).read_to_end(&mut body)?;
        }
        c.requests.fetch_add(1, Ordering::Relaxed);
        let answer = if path.ends_with("/traces") {
            c.payloads.fetch_add(1, Ordering::Relaxed);
            c.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            c.traces.fetch_add(trace_count, Ordering::Relaxed);
            match count_spans(&path, &body) {
                Some(n) => c.spans.fetch_add(n, Ordering::Relaxed),
                None => c.undecodable.fetch_add(1, Ordering::Relaxed),
            };
            RATES
        } else if path == "/info" {
            INFO
        } else {
            "{}"
        };
        write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            answer.len(),
            answer
        )?;
        out.flush()?;
        if close {
            return Ok(());
        }
    }
}

/// Spans in a v0.4 (`[[span, ...], ...]`) or v0.5 (`[strings, [[span, ...], ...]]`) payload,
/// or `None` if it is not one.
///
/// Every byte is walked, as the agent has to read the payload too, but by a msgpack skipper
/// rather than a serde deserializer: with `rmp_serde` and `IgnoredAny` the sink cost more CPU
/// per span than the tracers' writers, and on a 2-core machine it shares the second core with
/// them, so it capped the throughput it was there to measure.
fn count_spans(path: &str, body: &[u8]) -> Option<u64> {
    let mut r = Reader { buf: body, pos: 0 };
    if path.contains("v0.5") {
        if r.array_len()? != 2 {
            return None;
        }
        r.skip(1)?; // the string table
    }
    let mut spans = 0;
    for _ in 0..r.array_len()? {
        let n = r.array_len()?;
        spans += u64::from(n);
        r.skip(u64::from(n))?;
    }
    (r.pos == body.len()).then_some(spans)
}

/// Reads msgpack headers and skips values, checking every length against the buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn be(&mut self, width: usize) -> Option<u64> {
        let bytes = self.buf.get(self.pos..self.pos + width)?;
        self.pos += width;
        Some(bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b)))
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        let end = self.pos.checked_add(usize::try_from(n).ok()?)?;
        (end <= self.buf.len()).then(|| self.pos = end)
    }

    fn array_len(&mut self) -> Option<u32> {
        match self.byte()? {
            b @ 0x90..=0x9f => Some(u32::from(b & 0x0f)),
            0xdc => self.be(2).map(|n| n as u32),
            0xdd => self.be(4).map(|n| n as u32),
            _ => None,
        }
    }

    /// Skips `values` whole values, nested ones included.
    fn skip(&mut self, values: u64) -> Option<()> {
        let mut pending = values;
        while pending > 0 {
            pending -= 1;
            match self.byte()? {
                0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => {}
                b @ 0x80..=0x8f => pending += 2 * u64::from(b & 0x0f),
                b @ 0x90..=0x9f => pending += u64::from(b & 0x0f),
                b @ 0xa0..=0xbf => self.advance(u64::from(b & 0x1f))?,
                0xc4 | 0xd9 => {
                    let n = self.be(1)?;
                    self.advance(n)?
                }
                0xc5 | 0xda => {
                    let n = self.be(2)?;
                    self.advance(n)?
                }
                0xc6 | 0xdb => {
                    let n = self.be(4)?;
                    self.advance(n)?
                }
                0xc7 => {
                    let n = self.be(1)?;
                    self.advance(n + 1)?
                }
                0xc8 => {
                    let n = self.be(2)?;
                    self.advance(n + 1)?
                }
                0xc9 => {
                    let n = self.be(4)?;
                    self.advance(n + 1)?
                }
                0xca => self.advance(4)?,
                0xcb => self.advance(8)?,
                0xcc | 0xd0 => self.advance(1)?,
                0xcd | 0xd1 => self.advance(2)?,
                0xce | 0xd2 => self.advance(4)?,
                0xcf | 0xd3 => self.advance(8)?,
                0xd4 => self.advance(2)?,
                0xd5 => self.advance(3)?,
                0xd6 => self.advance(5)?,
                0xd7 => self.advance(9)?,
                0xd8 => self.advance(17)?,
                0xdc => pending += self.be(2)?,
                0xdd => pending += self.be(4)?,
                0xde => pending += 2 * self.be(2)?,
                0xdf => pending += 2 * self.be(4)?,
                0xc1 => return None,
            }
        }
        Some(())
    }
}

fn read_chunked(r: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let size =
            u64::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(());
                }
            }
        }
        (&mut *r).take(size).read_to_end(body)?;
        line.clear();
        r.read_line(&mut line)?; // the CRLF after the chunk
    }
}

#[cfg(test)]
mod tests {
    use super::count_spans;
    use std::collections::BTreeMap;

    #[test]
    fn counts_agree_with_a_full_decode() {
        // Every msgpack type the skipper knows, nested in spans, encoded by rmp-serde.
        let mut meta = BTreeMap::new();
        meta.insert("k".repeat(40), "v".repeat(300));
        meta.insert("empty".to_string(), String::new());
        let span = (
            "name",
            u64::MAX,
            -5i64,
            -200i64,
            -70_000i64,
            1.5f64,
            2.5f32,
            true,
            (),
            meta,
            serde_bytes_like(70_000),
            vec![0u8; 3],
        );
        let traces = vec![vec![span.clone(); 3], vec![], vec![span.clone(); 20]];
        let v04 = rmp_serde::to_vec(&traces).unwrap();
        assert_eq!(count_spans("/v0.4/traces", &v04), Some(23));
        let strings: Vec<String> = (0..40).map(|i| "s".repeat(i)).collect();
        let v05 = rmp_serde::to_vec(&(strings, &traces)).unwrap();
        assert_eq!(count_spans("/v0.5/traces", &v05), Some(23));
        for cut in [1, 10, v04.len() / 2, v04.len() - 1] {
            assert_eq!(
                count_spans("/v0.4/traces", &v04[..cut]),
                None,
                "cut at {cut}"
            );
        }
        let mut extra = v04.clone();
        extra.push(0xc0);
        assert_eq!(count_spans("/v0.4/traces", &extra), None, "trailing bytes");
    }

    fn serde_bytes_like(n: usize) -> String {
        "x".repeat(n)
    }
}
