//! Helpers shared by the integrations (tower, HTTP clients, SQL, Redis): the tags the Python
//! tracer's `trace_utils` and trace processors add, and the plumbing every integration needs,
//! written once.
//!
//! - [`TracerSource`] and [`PerTracer`]: the global tracer or one given in code, and the
//!   settings worked out once from it;
//! - [`integration_service`]: the service of the integration's spans and their `_dd.svc_src`
//!   (service set in code, `DD_SERVICE` under schema v1, the integration's default,
//!   `DD_SERVICE_MAPPING`), and [`domain_service`] for HTTP clients that name it after the
//!   host called;
//! - [`schema_v1`]: whether `DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1` is in force;
//! - [`QueryObfuscator`]: `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP` on query strings;
//! - [`HeaderTags`]: `DD_TRACE_HEADER_TAGS`, headers copied to tags;
//! - [`ClientIp`]: `http.client_ip` (`DD_TRACE_CLIENT_IP_ENABLED`, `DD_TRACE_CLIENT_IP_HEADER`);
//! - [`apply_peer_service`]: `peer.service` defaults and `DD_TRACE_PEER_SERVICE_MAPPING`.
//!
//! Tag names come from [`crate::keys`].
//!
//! # Adding an integration crate
//!
//! An integration knows its library and `ddtrace-core`, never the writer. To add
//! `ddtrace-foo`:
//!
//! 1. **The crate**: `ddtrace-foo/Cargo.toml` takes `version`, `edition`, `rust-version`,
//!    `license` and `repository` from the workspace (`version.workspace = true`...), depends on
//!    `ddtrace-core.workspace = true`, and ends with the `[package.metadata.docs.rs]` table its
//!    siblings have. `src/lib.rs` opens with what the crate traces, a runnable example, the
//!    span table and "differences from the Python tracer", then `#![deny(missing_docs)]` and
//!    `#![forbid(unsafe_code)]`.
//! 2. **Tracer**: take a [`TracerSource`] (`Foo::new(tracer)` and `Foo::global()`); bind what
//!    is read from the tracer's configuration with [`PerTracer`].
//! 3. **Service**: [`integration_service`] with the integration's name and default service,
//!    set with [`SpanService::apply`]. Span names that depend on the schema ask
//!    [`schema_v1`]. Client spans call [`apply_peer_service`] once their tags are set. Tag
//!    names the tracer owns come from [`crate::keys`].
//! 4. **Root `Cargo.toml`**: `"ddtrace-foo"` in `[workspace] members`;
//!    `ddtrace-foo = { path = "ddtrace-foo", version = "0.1.0" }` in
//!    `[workspace.dependencies]`; the facade's optional dependency
//!    `ddtrace-foo = { workspace = true, optional = true }`; a feature
//!    `foo = ["dep:ddtrace-foo"]` (with its `##` line) under `[features]`, and `"foo"` in
//!    `full`.
//! 5. **Facade `src/lib.rs`**: `pub use ddtrace_foo as foo;` under
//!    `#[cfg(feature = "foo")]` and `#[cfg_attr(docsrs, doc(cfg(feature = "foo")))]`; the
//!    feature in the "Install" list, and a snippet in "Integrations".
//! 6. **README.md**: the feature's row in "1. Install", a section on the integration, and the
//!    crate in the "Layout" table's integrations row.
//! 7. **Tests**: integration tests in `ddtrace-foo/tests/` against the real server; the
//!    spans' shape through an `InMemoryExporter`, and at least one end-to-end test through
//!    Datadog's test agent with its own `ddtrace_test_support::Session` (dev-dependency
//!    `ddtrace-test-support.workspace = true`), ending with
//!    `session.assert_no_check_failures()`. A server the library needs is started and
//!    checked in `scripts/test.sh`, which exports its address (`TEST_FOO_URL`, as
//!    `TEST_REDIS_URL`); the tests read it and fail, never skip, when it does not answer.

mod client_ip;
mod header_tags;
mod peer_service;
mod query_obfuscation;
mod schema;
mod service;
mod tracer_source;

pub use client_ip::{CLIENT_IP_HEADERS, ClientIp};
pub use header_tags::{HeaderSide, HeaderTags, normalized_header_tag};
pub use peer_service::{
    PEER_SERVICE, PEER_SERVICE_REMAPPED_FROM, PEER_SERVICE_SOURCE, PEER_SERVICE_SOURCES,
    apply_peer_service, peer_service_defaults_enabled,
};
pub use query_obfuscation::{DEFAULT_QUERY_STRING_REGEXP, QueryObfuscator, REDACTED};
pub use schema::schema_v1;
pub use service::{
    SOURCE_MANUAL, SOURCE_SERVICE_MAPPING, SOURCE_SPLIT_BY_DOMAIN, SpanService, domain_service,
    integration_service,
};
pub use tracer_source::{PerTracer, TracerSource};
