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

#[cfg(test)]
mod tests {
    use super::tag;
    use crate::config::Config;
    use crate::keys;
    use crate::span_data::SpanData;

    fn span_of(service: &str) -> SpanData {
        SpanData {
            service: service.to_owned().into(),
            ..SpanData::default()
        }
    }

    #[test]
    fn the_tracers_service_gets_the_version_and_another_the_base_service() {
        let config = Config::builder_without_env()
            .service("shop")
            .version("1.2")
            .build();
        let mut own = span_of("shop");
        tag(&mut own, true, &config);
        assert_eq!(own.metric(keys::TOP_LEVEL), Some(1.0));
        assert_eq!(own.meta(keys::VERSION), Some("1.2"));
        assert_eq!(own.meta(keys::BASE_SERVICE), None);

        let mut other = span_of("postgres");
        tag(&mut other, false, &config);
        assert_eq!(other.metric(keys::TOP_LEVEL), None);
        assert_eq!(other.meta(keys::VERSION), None);
        assert_eq!(other.meta(keys::BASE_SERVICE), Some("shop"));

        // A service that differs only in case is the tracer's own, without the version.
        let mut cased = span_of("Shop");
        tag(&mut cased, false, &config);
        assert_eq!(cased.meta(keys::BASE_SERVICE), None);
        assert_eq!(cased.meta(keys::VERSION), None);
    }
}
