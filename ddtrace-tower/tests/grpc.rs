//! gRPC through tonic: a hand-written service (no protoc: the messages are raw bytes) behind
//! `Server::builder().layer(DdTraceLayer)`, called with tonic's client.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use common::{config, span_named, tracer};
use ddtrace_core::{SpanId, TraceId, Tracer};
use ddtrace_tower::DdTraceLayer;
use http::uri::PathAndQuery;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::tokio_stream::Stream;
use tonic::server::NamedService;
use tonic::{Code, Status};

/// Messages as they are: bytes in, bytes out.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n)))
    }
}

/// `test.v1.Greeter`: `Hello` echoes with a child span, `Find` fails with NOT_FOUND.
#[derive(Clone)]
struct Greeter {
    tracer: Tracer,
}

impl NamedService for Greeter {
    const NAME: &'static str = "test.v1.Greeter";
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for Greeter {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let tracer = self.tracer.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(RawCodec);
            Ok(match req.uri().path() {
                "/test.v1.Greeter/Hello" => {
                    let hello = tower::service_fn(move |r: tonic::Request<Bytes>| {
                        let tracer = tracer.clone();
                        async move {
                            drop(tracer.trace("greeting.compose").start());
                            let mut out = b"hello ".to_vec();
                            out.extend_from_slice(r.get_ref());
                            Ok::<_, Status>(tonic::Response::new(Bytes::from(out)))
                        }
                    });
                    grpc.unary(hello, req).await
                }
                "/test.v1.Greeter/Find" => {
                    let find = tower::service_fn(|_: tonic::Request<Bytes>| async {
                        Err::<tonic::Response<Bytes>, _>(Status::not_found("no such user: 7"))
                    });
                    grpc.unary(find, req).await
                }
                "/test.v1.Greeter/Count" => {
                    let count = tower::service_fn(|_: tonic::Request<Bytes>| async {
                        Ok::<_, Status>(tonic::Response::new(Counter::new(3)))
                    });
                    grpc.server_streaming(count, req).await
                }
                _ => Status::unimplemented("").into_http(),
            })
        })
    }
}

/// A server stream of `n` messages, 100 ms apart.
struct Counter {
    interval: tokio::time::Interval,
    left: u8,
}

impl Counter {
    fn new(n: u8) -> Self {
        let every = Duration::from_millis(100);
        Counter {
            interval: tokio::time::interval_at(tokio::time::Instant::now() + every, every),
            left: n,
        }
    }
}

impl Stream for Counter {
    type Item = Result<Bytes, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        match self.interval.poll_tick(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                self.left -= 1;
                Poll::Ready(Some(Ok(Bytes::from(vec![self.left]))))
            }
        }
    }
}

async fn serve(tracer: &Tracer) -> SocketAddr {
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    let router = tonic::transport::Server::builder()
        .layer(DdTraceLayer::new(tracer.clone()))
        .add_service(Greeter {
            tracer: tracer.clone(),
        });
    tokio::spawn(router.serve_with_incoming(incoming));
    addr
}

async fn call(
    addr: SocketAddr,
    path: &'static str,
    metadata: &[(&'static str, &'static str)],
) -> Result<Bytes, Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    let mut request = tonic::Request::new(Bytes::from_static(b"ada"));
    for (k, v) in metadata {
        request.metadata_mut().insert(*k, v.parse().unwrap());
    }
    client
        .unary(request, PathAndQuery::from_static(path), RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn unary_call_span() {
    let (tracer, exporter) = tracer(config());
    let addr = serve(&tracer).await;
    let reply = call(
        addr,
        "/test.v1.Greeter/Hello",
        &[
            ("x-datadog-trace-id", "555"),
            ("x-datadog-parent-id", "666"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(&reply[..], b"hello ada");

    let span = span_named(&exporter, "grpc").await;
    assert_eq!(span.span_type, "grpc");
    assert_eq!(span.resource, "/test.v1.Greeter/Hello");
    assert_eq!(span.service, "shop");
    assert_eq!(span.error, 0);
    assert_eq!(span.meta("span.kind"), Some("server"));
    assert_eq!(span.meta("component"), Some("grpc_server"));
    assert_eq!(span.meta("rpc.system"), Some("grpc"));
    assert_eq!(span.meta("rpc.service"), Some("test.v1.Greeter"));
    assert_eq!(span.meta("rpc.method"), Some("Hello"));
    assert_eq!(
        span.meta("grpc.method.path"),
        Some("/test.v1.Greeter/Hello")
    );
    assert_eq!(span.meta("grpc.method.package"), Some("test.v1"));
    assert_eq!(span.meta("grpc.method.service"), Some("Greeter"));
    assert_eq!(span.meta("grpc.method.name"), Some("Hello"));
    assert_eq!(span.metric("rpc.grpc.status_code"), Some(0.0));
    assert_eq!(span.meta("grpc.status.code"), Some("StatusCode.OK"));
    assert_eq!(span.trace_id, TraceId(555));
    assert_eq!(span.parent_id, SpanId(666));
    let child = span_named(&exporter, "greeting.compose").await;
    assert_eq!(child.parent_id, span.span_id);
}

#[tokio::test]
async fn failed_call_span() {
    let (tracer, exporter) = tracer(config());
    let addr = serve(&tracer).await;
    let status = call(addr, "/test.v1.Greeter/Find", &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let span = span_named(&exporter, "grpc").await;
    assert_eq!(span.resource, "/test.v1.Greeter/Find");
    assert_eq!(span.metric("rpc.grpc.status_code"), Some(5.0));
    assert_eq!(span.meta("grpc.status.code"), Some("StatusCode.NOT_FOUND"));
    assert_eq!(span.error, 1);
    assert_eq!(span.meta("error.message"), Some("no such user: 7"));
}

#[tokio::test]
async fn schema_v1_name() {
    let mut config = config();
    config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
    let (tracer, exporter) = tracer(config);
    let addr = serve(&tracer).await;
    call(addr, "/test.v1.Greeter/Hello", &[]).await.unwrap();
    let span = span_named(&exporter, "grpc.server.request").await;
    assert_eq!(span.parent_id, SpanId::NONE);
}

#[tokio::test]
async fn server_stream_span_ends_with_the_stream() {
    let (tracer, exporter) = tracer(config());
    let addr = serve(&tracer).await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    let mut stream = client
        .server_streaming(
            tonic::Request::new(Bytes::new()),
            PathAndQuery::from_static("/test.v1.Greeter/Count"),
            RawCodec,
        )
        .await
        .unwrap()
        .into_inner();
    let mut received = 0;
    while stream.message().await.unwrap().is_some() {
        received += 1;
    }
    assert_eq!(received, 3);

    let span = span_named(&exporter, "grpc").await;
    assert_eq!(span.resource, "/test.v1.Greeter/Count");
    // The status comes in the trailers, after the last message.
    assert_eq!(span.metric("rpc.grpc.status_code"), Some(0.0));
    assert!(
        span.duration >= 280_000_000,
        "the span ended before the stream: {} ns",
        span.duration
    );
}
