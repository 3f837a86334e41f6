//! A lock-free token bucket: `DD_TRACE_RATE_LIMIT` for rule-kept traces, and each single-span
//! rule's `max_per_second`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::{self, Instant};

/// The counts kept per window are packed into one word, so a check updates them with one
/// compare-and-swap: window index (24 bits), allowed (20 bits), seen (20 bits). Counts saturate
/// (a million decisions a second per limiter); the window index wraps after 2^24 windows, and
/// a limiter idle for exactly that long (194 days at 1 s) would add to a stale window.
const INDEX_BITS: u32 = 24;
const COUNT_BITS: u32 = 20;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
/// `prev_rate` before any window has ended.
const NO_RATE: u64 = u64::MAX;

/// Allows at most `limit` checks per second in the long run, with bursts of up to `limit`, as
/// the Python tracer's `RateLimiter` does; and reports the share of checks it allowed (its
/// effective rate, written as `_dd.limit_psr`).
///
/// A limit of 0 denies everything; a negative limit allows everything.
///
/// The bucket is kept as a "theoretical arrival time" (the generic cell rate algorithm, which is
/// a token bucket stated differently): each allowed check pushes it one emission interval
/// (`1 s / limit`) into the future, and a check is allowed while that time stays within one
/// second of now, i.e. while at least one whole token is left. It starts full. Both the bucket
/// and the counts are single atomic words updated by compare-and-swap, so concurrent traces
/// never wait on a lock.
///
/// ```
/// use ddtrace_core::sampling::RateLimiter;
///
/// let limiter = RateLimiter::new(2.0);
/// assert!(limiter.is_allowed());
/// assert!(limiter.is_allowed());
/// assert!(!limiter.is_allowed()); // the bucket is empty until time passes
/// assert!((limiter.effective_rate() - 2.0 / 3.0).abs() < 1e-9);
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limit: f64,
    /// ns between two tokens.
    interval_ns: u64,
    /// The bucket's capacity expressed as time: one window.
    window_ns: u64,
    origin: Instant,
    /// Theoretical arrival time, in ns since `origin`.
    tat: AtomicU64,
    /// Packed window index, allowed and seen counts.
    counts: AtomicU64,
    /// The previous window's allowed share (`f64` bits), or [`NO_RATE`].
    prev_rate: AtomicU64,
}

impl RateLimiter {
    /// A limiter allowing `limit` checks per second.
    pub fn new(limit: f64) -> Self {
        Self::with_window(limit, Duration::from_secs(1))
    }

    /// A limiter allowing `limit` checks per `window`.
    pub fn with_window(limit: f64, window: Duration) -> Self {
        let window_ns = (window.as_nanos().min(u128::from(u64::MAX / 4)) as u64).max(1);
        let interval_ns = if limit > 0.0 {
            // An infinite limit gives 0: nothing is ever held back.
            (window_ns as f64 / limit) as u64
        } else {
            0
        };
        RateLimiter {
            limit,
            interval_ns,
            window_ns,
            origin: clock::now(),
            tat: AtomicU64::new(0),
            counts: AtomicU64::new(0),
            prev_rate: AtomicU64::new(NO_RATE),
        }
    }

    /// The configured limit per window.
    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// Takes a token if one is left; counts the check either way.
    pub fn is_allowed(&self) -> bool {
        self.is_allowed_at(self.now())
    }

    /// [`is_allowed`](Self::is_allowed) at `now` ns after the limiter was created.
    pub(crate) fn is_allowed_at(&self, now: u64) -> bool {
        let allowed = self.take(now);
        self.count(allowed, now);
        allowed
    }

    /// Takes a token if one is left, without counting the check for the effective rate (for
    /// single-span rules, which never report it). An unlimited limiter reads no clock.
    pub(crate) fn take_token(&self) -> bool {
        if self.limit < 0.0 {
            return true;
        }
        self.take(self.now())
    }

    fn now(&self) -> u64 {
        // The tracer's clock (the TSC where it is invariant) costs less than `Instant::now`.
        let elapsed = clock::now().saturating_duration_since(self.origin);
        elapsed.as_nanos().min(u128::from(u64::MAX / 4)) as u64
    }

