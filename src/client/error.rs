//! Everything that can go wrong with one GET, as a value with a sentence and an exit code.
//!
//! Each variant names a situation a student can reason about: the URL was wrong, the name did not
//! resolve, nobody listened on the port, the server said something that is not HTTP… The exit
//! codes are curl's where the situation is the same, so a script written for one works with the
//! other (see `man curl`, "EXIT CODES").

use std::fmt;
use std::io;

/// How many of a reply's first bytes [`GetError::NotHttp`] keeps to show.
pub const NOT_HTTP_SHOWN_BYTES: usize = 40;

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
    /// A limit on time ran out; the text says which one and where.
    Timeout(String),
    /// Sending the request failed.
    Send(io::Error),
    /// Receiving failed (for example the connection was reset).
    Receive(io::Error),
    /// The server closed the connection without sending a single byte.
    EmptyReply,
    /// The reply is not HTTP this client can read; the text says what was wrong.
    BadResponse(String),
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
    /// Writing the body to its destination failed (or was refused, as a binary body on a terminal).
    Write(io::Error),
}

impl GetError {
    /// The process exit code for this error: curl's code for the same situation.
    pub fn exit_code(&self) -> u8 {
        match self {
            GetError::UnsupportedScheme { .. } | GetError::NotHttp { .. } => 1,
            GetError::BadUrl { .. } => 3,
            GetError::Resolve { .. } => 6,
            GetError::Connect { .. } => 7,
            GetError::BadResponse(_) | GetError::HeadTooLarge => 8,
            GetError::TruncatedBody { .. } => 18,
            GetError::HttpStatus { .. } => 22,
            GetError::Write(_) => 23,
            GetError::ReadData { .. } => 26,
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
            GetError::Timeout(what) => write!(f, "timed out: {what}"),
            GetError::Send(source) => write!(f, "sending the request failed: {source}"),
            GetError::Receive(source) => write!(f, "receiving the reply failed: {source}"),
            GetError::EmptyReply => write!(
                f,
                "the server closed the connection without sending anything"
            ),
            GetError::BadResponse(what) => write!(f, "the reply is not valid HTTP: {what}"),
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
            GetError::ReadData { path, source } => {
                write!(f, "cannot read the data file {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for GetError {}
