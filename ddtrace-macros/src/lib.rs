//! The `#[traced]` attribute (in progress).
#![deny(missing_docs)]
