//! Sending one cycle's chunks to the agent: split into payloads under the size limit, each
//! sent with retries and jittered backoff, a fall back from v0.5 to v0.4 when the agent lacks
//! it, and the agent's answer applied; what happened to each payload is counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ddtrace_core::export::TraceChunk;
use ddtrace_core::sampling::AgentRates;
use ddtrace_core::{ApiVersion, Config, RateLimitedLog};
use http::{HeaderMap, Method};

use crate::control::{Shared, after};
use crate::drop_reason::DropReason;
use crate::encode::{Payload, split, traces_path};
use crate::headers::{base_headers, trace_headers};
use crate::health::{AgentHealth, REMINDER_INTERVAL};
use crate::info::fetch_info;
use crate::response::{handle_answer, snippet};
use crate::stats::add;
use crate::transport::Client;

/// Retries after the first attempt, for connection errors, timeouts and 5xx.
const MAX_RETRIES: u32 = 3;
/// First wait before a retry; doubled each time, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(100);

/// What happened to one payload.
enum Outcome {
    Sent,
    Dropped(DropReason),
    /// The agent could not be reached; the chunks may be kept for a later attempt.
    Unreachable,
    /// The agent has no `/v0.5/traces`: send the same chunks as v0.4.
    Downgrade,
}

/// What one send cycle did: traces delivered, traces dropped and the first reason.
#[derive(Default)]
pub(crate) struct Cycle {
    pub(crate) sent: u64,
    pub(crate) dropped: u64,
    pub(crate) reason: Option<DropReason>,
}

impl Cycle {
    pub(crate) fn drop(&mut self, reason: DropReason, traces: u64) {
        self.dropped += traces;
        self.reason.get_or_insert(reason);
    }
}

/// The agent's client and what sending to it needs: headers, the API version in use (which
/// can fall back to v0.4 once), the agent's health and the rate limits of the messages.
pub(crate) struct Sender {
    shared: Arc<Shared>,
    client: Client,
    headers: HeaderMap,
    api: ApiVersion,
    max_payload: usize,
    agent_rates: Arc<AgentRates>,
    health: AgentHealth,
    url: String,
    /// Chunks the agent could not be reached for are handed back to be kept (an outage
    /// retention is configured), rather than dropped.
    keep_unreachable: bool,
    rejected_log: RateLimitedLog,
    server_error_log: RateLimitedLog,
    bad_response_log: RateLimitedLog,
    too_large_log: RateLimitedLog,
}

impl Sender {
    pub(crate) fn new(config: &Config, shared: Arc<Shared>, agent_rates: Arc<AgentRates>) -> Self {
        let url = config.agent_url.to_string();
        let client = Client::new(
            config.agent_url.clone(),
            config.agent_timeout,
            config.writer_reuse_connections,
        );
        let (headers, invalid) = base_headers(&config.agent_extra_headers);
        for (name, reason) in invalid {
            ddtrace_core::diag_warn!("ddtrace: ignoring the extra agent header {name:?}: {reason}");
        }
        Sender {
            shared,
            client,
            headers,
            api: config.api_version,
            max_payload: config.writer_max_payload_size_bytes,
            agent_rates,
            health: AgentHealth::new(url.clone(), REMINDER_INTERVAL),
            url,
            keep_unreachable: !config.writer_outage_retention.is_zero(),
            rejected_log: RateLimitedLog::new(REMINDER_INTERVAL),
            server_error_log: RateLimitedLog::new(REMINDER_INTERVAL),
            bad_response_log: RateLimitedLog::new(REMINDER_INTERVAL),
            too_large_log: RateLimitedLog::new(REMINDER_INTERVAL),
        }
    }

    /// Reports `traces` dropped because they were kept through an outage longer than the
    /// retention (part of the agent's health messages, not a message of its own).
    pub(crate) fn report_expired(&mut self, traces: u64) {
        self.health
            .dropped(traces, &"kept past DD writer outage retention");
    }

    /// Reads `/info` and adapts the API version to what the agent serves.
    pub(crate) async fn refresh_info(&mut self) {
        match fetch_info(&mut self.client, &self.headers).await {
            Ok(info) => {
                let (v05, v04) = (traces_path(ApiVersion::V05), traces_path(ApiVersion::V04));
                if self.api == ApiVersion::V05
                    && !info.endpoints.is_empty()
                    && !info.has_endpoint(v05)
                    && info.has_endpoint(v04)
                {
                    ddtrace_core::diag_info!(
                        "ddtrace: the Datadog Agent at {} does not list {v05}; sending {v04}",
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
        self.shared.shutdown_deadline()
    }

    /// Sends `chunks`; returns the positions of those the agent could not be reached for and
    /// that may be kept (only when a retention is configured).
    pub(crate) async fn send_chunks(
        &mut self,
        chunks: &[TraceChunk],
        cycle: &mut Cycle,
    ) -> Vec<usize> {
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
        let path = traces_path(self.api);
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
            let result = self
                .client
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
                            "ddtrace: the Datadog Agent at {} answered {status} to {path}; \
                             sending {} from now on",
                            self.url,
                            traces_path(ApiVersion::V04)
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
                if transport_failed && self.keep_unreachable && self.deadline().is_none() {
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
}
