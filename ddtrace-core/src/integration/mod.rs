//! Helpers shared by the integrations (tower, HTTP clients, SQL, Redis): the tags the Python
//! tracer's `trace_utils.set_http_meta` and trace processors add, written once.
//!
//! - [`QueryObfuscator`]: `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP` on query strings;
//! - [`apply_peer_service`]: `peer.service` defaults and `DD_TRACE_PEER_SERVICE_MAPPING`.

mod peer_service;
mod query_obfuscation;

pub use peer_service::{
    PEER_SERVICE, PEER_SERVICE_REMAPPED_FROM, PEER_SERVICE_SOURCE, PEER_SERVICE_SOURCES,
    apply_peer_service, peer_service_defaults_enabled,
};
pub use query_obfuscation::{DEFAULT_QUERY_STRING_REGEXP, QueryObfuscator, REDACTED};
