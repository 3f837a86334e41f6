//! Splitting a batch of chunks into payloads under the maximum payload size.

use ddtrace_core::ApiVersion;
use ddtrace_core::export::TraceChunk;

use super::Encoder;

/// One encoded request body and the chunks it carries.
pub(crate) struct Payload {
    pub(crate) body: Vec<u8>,
    /// Positions of its chunks in the batch (to re-encode them after a downgrade).
    pub(crate) chunks: Vec<usize>,
    pub(crate) spans: usize,
}

/// The payloads for `indices` of `chunks`, and the chunks that fit in no payload.
pub(crate) fn split(
    api: ApiVersion,
    chunks: &[TraceChunk],
    indices: impl IntoIterator<Item = usize>,
    max_payload: usize,
) -> (Vec<Payload>, Vec<usize>) {
    let mut payloads = Vec::new();
    let mut too_large = Vec::new();
    let mut enc = Encoder::new(api, max_payload);
    let mut current = Vec::new();
    let mut spans = 0;
    for i in indices {
        let Some(chunk) = chunks.get(i) else { continue };
        if enc.push(chunk) {
            current.push(i);
            spans += chunk.spans.len();
            continue;
        }
        if enc.trace_count() > 0 {
            payloads.push(Payload {
                body: enc.finish(),
                chunks: std::mem::take(&mut current),
                spans: std::mem::take(&mut spans),
            });
            if enc.push(chunk) {
                current.push(i);
                spans += chunk.spans.len();
                continue;
            }
        }
        too_large.push(i);
    }
    if enc.trace_count() > 0 {
        payloads.push(Payload {
            body: enc.finish(),
            chunks: current,
            spans,
        });
    }
    (payloads, too_large)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::TraceId;
    use ddtrace_core::span_data::SpanData;

    fn chunk(tag_len: usize) -> TraceChunk {
        let mut s = SpanData::default();
        s.set_meta("k".into(), "v".repeat(tag_len).into());
        TraceChunk {
            trace_id: TraceId(1),
            priority: None,
            spans: vec![s],
        }
    }

    #[test]
    fn splits_under_the_limit_and_isolates_oversized_chunks() {
        for api in [ApiVersion::V04, ApiVersion::V05] {
            let chunks = vec![chunk(100), chunk(100), chunk(5000), chunk(100)];
            let (payloads, too_large) = split(api, &chunks, 0..chunks.len(), 400);
            assert_eq!(too_large, vec![2]);
            let carried: Vec<usize> = payloads.iter().flat_map(|p| p.chunks.clone()).collect();
            assert_eq!(carried, vec![0, 1, 3]);
            assert!(payloads.len() >= 2, "{api:?}");
            for p in &payloads {
                assert!(p.body.len() <= 400);
            }
        }
    }
}
