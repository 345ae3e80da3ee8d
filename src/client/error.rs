//! Everything that can go wrong with one GET, as a value with a sentence and an exit code.
//!
//! Each variant names a situation a student can reason about: the URL was wrong, the name did not
//! resolve, nobody listened on the port, the server said something that is not HTTP… The exit
//! codes are curl's where the situation is the same, so a script written for one works with the
//! other (see `man curl`, "EXIT CODES").
//!
//! A reply that is not HTTP this client can read is not one error but many, each named for the
//! part at fault (the status line, a header line, a chunk size, `Content-Length`, `Location`…)
//! and carrying what its sentence quotes, so that a test or a program can ask which fault it was
//! without reading prose. Where a fault has a cause of its own (the system's `io::Error`, what
//! `httparse` or the `url` crate objected to), `source()` gives it; `Display` says it too, so
//! that `httpget`'s one line needs no walk down the chain.

use std::error::Error;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::headers::LengthError;

/// How many of a reply's first bytes [`GetError::NotHttp`] keeps to show.
pub const NOT_HTTP_SHOWN_BYTES: usize = 40;

/// How much of a line at fault [`GetError::BadStatusLine`] and [`GetError::BadHeaderLine`] keep
/// to quote: enough to recognise it, not a screenful.
pub const QUOTED_LINE_BYTES: usize = 80;

