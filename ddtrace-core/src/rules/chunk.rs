//! Tags a chunk gets when it leaves for the exporter, on its first span (the local root when
//! the chunk holds it): `language`, the trace's propagated `_dd.p.*` tags, `_dd.p.tid`, the
//! sampler's metrics for the root, `_dd.git.commit.sha` and `_dd.git.repository_url`, and
//! `_sampling_priority_v1`; and `_dd.origin` on every span.

use std::cell::RefCell;

use crate::config::Config;
use crate::id::TraceId;
use crate::keys;
use crate::sampling::SamplingPriority;
use crate::span_data::SpanData;
use crate::str::Str;

/// Moves the sampler's metrics for the local root (`_dd.rule_psr`...) onto it: the root is in
/// exactly one chunk.
#[inline]
pub(crate) fn root_metrics(root: &mut SpanData, metrics: Vec<(Str, f64)>) {
    for (k, v) in metrics {
        root.set_metric(k, v);
    }
}

/// The trace-level tags: on the first span, `language`, the propagated `tags` and `tid`
/// (`_dd.p.tid`, from [`trace_id_high`]); on every span, the trace's `origin`.
#[inline]
pub(crate) fn trace_tags(
    spans: &mut [SpanData],
    tags: &[(Str, Str)],
    tid: Option<Str>,
    origin: Option<&Str>,
) {
    let first = &mut spans[0];
    first.set_meta(
        Str::from_static(keys::LANGUAGE),
        Str::from_static(keys::LANGUAGE_RUST),
    );
    for (k, v) in tags {
        first.set_meta(k.clone(), v.clone());
    }
    if let Some(tid) = tid {
        first.set_meta(Str::from_static(keys::TRACE_ID_HIGH), tid);
    }
    if let Some(origin) = origin {
        for s in spans {
            s.set_meta(Str::from_static(keys::ORIGIN), origin.clone());
        }
    }
}

/// The source code integration's tags, from the configuration, once per tracer: none when
/// `DD_TRACE_GIT_METADATA_ENABLED` is false, as in the Python tracer.
pub(crate) fn git_tags(config: &Config) -> Vec<(Str, Str)> {
    if !config.git_metadata_enabled {
        return Vec::new();
    }
    let commit = config
        .git_commit_sha
        .as_ref()
        .map(|v| (keys::GIT_COMMIT_SHA, v));
    let repo = config
        .git_repository_url
        .as_ref()
        .map(|v| (keys::GIT_REPOSITORY_URL, v));
    commit
        .into_iter()
        .chain(repo)
        .map(|(k, v)| (Str::from_static(k), v.clone()))
        .collect()
}

/// The source code integration's tags ([`git_tags`]) on the chunk's first span, as the
/// Python tracer's `TraceTagsProcessor` (on `trace[0]` only): each a clone of a shared text.
#[inline]
pub(crate) fn git(first: &mut SpanData, git_tags: &[(Str, Str)]) {
    for (k, v) in git_tags {
        first.set_meta(k.clone(), v.clone());
    }
}

/// The trace's priority on the chunk's first span, once span sampling has seen the chunk.
#[inline]
pub(crate) fn priority(first: &mut SpanData, priority: SamplingPriority) {
    first.set_metric(
        Str::from_static(keys::SAMPLING_PRIORITY),
        f64::from(priority.0),
    );
}

thread_local! {
    /// The latest `_dd.p.tid` built on this thread. The upper half of a trace id is the unix
    /// time in seconds followed by zeros, so traces started in the same second share it, and
    /// a clone of the shared text replaces an allocation per trace.
    static LAST_TID: RefCell<Option<(u64, Str)>> = const { RefCell::new(None) };
}

/// `_dd.p.tid`: the upper 64 bits of a 128-bit `trace_id` in hex; none for a 64-bit id.
#[inline]
pub(crate) fn trace_id_high(trace_id: TraceId) -> Option<Str> {
    (trace_id.high() != 0).then(|| high_hex16(trace_id))
}

fn high_hex16(trace_id: TraceId) -> Str {
    let high = trace_id.high();
    let build = || Str::shared(trace_id.high_hex16());
    LAST_TID
        .try_with(|last| {
            let mut last = last.borrow_mut();
            match &*last {
                Some((h, text)) if *h == high => text.clone(),
                _ => {
                    let text = build();
                    *last = Some((high, text.clone()));
                    text
                }
            }
        })
        .unwrap_or_else(|_| build())
}

#[cfg(test)]
mod tests {
    use super::{git, git_tags, trace_id_high, trace_tags};
    use crate::id::TraceId;
    use crate::keys;
    use crate::span_data::SpanData;
    use crate::str::Str;

    #[test]
    fn the_first_span_carries_the_trace_tags_and_every_span_the_origin() {
        let mut spans = vec![SpanData::default(), SpanData::default()];
        let tags = [(
            Str::from_static(keys::DECISION_MAKER),
            Str::from_static("-1"),
        )];
        let origin = Str::from_static("synthetics");
        trace_tags(
            &mut spans,
            &tags,
            Some(Str::from_static("00000000000000ff")),
            Some(&origin),
        );
        assert_eq!(spans[0].meta(keys::LANGUAGE), Some(keys::LANGUAGE_RUST));
        assert_eq!(spans[0].meta(keys::DECISION_MAKER), Some("-1"));
        assert_eq!(spans[0].meta(keys::TRACE_ID_HIGH), Some("00000000000000ff"));
        assert_eq!(spans[1].meta(keys::LANGUAGE), None);
        assert!(
            spans
                .iter()
                .all(|s| s.meta(keys::ORIGIN) == Some("synthetics"))
        );
    }

    #[test]
    fn only_a_128_bit_trace_id_has_a_high_half_tag() {
        assert!(trace_id_high(TraceId(42)).is_none());
        let high = trace_id_high(TraceId((0xff_u128 << 64) | 42)).expect("128-bit");
        assert_eq!(high.as_str(), "00000000000000ff");
    }

    #[test]
    fn git_tags_are_built_once_from_the_config_and_none_when_disabled() {
        let config = crate::Config::builder_without_env()
            .git_commit_sha("abc123")
            .git_repository_url("https://u:p@github.com/o/r")
            .build();
        let tags = git_tags(&config);
        let mut span = SpanData::default();
        git(&mut span, &tags);
        assert_eq!(span.meta(keys::GIT_COMMIT_SHA), Some("abc123"));
        assert_eq!(
            span.meta(keys::GIT_REPOSITORY_URL),
            Some("https://github.com/o/r")
        );
        let mut disabled = config;
        disabled.git_metadata_enabled = false;
        assert!(git_tags(&disabled).is_empty());
    }
}
