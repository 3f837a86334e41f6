//! Starting and finishing `redis.command` spans: what every traced connection shares.

use std::sync::Arc;

use ddtrace_core::integration::apply_peer_service;
use ddtrace_core::{Span, SpanRef, Str, Tracer};
use redis::{ConnectionAddr, ConnectionInfo, RedisError, RedisResult, ServerError, Value};

use crate::command::{Length, Operation, RowCount};
use crate::config::RedisConfig;

/// The span name, under both span attribute schemas.
pub const SPAN_NAME: &str = "redis.command";
/// The span type.
pub const SPAN_TYPE: &str = "redis";
/// The default service (schema v0).
pub const DEFAULT_SERVICE: &str = "redis";
/// The integration's name (`component`, `_dd.svc_src`).
pub const COMPONENT: &str = "redis";

/// Where the spans go: the global tracer, looked up at each command so that connections made
/// before `ddtrace::init()` are traced once it has run, or a given tracer.
#[derive(Debug, Clone)]
pub(crate) enum TracerChoice {
    Global,
    Explicit(Tracer),
}

impl TracerChoice {
    fn get(&self) -> &Tracer {
        match self {
            TracerChoice::Global => ddtrace_core::tracer(),
            TracerChoice::Explicit(t) => t,
        }
    }
}

/// The server a connection talks to, as tagged on its spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// `out.host` and `server.address`: the host name or address from the connection URL.
    pub host: Option<Str>,
    /// `network.destination.port`.
    pub port: Option<u16>,
}

impl Peer {
    /// The host and port of a TCP (or TLS) address. Unix sockets have neither, as in the Python
    /// tracer, whose connection tags need a host.
    pub fn from_info(info: &ConnectionInfo) -> Peer {
        match info.addr() {
            ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => Peer {
                host: Some(Str::shared(host)),
                port: Some(*port),
            },
            _ => Peer::default(),
        }
    }
}

/// What the traced connections of one client share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) tracer: TracerChoice,
    pub(crate) config: RedisConfig,
    pub(crate) peer: Peer,
}

/// The outcome of a command as far as the span is concerned.
pub(crate) enum Outcome<'a> {
    Reply(&'a Value),
    Replies(&'a [Value]),
    Failed(&'a RedisError),
}

impl<'a> From<&'a RedisResult<Value>> for Outcome<'a> {
    fn from(r: &'a RedisResult<Value>) -> Self {
        match r {
            Ok(v) => Outcome::Reply(v),
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl<'a> From<&'a RedisResult<Vec<Value>>> for Outcome<'a> {
    fn from(r: &'a RedisResult<Vec<Value>>) -> Self {
        match r {
            Ok(v) => Outcome::Replies(v),
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl Shared {
    pub(crate) fn new(tracer: TracerChoice, config: RedisConfig, peer: Peer) -> Arc<Self> {
        Arc::new(Shared {
            tracer,
            config,
            peer,
        })
    }

    /// The same with other integration settings.
    pub(crate) fn with_config(&self, config: RedisConfig) -> Arc<Self> {
        Self::new(self.tracer.clone(), config, self.peer.clone())
    }

    /// The same with another server tagged on the spans.
    pub(crate) fn with_peer(&self, peer: Peer) -> Arc<Self> {
        Self::new(self.tracer.clone(), self.config.clone(), peer)
    }

    /// The tracer, if it records anything: with tracing disabled commands go straight through
    /// without describing them.
    pub(crate) fn tracer(&self) -> Option<&Tracer> {
        Some(self.tracer.get()).filter(|t| t.is_enabled())
    }

    /// Starts the span of `op` as a child of the active span, without activating it.
    pub(crate) fn start(&self, tracer: &Tracer, op: Operation, db: i64) -> Span {
        let config = tracer.config();
        let v1 = config.span_attribute_schema.is_v1();
        let service = match &self.config.service {
            Some(s) => s.clone(),
            None if config.integrations_use_global_service() => config.service.clone(),
            None => Str::from_static(DEFAULT_SERVICE),
        };
        let service = match config
            .service_mapping
            .iter()
            .find(|(from, _)| *from == *service)
        {
            Some((_, to)) => Str::from(to.clone()),
            None => service,
        };
        let Operation {
            raw,
            resource,
            length,
            ..
        } = op;
        let span = tracer
            .trace(SPAN_NAME)
            .service(service)
            .resource(resource)
            .span_type(SPAN_TYPE)
            .start_detached();
        span.set_tag("_dd.svc_src", COMPONENT);
        span.set_tag("span.kind", "client");
        span.set_tag("component", COMPONENT);
        span.set_tag("db.system", "redis");
        span.set_metric("_dd.measured", 1.0);
        // Under schema v1 the Python tracer passes this key through its cache-operation
        // renaming too, which turns it into `redis.command`; the same key is used here.
        let raw_key = if v1 {
            "redis.command"
        } else {
            "redis.raw_command"
        };
        span.set_tag(raw_key, raw);
        if let Some(host) = &self.peer.host {
            span.set_tag("out.host", host.clone());
            span.set_tag("server.address", host.clone());
        }
        if let Some(port) = self.peer.port {
            span.set_metric("network.destination.port", f64::from(port));
        }
        span.set_metric("out.redis_db", db as f64);
        match length {
            Length::Args(n) => span.set_metric("redis.args_length", n as f64),
            Length::Pipeline(n) => span.set_metric("redis.pipeline_length", n as f64),
        }
        // Every tag `peer.service` derives from is set by now and does not change: applying it
        // here rather than at the end also covers commands whose future is dropped unfinished.
        apply_peer_service(&span, config);
        span
    }
}

/// Records the outcome on the span; the caller then finishes it.
pub(crate) fn record(span: &SpanRef, row_count: RowCount, outcome: Outcome<'_>) {
    match outcome {
        Outcome::Reply(Value::ServerError(e)) => {
            server_error(span, e);
            if row_count != RowCount::None {
                span.set_metric("db.row_count", 0.0);
            }
        }
        Outcome::Reply(v) => {
            if let Some(n) = row_count.count(v) {
                span.set_metric("db.row_count", n as f64);
            }
        }
        Outcome::Replies(values) => {
            if let Some(e) = values.iter().find_map(first_server_error) {
                server_error(span, e);
            }
        }
        Outcome::Failed(e) => {
            match e.code() {
                // An error reply the client turned into an error: shown as the server sent it.
                Some(code) => {
                    let message = match e.detail() {
                        Some(d) => format!("{code} {d}"),
                        None => code.to_owned(),
                    };
                    span.set_error_info("redis::ServerError", message, None);
                }
                None => span.set_error_with_type(e, "redis::RedisError"),
            }
            if row_count != RowCount::None {
                span.set_metric("db.row_count", 0.0);
            }
        }
    }
}

/// The first error reply in a pipeline's replies, looking into EXEC's array.
fn first_server_error(v: &Value) -> Option<&ServerError> {
    match v {
        Value::ServerError(e) => Some(e),
        Value::Array(items) => items.iter().find_map(|i| match i {
            Value::ServerError(e) => Some(e),
            _ => None,
        }),
        _ => None,
    }
}

/// An error reply: `error.message` is the line the server sent (`WRONGTYPE Operation ...`).
fn server_error(span: &SpanRef, e: &ServerError) {
    let message = match e.details() {
        Some(d) => format!("{} {d}", e.code()),
        None => e.code().to_owned(),
    };
    span.set_error_info("redis::ServerError", message, None);
}