/// Why a GET failed.
#[derive(Debug)]
pub enum GetError {
    /// The text is not a URL the URL standard can parse.
    BadUrl {
        /// What the user typed.
        input: String,
        /// What the `url` crate objected to.
        reason: url::ParseError,
    },
    /// `HTTPGET_STAR`, which says what `*` stands for, is not a plain `http://` URL of a
    /// server (a folder on it is fine; a query or a fragment is not).
    BadStar {
        /// The variable's value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The URL's scheme is not `http` (`https`, `ftp` …).
    UnsupportedScheme {
        /// The scheme, lowercased.
        scheme: String,
    },
    /// The host name has no address (or none of the family `-4`/`-6` asked for).
    Resolve {
        /// The name looked up.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// Every address of the host refused or failed the TCP connection.
    Connect {
        /// The host as written in the URL.
        host: String,
        /// The port tried.
        port: u16,
        /// The last address's error (for example "Connection refused").
        source: io::Error,
    },
    /// A limit on time ran out; which one, [`Deadline`] says.
    Timeout(Deadline),
    /// Sending the request failed.
    Send(io::Error),
    /// Receiving failed (for example the connection was reset).
    Receive(io::Error),
    /// The server closed the connection without sending a single byte.
    EmptyReply,
    /// The status line is not `HTTP/x.y code reason` (RFC 1945 §6.1).
    BadStatusLine {
        /// The status line, at most [`QUOTED_LINE_BYTES`] of it.
        line: Vec<u8>,
        /// What `httparse` objected to.
        source: httparse::Error,
    },
    /// The status code is outside 100 to 599: RFC 1945 §6.1.1 says "The first digit of the
    /// Status-Code defines the class of response", and there are five classes.
    StatusOutOfRange {
        /// The code as sent.
        status: u16,
    },
    /// A header line is not `Name: value` (RFC 1945 §4.2), or its value holds a control
    /// character: a value is TEXT, which has none (§2.2).
    BadHeaderLine {
        /// The line at fault, at most [`QUOTED_LINE_BYTES`] of it.
        line: Vec<u8>,
        /// What `httparse` objected to.
        source: httparse::Error,
    },
    /// More header lines than [`MAX_REPLY_HEADERS`](super::MAX_REPLY_HEADERS).
    TooManyHeaders,
    /// The connection closed in the middle of the reply's status line and headers.
    TruncatedHead {
        /// How many bytes of the head had arrived.
        received: usize,
    },
    /// More interim (1xx) replies than allowed, and no final one.
    TooManyInterimReplies {
        /// The limit that was passed.
        limit: usize,
    },
    /// `Content-Length` does not say where the body ends (RFC 1945 §10.4: `1*DIGIT`).
    BadContentLength(LengthError),
    /// A chunk-size line is not a hex number (RFC 9112 §7.1: `chunk-size = 1*HEXDIG`).
    BadChunkSize {
        /// The line, without its line end.
        line: Vec<u8>,
    },
    /// A chunk's data is not followed by its line end: the chunk is longer than its size says.
    ChunkLongerThanSize,
    /// A line of a chunked body (a chunk size, or a trailer) over
    /// [`MAX_CHUNK_LINE_BYTES`](super::MAX_CHUNK_LINE_BYTES).
    ChunkLineTooLong,
    /// A redirect's `Location` is not a URL, even resolved against the URL it came from.
    BadLocation {
        /// The header's value as sent.
        location: String,
        /// What the `url` crate objected to.
        source: url::ParseError,
    },
    /// The reply has no status line (its first bytes are not `HTTP/`): HTTP/0.9 at best, more
    /// often another protocol (an SSH banner). Accepted only with `--http0.9`, as in curl.
    NotHttp {
        /// The reply's first bytes (at most [`NOT_HTTP_SHOWN_BYTES`]).
        first_bytes: Vec<u8>,
    },
    /// The reply's head did not end within [`MAX_REPLY_HEAD_BYTES`](super::MAX_REPLY_HEAD_BYTES).
    HeadTooLarge,
    /// The body ended before `Content-Length` bytes, or before the last chunk.
    TruncatedBody {
        /// Body bytes received.
        received: u64,
        /// What `Content-Length` promised, when it was given.
        expected: Option<u64>,
    },
    /// `-f`: the server answered with a status of 400 or more.
    HttpStatus {
        /// The status code.
        status: u16,
        /// The reason phrase as sent (or the usual one when the server sent none).
        reason: String,
    },
    /// More redirects than allowed in a row.
    TooManyRedirects {
        /// The limit that was reached.
        limit: usize,
    },
    /// A redirect pointed back at a URL already visited in this chain.
    RedirectLoop {
        /// The URL seen twice.
        url: String,
    },
    /// A data file for the request body (`-d @FILE`) could not be read.
    ReadData {
        /// The file named after `@` (`-` for stdin).
        path: std::path::PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The format file of `-w @FILE` could not be read.
    ReadFormat {
        /// The file named after `@` (`-` for stdin).
        path: std::path::PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Writing the body to its destination failed (or was refused, as a binary body on a terminal).
    Write(io::Error),
    /// The fetch was stopped from outside, by Ctrl+C at the prompt
    /// ([`Options::cancel`](super::Options::cancel)).
    Cancelled,
}

impl GetError {
    /// The process exit code for this error: curl's code for the same situation.
    pub fn exit_code(&self) -> u8 {
        match self {
            GetError::UnsupportedScheme { .. } | GetError::NotHttp { .. } => 1,
            // The environment is part of the command line's setting: "bad command line".
            GetError::BadStar { .. } => 2,
            GetError::BadUrl { .. } => 3,
            GetError::Resolve { .. } => 6,
            GetError::Connect { .. } => 7,
            GetError::BadStatusLine { .. }
            | GetError::StatusOutOfRange { .. }
            | GetError::BadHeaderLine { .. }
            | GetError::TooManyHeaders
            | GetError::TruncatedHead { .. }
            | GetError::HeadTooLarge
            | GetError::TooManyInterimReplies { .. }
            | GetError::BadContentLength(_)
            | GetError::BadChunkSize { .. }
            | GetError::ChunkLongerThanSize
            | GetError::ChunkLineTooLong
            | GetError::BadLocation { .. } => 8,
            GetError::TruncatedBody { .. } => 18,
            GetError::HttpStatus { .. } => 22,
            GetError::Write(_) => 23,
            // What a shell reports for a program stopped by Ctrl+C (128 + SIGINT's 2).
            GetError::Cancelled => 130,
            GetError::ReadData { .. } | GetError::ReadFormat { .. } => 26,
            GetError::Timeout(_) => 28,
            GetError::TooManyRedirects { .. } | GetError::RedirectLoop { .. } => 47,
            GetError::EmptyReply => 52,
            GetError::Send(_) => 55,
            GetError::Receive(_) => 56,
        }
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::BadUrl { input, reason } => {
                write!(f, "{input:?} is not a valid URL ({reason})")
            }
            GetError::BadStar { value, problem } => write!(
                f,
                "{}={value:?} cannot stand for *: {problem} (give a server's URL, such as \
                 http://192.0.2.2:8085/)",
                super::STAR_VARIABLE
            ),
            GetError::UnsupportedScheme { scheme } if scheme == "https" => write!(
                f,
                "https:// needs TLS, and httpget speaks plain HTTP/1.0 only; \
                 use an http:// URL, or curl, which speaks TLS"
            ),
            GetError::UnsupportedScheme { scheme } => {
                write!(f, "httpget speaks http:// only, not {scheme}://")
            }
            GetError::Resolve { host, reason } => {
                write!(f, "could not resolve host {host}: {reason}")
            }
            GetError::Connect { host, port, source } => {
                write!(f, "could not connect to {host} port {port}: {source}")
            }
            GetError::Timeout(deadline) => write!(f, "timed out: {deadline}"),
            GetError::Send(source) => write!(f, "sending the request failed: {source}"),
            GetError::Receive(source) => write!(f, "receiving the reply failed: {source}"),
            GetError::EmptyReply => write!(
                f,
                "the server closed the connection without sending anything"
            ),
            GetError::BadStatusLine { line, source } => write!(
                f,
                "the reply is not valid HTTP: {source}, in the status line \"{}\"",
                crate::escape::escape_control(line)
            ),
            GetError::StatusOutOfRange { status } => write!(
                f,
                "the reply is not valid HTTP: status code {status:03}, outside HTTP's 100 to 599"
            ),
            GetError::BadHeaderLine { line, source } => write!(
                f,
                "the reply is not valid HTTP: {source}, in the line \"{}\"",
                crate::escape::escape_control(line)
            ),
            GetError::TooManyHeaders => write!(
                f,
                "the reply is not valid HTTP: more than {} header lines",
                super::MAX_REPLY_HEADERS
            ),
            GetError::TruncatedHead { received } => write!(
                f,
                "the connection closed after {received} bytes of the reply's head, \
                 before the empty line that ends it"
            ),
            GetError::TooManyInterimReplies { limit } => write!(
                f,
                "the reply is not valid HTTP: more than {limit} interim 1xx replies, \
                 and no final one"
            ),
            GetError::BadContentLength(error) => {
                write!(f, "the reply is not valid HTTP: {error}")
            }
            GetError::BadChunkSize { line } => write!(
                f,
                "the reply is not valid HTTP: chunk size \"{}\" is not a hex number",
                crate::escape::escape_control(line)
            ),
            GetError::ChunkLongerThanSize => write!(
                f,
                "the reply is not valid HTTP: a chunk is longer than its size line says"
            ),
            GetError::ChunkLineTooLong => write!(
                f,
                "the reply is not valid HTTP: a chunk-size or trailer line is longer than {} bytes",
                super::MAX_CHUNK_LINE_BYTES
            ),
            GetError::BadLocation { location, source } => write!(
                f,
                "the reply is not valid HTTP: the Location {location:?} is not a URL ({source})"
            ),
            GetError::NotHttp { first_bytes } => write!(
                f,
                "the reply has no status line, it starts \"{}\": not HTTP/1.x \
                 (--http0.9 accepts it as an HTTP/0.9 body)",
                crate::escape::escape_control(first_bytes)
            ),
            GetError::HeadTooLarge => write!(
                f,
                "the reply's status line and headers are longer than {} bytes",
                super::MAX_REPLY_HEAD_BYTES
            ),
            GetError::TruncatedBody {
                received,
                expected: Some(expected),
            } => write!(
                f,
                "the connection closed after {received} of the {expected} body bytes \
                 Content-Length promised"
            ),
            GetError::TruncatedBody {
                received,
                expected: None,
            } => write!(
                f,
                "the connection closed after {received} body bytes, before the last chunk"
            ),
            GetError::HttpStatus { status, reason } => {
                write!(f, "the server answered {status} {reason}")
            }
            GetError::TooManyRedirects { limit } => {
                write!(f, "gave up after {limit} redirects in a row")
            }
            GetError::RedirectLoop { url } => {
                write!(f, "redirect loop: {url} was already visited")
            }
            GetError::Write(source) => write!(f, "writing the output failed: {source}"),
            GetError::Cancelled => write!(f, "cancelled"),
            GetError::ReadFormat { path, source } => {
                write!(
                    f,
                    "cannot read the -w format file {}: {source}",
                    path.display()
                )
            }
            GetError::ReadData { path, source } => {
                write!(f, "cannot read the data file {}: {source}", path.display())
            }
        }
    }
}

impl Error for GetError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            GetError::BadUrl { reason, .. } => Some(reason),
            GetError::Connect { source, .. }
            | GetError::ReadData { source, .. }
            | GetError::ReadFormat { source, .. } => Some(source),
            GetError::Send(source) | GetError::Receive(source) | GetError::Write(source) => {
                Some(source)
            }
            GetError::BadStatusLine { source, .. } | GetError::BadHeaderLine { source, .. } => {
                Some(source)
            }
            GetError::BadContentLength(source) => Some(source),
            GetError::BadLocation { source, .. } => Some(source),
            GetError::BadStar { .. }
            | GetError::UnsupportedScheme { .. }
            | GetError::Cancelled
            | GetError::Resolve { .. }
            | GetError::Timeout(_)
            | GetError::EmptyReply
            | GetError::StatusOutOfRange { .. }
            | GetError::TooManyHeaders
            | GetError::TruncatedHead { .. }
            | GetError::TooManyInterimReplies { .. }
            | GetError::BadChunkSize { .. }
            | GetError::ChunkLongerThanSize
            | GetError::ChunkLineTooLong
            | GetError::NotHttp { .. }
            | GetError::HeadTooLarge
            | GetError::TruncatedBody { .. }
            | GetError::HttpStatus { .. }
            | GetError::TooManyRedirects { .. }
            | GetError::RedirectLoop { .. } => None,
        }
    }
}

