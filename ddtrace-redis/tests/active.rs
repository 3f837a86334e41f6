//! The span of an async command is the active span while the inner connection works on it,
//! and only there. A fake connection records what it sees, so no server is needed.

mod common;

use std::sync::{Arc, Mutex};

use common::tracer;
use ddtrace_core::{Instrument, SpanId, active_span};
use ddtrace_redis::{Peer, RedisConfig, TracedClient};
use redis::{AsyncCommands, Cmd, Pipeline, RedisFuture, Value};

/// Answers every command with `OK` after a yield, noting the active span before and after.
#[derive(Clone, Default)]
struct Witness {
    seen: Arc<Mutex<Vec<SpanId>>>,
}

impl Witness {
    fn note(&self) {
        self.seen.lock().unwrap().push(active_span().span_id());
    }
}

impl redis::aio::ConnectionLike for Witness {
    fn req_packed_command<'a>(&'a mut self, _cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            self.note();
            tokio::task::yield_now().await;
            self.note();
            Ok(Value::Okay)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        _pipeline: &'a Pipeline,
        _offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            self.note();
            tokio::task::yield_now().await;
            self.note();
            Ok(vec![Value::Okay; count])
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_span_is_active_inside_the_command_only() {
    let (tracer, exporter) = tracer();
    let client = TracedClient::with_tracer(
        redis::Client::open("redis://db.internal:6380/2").unwrap(),
        tracer.clone(),
    )
    .with_config(RedisConfig::default());
    let witness = Witness::default();
    let mut con = client.wrap(witness.clone());
    let parent = tracer.trace("job").start_detached();
    let parent_id = parent.span_id();
    async {
        let _: () = con.set("k", "v").await.unwrap();
        assert_eq!(active_span().span_id(), parent_id);
        let _: () = redis::pipe()
            .set("a", 1)
            .set("b", 2)
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(active_span().span_id(), parent_id);
    }
    .instrument(parent)
    .await;

    let spans = common::redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    let seen = witness.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            spans[0].span_id,
            spans[0].span_id,
            spans[1].span_id,
            spans[1].span_id
        ]
    );
    for s in &spans {
        assert_eq!(s.parent_id, parent_id);
        // The address the client was opened with, not a live server.
        assert_eq!(s.meta("out.host"), Some("db.internal"));
        assert_eq!(s.metric("network.destination.port"), Some(6380.0));
    }
    assert_eq!(spans[1].meta("redis.raw_command"), Some("SET a ?\nSET b ?"));
}

#[tokio::test(flavor = "current_thread")]
async fn peers_can_be_replaced() {
    let (tracer, exporter) = tracer();
    let info =
        redis::IntoConnectionInfo::into_connection_info("redis+unix:///tmp/redis.sock").unwrap();
    let mut con = ddtrace_redis::TracedConnection::with_tracer(Witness::default(), &info, tracer)
        .with_config(RedisConfig::default());
    // A Unix socket has no host or port to tag, as in the Python tracer.
    assert_eq!(con.peer(), &Peer::default());
    let _: () = con.set("k", 1).await.unwrap();
    let mut con = con.with_peer(Peer {
        host: Some("cache-1".into()),
        port: Some(7000),
    });
    let _: () = con.set("k", 2).await.unwrap();
    let spans = common::redis_spans(&exporter);
    assert_eq!(spans[0].meta("out.host"), None);
    assert_eq!(spans[0].metric("network.destination.port"), None);
    assert_eq!(spans[1].meta("out.host"), Some("cache-1"));
    assert_eq!(spans[1].metric("network.destination.port"), Some(7000.0));
}
