//! The `ddtrace-info` command, run as a user runs it.

use std::process::Command;

fn info(env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddtrace-info"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("DD_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("ddtrace-info runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_reachable_agent_is_reported_with_its_endpoints_and_a_test_payload() {
    let url = ddtrace_test_support::test_agent_url();
    let (ok, out) = info(&[
        ("DD_TRACE_AGENT_URL", &url),
        ("DD_ENV", "test"),
        ("DD_VERSION", "1"),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("Reachable               yes"), "{out}");
    assert!(out.contains("/v0.5/traces"), "{out}");
    assert!(out.contains("Test payload            accepted"), "{out}");
    assert!(out.contains(&format!("DD_TRACE_AGENT_URL={url}")), "{out}");
}

#[test]
fn an_unreachable_agent_fails_with_the_url_the_cause_and_the_setting() {
    let (ok, out) = info(&[("DD_AGENT_HOST", "127.0.0.1"), ("DD_TRACE_AGENT_PORT", "9")]);
    assert!(!ok, "{out}");
    assert!(out.contains("ERROR: agent not reachable"), "{out}");
    assert!(out.contains("http://127.0.0.1:9"), "{out}");
    assert!(out.contains("connection refused"), "{out}");
    assert!(out.contains("DD_TRACE_AGENT_URL"), "{out}");
}

#[test]
fn invalid_settings_are_listed_and_fail_the_check() {
    let url = ddtrace_test_support::test_agent_url();
    let (ok, out) = info(&[("DD_TRACE_AGENT_URL", &url), ("DD_TRACE_RATE_LIMIT", "abc")]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("invalid setting DD_TRACE_RATE_LIMIT=\"abc\""),
        "{out}"
    );
}
