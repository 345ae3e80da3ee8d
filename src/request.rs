//! Step 1 of every exchange on the server: reading a request off the socket, safely.
//!
//! A request head is a request line and header lines, each ended by CRLF, then an empty line
//! (RFC 1945 §5):
//!
//! ```text
//! GET /index.html HTTP/1.0\r\n          <- request line: method, target, version
//! Host: 127.0.0.1:8080\r\n               <- headers: name, colon, value
//! User-Agent: curl/8.5.0\r\n
//! \r\n                                  <- the blank line ends the head
//! ```
//!
//! TCP delivers bytes, not messages: one `read` may return half a line or two requests. So a
//! [`RequestBuffer`] keeps what has arrived, says whether a whole request is there yet, and
//! gives up with a status code when the client sends too much ([`MAX_HEAD_BYTES`]). Time limits
//! ([`HEAD_TIMEOUT`], a deadline on the whole head, so a client dribbling one byte a second
//! cannot hold the server's attention forever) are kept by the server loop, which owns the
//! clock. The request line is split by hand, below, because that is the lesson; the header
//! lines are parsed by `httparse`.
//!
//! Try: `printf 'GET / HTTP/1.0\n\n' | nc 127.0.0.1 8080` (bare LF is accepted, RFC 1945
//! Appendix B), or `printf 'GET /\r\n' | nc 127.0.0.1 8080` for an HTTP/0.9 Simple-Request.

use std::io::{self, Read};
use std::time::Duration;

use crate::headers::{self, is_token_byte, LengthError};
use crate::status::Status;

/// The most bytes a request head may have before the server answers 431.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most header lines a request may have before the server answers 431.
pub const MAX_HEADER_LINES: usize = 100;
/// The longest request target (path and query) before the server answers 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// The largest request body (for the POST routes) before the server answers 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Time allowed from a request's first byte to the end of its head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed to send a request body, once its head has arrived.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// "Method SP target SP HTTP/x.y": a first line longer than the longest target allowed, plus
/// room for the rest, can only be a target that is too long (or garbage).
const MAX_REQUEST_LINE_BYTES: usize = MAX_TARGET_BYTES + 32;
/// How much [`RequestBuffer::read_from`] asks the kernel for in one `read`.
pub const READ_CHUNK: usize = 4096;

