//! Tag values and how Rust values become them.
//!
//! The agent keeps two maps per span: `meta` (string values) and `metrics` (numbers). As in the
//! Python tracer, the type of the value picks the map: strings go to `meta`, integers and floats
//! to `metrics`. Booleans are written as `"True"`/`"False"` to `meta` (Python's `str(bool)`), an
//! unsigned integer that does not fit in `i64` is written as its decimal string, and NaN or
//! infinite floats are dropped.

use smallvec::SmallVec;

use crate::str::Str;

/// A trace's propagated `_dd.p.*` tags. Nearly every trace has one or two (`_dd.p.dm`, and
/// `_dd.p.ksr` when a rate decided): inline, they cost no allocation per trace.
pub(crate) type TraceTags = SmallVec<[(Str, Str); 2]>;

/// Sets `key` to `value` in `pairs`, replacing an earlier value.
pub(crate) fn set_pair(pairs: &mut TraceTags, key: Str, value: Str) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key, value)),
    }
}

/// A value ready to be stored on a span.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue {
    /// Goes to the span's `meta` map.
    Str(Str),
    /// Goes to the span's `metrics` map.
    Number(f64),
}

/// Values that can be passed to [`SpanRef::set_tag`](crate::SpanRef::set_tag).
///
/// Implemented for string types (literals are stored without copying), integers, floats and
/// `bool`. A value that the Python tracer would drop (NaN, infinity) converts to `None`.
pub trait IntoTagValue {
    /// Converts the value; `None` means "store nothing".
    fn into_tag_value(self) -> Option<TagValue>;

    /// Converts the value for a key the Python tracer always stores as `str(value)`
    /// (`http.status_code`). Only floats differ from [`into_tag_value`](Self::into_tag_value):
    /// a float's text is Python's (`200.0` is `"200.0"`, not `"200"`), which a number alone
    /// cannot tell apart from the integer `200`. NaN and infinities are kept, as Python's
    /// `"nan"` and `"inf"`.
    #[doc(hidden)]
    #[inline]
    fn into_text_tag_value(self) -> Option<TagValue>
    where
        Self: Sized,
    {
        self.into_tag_value()
    }
}

impl IntoTagValue for TagValue {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(self)
    }
}

impl IntoTagValue for &'static str {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(Str::from_static(self)))
    }
}

impl IntoTagValue for String {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(self.into()))
    }
}

impl IntoTagValue for &String {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(self.into()))
    }
}

impl IntoTagValue for Str {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(self))
    }
}

impl IntoTagValue for std::borrow::Cow<'static, str> {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(self.into()))
    }
}

impl IntoTagValue for bool {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(Str::from_static(if self {
            "True"
        } else {
            "False"
        })))
    }
}

macro_rules! lossless_int {
    ($($t:ty),*) => {$(
        impl IntoTagValue for $t {
            #[inline]
            fn into_tag_value(self) -> Option<TagValue> {
                Some(TagValue::Number(self as f64))
            }
        }
    )*};
}
lossless_int!(i8, i16, i32, i64, isize, u8, u16, u32);

macro_rules! wide_unsigned {
    ($($t:ty),*) => {$(
        impl IntoTagValue for $t {
            #[inline]
            fn into_tag_value(self) -> Option<TagValue> {
                // Python keeps ints that overflow i64 as their decimal string in meta.
                if self as u128 > i64::MAX as u128 {
                    Some(TagValue::Str(self.to_string().into()))
                } else {
                    Some(TagValue::Number(self as f64))
                }
            }
        }
    )*};
}
wide_unsigned!(u64, usize, u128);

impl IntoTagValue for i128 {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        if self > i64::MAX as i128 || self < i64::MIN as i128 {
            Some(TagValue::Str(self.to_string().into()))
        } else {
            Some(TagValue::Number(self as f64))
        }
    }
}

impl IntoTagValue for f64 {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        self.is_finite().then_some(TagValue::Number(self))
    }

    fn into_text_tag_value(self) -> Option<TagValue> {
        Some(TagValue::Str(python_float_repr(self).into()))
    }
}

impl IntoTagValue for f32 {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        f64::from(self).into_tag_value()
    }

    fn into_text_tag_value(self) -> Option<TagValue> {
        f64::from(self).into_text_tag_value()
    }
}

impl<T: IntoTagValue> IntoTagValue for Option<T> {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        self.and_then(IntoTagValue::into_tag_value)
    }

    fn into_text_tag_value(self) -> Option<TagValue> {
        self.and_then(IntoTagValue::into_text_tag_value)
    }
}

/// `repr(value)` of a Python float (what `str()` gives too): the shortest digits that read
/// back as the same value, in fixed notation with at least one decimal (`200.0`, `0.0001`)
/// while the decimal exponent is in -5 < e < 16, else in scientific notation with a signed,
/// two-digit-minimum exponent (`1e+16`, `1e-05`). Tag values and sampling-rule matching must
/// see the same text as in the Python tracer.
pub(crate) fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // `{:e}` prints the shortest round-tripping digits too, as `d[.ddd]e[-]x`.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if value.is_sign_negative() {
        out.push('-');
    }
    if !(-5 < exponent && exponent < 16) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if exponent >= 0 {
        let whole = exponent as usize + 1;
        if digits.len() > whole {
            out.push_str(&digits[..whole]);
            out.push('.');
            out.push_str(&digits[whole..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', whole - digits.len()));
            out.push_str(".0");
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
        out.push_str(&digits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_follows_the_python_tracer() {
        assert_eq!("a".into_tag_value(), Some(TagValue::Str("a".into())));
        assert_eq!(5i32.into_tag_value(), Some(TagValue::Number(5.0)));
        assert_eq!(1.5f64.into_tag_value(), Some(TagValue::Number(1.5)));
        assert_eq!(true.into_tag_value(), Some(TagValue::Str("True".into())));
        assert_eq!(f64::NAN.into_tag_value(), None);
        assert_eq!(f64::INFINITY.into_tag_value(), None);
        assert_eq!(
            u64::MAX.into_tag_value(),
            Some(TagValue::Str(u64::MAX.to_string().into()))
        );
        assert_eq!(
            (i64::MAX as u64).into_tag_value(),
            Some(TagValue::Number(i64::MAX as f64))
        );
        assert_eq!(None::<i32>.into_tag_value(), None);
    }

    #[test]
    fn floats_print_as_python_repr() {
        // Each pair checked against CPython 3.11's `repr(float)`.
        for (value, text) in [
            (200.0, "200.0"),
            (2.5, "2.5"),
            (1.1, "1.1"),
            (-3.7, "-3.7"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1e20, "1e+20"),
            (1.5e300, "1.5e+300"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (1e-7, "1e-07"),
            (1.25e-7, "1.25e-07"),
            (123456.789, "123456.789"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(python_float_repr(value), text, "{value:?}");
        }
    }

    #[test]
    fn only_floats_have_their_own_text() {
        assert_eq!(
            200.0f64.into_text_tag_value(),
            Some(TagValue::Str("200.0".into()))
        );
        assert_eq!(
            Some(2.5f32).into_text_tag_value(),
            Some(TagValue::Str("2.5".into()))
        );
        assert_eq!(200i32.into_text_tag_value(), Some(TagValue::Number(200.0)));
        assert_eq!("x".into_text_tag_value(), Some(TagValue::Str("x".into())));
    }
}
