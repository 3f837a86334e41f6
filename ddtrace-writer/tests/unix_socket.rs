//! The `unix://` transport, for real: a Unix-socket fake agent that decodes what it gets,
//! and a Unix socket relayed to Datadog's test agent.
#![cfg(unix)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use ddtrace_core::export::Exporter;
use ddtrace_core::{ApiVersion, Config};
use support::{FakeAgent, INFO_BODY, RATES_BODY, Reply, Session, spans_of, traced};

fn socket_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}.sock", support::unique_token(name)))
}

#[test]
fn traces_reach_an_agent_on_a_unix_socket() {
    let path = socket_path("uds-fake");
    let agent = FakeAgent::start_unix(&path, |r, _| {
        if r.path == "/info" {
            Reply::ok(INFO_BODY)
        } else {
            Reply::ok(RATES_BODY)
        }
    });
    for api in [ApiVersion::V05, ApiVersion::V04] {
        let t = traced(
            Config::builder_without_env()
                .service("uds")
                .agent_url(agent.url.clone())
                .api_version(api)
                .build(),
        );
        {
            let _root = t.tracer.trace("uds.root").start();
            let _child = t.tracer.trace("uds.child").start();
        }
        t.writer.flush(Duration::from_secs(10)).expect("flush");
        let path = format!("/{}/traces", api.as_str());
        let req = agent
            .trace_requests()
            .into_iter()
            .rfind(|r| r.path == path)
            .expect("a trace request on the socket");
        assert_eq!(req.header("host"), Some("localhost"));
        assert_eq!(req.header("x-datadog-trace-count"), Some("1"));
        let spans = spans_of(&path, &req.body);
        let mut names: Vec<&str> = spans
            .iter()
            .filter_map(|s| s.get("name").and_then(rmpv::Value::as_str))
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["uds.child", "uds.root"]);
        assert_eq!(t.rates.rate_for("", ""), Some(1.0));
        assert!(t.writer.agent_info().is_some());
        t.writer.shutdown(Duration::from_secs(5)).expect("shutdown");
    }
    let _ = std::fs::remove_file(&path);
}

/// Copies bytes between a Unix-socket client and the test agent's TCP port.
fn relay(path: &std::path::Path, target: String) {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).expect("bind relay socket");
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(upstream) = TcpStream::connect(&target) else {
                continue;
            };
            let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) else {
                continue;
            };
            std::thread::spawn(move || pump(client, upstream));
            std::thread::spawn(move || pump_back(u2, c2));
        }
    });
}

fn pump(mut from: UnixStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

fn pump_back(mut from: TcpStream, mut to: UnixStream) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

#[test]
fn unix_socket_relayed_to_the_test_agent() {
    let session = Session::start("uds-relay");
    let target = session
        .agent
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let path = socket_path("uds-relay");
    relay(&path, target);
    let t = traced(
        session
            .config()
            .agent_url(format!("unix://{}", path.display()))
            .service("rust-uds")
            .env("test")
            .build(),
    );
    {
        let root = t
            .tracer
            .trace("uds.request")
            .resource("GET /socket")
            .start();
        root.set_tag("transport", "unix");
        let _child = t.tracer.trace("uds.work").start();
    }
    t.writer.flush(Duration::from_secs(10)).expect("flush");
    let traces = session.wait_for_traces(1, Duration::from_secs(15));
    assert_eq!(traces.len(), 1);
    let names: Vec<&str> = traces[0]
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"uds.request") && names.contains(&"uds.work"),
        "{names:?}"
    );
    let root = traces[0]
        .iter()
        .find(|s| s["name"] == "uds.request")
        .expect("root");
    assert_eq!(root["meta"]["transport"], "unix");
    assert_eq!(
        t.writer.agent_info().and_then(|i| i.version).as_deref(),
        Some("test")
    );
    session.assert_no_check_failures();
    t.writer.shutdown(Duration::from_secs(5)).expect("shutdown");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn missing_socket_is_named_in_the_log() {
    support::capture_logs();
    let path = socket_path("uds-missing");
    let url = format!("unix://{}", path.display());
    let t = traced(
        Config::builder_without_env()
            .agent_url(url.clone())
            .agent_timeout(Duration::from_millis(300))
            .build(),
    );
    drop(t.tracer.trace("lost").start());
    assert!(t.writer.flush(Duration::from_secs(10)).is_err());
    let lines = support::logs_mentioning(&url);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].message.contains("does not exist"),
        "{}",
        lines[0].message
    );
    assert_eq!(t.writer.stats().traces_dropped.send_failed, 1);
}
