//! The tag keys that do more than set a tag, as in the Python tracer: `service` and
//! `resource` set the span's own fields, `manual.keep`/`manual.drop` decide the trace,
//! `http.status_code` is always a string, and so on.

use crate::keys;
use crate::sampling::SamplingPriority;
use crate::span_data::SpanData;
use crate::str::Str;
use crate::tag::TagValue;

/// The keys [`SpanRef::set_tag`](crate::SpanRef::set_tag) treats specially.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SpecialTag {
    Service,
    Resource,
    ManualKeep,
    ManualDrop,
    Measured,
    StatusCode,
    DestinationPort,
}

impl SpecialTag {
    /// Which special key `key` is, if any. Checked by length first: most keys have a length
    /// none of these has, and skip the comparisons (`keys_have_the_lengths_matched_on` checks
    /// the lengths against the key table).
    #[inline]
    pub(crate) fn of(key: &str) -> Option<Self> {
        let is = |special: &str| crate::str::same_text(key, special);
        let tag = match key.len() {
            7 if is(keys::SERVICE) => SpecialTag::Service,
            8 if is(keys::RESOURCE) => SpecialTag::Resource,
            11 if is(keys::MANUAL_KEEP) => SpecialTag::ManualKeep,
            11 if is(keys::MANUAL_DROP) => SpecialTag::ManualDrop,
            12 if is(keys::MEASURED) => SpecialTag::Measured,
            16 if is(keys::HTTP_STATUS_CODE) => SpecialTag::StatusCode,
            24 if is(keys::NETWORK_DESTINATION_PORT) => SpecialTag::DestinationPort,
            _ => return None,
        };
        Some(tag)
    }

    /// The trace-level decision `manual.keep` and `manual.drop` stand for.
    pub(crate) fn manual_priority(self) -> Option<SamplingPriority> {
        match self {
            SpecialTag::ManualKeep => Some(SamplingPriority::USER_KEEP),
            SpecialTag::ManualDrop => Some(SamplingPriority::USER_REJECT),
            _ => None,
        }
    }

    /// The value as this key stores it, converted before the trace's lock is taken.
    pub(crate) fn convert(self, value: TagValue) -> TagValue {
        match (self, value) {
            (SpecialTag::StatusCode, TagValue::Number(n)) => TagValue::Str(status_code_text(n)),
            (_, value) => value,
        }
    }

    /// Stores a converted value (any key but the manual ones, which act on the trace).
    pub(crate) fn store(self, d: &mut SpanData, key: Str, value: TagValue) {
        match (self, value) {
            (SpecialTag::Service, TagValue::Str(v)) => {
                d.service = v.clone();
                d.set_meta(key, v);
            }
            (SpecialTag::Resource, TagValue::Str(v)) => d.resource = v,
            (SpecialTag::DestinationPort, TagValue::Str(v)) => match v.trim().parse::<i64>() {
                Ok(n) => d.set_metric(key, n as f64),
                Err(_) => d.set_meta(key, v),
            },
            // Python's `int(value)`: a float port is truncated toward zero (`8080.5` is 8080).
            (SpecialTag::DestinationPort, TagValue::Number(n)) => d.set_metric(key, n.trunc()),
            (SpecialTag::Measured, TagValue::Number(n)) => {
                d.set_metric(key, f64::from(u8::from(n != 0.0)))
            }
            (SpecialTag::Measured, TagValue::Str(v)) => d.set_metric(
                key,
                f64::from(u8::from(!v.is_empty() && v.as_str() != "False")),
            ),
            (_, TagValue::Str(v)) => d.set_meta(key, v),
            (_, TagValue::Number(n)) => d.set_metric(key, n),
        }
    }
}

/// `http.status_code` as the Python tracer stores it: a string. The codes HTTP defines (100
/// to 599) come from a table of literals, so an HTTP span's status costs no allocation.
fn status_code_text(n: f64) -> Str {
    /// "100101102...599": the codes' digits, three per code.
    const DIGITS: [u8; 1500] = {
        let mut table = [0u8; 1500];
        let mut code = 100;
        while code < 600 {
            let at = (code - 100) * 3;
            table[at] = b'0' + (code / 100) as u8;
            table[at + 1] = b'0' + (code / 10 % 10) as u8;
            table[at + 2] = b'0' + (code % 10) as u8;
            code += 1;
        }
        table
    };
    static TEXT: &str = match std::str::from_utf8(&DIGITS) {
        Ok(text) => text,
        Err(_) => panic!("digits are ASCII"),
    };
    if n.fract() == 0.0 && (100.0..600.0).contains(&n) {
        let at = (n as usize - 100) * 3;
        if let Some(text) = TEXT.get(at..at + 3) {
            return Str::from_static(text);
        }
    }
    Str::from(format_number(n))
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        // An integral value prints as Python prints an int.
        let digits = crate::id::decimal(n.abs() as u64);
        if n < 0.0 {
            format!("-{digits}")
        } else {
            digits
        }
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{SpecialTag, format_number, status_code_text};
    use crate::keys;

    #[test]
    fn keys_have_the_lengths_matched_on() {
        for key in [
            keys::SERVICE,
            keys::RESOURCE,
            keys::MANUAL_KEEP,
            keys::MANUAL_DROP,
            keys::MEASURED,
            keys::HTTP_STATUS_CODE,
            keys::NETWORK_DESTINATION_PORT,
        ] {
            assert!(SpecialTag::of(key).is_some(), "{key}");
        }
    }

    #[test]
    fn status_codes_are_their_decimal_text() {
        for code in [100, 101, 200, 204, 301, 404, 418, 500, 503, 599] {
            let text = status_code_text(f64::from(code));
            assert_eq!(text.as_str(), code.to_string());
            assert!(text.is_static(), "{code} comes from the table");
        }
        assert_eq!(status_code_text(99.0).as_str(), "99");
        assert_eq!(status_code_text(600.0).as_str(), "600");
        assert_eq!(status_code_text(-1.0).as_str(), "-1");
    }

    #[test]
    fn numbers_format_like_python_str_of_int_or_float() {
        assert_eq!(format_number(200.0), "200");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-42.0), "-42");
        assert_eq!(format_number(1.5), "1.5");
    }
}
