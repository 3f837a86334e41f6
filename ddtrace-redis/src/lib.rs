//! ddtrace integration for redis (not yet implemented; see the project issues).
#![deny(missing_docs)]
