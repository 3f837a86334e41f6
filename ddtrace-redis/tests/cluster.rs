//! Cluster connections (feature `cluster`), traced, against a one-node Redis Cluster started
//! for the test (every slot on one `redis-server`).
#![cfg(feature = "cluster")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use ddtrace_redis::{RedisConfig, TracedClusterClient};
use redis::{AsyncCommands, Commands};

/// A one-node cluster: a `redis-server` in cluster mode that owns all 16384 slots.
fn one_node_cluster() -> OwnRedis {
    let bus_port = closed_port().to_string();
    let server = OwnRedis::start_with(&[
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "/tmp/ddtrace-redis-nodes-{port}.conf",
        "--cluster-port",
        &bus_port,
    ]);
    let mut con = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CLUSTER")
        .arg("ADDSLOTSRANGE")
        .arg(0)
        .arg(16383)
        .exec(&mut con)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut con).unwrap();
        if info.contains("cluster_state:ok") {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "the cluster did not come up: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sync_cluster_commands_and_pipelines() {
    let server = one_node_cluster();
    let (tracer, exporter) = tracer();
    let client = TracedClusterClient::with_tracer([server.url()], tracer.clone())
        .unwrap()
        .with_config(RedisConfig::default());
    let mut con = client.get_connection().unwrap();
    {
        let _parent = tracer.trace("job").start();
        let _: () = con.set("{user1}:name", "ann").unwrap();
        let v: String = con.get("{user1}:name").unwrap();
        assert_eq!(v, "ann");
        let mut pipe = redis::cluster::cluster_pipe();
        pipe.set("{user1}:a", "x").ignore().get("{user1}:a");
        let (a,): (String,) = con.query_pipeline(&pipe).unwrap();
        assert_eq!(a, "x");
        // redis::pipe() is refused by sync cluster connections, traced or not.
        assert!(redis::pipe().get("x").query::<()>(&mut con).is_err());
    }
    let parent = span_named(&exporter, "job");
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    for s in &spans {
        assert_eq!(s.error, 0);
        assert_eq!(s.parent_id, parent.span_id);
        assert_eq!(s.meta("out.host"), Some("127.0.0.1"));
        assert_eq!(
            s.metric("network.destination.port"),
            Some(f64::from(server.port))
        );
        assert_eq!(s.metric("out.redis_db"), Some(0.0));
    }
    assert_eq!(
        spans[0].meta("redis.raw_command"),
        Some("SET {user1}:name ?")
    );
    assert_eq!(spans[1].metric("db.row_count"), Some(1.0));
    assert_eq!(spans[2].resource, "SET\nGET");
    assert_eq!(spans[2].metric("redis.pipeline_length"), Some(2.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_cluster_commands_and_errors() {
    let server = one_node_cluster();
    let (tracer, exporter) = tracer();
    let client = TracedClusterClient::with_tracer([server.url()], tracer)
        .unwrap()
        .with_config(RedisConfig::default());
    let mut con = client.get_async_connection().await.unwrap();
    let _: () = con.rpush("list", "x").await.unwrap();
    assert!(con.get::<_, String>("list").await.is_err());
    let (n,): (i64,) = redis::pipe()
        .incr("{c}:n", 5)
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(n, 5);
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    assert_eq!(spans[0].resource, "RPUSH");
    assert_eq!(spans[1].resource, "GET");
    assert_eq!(spans[1].error, 1);
    assert_eq!(
        spans[1].meta("error.message"),
        Some("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(spans[2].resource, "INCRBY");
    assert_eq!(spans[2].metric("redis.pipeline_length"), Some(1.0));
}
