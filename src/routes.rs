//! Deciding what to answer: the method and the path pick a handler.
//!
//! GET and HEAD are served from files ([`files::serve`]). Every other method — including
//! lower-case `get`, since methods are case-sensitive (RFC 1945 §5.1.1) — is answered
//! 501 Not Implemented (§9.5 lets a server implement only some methods).

use crate::files::{self, Root};
use crate::request::Request;
use crate::response::Response;
use crate::status::Status;

/// What the server serves: the folder, and whether the built-in routes are on.
#[derive(Debug, Clone)]
pub struct Site {
    /// The served folder.
    pub root: Root,
    /// Whether `/upper` and `/echo` answer (they take precedence over files of those names).
    pub routes_enabled: bool,
}

/// Answers one request.
pub fn respond(site: &Site, request: &Request) -> Response {
    match request.method.as_str() {
        "GET" | "HEAD" => files::serve(
            &site.root,
            &request.target,
            request.header("If-Modified-Since"),
        ),
        _ => not_implemented(&request.method),
    }
}

fn not_implemented(method: &str) -> Response {
    Response::error(
        Status::NotImplemented,
        &format!("This server does not implement the method {method}; it serves GET and HEAD."),
    )
}
