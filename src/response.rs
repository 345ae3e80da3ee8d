//! The last step on the server: writing a response onto the socket.
//!
//! A Full-Response is a status line, header lines, a blank line, then the body (RFC 1945 §6):
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
//! [`write_response`] is the only function that writes those bytes. It sends the head and a
//! small body in one `write`: two small writes on a kept-alive connection would meet Nagle's
//! algorithm and the client's delayed ACK, and stall for about 40 ms. A large file follows the
//! head through `sendfile(2)` ([`Socket::send_file`]): the kernel moves the file to the socket
//! without the bytes ever entering this process.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use crate::date::format_http_date;
use crate::escape::html_escape;
use crate::status::Status;

/// The `Server` header's value: this crate and its version.
pub const SERVER_NAME: &str = concat!("http10/", env!("CARGO_PKG_VERSION"));

/// Files up to this size are read into the head's buffer and sent in the same `write`.
const SMALL_FILE_BYTES: u64 = 64 * 1024;

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// No body at all (a redirect with `Content-Length: 0`, a 304).
    Empty,
    /// A body built in memory: an error page, a listing, a route's answer.
    Bytes(Vec<u8>),
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
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File { length, .. } => *length,
        }
    }
}

/// A response about to be written: status, the headers particular to it, and the body.
///
/// `Date`, `Server`, `Content-Length` and `Connection` are added by [`write_response`], so
/// they can never be forgotten or disagree with the body.
#[derive(Debug)]
pub struct Response {
    /// The status code and reason phrase.
    pub status: Status,
    /// Headers such as `Content-Type`, `Last-Modified`, `Location`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Response {
    /// A response with no headers of its own yet and an empty body.
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
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

    /// Sets an in-memory body.
    pub fn with_body(mut self, bytes: Vec<u8>) -> Response {
        self.body = Body::Bytes(bytes);
        self
    }

    /// A short HTML page explaining an error. `explanation` may quote the request: it is
    /// HTML-escaped here, so a target such as `/<script>` is shown, never run.
    pub fn error(status: Status, explanation: &str) -> Response {
        let title = format!("{} {}", status.code(), status.reason());
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
             <body><h1>{title}</h1>\n<p>{}</p>\n<hr><address>{SERVER_NAME}</address></body></html>\n",
            html_escape(explanation)
        );
        Response::html(status, page)
    }

    /// The value of one of this response's own headers.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::headers::first(&self.headers, name)
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
#[derive(Debug, Clone, Copy)]
pub struct Framing {
    /// HEAD: the head only, with the `Content-Length` a GET would have had.
    pub head_only: bool,
    /// An answer to an HTTP/0.9 Simple-Request: the body only, no status line, no headers.
    pub simple: bool,
    /// Whether the connection stays open.
    pub persistence: Persistence,
}

