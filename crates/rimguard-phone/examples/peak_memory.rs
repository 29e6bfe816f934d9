//! Placeholder replaced by the memory measurement.
fn main() {}
