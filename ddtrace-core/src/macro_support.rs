//! Support code for the `#[traced]` attribute's expansion. Not a public API.
