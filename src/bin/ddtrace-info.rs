//! `ddtrace-info`: what the tracer would do in this environment, and whether the agent answers.
//!
//! The counterpart of the Python tracer's `ddtrace-run --info`. Prints the effective
//! configuration (the `DD_*` variables read, the values that could not be used), checks the
//! agent at the configured URL (reachable, version, endpoints, a test payload accepted) and exits
//! non-zero with an explanation when something is wrong.
//!
//! ```sh
//! cargo run --bin ddtrace-info
//! DD_TRACE_AGENT_URL=unix:///var/run/datadog/apm.socket cargo run --bin ddtrace-info
//! ```

use std::process::ExitCode;

use ddtrace::Config;

fn main() -> ExitCode {
    let config = Config::from_env();
    let mut problems = Vec::new();

    println!("ddtrace {} (Rust)", env!("CARGO_PKG_VERSION"));
    println!();
    println!("Configuration");
    row("Tracer enabled", config.enabled);
    row("Service", &config.service);
    row("Environment", opt(config.env.as_deref()));
    row("Version", opt(config.version.as_deref()));
    let tags: Vec<String> = config
        .tags
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    row(
        "Global tags",
        if tags.is_empty() {
            "None".to_owned()
        } else {
            tags.join(", ")
        },
    );
    row("Agent URL", &config.agent_url);
    if config.agent_url.is_tls() {
        row("TLS trusted roots", tls_roots());
    }
    row("Agent timeout", format!("{:?}", config.agent_timeout));
    row("Trace API", config.api_version.as_str());
    row("Sampling rules", opt(config.sampling_rules.as_deref()));
    row("Rate limit (traces/s)", config.rate_limit);
    row(
        "Partial flush",
        format!(
            "{} (min {} spans)",
            config.partial_flush_enabled, config.partial_flush_min_spans
        ),
    );
    row(
        "Propagation (extract)",
        names(&config.propagation_style_extract),
    );
    row(
        "Propagation (inject)",
        names(&config.propagation_style_inject),
    );
    row("128-bit trace ids", config.trace_id_128_bit);
    row(
        "Writer buffer",
        format!("{} bytes", config.writer_buffer_size_bytes),
    );
    row("Writer interval", format!("{:?}", config.writer_interval));

    println!();
    println!("Variables read");
    if config.sources.is_empty() {
        println!("  (no DD_* variable is set: every value above is a default)");
    }
    for (key, value) in &config.sources {
        println!("  {key}={value}");
    }
    for w in &config.warnings {
        if matches!(w.key, "DD_TRACE_AGENT_URL" | "agent_url") {
            problems.push(format!(
                "the agent URL {:?} cannot be used ({}); traces go to {} instead",
                w.value, w.message, config.agent_url
            ));
        } else {
            problems.push(format!("invalid setting {w}"));
        }
    }

    println!();
    println!("Agent");
    if !config.enabled {
        println!("  not checked: tracing is disabled (DD_TRACE_ENABLED)");
    } else {
        match ddtrace::writer::check_agent(&config) {
            Ok(info) => {
                row("Reachable", "yes");
                row("Version", opt(info.version.as_deref()));
                row("Endpoints", info.endpoints.join(" "));
                let api = format!("/{}/traces", config.api_version.as_str());
                if !info.endpoints.is_empty() && !info.has_endpoint(&api) {
                    println!(
                        "  note: the agent does not list {api}; the writer will fall back to /v0.4/traces"
                    );
                }
                match ddtrace::writer::send_test_payload(&config) {
                    Ok(()) => row("Test payload", "accepted"),
                    Err(e) => {
                        problems.push(format!("the agent refused an empty test payload: {e}"))
                    }
                }
            }
            Err(e) => problems.push(format!("agent not reachable: {e}")),
        }
    }

    println!();
    if config.env.is_none() {
        println!("WARNING: DD_ENV is not set: traces will have no environment.");
    }
    if config.version.is_none() {
        println!("WARNING: DD_VERSION is not set: deployments cannot be compared.");
    }
    if problems.is_empty() {
        println!(
            "Everything looks right: traces will reach the agent at {}.",
            config.agent_url
        );
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            println!("ERROR: {p}");
        }
        ExitCode::FAILURE
    }
}

fn row(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<24}{value}");
}

fn names(styles: &[ddtrace::propagation::PropagationStyle]) -> String {
    let names: Vec<&str> = styles.iter().map(|s| s.as_str()).collect();
    names.join(",")
}

/// Which certificates an `https://` agent's must chain to (see the writer's TLS module).
fn tls_roots() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut roots = vec!["the platform's".to_owned()];
    for name in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        if let Some(v) = var(name) {
            roots.push(format!("{name}={v}"));
        }
    }
    roots.join(" + ")
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("None").to_owned()
}
