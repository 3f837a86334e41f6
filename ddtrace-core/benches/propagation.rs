//! Propagation speed: inject and extract for each style.
fn main() {}
