//! The layer against an in-memory exporter: parents, field typing, well-known fields, events,
//! the filter. Each test builds its own tracer and subscriber (`with_default`), so tests run
//! in parallel without sharing globals.

use std::time::Duration;

use ddtrace_core::export::InMemoryExporter;
use ddtrace_core::{Config, SpanData, Tracer};
use ddtrace_tracing::DatadogLayer;
use tracing::Instrument as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

fn tracer() -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder()
        .config(
            Config::builder_without_env()
                .service("bridge-test")
                .env("test")
                .build(),
        )
        .exporter(exporter.clone())
        .build();
    (tracer, exporter)
}

fn with_layer<R>(layer: DatadogLayer, f: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f)
}

fn find<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span named {name}: {spans:#?}"))
}

#[test]
fn nested_spans_are_children_in_one_trace() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _a = tracing::info_span!("a").entered();
        {
            let _b = tracing::info_span!("b").entered();
            let _c = tracing::warn_span!("c").entered();
        }
        let _d = tracing::error_span!("d").entered();
    });
    let spans = exporter.spans();
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let (a, b, c, d) = (
        find(&spans, "a"),
        find(&spans, "b"),
        find(&spans, "c"),
        find(&spans, "d"),
    );
    assert!(a.parent_id.is_none());
    assert_eq!(b.parent_id, a.span_id);
    assert_eq!(c.parent_id, b.span_id);
    assert_eq!(d.parent_id, a.span_id);
    assert!(spans.iter().all(|s| s.trace_id == a.trace_id));
    assert_eq!(a.service, "bridge-test");
    assert_eq!(a.resource, "a");
    assert_eq!(a.meta("env"), Some("test"));
    assert_eq!(exporter.chunks().len(), 1);
}

#[test]
fn explicit_parents_are_followed_and_parent_none_starts_a_trace() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let outer = tracing::info_span!("outer");
        let _other = tracing::info_span!("other").entered();
        let _child = tracing::info_span!(parent: &outer, "child").entered();
        let _root = tracing::info_span!(parent: None, "fresh").entered();
    });
    let spans = exporter.spans();
    let (outer, other, child, fresh) = (
        find(&spans, "outer"),
        find(&spans, "other"),
        find(&spans, "child"),
        find(&spans, "fresh"),
    );
    assert_eq!(child.parent_id, outer.span_id);
    assert_eq!(child.trace_id, outer.trace_id);
    assert!(other.parent_id.is_none());
    assert!(fresh.parent_id.is_none());
    assert_ne!(fresh.trace_id, other.trace_id);
}

#[test]
fn fields_are_typed_as_set_tag_types_them() {
    #[derive(Debug)]
    struct Cart {
        #[allow(dead_code)]
        items: u32,
    }
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let span = tracing::info_span!(
            "typed",
            s = "text",
            i = -5i64,
            u = 7u64,
            huge = u64::MAX,
            f = 1.5f64,
            nan = f64::NAN,
            yes = true,
            no = false,
            display = %"shown",
            debug = ?Cart { items: 2 },
            late = tracing::field::Empty,
            network.destination.port = "8080",
            http.status_code = 404u64,
        );
        span.record("late", 42);
        span.record("s", "replaced");
    });
    let spans = exporter.spans();
    let s = find(&spans, "typed");
    assert_eq!(s.meta("s"), Some("replaced"));
    assert_eq!(s.metric("i"), Some(-5.0));
    assert_eq!(s.metric("u"), Some(7.0));
    assert_eq!(s.meta("huge"), Some(u64::MAX.to_string().as_str()));
    assert_eq!(s.metric("f"), Some(1.5));
    assert_eq!(s.metric("nan"), None);
    assert_eq!(s.meta("nan"), None);
    assert_eq!(s.meta("yes"), Some("True"));
    assert_eq!(s.meta("no"), Some("False"));
    assert_eq!(s.meta("display"), Some("shown"));
    assert_eq!(s.meta("debug"), Some("Cart { items: 2 }"));
    assert_eq!(s.metric("late"), Some(42.0));
    assert_eq!(s.metric("network.destination.port"), Some(8080.0));
    assert_eq!(s.meta("http.status_code"), Some("404"));
    assert_eq!(s.metric("http.status_code"), None);
}

