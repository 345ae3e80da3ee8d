//! The keep-alive decision: after this response, does the connection stay open for another
//! request, or close?
//!
//! HTTP/1.0 closes after every response (RFC 1945 §1.3). Keeping the connection open was added
//! later: an HTTP/1.0 client asks for it with `Connection: keep-alive` (RFC 2068 §19.7.1), and
//! for HTTP/1.1 it is the default unless the client sends `Connection: close` (RFC 9112 §9.3
//! lists both rules). This server honours the request unless one of its own reasons says no:
//! see [`keep_alive`]. The answer is announced in the response's `Connection` header, so the
//! client knows too.
//!
//! Try: `curl -v --http1.0 -H 'Connection: keep-alive' http://127.0.0.1:8080/ http://127.0.0.1:8080/`
//! ("Re-using existing connection").

use super::request::{Request, Version};
use crate::status::Status;

/// How many requests one kept-alive connection may carry before the server closes it, so that
/// no client holds a connection for ever by asking again and again.
pub const KEEP_ALIVE_MAX: usize = 1000;

/// Whether the client asked for the connection to stay open after this response:
/// HTTP/1.0 only with `Connection: keep-alive`; HTTP/1.1 unless `Connection: close`;
/// HTTP/0.9 never (it has no headers to ask with).
pub fn client_asks_to_keep_alive(request: &Request) -> bool {
    match request.version {
        Version::Http09 => false,
        Version::Http10 => request.header_has_token("Connection", "keep-alive"),
        Version::Http11 => !request.header_has_token("Connection", "close"),
    }
}

/// Whether the connection stays open after answering `request` with `status`.
///
/// `served` counts the requests answered on this connection, this one included; `stopping`
/// says the server is shutting down. The client must have asked
/// ([`client_asks_to_keep_alive`]), and none of these may hold:
///
/// * the status leaves the server unsure where the next request starts ([`loses_framing`]);
/// * the connection has carried [`KEEP_ALIVE_MAX`] requests;
/// * the server is stopping.
pub fn keep_alive(request: &Request, status: Status, served: usize, stopping: bool) -> bool {
    client_asks_to_keep_alive(request)
        && !loses_framing(status)
        && served < KEEP_ALIVE_MAX
        && !stopping
}

/// After these answers the server cannot be sure where the client's next request starts — a
/// request it could not read, or a method it does not know, whose body may follow without a
/// `Content-Length` — so it closes the connection, as nginx does.
pub fn loses_framing(status: Status) -> bool {
    matches!(
        status,
        Status::BadRequest | Status::NotImplemented | Status::VersionNotSupported
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::request::tests::parsed;

    fn request(version: Version, connection: Option<&str>) -> Request {
        let mut sent = match version {
            Version::Http09 => "GET /\r\n".to_string(),
            other => format!("GET / {}\r\n", other.as_str()),
        };
        if version != Version::Http09 {
            if let Some(value) = connection {
                sent.push_str(&format!("Connection: {value}\r\n"));
            }
            sent.push_str("\r\n");
        }
        parsed(sent.as_bytes())
    }

    #[test]
    fn the_connection_stays_open_only_when_asked_and_allowed() {
        use Version::{Http09, Http10, Http11};
        let ok = Status::Ok;
        #[rustfmt::skip]
        let cases = [
            // version, Connection header,   status,                 served, stopping, open?
            (Http10, None,                     ok,                     1, false, false),
            (Http10, Some("keep-alive"),       ok,                     1, false, true),
            (Http10, Some("Keep-Alive"),       ok,                     1, false, true),
            (Http10, Some("foo, keep-alive"),  ok,                     1, false, true),
            (Http10, Some("close"),            ok,                     1, false, false),
            (Http11, None,                     ok,                     1, false, true),
            (Http11, Some("close"),            ok,                     1, false, false),
            (Http11, Some("CLOSE"),            ok,                     1, false, false),
            (Http11, Some("keep-alive"),       ok,                     1, false, true),
            (Http09, Some("keep-alive"),       ok,                     1, false, false),
            (Http11, None,                     Status::NotFound,       1, false, true),
            (Http11, None,                     Status::NotModified,    1, false, true),
            (Http11, None,                     Status::BadRequest,     1, false, false),
            (Http11, None,                     Status::NotImplemented, 1, false, false),
            (Http11, None,            Status::VersionNotSupported,     1, false, false),
            (Http11, None,                     ok,      KEEP_ALIVE_MAX - 1, false, true),
            (Http11, None,                     ok,          KEEP_ALIVE_MAX, false, false),
            (Http11, None,                     ok,                     1, true,  false),
        ];
        for (version, connection, status, served, stopping, want) in cases {
            let request = request(version, connection);
            let got = keep_alive(&request, status, served, stopping);
            assert_eq!(
                got, want,
                "{version:?} Connection: {connection:?}, {status:?}, {served} served, stopping {stopping}"
            );
        }
    }
}
