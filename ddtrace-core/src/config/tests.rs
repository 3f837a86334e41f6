//! Tests of the configuration: environment reading, defaults, warnings and the builder.

use super::*;
use std::collections::HashMap;

fn from(pairs: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_match_the_python_tracer() {
    let c = from(&[]);
    assert!(c.enabled);
    assert_eq!(c.partial_flush_min_spans, 300);
    assert_eq!(c.api_version, ApiVersion::V05);
    assert_eq!(c.writer_buffer_size_bytes, 20 << 20);
    assert_eq!(c.writer_interval, Duration::from_secs(1));
    assert_eq!(c.agent_timeout, Duration::from_secs(2));
    assert_eq!(c.rate_limit, 100.0);
    assert_eq!(
        c.propagation_style_extract,
        vec!["datadog", "tracecontext", "baggage"]
    );
    assert!(c.warnings.is_empty());
}

#[test]
fn bad_values_warn_and_fall_back() {
    let c = from(&[
        ("DD_TRACE_RATE_LIMIT", "abc"),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "x"),
        ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "zz"),
        ("DD_TRACE_SAMPLE_RATE", "abc"),
        ("DD_TRACE_API_VERSION", "v0.3"),
    ]);
    assert_eq!(c.rate_limit, 100.0);
    assert_eq!(c.partial_flush_min_spans, 300);
    assert_eq!(c.agent_timeout, Duration::from_secs(2));
    assert_eq!(c.api_version, ApiVersion::V05);
    let keys: Vec<_> = c.warnings.iter().map(|w| w.key).collect();
    assert_eq!(
        keys,
        vec![
            "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS",
            "DD_TRACE_AGENT_TIMEOUT_SECONDS",
            "DD_TRACE_API_VERSION",
            "DD_TRACE_RATE_LIMIT",
            "DD_TRACE_SAMPLE_RATE"
        ]
    );
}

#[test]
fn enabled_is_true_only_for_true_or_one() {
    assert!(!from(&[("DD_TRACE_ENABLED", "yes")]).enabled);
    assert!(!from(&[("DD_TRACE_ENABLED", "false")]).enabled);
    assert!(from(&[("DD_TRACE_ENABLED", "TRUE")]).enabled);
}

#[test]
fn agent_url_resolution_order() {
    assert_eq!(
        from(&[("DD_TRACE_AGENT_URL", "unix:///tmp/a.sock")]).agent_url,
        "unix:///tmp/a.sock"
    );
    assert_eq!(
        from(&[
            ("DD_AGENT_HOST", "agent"),
            ("DD_TRACE_AGENT_URL", "http://x:1")
        ])
        .agent_url,
        "http://x:1"
    );
    assert_eq!(
        from(&[("DD_AGENT_HOST", "agent")]).agent_url,
        "http://agent:8126"
    );
    assert_eq!(
        from(&[("DD_TRACE_AGENT_PORT", "9000")]).agent_url,
        "http://localhost:9000"
    );
    assert_eq!(
        from(&[("DD_AGENT_HOST", "::1")]).agent_url,
        "http://[::1]:8126"
    );
    let bad = from(&[("DD_TRACE_AGENT_PORT", "http")]);
    assert_eq!(bad.warnings[0].key, "DD_TRACE_AGENT_PORT");
}

#[test]
fn dd_tags_provide_env_and_version_fallbacks() {
    let c = from(&[("DD_TAGS", "env:staging,version:2,team:core")]);
    assert_eq!(c.env.as_deref(), Some("staging"));
    assert_eq!(c.version.as_deref(), Some("2"));
    assert_eq!(c.tags, vec![(Str::from("team"), Str::from("core"))]);
    let c = from(&[("DD_TAGS", "env:staging"), ("DD_ENV", "prod")]);
    assert_eq!(c.env.as_deref(), Some("prod"));
}

#[test]
fn propagation_styles_specific_beat_general() {
    let c = from(&[
        ("DD_TRACE_PROPAGATION_STYLE", "b3,tracecontext"),
        ("DD_TRACE_PROPAGATION_STYLE_INJECT", "Datadog"),
    ]);
    assert_eq!(c.propagation_style_extract, vec!["b3", "tracecontext"]);
    assert_eq!(c.propagation_style_inject, vec!["datadog"]);
}

