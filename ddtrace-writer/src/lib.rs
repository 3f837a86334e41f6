//! Sends finished traces to the Datadog Agent (in progress).
#![deny(missing_docs)]
