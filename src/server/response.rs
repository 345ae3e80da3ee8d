//! The response the server writes: status line, headers, blank line, body (RFC 1945 §6).
//!
//! ```text
//! HTTP/1.0 200 OK\r\n
//! Date: Sat, 21 Nov 2026 10:00:00 GMT\r\n
//! Server: http10/0.1.0\r\n
//! Content-Type: text/html; charset=utf-8\r\n
//! Content-Length: 1234\r\n
//! Connection: close\r\n
//! \r\n
//! <!DOCTYPE html>…
//! ```
//!
//! The routes build a [`Response`]; [`format_head`] is the only function that writes a head,
//! and it adds `Date`, `Server`, `Content-Length` and `Connection` itself, so they can never
//! be forgotten or disagree with the body. How the bytes then reach the socket (in one write,
//! through `sendfile`, a bit at a time as the socket takes them) is [`send`](super::send)'s
//! business, kept apart from the format.
//!
//! Try: `curl -sI --http1.0 http://127.0.0.1:8080/` prints a head exactly as written here.

use std::borrow::Cow;
use std::fs::File;
use std::time::Duration;

use crate::status::Status;

use super::error_page;

/// The `Server` header's value: this crate and its version.
pub const SERVER_NAME: &str = concat!("http10/", env!("CARGO_PKG_VERSION"));

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// No body at all: what [`Response::new`] starts with, and what a 304 keeps, since it may
    /// never carry one (RFC 1945 §7.2). A redirect has a body: a line naming where to go.
    Empty,
    /// A body built in memory: an error page, a listing, a route's answer.
    Bytes(Vec<u8>),
    /// A small file's bytes from the [file cache](super::file_cache), shared, not copied.
    Shared(std::sync::Arc<[u8]>),
    /// A body still to be made, by work too slow for the event loop (a big folder's listing):
    /// the work builds the whole response. See [`workers`](super::workers).
    Deferred(Deferred),
    /// A body with no `Content-Length`, that ends when the server closes the connection
    /// (RFC 1945 §7.2.2: "Otherwise, the body length is determined by the closing of the
    /// connection by the server."): the live view's event stream, written by its own thread
    /// (see [`live`](super::live)). Only its head is written here.
    UntilClose,
    /// An open file and how many bytes of it to send, streamed from disk.
    File {
        /// The file, opened when the request was resolved.
        file: File,
        /// Its size when it was opened: the `Content-Length`.
        length: u64,
    },
}

impl Body {
    /// The number of bytes `Content-Length` announces.
    pub fn length(&self) -> u64 {
        match self {
            Body::Empty | Body::Deferred(_) | Body::UntilClose => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Shared(bytes) => bytes.len() as u64,
            Body::File { length, .. } => *length,
        }
    }
}

/// A response about to be written: status, the headers particular to it, and the body.
///
/// `Date`, `Server`, `Content-Length` and `Connection` are added by [`format_head`], so
/// they can never be forgotten or disagree with the body.
#[derive(Debug)]
pub struct Response {
    /// The status code and reason phrase.
    pub status: Status,
    /// Headers such as `Content-Type`, `Last-Modified`, `Location`. A value is either fixed
    /// text (`text/html; charset=utf-8`, no copy needed) or made for this response.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body.
    pub body: Body,
    /// For an error made by [`Response::error`], its explanation, kept so that the body can be
    /// made again as an HTML page for a browser ([`Response::for_html_client`]).
    pub explanation: Option<String>,
}

impl Response {
    /// A response with no headers of its own yet and an empty body.
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Empty,
            explanation: None,
        }
    }

    /// Adds a header.
    pub fn with_header(
        mut self,
        name: &'static str,
        value: impl Into<Cow<'static, str>>,
    ) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// An HTML page.
    pub fn html(status: Status, page: String) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_body(page.into_bytes())
    }

    /// Plain UTF-8 text.
    pub fn text(status: Status, text: String) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(text.into_bytes())
    }

    /// A body (and the whole response) to be built later by `work`.
    pub fn with_deferred_body(mut self, work: Deferred) -> Response {
        self.body = Body::Deferred(work);
        self
    }

    /// Sets an in-memory body.
    pub fn with_body(mut self, bytes: Vec<u8>) -> Response {
        self.body = Body::Bytes(bytes);
        self
    }

    /// An error, explained in one line of plain text ([`error_page::plain`]): what `nc`, curl
    /// and httpget show. [`Response::for_html_client`] turns it into a page for a browser.
    pub fn error(status: Status, explanation: &str) -> Response {
        let mut response = Response::text(status, error_page::plain(status, explanation));
        response.explanation = Some(explanation.to_string());
        response
    }

    /// This response, for a client whose `Accept` names `text/html` (a browser): an error
    /// becomes an HTML page in the site's look ([`error_page::html`]); anything else is left
    /// as it is. A body still to be made is made so too, when it is made.
    pub fn for_html_client(mut self) -> Response {
        if let Body::Deferred(work) = self.body {
            self.body = Body::Deferred(Deferred::new(move || work.run().for_html_client()));
            return self;
        }
        let Some(explanation) = self.explanation.take() else {
            return self;
        };
        let page = error_page::html(self.status, &explanation);
        let mut page = Response::html(self.status, page);
        // Headers of the error's own (Retry-After, …), all but its type.
        for (name, value) in self.headers {
            if !name.eq_ignore_ascii_case("Content-Type") {
                page.headers.push((name, value));
            }
        }
        page
    }

    /// Whether [`for_html_client`](Response::for_html_client) may change this response: it is
    /// an error, or its body is still to be made (and may turn out one).
    pub fn may_become_a_page(&self) -> bool {
        self.explanation.is_some() || matches!(self.body, Body::Deferred(_))
    }

    /// The value of one of this response's own headers.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::headers::first(&self.headers, name)
    }
}

