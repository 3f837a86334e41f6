//! ddtrace integration for sqlx (not yet implemented; see the project issues).
#![deny(missing_docs)]
