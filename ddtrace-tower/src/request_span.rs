//! [`RequestSpan`]: the span of one request, from the request's arrival to the end of its
//! response body, and the tags recorded on the way.

use std::any::Any;
use std::sync::Arc;

use ddtrace_core::integration::HeaderSide;
use ddtrace_core::{Span, Str, keys};
use http::{HeaderMap, Method, Request, Uri};

use crate::grpc;
use crate::settings::{Resolved, Settings};

/// What kind of request the span describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http,
    Grpc,
}

/// The span of one request and what its response still needs.
pub(crate) struct RequestSpan {
    span: Span,
    protocol: Protocol,
    method: Method,
    /// Whether the route was known when the request arrived (the resource is then final).
    route_known: bool,
    grpc_status_seen: bool,
    resolved: Arc<Resolved>,
}

impl RequestSpan {
    /// Starts the span of `req`: extracts the distributed context from its headers and sets the
    /// request's tags.
    pub(crate) fn start<B>(
        resolved: &Arc<Resolved>,
        settings: &Settings,
        req: &Request<B>,
    ) -> RequestSpan {
        let headers = req.headers();
        let protocol = if grpc::is_grpc(headers) {
            Protocol::Grpc
        } else {
            Protocol::Http
        };
        let method = req.method().clone();
        let route = settings.route.as_ref().and_then(|f| f(req.extensions()));
        let (name, span_type, resource): (Str, &'static str, Str) = match protocol {
            Protocol::Http => (
                if resolved.schema_v1 {
                    Str::from_static("http.server.request")
                } else {
                    settings.http_name_v0.clone()
                },
                "web",
                resource_for(&method, route),
            ),
            Protocol::Grpc => (
                Str::from_static(if resolved.schema_v1 {
                    "grpc.server.request"
                } else {
                    "grpc"
                }),
                "grpc",
                Str::from(req.uri().path().to_owned()),
            ),
        };

        let mut builder = resolved
            .tracer
            .trace(name)
            .span_type(span_type)
            .resource(resource);
        if let Some(service) = &settings.service {
            builder = builder.service(service.clone());
        }
        // Continue the caller's trace. Without one, start a new trace (keeping any baggage)
        // unless a span is already active: a server span nested in another traced layer.
        if let Some(ctx) = resolved.propagator.extract(headers)
            && (ctx.has_trace_id() || !ddtrace_core::active_span().is_recording())
        {
            builder = builder.child_of(ctx);
        }
        let span = builder.start_detached();

        span.set_tag(keys::SPAN_KIND, "server");
        match protocol {
            Protocol::Http => {
                span.set_tag(keys::COMPONENT, settings.component.clone());
                span.set_tag("http.method", method_str(&method));
                span.set_tag("http.url", url(resolved, req.uri(), headers));
                if let Some(route) = route {
                    span.set_tag("http.route", route.to_owned());
                }
                if let Some(agent) = headers.get(http::header::USER_AGENT) {
                    span.set_tag(
                        "http.useragent",
                        String::from_utf8_lossy(agent.as_bytes()).into_owned(),
                    );
                }
            }
            Protocol::Grpc => {
                span.set_tag(keys::COMPONENT, "grpc_server");
                span.set_tag("rpc.system", "grpc");
                grpc::tag_method(&span, req.uri().path());
            }
        }
        if !resolved.header_tags.is_empty() {
            resolved
                .header_tags
                .record(&span, HeaderSide::Request, headers);
        }
        if resolved.client_ip.is_enabled() {
            let peer = settings.peer_addr(req.extensions());
            resolved.client_ip.record(&span, headers, peer);
        }
        RequestSpan {
            span,
            protocol,
            method,
            route_known: route.is_some(),
            grpc_status_seen: false,
            resolved: resolved.clone(),
        }
    }

    /// The span (to run the inner service with it active).
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Records the response head: status, response headers, and the route the handler may have
    /// reported meanwhile.
    pub(crate) fn on_response(&mut self, parts: &http::response::Parts) {
        let span = &self.span;
        if !span.is_recording() {
            return;
        }
        match self.protocol {
            Protocol::Http => {
                let status = parts.status.as_u16();
                span.set_tag(keys::HTTP_STATUS_CODE, status);
                if self.resolved.tracer.config().is_server_error_status(status) {
                    span.set_error_flag(true);
                }
                if !self.route_known
                    && let Some(route) = span.meta("http.route")
                {
                    span.set_resource(format!("{} {route}", self.method.as_str()));
                }
            }
            Protocol::Grpc => {
                // A trailers-only response (errors, usually) carries the status in its headers.
                if let Some(code) = grpc::status(&parts.headers) {
                    self.grpc_status_seen = true;
                    grpc::tag_status(span, code, &parts.headers);
                } else if !parts.status.is_success() {
                    span.set_tag(keys::HTTP_STATUS_CODE, parts.status.as_u16());
                    span.set_error_flag(true);
                }
            }
        }
        self.resolved
            .header_tags
            .record(span, HeaderSide::Response, &parts.headers);
    }

    /// Records the trailers of the response body (the gRPC status).
    pub(crate) fn on_trailers(&mut self, trailers: &HeaderMap) {
        if self.protocol == Protocol::Grpc
            && !self.grpc_status_seen
            && let Some(code) = grpc::status(trailers)
        {
            self.grpc_status_seen = true;
            grpc::tag_status(&self.span, code, trailers);
        }
    }

    /// Records an error returned by the inner service or by the response body.
    pub(crate) fn on_error<E: std::fmt::Display>(&self, error: &E) {
        self.span.set_error_info(
            std::any::type_name::<E>().to_owned(),
            error.to_string(),
            None,
        );
    }

    /// Records a panic of the inner service or of the response body, about to be resumed.
    pub(crate) fn on_panic(&self, payload: &(dyn Any + Send)) {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_owned());
        self.span.set_error_info("panic", message, None);
    }
}

/// `METHOD /route`, or the method alone when the route is unknown: raw paths would carry ids
/// and give the backend a resource per user.
fn resource_for(method: &Method, route: Option<&str>) -> Str {
    match route {
        Some(route) => Str::from(format!("{} {route}", method.as_str())),
        None => method_str(method),
    }
}

fn method_str(method: &Method) -> Str {
    Str::from_static(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => return Str::from(method.as_str().to_owned()),
    })
}

/// `http.url`: scheme, host (from the URI, else the `Host` header; user info removed), path
/// and the obfuscated query string.
fn url(resolved: &Resolved, uri: &Uri, headers: &HeaderMap) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| {
            headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
        })
        .map(|h| h.rsplit_once('@').map_or(h, |(_, host)| host));
    let path = uri.path();
    let base = match host {
        Some(host) => format!("{scheme}://{host}{path}"),
        None => path.to_owned(),
    };
    resolved.obfuscator.url(&base, uri.query())
}
