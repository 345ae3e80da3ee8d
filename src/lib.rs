//! # http10 — HTTP/1.0 by hand, on `std::net`
//!
//! A teaching crate for a networking course. It holds the two halves of one protocol,
//! RFC 1945 (HTTP/1.0), written so a student can read every byte that crosses the wire:
//!
//! * [`client`] — what `httpget` does with a URL: parse it, connect a `TcpStream`, send
//!   `GET /path HTTP/1.0` and a few headers, read the status line and headers, then the body,
//!   framed by `Content-Length`, by chunks (HTTP/1.1's framing) or by the server closing (§7.2.2).
//! * [`server`] — what `httpserve` does with a connection: collect a request under a size cap
//!   and a deadline ([`server::request`]), decide what to answer ([`server::routes`],
//!   [`server::files`]), write the status line, headers and body ([`server::response`],
//!   [`server::send`]), and log one line ([`server::access_log`]) — for many connections at
//!   once, from one event loop per core, less one ([`server::event_loop`]).
//!
//! Shared by both: [`status`] codes and reason phrases, HTTP [`date`]s, the [`headers`] rules
//! (names without case, tokens, `Content-Length`), and the [`escape`] rules that keep network
//! text from becoming HTML or terminal control codes.
//!
//! The binaries under `src/bin/` only parse arguments and print; everything testable is here.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod date;
pub mod escape;
pub mod headers;
pub mod server;
pub mod status;
