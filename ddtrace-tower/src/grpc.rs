//! gRPC requests: recognising them and their tags (`rpc.*`, `grpc.*`).

use ddtrace_core::SpanRef;
use http::HeaderMap;

/// Whether the request is a gRPC call (`content-type: application/grpc[+proto|...]`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// Tags the method of a call from its path, `/pkg.Service/Method`: `rpc.service`,
/// `rpc.method`, `grpc.method.path`, `grpc.method.package`, `grpc.method.service` and
/// `grpc.method.name`, as the Python tracer's gRPC server integration and OpenTelemetry name
/// them. A path of another shape only gets `grpc.method.path`.
pub(crate) fn tag_method(span: &SpanRef, path: &str) {
    span.set_tag("grpc.method.path", path.to_owned());
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return;
    };
    if service.is_empty() || method.is_empty() || method.contains('/') {
        return;
    }
    span.set_tag("rpc.service", service.to_owned());
    span.set_tag("rpc.method", method.to_owned());
    span.set_tag("grpc.method.name", method.to_owned());
    match service.rsplit_once('.') {
        Some((package, name)) => {
            span.set_tag("grpc.method.package", package.to_owned());
            span.set_tag("grpc.method.service", name.to_owned());
        }
        None => span.set_tag("grpc.method.service", service.to_owned()),
    }
}

/// The `grpc-status` in `headers` (response headers of a trailers-only response, or the
/// trailers), if present and numeric.
pub(crate) fn status(headers: &HeaderMap) -> Option<u16> {
    std::str::from_utf8(headers.get("grpc-status")?.as_bytes())
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Records a call's status: `rpc.grpc.status_code` (number), `grpc.status.code` (the Python
/// tracer's `StatusCode.NAME` form) and, for server-side failures, the error flag with
/// `grpc-message` as the message.
///
/// Codes 2 to 16 (`UNKNOWN` and after) are errors, as in Datadog's Java and Go tracers' server
/// defaults; `OK` and `CANCELLED` (the client gave up) are not.
pub(crate) fn tag_status(span: &SpanRef, code: u16, headers: &HeaderMap) {
    span.set_tag("rpc.grpc.status_code", code);
    span.set_tag(
        "grpc.status.code",
        format!("StatusCode.{}", code_name(code)),
    );
    if (2..=16).contains(&code) {
        let message = headers
            .get("grpc-message")
            .map(|m| percent_decode(m.as_bytes()))
            .unwrap_or_default();
        span.set_error_info(format!("StatusCode.{}", code_name(code)), message, None);
    }
}

fn code_name(code: u16) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

/// `grpc-message` is percent-encoded (gRPC over HTTP/2 spec); invalid escapes are kept as they
/// are.
fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let decoded = (raw[i] == b'%')
            .then(|| raw.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(raw[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_grpc(&h));
        h.insert("content-type", "application/grpc+proto".parse().unwrap());
        assert!(is_grpc(&h));
        h.insert("content-type", "application/json".parse().unwrap());
        assert!(!is_grpc(&h));
    }

    #[test]
    fn status_and_message() {
        let mut h = HeaderMap::new();
        assert_eq!(status(&h), None);
        h.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(status(&h), Some(5));
        h.insert("grpc-status", "x".parse().unwrap());
        assert_eq!(status(&h), None);
        assert_eq!(percent_decode(b"no%20such%2Guser%"), "no such%2Guser%");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
    }
}
