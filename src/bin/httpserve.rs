//! `httpserve`: the static-file server (being written).
fn main() {}
