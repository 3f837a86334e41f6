//! ddtrace integration for tower (not yet implemented; see the project issues).
#![deny(missing_docs)]
