//! What the writer tells the application's log about the agent: one clear error when it
//! becomes unreachable, then at most one reminder per interval with the traces dropped since,
//! and one line when it is back. Never silent, never a flood: the lines go through
//! `ddtrace_core`'s diagnostics, which fall back to standard error when the application has
//! installed no logger.

use std::time::{Duration, Instant};

/// How often a still-unreachable agent is mentioned again.
pub(crate) const REMINDER_INTERVAL: Duration = Duration::from_secs(60);

struct Down {
    last_log: Instant,
    dropped_since_log: u64,
    dropped_total: u64,
}

pub(crate) struct AgentHealth {
    url: String,
    interval: Duration,
    down: Option<Down>,
}

impl AgentHealth {
    pub(crate) fn new(url: String, interval: Duration) -> Self {
        AgentHealth {
            url,
            interval,
            down: None,
        }
    }

    /// A request got no answer (`cause` says why). Logs only on the transition to down.
    pub(crate) fn unreachable(&mut self, cause: &dyn std::fmt::Display) {
        if self.down.is_some() {
            return;
        }
        ddtrace_core::diag_error!(
            "ddtrace: cannot reach the Datadog Agent at {url}: {cause}. Traces are dropped \
             until it answers. Check that the agent runs there, or set DD_TRACE_AGENT_URL \
             (or DD_AGENT_HOST and DD_TRACE_AGENT_PORT) to its address.",
            url = self.url
        );
        self.down = Some(Down {
            last_log: Instant::now(),
            dropped_since_log: 0,
            dropped_total: 0,
        });
    }

    /// Traces were dropped because the agent could not be reached.
    pub(crate) fn dropped(&mut self, traces: u64, cause: &dyn std::fmt::Display) {
        let Some(down) = &mut self.down else {
            return;
        };
        down.dropped_since_log += traces;
        down.dropped_total += traces;
        if down.last_log.elapsed() >= self.interval {
            ddtrace_core::diag_error!(
                "ddtrace: the Datadog Agent at {url} is still unreachable ({cause}); \
                 {n} trace(s) dropped since the last message. Set DD_TRACE_AGENT_URL \
                 (or DD_AGENT_HOST and DD_TRACE_AGENT_PORT) if the address is wrong.",
                url = self.url,
                n = down.dropped_since_log
            );
            down.last_log = Instant::now();
            down.dropped_since_log = 0;
        }
    }

    /// The agent answered.
    pub(crate) fn reachable(&mut self) {
        if let Some(down) = self.down.take() {
            ddtrace_core::diag_warn!(
                "ddtrace: the Datadog Agent at {url} answers again; {n} trace(s) were dropped \
                 while it was unreachable.",
                url = self.url,
                n = down.dropped_total
            );
        }
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_on_transitions_and_counts_drops_between_reminders() {
        let mut h = AgentHealth::new("http://x".into(), Duration::ZERO);
        assert!(!h.is_down());
        h.unreachable(&"connection refused");
        h.unreachable(&"connection refused");
        assert!(h.is_down());
        h.dropped(3, &"connection refused");
        assert_eq!(h.down.as_ref().map(|d| d.dropped_since_log), Some(0));
        assert_eq!(h.down.as_ref().map(|d| d.dropped_total), Some(3));
        h.reachable();
        assert!(!h.is_down());
        let mut h = AgentHealth::new("http://x".into(), Duration::from_secs(3600));
        h.unreachable(&"timeout");
        h.dropped(2, &"timeout");
        h.dropped(2, &"timeout");
        assert_eq!(h.down.as_ref().map(|d| d.dropped_since_log), Some(4));
    }
}
