//! The writer's own thread: batches what the buffer holds, encodes it, sends it to the agent
//! with retries, and feeds the agent's sampling rates back to the sampler.
//!
//! It runs a current-thread tokio runtime of its own, so the application needs no runtime
//! and its threads never wait on the network.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ddtrace_core::export::{SpanBufferPool, TraceChunk};
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{ApiVersion, Config, RateLimitedLog, Str};
use http::{HeaderMap, Method};

use crate::buffer::Buffer;
use crate::encode::{Payload, split};
use crate::headers::{base_headers, trace_headers};
use crate::health::{AgentHealth, REMINDER_INTERVAL};
use crate::info::{AgentError, AgentInfo, INFO_RETRY, fetch_info};
use crate::keep_rate::KeepRate;
use crate::response::{Rates, parse_rates};
use crate::stats::{Counters, DropReason, add};
use crate::transport::{AgentUrl, Client, Response};
use crate::writer::after;

/// Retries after the first attempt, for connection errors, timeouts and 5xx.
const MAX_RETRIES: u32 = 3;
/// First wait before a retry; doubled each time, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(100);

/// State shared between the application's threads and the writer's thread.
pub(crate) struct Shared {
    pub(crate) buffer: Buffer,
    pub(crate) counters: Counters,
    pub(crate) info: Mutex<Option<AgentInfo>>,
    /// Chunks taken from the buffer and not yet resolved.
    pub(crate) in_flight: AtomicU64,
    control: Mutex<Control>,
    changed: Condvar,
    /// Rate limits for the messages `export()` may log on application threads.
    pub(crate) buffer_full_log: RateLimitedLog,
    /// Span buffers of sent chunks, for the traces the application starts next.
    pub(crate) spare: SpanBufferPool,
}

/// Flush and shutdown requests and their outcome.
#[derive(Default)]
pub(crate) struct Control {
    pub(crate) flush_requested: u64,
    pub(crate) flush_done: u64,
    /// Traces the writer's thread has dropped so far, and the latest reason. A flush
    /// reports the difference between its start and its end, so that traces already in
    /// flight when it was requested count too.
    pub(crate) worker_dropped: u64,
    pub(crate) last_reason: Option<DropReason>,
    pub(crate) shutdown_deadline: Option<Instant>,
    pub(crate) stopped: bool,
}

impl Shared {
    pub(crate) fn new(config: &Config) -> Self {
        Shared {
            buffer: Buffer::new(
                config.writer_buffer_size_bytes,
                config.writer_max_payload_size_bytes,
            ),
            counters: Counters::default(),
            info: Mutex::new(None),
            in_flight: AtomicU64::new(0),
            control: Mutex::new(Control::default()),
            changed: Condvar::new(),
            buffer_full_log: RateLimitedLog::new(REMINDER_INTERVAL),
            // A quarter of the buffer's bound: the buffers of about one send cycle at a
            // steady load, where the bound is sized for bursts and outages.
            spare: SpanBufferPool::new(config.writer_buffer_size_bytes / 4),
        }
    }

