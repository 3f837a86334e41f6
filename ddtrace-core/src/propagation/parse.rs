//! Reading header values the way the Python tracer does, so that the same inputs are accepted
//! and refused: Python's `int()` rules, header-name spellings, and the rate-limited report of
//! malformed input.

use std::time::Duration;

use super::carrier::Extractor;
use crate::RateLimitedLog;

/// An integer as Python's `int(text, base)` reads it, with its magnitude if it fits in 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyInt {
    pub(crate) negative: bool,
    /// `None` when the value needs more than 128 bits (Python would keep it; we cannot).
    pub(crate) magnitude: Option<u128>,
}

impl PyInt {
    /// The value if it is in `1..=max`.
    pub(crate) fn positive_up_to(self, max: u128) -> Option<u128> {
        match self.magnitude {
            Some(m) if !self.negative && m >= 1 && m <= max => Some(m),
            _ => None,
        }
    }

    /// The value if it is zero or positive and fits in 64 bits.
    pub(crate) fn as_u64(self) -> Option<u64> {
        match self.magnitude {
            Some(m) if !self.negative || m == 0 => u64::try_from(m).ok(),
            _ => None,
        }
    }

    /// The value clamped into `i8` (sampling priorities are small; Python keeps any integer).
    pub(crate) fn clamped_i8(self) -> i8 {
        let m = self.magnitude.unwrap_or(u128::MAX);
        if self.negative {
            if m >= 128 { i8::MIN } else { -(m as i16) as i8 }
        } else {
            m.min(127) as i8
        }
    }
}

/// `text.strip()` in Python: Rust's `trim` plus the four ASCII separators `\x1c`–`\x1f`, which
/// Python's `str.isspace` counts as whitespace and Unicode's `White_Space` does not. A
/// `traceparent` or baggage item surrounded by them is accepted by the Python tracer.
pub(crate) fn py_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// `int(text, radix)` with Python's rules for radix 10 and 16: surrounding whitespace, a sign,
/// a `0x` prefix in base 16, and single underscores between digits are accepted. `None` where
/// Python raises `ValueError`.
pub(crate) fn py_int(text: &str, radix: u32) -> Option<PyInt> {
    let s = text.trim();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (s, prefixed) = if radix == 16
        && s.len() >= 2
        && s.as_bytes()[0] == b'0'
        && (s.as_bytes()[1] | 0x20) == b'x'
    {
        (&s[2..], true)
    } else {
        (s, false)
    };
    let mut magnitude = Some(0u128);
    let mut any_digit = false;
    let mut prev_underscore = false;
    for (i, c) in s.chars().enumerate() {
        if c == '_' {
            // Allowed between digits, and right after a base prefix.
            if prev_underscore || (i == 0 && !prefixed) {
                return None;
            }
            prev_underscore = true;
            continue;
        }
        let d = c.to_digit(radix)?;
        any_digit = true;
        prev_underscore = false;
        magnitude = magnitude
            .and_then(|m| m.checked_mul(u128::from(radix)))
            .and_then(|m| m.checked_add(u128::from(d)));
    }
    if !any_digit || prev_underscore {
        return None;
    }
    Some(PyInt {
        negative,
        magnitude,
    })
}

/// The value of header `name` (lowercase), also under its WSGI/CGI spelling
/// (`HTTP_X_DATADOG_TRACE_ID`), which some frameworks hand over instead.
pub(crate) fn header<'a>(carrier: &'a dyn Extractor, name: &str) -> Option<&'a str> {
    if let Some(v) = carrier.get(name) {
        return Some(v);
    }
    if !carrier.wsgi_fallback() {
        return None;
    }
    let mut wsgi = String::with_capacity(name.len() + 5);
    wsgi.push_str("http_");
    wsgi.extend(name.chars().map(|c| if c == '-' { '_' } else { c }));
    carrier.get(&wsgi)
}

static MALFORMED: RateLimitedLog = RateLimitedLog::new(Duration::from_secs(60));

/// Reports malformed propagation input (or a context that cannot be encoded), at most once a
/// minute: headers come from outside, and a misbehaving client must not flood the log.
pub(crate) fn report(what: std::fmt::Arguments<'_>) {
    if let Some(suppressed) = MALFORMED.check() {
        log::warn!("ddtrace propagation: {what} ({suppressed} similar messages suppressed)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str, radix: u32) -> Option<(bool, Option<u128>)> {
        py_int(text, radix).map(|p| (p.negative, p.magnitude))
    }

    #[test]
    fn decimal_like_python() {
        assert_eq!(v(" 123 ", 10), Some((false, Some(123))));
        assert_eq!(v("000123", 10), Some((false, Some(123))));
        assert_eq!(v("+7", 10), Some((false, Some(7))));
        assert_eq!(v("-1", 10), Some((true, Some(1))));
        assert_eq!(v("1_000", 10), Some((false, Some(1000))));
        assert_eq!(v("1__0", 10), None);
        assert_eq!(v("_1", 10), None);
        assert_eq!(v("1_", 10), None);
        assert_eq!(v("0x7b", 10), None);
        assert_eq!(v("1.5", 10), None);
        assert_eq!(v("", 10), None);
        assert_eq!(v("-", 10), None);
        assert_eq!(
            v("999999999999999999999999999999999999999999", 10),
            Some((false, None))
        );
    }

    #[test]
    fn hex_like_python() {
        assert_eq!(v("0x7b", 16), Some((false, Some(0x7b))));
        assert_eq!(v("7B", 16), Some((false, Some(0x7b))));
        assert_eq!(v("0x", 16), None);
        assert_eq!(v("0x_1", 16), Some((false, Some(1))));
        assert_eq!(v("xyz", 16), None);
    }

    #[test]
    fn priorities_clamp() {
        let p = |s| py_int(s, 10).map(PyInt::clamped_i8);
        assert_eq!(p("2"), Some(2));
        assert_eq!(p("-5"), Some(-5));
        assert_eq!(p("300"), Some(127));
        assert_eq!(p("-300"), Some(-128));
        assert_eq!(p("-128"), Some(-128));
    }

    #[test]
    fn strip_like_python() {
        // Python: every char with `str.isspace()` is stripped, `\x1c`-`\x1f` included.
        assert_eq!(py_strip("\x1c\t a b \u{85}\u{a0}\u{3000}\x1f"), "a b");
        assert_eq!(py_strip("\x1b a"), "\x1b a");
        assert_eq!(py_strip(""), "");
    }
}
