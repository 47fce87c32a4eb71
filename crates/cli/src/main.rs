//! The neurodiv command line.
fn main() {}
