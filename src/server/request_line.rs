//! Step 1a: the request line, split by hand — the first thing a server reads, and the lesson's
//! own parser ([`parse_request_line`]).
//!
//! ```text
//! GET /index.html HTTP/1.0\r\n          <- method SP target SP version (RFC 1945 §5.1)
//! GET /index.html\r\n                   <- HTTP/0.9's Simple-Request: no version (§4.1)
//! ```
//!
//! The header lines that follow are [`request`](super::request)'s; collecting the bytes off
//! the socket is [`request_buffer`](super::request_buffer)'s.
//!
//! Try: `printf 'GET  /   HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080` (extra spaces are fine,
//! RFC 1945 Appendix B), or `printf 'GET /\r\n' | nc 127.0.0.1 8080` for HTTP/0.9.

use super::request::{RequestError, MAX_TARGET_BYTES};
use crate::headers::is_token_byte;

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

/// The protocol version a request was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// A Simple-Request, `GET /path` with no version (RFC 1945 §4.1): answered with the body only.
    Http09,
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1`, or a later 1.x: a message of a higher minor version is read as the highest
    /// one the server knows (RFC 9110 §6.2).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
