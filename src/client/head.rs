//! Reading the reply's head: status line and headers (RFC 1945 §6).
//!
//! The head arrives in as many pieces as TCP likes, so we read, try to parse, and read again
//! while `httparse` says [`httparse::Status::Partial`] — under a size cap ([`MAX_REPLY_HEAD_BYTES`]) so
//! a server cannot make us buffer without end, and under the socket's deadlines (`wire.rs`).
//!
//! We are tolerant in what we read, and say so in a note: an `HTTP/1.1` status line is fine, and
//! lines ended by a bare LF are accepted (RFC 1945 Appendix B). A reply whose first bytes are not
//! `HTTP/` is an HTTP/0.9 Simple-Response (no head at all, the whole reply is the body; RFC 1945
//! §6) — or, far more often today, not HTTP at all (an SSH banner on port 22). Like curl, we
//! refuse it ([`GetError::NotHttp`]) unless `--http0.9` allows it.

use super::error::QUOTED_LINE_BYTES;
use super::wire::Wire;
use super::GetError;
use crate::headers::is_token_byte;

/// The longest reply head (status line and headers) read before giving up.
pub const MAX_REPLY_HEAD_BYTES: usize = 64 * 1024;

/// The most header lines read in one reply head.
pub const MAX_REPLY_HEADERS: usize = 100;

/// How much is read from the socket at a time while the head is incomplete. A small reply
/// usually arrives whole in the first read, body included.
const HEAD_READ_BYTES: usize = 16 * 1024;

/// The HTTP version a reply came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyVersion {
    /// No status line at all: the reply is only a body (RFC 1945 §3.1).
    Http09,
    /// `HTTP/1.0`, what we asked for.
    Http10,
    /// `HTTP/1.1`: allowed. RFC 9110 §6.2 (first said in RFC 2145 §2.3): "A server SHOULD
    /// send a response version equal to the highest version to which the server is conformant
    /// that has a major version less than or equal to the one received in the request."
    /// RFC 1945 §3.1 asked a 1.0 server to answer in the client's version; later servers do not.
    Http11,
}

/// The status line and headers of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyHead {
    /// The version in the status line.
    pub version: ReplyVersion,
    /// The status code (200 for an HTTP/0.9 reply, which has none).
    pub status: u16,
    /// The reason phrase as sent (may be empty).
    pub reason: String,
    /// The headers in order, values as text (bytes that are not UTF-8 shown as U+FFFD).
    pub headers: Vec<(String, String)>,
    /// The head's bytes exactly as received, up to and including the empty line.
    pub raw: Vec<u8>,
}

impl ReplyHead {
    /// The head an HTTP/0.9 reply implicitly has: 200, no headers, no bytes.
    fn http09() -> ReplyHead {
        ReplyHead {
            version: ReplyVersion::Http09,
            status: 200,
            reason: String::new(),
            headers: Vec::new(),
            raw: Vec::new(),
        }
    }

    /// The first header called `name` (compared without regard to case, RFC 1945 §4.2).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::headers::first(&self.headers, name)
    }

    /// Every header called `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        crate::headers::values(&self.headers, name)
    }

    /// The reason phrase, or the usual one for the code when the server sent none.
    pub fn reason_or_usual(&self) -> &str {
        if self.reason.is_empty() {
            crate::status::reason_phrase(self.status).unwrap_or("")
        } else {
            &self.reason
        }
    }
}

/// What the bytes received so far amount to.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole head, and how many bytes of the input it took; the rest is body.
    Complete(ReplyHead, usize),
    /// Not enough bytes yet to tell.
    Partial,
    /// The bytes do not start with `HTTP/`: an HTTP/0.9 reply, all body.
    Http09,
}

