//! The sync `redis::Connection`, traced, against the real Redis.

mod common;

use common::*;
use ddtrace_core::Config;
use ddtrace_redis::{RedisConfig, TracedClient};
use redis::Commands;

#[test]
fn single_commands_are_children_of_the_active_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("single");
    {
        let _parent = tracer.trace("web.request").start();
        let _: () = con.set(&k, "alice").unwrap();
        let name: String = con.get(&k).unwrap();
        assert_eq!(name, "alice");
        let missing: Option<String> = con.get(format!("{k}:missing")).unwrap();
        assert_eq!(missing, None);
        let _: () = con.del(&k).unwrap();
    }
    let parent = span_named(&exporter, "web.request");
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 4, "{spans:#?}");
    for s in &spans {
        assert_eq!(s.trace_id, parent.trace_id);
        assert_eq!(s.parent_id, parent.span_id);
        assert_eq!(s.error, 0);
    }
    assert_redis_span(&spans[0], "SET", &format!("SET {k} ?"));
    assert_eq!(spans[0].metric("redis.args_length"), Some(3.0));
    assert_eq!(spans[0].metric("db.row_count"), None);
    assert_redis_span(&spans[1], "GET", &format!("GET {k}"));
    assert_eq!(spans[1].metric("redis.args_length"), Some(2.0));
    assert_eq!(spans[1].metric("db.row_count"), Some(1.0));
    assert_eq!(spans[2].metric("db.row_count"), Some(0.0));
    assert_redis_span(&spans[3], "DEL", &format!("DEL {k}"));
    // A command outside any span starts its own trace.
    exporter.clear();
    let _: bool = con.exists(&k).unwrap();
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].parent_id, ddtrace_core::SpanId::NONE);
}

#[test]
fn cmd_and_binary_values_are_shown_as_python_shows_them() {
    let (tracer, exporter) = tracer();
    // Values as written: the Python tracer's text, with obfuscation off.
    let client = TracedClient::with_tracer(plain_client(), tracer.clone())
        .with_config(RedisConfig::default().obfuscate_raw_command(false));
    let mut con = client.get_connection().unwrap();
    let k = key("binary");
    let long = "v".repeat(150);
    redis::cmd("SET").arg(&k).arg(&long).exec(&mut con).unwrap();
    redis::cmd("SET")
        .arg(&k)
        .arg(b"\xff\x00ok".as_slice())
        .exec(&mut con)
        .unwrap();
    let spans = redis_spans(&exporter);
    assert_eq!(
        spans[0].meta("redis.raw_command"),
        Some(format!("SET {k} {}...", "v".repeat(100)).as_str())
    );
    assert_eq!(
        spans[1].meta("redis.raw_command"),
        Some(format!("SET {k} \\xff\x00ok").as_str())
    );
}

#[test]
fn settings_cut_the_raw_command_and_widen_the_resource() {
    let (tracer, exporter) = tracer();
    let client = TracedClient::with_tracer(plain_client(), tracer.clone()).with_config(
        RedisConfig::default()
            .cmd_max_length(10)
            .resource_only_command(false)
            .service("sessions"),
    );
    let mut con = client.get_connection().unwrap();
    let _: Option<String> = con.get("abcdefghijkl").unwrap();
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.meta("redis.raw_command"), Some("GET abcdefg..."));
    assert_eq!(s.resource, "GET abcdefg...");
    assert_eq!(s.service, "sessions");
    // A service set in code, as the Python tracer marks `config.redis.service`.
    assert_eq!(s.meta("_dd.svc_src"), Some("m"));
    assert_eq!(s.meta("_dd.base_service"), Some("test-app"));
}

#[test]
fn pipelines_make_one_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("pipe");
    {
        let _parent = tracer.trace("job").start();
        let (v,): (i64,) = redis::pipe()
            .set(&k, 41)
            .ignore()
            .incr(&k, 1)
            .query(&mut con)
            .unwrap();
        assert_eq!(v, 42);
    }
    let parent = span_named(&exporter, "job");
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 1, "{spans:#?}");
    let s = &spans[0];
    assert_redis_span(s, "SET\nINCRBY", &format!("SET {k} ?\nINCRBY {k} 1"));
    assert_eq!(s.metric("redis.pipeline_length"), Some(2.0));
    assert_eq!(s.metric("redis.args_length"), None);
    assert_eq!(s.parent_id, parent.span_id);
}

#[test]
fn transactions_count_only_the_queued_commands() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("multi");
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr(&k, 1)
        .incr(&k, 2)
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (1, 3));
    let s = &redis_spans(&exporter)[0];
    assert_redis_span(s, "INCRBY\nINCRBY", &format!("INCRBY {k} 1\nINCRBY {k} 2"));
    assert_eq!(s.metric("redis.pipeline_length"), Some(2.0));

    // redis::transaction: WATCH, the atomic pipeline, then UNWATCH.
    exporter.clear();
    let v: (i64,) = redis::transaction(&mut con, &[&k], |con, pipe| {
        let current: i64 = con.get(&k)?;
        pipe.set(&k, current * 10).ignore().get(&k).query(con)
    })
    .unwrap();
    assert_eq!(v, (30,));
    let resources: Vec<_> = redis_spans(&exporter)
        .iter()
        .map(|s| s.resource.to_string())
        .collect();
    assert_eq!(resources, ["WATCH", "GET", "SET\nGET", "UNWATCH"]);
}

