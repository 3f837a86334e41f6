//! The `datadog` style: `x-datadog-trace-id`, `-parent-id`, `-sampling-priority`, `-origin` and
//! `-tags`, and the tag-set encoding of `x-datadog-tags`.

use super::carrier::{Extractor, Injector};
use super::parse::{header, py_int, report};
use crate::context::{PROPAGATION_ERROR_KEY, SpanContext, is_printable_ascii};
use crate::id::{SpanId, TraceId, decimal};
use crate::keys;
use crate::sampling::SamplingPriority;

pub(crate) const TRACE_ID: &str = "x-datadog-trace-id";
pub(crate) const PARENT_ID: &str = "x-datadog-parent-id";
pub(crate) const SAMPLING_PRIORITY: &str = "x-datadog-sampling-priority";
pub(crate) const ORIGIN: &str = "x-datadog-origin";
pub(crate) const TAGS: &str = "x-datadog-tags";

// The high 64 bits of a 128-bit trace id (16 lowercase hex digits) and the decision maker;
// only tags with the propagated prefix travel in `x-datadog-tags`.
use crate::keys::{DECISION_MAKER as DM_KEY, PROPAGATED_PREFIX, TRACE_ID_HIGH as TID_KEY};
/// The Python tracer decodes incoming `x-datadog-tags` with a fixed limit (its decoder's
/// default), whatever `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH` says; that setting only limits
/// injection.
const EXTRACT_MAX_LENGTH: usize = 512;

/// Reads the datadog headers. `None` when there is no valid trace id (1..2^64-1), or when the
/// parent id or priority is not an integer, as in the Python tracer.
pub(crate) fn extract(carrier: &dyn Extractor, trace_id_128_bit: bool) -> Option<SpanContext> {
    let raw_trace_id = header(carrier, TRACE_ID)?;
    let Some(low) = py_int(raw_trace_id, 10).and_then(|v| v.positive_up_to(u64::MAX.into())) else {
        report(format_args!(
            "invalid {TRACE_ID} {raw_trace_id:?}: must be an integer in 1..2^64-1"
        ));
        return None;
    };
    let raw_parent = header(carrier, PARENT_ID).unwrap_or("0");
    let raw_priority = header(carrier, SAMPLING_PRIORITY);
    let origin = header(carrier, ORIGIN);
    let tags_value = header(carrier, TAGS).unwrap_or("");

    let mut ctx = SpanContext::new(TraceId(low), SpanId::NONE);
    if !tags_value.is_empty() {
        match decode_tagset(tags_value, EXTRACT_MAX_LENGTH) {
            Ok(tags) => {
                ctx.trace_tags = tags
                    .into_iter()
                    .filter(|(k, _)| {
                        k.starts_with(PROPAGATED_PREFIX) && k != keys::UPSTREAM_SERVICES
                    })
                    .collect();
            }
            Err(e) => {
                report(format_args!(
                    "dropped {TAGS} {tags_value:?}: {}",
                    e.reason()
                ));
                ctx.set_root_tag(PROPAGATION_ERROR_KEY, e.extract_error());
            }
        }
    }

    if let Some(tid) = ctx.trace_tag(TID_KEY) {
        match parse_tid(tid) {
            Some(high) => {
                if trace_id_128_bit {
                    ctx.trace_id = TraceId::from_parts(high, low as u64);
                }
            }
            None => {
                report(format_args!(
                    "malformed {TID_KEY} {tid:?} in {TAGS}; dropped"
                ));
                let error = format!("malformed_tid {tid}");
                ctx.remove_trace_tag(TID_KEY);
                ctx.set_root_tag(PROPAGATION_ERROR_KEY, error);
            }
        }
    }

    let priority = match raw_priority {
        None => None,
        Some(raw) => match py_int(raw, 10) {
            Some(p) => Some(SamplingPriority(p.clamped_i8())),
            None => {
                report(format_args!(
                    "invalid {SAMPLING_PRIORITY} {raw:?}; datadog headers ignored"
                ));
                return None;
            }
        },
    };
    ctx.sampling_priority = priority;

    if let Some(dm) = ctx.trace_tag(DM_KEY)
        && !dm.is_empty()
        && !is_valid_decision_maker(dm)
    {
        report(format_args!("invalid {DM_KEY} {dm:?} in {TAGS}; dropped"));
        ctx.remove_trace_tag(DM_KEY);
        ctx.set_root_tag(PROPAGATION_ERROR_KEY, "decoding_error");
    }

    let Some(parent) = py_int(raw_parent, 10) else {
        report(format_args!(
            "invalid {PARENT_ID} {raw_parent:?}; datadog headers ignored"
        ));
        return None;
    };
    // The Python tracer keeps any integer; a span id outside 0..2^64 (negative or too large)
    // cannot be represented here, so the parent is treated as unknown instead.
    ctx.span_id = match parent.as_u64() {
        Some(id) => SpanId(id),
        None => {
            report(format_args!(
                "{PARENT_ID} {raw_parent:?} is not a 64-bit span id; parent left unset"
            ));
            SpanId::NONE
        }
    };
    if let Some(origin) = origin
        && !ctx.set_origin(origin)
    {
        report(format_args!(
            "{ORIGIN} {origin:?} holds characters outside printable ASCII; ignored"
        ));
    }
    Some(ctx)
}

