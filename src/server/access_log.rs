//! What the server writes on stderr: one Common Log Format line per response (the format of
//! Apache and nginx), and with `--verbose` each connection opening and closing and each
//! request head as it arrived.
//!
//! ```text
//! 127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.0" 200 1234
//! ```
//!
//! The fields: the client's address; two dashes (the identity and the user name, which this
//! server never knows); the time; the request line exactly as it arrived (its spaces and tabs,
//! its version as written, not as the server read them), with `"`, `\`, control characters
//! and bytes beyond ASCII shown as `\xNN`, nginx's rule, so that a request cannot close the
//! quotes or start a line and forge an entry; the status code; the body bytes sent.
//!
//! Writing to stderr is a blocking call made from the event loop: a terminal that cannot keep
//! up slows the server down. Use `--quiet` when measuring speed.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use super::request::Request;
use crate::date::format_log_date;
use crate::escape::{escape_control, escape_log_field};
use crate::status::Status;

/// How much the server writes on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Nothing but errors.
    Quiet,
    /// One Common Log Format line per request.
    Access,
    /// Also each connection opening and closing, and each request head as it arrived.
    Verbose,
}

/// The server's log, at the level the command line chose.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    level: LogLevel,
}

impl Log {
    /// A log that writes what `level` asks for.
    pub fn new(level: LogLevel) -> Log {
        Log { level }
    }

    /// Whether lines of this level are written.
    pub fn shows(&self, level: LogLevel) -> bool {
        match level {
            LogLevel::Quiet => true,
            LogLevel::Access => self.level != LogLevel::Quiet,
            LogLevel::Verbose => self.level == LogLevel::Verbose,
        }
    }

    /// The access-log line of one response (sent whole, cut short or never sent: `sent` says
    /// how many body bytes left).
    pub fn access(&self, peer: SocketAddr, request_line: &[u8], status: Status, sent: u64) {
        if self.shows(LogLevel::Access) {
            let when = SystemTime::now();
            write_stderr(&access_line(peer.ip(), when, request_line, status, sent));
        }
    }

    /// Each line of a request head as it arrived (`--verbose`).
    pub fn head(&self, peer: SocketAddr, request: &Request) {
        if !self.shows(LogLevel::Verbose) {
            return;
        }
        let mut text = String::new();
        for line in request.raw_head().split(|&byte| byte == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                text.push_str(&format!("{peer} > {}\n", escape_control(line)));
            }
        }
        if !request.body.is_empty() {
            text.push_str(&format!("{peer} > ({} body bytes)\n", request.body.len()));
        }
        write_stderr(text.trim_end());
    }

    /// A line of its own, written if `level` is shown.
    pub fn note(&self, level: LogLevel, text: &str) {
        if self.shows(level) {
            write_stderr(text);
        }
    }
}

/// One Common Log Format line:
/// `127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.0" 200 1234`.
pub fn access_line(
    client: IpAddr,
    when: SystemTime,
    request_line: &[u8],
    status: Status,
    sent: u64,
) -> String {
    format!(
        "{client} - - [{}] \"{}\" {} {sent}",
        format_log_date(when),
        shown_request_line(request_line),
        status.code()
    )
}

/// The most bytes of a request line that is not text shown in the log.
pub const MAX_LOGGED_GARBAGE: usize = 64;

/// The request line as the log shows it, escaped by [`escape_log_field`]; when it is not text
/// at all (binary from a program that speaks another protocol), only its first
/// [`MAX_LOGGED_GARBAGE`] bytes and how many more there were, so one stray connection cannot
/// fill the screen with escapes. A line of text is not cut: the request reader keeps at most
/// a little over 8 KiB of it (a longer one is answered 414).
pub fn shown_request_line(request_line: &[u8]) -> String {
    let is_text = std::str::from_utf8(request_line)
        .is_ok_and(|text| !text.chars().any(|c| c.is_control() && c != '\t'));
    if is_text || request_line.len() <= MAX_LOGGED_GARBAGE {
        return escape_log_field(request_line);
    }
    let more = request_line.len() - MAX_LOGGED_GARBAGE;
    format!(
        "{}… ({more} more bytes)",
        escape_log_field(&request_line[..MAX_LOGGED_GARBAGE])
    )
}

/// Writes one line to stderr in a single call; a closed stderr is ignored, never a panic
/// (`eprintln!` would panic).
fn write_stderr(line: &str) {
    let mut message = String::with_capacity(line.len() + 1);
    message.push_str(line);
    message.push('\n');
    let _ = io::stderr().lock().write_all(message.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn access_lines_follow_the_common_log_format() {
        let when = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for (request_line, status, sent, want) in [
            (
                &b"GET / HTTP/1.0"[..],
                Status::Ok,
                1234,
                "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.0\" 200 1234",
            ),
            (
                b"GET /\x1b[2J HTTP/1.0",
                Status::NotFound,
                0,
                "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /\\x1B[2J HTTP/1.0\" 404 0",
            ),
            // A quote would close the field: unescaped, this line reads as a request for
            // `/a` answered 200, then a second one, `forged HTTP/1.0`.
            (
                b"GET /a\" 200 0 \"forged HTTP/1.0",
                Status::NotFound,
                0,
                "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \
                 \"GET /a\\x22 200 0 \\x22forged HTTP/1.0\" 404 0",
            ),
            (
                b"GET /back\\slash/caf\xc3\xa9\t HTTP/1.0",
                Status::NotFound,
                0,
                "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \
                 \"GET /back\\x5Cslash/caf\\xC3\\xA9\\x09 HTTP/1.0\" 404 0",
            ),
        ] {
            assert_eq!(access_line(client, when, request_line, status, sent), want);
        }
    }

    #[test]
    fn request_lines_that_are_not_text_are_cut_short() {
        let garbage: Vec<u8> = (0..=255u8).cycle().take(400).collect();
        let shown = shown_request_line(&garbage);
        assert!(shown.ends_with("… (336 more bytes)"), "{shown}");
        assert!(shown.len() < 300, "{} characters", shown.len());
        let long_text = format!("GET /{} HTTP/1.0", "a".repeat(500));
        assert_eq!(shown_request_line(long_text.as_bytes()), long_text);
    }

    #[test]
    fn the_request_line_is_logged_as_it_arrived_not_as_it_was_read() {
        use crate::server::request::tests::parsed;
        for (head, want) in [
            (&b"GET / HTTP/1.0\r\n\r\n"[..], "GET / HTTP/1.0"),
            // RFC 1945 Appendix B lets the server read this as `GET /notes.txt HTTP/1.1`; the
            // log says what the client wrote.
            (
                b"GET\t/notes.txt   HTTP/1.2\r\n\r\n",
                "GET\\x09/notes.txt   HTTP/1.2",
            ),
            (b"GET  /  HTTP/01.00\n\n", "GET  /  HTTP/01.00"),
            (b"\r\nGET /old\r\n", "GET /old"),
            (b"GET /old  \n", "GET /old  "),
        ] {
            let request = parsed(head);
            assert_eq!(shown_request_line(request.request_line()), want);
        }
    }
}
