//! Step 1 of every exchange on the server: reading a request off the socket, safely. A request
//! head is a request line and header lines, each ended by CRLF, then an empty line (RFC 1945
//! §5):
//!
//! ```text
//! GET /index.html HTTP/1.0\r\n          <- request line: method, target, version
//! Host: 127.0.0.1:8080\r\n               <- headers: name, colon, value
//! User-Agent: curl/8.5.0\r\n
//! \r\n                                  <- the blank line ends the head
//! ```
//!
//! Three files, in the order a student meets them:
//!
//! 1. [`request_line`](super::request_line): the request line, split by hand
//!    ([`parse_request_line`]), because that is the lesson;
//! 2. here: the whole head — the header lines (parsed by `httparse`) under limits
//!    ([`MAX_HEAD_BYTES`], [`MAX_HEADER_LINES`]), and the [`Request`] they make; and why a
//!    request is refused, in [`request_error`](super::request_error);
//! 3. [`request_buffer`](super::request_buffer): the bytes as TCP delivers them, half a line
//!    or two requests at a time, collected until a request is whole ([`RequestBuffer`]).
//!
//! Time limits (a deadline on the whole head, so a client dribbling one byte a second cannot
//! hold the server's attention forever) are kept by the server loop, which owns the clock.
//!
//! Try: `printf 'GET / HTTP/1.0\n\n' | nc 127.0.0.1 8080` (bare LF is accepted, RFC 1945
//! Appendix B).

use std::fmt;
use std::ops::Range;

pub use super::request_buffer::{
    is_tls_handshake, Gathering, RequestBuffer, READ_CHUNK, TLS_LOG_LINE,
};
pub use super::request_error::{Rejected, RequestError};
pub use super::request_line::{parse_request_line, RequestLine, Version};
use crate::headers::{self, LengthError};

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
pub(super) const MAX_REQUEST_LINE_BYTES: usize = MAX_TARGET_BYTES + 32;

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
        self.headers
            .iter()
            .filter(|(field, _)| self.is_named(field, name))
            .any(|(_, value)| headers::value_lists_token(&self.head[value.clone()], token))
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

/// A head found complete in the buffer, and how many bytes of the buffer it used.
pub(super) struct Head {
    pub(super) request: Request,
    pub(super) length: usize,
}

pub(super) enum HeadStatus {
    Complete(Head),
    Partial,
}

pub(super) fn rejected(error: RequestError, received: &[u8]) -> Rejected {
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
pub(super) fn parse_head(buffer: &[u8]) -> Result<HeadStatus, Rejected> {
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

pub(super) fn too_large_head(received: &[u8]) -> Rejected {
    rejected(RequestError::HeadTooLarge, received)
}

/// How many body bytes follow the head (RFC 1945 §7.2.2: only `Content-Length` says so).
pub(super) fn body_length(request: &Request) -> Result<usize, Rejected> {
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
    use crate::status::Status;

    /// The one request in `sent`, which must be whole and valid.
    pub(crate) fn parsed(sent: &[u8]) -> Request {
        let mut buffer = RequestBuffer::new();
        buffer
            .read_from(&mut &sent[..], &mut vec![0; sent.len().max(1)])
            .expect("read from memory");
        match buffer.take_request() {
            Ok(Gathering::Complete(request)) => request,
            other => panic!(
                "{:?} is not one whole request: {other:?}",
                String::from_utf8_lossy(sent)
            ),
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

    /// What `take_request` says after each read when `bytes` arrive in reads of `size`.
    fn verdicts(bytes: &[u8], size: usize) -> Vec<Result<&'static str, RequestError>> {
        let mut buffer = RequestBuffer::new();
        let mut source = bytes;
        let mut scratch = vec![0; size];
        let mut verdicts = Vec::new();
        while buffer.read_from(&mut source, &mut scratch).expect("read") > 0 {
            let verdict = match buffer.take_request() {
                Ok(Gathering::NeedHead) => Ok("need head"),
                Ok(Gathering::NeedBody) => Ok("need body"),
                Ok(Gathering::Complete(_)) => Ok("complete"),
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
