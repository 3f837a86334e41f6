//! Per-command cost of tracing: GET and SET on the local Redis, plain redis-rs against the
//! traced connection, sync and async.
//!
//! The traced side uses a real tracer (sampling, span assembly) whose exporter drops the
//! chunks, so the figure is what the integration and the core add to a command, not the agent
//! transport. Needs Redis at `TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`).
//!
//! `cargo bench -p ddtrace-redis --bench overhead`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ddtrace_core::{Config, Tracer};
use ddtrace_redis::{RedisConfig, TracedClient};
use redis::{AsyncCommands, Commands};

fn client() -> redis::Client {
    let url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let client = redis::Client::open(url.as_str()).expect("TEST_REDIS_URL is not a Redis URL");
    let mut con = client
        .get_connection()
        .unwrap_or_else(|e| panic!("Redis at {url} cannot be reached: {e}"));
    let _: String = redis::cmd("PING").query(&mut con).expect("no PONG");
    client
}

fn tracer() -> Tracer {
    // No exporter: finished traces are dropped after sampling and assembly.
    Tracer::builder()
        .config(Config::builder_without_env().service("bench").build())
        .build()
}

const KEY: &str = "ddtrace-redis-bench:key";

fn sync(c: &mut Criterion) {
    let client = client();
    let traced =
        TracedClient::with_tracer(client.clone(), tracer()).with_config(RedisConfig::default());
    let mut plain = client.get_connection().expect("connect");
    let mut wrapped = traced.get_connection().expect("connect");
    let _: () = plain.set(KEY, "value").expect("SET");

    let mut g = c.benchmark_group("sync");
    g.bench_function("GET/plain", |b| {
        b.iter(|| black_box(plain.get::<_, String>(KEY).expect("GET")))
    });
    g.bench_function("GET/traced", |b| {
        b.iter(|| black_box(wrapped.get::<_, String>(KEY).expect("GET")))
    });
    g.bench_function("SET/plain", |b| {
        b.iter(|| plain.set::<_, _, ()>(KEY, black_box("value")).expect("SET"))
    });
    g.bench_function("SET/traced", |b| {
        b.iter(|| {
            wrapped
                .set::<_, _, ()>(KEY, black_box("value"))
                .expect("SET")
        })
    });
    g.finish();
}

fn asynchronous(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = client();
    let traced =
        TracedClient::with_tracer(client.clone(), tracer()).with_config(RedisConfig::default());
    let (mut plain, mut wrapped) = rt.block_on(async {
        (
            client
                .get_multiplexed_async_connection()
                .await
                .expect("connect"),
            traced
                .get_multiplexed_async_connection()
                .await
                .expect("connect"),
        )
    });

    let mut g = c.benchmark_group("async");
    g.bench_function("GET/plain", |b| {
        b.iter(|| black_box(rt.block_on(plain.get::<_, String>(KEY)).expect("GET")))
    });
    g.bench_function("GET/traced", |b| {
        b.iter(|| black_box(rt.block_on(wrapped.get::<_, String>(KEY)).expect("GET")))
    });
    g.bench_function("SET/plain", |b| {
        b.iter(|| {
            rt.block_on(plain.set::<_, _, ()>(KEY, black_box("value")))
                .expect("SET")
        })
    });
    g.bench_function("SET/traced", |b| {
        b.iter(|| {
            rt.block_on(wrapped.set::<_, _, ()>(KEY, black_box("value")))
                .expect("SET")
        })
    });
    g.finish();
}

/// A connection that answers at once without I/O: isolates what tracing adds to a command
/// from the network's noise.
struct Instant;

impl redis::ConnectionLike for Instant {
    fn req_packed_command(&mut self, _cmd: &[u8]) -> redis::RedisResult<redis::Value> {
        Ok(redis::Value::BulkString(b"value".to_vec()))
    }
    fn req_packed_commands(
        &mut self,
        _cmd: &[u8],
        _offset: usize,
        count: usize,
    ) -> redis::RedisResult<Vec<redis::Value>> {
        Ok(vec![redis::Value::Okay; count])
    }
    fn req_command(&mut self, _cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        Ok(redis::Value::BulkString(b"value".to_vec()))
    }
    fn get_db(&self) -> i64 {
        0
    }
    fn check_connection(&mut self) -> bool {
        true
    }
    fn is_open(&self) -> bool {
        true
    }
}

fn no_io(c: &mut Criterion) {
    let traced = TracedClient::with_tracer(client(), tracer()).with_config(RedisConfig::default());
    let mut plain = Instant;
    let mut wrapped = traced.wrap(Instant);
    let mut g = c.benchmark_group("no_io");
    g.bench_function("GET/plain", |b| {
        b.iter(|| black_box(plain.get::<_, String>(black_box(KEY)).expect("GET")))
    });
    g.bench_function("GET/traced", |b| {
        b.iter(|| black_box(wrapped.get::<_, String>(black_box(KEY)).expect("GET")))
    });
    // The core's share: a span with the same tags, made directly.
    let tracer = tracer();
    g.bench_function("span with redis tags, no connection", |b| {
        b.iter(|| {
            let span = tracer
                .trace("redis.command")
                .service("redis")
                .resource("GET")
                .span_type("redis")
                .start_detached();
            for (k, v) in [
                ("_dd.svc_src", "redis"),
                ("span.kind", "client"),
                ("component", "redis"),
                ("db.system", "redis"),
                ("redis.raw_command", "GET ddtrace-redis-bench:key"),
                ("out.host", "127.0.0.1"),
                ("server.address", "127.0.0.1"),
            ] {
                span.set_tag(k, black_box(v));
            }
            for (k, v) in [
                ("_dd.measured", 1.0),
                ("network.destination.port", 6379.0),
                ("out.redis_db", 0.0),
                ("redis.args_length", 2.0),
                ("db.row_count", 1.0),
            ] {
                span.set_metric(k, black_box(v));
            }
            span.finish();
        })
    });
    g.finish();
}

criterion_group!(benches, sync, asynchronous, no_io);
criterion_main!(benches);
