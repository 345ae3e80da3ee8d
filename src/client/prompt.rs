//! Interactive mode (`httpget` with no URL): ask `URL: `, fetch, show the whole exchange, again.
//!
//! Everything goes to stdout, in order, because this is a conversation: where the client
//! connects, the request (`> ` lines), the reply's head (`< ` lines), then the body — text with
//! control characters escaped ([`TerminalText`]), a binary body only summarised. An error is
//! one line and the prompt comes back; an empty line or the end of input quits.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use super::download::{write_out, Stop};
use super::narrate::Narrator;
use super::{Options, TerminalText, BODY_BUFFER_BYTES, DEFAULT_URL};

/// Runs the prompt on `input` until an empty line or its end. `echo_input` writes each line
/// after the prompt, for input that does not come from a terminal (which shows it already).
pub fn run_prompt(options: &Options, trace_reads: bool, input: &mut dyn BufRead, echo_input: bool) {
    let mut stdout = io::stdout();
    let _ = writeln!(
        stdout,
        "httpget {}: type a URL and press Enter (* means {DEFAULT_URL}); \
         an empty line or Ctrl+D quits.",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        if write!(stdout, "URL: ")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return;
        }
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => {
                let _ = writeln!(stdout);
                return;
            }
            Ok(_) => {}
            Err(_) => return,
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if echo_input && writeln!(stdout, "{line}").is_err() {
            return;
        }
        if line.is_empty() {
            return;
        }
        match show(options, trace_reads, line) {
            Ok(()) => {}
            Err(Stop::OutputClosed) => return,
            Err(Stop::Failed(error)) => {
                if writeln!(stdout, "error: {error}").is_err() {
                    return;
                }
            }
        }
    }
}

/// Fetches one URL and shows the exchange and the body on stdout.
fn show(options: &Options, trace_reads: bool, input: &str) -> Result<(), Stop> {
    let url = super::parse_input(input)?;
    let started = Instant::now();
    let mut narrator = Narrator::new(Box::new(io::stdout()), true, trace_reads);
    let mut reply = super::get(&url, options, &mut narrator)?;
    let content_type = reply.head.header("Content-Type").map(str::to_string);
    let mut out = io::stdout();
    let mut buffer = vec![0; BODY_BUFFER_BYTES];
    let mut text = TerminalText::new();
    let mut binary = false;
    let mut ends_with_newline = true;
    loop {
        let count = match reply.body.read(&mut buffer) {
            Ok(count) => count,
            Err(error) => {
                // The error gets a line of its own, not the end of a half-printed one.
                if !ends_with_newline {
                    write_out(&mut out, b"\n")?;
                }
                return Err(Stop::Failed(error));
            }
        };
        if count == 0 {
            break;
        }
        let piece = &buffer[..count];
        if reply.body.received() == count as u64 {
            binary = super::is_binary(content_type.as_deref(), piece);
        }
        if !binary {
            let shown = text.push(piece);
            ends_with_newline = shown.ends_with('\n') || (shown.is_empty() && ends_with_newline);
            write_out(&mut out, shown.as_bytes())?;
        }
    }
    let rest = text.finish();
    write_out(&mut out, rest.as_bytes())?;
    if !ends_with_newline || !rest.is_empty() {
        write_out(&mut out, b"\n")?;
    }
    let size = reply.body.received();
    let summary = if binary {
        format!(
            "* binary body not shown: {}, {size} bytes\n",
            content_type.as_deref().unwrap_or("no Content-Type")
        )
    } else {
        format!(
            "* {size} body bytes, {} ms in all\n",
            started.elapsed().as_millis()
        )
    };
    write_out(&mut out, summary.as_bytes())
}