    pub(crate) fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds or `deadline` passes; returns the final guard and whether
    /// `done` held.
    pub(crate) fn wait_until(
        &self,
        deadline: Instant,
        done: impl Fn(&Control) -> bool,
    ) -> (MutexGuard<'_, Control>, bool) {
        let mut g = self.control();
        loop {
            if done(&g) {
                return (g, true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (g, false);
            }
            g = match self.changed.wait_timeout(g, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    fn notify(&self) {
        self.changed.notify_all();
    }

    pub(crate) fn mark_stopped(&self) {
        self.buffer.close();
        self.control().stopped = true;
        self.notify();
    }
}

/// Marks the writer stopped however the thread ends, a panic included, so that `flush` and
/// `shutdown` callers stop waiting for it.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        // Whatever is still buffered can no longer be sent.
        let batch = self.0.buffer.drain();
        let spans: usize = batch.chunks.iter().map(|c| c.spans.len()).sum();
        self.0.counters.dropped(
            DropReason::ShutDown,
            batch.chunks.len() as u64,
            spans as u64,
        );
        self.0.buffer.release(batch.bytes);
        self.0.spare.clear();
        self.0.mark_stopped();
    }
}

/// What happened to one payload.
enum Outcome {
    Sent,
    Dropped(DropReason),
    /// The agent could not be reached; the chunks may be kept for a later attempt.
    Unreachable,
    /// The agent has no `/v0.5/traces`: send the same chunks as v0.4.
    Downgrade,
}

/// Traces dropped during one cycle.
#[derive(Default)]
struct Cycle {
    sent: u64,
    dropped: u64,
    reason: Option<DropReason>,
}

impl Cycle {
    fn drop(&mut self, reason: DropReason, traces: u64) {
        self.dropped += traces;
        self.reason.get_or_insert(reason);
    }
}

pub(crate) struct Worker {
    shared: Arc<Shared>,
    client: Result<Client, String>,
    headers: HeaderMap,
    api: ApiVersion,
    max_payload: usize,
    interval: Duration,
    agent_rates: Arc<AgentRates>,
    health: AgentHealth,
    url: String,
    last_info_attempt: Option<Instant>,
    keep_rate: KeepRate,
    rejected_log: RateLimitedLog,
    server_error_log: RateLimitedLog,
    bad_response_log: RateLimitedLog,
    too_large_log: RateLimitedLog,
    /// How long chunks that could not reach the agent are kept (zero: dropped at once).
    retention: Duration,
    /// Chunks kept through an outage, with when they first failed. Their bytes stay held in
    /// the buffer, so the buffer's bound covers them.
    retained: Vec<(TraceChunk, Instant)>,
    retained_bytes: usize,
    /// How many spare span buffers there were at the end of the last cycle that changed
    /// their number, and when: see [`Worker::trim_spare`].
    spare_seen: (usize, Instant),
}

impl Worker {
    pub(crate) fn new(config: &Config, shared: Arc<Shared>, agent_rates: Arc<AgentRates>) -> Self {
        let url = config.agent_url.to_string();
        let client = AgentUrl::parse(&url)
            .map(|u| Client::new(u, config.agent_timeout, config.writer_reuse_connections))
            .map_err(|source| {
                let e = AgentError::InvalidUrl {
                    url: url.clone(),
                    source,
                };
                ddtrace_core::diag_error!("ddtrace: {e}. No trace will be sent.");
                e.to_string()
            });
        let (headers, invalid) = base_headers(&config.agent_extra_headers);
        for (name, reason) in invalid {
            ddtrace_core::diag_warn!("ddtrace: ignoring the extra agent header {name:?}: {reason}");
        }
        Worker {
            shared,
            client,
            headers,
            api: config.api_version,
            max_payload: config.writer_max_payload_size_bytes,
            // A zero interval would spin; a millisecond is as good as "immediately".
            interval: config.writer_interval.max(Duration::from_millis(1)),
            agent_rates,
            health: AgentHealth::new(url.clone(), REMINDER_INTERVAL),
            url,
            last_info_attempt: None,
            keep_rate: KeepRate::default(),
            rejected_log: RateLimitedLog::new(REMINDER_INTERVAL),
            server_error_log: RateLimitedLog::new(REMINDER_INTERVAL),
            bad_response_log: RateLimitedLog::new(REMINDER_INTERVAL),
            too_large_log: RateLimitedLog::new(REMINDER_INTERVAL),
            retention: config.writer_outage_retention,
            retained: Vec::new(),
            retained_bytes: 0,
            spare_seen: (0, Instant::now()),
        }
    }

    /// The thread's body.
    pub(crate) fn run(self) {
        let guard = StopGuard(self.shared.clone());
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(self.serve()),
            Err(e) => {
                ddtrace_core::diag_error!("ddtrace: the trace writer cannot start its runtime: {e}")
            }
        }
        drop(guard);
    }

    async fn serve(mut self) {
        self.refresh_info().await;
        let mut next_tick = after(Instant::now(), self.interval);
        loop {
            let pending = {
                let c = self.shared.control();
                c.flush_requested > c.flush_done || c.shutdown_deadline.is_some()
            };
            if !pending {
                tokio::select! {
                    _ = self.shared.buffer.wake.notified() => {}
                    _ = tokio::time::sleep_until(next_tick.into()) => {}
                }
            }
            let (ticket, shutting_down) = {
                let c = self.shared.control();
                (c.flush_requested, c.shutdown_deadline.is_some())
            };
            let now = Instant::now();
            if now >= next_tick {
                next_tick = after(now, self.interval);
            }
            let cycle = self.send_buffered().await;
            {
                let mut c = self.shared.control();
                c.flush_done = c.flush_done.max(ticket);
                c.worker_dropped += cycle.dropped;
                if cycle.reason.is_some() {
                    c.last_reason = cycle.reason;
                }
            }
            self.shared.notify();
            if shutting_down {
                return;
            }
        }
    }

    /// Reads `/info` and adapts the API version to what the agent serves.
    async fn refresh_info(&mut self) {
        self.last_info_attempt = Some(Instant::now());
        let Ok(client) = &mut self.client else {
            return;
        };
        match fetch_info(client, &self.headers).await {
            Ok(info) => {
                if self.api == ApiVersion::V05
                    && !info.endpoints.is_empty()
                    && !info.has_endpoint("/v0.5/traces")
                    && info.has_endpoint("/v0.4/traces")
                {
                    ddtrace_core::diag_info!(
                        "ddtrace: the Datadog Agent at {} does not list /v0.5/traces; sending /v0.4/traces",
                        self.url
                    );
                    self.api = ApiVersion::V04;
                    add(&self.shared.counters.downgrades, 1);
                }
                *self.shared.info.lock().unwrap_or_else(|e| e.into_inner()) = Some(info);
            }
            // Failures show up again on the first payload, which logs them.
            Err(e) => log::debug!("ddtrace: {e}"),
        }
    }

    /// The shutdown deadline, read afresh so that a shutdown requested during a send also
    /// bounds that send's retries.
    fn deadline(&self) -> Option<Instant> {
        self.shared.control().shutdown_deadline
    }

    fn info_known(&self) -> bool {
        self.shared
            .info
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Sends everything buffered now, and what an outage left over.
    async fn send_buffered(&mut self) -> Cycle {
        let mut cycle = Cycle::default();
        self.trim_spare();
        let batch = self.shared.buffer.drain();
        if batch.chunks.is_empty() && self.retained.is_empty() {
            return cycle;
        }
        // Chunks kept through an outage go first: they are the oldest.
        let carried = std::mem::take(&mut self.retained);
        let held = batch.bytes + std::mem::take(&mut self.retained_bytes);
        let mut first_failed = Vec::with_capacity(carried.len());
        let mut chunks = Vec::with_capacity(carried.len() + batch.chunks.len());
        for (chunk, since) in carried {
            chunks.push(chunk);
            first_failed.push(since);
        }
        chunks.extend(batch.chunks);
        let count = chunks.len();
        self.shared.in_flight.store(count as u64, Ordering::Relaxed);
        let dropped_before = self.shared.counters.dropped_traces_total();
        let kr = self.keep_rate.rate();
        for chunk in &mut chunks {
            if let Some(first) = chunk.spans.first_mut() {
                first.set_metric(Str::from_static("_dd.tracer_kr"), kr);
            }
        }
        let info_due = self
            .last_info_attempt
            .is_none_or(|t| t.elapsed() >= INFO_RETRY);
        if self.deadline().is_none() && info_due && !self.info_known() {
            self.refresh_info().await;
        }
        let unreachable = self.send_chunks(&chunks, &mut cycle).await;
        let kept = self.keep_or_drop(chunks, &first_failed, unreachable, &mut cycle);
        self.spare_seen = (self.shared.spare.len(), Instant::now());
        self.shared.in_flight.store(0, Ordering::Relaxed);
        self.shared.buffer.release(held.saturating_sub(kept));
        let dropped_after = self.shared.counters.dropped_traces_total();
        self.keep_rate
            .record(cycle.sent, dropped_after.saturating_sub(dropped_before));
        if cycle.sent > 0 && !self.info_known() && self.deadline().is_none() {
            // The agent has just come up: learn what it serves.
            self.refresh_info().await;
        }
        cycle
    }

    /// Frees the spare span buffers when no trace has taken one for a whole interval, so that
    /// a service gone idle does not keep the memory of its last burst.
    fn trim_spare(&mut self) {
        let len = self.shared.spare.len();
        let (seen, since) = self.spare_seen;
        if len != seen {
            self.spare_seen = (len, Instant::now());
        } else if len > 0 && since.elapsed() >= self.interval {
            self.shared.spare.clear();
            self.spare_seen = (0, Instant::now());
        }
    }

    /// Keeps the chunks at `unreachable` for the next cycle while they are younger than the
    /// retention, and counts the others as dropped; returns the bytes kept. The span buffers
    /// of the chunks not kept go to the spare pool.
    fn keep_or_drop(
        &mut self,
        chunks: Vec<TraceChunk>,
        first_failed: &[Instant],
        mut unreachable: Vec<usize>,
        cycle: &mut Cycle,
    ) -> usize {
        if unreachable.is_empty() {
            for chunk in chunks {
                self.shared.spare.give(chunk.spans);
            }
            return 0;
        }
        unreachable.sort_unstable();
        let now = Instant::now();
        let mut kept = 0;
        let mut dropped = 0u64;
        let mut next = unreachable.iter().peekable();
        for (i, chunk) in chunks.into_iter().enumerate() {
            if next.peek() != Some(&&i) {
                self.shared.spare.give(chunk.spans);
                continue;
            }
            next.next();
            let since = first_failed.get(i).copied().unwrap_or(now);
            let keep =
                self.deadline().is_none() && now.saturating_duration_since(since) < self.retention;
            if keep {
                kept += crate::buffer::estimated_size(&chunk);
                self.retained.push((chunk, since));
            } else {
                let spans = chunk.spans.len() as u64;
                self.shared
                    .counters
                    .dropped(DropReason::SendFailed, 1, spans);
                cycle.drop(DropReason::SendFailed, 1);
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.health
                .dropped(dropped, &"kept past DD writer outage retention");
        }
        self.retained_bytes = kept;
        kept
    }

    /// Sends `chunks`; returns the positions of those the agent could not be reached for and
    /// that may be kept (only when a retention is configured).
    async fn send_chunks(&mut self, chunks: &[TraceChunk], cycle: &mut Cycle) -> Vec<usize> {
        let mut unreachable = Vec::new();
        let (payloads, too_large) = split(self.api, chunks, 0..chunks.len(), self.max_payload);
        self.drop_too_large(chunks, &too_large, cycle);
        let mut queue: VecDeque<Payload> = payloads.into();
        while let Some(payload) = queue.pop_front() {
            let traces = payload.chunks.len() as u64;
            let spans = payload.spans as u64;
            let past_deadline = self.deadline().is_some_and(|d| Instant::now() >= d);
            let outcome = if past_deadline {
                Outcome::Dropped(DropReason::ShutDown)
            } else {
                self.send_payload(payload.body, traces).await
            };
            match outcome {
                Outcome::Sent => {
                    let c = &self.shared.counters;
                    add(&c.traces_sent, traces);
                    add(&c.spans_sent, spans);
                    add(&c.payloads_sent, 1);
                    cycle.sent += traces;
                }
                Outcome::Dropped(reason) => {
                    self.shared.counters.dropped(reason, traces, spans);
                    cycle.drop(reason, traces);
                }
                Outcome::Unreachable => unreachable.extend(payload.chunks),
                Outcome::Downgrade => {
                    let (again, too_large) =
                        split(self.api, chunks, payload.chunks, self.max_payload);
                    self.drop_too_large(chunks, &too_large, cycle);
                    for p in again.into_iter().rev() {
                        queue.push_front(p);
                    }
                }
            }
        }
        unreachable
    }

    fn drop_too_large(&self, chunks: &[TraceChunk], indices: &[usize], cycle: &mut Cycle) {
        for &i in indices {
            let spans = chunks.get(i).map_or(0, |c| c.spans.len());
            self.shared
                .counters
                .dropped(DropReason::TooLarge, 1, spans as u64);
            cycle.drop(DropReason::TooLarge, 1);
            if let Some(n) = self.too_large_log.check() {
                ddtrace_core::diag_warn!(
                    "ddtrace: dropped a trace of {spans} span(s) larger than \
                     DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES ({} bytes) ({n} similar drops not logged)",
                    self.max_payload
                );
            }
        }
    }

    async fn send_payload(&mut self, body: Vec<u8>, traces: u64) -> Outcome {
        if self.client.is_err() {
            return Outcome::Dropped(DropReason::SendFailed);
        }
        let path = match self.api {
            ApiVersion::V04 => "/v0.4/traces",
            ApiVersion::V05 => "/v0.5/traces",
        };
        let headers = trace_headers(&self.headers, traces as usize);
        let body = Bytes::from(body);
        let shared = self.shared.clone();
        let counters = &shared.counters;
        let mut attempt = 0;
        let mut transport_failed;
        loop {
            transport_failed = false;
            let deadline = self.deadline();
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left.is_some_and(|l| l.is_zero()) {
                return Outcome::Dropped(DropReason::ShutDown);
            }
            let Ok(client) = &mut self.client else {
                return Outcome::Dropped(DropReason::SendFailed);
            };
            let result = client
                .request(Method::POST, path, &headers, body.clone(), left)
                .await;
            let failure = match result {
                Ok(resp) if resp.status.is_success() => {
                    self.health.reachable();
                    handle_answer(
                        &resp,
                        &self.agent_rates,
                        counters,
                        &self.bad_response_log,
                        &self.url,
                    );
                    return Outcome::Sent;
                }
                Ok(resp) => {
                    self.health.reachable();
                    add(&counters.errors, 1);
                    let status = resp.status.as_u16();
                    if matches!(status, 404 | 415) && self.api == ApiVersion::V05 {
                        ddtrace_core::diag_warn!(
                            "ddtrace: the Datadog Agent at {} answered {status} to /v0.5/traces; \
                             sending /v0.4/traces from now on",
                            self.url
                        );
                        self.api = ApiVersion::V04;
                        add(&counters.downgrades, 1);
                        return Outcome::Downgrade;
                    }
                    let text = snippet(&resp.body);
                    if resp.status.is_client_error() {
                        if let Some(n) = self.rejected_log.check() {
                            ddtrace_core::diag_error!(
                                "ddtrace: the Datadog Agent at {url} rejected {traces} trace(s) \
                                 with {status} on {path}: {text}{hint} ({n} similar rejections \
                                 not logged)",
                                url = self.url,
                                hint = if status == 413 {
                                    "; lower DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES"
                                } else {
                                    ""
                                },
                            );
                        }
                        return Outcome::Dropped(DropReason::RejectedByAgent);
                    }
                    format!("answered {status}: {text}")
                }
                Err(e) => {
                    add(&counters.errors, 1);
                    self.health.unreachable(&e);
                    transport_failed = true;
                    e.to_string()
                }
            };
            let wait = backoff(attempt);
            let fits = self
                .deadline()
                .is_none_or(|d| after(Instant::now(), wait) < d);
            if attempt >= MAX_RETRIES || !fits {
                if transport_failed && !self.retention.is_zero() && self.deadline().is_none() {
                    // Kept for the next cycle (within the buffer), not dropped.
                    return Outcome::Unreachable;
                }
                if self.health.is_down() {
                    self.health.dropped(traces, &failure);
                } else if let Some(n) = self.server_error_log.check() {
                    ddtrace_core::diag_error!(
                        "ddtrace: dropped {traces} trace(s): the Datadog Agent at {} {failure} \
                         after {} attempt(s) ({n} similar drops not logged)",
                        self.url,
                        attempt + 1
                    );
                }
                return Outcome::Dropped(DropReason::SendFailed);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
            add(&counters.retries, 1);
        }
    }
}

/// Applies a 2xx answer: the sampler's new rates, or a count and a log line if unreadable.
fn handle_answer(
    resp: &Response,
    agent_rates: &AgentRates,
    counters: &Counters,
    log_limit: &RateLimitedLog,
    url: &str,
) {
    let body = &resp.body[..];
    let parsed = match &resp.body_error {
        Some(e) => Err(format!("the answer could not be read: {e}")),
        None => parse_rates(body).map_err(|e| e.to_string()),
    };
    let problem = match parsed {
        Ok(Rates::Absent) => None,
        Ok(Rates::Table {
            rates,
            invalid_entries,
        }) => {
            agent_rates.update(rates);
            add(&counters.rate_updates, 1);
            (invalid_entries > 0)
                .then(|| format!("{invalid_entries} entries of rate_by_service are not rates"))
        }
        Err(e) => Some(e),
    };
    if let Some(problem) = problem {
        add(&counters.bad_responses, 1);
        if let Some(n) = log_limit.check() {
            ddtrace_core::diag_warn!(
                "ddtrace: unexpected answer from the Datadog Agent at {url}: {problem} \
                 (body: {}) ({n} similar answers not logged)",
                snippet(body)
            );
        }
    }
}

/// The start of an answer body, printable.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.trim().replace(['\n', '\r'], " ")
}

/// 100 ms, 200 ms, 400 ms ... each scaled by a random factor in [0.5, 1.0) so that many
/// processes restarted together do not retry in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE.saturating_mul(1 << attempt.min(10));
    let jitter = 0.5 + (ddtrace_core::id::random_u64() >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
    base.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_jittered() {
        for attempt in 0..4 {
            let d = backoff(attempt);
            let base = BACKOFF_BASE * (1 << attempt);
            assert!(d >= base / 2 && d < base, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn bad_answers_are_counted_and_rates_applied() {
        let rates = AgentRates::new();
        let counters = Counters::default();
        let log = RateLimitedLog::new(Duration::from_secs(60));
        let answer = |body: &'static [u8], body_error: Option<&str>| Response {
            status: http::StatusCode::OK,
            body: Bytes::from_static(body),
            body_error: body_error.map(str::to_owned),
        };
        let good = answer(br#"{"rate_by_service": {"service:a,env:b": 0.25}}"#, None);
        handle_answer(&good, &rates, &counters, &log, "u");
        assert_eq!(rates.rate_for("a", "b"), Some(0.25));
        handle_answer(&answer(b"garbage", None), &rates, &counters, &log, "u");
        handle_answer(
            &answer(b"", Some("length limit exceeded")),
            &rates,
            &counters,
            &log,
            "u",
        );
        assert_eq!(rates.rate_for("a", "b"), Some(0.25));
        let s = counters.snapshot(Default::default(), &SpanBufferPool::new(0));
        assert_eq!((s.rate_updates, s.bad_responses), (1, 2));
    }
}