#[test]
fn well_known_fields_set_the_span_itself() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _a = tracing::info_span!(
            "named",
            service = "billing",
            resource = "charge card",
            span.type = "custom",
        )
        .entered();
        let _b = tracing::info_span!("b", otel.name = "GET /users/{id}").entered();
        let _c = tracing::info_span!("c", operation.name = "db.query", resource.name = "SELECT 1")
            .entered();
        let _d = tracing::info_span!(
            "d",
            service.name = "cache",
            otel.status_code = "ERROR",
            otel.status_description = "timed out"
        )
        .entered();
        let _e = tracing::info_span!("e", error = true).entered();
        let _f = tracing::info_span!("f", error = %"boom").entered();
        let failure = FetchFailed(Refused);
        let _g = tracing::info_span!("g", error = &failure as &(dyn std::error::Error + 'static))
            .entered();
    });
    let spans = exporter.spans();
    let a = find(&spans, "named");
    assert_eq!(
        (
            a.service.as_str(),
            a.resource.as_str(),
            a.span_type.as_str()
        ),
        ("billing", "charge card", "custom")
    );
    assert_eq!(a.meta("_dd.svc_src"), Some("m"));
    let b = find(&spans, "b");
    assert_eq!(b.resource, "GET /users/{id}");
    assert_eq!(b.service, "billing", "children inherit the service");
    let c = find(&spans, "db.query");
    assert_eq!(c.resource, "SELECT 1");
    let d = find(&spans, "d");
    assert_eq!(d.service, "cache");
    assert_eq!(d.error, 1);
    assert_eq!(d.meta("error.message"), Some("timed out"));
    assert_eq!(find(&spans, "e").error, 1);
    let f = find(&spans, "f");
    assert_eq!(f.error, 1);
    assert_eq!(f.meta("error.message"), Some("boom"));
    let g = find(&spans, "g");
    assert_eq!(g.error, 1);
    assert_eq!(g.meta("error.message"), Some("fetch failed"));
    assert_eq!(
        g.meta("error.stack"),
        Some("Caused by:\n    connection refused\n")
    );
}

#[test]
fn http_fields_derive_resource_type_and_error() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let server = tracing::info_span!(
            "request",
            otel.kind = "server",
            http.request.method = "GET",
            http.route = "/orders/{id}",
            http.response.status_code = tracing::field::Empty,
        );
        server.in_scope(|| {
            let client = tracing::info_span!(
                "outgoing",
                otel.kind = "Client",
                http.method = "POST",
                url.full = "http://inventory/reserve",
                http.status_code = 502,
            );
            drop(client);
        });
        server.record("http.response.status_code", 503);
        let _ok = tracing::info_span!(
            "ok",
            otel.kind = "server",
            http.method = "GET",
            http.status_code = 500,
            error = false
        )
        .entered();
    });
    let spans = exporter.spans();
    let server = find(&spans, "request");
    assert_eq!(server.resource, "GET /orders/{id}");
    assert_eq!(server.span_type, "web");
    assert_eq!(server.meta("span.kind"), Some("server"));
    assert_eq!(server.meta("http.method"), Some("GET"));
    assert_eq!(server.meta("http.status_code"), Some("503"));
    assert_eq!(server.error, 1, "5xx fails a server span");
    let client = find(&spans, "outgoing");
    assert_eq!(client.resource, "POST");
    assert_eq!(client.span_type, "http");
    assert_eq!(client.meta("span.kind"), Some("client"));
    assert_eq!(client.meta("http.url"), Some("http://inventory/reserve"));
    assert_eq!(client.error, 1, "5xx fails a client span by default");
    assert_eq!(find(&spans, "ok").error, 0, "an explicit error field wins");
}

