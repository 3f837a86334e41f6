//! The agent's trace payloads: `/v0.4/traces` (spans as maps) and `/v0.5/traces` (spans as
//! arrays of string-table indexes), byte for byte in the shape the Python tracer sends.
//!
//! ```
//! use ddtrace_core::{ApiVersion, export::TraceChunk, span_data::SpanData, TraceId, SpanId};
//! use ddtrace_writer::encode::encode_traces;
//!
//! let span = SpanData {
//!     trace_id: TraceId(7),
//!     span_id: SpanId(8),
//!     name: "web.request".into(),
//!     service: "shop".into(),
//!     ..Default::default()
//! };
//! let chunk = TraceChunk { trace_id: TraceId(7), priority: None, spans: vec![span] };
//! let body = encode_traces(ApiVersion::V04, &[chunk]);
//! assert_eq!(body[0], 0x91); // an array of one trace
//! ```

mod batch;
mod json;
pub mod msgpack;
mod v04;
mod v05;

use std::borrow::Cow;

use ddtrace_core::ApiVersion;
use ddtrace_core::export::TraceChunk;

pub(crate) use batch::{Payload, split};

/// Meta values longer than this many characters are cut (`MAX_SPAN_META_VALUE_LEN`).
pub const MAX_META_VALUE_LEN: usize = 25_000;

/// What replaces the end of a cut value; the result is exactly [`MAX_META_VALUE_LEN`] long.
pub const TRUNCATION_SUFFIX: &str = "<truncated>...";

/// Cuts `s` as the Python tracer does: a value longer than 25000 characters keeps its first
/// 24986 and ends with `<truncated>...`. Counts characters, not bytes, as Python does.
#[inline]
pub fn truncate(s: &str) -> Cow<'_, str> {
    // At most one character per byte: short byte lengths need no counting.
    if s.len() <= MAX_META_VALUE_LEN || s.chars().nth(MAX_META_VALUE_LEN).is_none() {
        return Cow::Borrowed(s);
    }
    let keep = MAX_META_VALUE_LEN - TRUNCATION_SUFFIX.len();
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let mut out = String::with_capacity(cut + TRUNCATION_SUFFIX.len());
    out.push_str(&s[..cut]);
    out.push_str(TRUNCATION_SUFFIX);
    Cow::Owned(out)
}

/// The agent's endpoint for payloads encoded for `api`.
///
/// ```
/// use ddtrace_core::ApiVersion;
/// assert_eq!(ddtrace_writer::encode::traces_path(ApiVersion::V05), "/v0.5/traces");
/// ```
pub fn traces_path(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V04 => "/v0.4/traces",
        ApiVersion::V05 => "/v0.5/traces",
    }
}

/// Encodes `chunks` as one payload body for `api`, with no size limit.
///
/// The writer itself splits batches into payloads under `DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES`;
/// this is the same encoding for tools, tests and benchmarks.
pub fn encode_traces(api: ApiVersion, chunks: &[TraceChunk]) -> Vec<u8> {
    let mut enc = Encoder::new(api, usize::MAX);
    for c in chunks {
        enc.push(c);
    }
    enc.finish()
}

/// A payload being built for one API version.
pub(crate) enum Encoder<'a> {
    V04(v04::V04Encoder),
    V05(v05::V05Encoder<'a>),
}

impl<'a> Encoder<'a> {
    /// An empty payload that refuses traces which would take it over `limit` bytes.
    pub(crate) fn new(api: ApiVersion, limit: usize) -> Self {
        match api {
            ApiVersion::V04 => Encoder::V04(v04::V04Encoder::new(limit)),
            ApiVersion::V05 => Encoder::V05(v05::V05Encoder::new(limit)),
        }
    }

    /// Adds one trace; `false` (payload unchanged) if it would go over the limit.
    pub(crate) fn push(&mut self, chunk: &'a TraceChunk) -> bool {
        match self {
            Encoder::V04(e) => e.push(chunk),
            Encoder::V05(e) => e.push(chunk),
        }
    }

    /// Traces in the payload so far.
    pub(crate) fn trace_count(&self) -> usize {
        match self {
            Encoder::V04(e) => e.trace_count(),
            Encoder::V05(e) => e.trace_count(),
        }
    }

    /// The payload's body; the encoder is empty again afterwards.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        match self {
            Encoder::V04(e) => e.finish(),
            Encoder::V05(e) => e.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_to_the_limit_with_a_marker() {
        let short = "a".repeat(MAX_META_VALUE_LEN);
        assert!(matches!(truncate(&short), Cow::Borrowed(_)));
        let long = "a".repeat(MAX_META_VALUE_LEN + 1);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_META_VALUE_LEN);
        assert!(cut.ends_with(TRUNCATION_SUFFIX));
    }

    #[test]
    fn multibyte_text_is_counted_in_characters() {
        // 20000 characters, 60000 bytes: under the limit in characters.
        let s = "€".repeat(20_000);
        assert!(matches!(truncate(&s), Cow::Borrowed(_)));
        let s = "€".repeat(30_000);
        let cut = truncate(&s);
        assert_eq!(cut.chars().count(), MAX_META_VALUE_LEN);
    }
}
