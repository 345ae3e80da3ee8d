//! The narrator: an [`Observer`] that prints each step of an exchange, as `curl -v` does.
//!
//! `*` lines are notes (connecting, leniency used, redirects), `> ` lines the request exactly as
//! sent, `< ` lines the reply's head exactly as received (control bytes escaped, so a hostile
//! header cannot drive the terminal). `httpget -v` prints them on stderr; the prompt prints them
//! on stdout, in order with the body, because there it is the conversation.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use super::{Observer, ReplyHead};
use crate::escape::escape_control;

/// Prints what the client reports: `*` notes, `>` request lines, `<` reply lines.
pub struct Narrator {
    to: Box<dyn Write>,
    verbose: bool,
    trace_reads: bool,
    reads: u64,
}

impl Narrator {
    /// A narrator writing to `to`; `verbose` shows the exchange, `trace_reads` each `read()`.
    pub fn new(to: Box<dyn Write>, verbose: bool, trace_reads: bool) -> Narrator {
        Narrator {
            to,
            verbose,
            trace_reads,
            reads: 0,
        }
    }

    /// Prints raw head bytes one line each after `prefix`, control bytes escaped.
    fn lines(&mut self, prefix: &str, bytes: &[u8]) {
        let mut lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
        if lines.last().is_some_and(|line| line.is_empty()) {
            lines.pop();
        }
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // Like curl -v, even the blank line that ends the head is "> " with its space.
            let _ = writeln!(self.to, "{prefix} {}", escape_control(line));
        }
    }
}

impl Observer for Narrator {
    fn connecting(&mut self, host: &str, address: SocketAddr) {
        if self.verbose {
            let _ = writeln!(
                self.to,
                "* connecting to {host} ({}) port {}",
                address.ip(),
                address.port()
            );
        }
    }

    fn connected(&mut self, remote: SocketAddr, local: Option<SocketAddr>, took: Duration) {
        if self.verbose {
            // The local port is the one the server's log shows for this connection: a class
            // matches the two ends of one exchange by it.
            let from = match local {
                Some(local) => format!(" from {} port {}", local.ip(), local.port()),
                None => String::new(),
            };
            let _ = writeln!(
                self.to,
                "* connected to {} port {}{from} in {:.1} ms",
                remote.ip(),
                remote.port(),
                took.as_secs_f64() * 1000.0
            );
        }
    }

    fn request(&mut self, bytes: &[u8]) {
        if self.verbose {
            self.lines(">", bytes);
        }
    }

    fn received(&mut self, bytes: usize, since_request: Duration) {
        if self.trace_reads {
            self.reads += 1;
            let _ = writeln!(
                self.to,
                "* read #{}: {bytes} bytes, {:.3} ms after the request",
                self.reads,
                since_request.as_secs_f64() * 1000.0
            );
        }
    }

    fn reply_head(&mut self, head: &ReplyHead) {
        if self.verbose {
            self.lines("<", &head.raw);
        }
    }

    fn note(&mut self, text: &str) {
        if self.verbose {
            let _ = writeln!(self.to, "* {text}");
        }
    }
}