/// Work that builds a response later, off the event loop.
pub struct Deferred(Box<dyn FnOnce() -> Response + Send>);

impl Deferred {
    /// Work that `build`s the response when run.
    pub fn new(build: impl FnOnce() -> Response + Send + 'static) -> Deferred {
        Deferred(Box::new(build))
    }

    /// Does the work.
    pub fn run(self) -> Response {
        (self.0)()
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred(…)")
    }
}

/// How the connection continues after this response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Close after the response: HTTP/1.0's default (RFC 1945 §1.3).
    Close,
    /// Keep the connection for another request: idle `timeout`, at most `remaining` more.
    KeepAlive {
        /// How long the server waits for the next request.
        timeout: Duration,
        /// How many more requests this connection may carry.
        remaining: usize,
    },
}

/// How the response goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// HEAD: the head only, with the `Content-Length` a GET would have had.
    pub head_only: bool,
    /// An answer to an HTTP/0.9 Simple-Request: the body only, no status line, no headers.
    pub simple: bool,
    /// Whether the connection stays open.
    pub persistence: Persistence,
}

impl Framing {
    /// A full response (status line, headers, body) after which the connection closes: how
    /// error pages and refusals go out, whatever the request asked for.
    pub fn full_then_close() -> Framing {
        Framing {
            head_only: false,
            simple: false,
            persistence: Persistence::Close,
        }
    }
}

/// The status line and headers, ending with the blank line: the whole response head, appended
/// to `head`. `date` is the `Date` header's value, the time of the response in RFC 1123 form
/// (see [`format_http_date`](crate::date::format_http_date)).
pub fn format_head(response: &Response, persistence: Persistence, date: &str, head: &mut Vec<u8>) {
    let status = response.status;
    // Each line is its parts, then CRLF (RFC 1945 §6); the empty line ends the head.
    let mut line = |parts: &[&[u8]]| {
        for part in parts {
            head.extend_from_slice(part);
        }
        head.extend_from_slice(b"\r\n");
    };
    let code = decimal(status.code().into());
    line(&[
        b"HTTP/1.0 ",
        code.as_bytes(),
        b" ",
        status.reason().as_bytes(),
    ]);
    line(&[b"Date: ", date.as_bytes()]);
    line(&[b"Server: ", SERVER_NAME.as_bytes()]);
    for (name, value) in &response.headers {
        line(&[name.as_bytes(), b": ", value.as_bytes()]);
    }
    if !matches!(response.body, Body::UntilClose) {
        let length = decimal(response.body.length());
        line(&[b"Content-Length: ", length.as_bytes()]);
    }
    match persistence {
        Persistence::Close => line(&[b"Connection: close"]),
        Persistence::KeepAlive { timeout, remaining } => {
            line(&[b"Connection: keep-alive"]);
            let (seconds, max) = (decimal(timeout.as_secs()), decimal(remaining as u64));
            line(&[
                b"Keep-Alive: timeout=",
                seconds.as_bytes(),
                b", max=",
                max.as_bytes(),
            ]);
        }
    }
    line(&[]);
}

/// A number's decimal digits, most significant first, written without the formatting
/// machinery of `write!` (which was a fifth of the work of answering from the file cache).
struct Decimal {
    digits: [u8; 20],
    start: usize,
}

fn decimal(mut number: u64) -> Decimal {
    let mut digits = [0; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            return Decimal { digits, start };
        }
    }
}

impl Decimal {
    fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::format_http_date;
    use std::time::UNIX_EPOCH;

    #[test]
    fn the_head_lists_the_framing_headers_last() {
        let response = Response::text(Status::Ok, "hi".to_string());
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let mut head = Vec::new();
        format_head(
            &response,
            Persistence::Close,
            &format_http_date(now),
            &mut head,
        );
        let want = format!(
            "HTTP/1.0 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: {SERVER_NAME}\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\
             Connection: close\r\n\r\n"
        );
        assert_eq!(String::from_utf8(head).expect("ASCII"), want);
    }

    #[test]
    fn keep_alive_is_announced_with_its_limits() {
        let response = Response::new(Status::NotModified);
        let persistence = Persistence::KeepAlive {
            timeout: Duration::from_secs(5),
            remaining: 99,
        };
        let mut head = Vec::new();
        format_head(
            &response,
            persistence,
            "Sun, 06 Nov 1994 08:49:37 GMT",
            &mut head,
        );
        let head = String::from_utf8(head).expect("ASCII");
        assert!(head.contains("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=99\r\n"));
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for (number, want) in [(0, "0"), (7, "7"), (10, "10"), (304, "304")] {
            assert_eq!(decimal(number).as_bytes(), want.as_bytes());
        }
        assert_eq!(
            decimal(u64::MAX).as_bytes(),
            u64::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn errors_are_plain_text_and_html_for_a_browser() {
        let response = Response::error(Status::NotFound, "No file at /<script>alert(1)</script>")
            .with_header("Retry-After", "1");
        assert_eq!(
            response.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        let Body::Bytes(line) = &response.body else {
            panic!("error bodies are in memory")
        };
        assert_eq!(
            line,
            b"404 Not Found: No file at /<script>alert(1)</script>\n"
        );

        let page = response.for_html_client();
        assert_eq!(
            page.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(page.header("Retry-After"), Some("1"));
        let Body::Bytes(page) = &page.body else {
            panic!("error pages are in memory")
        };
        let page = String::from_utf8_lossy(page);
        assert!(page.contains("/&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn answers_that_are_not_errors_stay_as_they_are_for_a_browser() {
        let response = Response::text(Status::BadRequest, "usage\n".to_string());
        let response = response.for_html_client();
        assert_eq!(
            response.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
    }
}
