//! Deterministic keep/drop from an id, so every service of a distributed trace agrees.

/// Knuth's multiplicative hash factor used by all Datadog tracers.
pub const KNUTH_FACTOR: u64 = 1_111_111_111_111_111_111;

/// Whether `id` (the trace id's low 64 bits, or a span id) is kept at `rate`.
///
/// `hash(id) <= rate * (2^64 - 1)`, with the threshold computed as an `f64` and the comparison
/// done exactly, as the Python tracer compares an integer with a float. No shortcut for rates 0
/// and 1: that is the agent-rate sampler's behaviour (rules add their own shortcuts).
pub fn keeps(id: u64, rate: f64) -> bool {
    let rate = if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    };
    let threshold = rate * (u64::MAX as f64);
    let hash = id.wrapping_mul(KNUTH_FACTOR);
    // Compare u64 <= f64 exactly: the f64 threshold is an integer value (or has a fraction
    // that cannot matter below 2^53) within [0, 2^64].
    if threshold >= 18_446_744_073_709_551_616.0 {
        return true;
    }
    let floor = threshold.floor();
    // floor is an exact integer in [0, 2^64) representable as u64.
    hash <= floor as u64
}