/// Parses what has been received of a reply head. Pure, so it can be tested without a socket.
pub fn parse_reply_head(bytes: &[u8]) -> Result<Parsed, GetError> {
    // RFC 1945 §6: a Full-Response starts with "HTTP/"; anything else is a Simple-Response.
    let probe = bytes.len().min(5);
    if bytes[..probe] != b"HTTP/"[..probe] {
        return Ok(Parsed::Http09);
    }
    if probe < 5 {
        return Ok(Parsed::Partial);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_REPLY_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    // Old servers fold long headers, which HTTP/1.0 allows (RFC 1945 §4.2: a line that starts
    // with a space or tab continues the one before), and put spaces before the colon, which we
    // accept by RFC 1945 Appendix B's rule of being lenient in what we read: neither changes
    // the meaning.
    let mut config = httparse::ParserConfig::default();
    config
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    let length = match config.parse_response(&mut response, bytes) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => return Err(GetError::TooManyHeaders),
        Err(source) => return Err(fault(bytes, source)),
    };
    let status = response.code.unwrap_or_default();
    // RFC 1945 §6.1.1: "The first digit of the Status-Code defines the class of response",
    // and there are five classes, 1xx to 5xx. httparse takes any three digits.
    if !(100..=599).contains(&status) {
        return Err(GetError::StatusOutOfRange { status });
    }
    let version = match response.version {
        Some(0) => ReplyVersion::Http10,
        _ => ReplyVersion::Http11,
    };
    let headers = response
        .headers
        .iter()
        .map(|header| {
            let value = String::from_utf8_lossy(header.value).into_owned();
            (header.name.to_string(), value)
        })
        .collect();
    let head = ReplyHead {
        version,
        status,
        reason: response.reason.unwrap_or_default().to_string(),
        headers,
        raw: bytes[..length].to_vec(),
    };
    Ok(Parsed::Complete(head, length))
}

/// The error for a head `httparse` refused, naming the line at fault. Of a reply, httparse
/// refuses the status line with `Version` or `Status`; anything else it says is about the
/// header lines, and which of them it does not say: the first with a control byte (other than
/// a tab, or the CR of its CR LF), else the first without a colon (and not a folded
/// continuation), else the first whose name is not a token.
fn fault(head: &[u8], source: httparse::Error) -> GetError {
    let mut lines = head
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let status_line = lines.next().unwrap_or(head);
    let quoted = |line: &[u8]| line[..line.len().min(QUOTED_LINE_BYTES)].to_vec();
    if matches!(source, httparse::Error::Version | httparse::Error::Status) {
        let line = quoted(status_line);
        return GetError::BadStatusLine { line, source };
    }
    let headers: Vec<&[u8]> = lines.take_while(|line| !line.is_empty()).collect();
    let is_control = |&byte: &u8| (byte < 0x20 && byte != b'\t') || byte == 0x7f;
    let is_folded = |line: &[u8]| line.starts_with(b" ") || line.starts_with(b"\t");
    let bad_name = |line: &[u8]| match line.iter().position(|&byte| byte == b':') {
        None => !is_folded(line),
        // Spaces before the colon are allowed (see the parser's configuration above).
        Some(colon) => !line[..colon]
            .trim_ascii_end()
            .iter()
            .all(|&b| is_token_byte(b)),
    };
    let with_control = headers.iter().find(|line| line.iter().any(is_control));
    let line = with_control
        .or_else(|| headers.iter().find(|line| bad_name(line)))
        .or(headers.first())
        .copied()
        .unwrap_or_default();
    GetError::BadHeaderLine {
        line: quoted(line),
        source,
    }
}

/// Reads from the wire until a whole head is in, and returns it with the bytes read past it
/// (the start of the body). `received` holds bytes already read that begin the head (those
/// read past an interim reply), or nothing.
pub(crate) fn read_reply_head(
    wire: &mut Wire<'_>,
    allow_http09: bool,
    mut received: Vec<u8>,
) -> Result<(ReplyHead, Vec<u8>), GetError> {
    received.reserve(HEAD_READ_BYTES);
    loop {
        if !received.is_empty() {
            match parse_reply_head(&received)? {
                Parsed::Complete(head, length) => {
                    let rest = received.split_off(length);
                    return Ok((head, rest));
                }
                Parsed::Http09 => return http09(wire, received, allow_http09),
                Parsed::Partial if received.len() >= MAX_REPLY_HEAD_BYTES => {
                    return Err(GetError::HeadTooLarge)
                }
                Parsed::Partial => {}
            }
        }
        // Never read past the cap: however TCP splits the head, one that ends beyond
        // MAX_REPLY_HEAD_BYTES is refused, not taken because its end came in the same read.
        let start = received.len();
        let room = HEAD_READ_BYTES.min(MAX_REPLY_HEAD_BYTES - start);
        received.resize(start + room, 0);
        let count = wire.receive(&mut received[start..])?;
        received.truncate(start + count);
        if count == 0 {
            return match received.len() {
                0 => Err(GetError::EmptyReply),
                // A reply "HT" and then close: too short to be a head, so it is 0.9's body.
                1..=4 => http09(wire, received, allow_http09),
                received => Err(GetError::TruncatedHead { received }),
            };
        }
    }
}