#[test]
fn error_replies_mark_the_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("wrongtype");
    let _: () = con.rpush(&k, "x").unwrap();
    let err = con.get::<_, Option<String>>(&k).unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"));
    let spans = redis_spans(&exporter);
    let s = &spans[1];
    assert_redis_span(s, "GET", &format!("GET {k}"));
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.type"), Some("redis::ServerError"));
    assert_eq!(
        s.meta("error.message"),
        Some("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(s.metric("db.row_count"), Some(0.0));
    assert_eq!(spans[0].error, 0);

    // Inside a transaction the error is in EXEC's reply: the pipeline span carries it.
    exporter.clear();
    let r: redis::RedisResult<(i64, Option<String>)> =
        redis::pipe().atomic().llen(&k).get(&k).query(&mut con);
    assert!(r.is_err());
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.resource, "LLEN\nGET");
    assert_eq!(s.error, 1);
    assert_eq!(
        s.meta("error.message"),
        Some("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // An unknown command.
    exporter.clear();
    assert!(redis::cmd("NOSUCHCOMMAND").exec(&mut con).is_err());
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.resource, "NOSUCHCOMMAND");
    assert_eq!(s.error, 1);
    assert!(
        s.meta("error.message")
            .unwrap()
            .starts_with("ERR unknown command")
    );
}

#[test]
fn a_killed_connection_fails_the_next_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut con).unwrap();
    let mut killer = plain_client().get_connection().unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query(&mut killer)
        .unwrap();
    assert_eq!(killed, 1);
    let err = redis::cmd("PING").query::<String>(&mut con).unwrap_err();
    assert!(err.is_io_error() || err.is_connection_dropped(), "{err:?}");
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    let s = &spans[1];
    assert_eq!(s.resource, "PING");
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.type"), Some("redis::RedisError"));
    assert!(!s.meta("error.message").unwrap_or_default().is_empty());
}

#[test]
fn a_dead_server_fails_the_span() {
    let (tracer, exporter) = tracer();
    let mut server = OwnRedis::start();
    let client = TracedClient::with_tracer(redis::Client::open(server.url()).unwrap(), tracer)
        .with_config(RedisConfig::default());
    let mut con = client.get_connection().unwrap();
    let _: () = con.set("k", 1).unwrap();
    server.kill();
    assert!(con.get::<_, i64>("k").is_err());
    let spans = redis_spans(&exporter);
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].error, 0);
    assert_eq!(spans[1].error, 1);
    assert_eq!(spans[1].meta("error.type"), Some("redis::RedisError"));
    assert_eq!(
        spans[1].metric("network.destination.port"),
        Some(f64::from(server.port))
    );
}

#[test]
fn connecting_to_a_closed_port_fails_without_a_span() {
    // No command was sent, so there is no command span; the error reaches the caller.
    let (tracer, exporter) = tracer();
    let url = format!("redis://127.0.0.1:{}/", closed_port());
    let client = TracedClient::with_tracer(redis::Client::open(url).unwrap(), tracer);
    let err = client.get_connection().unwrap_err();
    assert!(err.is_connection_refusal() || err.is_io_error(), "{err:?}");
    assert!(exporter.spans().is_empty());
}

#[test]
fn scan_pages_each_make_a_span() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("scan");
    let fields: Vec<(String, i64)> = (0..1000).map(|i| (format!("f{i}"), i)).collect();
    let _: () = con.hset_multiple(&k, &fields).unwrap();
    exporter.clear();
    let n = con.hscan::<_, (String, i64)>(&k).unwrap().count();
    assert_eq!(n, 1000);
    let spans = redis_spans(&exporter);
    assert!(spans.len() >= 2, "{spans:#?}");
    assert!(spans.iter().all(|s| s.resource == "HSCAN"));
    assert_eq!(
        spans[0].meta("redis.raw_command"),
        Some(format!("HSCAN {k} 0").as_str())
    );
    // Later pages show the cursor they resume from (1000 fields: not one listpack page).
    assert!(!spans[1].meta("redis.raw_command").unwrap().ends_with(" 0"));
    let _: () = con.del(&k).unwrap();
}

#[test]
fn publish_is_traced_and_reaches_subscribers() {
    let (tracer, exporter) = tracer();
    let client = traced_client(&tracer);
    let channel = key("channel");
    let mut sub_con = plain_client().get_connection().unwrap();
    let mut sub = sub_con.as_pubsub();
    sub.subscribe(&channel).unwrap();
    let mut con = client.get_connection().unwrap();
    let receivers: i64 = con.publish(&channel, "hello").unwrap();
    assert_eq!(receivers, 1);
    let msg = sub.get_message().unwrap();
    assert_eq!(msg.get_payload::<String>().unwrap(), "hello");
    let s = &redis_spans(&exporter)[0];
    assert_redis_span(s, "PUBLISH", &format!("PUBLISH {channel} hello"));
}

