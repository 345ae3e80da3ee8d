//! Step 1 of every exchange on the server: reading a request off the socket, safely — the
//! request-line parser ([`parse_request_line`]) and the header limits.
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
//! (a deadline on the whole head, so a client dribbling one byte a second
//! cannot hold the server's attention forever) are kept by the server loop, which owns the
//! clock. The request line is split by hand, below, because that is the lesson; the header
//! lines are parsed by `httparse`.
//!
//! Try: `printf 'GET / HTTP/1.0\n\n' | nc 127.0.0.1 8080` (bare LF is accepted, RFC 1945
//! Appendix B), `printf 'GET  /   HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080` (so are extra
//! spaces, Appendix B too), or `printf 'GET /\r\n' | nc 127.0.0.1 8080` for an HTTP/0.9 Simple-Request.

use std::io::{self, Read};
use std::ops::Range;

use std::fmt;

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
    /// `HTTP/1.1`, or a later 1.x: a message of a higher minor version is read as the highest
    /// one the server knows (RFC 9110 §2.5).
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

/// One parsed request.
///
/// It keeps its head exactly as it arrived and remembers where each part lies in it: parsing
/// copies the head once and nothing else (httparse works the same way on the buffer it is
/// given), so a request costs two allocations however many headers it has, not two per header.
#[derive(Clone)]
pub struct Request {
    /// The head exactly as it arrived, up to and including the blank line.
    head: Vec<u8>,
    /// Where the method is in `head`.
    method: Range<usize>,
    /// Where the target is in `head`.
    target: Range<usize>,
    /// The protocol version from the request line.
    pub version: Version,
    /// Where each header line's name and value (spaces around it trimmed) are in `head`, in
    /// the order the lines came.
    headers: Vec<(Range<usize>, Range<usize>)>,
    /// The body, when the request had a `Content-Length` (empty otherwise).
    pub body: Vec<u8>,
}

/// What a header value that is not UTF-8 text reads as. RFC 1945 §2.2 lets header text hold
/// "octets from character sets other than US-ASCII". No rule of this server needs more of
/// such a value: a `Content-Length` or a `Host` like that is refused either way, and the echo
/// service returns the bytes themselves.
const NOT_TEXT: &str = "\u{FFFD}";

impl Request {
    /// The method, exactly as sent (`GET`, `HEAD`, `POST`; case matters, RFC 1945 §5.1.1).
    pub fn method(&self) -> &str {
        self.text(&self.method)
    }

    /// The request target as sent: `/path?query`, or an absolute URL.
    pub fn target(&self) -> &str {
        self.text(&self.target)
    }

    /// The head exactly as it arrived, up to and including the blank line.
    pub fn raw_head(&self) -> &[u8] {
        &self.head
    }