/// The status line and headers, ending with the blank line. This is the whole response head.
pub fn format_head(response: &Response, persistence: Persistence, now: SystemTime) -> Vec<u8> {
    // `write!` into one String: no temporary string per line on the path every response takes.
    // (Writing to a String cannot fail, so its results are ignored.)
    let mut head = String::with_capacity(256);
    let status = response.status;
    let _ = write!(head, "HTTP/1.0 {} {}\r\n", status.code(), status.reason());
    let _ = write!(head, "Date: {}\r\n", format_http_date(now));
    let _ = write!(head, "Server: {SERVER_NAME}\r\n");
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n", response.body.length());
    match persistence {
        Persistence::Close => head.push_str("Connection: close\r\n"),
        Persistence::KeepAlive { timeout, remaining } => {
            head.push_str("Connection: keep-alive\r\n");
            let seconds = timeout.as_secs();
            let _ = write!(head, "Keep-Alive: timeout={seconds}, max={remaining}\r\n");
        }
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Writes `response` as `framing` says, and returns how many body bytes were sent (for the
/// access log). An error means the connection must be closed.
pub fn write_response(
    socket: &mut impl Socket,
    response: Response,
    framing: Framing,
) -> io::Result<u64> {
    let mut out = if framing.simple {
        Vec::new()
    } else {
        format_head(&response, framing.persistence, SystemTime::now())
    };
    let send_body = !framing.head_only && response.status.allows_body();
    if !send_body {
        socket.write_all(&out)?;
        return Ok(0);
    }
    match response.body {
        Body::Empty => {
            socket.write_all(&out)?;
            Ok(0)
        }
        Body::Bytes(bytes) => {
            out.extend_from_slice(&bytes);
            socket.write_all(&out)?;
            Ok(bytes.len() as u64)
        }
        Body::File { mut file, length } if length <= SMALL_FILE_BYTES => {
            // One `read` of exactly the announced length, straight after the head. A file that
            // shrank since it was opened fails here, and the connection is closed.
            let head_length = out.len();
            out.resize(head_length + length as usize, 0);
            file.read_exact(&mut out[head_length..])?;
            socket.write_all(&out)?;
            Ok(length)
        }
        Body::File { mut file, length } => {
            socket.write_all(&out)?;
            let sent = socket.send_file(&mut file, length)?;
            check_complete(sent, length)
        }
    }
}

/// Something a response can be written to: any `Write`, plus a way to send a file's bytes,
/// which a TCP socket does faster than `write`.
pub trait Socket: Write {
    /// Sends the first `length` bytes of `file`; returns how many were sent (fewer if the file
    /// is shorter now).
    fn send_file(&mut self, file: &mut File, length: u64) -> io::Result<u64> {
        io::copy(&mut file.take(length), self)
    }
}

impl Socket for Vec<u8> {}

impl Socket for TcpStream {
    /// `sendfile(2)`: the kernel copies from the file's pages to the socket, and the bytes never
    /// pass through this process — one system call per up-to-2 GiB instead of a `read` and a
    /// `write` per 8 KiB buffer.
    #[cfg(target_os = "linux")]
    fn send_file(&mut self, file: &mut File, length: u64) -> io::Result<u64> {
        /// Linux sends at most about 2 GiB per call; ask for 1 GiB at a time.
        const MAX_PER_CALL: u64 = 1 << 30;
        let mut offset: u64 = 0;
        while offset < length {
            let wanted = (length - offset).min(MAX_PER_CALL) as usize;
            match rustix::fs::sendfile(&*self, &*file, Some(&mut offset), wanted) {
                Ok(0) => break, // the file ended early: it shrank
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
        Ok(offset)
    }
}

/// A file that shrank while being sent leaves the body shorter than its `Content-Length`;
/// the only honest thing left is to close the connection, which the error makes happen.
fn check_complete(sent: u64, announced: u64) -> io::Result<u64> {
    if sent == announced {
        Ok(sent)
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("file shrank while being sent: {sent} of {announced} bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn the_head_lists_the_framing_headers_last() {
        let response = Response::text(Status::Ok, "hi".to_string());
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let head = format_head(&response, Persistence::Close, now);
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
        let head = String::from_utf8(format_head(&response, persistence, SystemTime::now()))
            .expect("ASCII");
        assert!(head.contains("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=99\r\n"));
    }

    #[test]
    fn error_pages_escape_what_they_quote() {
        let response = Response::error(Status::NotFound, "No file at /<script>alert(1)</script>");
        let Body::Bytes(page) = &response.body else {
            panic!("error pages are in memory")
        };
        let page = String::from_utf8_lossy(page);
        assert!(page.contains("/&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn head_and_simple_framing_drop_the_right_parts() {
        let framing = |head_only, simple| Framing {
            head_only,
            simple,
            persistence: Persistence::Close,
        };
        let mut head_only = Vec::new();
        let sent = write_response(
            &mut head_only,
            Response::text(Status::Ok, "body".into()),
            framing(true, false),
        )
        .expect("write to a Vec");
        assert_eq!(sent, 0);
        assert!(head_only.ends_with(b"Content-Length: 4\r\nConnection: close\r\n\r\n"));

        let mut simple = Vec::new();
        write_response(
            &mut simple,
            Response::text(Status::Ok, "body".into()),
            framing(false, true),
        )
        .expect("write to a Vec");
        assert_eq!(simple, b"body");
    }
}