#[derive(Debug)]
struct Refused;
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}
impl std::error::Error for Refused {}

#[derive(Debug)]
struct FetchFailed(Refused);
impl std::fmt::Display for FetchFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fetch failed")
    }
}
impl std::error::Error for FetchFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn events_become_span_events_and_error_events_fail_the_span() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _quiet = tracing::info_span!("quiet").entered();
        tracing::info!(items = 3, "cart reserved");
        tracing::debug!("not recorded by default");
        {
            let _failing = tracing::info_span!("failing").entered();
            tracing::warn!(attempt = 2, "retrying");
            let error = FetchFailed(Refused);
            tracing::error!(
                error = &error as &(dyn std::error::Error + 'static),
                "giving up"
            );
        }
    });
    let spans = exporter.spans();
    let quiet = find(&spans, "quiet");
    assert_eq!(quiet.error, 0);
    assert_eq!(quiet.events.len(), 1, "{:#?}", quiet.events);
    let event = &quiet.events[0];
    assert_eq!(event.name, "cart reserved");
    let attr = |e: &ddtrace_core::SpanEvent, k: &str| {
        e.attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(attr(event, "items").as_deref(), Some("3"));
    assert_eq!(attr(event, "level").as_deref(), Some("INFO"));
    assert!(attr(event, "target").unwrap().contains("layer"));
    assert!(event.time_unix_nano > 0);

    let failing = find(&spans, "failing");
    assert_eq!(failing.events.len(), 2);
    assert_eq!(failing.events[0].name, "retrying");
    let error_event = &failing.events[1];
    assert_eq!(error_event.name, "giving up");
    assert_eq!(
        attr(error_event, "exception.message").as_deref(),
        Some("fetch failed")
    );
    assert_eq!(failing.error, 1);
    assert_eq!(failing.meta("error.message"), Some("fetch failed"));
    assert_eq!(
        failing.meta("error.stack"),
        Some("Caused by:\n    connection refused\n")
    );
}

#[test]
fn instrument_err_fails_its_span() {
    #[tracing::instrument(err)]
    fn reserve(item: u32) -> Result<(), String> {
        Err(format!("item {item} out of stock"))
    }
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _ = reserve(4);
    });
    let spans = exporter.spans();
    let s = find(&spans, "reserve");
    assert_eq!(s.metric("item"), Some(4.0));
    assert_eq!(s.error, 1);
    assert_eq!(s.meta("error.message"), Some("item 4 out of stock"));
    assert_eq!(s.events[0].name, "exception");
}

#[test]
fn events_per_span_are_capped() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _s = tracing::info_span!("chatty").entered();
        for i in 0..(ddtrace_tracing::MAX_EVENTS_PER_SPAN + 50) {
            tracing::info!(i, "tick");
        }
    });
    let spans = exporter.spans();
    assert_eq!(
        find(&spans, "chatty").events.len(),
        ddtrace_tracing::MAX_EVENTS_PER_SPAN as usize
    );
}

#[test]
fn a_filtered_out_span_does_not_break_parenting() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let _top = tracing::info_span!("top").entered();
        let hidden = tracing::debug_span!("hidden");
        {
            let _in_hidden = hidden.enter();
            let _contextual = tracing::info_span!("contextual").entered();
        }
        let _explicit = tracing::info_span!(parent: &hidden, "explicit").entered();
        // An event in a filtered-out span lands on the span it stands for.
        hidden.in_scope(|| tracing::info!("inside hidden"));
    });
    let spans = exporter.spans();
    assert_eq!(spans.len(), 3, "the DEBUG span is left out: {spans:#?}");
    let top = find(&spans, "top");
    assert_eq!(find(&spans, "contextual").parent_id, top.span_id);
    assert_eq!(find(&spans, "explicit").parent_id, top.span_id);
    assert!(top.events.iter().any(|e| e.name == "inside hidden"));
}