    fn take(&self, now: u64) -> bool {
        if self.limit < 0.0 {
            return true;
        }
        // 0 and NaN: Python's bucket never holds a whole token.
        if self.limit.is_nan() || self.limit == 0.0 {
            return false;
        }
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now).saturating_add(self.interval_ns);
            if next - now > self.window_ns {
                return false;
            }
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(current) => tat = current,
            }
        }
    }

    /// Windows are aligned on multiples of the window since the limiter was created; the Python
    /// tracer starts a window at the first check after the previous one ended. The effective
    /// rate differs only in which checks share a window.
    fn count(&self, allowed: bool, now: u64) {
        let index = (now / self.window_ns) & INDEX_MASK;
        let mut current = self.counts.load(Ordering::Relaxed);
        loop {
            let (cur_index, cur_allowed, cur_seen) = unpack(current);
            let same_window = cur_seen == 0 || cur_index == index;
            let next = if same_window {
                if cur_seen == COUNT_MAX {
                    return;
                }
                pack(index, cur_allowed + u64::from(allowed), cur_seen + 1)
            } else {
                pack(index, u64::from(allowed), 1)
            };
            match self.counts.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if !same_window {
                        // A reader between the swap above and this store sees the window
                        // before last as "previous": a momentary, harmless inexactness.
                        let rate = cur_allowed as f64 / cur_seen as f64;
                        self.prev_rate.store(rate.to_bits(), Ordering::Relaxed);
                    }
                    return;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// The share of checks allowed: this window's, averaged with the previous window's once a
    /// window has ended; 1.0 before any check.
    pub fn effective_rate(&self) -> f64 {
        let (_, allowed, seen) = unpack(self.counts.load(Ordering::Relaxed));
        let current = if seen == 0 {
            1.0
        } else {
            allowed as f64 / seen as f64
        };
        match self.prev_rate.load(Ordering::Relaxed) {
            NO_RATE => current,
            bits => (current + f64::from_bits(bits)) / 2.0,
        }
    }
}

fn pack(index: u64, allowed: u64, seen: u64) -> u64 {
    (index << (2 * COUNT_BITS)) | (allowed << COUNT_BITS) | seen
}

fn unpack(word: u64) -> (u64, u64, u64) {
    (
        word >> (2 * COUNT_BITS),
        (word >> COUNT_BITS) & COUNT_MAX,
        word & COUNT_MAX,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn starts_full_and_refills_at_the_limit() {
        let l = RateLimiter::new(3.0);
        assert!((0..3).all(|_| l.is_allowed_at(0)));
        assert!(!l.is_allowed_at(0));
        // One token comes back every third of a second.
        assert!(!l.is_allowed_at(SEC / 3 - 10));
        assert!(l.is_allowed_at(SEC / 3));
        assert!(!l.is_allowed_at(SEC / 3));
        // A long pause refills to capacity, never beyond.
        assert!((0..3).all(|_| l.is_allowed_at(10 * SEC)));
        assert!(!l.is_allowed_at(10 * SEC));
    }

    #[test]
    fn zero_denies_and_negative_allows() {
        let zero = RateLimiter::new(0.0);
        assert!(!zero.is_allowed_at(0));
        assert_eq!(zero.effective_rate(), 0.0);
        let unlimited = RateLimiter::new(-1.0);
        assert!((0..1000).all(|_| unlimited.is_allowed_at(0)));
        assert_eq!(unlimited.effective_rate(), 1.0);
    }

    #[test]
    fn a_fractional_limit_below_one_never_allows_as_in_python() {
        let l = RateLimiter::new(0.5);
        assert!(!l.is_allowed_at(0));
        assert!(!l.is_allowed_at(100 * SEC));
    }

    #[test]
    fn effective_rate_averages_with_the_previous_window() {
        let l = RateLimiter::new(1.0);
        assert_eq!(l.effective_rate(), 1.0);
        assert!(l.is_allowed_at(0));
        assert!(!l.is_allowed_at(1));
        assert_eq!(l.effective_rate(), 0.5);
        // Next window: previous 0.5, current 1/1.
        assert!(l.is_allowed_at(SEC + 1));
        assert_eq!(l.effective_rate(), 0.75);
    }

    #[test]
    fn concurrent_checks_never_exceed_the_burst() {
        let l = std::sync::Arc::new(RateLimiter::new(1000.0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || (0..1000).filter(|_| l.is_allowed_at(5)).count())
            })
            .collect();
        let allowed: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        assert_eq!(allowed, 1000);
    }
}