#[test]
fn the_database_index_and_peer_service_are_tagged() {
    let mut config = Config::builder_without_env().service("test-app").build();
    config.peer_service_defaults_enabled = true;
    let (tracer, exporter) = tracer_with(config);
    let url = redis_url();
    let info = redis::IntoConnectionInfo::into_connection_info(url.as_str()).unwrap();
    let settings = info.redis_settings().clone().set_db(3);
    let info = info.set_redis_settings(settings);
    let client = TracedClient::with_tracer(redis::Client::open(info).unwrap(), tracer)
        .with_config(RedisConfig::default());
    let mut con = client.get_connection().unwrap();
    let _: bool = con.exists(key("db3")).unwrap();
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.metric("out.redis_db"), Some(3.0));
    let host = s.meta("out.host").unwrap();
    assert_eq!(s.meta("peer.service"), Some(host));
    assert_eq!(s.meta("_dd.peer.service.source"), Some("out.host"));
}

#[test]
fn a_disabled_tracer_sends_commands_untraced() {
    let exporter = ddtrace_core::export::InMemoryExporter::new();
    let tracer = ddtrace_core::Tracer::builder()
        .config(Config::builder_without_env().enabled(false).build())
        .exporter(exporter.clone())
        .build();
    let client = traced_client(&tracer);
    let mut con = client.get_connection().unwrap();
    let k = key("disabled");
    let _: () = con.set(&k, 1).unwrap();
    assert_eq!(con.get::<_, i64>(&k).unwrap(), 1);
    assert!(exporter.spans().is_empty());
}

#[test]
fn the_service_follows_schema_v1_the_removal_setting_and_the_service_mapping() {
    let mut config = Config::builder_without_env().service("test-app").build();
    config.span_attribute_schema = ddtrace_core::config::SpanSchema::V1;
    let (tracer, exporter) = tracer_with(config);
    let mut con = traced_client(&tracer).get_connection().unwrap();
    let _: bool = con.exists(key("v1")).unwrap();
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.service, "test-app");
    // Under v1 DD_SERVICE is the integration's default service: its source is the integration.
    assert_eq!(s.meta("_dd.svc_src"), Some("redis"));
    assert_eq!(s.name, "redis.command");
    // The Python tracer's v1 renaming also applies to the raw command's key.
    assert!(s.meta("redis.command").unwrap().starts_with("EXISTS "));
    assert_eq!(s.meta("redis.raw_command"), None);

    // DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED: DD_SERVICE under v0 too, with the
    // v0 span name.
    let mut config = Config::builder_without_env().service("test-app").build();
    config.remove_integration_service_names = true;
    let (tracer, exporter) = tracer_with(config);
    let mut con = traced_client(&tracer).get_connection().unwrap();
    let _: bool = con.exists(key("removed")).unwrap();
    let s = &redis_spans(&exporter)[0];
    assert_eq!(
        (s.service.as_str(), s.name.as_str()),
        ("test-app", "redis.command")
    );
    assert_eq!(s.meta("_dd.svc_src"), Some("redis"));

    let mut config = Config::builder_without_env().service("test-app").build();
    config.service_mapping = vec![("redis".to_owned(), "sessions-cache".to_owned())];
    let (tracer, exporter) = tracer_with(config);
    let mut con = traced_client(&tracer).get_connection().unwrap();
    let _: bool = con.exists(key("mapped")).unwrap();
    let s = &redis_spans(&exporter)[0];
    assert_eq!(s.service, "sessions-cache");
    assert_eq!(s.meta("_dd.svc_src"), Some("opt.service_mapping"));
}

#[test]
fn values_stay_in_the_process_unless_obfuscation_is_off() {
    let (tracer, exporter) = tracer();
    let k = key("secret");
    let mut con = traced_client(&tracer).get_connection().unwrap();
    let _: () = con.set(&k, "S3CR3T").unwrap();
    let _: () = con
        .hset(k.replace("secret", "hash"), "field", "S3CR3T")
        .unwrap();
    let spans = redis_spans(&exporter);
    assert_eq!(
        spans[0].meta("redis.raw_command"),
        Some(format!("SET {k} ?").as_str())
    );
    assert!(
        spans[1]
            .meta("redis.raw_command")
            .unwrap()
            .ends_with(" field ?")
    );
    assert!(spans.iter().all(|s| !format!("{s:?}").contains("S3CR3T")));

    exporter.clear();
    let raw = RedisConfig::from_lookup(|v| {
        (v == "DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED").then(|| "false".to_owned())
    });
    let client = TracedClient::with_tracer(plain_client(), tracer.clone()).with_config(raw);
    let mut con = client.get_connection().unwrap();
    let _: () = con.set(&k, "S3CR3T").unwrap();
    let _: () = con.del(&k).unwrap();
    let _: () = con.del(k.replace("secret", "hash")).unwrap();
    let spans = redis_spans(&exporter);
    assert_eq!(
        spans[0].meta("redis.raw_command"),
        Some(format!("SET {k} S3CR3T").as_str()),
        "the Python tracer's text when asked"
    );
}