#[test]
fn the_filter_picks_spans_by_target_and_level() {
    let (tracer, exporter) = tracer();
    let layer = DatadogLayer::new(tracer).with_span_filter(
        Targets::new()
            .with_default(LevelFilter::WARN)
            .with_target("chatty_lib", LevelFilter::OFF)
            .with_target("wanted_lib", LevelFilter::TRACE),
    );
    with_layer(layer, || {
        let _a = tracing::warn_span!("kept").entered();
        let _b = tracing::info_span!("dropped_by_level").entered();
        let _c = tracing::error_span!(target: "chatty_lib", "dropped_by_target").entered();
        let _d = tracing::trace_span!(target: "wanted_lib::io", "kept_by_target").entered();
    });
    let spans = exporter.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"kept") && names.contains(&"kept_by_target"));
    assert_eq!(
        find(&spans, "kept_by_target").parent_id,
        find(&spans, "kept").span_id
    );
}

#[test]
fn ddtrace_spans_and_tracing_spans_nest_both_ways() {
    let (tracer, exporter) = tracer();
    let t = tracer.clone();
    with_layer(DatadogLayer::new(tracer), move || {
        let _outer = tracing::info_span!("tracing.outer").entered();
        let dd = t.trace("dd.middle").start();
        let _inner = tracing::info_span!("tracing.inner").entered();
        let _leaf = t.trace("dd.leaf").start();
        drop(dd);
    });
    let spans = exporter.spans();
    let outer = find(&spans, "tracing.outer");
    let middle = find(&spans, "dd.middle");
    let inner = find(&spans, "tracing.inner");
    let leaf = find(&spans, "dd.leaf");
    assert_eq!(middle.parent_id, outer.span_id);
    assert_eq!(inner.parent_id, middle.span_id);
    assert_eq!(leaf.parent_id, inner.span_id);
}

#[test]
fn follows_from_becomes_a_span_link() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer), || {
        let cause = tracing::info_span!(parent: None, "cause");
        let effect = tracing::info_span!(parent: None, "effect");
        effect.follows_from(&cause);
    });
    let spans = exporter.spans();
    let cause = find(&spans, "cause");
    let effect = find(&spans, "effect");
    assert_eq!(effect.links.len(), 1);
    assert_eq!(effect.links[0].span_id, cause.span_id);
    assert_eq!(effect.links[0].trace_id.low(), cause.trace_id.low());
}

#[test]
fn a_disabled_tracer_records_nothing_and_does_not_panic() {
    with_layer(DatadogLayer::new(Tracer::disabled()), || {
        let span = tracing::info_span!("x", a = 1);
        span.record("a", 2);
        let _g = span.enter();
        tracing::error!("nothing to fail");
    });
}

thread_local! {
    static WORKER_DEFAULT: std::cell::RefCell<Option<tracing::dispatcher::DefaultGuard>> =
        const { std::cell::RefCell::new(None) };
}

/// A multi-thread runtime whose workers use `dispatch` as their default subscriber.
///
/// A scoped default (`set_default`) is per thread. `tracing`'s registry releases a closing
/// span's parent through the *thread's* default subscriber, so a span closed on a worker that
/// does not have it would keep its parent (and the Datadog trace) open forever.
fn runtime_with(dispatch: tracing::Dispatch) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .on_thread_start(move || {
            let guard = tracing::dispatcher::set_default(&dispatch);
            WORKER_DEFAULT.with(|g| *g.borrow_mut() = Some(guard));
        })
        .on_thread_stop(|| WORKER_DEFAULT.with(|g| drop(g.borrow_mut().take())))
        .build()
        .expect("tokio runtime")
}