/// Which limit on time ran out ([`GetError::Timeout`]): httpget never waits for ever, and says
/// which wait it gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deadline {
    /// Looking up the host name used all the time allowed to connect (`--connect-timeout`).
    Resolve {
        /// The name looked up.
        host: String,
        /// How long the lookup was given.
        waited: Duration,
    },
    /// No address of the host accepted a connection in the time allowed (`--connect-timeout`).
    Connect {
        /// The host as written in the URL.
        host: String,
        /// The port tried.
        port: u16,
        /// How long resolving and connecting took together.
        waited: Duration,
    },
    /// The server took none of the request's bytes for the idle limit: it stopped reading.
    Send {
        /// The idle limit.
        limit: Duration,
    },
    /// Nothing was received for the idle limit.
    Idle {
        /// The idle limit.
        limit: Duration,
    },
    /// The reply's status line and headers were not all in within `--head-timeout`.
    Head {
        /// The limit, from the request.
        limit: Duration,
    },
    /// The whole transfer took longer than `-m`.
    MaxTime {
        /// How long it had taken since the request, when it was stopped.
        elapsed: Duration,
    },
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::Resolve { host, waited } => write!(
                f,
                "resolving {host} took longer than the {:.1} s allowed",
                waited.as_secs_f64()
            ),
            Deadline::Connect { host, port, waited } => write!(
                f,
                "no connection to {host} port {port} within {:.1} s",
                waited.as_secs_f64()
            ),
            Deadline::Send { limit } => write!(
                f,
                "the server did not take the request (nothing taken for {} s)",
                limit.as_secs_f64()
            ),
            Deadline::Idle { limit } => {
                write!(f, "nothing received for {} s", limit.as_secs_f64())
            }
            Deadline::Head { limit } => write!(
                f,
                "the reply's status line and headers were not complete within the {} s \
                 allowed (--head-timeout)",
                limit.as_secs_f64()
            ),
            Deadline::MaxTime { elapsed } => write!(
                f,
                "the transfer took longer than the --max-time allowed ({:.1} s since the \
                 request)",
                elapsed.as_secs_f64()
            ),
        }
    }
}
