//! Span timestamps: one wall-clock reading per local trace, monotonic offsets after that.
//!
//! Reading the wall clock for every span would let durations go negative when NTP steps the
//! clock, and costs more than the monotonic clock. So the local root reads both clocks once and
//! every span of the trace computes its epoch time as the root's wall time plus the monotonic
//! time elapsed since.

//!
//! The monotonic clock is the CPU's time-stamp counter where it is invariant (through `quanta`),
//! several times cheaper to read than `clock_gettime`, which matters at two reads per span; it
//! falls back on the OS clock elsewhere.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A monotonic instant, cheap to read.
pub type Instant = quanta::Instant;

/// The monotonic clock now.
#[cfg(not(miri))]
#[inline]
pub fn now() -> Instant {
    quanta::Instant::now()
}

/// The monotonic clock now: under Miri, which cannot calibrate the TSC, a mock clock kept at
/// the time `std::time::Instant` has seen pass (Miri's, with isolation disabled).
#[cfg(miri)]
pub fn now() -> Instant {
    use std::sync::{Arc, LazyLock, Mutex};
    static CLOCK: LazyLock<(quanta::Clock, Arc<quanta::Mock>, std::time::Instant)> =
        LazyLock::new(|| {
            let (clock, mock) = quanta::Clock::mock();
            (clock, mock, std::time::Instant::now())
        });
    static ADVANCE: Mutex<()> = Mutex::new(());
    let (clock, mock, base) = &*CLOCK;
    let _one_at_a_time = ADVANCE.lock().unwrap_or_else(|e| e.into_inner());
    let elapsed = nanos(base.elapsed()) as u64;
    // Never backwards, and a little forward on every reading, as a real clock appears.
    mock.increment(elapsed.saturating_sub(mock.value()).max(1));
    clock.now()
}

/// Converts a `std::time::Instant` (from user code) to the tracer's monotonic clock.
pub fn from_std(at: std::time::Instant) -> Instant {
    let (ours, theirs) = (now(), std::time::Instant::now());
    match theirs.checked_duration_since(at) {
        Some(ago) => ours.checked_sub(ago).unwrap_or(ours),
        None => ours.checked_add(at.duration_since(theirs)).unwrap_or(ours),
    }
}

/// A duration in whole nanoseconds, saturating at `i64::MAX`.
pub fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

/// A wall-clock time paired with the monotonic instant it was read at.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    wall_ns: i64,
    instant: Instant,
}

impl Anchor {
    /// Pairs `instant`, read just before, with the wall clock read now: a new trace already
    /// has its start's monotonic reading, and a second one would cost a TSC read.
    pub fn at(instant: Instant) -> Self {
        Anchor {
            wall_ns: unix_now_ns(),
            instant,
        }
    }

    /// Reads both clocks now.
    pub fn now() -> Self {
        let instant = now();
        Anchor {
            wall_ns: unix_now_ns(),
            instant,
        }
    }

    /// The anchor's wall time in nanoseconds since the Unix epoch.
    pub fn wall_ns(&self) -> i64 {
        self.wall_ns
    }

    /// The epoch nanoseconds of `at`, derived from the anchor.
    pub fn epoch_ns(&self, at: Instant) -> i64 {
        match at.checked_duration_since(self.instant) {
            Some(d) => self.wall_ns.saturating_add(nanos(d)),
            None => self
                .wall_ns
                .saturating_sub(nanos(self.instant.saturating_duration_since(at))),
        }
    }
}

/// Nanoseconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_now() -> String {
    let secs = unix_now_ns() / 1_000_000_000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_monotonic_clock() {
        let a = Anchor::now();
        let later = a.instant + Duration::from_micros(5);
        assert_eq!(a.epoch_ns(later) - a.wall_ns(), 5_000);
    }

    #[test]
    fn date_looks_like_rfc3339() {
        let d = rfc3339_now();
        assert_eq!(d.len(), 20);
        assert!(d.starts_with("20"));
        assert!(d.ends_with('Z'));
    }
}
