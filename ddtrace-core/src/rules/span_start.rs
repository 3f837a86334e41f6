//! Tags a span gets when it starts.
//!
//! - every span: `env` and the `DD_TAGS` tags, and `_dd.svc_src=m` when its service was named
//!   in code;
//! - a local root (the first span of a trace in this process) besides: `runtime-id`,
//!   `process_id` and, with `DD_TRACE_REPORT_HOSTNAME`, `_dd.hostname`.

use crate::keys;
use crate::span_data::SpanData;
use crate::str::Str;
use crate::tracer_shared::TracerShared;

/// The value of [`keys::SERVICE_SOURCE`] on a span whose service was set by hand.
const MANUAL_SERVICE_SOURCE: &str = "m";

/// Tags every span starts with; `explicit_service`: its builder named its service.
#[inline]
pub(crate) fn every_span(data: &mut SpanData, shared: &TracerShared, explicit_service: bool) {
    for (k, v) in &shared.span_tags {
        data.append_meta(k.clone(), v.clone());
    }
    if explicit_service {
        data.append_meta(
            Str::from_static(keys::SERVICE_SOURCE),
            Str::from_static(MANUAL_SERVICE_SOURCE),
        );
    }
}

/// Tags a local root starts with, besides [`every_span`]'s.
#[inline]
pub(crate) fn local_root(data: &mut SpanData, shared: &TracerShared) {
    data.append_meta(
        Str::from_static(keys::RUNTIME_ID),
        shared.runtime_id.clone(),
    );
    data.append_metric(Str::from_static(keys::PROCESS_ID), shared.pid);
    if shared.config.report_hostname {
        data.append_meta(
            Str::from_static(keys::HOSTNAME),
            Str::shared(crate::process::hostname()),
        );
    }
}