#[test]
fn async_spans_keep_their_parents_across_awaits_and_spawn() {
    let (tracer, exporter) = tracer();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(DatadogLayer::new(tracer.clone())),
    );
    let runtime = runtime_with(dispatch.clone());
    let _default = tracing::dispatcher::set_default(&dispatch);

    runtime.block_on(
        async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let handle = tokio::spawn(
                async {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    async { tokio::task::yield_now().await }
                        .instrument(tracing::info_span!("spawned.child"))
                        .await;
                }
                .instrument(tracing::info_span!("spawned")),
            );
            // ddtrace's own Instrument inside a tracing span, and tracing inside it.
            ddtrace_core::Instrument::instrument(
                async {
                    tokio::task::yield_now().await;
                    async {}.instrument(tracing::info_span!("in.dd")).await;
                },
                tracer.trace("dd.future"),
            )
            .await;
            handle.await.unwrap();
        }
        .instrument(tracing::info_span!("root.task")),
    );
    drop(runtime);

    let spans = exporter.spans();
    assert_eq!(spans.len(), 5, "{spans:#?}");
    let root = find(&spans, "root.task");
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
    let spawned = find(&spans, "spawned");
    assert_eq!(spawned.parent_id, root.span_id);
    assert_eq!(find(&spans, "spawned.child").parent_id, spawned.span_id);
    let dd = find(&spans, "dd.future");
    assert_eq!(dd.parent_id, root.span_id);
    assert_eq!(find(&spans, "in.dd").parent_id, dd.span_id);
}

/// A value whose `Debug` logs, as some library types do.
struct Chatty;
impl std::fmt::Debug for Chatty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tracing::info!("formatting chatty");
        f.write_str("chatty")
    }
}

#[test]
fn values_that_log_while_formatted_do_not_deadlock() {
    let (tracer, exporter) = tracer();
    with_layer(DatadogLayer::new(tracer.clone()), || {
        let span = tracing::info_span!("s", v = ?Chatty, late = tracing::field::Empty);
        let _g = span.enter();
        span.record("late", tracing::field::debug(Chatty));
        tracing::info!(v = ?Chatty, "event");
    });
    let spans = exporter.spans();
    let s = find(&spans, "s");
    assert_eq!(s.meta("v"), Some("chatty"));
    assert_eq!(s.meta("late"), Some("chatty"));
    assert!(s.events.iter().any(|e| e.name == "event"));

    // Through the correlated fmt layer too (which formats into a per-thread buffer). The fmt
    // layer itself cannot take `Span::record` of such a value: it formats recorded fields
    // while holding the span's extensions, which the nested event then reads.
    let logs = tracing_subscriber::fmt::layer()
        .event_format(ddtrace_tracing::CorrelatedFormat::with_tracer(
            tracing_subscriber::fmt::format(),
            tracer.clone(),
        ))
        .with_writer(std::io::sink);
    let subscriber = tracing_subscriber::registry()
        .with(DatadogLayer::new(tracer))
        .with(logs);
    tracing::subscriber::with_default(subscriber, || {
        let _s = tracing::info_span!("with.fmt", v = ?Chatty).entered();
        tracing::info!(v = ?Chatty, "event");
    });
    assert_eq!(
        find(&exporter.spans(), "with.fmt").meta("v"),
        Some("chatty")
    );
}

#[test]
fn two_subscribers_on_one_thread_keep_their_spans_apart() {
    // Both registries number their spans from the same start: the ids collide.
    let (tracer_x, exporter_x) = tracer();
    let (tracer_y, exporter_y) = tracer();
    let x =
        tracing::Dispatch::new(tracing_subscriber::registry().with(DatadogLayer::new(tracer_x)));
    let y =
        tracing::Dispatch::new(tracing_subscriber::registry().with(DatadogLayer::new(tracer_y)));
    tracing::dispatcher::with_default(&x, || {
        let outer = tracing::info_span!("x.outer");
        tracing::dispatcher::with_default(&y, || {
            let _y = tracing::info_span!("y.only").entered();
        });
        let _entered = outer.enter();
        let _child = tracing::info_span!("x.child").entered();
    });
    let xs = exporter_x.spans();
    assert_eq!(xs.len(), 2, "{xs:#?}");
    assert_eq!(find(&xs, "x.child").parent_id, find(&xs, "x.outer").span_id);
    assert_eq!(exporter_y.spans().len(), 1);
}
