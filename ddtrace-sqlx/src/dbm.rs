//! Database Monitoring: the SQL comment that links a query to its trace
//! (`DD_DBM_PROPAGATION_MODE`), written as the Python tracer's sqlcommenter writes it.

use ddtrace_core::{Config, SpanRef};

/// `DD_DBM_PROPAGATION_MODE`, parsed by the configuration (`config.dbm_propagation_mode`).
pub use ddtrace_core::config::DbmMode;

/// The tag set on spans whose query carries their `traceparent`.
pub const DBM_TRACE_INJECTED: &str = ddtrace_core::keys::DBM_TRACE_INJECTED;

/// What the comment is made of, besides the tracer's configuration.
pub(crate) struct CommentInput<'a> {
    /// The database span's service (`dddbs`, unless peer-service defaults name the database).
    pub service: &'a str,
    /// `db.name` (`dddb`).
    pub db_name: Option<&'a str>,
    /// `out.host` (`ddh`).
    pub host: Option<&'a str>,
    /// `peer.service` as set before the query runs (`ddprs`).
    pub peer_service: Option<&'a str>,
}

/// The comment to prepend to the query's SQL, with its trailing space; `None` when disabled.
/// In `full` mode this also tags `span` with [`DBM_TRACE_INJECTED`].
pub(crate) fn comment(
    mode: DbmMode,
    config: &Config,
    input: &CommentInput<'_>,
    span: &SpanRef,
) -> Option<String> {
    if mode == DbmMode::Disabled {
        return None;
    }
    let db_service = match input.db_name {
        Some(name)
            if !name.is_empty()
                && ddtrace_core::integration::peer_service_defaults_enabled(config) =>
        {
            name
        }
        _ => input.service,
    };
    let traceparent = (mode == DbmMode::Full).then(|| {
        span.set_tag(DBM_TRACE_INJECTED, "true");
        traceparent(span)
    });
    // Keys in alphabetical order, as sqlcommenter sorts them.
    let pairs: [(&str, Option<&str>); 8] = [
        ("dddb", input.db_name),
        ("dddbs", Some(db_service)),
        ("dde", config.env.as_deref()),
        ("ddh", input.host),
        ("ddprs", input.peer_service),
        ("ddps", Some(config.service.as_str())),
        ("ddpv", config.version.as_deref()),
        ("traceparent", traceparent.as_deref()),
    ];
    let mut out = String::with_capacity(160);
    out.push_str("/*");
    let mut first = true;
    for (key, value) in pairs {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(key);
        out.push_str("='");
        quote_into(&mut out, value);
        out.push('\'');
    }
    if first {
        return None;
    }
    out.push_str("*/ ");
    Some(out)
}

/// `00-{trace id}-{span id}-{flags}`, sampled when the trace's priority keeps it (deciding the
/// priority now if nobody has, as injecting into headers does).
fn traceparent(span: &SpanRef) -> String {
    let ctx = span.context();
    let sampled = ctx.sampling_priority.is_some_and(|p| p.is_keep());
    format!(
        "00-{}-{}-{:02x}",
        ctx.trace_id.to_hex32(),
        ctx.span_id.to_hex16(),
        u8::from(sampled)
    )
}

/// Python's `urllib.parse.quote(value)` (unreserved characters and `/` kept, every other byte
/// of the UTF-8 encoding as `%XX`), then every `%` doubled, as the Python tracer writes values
/// so that drivers using `%` placeholders leave them alone.
fn quote_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str("%%");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::Tracer;
    use ddtrace_core::export::InMemoryExporter;

    fn config(mode: &str) -> Config {
        let mut c = Config::builder_without_env()
            .service("my svc")
            .env("prod")
            .version("1.0")
            .build();
        c.dbm_propagation_mode = mode.parse().unwrap_or_default();
        c
    }

    fn input() -> CommentInput<'static> {
        CommentInput {
            service: "pg",
            db_name: Some("db"),
            host: Some("h"),
            peer_service: None,
        }
    }

    #[test]
    fn quoting_matches_python_quote_with_doubled_percent() {
        let mut s = String::new();
        quote_into(&mut s, "a b/c'é%~");
        assert_eq!(s, "a%%20b/c%%27%%C3%%A9%%25~");
    }

    #[test]
    fn service_mode_matches_the_python_tracers_comment() {
        let c = config("service");
        let comment = comment(c.dbm_propagation_mode, &c, &input(), &SpanRef::none());
        assert_eq!(
            comment.as_deref(),
            Some("/*dddb='db',dddbs='pg',dde='prod',ddh='h',ddps='my%%20svc',ddpv='1.0'*/ ")
        );
    }

    #[test]
    fn disabled_and_unknown_modes_give_no_comment() {
        for mode in ["disabled", "dynamic_service", ""] {
            let c = config(mode);
            assert_eq!(
                comment(c.dbm_propagation_mode, &c, &input(), &SpanRef::none()),
                None
            );
        }
    }

    #[test]
    fn empty_values_are_left_out() {
        let c = Config::builder_without_env().service("s").build();
        let input = CommentInput {
            service: "sqlite",
            db_name: Some(""),
            host: None,
            peer_service: None,
        };
        let comment = comment(DbmMode::Service, &c, &input, &SpanRef::none());
        assert_eq!(comment.as_deref(), Some("/*dddbs='sqlite',ddps='s'*/ "));
    }

    #[test]
    fn peer_service_defaults_name_the_database_service_after_db_name() {
        let mut c = config("service");
        c.peer_service_defaults_enabled = true;
        let comment = comment(DbmMode::Service, &c, &input(), &SpanRef::none()).unwrap_or_default();
        assert!(comment.contains("dddbs='db'"), "{comment}");
    }

    #[test]
    fn full_mode_adds_the_spans_traceparent_and_tags_it() {
        let c = config("full");
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder()
            .config(c.clone())
            .exporter(exporter.clone())
            .build();
        let comment = {
            let span = tracer.trace("postgres.query").start_detached();
            comment(DbmMode::Full, &c, &input(), &span).unwrap_or_default()
        };
        let span = &exporter.spans()[0];
        let expected = format!(
            "traceparent='00-{}-{}-01'*/ ",
            span.trace_id.to_hex32(),
            span.span_id.to_hex16()
        );
        assert!(comment.ends_with(&expected), "{comment}");
        assert_eq!(span.meta(DBM_TRACE_INJECTED), Some("true"));
    }
}