    /// The header lines' names and values, in their original order and spelling.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (self.text(name), self.text(value)))
    }

    /// The values of the headers with this name, compared case-insensitively (RFC 1945 §4.2).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(field, _)| self.is_named(field, name))
            .map(|(_, value)| self.text(value))
    }

    /// The first header with this name, compared case-insensitively (RFC 1945 §4.2).
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self
            .headers
            .iter()
            .find(|(field, _)| self.is_named(field, name))?;
        Some(self.text(value))
    }

    /// Whether a comma-separated header (such as `Connection`) lists `token`, in any case.
    pub fn header_has_token(&self, name: &str, token: &str) -> bool {
        headers::lists_token(self.values(name), token)
    }

    /// The request line exactly as it arrived, for the access log: `GET\t/notes.txt   HTTP/1.2`,
    /// which its parts would rebuild as `GET /notes.txt HTTP/1.1`.
    pub fn request_line(&self) -> &[u8] {
        first_line_of(&self.head)
    }

    /// Whether the header name at `field` is `name`, in any case (RFC 1945 §4.2).
    fn is_named(&self, field: &Range<usize>, name: &str) -> bool {
        headers::is_named(&self.head[field.clone()], name)
    }

    /// The text at `place` in the head. The request line was checked to be UTF-8 and header
    /// names are tokens (ASCII); only a header value can fail, and reads as [`NOT_TEXT`].
    fn text(&self, place: &Range<usize>) -> &str {
        std::str::from_utf8(&self.head[place.clone()]).unwrap_or(NOT_TEXT)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("version", &self.version)
            .field("headers", &self.headers().collect::<Vec<_>>())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Where `part` lies in `whole`, of which it is a slice (the request line's parts and
/// httparse's names and values are slices of the buffer they were found in).
fn place_in(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// A request the server will not serve: answer `error`'s status, then close.
#[derive(Debug)]
pub struct Rejected {
    /// What was wrong with it.
    pub error: RequestError,
    /// The start of what was received, for the access log.
    pub first_line: Vec<u8>,
}

/// Why a request is refused. Each names one rule of RFC 1945 or one of this server's limits,
/// and has its status code ([`status`](RequestError::status)) and a sentence for the error
/// page (`Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The request line is not UTF-8 text.
    RequestLineNotText,
    /// Not `METHOD target HTTP/x.y` (nor `GET target` of HTTP/0.9).
    MalformedRequestLine,
    /// The method has characters a token may not have (RFC 1945 §5.1.1, §2.2).
    InvalidMethod,
    /// A request line without a version is HTTP/0.9, whose only method is GET (§4.1).
    SimpleRequestNotGet,
    /// The target is empty or has control characters.
    InvalidTarget,
    /// The target is over [`MAX_TARGET_BYTES`] (414).
    TargetTooLong,
    /// The request line alone is over what this server reads (414).
    RequestLineTooLong,
    /// The version is not `HTTP/<digits>.<digits>` (§3.1).
    MalformedVersion,
    /// A version whose major number is not 1, as written (505).
    VersionNotSupported(String),
    /// More than [`MAX_HEADER_LINES`] header lines (431).
    TooManyHeaders,
    /// A head over [`MAX_HEAD_BYTES`] (431).
    HeadTooLarge,
    /// A header line that is not `Name: value` (§4.2).
    MalformedHeader,
    /// A header value with a control character: a value is TEXT, which has none (§2.2, §4.2).
    ControlInHeaderValue,
    /// A `Transfer-Encoding` body: HTTP/1.0 has only `Content-Length` (411).
    TransferEncoding,
    /// A POST without `Content-Length` (§7.2.2 requires one; answered 411, RFC 9110 §15.5.12).
    LengthRequired,
    /// A `Content-Length` that is not a number of bytes.
    BadContentLength(LengthError),
    /// A body over [`MAX_BODY_BYTES`] (413).
    BodyTooLarge,
    /// The bytes are a TLS handshake: the client wanted `https://` (RFC 8446 §5.1).
    TlsHandshake,
}

impl RequestError {
    /// The status code the server answers with.
    pub fn status(&self) -> Status {
        match self {
            RequestError::TargetTooLong | RequestError::RequestLineTooLong => Status::UriTooLong,
            RequestError::VersionNotSupported(_) => Status::VersionNotSupported,
            RequestError::TooManyHeaders | RequestError::HeadTooLarge => {
                Status::HeaderFieldsTooLarge
            }
            RequestError::TransferEncoding | RequestError::LengthRequired => Status::LengthRequired,
            RequestError::BodyTooLarge => Status::PayloadTooLarge,
            RequestError::RequestLineNotText
            | RequestError::MalformedRequestLine
            | RequestError::InvalidMethod
            | RequestError::SimpleRequestNotGet
            | RequestError::InvalidTarget
            | RequestError::MalformedVersion
            | RequestError::MalformedHeader
            | RequestError::ControlInHeaderValue
            | RequestError::BadContentLength(_)
            | RequestError::TlsHandshake => Status::BadRequest,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::RequestLineNotText => f.write_str("The request line is not valid UTF-8."),
            RequestError::MalformedRequestLine => {
                f.write_str("The request line must be 'METHOD /path HTTP/1.0'.")
            }
            RequestError::InvalidMethod => f.write_str("The method is not a valid token."),
            RequestError::SimpleRequestNotGet => {
                f.write_str("An HTTP/0.9 request (no version) can only be GET.")
            }
            RequestError::InvalidTarget => {
                f.write_str("The request target is empty or has control characters.")
            }
            RequestError::TargetTooLong => write!(
                f,
                "The request target is longer than {MAX_TARGET_BYTES} bytes."
            ),
            RequestError::RequestLineTooLong => {
                f.write_str("The request line is longer than this server reads.")
            }
            RequestError::MalformedVersion => f.write_str("The version must look like HTTP/1.0."),
            RequestError::VersionNotSupported(version) => write!(
                f,
                "This server speaks HTTP/1.0 (and reads 1.1), not {version}."
            ),
            RequestError::TooManyHeaders => write!(
                f,
                "The request has more than {MAX_HEADER_LINES} header lines."
            ),
            RequestError::HeadTooLarge => {
                write!(f, "The request head is larger than {MAX_HEAD_BYTES} bytes.")
            }
            RequestError::MalformedHeader => {
                f.write_str("A header line is not of the form 'Name: value'.")
            }
            RequestError::ControlInHeaderValue => {
                f.write_str("A header value contains a control character.")
            }
            RequestError::TransferEncoding => f.write_str(
                "Send the body with a Content-Length; HTTP/1.0 has no chunked requests.",
            ),
            RequestError::LengthRequired => {
                f.write_str("A POST request needs a Content-Length header (RFC 1945 §7.2.2).")
            }
            RequestError::BadContentLength(error) => write!(f, "{error}."),
            RequestError::BodyTooLarge => {
                write!(f, "The request body is larger than {MAX_BODY_BYTES} bytes.")
            }
            RequestError::TlsHandshake => {
                f.write_str("This port speaks plain HTTP: use http://, not https://.")
            }
        }
    }
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

    /// The first line of what has arrived (at most a bounded length), for the access log of
    /// a request that never arrived in full.
    pub fn first_line(&self) -> Vec<u8> {
        let after_blanks = self
            .received
            .iter()
            .position(|&byte| byte != b'\r' && byte != b'\n')
            .unwrap_or(self.received.len());
        rejected(RequestError::HeadTooLarge, &self.received[after_blanks..]).first_line
    }

    /// Takes the next whole request off the front of the buffer, if it has all arrived; says
    /// what is still missing otherwise. A request that breaks a rule is [`Rejected`].
    pub fn take_request(&mut self) -> Result<Progress, Rejected> {
        if let Some((request, head_length, body_length)) = self.awaiting_body.take() {
            return Ok(self.with_body(request, head_length, body_length));
        }
        if is_tls_handshake(&self.received) {
            return Err(Rejected {
                error: RequestError::TlsHandshake,
                first_line: TLS_LOG_LINE.to_vec(),
            });
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

/// What the access log shows instead of the request line of a TLS handshake.
pub const TLS_LOG_LINE: &[u8] = b"TLS handshake on a plain-HTTP port";

/// Whether the bytes start a TLS record carrying a handshake: a browser or curl asked for
/// `https://` on this plain-HTTP port. RFC 8446 §5.1: a record starts with its content type
/// (22 is `handshake`) and a legacy version whose first byte is 3 (SSL 3.0, TLS 1.0 … 1.3 all
/// write 3.x there).
pub fn is_tls_handshake(received: &[u8]) -> bool {
    received.starts_with(&[22, 3])
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

fn rejected(error: RequestError, received: &[u8]) -> Rejected {
    let line = first_line_of(received);
    Rejected {
        error,
        first_line: line[..line.len().min(MAX_TARGET_BYTES + 64)].to_vec(),
    }
}

/// The first line of `bytes` without its line end (CR LF or bare LF); all of `bytes` when no
/// line has ended yet.
fn first_line_of(bytes: &[u8]) -> &[u8] {
    let line = bytes.split(|&byte| byte == b'\n').next().unwrap_or(bytes);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Looks for a complete head at the start of `buffer`.
fn parse_head(buffer: &[u8]) -> Result<HeadStatus, Rejected> {
    // RFC 2068 §4.1 (HTTP/1.1; RFC 9112 §2.2 today): "In the interest of robustness, servers
    // SHOULD ignore any empty line(s) received where a Request-Line is expected."
    let leading_blank = buffer
        .iter()
        .take_while(|&&byte| byte == b'\r' || byte == b'\n')
        .count();
    let buffer_after_blanks = &buffer[leading_blank..];

    let Some(line_end) = buffer_after_blanks.iter().position(|&byte| byte == b'\n') else {
        if buffer_after_blanks.len() > MAX_REQUEST_LINE_BYTES {
            return Err(rejected(
                RequestError::RequestLineTooLong,
                buffer_after_blanks,
            ));
        }
        return Ok(HeadStatus::Partial);
    };
    // The same limit whether the line's end came in the read that brought its start or in a
    // later one (`take_request` checks an unfinished line against it too).
    if line_end > MAX_REQUEST_LINE_BYTES {
        return Err(rejected(
            RequestError::RequestLineTooLong,
            buffer_after_blanks,
        ));
    }
    let line = &buffer_after_blanks[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let request_line =
        parse_request_line(line).map_err(|error| rejected(error, buffer_after_blanks))?;
    // Places in the head, which starts where `buffer_after_blanks` does.
    let method = place_in(buffer_after_blanks, request_line.method.as_bytes());
    let target = place_in(buffer_after_blanks, request_line.target.as_bytes());

    if request_line.version == Version::Http09 {
        return Ok(HeadStatus::Complete(Head {
            length: leading_blank + line_end + 1,
            request: Request {
                head: buffer_after_blanks[..=line_end].to_vec(),
                method,
                target,
                version: Version::Http09,
                headers: Vec::new(),
                body: Vec::new(),
            },
        }));
    }

    // Header lines are judged only once they have ended, as the request line is: judged
    // before its end, a line would be refused or not depending on where TCP happened to
    // split the head (`take_request` looks again only when a new line has ended).
    let after_request_line = &buffer_after_blanks[line_end + 1..];
    let whole_lines = after_request_line
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |last| last + 1);
    let header_bytes = &after_request_line[..whole_lines];
    let mut header_slots = [httparse::EMPTY_HEADER; MAX_HEADER_LINES];
    match httparse::parse_headers(header_bytes, &mut header_slots) {
        Ok(httparse::Status::Complete((header_length, parsed))) => {
            let head_length = line_end + 1 + header_length;
            // Blank lines before the request count, as they do while the head is incomplete
            // (`take_request`): the limit must not depend on whether the end came in time.
            if leading_blank + head_length > MAX_HEAD_BYTES {
                return Err(too_large_head(buffer_after_blanks));
            }
            let headers = parsed
                .iter()
                .map(|header| {
                    let name = place_in(buffer_after_blanks, header.name.as_bytes());
                    let value = headers::trim_ows_bytes(header.value);
                    (name, place_in(buffer_after_blanks, value))
                })
                .collect();
            Ok(HeadStatus::Complete(Head {
                length: leading_blank + head_length,
                request: Request {
                    head: buffer_after_blanks[..head_length].to_vec(),
                    method,
                    target,
                    version: request_line.version,
                    headers,
                    body: Vec::new(),
                },
            }))
        }
        Ok(httparse::Status::Partial) if buffer_after_blanks.len() >= MAX_HEAD_BYTES => {
            Err(too_large_head(buffer_after_blanks))
        }
        Ok(httparse::Status::Partial) => Ok(HeadStatus::Partial),
        Err(httparse::Error::TooManyHeaders) => {
            Err(rejected(RequestError::TooManyHeaders, buffer_after_blanks))
        }
        Err(httparse::Error::HeaderValue) => Err(rejected(
            RequestError::ControlInHeaderValue,
            buffer_after_blanks,
        )),
        Err(_) => Err(rejected(RequestError::MalformedHeader, buffer_after_blanks)),
    }
}

fn too_large_head(received: &[u8]) -> Rejected {
    rejected(RequestError::HeadTooLarge, received)
}

/// The three parts of a request line.
#[derive(Debug, PartialEq)]
pub struct RequestLine<'a> {
    /// `GET`, `HEAD`, `POST`, … as sent.
    pub method: &'a str,
    /// The request target as sent.
    pub target: &'a str,
    /// The version; HTTP/0.9 when the line had none.
    pub version: Version,
}

/// Splits `Method SP Request-URI SP HTTP-Version` (RFC 1945 §5.1), or the Simple-Request
/// `GET SP Request-URI` of HTTP/0.9 (§4.1).
///
/// The grammar asks for one space between the parts; RFC 1945 Appendix B asks a server to be
/// tolerant: "they should accept any amount of SP or HT characters between fields, even though
/// only a single SP is required." So `GET  /  HTTP/1.0`, typed by hand, is read as
/// `GET / HTTP/1.0`.
pub fn parse_request_line(line: &[u8]) -> Result<RequestLine<'_>, RequestError> {
    let text = std::str::from_utf8(line).map_err(|_| RequestError::RequestLineNotText)?;
    let mut parts = text.split([' ', '\t']).filter(|part| !part.is_empty());
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), None, _) => (method, target, Version::Http09),
        (Some(method), Some(target), Some(version), None) => {
            (method, target, parse_version(version)?)
        }
        _ => return Err(RequestError::MalformedRequestLine),
    };
    if !method.bytes().all(is_token_byte) {
        return Err(RequestError::InvalidMethod);
    }
    if target.len() > MAX_TARGET_BYTES {
        return Err(RequestError::TargetTooLong);
    }
    if target.chars().any(char::is_control) {
        return Err(RequestError::InvalidTarget);
    }
    if version == Version::Http09 && method != "GET" {
        return Err(RequestError::SimpleRequestNotGet);
    }
    Ok(RequestLine {
        method,
        target,
        version,
    })
}

/// `HTTP/<major>.<minor>` (RFC 1945 §3.1). Major 1 is ours; any other major gets 505.
fn parse_version(text: &str) -> Result<Version, RequestError> {
    let numbers = text
        .strip_prefix("HTTP/")
        .ok_or(RequestError::MalformedVersion)?;
    let (major, minor) = numbers
        .split_once('.')
        .ok_or(RequestError::MalformedVersion)?;
    let is_number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !is_number(major) || !is_number(minor) {
        return Err(RequestError::MalformedVersion);
    }
    let major = major.trim_start_matches('0');
    let minor = minor.trim_start_matches('0');
    match (major, minor) {
        ("1", "") => Ok(Version::Http10),
        ("1", _) => Ok(Version::Http11),
        _ => Err(RequestError::VersionNotSupported(text.to_string())),
    }
}

/// How many body bytes follow the head (RFC 1945 §7.2.2: only `Content-Length` says so).
fn body_length(request: &Request) -> Result<usize, Rejected> {
    let bad = |error: RequestError| rejected(error, request.request_line());
    if request.header("Transfer-Encoding").is_some() {
        return Err(bad(RequestError::TransferEncoding));
    }
    let length = match headers::content_length_of(request.values("Content-Length")) {
        Ok(Some(length)) => length,
        Ok(None) if request.method() == "POST" => return Err(bad(RequestError::LengthRequired)),
        Ok(None) => return Ok(0),
        Err(LengthError::TooLarge(_)) => u64::MAX,
        Err(error) => return Err(bad(RequestError::BadContentLength(error))),
    };
    match usize::try_from(length) {
        Ok(length) if length <= MAX_BODY_BYTES => Ok(length),
        _ => Err(bad(RequestError::BodyTooLarge)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The one request in `sent`, which must be whole and valid.
    pub(crate) fn parsed(sent: &[u8]) -> Request {
        let mut buffer = RequestBuffer::new();
        buffer
            .read_from(&mut &sent[..], &mut vec![0; sent.len().max(1)])
            .expect("read from memory");
        match buffer.take_request() {
            Ok(Progress::Complete(request)) => request,
            other => panic!(
                "{:?} is not one whole request: {other:?}",
                String::from_utf8_lossy(sent)
            ),
        }
    }

    fn line<'a>(method: &'a str, target: &'a str, version: Version) -> RequestLine<'a> {
        RequestLine {
            method,
            target,
            version,
        }
    }

    #[test]
    fn request_lines_are_split_by_the_rfc_1945_grammar() {
        let long_target = format!("GET /{} HTTP/1.0", "a".repeat(MAX_TARGET_BYTES));
        let cases: Vec<(&[u8], Result<RequestLine, RequestError>)> = vec![
            (b"GET / HTTP/1.0", Ok(line("GET", "/", Version::Http10))),
            (
                b"HEAD /a?b HTTP/1.1",
                Ok(line("HEAD", "/a?b", Version::Http11)),
            ),
            (b"GET /x HTTP/1.2", Ok(line("GET", "/x", Version::Http11))),
            (b"GET /x HTTP/01.00", Ok(line("GET", "/x", Version::Http10))),
            (b"get / HTTP/1.0", Ok(line("get", "/", Version::Http10))),
            (b"GET /old", Ok(line("GET", "/old", Version::Http09))),
            // RFC 1945 Appendix B: any amount of SP or HT between the fields.
            (b"GET  / HTTP/1.0", Ok(line("GET", "/", Version::Http10))),
            (
                b"GET\t/x\t HTTP/1.0",
                Ok(line("GET", "/x", Version::Http10)),
            ),
            (b"GET   /old", Ok(line("GET", "/old", Version::Http09))),
            (b"POST /old", Err(RequestError::SimpleRequestNotGet)),
            (
                b"GET / HTTP/2.0",
                Err(RequestError::VersionNotSupported("HTTP/2.0".into())),
            ),
            (
                b"GET / HTTP/3.0",
                Err(RequestError::VersionNotSupported("HTTP/3.0".into())),
            ),
            (b"GET / HTTP/1", Err(RequestError::MalformedVersion)),
            (b"GET / HTTX/1.0", Err(RequestError::MalformedVersion)),
            (b"GET / http/1.0", Err(RequestError::MalformedVersion)),
            (
                b"GET / HTTP/1.0 extra",
                Err(RequestError::MalformedRequestLine),
            ),
            (b"GET", Err(RequestError::MalformedRequestLine)),
            (b"", Err(RequestError::MalformedRequestLine)),
            (b"G(T / HTTP/1.0", Err(RequestError::InvalidMethod)),
            (b"GET /\x01 HTTP/1.0", Err(RequestError::InvalidTarget)),
            (b"GET /\xff HTTP/1.0", Err(RequestError::RequestLineNotText)),
            (long_target.as_bytes(), Err(RequestError::TargetTooLong)),
        ];
        for (input, want) in cases {
            let got = parse_request_line(input);
            let shown = String::from_utf8_lossy(&input[..input.len().min(40)]);
            assert_eq!(got, want, "{shown:?}");
        }
    }

    #[test]
    fn a_tls_client_hello_is_named_not_parsed() {
        // The first bytes curl sends to https://127.0.0.1:8080/ (a TLS 1.0 record header,
        // a ClientHello's type and length).
        let hello = [22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3];
        let mut buffer = RequestBuffer::new();
        let mut source: &[u8] = &hello;
        buffer.read_from(&mut source, &mut [0; 64]).expect("read");
        match buffer.take_request() {
            Err(Rejected { error, first_line }) => {
                assert_eq!(error, RequestError::TlsHandshake);
                assert_eq!(first_line, TLS_LOG_LINE);
            }
            other => panic!("not named as TLS: {other:?}"),
        }
        assert!(!is_tls_handshake(b"GET / HTTP/1.0\r\n"));
        assert!(!is_tls_handshake(&[22]));
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

    /// What `take_request` says after each read when `bytes` arrive in reads of `size`.
    fn verdicts(bytes: &[u8], size: usize) -> Vec<Result<&'static str, RequestError>> {
        let mut buffer = RequestBuffer::new();
        let mut source = bytes;
        let mut scratch = vec![0; size];
        let mut verdicts = Vec::new();
        while buffer.read_from(&mut source, &mut scratch).expect("read") > 0 {
            let verdict = match buffer.take_request() {
                Ok(Progress::NeedHead) => Ok("need head"),
                Ok(Progress::NeedBody) => Ok("need body"),
                Ok(Progress::Complete(_)) => Ok("complete"),
                Err(rejected) => Err(rejected.error),
            };
            let done = !matches!(verdict, Ok("need head" | "need body"));
            verdicts.push(verdict);
            if done {
                break;
            }
        }
        verdicts
    }

    #[test]
    fn a_control_character_in_a_header_value_is_named_as_such() {
        let head = b"GET / HTTP/1.0\r\nX-Bad: a\x1bb\r\n\r\n";
        for size in [head.len(), 20, 1] {
            let last = verdicts(head, size).pop();
            assert_eq!(
                last,
                Some(Err(RequestError::ControlInHeaderValue)),
                "reads of {size}"
            );
        }
    }

    #[test]
    fn a_header_line_is_judged_when_it_ends_however_the_head_was_split() {
        // Found by the server_requests fuzz target: read whole, the unfinished line was
        // refused at once; read in pieces, only when a later line ended (or never).
        let unfinished = b"GET / HTTP/1.0\r\nBad Header";
        for size in [unfinished.len(), 20, 1] {
            let last = verdicts(unfinished, size).pop();
            assert_eq!(last, Some(Ok("need head")), "reads of {size}");
        }
        let finished = b"GET / HTTP/1.0\r\nBad Header\r\n";
        for size in [finished.len(), 20, 1] {
            let last = verdicts(finished, size).pop();
            assert_eq!(
                last,
                Some(Err(RequestError::MalformedHeader)),
                "reads of {size}"
            );
        }
    }

    #[test]
    fn a_request_line_over_the_limit_is_refused_however_it_was_split() {
        // Spaces between the parts are allowed (RFC 1945 Appendix B), but not without end: a
        // line over the limit was refused when it arrived in small reads, and accepted when
        // its end came in the same read as its first bytes.
        let spaces = " ".repeat(MAX_REQUEST_LINE_BYTES);
        let head = format!("GET{spaces}/ HTTP/1.0\r\n\r\n");
        for size in [head.len(), READ_CHUNK, 100] {
            let last = verdicts(head.as_bytes(), size).pop();
            assert_eq!(
                last,
                Some(Err(RequestError::RequestLineTooLong)),
                "reads of {size}"
            );
        }
    }

    #[test]
    fn blank_lines_before_a_head_count_towards_its_limit_however_it_was_split() {
        // A head that fits, after two blank lines that make the whole just too large: read
        // in pieces it was refused while incomplete (the blank lines counted), read whole it
        // was accepted (they did not).
        let head = format!(
            "GET / HTTP/1.0\r\nX: {}\r\n\r\n",
            "y".repeat(MAX_HEAD_BYTES - 24)
        );
        let input = format!("\r\n{head}");
        assert_eq!(head.len(), MAX_HEAD_BYTES - 1);
        for size in [input.len(), READ_CHUNK, 1000] {
            let last = verdicts(input.as_bytes(), size).pop();
            assert_eq!(
                last,
                Some(Err(RequestError::HeadTooLarge)),
                "reads of {size}"
            );
        }
        for size in [head.len(), READ_CHUNK, 1000] {
            let last = verdicts(head.as_bytes(), size).pop();
            assert_eq!(last, Some(Ok("complete")), "reads of {size}");
        }
    }

    #[test]
    fn a_content_length_padded_with_unicode_spaces_is_refused() {
        // A front proxy that reads "\u{a0}5" as no valid length would see a different
        // request end than this server: only spaces and tabs may pad a value.
        let input = "POST /echo HTTP/1.0\r\nContent-Length: \u{a0}5\r\n\r\nhello";
        let last = verdicts(input.as_bytes(), input.len()).pop();
        assert!(
            matches!(last, Some(Err(RequestError::BadContentLength(_)))),
            "{last:?}"
        );
    }

    #[test]
    fn heads_over_the_limits_are_rejected_with_431() {
        let many_headers = format!("GET / HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(101));
        let huge_header = format!("GET / HTTP/1.0\r\nX: {}\r\n", "y".repeat(MAX_HEAD_BYTES));
        for input in [many_headers, huge_header] {
            match parse_head(input.as_bytes()) {
                Err(Rejected { error, .. }) => {
                    assert_eq!(error.status(), Status::HeaderFieldsTooLarge)
                }
                _ => panic!("not rejected: {}", &input[..40]),
            }
        }
    }

    #[test]
    fn a_header_value_that_is_not_text_reads_as_a_replacement_character() {
        let input = b"GET / HTTP/1.0\r\nReferer:  caf\xe9 \r\nHost: h\r\n\r\n";
        let request = parsed(input);
        assert_eq!(request.header("Referer"), Some("\u{FFFD}"));
        assert_eq!(request.header("Host"), Some("h"));
        assert_eq!(request.raw_head(), input);
        let bad_length = b"POST / HTTP/1.0\r\nContent-Length: 1\xff\r\n\r\nx";
        let last = verdicts(bad_length, bad_length.len()).pop();
        assert!(
            matches!(last, Some(Err(RequestError::BadContentLength(_)))),
            "{last:?}"
        );
    }

    #[test]
    fn headers_keep_their_order_and_spelling() {
        let input = b"GET / HTTP/1.0\r\nX-B: 2\r\nhost: h\r\nCONNECTION: Keep-Alive\r\n\r\n";
        let Ok(HeadStatus::Complete(head)) = parse_head(input) else {
            panic!("not complete")
        };
        let names: Vec<&str> = head.request.headers().map(|(name, _)| name).collect();
        assert_eq!(names, ["X-B", "host", "CONNECTION"]);
        assert_eq!(head.request.header("Host"), Some("h"));
        assert_eq!(head.length, input.len());
        assert_eq!(head.request.raw_head(), input);
    }
}
