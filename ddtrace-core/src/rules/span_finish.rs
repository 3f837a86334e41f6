//! Tags a span gets when it finishes: `_dd.top_level` on a span whose service differs from its
//! local parent's (or that has none), `version` on a span of the tracer's own service, and
//! `_dd.base_service` on a span of another service.

use crate::config::Config;
use crate::keys;
use crate::span_data::SpanData;
use crate::str::Str;

/// Tags the finished span `data`; `top_level` as the trace's record worked it out.
#[inline]
pub(crate) fn tag(data: &mut SpanData, top_level: bool, config: &Config) {
    if top_level {
        data.set_metric(Str::from_static(keys::TOP_LEVEL), 1.0);
    }
    if data.service == config.service {
        if let Some(version) = &config.version
            && data.meta(keys::VERSION).is_none()
        {
            data.append_meta(Str::from_static(keys::VERSION), version.clone());
        }
    } else if !data.service.eq_ignore_ascii_case(&config.service) {
        data.append_meta(Str::from_static(keys::BASE_SERVICE), config.service.clone());
    }
}