#[test]
fn partial_flush_minimum_is_at_least_one() {
    let c = from(&[("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "0")]);
    assert_eq!(c.partial_flush_min_spans, 1);
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn builder_overrides_environment_values() {
    let c = Config::builder_without_env()
        .service("svc")
        .env("e")
        .partial_flush_min_spans(0)
        .build();
    assert_eq!(c.service, "svc");
    assert_eq!(c.env.as_deref(), Some("e"));
    assert_eq!(c.partial_flush_min_spans, 1);
}

#[test]
fn client_error_statuses_follow_the_server_ones_unless_set() {
    let c = from(&[("DD_TRACE_HTTP_SERVER_ERROR_STATUSES", "500-503")]);
    assert!(c.is_client_error_status(502));
    assert!(!c.is_client_error_status(504));
    assert!(!c.is_client_error_status(404));
    let c = from(&[("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES", "400-499")]);
    assert!(c.is_client_error_status(404));
    assert!(!c.is_client_error_status(500));
    assert!(c.is_server_error_status(500));
}

#[test]
fn header_tags_map_headers_to_tags() {
    let c = from(&[("DD_TRACE_HEADER_TAGS", "X-User:user.id, Content-Type")]);
    assert_eq!(
        c.header_tags,
        vec![
            ("x-user".into(), "user.id".into()),
            ("content-type".into(), "".into())
        ]
    );
}

#[test]
fn typed_values_parse_once_and_bad_ones_warn() {
    let c = from(&[
        ("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA", "v1"),
        ("DD_DBM_PROPAGATION_MODE", "Full"),
        ("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "RESTART"),
        ("DD_TRACE_AGENT_URL", "https://agent.example:8443"),
    ]);
    assert_eq!(c.span_attribute_schema, SpanSchema::V1);
    assert_eq!(c.dbm_propagation_mode, DbmMode::Full);
    assert_eq!(c.propagation_behavior_extract, ExtractBehavior::Restart);
    assert!(c.agent_url.is_tls());
    assert_eq!(c.agent_url, "https://agent.example:8443");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    let c = from(&[
        ("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA", "v2"),
        ("DD_DBM_PROPAGATION_MODE", "dynamic_service"),
        ("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "drop"),
        ("DD_TRACE_AGENT_URL", "ftp://agent"),
    ]);
    assert_eq!(c.span_attribute_schema, SpanSchema::V0);
    assert_eq!(c.dbm_propagation_mode, DbmMode::Disabled);
    assert_eq!(c.propagation_behavior_extract, ExtractBehavior::Continue);
    assert_eq!(c.agent_url, AgentUrl::default());
    let mut keys: Vec<_> = c.warnings.iter().map(|w| w.key).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "DD_DBM_PROPAGATION_MODE",
            "DD_TRACE_AGENT_URL",
            "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT",
            "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA",
        ]
    );
}

#[test]
fn unknown_propagation_styles_warn_once_at_config_time() {
    let c = from(&[("DD_TRACE_PROPAGATION_STYLE", "datadog,jaeger,none,b3")]);
    assert_eq!(c.propagation_style_extract, vec!["datadog", "b3"]);
    assert_eq!(c.propagation_style_inject, vec!["datadog", "b3"]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].key, "DD_TRACE_PROPAGATION_STYLE");
    assert_eq!(c.warnings[0].value, "jaeger");

    let c = Config::builder_without_env()
        .propagation_style_inject(vec!["tracecontext".into(), "zipkin".into()])
        .build();
    assert_eq!(c.propagation_style_inject, vec!["tracecontext"]);
    assert_eq!(c.warnings[0].key, "propagation_style_inject");
}

#[test]
fn a_builder_url_that_does_not_parse_is_reported_and_the_previous_one_kept() {
    let c = Config::builder_without_env()
        .agent_url("https://agent:8443")
        .agent_url("agent:8126")
        .build();
    assert_eq!(c.agent_url, "https://agent:8443");
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].key, "agent_url");
    assert!(
        c.warnings[0].message.contains("not a URL"),
        "{}",
        c.warnings[0]
    );
}

#[test]
fn an_unreadable_ca_bundle_is_reported_for_https_agents_only() {
    let missing = "/nonexistent/ddtrace-ca.pem";
    let c = from(&[
        ("DD_TRACE_AGENT_URL", "https://agent"),
        ("SSL_CERT_FILE", missing),
    ]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].key, "SSL_CERT_FILE");
    let c = from(&[
        ("DD_TRACE_AGENT_URL", "http://agent"),
        ("SSL_CERT_FILE", missing),
    ]);
    assert!(c.warnings.is_empty());
}

#[test]
fn git_metadata_prefers_dd_git_variables_over_dd_tags_and_strips_credentials() {
    let tags = "git.commit.sha:tagsha,git.repository_url:https://x.com/tag,foo:bar";
    let c = from(&[
        ("DD_GIT_COMMIT_SHA", "envsha"),
        (
            "DD_GIT_REPOSITORY_URL",
            "https://user:pw@github.com/a/b.git",
        ),
        ("DD_TAGS", tags),
    ]);
    assert!(c.git_metadata_enabled);
    assert_eq!(c.git_commit_sha.as_deref(), Some("envsha"));
    assert_eq!(
        c.git_repository_url.as_deref(),
        Some("https://github.com/a/b.git")
    );
    // As the Python tracer's `clean_tags`: the git tags are not added to every span.
    assert_eq!(
        c.tags,
        vec![(Str::from_static("foo"), Str::from_static("bar"))]
    );

    let c = from(&[("DD_TAGS", tags)]);
    assert_eq!(c.git_commit_sha.as_deref(), Some("tagsha"));
    assert_eq!(c.git_repository_url.as_deref(), Some("https://x.com/tag"));

    let c = from(&[("DD_TRACE_GIT_METADATA_ENABLED", "false")]);
    assert!(!c.git_metadata_enabled);
    assert_eq!(c.git_commit_sha, None);
}

#[test]
fn build_time_git_metadata_fills_only_what_is_unset() {
    let c = ConfigBuilder::from(Config::from_lookup(|k| {
        (k == "DD_GIT_COMMIT_SHA").then(|| "runtime".to_owned())
    }))
    .git_metadata_defaults(Some("built"), Some("https://t@github.com/o/r"))
    .build();
    assert_eq!(c.git_commit_sha.as_deref(), Some("runtime"));
    assert_eq!(
        c.git_repository_url.as_deref(),
        Some("https://github.com/o/r")
    );
    let c = Config::builder_without_env()
        .git_metadata_defaults(Some(""), None)
        .build();
    assert_eq!(c.git_commit_sha, None);
}
