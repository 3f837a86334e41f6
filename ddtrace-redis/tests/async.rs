//! The async connections (`MultiplexedConnection`, `ConnectionManager`), traced, against the
//! real Redis.

mod common;

use std::time::Duration;

use common::*;
use ddtrace_core::{Instrument, active_span};
use ddtrace_redis::{RedisConfig, TracedClient};
use redis::AsyncCommands;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_children_of_the_instrumented_span_and_do_not_leak() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let k = key("async-single");
    let parent = tracer.trace("web.request").start_detached();
    let parent_id = parent.span_id();
    async {
        let _: () = con.set(&k, "bob").await.unwrap();
        // After the command, the active span is the parent again, not the redis span.
        assert_eq!(active_span().span_id(), parent_id);
        let v: String = con.get(&k).await.unwrap();
        assert_eq!(v, "bob");
        assert_eq!(active_span().span_id(), parent_id);
    }
    .instrument(parent)
    .await;
    // Outside, nothing is active.
    assert!(!active_span().is_recording());
    let parent = span_named(&exporter, "web.request");
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(s.parent_id, parent.span_id);
        assert_eq!(s.trace_id, parent.trace_id);
        // The command finished inside its parent.
        assert!(s.start >= parent.start && s.start + s.duration <= parent.start + parent.duration);
    }
    assert_redis_span(&spans[0], "SET", &format!("SET {k} ?"));
    assert_redis_span(&spans[1], "GET", &format!("GET {k}"));
    assert_eq!(spans[1].metric("db.row_count"), Some(1.0));
    assert_eq!(spans[1].metric("redis.args_length"), Some(2.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tasks_keep_their_own_parents() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let con = client.get_multiplexed_async_connection().await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let mut con = con.clone();
        let tracer = tracer.clone();
        let k = key(&format!("task{t}"));
        tasks.push(tokio::spawn(async move {
            let parent = tracer.trace(format!("task.{t}")).start_detached();
            let id = parent.span_id();
            async move {
                for i in 0..10 {
                    let _: () = con.set(&k, i).await.unwrap();
                    tokio::task::yield_now().await;
                    let _: i64 = con.get(&k).await.unwrap();
                }
            }
            .instrument(parent)
            .await;
            id
        }));
    }
    let mut parents = Vec::new();
    for t in tasks {
        parents.push(t.await.unwrap());
    }
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 8 * 20);
    for p in parents {
        assert_eq!(spans.iter().filter(|s| s.parent_id == p).count(), 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_and_transactions() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let k = key("async-pipe");
    let parent = tracer.trace("job").start_detached();
    let parent_id = parent.span_id();
    let ((a,), (b, c)): ((i64,), (i64, i64)) = async {
        let first = redis::pipe()
            .set(&k, 1)
            .ignore()
            .incr(&k, 1)
            .query_async(&mut con)
            .await
            .unwrap();
        let second = redis::pipe()
            .atomic()
            .incr(&k, 1)
            .incr(&k, 1)
            .query_async(&mut con)
            .await
            .unwrap();
        (first, second)
    }
    .instrument(parent)
    .await;
    assert_eq!((a, b, c), (2, 3, 4));
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    assert_redis_span(
        &spans[0],
        "SET\nINCRBY",
        &format!("SET {k} ?\nINCRBY {k} 1"),
    );
    assert_eq!(spans[0].metric("redis.pipeline_length"), Some(2.0));
    assert_redis_span(
        &spans[1],
        "INCRBY\nINCRBY",
        &format!("INCRBY {k} 1\nINCRBY {k} 1"),
    );
    assert_eq!(spans[1].metric("redis.pipeline_length"), Some(2.0));
    assert!(spans.iter().all(|s| s.parent_id == parent_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_replies_mark_the_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let k = key("async-wrongtype");
    let _: () = con.sadd(&k, "m").await.unwrap();
    let err = con.get::<_, Option<String>>(&k).await.unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"));
    let r: redis::RedisResult<(i64, i64)> = redis::pipe()
        .atomic()
        .scard(&k)
        .incr(&k, 1)
        .query_async(&mut con)
        .await;
    assert!(r.is_err());
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 3);
    assert_eq!(spans[0].error, 0);
    for s in &spans[1..] {
        assert_eq!(s.error, 1, "{s:#?}");
        assert_eq!(s.meta("error.type"), Some("redis::ServerError"));
        assert_eq!(
            s.meta("error.message"),
            Some("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
    assert_eq!(spans[1].metric("db.row_count"), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_manager_reports_the_killed_connection_then_reconnects() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection_manager().await.unwrap();
    let id: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut con)
        .await
        .unwrap();
    let mut killer = plain_client()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query_async(&mut killer)
        .await
        .unwrap();
    assert_eq!(killed, 1);
    // The first command after the kill fails; the manager reconnects behind it.
    let mut failures = 0;
    let mut ok = false;
    for _ in 0..50 {
        match redis::cmd("PING").query_async::<String>(&mut con).await {
            Ok(_) => {
                ok = true;
                break;
            }
            Err(_) => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the connection manager never reconnected");
    assert!(failures >= 1);
    let spans = redis_spans(&exporter);
    let pings: Vec<_> = spans.iter().filter(|s| s.resource == "PING").collect();
    assert_eq!(pings.len(), failures + 1);
    for s in &pings[..failures] {
        assert_eq!(s.error, 1);
        assert_eq!(s.meta("error.type"), Some("redis::RedisError"));
    }
    assert_eq!(pings[failures].error, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_fails_the_span() {
    let (tracer, exporter) = tracer();
    let mut server = OwnRedis::start();
    let client = TracedClient::with_tracer(redis::Client::open(server.url()).unwrap(), tracer)
        .with_config(RedisConfig::default());
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = con.set("k", 1).await.unwrap();
    server.kill();
    assert!(con.get::<_, i64>("k").await.is_err());
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].error, 0);
    assert_eq!(spans[1].error, 1);
    assert_eq!(spans[1].resource, "GET");
    assert_eq!(spans[1].meta("error.type"), Some("redis::RedisError"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_fails_the_connection_manager_spans() {
    let (tracer, exporter) = tracer();
    let mut server = OwnRedis::start();
    let client = TracedClient::with_tracer(redis::Client::open(server.url()).unwrap(), tracer)
        .with_config(RedisConfig::default());
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(50));
    let mut con = client
        .get_connection_manager_with_config(config)
        .await
        .unwrap();
    let _: () = con.set("k", 1).await.unwrap();
    server.kill();
    for _ in 0..3 {
        assert!(con.get::<_, i64>("k").await.is_err());
    }
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 4);
    assert_eq!(spans[0].error, 0);
    for s in &spans[1..] {
        assert_eq!(s.resource, "GET");
        assert_eq!(s.error, 1, "{s:#?}");
        assert_eq!(s.meta("error.type"), Some("redis::RedisError"));
        assert_eq!(
            s.metric("network.destination.port"),
            Some(f64::from(server.port))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_closed_port_fails_without_a_span() {
    let (tracer, exporter) = tracer();
    let url = format!("redis://127.0.0.1:{}/", closed_port());
    let client = TracedClient::with_tracer(redis::Client::open(url).unwrap(), tracer);
    assert!(client.get_multiplexed_async_connection().await.is_err());
    let quick = redis::aio::ConnectionManagerConfig::new().set_number_of_retries(1);
    assert!(
        client
            .get_connection_manager_with_config(quick)
            .await
            .is_err()
    );
    assert!(exporter.spans().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_command_still_finishes_its_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let k = key("blpop");
    let r = tokio::time::timeout(
        Duration::from_millis(100),
        con.blpop::<_, Option<(String, String)>>(&k, 5.0),
    )
    .await;
    assert!(r.is_err(), "BLPOP should still be waiting");
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.resource, "BLPOP");
    assert_eq!(s.error, 0);
    assert!(s.duration >= 90_000_000, "{}", s.duration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_is_traced_and_reaches_subscribers() {
    use futures_util::StreamExt;

    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let channel = key("async-channel");
    let mut pubsub = plain_client().get_async_pubsub().await.unwrap();
    pubsub.subscribe(&channel).await.unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let n: i64 = con.publish(&channel, "hi").await.unwrap();
    assert_eq!(n, 1);
    let msg = tokio::time::timeout(Duration::from_secs(5), pubsub.on_message().next())
        .await
        .expect("no message within 5 s")
        .expect("the subscription ended");
    assert_eq!(msg.get_payload::<String>().unwrap(), "hi");
    let s = &redis_spans(&exporter)[0];
    assert_redis_span(s, "PUBLISH", &format!("PUBLISH {channel} hi"));
}
