//! ddtrace integration for http (not yet implemented; see the project issues).
#![deny(missing_docs)]
