//! The constructors without a tracer report to the global one, looked up at each command: a
//! client made before the global tracer is installed is traced once it is. Alone in its test
//! binary, since the global tracer is set once per process.

mod common;

use common::{key, plain_client, redis_spans, tracer};
use ddtrace_redis::{RedisConfig, TracedClient, TracedConnection};
use redis::Commands;

#[test]
fn connections_follow_the_global_tracer() {
    let client = TracedClient::new(plain_client()).with_config(RedisConfig::default());
    let mut con = client.get_connection().unwrap();
    let k = key("global");
    // Before a global tracer is installed: the disabled one, no spans, commands still work.
    let _: () = con.set(&k, 1).unwrap();

    let (tracer, exporter) = tracer();
    assert!(ddtrace_core::set_global_tracer(tracer).is_ok());
    let _: i64 = con.get(&k).unwrap();
    let plain = plain_client();
    let mut wrapped =
        TracedConnection::new(plain.get_connection().unwrap(), plain.get_connection_info())
            .with_config(RedisConfig::default());
    let _: () = wrapped.del(&k).unwrap();
    let resources: Vec<_> = redis_spans(&exporter)
        .iter()
        .map(|s| s.resource.to_string())
        .collect();
    assert_eq!(resources, ["GET", "DEL"]);
}
