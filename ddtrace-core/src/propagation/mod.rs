//! Distributed context propagation (being built; see the propagation issue).
