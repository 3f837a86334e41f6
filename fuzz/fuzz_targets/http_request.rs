//! An incoming HTTP request as a server integration sees it: headers in an `http::HeaderMap`
//! (the carrier most users hold) and a query string. Client IP resolution, header tags, query
//! string obfuscation, and propagation over the `HeaderMap` carrier.
//!
//! Input: `query` `\0` then headers, one per line (see `Headers::from_bytes`); names and values
//! the `http` crate refuses are skipped, as a server would never hand them over.
#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use ddtrace_core::integration::{ClientIp, HeaderSide, HeaderTags, QueryObfuscator};
use ddtrace_core::propagation::Propagator;
use ddtrace_core::{Config, Tracer};
use ddtrace_fuzz::Headers;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

struct Setup {
    tracer: Tracer,
    client_ip: ClientIp,
    client_ip_header: ClientIp,
    header_tags: HeaderTags,
    obfuscator: QueryObfuscator,
    propagator: Propagator,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        ddtrace_fuzz::quiet();
        let mut config = Config::builder_without_env().service("fuzz").build();
        config.client_ip_enabled = true;
        let client_ip = ClientIp::from_config(&config);
        config.client_ip_header = Some("x-real-ip".to_owned());
        let client_ip_header = ClientIp::from_config(&config);
        Setup {
            tracer: ddtrace_fuzz::tracer(config).0,
            client_ip,
            client_ip_header,
            header_tags: HeaderTags::new([
                ("user-agent", ""),
                ("x-forwarded-for", "client.chain"),
                ("traceparent", "w3c"),
            ]),
            obfuscator: QueryObfuscator::from_config(&Config::builder_without_env().build()),
            propagator: Propagator::default(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let (query, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let query = String::from_utf8_lossy(query);
    let mut headers = HeaderMap::new();
    for (name, value) in Headers::from_bytes(rest).0 {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let peer: Option<IpAddr> = Some(IpAddr::from([10, 0, 0, 1]));
    let ctx = s.propagator.extract(&headers);
    let span = s.tracer.trace("fuzz.server").child_of_opt(ctx).start();
    let handle = span.handle();
    s.client_ip.record(&handle, &headers, peer);
    let _ = s.client_ip_header.resolve(&headers, None);
    s.header_tags.record(&handle, HeaderSide::Request, &headers);
    let _ = s.obfuscator.obfuscate(&query);
    let _ = s.obfuscator.url("http://example.com/path", Some(&query));
    span.finish();
});
