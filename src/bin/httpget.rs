//! `httpget`: the command-line GET client (being written).
fn main() {}
