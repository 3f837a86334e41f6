//! Log messages that repeat at most once per interval, with a count of what was held back.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nanoseconds on a monotonic clock: a wall-clock step back must not silence messages.
fn monotonic_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    // +1: 0 means "never" below.
    start.elapsed().as_nanos().min(u128::from(u64::MAX - 1)) as u64 + 1
}

/// Lets a message through at most once per interval and counts the ones it held back.
///
/// ```
/// use std::time::Duration;
/// use ddtrace_core::RateLimitedLog;
///
/// static AGENT_DOWN: RateLimitedLog = RateLimitedLog::new(Duration::from_secs(60));
/// if let Some(suppressed) = AGENT_DOWN.check() {
///     log::error!("agent unreachable ({suppressed} similar messages suppressed)");
/// }
/// ```
#[derive(Debug)]
pub struct RateLimitedLog {
    interval_ns: u64,
    /// Time of the last message let through, on [`monotonic_ns`]; 0 = never.
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl RateLimitedLog {
    /// A limiter that lets one message through per `interval`.
    pub const fn new(interval: Duration) -> Self {
        RateLimitedLog {
            interval_ns: interval.as_nanos() as u64,
            last: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a message may be logged now (`n` = messages held back since the last
    /// one); `None` when it must be held back.
    pub fn check(&self) -> Option<u64> {
        let now = monotonic_ns();
        let last = self.last.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < self.interval_ns {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        match self
            .last
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(_) => Some(self.suppressed.swap(0, Ordering::AcqRel)),
            Err(_) => {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_through_per_interval_and_counts_the_rest() {
        let l = RateLimitedLog::new(Duration::from_millis(50));
        assert_eq!(l.check(), Some(0));
        assert_eq!(l.check(), None);
        assert_eq!(l.check(), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(l.check(), Some(2));
    }
}