/// `_dd.p.tid` must be 16 lowercase hex digits and not zero.
fn parse_tid(tid: &str) -> Option<u64> {
    if tid.len() != 16 || !tid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u64::from_str_radix(tid, 16).ok().filter(|v| *v != 0)
}

/// `-0` .. `-255`: a sampling mechanism is an opaque byte, so any value in range is accepted.
fn is_valid_decision_maker(dm: &str) -> bool {
    let Some(digits) = dm.strip_prefix('-') else {
        return false;
    };
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && digits.parse::<u16>().is_ok_and(|v| v <= 255)
}

/// Writes the datadog headers; records `_dd.p.tid` and any `_dd.propagation_error` on `ctx`, as
/// the Python tracer does on its context.
pub(crate) fn inject(ctx: &mut SpanContext, carrier: &mut dyn Injector, max_length: usize) {
    // The header keeps its 64-bit decimal form for older tracers; the high half of a 128-bit
    // id travels in `_dd.p.tid`.
    carrier.set(TRACE_ID, decimal(ctx.trace_id.low()));
    if ctx.trace_id.high() != 0 {
        let tid = ctx.trace_id.high_hex16();
        // Usually already there (the span's trace tags carry it): no need to replace it.
        if ctx.trace_tag(TID_KEY) != Some(tid.as_str()) {
            ctx.set_trace_tag(TID_KEY, tid);
        }
    }
    carrier.set(PARENT_ID, decimal(ctx.span_id.0));
    if let Some(p) = ctx.sampling_priority {
        carrier.set(SAMPLING_PRIORITY, p.0.to_string());
    }
    if let Some(origin) = &ctx.origin {
        if is_printable_ascii(origin) {
            carrier.set(ORIGIN, origin.clone());
        } else {
            report(format_args!(
                "origin {origin:?} holds characters outside printable ASCII; not sent"
            ));
        }
    }

    if max_length == 0 {
        ctx.set_root_tag(PROPAGATION_ERROR_KEY, "disabled");
        return;
    }
    // A context that already failed once (upstream or on an earlier injection) is not retried.
    if ctx.propagation_error().is_some() {
        return;
    }
    let mut tags = ctx
        .trace_tags
        .iter()
        .filter(|(k, _)| k.starts_with(PROPAGATED_PREFIX))
        .peekable();
    if tags.peek().is_none() {
        return;
    }
    match encode_tagset(tags, max_length) {
        Ok(value) => carrier.set(TAGS, value),
        Err(e) => {
            report(format_args!("{TAGS} not sent: {}", e.reason()));
            ctx.set_root_tag(PROPAGATION_ERROR_KEY, e.inject_error());
        }
    }
}

/// Why a tag set could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagsetError {
    /// Longer than the allowed length.
    MaxSize,
    /// A character or structure the format does not allow.
    Invalid,
}

impl TagsetError {
    fn reason(self) -> &'static str {
        match self {
            TagsetError::MaxSize => "longer than the maximum length",
            TagsetError::Invalid => "invalid characters or format",
        }
    }

    fn extract_error(self) -> &'static str {
        match self {
            TagsetError::MaxSize => "extract_max_size",
            TagsetError::Invalid => "decoding_error",
        }
    }

    fn inject_error(self) -> &'static str {
        match self {
            TagsetError::MaxSize => "inject_max_size",
            TagsetError::Invalid => "encoding_error",
        }
    }
}

/// Key characters: printable ASCII except space, `,` and `=`.
fn is_key_char(c: char) -> bool {
    matches!(c, '!'..='~') && c != ',' && c != '='
}

/// Value characters: printable ASCII (space included) except `,`.
fn is_value_char(c: char) -> bool {
    matches!(c, ' '..='~') && c != ','
}

