//! Why a request is refused, and with which status code: each [`RequestError`] names one rule
//! of RFC 1945 or one of this server's limits ([`request`](super::request) has the limits).

use std::fmt;

use super::request::{MAX_BODY_BYTES, MAX_HEADER_LINES, MAX_HEAD_BYTES, MAX_TARGET_BYTES};
use crate::headers::LengthError;
use crate::status::Status;

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
    /// The target has control characters.
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
            RequestError::BodyTooLarge => Status::ContentTooLarge,
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
                f.write_str("The request target has control characters.")
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
