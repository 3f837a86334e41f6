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
}

impl IntoTagValue for f32 {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        f64::from(self).into_tag_value()
    }
}

impl<T: IntoTagValue> IntoTagValue for Option<T> {
    #[inline]
    fn into_tag_value(self) -> Option<TagValue> {
        self.and_then(IntoTagValue::into_tag_value)
    }
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
}
