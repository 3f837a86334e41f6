//! Trace and span identifiers, and the per-thread generator that makes them.

use std::cell::Cell;
use std::fmt;

/// A 128-bit trace id.
///
/// New ids carry the trace's start time in seconds in bits 127..96, zeros in bits 95..64 and
/// 64 random bits below, as the other Datadog tracers make them. The agent receives the low 64
/// bits in the span's `trace_id` field and the high 64 bits as the `_dd.p.tid` tag.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

impl TraceId {
    /// Builds an id from its two 64-bit halves.
    pub const fn from_parts(high: u64, low: u64) -> Self {
        TraceId(((high as u128) << 64) | low as u128)
    }

    /// The low 64 bits: what the agent's `trace_id` field carries.
    pub const fn low(self) -> u64 {
        self.0 as u64
    }

    /// The high 64 bits: what `_dd.p.tid` carries (0 for a 64-bit id).
    pub const fn high(self) -> u64 {
        (self.0 >> 64) as u64
    }

    /// True for the invalid id 0.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The id as 32 lowercase hex digits (W3C traceparent form).
    pub fn to_hex32(self) -> String {
        format!("{:032x}", self.0)
    }

    /// The high half as the 16 lowercase hex digits of `_dd.p.tid`.
    pub fn high_hex16(self) -> String {
        hex16(self.high())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:032x})", self.0)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A 64-bit span id; 0 means "none" (a root's parent).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl SpanId {
    /// The absent id (a root span's parent).
    pub const NONE: SpanId = SpanId(0);

    /// True for the absent id 0.
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The id as 16 lowercase hex digits.
    pub fn to_hex16(self) -> String {
        hex16(self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({:016x})", self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// `v` as 16 lowercase hex digits; `format!` costs several times more on a per-trace path.
fn hex16(v: u64) -> String {
    let mut out = String::with_capacity(16);
    push_hex16(&mut out, v);
    out
}

/// Appends `v` as 16 lowercase hex digits (propagation headers are built with these).
pub(crate) fn push_hex16(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(char::from(DIGITS[((v >> (shift * 4)) & 0xf) as usize]));
    }
}

/// `v` in decimal, without the formatting machinery (header values on every request); two
/// digits per division, as the standard library's own formatting does.
pub(crate) fn decimal(v: u64) -> String {
    const PAIRS: &[u8; 200] = b"000102030405060708091011121314151617181920212223242526272829\
        30313233343536373839404142434445464748495051525354555657585960616263646566676869\
        707172737475767778798081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = v;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + v as u8;
    }
    let mut out = String::with_capacity(digits.len() - i);
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
    out
}

thread_local! {
    // wyrand state. Seeded once per thread from the OS; 0 means "not seeded yet".
    static RNG_STATE: Cell<u64> = const { Cell::new(0) };
}

fn seed() -> u64 {
    match getrandom::u64() {
        Ok(s) if s != 0 => s,
        // No OS randomness (extremely unusual): fall back on time and address entropy so ids
        // still differ between threads and processes.
        _ => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            let local = 0u8;
            t ^ (&local as *const u8 as u64).rotate_left(32) ^ u64::from(std::process::id()) | 1
        }
    }
}

/// A random non-zero 64-bit number from the calling thread's generator (wyrand).
///
/// No lock and no system call after the first use on a thread.
#[inline]
pub fn random_u64() -> u64 {
    RNG_STATE.with(|state| {
        let mut s = state.get();
        if s == 0 {
            s = seed();
        }
        loop {
            s = s.wrapping_add(0xa076_1d64_78bd_642f);
            let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
            let v = ((t >> 64) as u64) ^ (t as u64);
            if v != 0 {
                state.set(s);
                return v;
            }
        }
    })
}

/// A new span id.
#[inline]
pub fn new_span_id() -> SpanId {
    SpanId(random_u64())
}

/// A new trace id started at `unix_seconds`; 128-bit unless `use_128_bit` is false.
#[inline]
pub fn new_trace_id(unix_seconds: u64, use_128_bit: bool) -> TraceId {
    let low = random_u64();
    if use_128_bit {
        TraceId::from_parts((unix_seconds & 0xffff_ffff) << 32, low)
    } else {
        TraceId(u128::from(low))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_to_string() {
        for v in [
            0,
            7,
            10,
            99,
            100,
            101,
            12_345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(v), v.to_string());
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            assert_eq!(decimal(x >> (x % 64)), (x >> (x % 64)).to_string());
        }
    }
    use std::collections::HashSet;

    #[test]
    fn trace_id_carries_start_time_in_its_top_32_bits() {
        let id = new_trace_id(0x6b06_785a, true);
        assert_eq!(id.high(), 0x6b06_785a_0000_0000);
        assert_ne!(id.low(), 0);
        assert_eq!(id.high_hex16(), "6b06785a00000000");
        assert_eq!(id.to_hex32().len(), 32);
    }

    #[test]
    fn sixty_four_bit_mode_leaves_the_high_half_empty() {
        let id = new_trace_id(0x6b06_785a, false);
        assert_eq!(id.high(), 0);
        assert_ne!(id.low(), 0);
    }

    #[test]
    fn ids_are_distinct_and_non_zero_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| (0..10_000).map(|_| new_span_id().0).collect::<Vec<_>>())
            })
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for id in h.join().unwrap() {
                assert_ne!(id, 0);
                assert!(seen.insert(id), "duplicate span id {id}");
            }
        }
    }

    #[test]
    fn ids_use_the_full_64_bit_range() {
        assert!((0..1000).any(|_| new_span_id().0 >> 63 == 1));
    }
}