/// The protocol version a request was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// A Simple-Request, `GET /path` with no version (RFC 1945 §4.1): answered with the body only.
    Http09,
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1` (or a later 1.x, which RFC 1945 §3.1 says to treat as the highest 1.x we know).
    Http11,
}

impl Version {
    /// The version as written in a request line; empty for HTTP/0.9, which has none.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http09 => "",
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// One parsed request, owning its bytes.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, exactly as sent (`GET`, `HEAD`, `POST`; case matters, RFC 1945 §5.1.1).
    pub method: String,
    /// The request target as sent: `/path?query`, or an absolute URL.
    pub target: String,
    /// The protocol version from the request line.
    pub version: Version,
    /// Header lines in their original order and spelling, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The head exactly as it arrived, up to and including the blank line.
    pub raw_head: Vec<u8>,
    /// The body, when the request had a `Content-Length` (empty otherwise).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this name, compared case-insensitively (RFC 1945 §4.2).
    pub fn header(&self, name: &str) -> Option<&str> {
        headers::first(&self.headers, name)
    }

    /// Whether a comma-separated header (such as `Connection`) lists `token`, in any case.
    pub fn header_has_token(&self, name: &str, token: &str) -> bool {
        headers::lists_token(&self.headers, name, token)
    }

    /// The request line as sent, for the access log: `GET / HTTP/1.0`.
    pub fn request_line(&self) -> String {
        match self.version {
            Version::Http09 => format!("{} {}", self.method, self.target),
            other => format!("{} {} {}", self.method, self.target, other.as_str()),
        }
    }

    /// Whether the client asked to keep the connection open after this response:
    /// HTTP/1.0 only with `Connection: keep-alive`; HTTP/1.1 unless `Connection: close`.
    pub fn wants_keep_alive(&self) -> bool {
        match self.version {
            Version::Http09 => false,
            Version::Http10 => self.header_has_token("Connection", "keep-alive"),
            Version::Http11 => !self.header_has_token("Connection", "close"),
        }
    }
}

/// A request the server will not serve: answer with `status` and `reason`, then close.
#[derive(Debug)]
pub struct Rejected {
    /// The status code to answer with.
    pub status: Status,
    /// A one-line explanation for the error page.
    pub reason: String,
    /// The start of what was received, for the access log.
    pub first_line: Vec<u8>,
}

/// How far the bytes received so far go towards the next request.
#[derive(Debug)]
pub enum Progress {
    /// Not yet a whole head (perhaps nothing at all): read more.
    NeedHead,
    /// A whole head, but not yet all of the body its `Content-Length` announces: read more.
    NeedBody,
    /// A whole request, now taken off the front of the buffer.
    Complete(Request),
}

/// The bytes a client has sent and the server has not used yet.
///
/// TCP is a stream: the server reads whatever has arrived ([`read_from`](Self::read_from)),
/// then asks whether a whole request is there yet ([`take_request`](Self::take_request)).
/// Neither call waits, so one thread can keep a buffer like this for each of many clients and
/// read from whichever socket has bytes. Anything after a complete request (a second,
/// pipelined request) stays in the buffer for the next call.
#[derive(Debug, Default)]
pub struct RequestBuffer {
    received: Vec<u8>,
    /// How much of `received` was looked at without finding the end of a line; a head can
    /// only become complete (or wrong) where a line ends, so those bytes need no second look.
    examined: usize,
    /// A head already complete whose body is still arriving, with the head's length and the
    /// body's.
    awaiting_body: Option<(Request, usize, usize)>,
}

impl RequestBuffer {
    /// An empty buffer.
    pub fn new() -> RequestBuffer {
        RequestBuffer::default()
    }

    /// Whether nothing is waiting to be used: no part of a next request has arrived.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }

    /// One `read` from `source` into `scratch` (any size; the server passes one
    /// [`READ_CHUNK`] buffer shared by all its connections), keeping only the bytes that
    /// arrived; `Ok(0)` means the client closed its side.
    pub fn read_from(&mut self, source: &mut impl Read, scratch: &mut [u8]) -> io::Result<usize> {
        let count = source.read(scratch)?;
        self.received.extend_from_slice(&scratch[..count]);
        Ok(count)
    }

    /// Takes the next whole request off the front of the buffer, if it has all arrived; says
    /// what is still missing otherwise. A request that breaks a rule is [`Rejected`].
    pub fn take_request(&mut self) -> Result<Progress, Rejected> {
        if let Some((request, head_length, body_length)) = self.awaiting_body.take() {
            return Ok(self.with_body(request, head_length, body_length));
        }
        let no_new_line_end = !self.received[self.examined..].contains(&b'\n');
        let under_limits =
            self.received.len() < MAX_HEAD_BYTES && self.received.len() <= MAX_REQUEST_LINE_BYTES;
        if no_new_line_end && under_limits {
            self.examined = self.received.len();
            return Ok(Progress::NeedHead);
        }
        match parse_head(&self.received)? {
            HeadStatus::Complete(head) => {
                let body_length = body_length(&head.request)?;
                Ok(self.with_body(head.request, head.length, body_length))
            }
            // Checked on the whole buffer, blank lines before the request included, so no
            // input can make it grow past the limit.
            HeadStatus::Partial if self.received.len() >= MAX_HEAD_BYTES => {
                Err(too_large_head(&self.received))
            }
            HeadStatus::Partial => {
                self.examined = self.received.len();
                Ok(Progress::NeedHead)
            }
        }
    }

    /// The request whose head is complete, once its body has arrived too.
    fn with_body(
        &mut self,
        mut request: Request,
        head_length: usize,
        body_length: usize,
    ) -> Progress {
        let end = head_length + body_length;
        if self.received.len() < end {
            self.awaiting_body = Some((request, head_length, body_length));
            return Progress::NeedBody;
        }
        request.body = self.received[head_length..end].to_vec();
        self.received.drain(..end);
        self.examined = 0;
        Progress::Complete(request)
    }
}

/// A head found complete in the buffer, and how many bytes of the buffer it used.
struct Head {
    request: Request,
    length: usize,
}

enum HeadStatus {
    Complete(Head),
    Partial,
}

fn rejected(status: Status, reason: impl Into<String>, received: &[u8]) -> Rejected {
    let line_end = received
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(received.len())
        .min(MAX_TARGET_BYTES + 64);
    let first_line = received[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&received[..line_end]);
    Rejected {
        status,
        reason: reason.into(),
        first_line: first_line.to_vec(),
    }
}

/// Looks for a complete head at the start of `buffer`.
fn parse_head(buffer: &[u8]) -> Result<HeadStatus, Rejected> {
    // RFC 1945 §4.1 (and RFC 7230 §3.5): a server should ignore empty lines before a request.
    let leading_blank = buffer
        .iter()
        .take_while(|&&byte| byte == b'\r' || byte == b'\n')
        .count();
    let buffer_after_blanks = &buffer[leading_blank..];

    let Some(line_end) = buffer_after_blanks.iter().position(|&byte| byte == b'\n') else {
        if buffer_after_blanks.len() > MAX_REQUEST_LINE_BYTES {
            return Err(rejected(
                Status::UriTooLong,
                "The request line is longer than this server reads.",
                buffer_after_blanks,
            ));
        }
        return Ok(HeadStatus::Partial);
    };
    let line = &buffer_after_blanks[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let request_line = parse_request_line(line)
        .map_err(|(status, reason)| rejected(status, reason, buffer_after_blanks))?;

    if request_line.version == Version::Http09 {
        return Ok(HeadStatus::Complete(Head {
            length: leading_blank + line_end + 1,
            request: Request {
                method: request_line.method,
                target: request_line.target,
                version: Version::Http09,
                headers: Vec::new(),
                raw_head: buffer_after_blanks[..=line_end].to_vec(),
                body: Vec::new(),
            },
        }));
    }

    let header_bytes = &buffer_after_blanks[line_end + 1..];
    let mut header_slots = [httparse::EMPTY_HEADER; MAX_HEADER_LINES];
    match httparse::parse_headers(header_bytes, &mut header_slots) {
        Ok(httparse::Status::Complete((header_length, parsed))) => {
            let head_length = line_end + 1 + header_length;
            if head_length > MAX_HEAD_BYTES {
                return Err(too_large_head(buffer_after_blanks));
            }
            let headers = parsed
                .iter()
                .map(|header| {
                    let value = String::from_utf8_lossy(header.value).trim().to_string();
                    (header.name.to_string(), value)
                })
                .collect();
            Ok(HeadStatus::Complete(Head {
                length: leading_blank + head_length,
                request: Request {
                    method: request_line.method,
                    target: request_line.target,
                    version: request_line.version,
                    headers,
                    raw_head: buffer_after_blanks[..head_length].to_vec(),
                    body: Vec::new(),
                },
            }))
        }
        Ok(httparse::Status::Partial) if buffer_after_blanks.len() >= MAX_HEAD_BYTES => {
            Err(too_large_head(buffer_after_blanks))
        }
        Ok(httparse::Status::Partial) => Ok(HeadStatus::Partial),
        Err(httparse::Error::TooManyHeaders) => Err(rejected(
            Status::HeaderFieldsTooLarge,
            format!("The request has more than {MAX_HEADER_LINES} header lines."),
            buffer_after_blanks,
        )),
        Err(_) => Err(rejected(
            Status::BadRequest,
            "A header line is not of the form 'Name: value'.",
            buffer_after_blanks,
        )),
    }
}

fn too_large_head(received: &[u8]) -> Rejected {
    rejected(
        Status::HeaderFieldsTooLarge,
        format!("The request head is larger than {MAX_HEAD_BYTES} bytes."),
        received,
    )
}

/// The three parts of a request line.
#[derive(Debug, PartialEq)]
struct RequestLine {
    method: String,
    target: String,
    version: Version,
}

/// Splits `Method SP Request-URI SP HTTP-Version` (RFC 1945 §5.1), or the Simple-Request
/// `GET SP Request-URI` of HTTP/0.9 (§4.1).
fn parse_request_line(line: &[u8]) -> Result<RequestLine, (Status, String)> {
    let bad = |why: &str| (Status::BadRequest, why.to_string());
    let text =
        std::str::from_utf8(line).map_err(|_| bad("The request line is not valid UTF-8."))?;
    let parts: Vec<&str> = text.split(' ').collect();
    let (method, target, version) = match parts.as_slice() {
        [method, target] => (*method, *target, Version::Http09),
        [method, target, version] => (*method, *target, parse_version(version)?),
        _ => {
            return Err(bad(
                "The request line must be 'METHOD /path HTTP/1.0', with single spaces.",
            ))
        }
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(bad("The method is not a valid token."));
    }
    if target.len() > MAX_TARGET_BYTES {
        return Err((
            Status::UriTooLong,
            format!("The request target is longer than {MAX_TARGET_BYTES} bytes."),
        ));
    }
    if target.is_empty() || target.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad(
            "The request target is empty or has control characters.",
        ));
    }
    if version == Version::Http09 && method != "GET" {
        return Err(bad("An HTTP/0.9 request (no version) can only be GET."));
    }
    Ok(RequestLine {
        method: method.to_string(),
        target: target.to_string(),
        version,
    })
}

/// `HTTP/<major>.<minor>` (RFC 1945 §3.1). Major 1 is ours; any other major gets 505.
fn parse_version(text: &str) -> Result<Version, (Status, String)> {
    let bad_syntax = || {
        (
            Status::BadRequest,
            "The version must look like HTTP/1.0.".to_string(),
        )
    };
    let numbers = text.strip_prefix("HTTP/").ok_or_else(bad_syntax)?;
    let (major, minor) = numbers.split_once('.').ok_or_else(bad_syntax)?;
    let is_number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !is_number(major) || !is_number(minor) {
        return Err(bad_syntax());
    }
    let major = major.trim_start_matches('0');
    let minor = minor.trim_start_matches('0');
    match (major, minor) {
        ("1", "") => Ok(Version::Http10),
        ("1", _) => Ok(Version::Http11),
        _ => Err((
            Status::VersionNotSupported,
            format!("This server speaks HTTP/1.0 (and reads 1.1), not {text}."),
        )),
    }
}

/// How many body bytes follow the head (RFC 1945 §7.2.2: only `Content-Length` says so).
fn body_length(request: &Request) -> Result<usize, Rejected> {
    let bad =
        |status: Status, reason: &str| rejected(status, reason, request.request_line().as_bytes());
    if request.header("Transfer-Encoding").is_some() {
        return Err(bad(
            Status::LengthRequired,
            "Send the body with a Content-Length; HTTP/1.0 has no chunked requests.",
        ));
    }
    let length = match headers::content_length(&request.headers) {
        Ok(Some(length)) => length,
        Ok(None) if request.method == "POST" => {
            return Err(bad(
                Status::LengthRequired,
                "A POST request needs a Content-Length header (RFC 1945 §7.2.2).",
            ))
        }
        Ok(None) => return Ok(0),
        Err(LengthError::TooLarge(_)) => u64::MAX,
        Err(error) => return Err(bad(Status::BadRequest, &format!("{error}."))),
    };
    match usize::try_from(length) {
        Ok(length) if length <= MAX_BODY_BYTES => Ok(length),
        _ => Err(bad(
            Status::PayloadTooLarge,
            &format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(method: &str, target: &str, version: Version) -> RequestLine {
        RequestLine {
            method: method.to_string(),
            target: target.to_string(),
            version,
        }
    }

    #[test]
    fn request_lines_are_split_by_the_rfc_1945_grammar() {
        let long_target = format!("GET /{} HTTP/1.0", "a".repeat(MAX_TARGET_BYTES));
        let cases: Vec<(&[u8], Result<RequestLine, Status>)> = vec![
            (b"GET / HTTP/1.0", Ok(line("GET", "/", Version::Http10))),
            (
                b"HEAD /a?b HTTP/1.1",
                Ok(line("HEAD", "/a?b", Version::Http11)),
            ),
            (b"GET /x HTTP/1.2", Ok(line("GET", "/x", Version::Http11))),
            (b"GET /x HTTP/01.00", Ok(line("GET", "/x", Version::Http10))),
            (b"get / HTTP/1.0", Ok(line("get", "/", Version::Http10))),
            (b"GET /old", Ok(line("GET", "/old", Version::Http09))),
            (b"POST /old", Err(Status::BadRequest)),
            (b"GET / HTTP/2.0", Err(Status::VersionNotSupported)),
            (b"GET / HTTP/3.0", Err(Status::VersionNotSupported)),
            (b"GET / HTTP/1", Err(Status::BadRequest)),
            (b"GET / HTTX/1.0", Err(Status::BadRequest)),
            (b"GET / http/1.0", Err(Status::BadRequest)),
            (b"GET  / HTTP/1.0", Err(Status::BadRequest)),
            (b"GET / HTTP/1.0 extra", Err(Status::BadRequest)),
            (b"GET", Err(Status::BadRequest)),
            (b"", Err(Status::BadRequest)),
            (b"G(T / HTTP/1.0", Err(Status::BadRequest)),
            (b"GET /\x01 HTTP/1.0", Err(Status::BadRequest)),
            (b"GET /\xff HTTP/1.0", Err(Status::BadRequest)),
            (long_target.as_bytes(), Err(Status::UriTooLong)),
        ];
        for (input, want) in cases {
            let got = parse_request_line(input).map_err(|(status, _)| status);
            let shown = String::from_utf8_lossy(&input[..input.len().min(40)]);
            assert_eq!(got, want, "{shown:?}");
        }
    }

    #[test]
    fn a_head_is_complete_only_after_the_blank_line() {
        for (input, complete) in [
            (&b"GET / HTTP/1.0\r\n"[..], false),
            (b"GET / HTTP/1.0\r\nHost: x\r\n", false),
            (b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", true),
            (b"GET / HTTP/1.0\n\n", true),
            (b"GET / HTTP/1.0\nHost: x\n\n", true),
            (b"\r\nGET / HTTP/1.0\r\n\r\n", true),
            (b"GET /\r\n", true),
            (b"GET / HTTP/1.0", false),
        ] {
            let got = matches!(parse_head(input), Ok(HeadStatus::Complete(_)));
            assert_eq!(got, complete, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn heads_over_the_limits_are_rejected_with_431() {
        let many_headers = format!("GET / HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(101));
        let huge_header = format!("GET / HTTP/1.0\r\nX: {}\r\n", "y".repeat(MAX_HEAD_BYTES));
        for input in [many_headers, huge_header] {
            match parse_head(input.as_bytes()) {
                Err(Rejected { status, .. }) => assert_eq!(status, Status::HeaderFieldsTooLarge),
                _ => panic!("not rejected: {}", &input[..40]),
            }
        }
    }

    #[test]
    fn headers_keep_their_order_and_spelling() {
        let input = b"GET / HTTP/1.0\r\nX-B: 2\r\nhost: h\r\nCONNECTION: Keep-Alive\r\n\r\n";
        let Ok(HeadStatus::Complete(head)) = parse_head(input) else {
            panic!("not complete")
        };
        let names: Vec<&str> = head
            .request
            .headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["X-B", "host", "CONNECTION"]);
        assert_eq!(head.request.header("Host"), Some("h"));
        assert!(head.request.wants_keep_alive());
        assert_eq!(head.length, input.len());
        assert_eq!(head.request.raw_head, input);
    }
}