/// A reply without a status line: its bytes are the body with `--http0.9`, an error without.
fn http09(
    wire: &mut Wire<'_>,
    mut received: Vec<u8>,
    allow_http09: bool,
) -> Result<(ReplyHead, Vec<u8>), GetError> {
    if !allow_http09 {
        received.truncate(super::error::NOT_HTTP_SHOWN_BYTES);
        return Err(GetError::NotHttp {
            first_bytes: received,
        });
    }
    wire.note("no status line: an HTTP/0.9 reply, the whole reply is the body (--http0.9)");
    Ok((ReplyHead::http09(), received))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(bytes: &[u8]) -> (ReplyHead, usize) {
        match parse_reply_head(bytes) {
            Ok(Parsed::Complete(head, length)) => (head, length),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn complete_heads_parse_into_status_and_headers() {
        for (input, version, status, reason, header_count) in [
            (
                &b"HTTP/1.0 200 OK\r\n\r\n"[..],
                ReplyVersion::Http10,
                200,
                "OK",
                0,
            ),
            (
                b"HTTP/1.1 404 Not Found\r\nA: b\r\n\r\n",
                ReplyVersion::Http11,
                404,
                "Not Found",
                1,
            ),
            (
                b"HTTP/1.0 200 OK\nA: b\nC: d\n\n",
                ReplyVersion::Http10,
                200,
                "OK",
                2,
            ),
            (
                b"HTTP/1.0 301 \r\nLocation: /x\r\n\r\n",
                ReplyVersion::Http10,
                301,
                "",
                1,
            ),
            (
                b"HTTP/1.0  200  OK\r\n\r\n",
                ReplyVersion::Http10,
                200,
                "OK",
                0,
            ),
        ] {
            let (head, length) = complete(input);
            assert_eq!(
                (
                    head.version,
                    head.status,
                    head.reason.as_str(),
                    head.headers.len()
                ),
                (version, status, reason, header_count),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(length, input.len());
            assert_eq!(head.raw, input);
        }
    }

    #[test]
    fn the_bytes_after_the_head_are_not_part_of_it() {
        let (head, length) = complete(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assert_eq!(length, 38);
        assert_eq!(head.header("content-length"), Some("2"));
    }

    #[test]
    fn incomplete_heads_are_partial() {
        for input in [
            &b"H"[..],
            b"HTTP",
            b"HTTP/",
            b"HTTP/1.0 200",
            b"HTTP/1.0 200 OK\r\n",
            b"HTTP/1.0 200 OK\r\nA: b\r\n",
        ] {
            assert_eq!(
                parse_reply_head(input).expect("no error"),
                Parsed::Partial,
                "{input:?}"
            );
        }
    }

    #[test]
    fn replies_not_starting_with_http_slash_are_http09() {
        for input in [
            &b"<html>"[..],
            b"hello",
            b"http/1.0 200 OK\r\n\r\n",
            b"\0\x01",
        ] {
            assert_eq!(
                parse_reply_head(input).expect("no error"),
                Parsed::Http09,
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_malformed_head_names_the_line_at_fault() {
        use httparse::Error::{HeaderName, HeaderValue, Status, Version};
        let long_reason = format!("HTTP/1.0 200 {}\x01\r\n\r\n", "r".repeat(100));
        for (input, in_status_line, line, source) in [
            (
                &b"HTTP/1.0 abc OK\r\n\r\n"[..],
                true,
                &b"HTTP/1.0 abc OK"[..],
                Status,
            ),
            (
                b"HTTP/2.0 200 OK\r\n\r\n",
                true,
                b"HTTP/2.0 200 OK",
                Version,
            ),
            (b"HTTP/x\r\n\r\n", true, b"HTTP/x", Version),
            (
                long_reason.as_bytes(),
                true,
                &long_reason.as_bytes()[..QUOTED_LINE_BYTES],
                Status,
            ),
            (
                b"HTTP/1.0 200 OK\r\nno colon here\r\n\r\n",
                false,
                b"no colon here",
                HeaderName,
            ),
            (
                b"HTTP/1.0 200 OK\r\nX-Good: 1\r\nX-Bad: a\x1bb\r\n\r\n",
                false,
                b"X-Bad: a\x1bb",
                HeaderValue,
            ),
            (
                b"HTTP/1.0 200 OK\r\nX-Good: 1\r\nBad Name: x\r\n\r\n",
                false,
                b"Bad Name: x",
                HeaderName,
            ),
        ] {
            let shown = String::from_utf8_lossy(input);
            match parse_reply_head(input) {
                Err(GetError::BadStatusLine {
                    line: got,
                    source: why,
                }) if in_status_line => {
                    assert_eq!((&got[..], why), (line, source), "{shown:?}")
                }
                Err(GetError::BadHeaderLine {
                    line: got,
                    source: why,
                }) if !in_status_line => {
                    assert_eq!((&got[..], why), (line, source), "{shown:?}")
                }
                other => panic!("{shown:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_status_code_outside_the_five_classes_is_refused() {
        for (input, code) in [
            (&b"HTTP/1.0 099 Odd\r\n\r\n"[..], 99),
            (b"HTTP/1.0 000 Zero\r\n\r\n", 0),
            (b"HTTP/1.0 600 Beyond\r\n\r\n", 600),
        ] {
            match parse_reply_head(input) {
                Err(GetError::StatusOutOfRange { status }) => assert_eq!(status, code),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_line_at_fault_is_quoted_escaped_once() {
        let error = parse_reply_head(b"HTTP/1.0 200 OK\r\nX-Bad: a\x1bb\\x\r\n\r\n")
            .expect_err("a control byte in a value");
        let sentence = error.to_string();
        assert!(sentence.contains("\"X-Bad: a\\x1Bb\\\\x\""), "{sentence}");
        assert_eq!(error.exit_code(), 8);
    }

    #[test]
    fn too_many_header_lines_is_a_bad_response() {
        let mut input = b"HTTP/1.0 200 OK\r\n".to_vec();
        for index in 0..=MAX_REPLY_HEADERS {
            input.extend_from_slice(format!("X-{index}: y\r\n").as_bytes());
        }
        input.extend_from_slice(b"\r\n");
        assert!(matches!(
            parse_reply_head(&input),
            Err(GetError::TooManyHeaders)
        ));
    }

    /// A complete head of exactly `length` bytes: a status line, padding headers, an empty line.
    fn head_of_length(length: usize) -> Vec<u8> {
        let mut head = b"HTTP/1.0 200 OK\r\n".to_vec();
        while length - head.len() > 2 + 1000 {
            head.extend_from_slice(format!("X-Pad: {}\r\n", "p".repeat(990)).as_bytes());
        }
        let last = length - head.len() - 2 - "X-Pad: \r\n".len();
        head.extend_from_slice(format!("X-Pad: {}\r\n\r\n", "p".repeat(last)).as_bytes());
        assert_eq!(head.len(), length);
        head
    }

    #[test]
    fn the_head_cap_holds_however_the_reads_fall() {
        // The first read brings 100 bytes, the next ones as much as the reader is asked for:
        // the reads then never end on the cap, and a head just over it once came in whole.
        for (length, fits) in [
            (MAX_REPLY_HEAD_BYTES, true),
            (MAX_REPLY_HEAD_BYTES + 50, false),
        ] {
            let head = head_of_length(length);
            let mut observer = crate::client::Silent;
            let reader = std::io::Read::chain(&head[..100], &head[100..]);
            let mut wire = Wire::from_reader(reader, &mut observer);
            let result = read_reply_head(&mut wire, false, Vec::new());
            match (result, fits) {
                (Ok((read, rest)), true) => assert_eq!((read.raw.len(), rest.len()), (length, 0)),
                (Err(GetError::HeadTooLarge), false) => {}
                (other, _) => panic!(
                    "{length} bytes: {:?}",
                    other.map(|(read, _)| read.raw.len())
                ),
            }
        }
    }

    #[test]
    fn missing_reason_falls_back_to_the_usual_phrase() {
        let (head, _) = complete(b"HTTP/1.0 404\r\n\r\n");
        assert_eq!(head.reason_or_usual(), "Not Found");
    }
}
