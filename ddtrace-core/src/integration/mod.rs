//! Helpers shared by the integrations (tower, HTTP clients, SQL, Redis): the tags the Python
//! tracer's `trace_utils.set_http_meta` and trace processors add, written once.
//!
//! - [`QueryObfuscator`]: `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP` on query strings;
//! - [`HeaderTags`]: `DD_TRACE_HEADER_TAGS`, headers copied to tags;
//! - [`ClientIp`]: `http.client_ip` (`DD_TRACE_CLIENT_IP_ENABLED`, `DD_TRACE_CLIENT_IP_HEADER`);
//! - [`apply_peer_service`]: `peer.service` defaults and `DD_TRACE_PEER_SERVICE_MAPPING`.

mod client_ip;
mod header_tags;
mod peer_service;
mod query_obfuscation;

pub use client_ip::{CLIENT_IP_HEADERS, ClientIp};
pub use header_tags::{HeaderSide, HeaderTags, normalized_header_tag};
pub use peer_service::{
    PEER_SERVICE, PEER_SERVICE_REMAPPED_FROM, PEER_SERVICE_SOURCE, PEER_SERVICE_SOURCES,
    apply_peer_service, peer_service_defaults_enabled,
};
pub use query_obfuscation::{DEFAULT_QUERY_STRING_REGEXP, QueryObfuscator, REDACTED};
