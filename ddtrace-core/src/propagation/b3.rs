//! The Zipkin B3 styles: `b3multi` (`x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`, `x-b3-flags`)
//! and `b3` (the single header `{trace}-{span}[-{sampling state}[-{parent}]]`).

use super::carrier::{Extractor, Injector};
use super::parse::{header, py_int, report};
use crate::context::SpanContext;
use crate::id::{SpanId, TraceId};
use crate::sampling::SamplingPriority;

pub(crate) const TRACE_ID: &str = "x-b3-traceid";
pub(crate) const SPAN_ID: &str = "x-b3-spanid";
pub(crate) const SAMPLED: &str = "x-b3-sampled";
pub(crate) const FLAGS: &str = "x-b3-flags";
pub(crate) const SINGLE: &str = "b3";

/// A B3 id in hex (any case; Python's `int(x, 16)` rules). `Ok(0)` for an id that is zero or
/// does not fit (the context then has no such id, as in the Python tracer); `Err` when the text
/// is not a number at all.
fn parse_id(text: &str, max: u128) -> Result<u128, ()> {
    let v = py_int(text, 16).ok_or(())?;
    Ok(v.positive_up_to(max).unwrap_or(0))
}

fn ids(trace: Option<&str>, span: Option<&str>) -> Result<(TraceId, SpanId), ()> {
    let trace = match trace {
        Some(t) => parse_id(t, u128::MAX)?,
        None => 0,
    };
    let span = match span {
        Some(s) => parse_id(s, u64::MAX.into())? as u64,
        None => 0,
    };
    Ok((TraceId(trace), SpanId(span)))
}

/// Reads the `x-b3-*` headers; `None` without `x-b3-traceid` or when an id is not hex.
pub(crate) fn extract_multi(carrier: &dyn Extractor) -> Option<SpanContext> {
    let trace = header(carrier, TRACE_ID)?;
    let span = header(carrier, SPAN_ID);
    let sampled = header(carrier, SAMPLED);
    let flags = header(carrier, FLAGS);
    let Ok((trace_id, span_id)) = ids(Some(trace), span) else {
        report(format_args!(
            "invalid b3 ids {TRACE_ID}={trace:?} {SPAN_ID}={span:?}; ignored"
        ));
        return None;
    };
    let mut ctx = SpanContext::new(trace_id, span_id);
    ctx.sampling_priority = match sampled {
        Some("0") => Some(SamplingPriority::AUTO_REJECT),
        Some("1") => Some(SamplingPriority::AUTO_KEEP),
        _ => None,
    };
    if flags == Some("1") {
        ctx.sampling_priority = Some(SamplingPriority::USER_KEEP);
    }
    Some(ctx)
}

/// Reads the `b3` header; `None` when it is missing or empty or an id is not hex. A parent
/// span id in the fourth field is ignored.
pub(crate) fn extract_single(carrier: &dyn Extractor) -> Option<SpanContext> {
    let value = header(carrier, SINGLE).filter(|v| !v.is_empty())?;
    let parts: Vec<&str> = value.split('-').collect();
    let (trace, span, sampled) = match parts.as_slice() {
        [sampled] => (None, None, Some(*sampled)),
        [trace, span] => (Some(*trace), Some(*span), None),
        [trace, span, sampled, ..] => (Some(*trace), Some(*span), Some(*sampled)),
        [] => (None, None, None),
    };
    let Ok((trace_id, span_id)) = ids(trace, span) else {
        report(format_args!("invalid {SINGLE} header {value:?}; ignored"));
        return None;
    };
    let mut ctx = SpanContext::new(trace_id, span_id);
    ctx.sampling_priority = match sampled {
        Some("0") => Some(SamplingPriority::AUTO_REJECT),
        Some("1") => Some(SamplingPriority::AUTO_KEEP),
        Some("d") => Some(SamplingPriority::USER_KEEP),
        _ => None,
    };
    Some(ctx)
}

/// 16 hex digits for a 64-bit trace id, 32 for a 128-bit one.
fn trace_hex(id: TraceId) -> String {
    if id.high() != 0 {
        id.to_hex32()
    } else {
        format!("{:016x}", id.low())
    }
}

/// Writes the `x-b3-*` headers: priority ≤ 0 is `sampled: 0`, 1 is `sampled: 1`, ≥ 2 is
/// `flags: 1` (debug).
pub(crate) fn inject_multi(ctx: &SpanContext, carrier: &mut dyn Injector) {
    carrier.set(TRACE_ID, trace_hex(ctx.trace_id));
    carrier.set(SPAN_ID, ctx.span_id.to_hex16());
    match ctx.sampling_priority.map(|p| p.0) {
        Some(p) if p <= 0 => carrier.set(SAMPLED, "0".to_owned()),
        Some(1) => carrier.set(SAMPLED, "1".to_owned()),
        Some(_) => carrier.set(FLAGS, "1".to_owned()),
        None => {}
    }
}

/// Writes the `b3` header with the sampling state `0`, `1` or `d`.
pub(crate) fn inject_single(ctx: &SpanContext, carrier: &mut dyn Injector) {
    let mut value = format!("{}-{}", trace_hex(ctx.trace_id), ctx.span_id.to_hex16());
    match ctx.sampling_priority.map(|p| p.0) {
        Some(p) if p <= 0 => value.push_str("-0"),
        Some(1) => value.push_str("-1"),
        Some(_) => value.push_str("-d"),
        None => {}
    }
    carrier.set(SINGLE, value);
}