/// Decodes `k=v,k=v` in one pass. Values are trimmed of spaces; a later duplicate key replaces
/// the earlier value in place; a trailing comma is accepted; an empty key or value is not.
pub(crate) fn decode_tagset(
    text: &str,
    max_length: usize,
) -> Result<Vec<(String, String)>, TagsetError> {
    let mut out: Vec<(String, String)> = Vec::new();
    if text.is_empty() {
        return Ok(out);
    }
    if text.chars().count() > max_length {
        return Err(TagsetError::MaxSize);
    }
    let mut key_start = 0;
    let mut value_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match value_start {
            None if c == '=' => {
                if i == key_start {
                    return Err(TagsetError::Invalid);
                }
                value_start = Some(i + 1);
            }
            None if !is_key_char(c) => return Err(TagsetError::Invalid),
            None => {}
            Some(vs) if c == ',' => {
                let value = text[vs..i].trim_matches(' ');
                if value.is_empty() {
                    return Err(TagsetError::Invalid);
                }
                put(&mut out, &text[key_start..vs - 1], value);
                key_start = i + 1;
                value_start = None;
            }
            Some(_) if !is_value_char(c) => return Err(TagsetError::Invalid),
            Some(_) => {}
        }
    }
    match value_start {
        // A key without `=` at the end of the text.
        None if key_start < text.len() => return Err(TagsetError::Invalid),
        None => {}
        Some(vs) => {
            let value = text[vs..].trim_matches(' ');
            if value.is_empty() {
                return Err(TagsetError::Invalid);
            }
            put(&mut out, &text[key_start..vs - 1], value);
        }
    }
    Ok(out)
}

/// Sets `key` (a later duplicate replaces the value in place, as in a Python dict).
fn put(out: &mut Vec<(String, String)>, key: &str, value: &str) {
    match out.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value.to_owned(),
        None => out.push((key.to_owned(), value.to_owned())),
    }
}

/// Encodes tags as `k=v,k=v` (keys and values trimmed of spaces), refusing invalid characters
/// and any result longer than `max_length`.
pub(crate) fn encode_tagset<'a>(
    tags: impl Iterator<Item = &'a (String, String)>,
    max_length: usize,
) -> Result<String, TagsetError> {
    // Most tag sets (`_dd.p.dm`, `_dd.p.tid`) fit: one allocation instead of several regrowths.
    let mut out = String::with_capacity(64);
    for (i, (key, value)) in tags.enumerate() {
        let key = key.trim_matches(' ');
        let value = value.trim_matches(' ');
        if key.is_empty() || !key.chars().all(is_key_char) {
            return Err(TagsetError::Invalid);
        }
        if value.is_empty() || !value.chars().all(is_value_char) {
            return Err(TagsetError::Invalid);
        }
        let added = usize::from(i > 0) + key.len() + 1 + value.len();
        if out.len() + added > max_length {
            return Err(TagsetError::MaxSize);
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn decodes_tag_sets() {
        assert_eq!(
            decode_tagset("a=1,b= 2 ,c=x=y,", 512),
            Ok(pairs(&[("a", "1"), ("b", "2"), ("c", "x=y")]))
        );
        assert_eq!(decode_tagset("a=1,a=2", 512), Ok(pairs(&[("a", "2")])));
        assert_eq!(decode_tagset("a", 512), Err(TagsetError::Invalid));
        assert_eq!(decode_tagset("=1", 512), Err(TagsetError::Invalid));
        assert_eq!(decode_tagset("a= ", 512), Err(TagsetError::Invalid));
        assert_eq!(decode_tagset("a b=1", 512), Err(TagsetError::Invalid));
        assert_eq!(decode_tagset("a=\u{e9}", 512), Err(TagsetError::Invalid));
        assert_eq!(decode_tagset("a=12345", 6), Err(TagsetError::MaxSize));
    }

    #[test]
    fn encodes_tag_sets() {
        let tags = pairs(&[("_dd.p.dm", "-4"), ("_dd.p.tid", "640cfd8d00000000")]);
        assert_eq!(
            encode_tagset(tags.iter(), 512).as_deref(),
            Ok("_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000")
        );
        assert_eq!(encode_tagset(tags.iter(), 20), Err(TagsetError::MaxSize));
        let bad = pairs(&[("_dd.p.x", "a,b")]);
        assert_eq!(encode_tagset(bad.iter(), 512), Err(TagsetError::Invalid));
    }

    #[test]
    fn decision_makers() {
        for ok in ["-0", "-4", "-255"] {
            assert!(is_valid_decision_maker(ok), "{ok}");
        }
        for bad in ["4", "-256", "-abc", "-", "-04", "--1"] {
            assert!(!is_valid_decision_maker(bad), "{bad}");
        }
    }
}
