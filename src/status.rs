//! Status codes and their reason phrases (RFC 1945 §6.1.1), shared by the server, which writes
//! them, and the client, which explains them.
//!
//! A status line is `HTTP/1.0 404 Not Found`: the number is for programs, the reason phrase is
//! for people. RFC 1945 lists the codes an HTTP/1.0 peer knows; the few later ones used here
//! (414, 431, 505 …) come from RFC 9110 and RFC 6585 and are understood by every client today.

/// The status codes `httpserve` sends. Each variant's doc says when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200: here is the file, the listing or the route's answer.
    Ok,
    /// 301: a directory was asked for without its trailing slash; `Location` has it.
    MovedPermanently,
    /// 304: the client's cached copy (`If-Modified-Since`) is still good; no body.
    NotModified,
    /// 400: the request could not be understood (bad request line, header, path escape …).
    BadRequest,
    /// 403: the file exists but may not be read, or a link points outside the served folder.
    Forbidden,
    /// 404: nothing is served at that path.
    NotFound,
    /// 408: part of a request arrived, but not all of it within the time limit.
    RequestTimeout,
    /// 411: a request body came without `Content-Length`, which RFC 1945 §7.2.2 requires (that
    /// RFC answers it 400; HTTP/1.1 gave the fault its own code, RFC 9110 §15.5.12).
    LengthRequired,
    /// 413 Content Too Large (RFC 9110 §15.5.14): a request body is larger than the route
    /// accepts. RFC 7231 called it "Payload Too Large", RFC 2616 "Request Entity Too Large".
    ContentTooLarge,
    /// 414: the request target is longer than the server reads.
    UriTooLong,
    /// 431: the request head is too large, or has too many header lines.
    HeaderFieldsTooLarge,
    /// 500: the server failed in a way that is not the client's fault.
    InternalServerError,
    /// 501: the method is not one this server implements.
    NotImplemented,
    /// 503: the server is at its connection limit; try again soon.
    ServiceUnavailable,
    /// 505: the request names an HTTP version this server does not speak (2 and above).
    VersionNotSupported,
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::RequestTimeout => 408,
            Status::LengthRequired => 411,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase written after the code in the status line.
    pub fn reason(self) -> &'static str {
        reason_phrase(self.code()).expect("every Status variant has a reason phrase")
    }

    /// Whether a response with this status may carry a body (RFC 1945 §7.2: 304 never does).
    pub fn allows_body(self) -> bool {
        self != Status::NotModified
    }
}

/// The usual reason phrase for a status code, or `None` for a code this crate does not know.
///
/// The client uses it to explain a reply whose server sent an empty or odd phrase.
pub fn reason_phrase(code: u16) -> Option<&'static str> {
    let phrase = match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => return None,
    };
    Some(phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_code_and_phrase() {
        for (status, code, phrase) in [
            (Status::Ok, 200, "OK"),
            (Status::MovedPermanently, 301, "Moved Permanently"),
            (Status::NotModified, 304, "Not Modified"),
            (Status::BadRequest, 400, "Bad Request"),
            (Status::NotFound, 404, "Not Found"),
            (Status::ContentTooLarge, 413, "Content Too Large"),
            (
                Status::HeaderFieldsTooLarge,
                431,
                "Request Header Fields Too Large",
            ),
            (
                Status::VersionNotSupported,
                505,
                "HTTP Version Not Supported",
            ),
        ] {
            assert_eq!(status.code(), code);
            assert_eq!(status.reason(), phrase);
        }
        assert_eq!(reason_phrase(299), None);
    }
}
