//! Interactive mode (`httpget` with no URL): ask `URL: `, fetch, show the whole exchange, again.
//!
//! Everything goes to stdout, in order, because this is a conversation: where the client
//! connects, the request (`> ` lines), the reply's head (`< ` lines), then the body: on a
//! terminal, text with control characters escaped ([`TerminalText`]) and a binary body only
//! summarised; into a pipe or a file, the bytes as they came. An error is one line and the
//! prompt comes back; an empty line or the end of input quits.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use super::download::{write_failure, write_out, Stop};
use super::narrate::Narrator;
use super::{is_binary, GetError, Options, TerminalText, BODY_BUFFER_BYTES};

/// Where the prompt's lines come from.
pub enum Lines<'a> {
    /// A terminal: `rustyline` gives line editing and history (arrows, Home/End, Ctrl+R to
    /// search, Ctrl+C clears the line, Ctrl+D quits). The lines typed so far are kept here, for
    /// the history of the next prompt.
    Terminal(Vec<String>),
    /// A pipe or a file: lines as they come, each written after the prompt so the transcript
    /// reads like a session.
    Piped(&'a mut dyn BufRead),
}

impl Lines<'_> {
    /// Line editing when stdin is a terminal and the terminal can do it, else plain lines.
    pub fn from_stdin(stdin: &mut dyn BufRead, stdin_is_terminal: bool) -> Lines<'_> {
        if stdin_is_terminal && DefaultEditor::new().is_ok() {
            return Lines::Terminal(Vec::new());
        }
        Lines::Piped(stdin)
    }

    /// The next line typed after the prompt, trimmed; `None` at the end of input. An error
    /// only when the prompt or the echoed line could not be written to stdout.
    fn next(&mut self, stdout: &mut dyn Write) -> Result<Option<String>, Stop> {
        match self {
            Lines::Terminal(history) => {
                // A line editor for this one line, gone before the fetch starts: an editor
                // catches SIGINT for as long as it lives (to read Ctrl+C as a key), and during
                // a fetch Ctrl+C must stop httpget, as it stops curl.
                let Ok(mut editor) = DefaultEditor::new() else {
                    return Ok(None);
                };
                for earlier in history.iter() {
                    let _ = editor.add_history_entry(earlier.as_str());
                }
                loop {
                    match editor.readline(PROMPT) {
                        Ok(line) => {
                            let line = line.trim().to_string();
                            remember(history, &line);
                            return Ok(Some(line));
                        }
                        // Ctrl+C: forget this line, ask again (as a shell does).
                        Err(ReadlineError::Interrupted) => continue,
                        Err(_) => return Ok(None),
                    }
                }
            }
            Lines::Piped(input) => {
                write_out(stdout, PROMPT.as_bytes())?;
                stdout.flush().map_err(write_failure)?;
                let mut line = Vec::new();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => {
                        write_out(stdout, b"\n")?;
                        Ok(None)
                    }
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&line).trim().to_string();
                        write_out(stdout, format!("{line}\n").as_bytes())?;
                        Ok(Some(line))
                    }
                }
            }
        }
    }
}

/// What the prompt says.
const PROMPT: &str = "URL: ";

/// How many typed lines the prompt's history keeps (the line editor's own default).
const HISTORY_LINES: usize = 100;

/// Adds a typed line to the history: not an empty one, nor one equal to the line before.
fn remember(history: &mut Vec<String>, line: &str) {
    if line.is_empty() || history.last().is_some_and(|last| last == line) {
        return;
    }
    if history.len() == HISTORY_LINES {
        history.remove(0);
    }
    history.push(line.to_string());
}

/// Runs the prompt until an empty line or the end of input.
///
/// An error of a fetch is shown as one line, and the prompt goes on. An stdout that cannot be
/// written (a full disk) ends the prompt with that error, for the caller to report with exit
/// code 23, as in one-shot mode; a closed one (`httpget | head`) ends it quietly.
pub fn run_prompt(
    options: &Options,
    trace_reads: bool,
    lines: &mut Lines<'_>,
    stdout_is_terminal: bool,
) -> Result<(), GetError> {
    match converse(options, trace_reads, lines, stdout_is_terminal) {
        Ok(()) | Err(Stop::OutputClosed) => Ok(()),
        Err(Stop::Failed(error)) => Err(error),
    }
}

/// The prompt's loop: ask, fetch, show, again; stops at the first failed write to stdout.
fn converse(
    options: &Options,
    trace_reads: bool,
    lines: &mut Lines<'_>,
    stdout_is_terminal: bool,
) -> Result<(), Stop> {
    let mut stdout = io::stdout();
    let greeting = format!(
        "httpget {}: type a URL and press Enter (* means {}, */notes.txt a file \
         there); an empty line or Ctrl+D quits.\n",
        env!("CARGO_PKG_VERSION"),
        options.star
    );
    write_out(&mut stdout, greeting.as_bytes())?;
    while let Some(line) = lines.next(&mut stdout)? {
        if line.is_empty() {
            return Ok(());
        }
        match show(options, trace_reads, stdout_is_terminal, &line) {
            Ok(()) => {}
            // stdout is closed or cannot be written: no later answer could be shown either.
            Err(stop @ (Stop::OutputClosed | Stop::Failed(GetError::Write(_)))) => {
                return Err(stop)
            }
            Err(Stop::Failed(error)) => {
                write_out(&mut stdout, format!("error: {error}\n").as_bytes())?
            }
        }
    }
    Ok(())
}

/// Fetches one URL and shows the exchange and the body on stdout.
///
/// On a terminal, a text body is shown with its control characters escaped, and a binary one
/// (judged by its first bytes, [`is_binary`]) is replaced by a summary. Anywhere else (a pipe,
/// a file: `printf 'URL\n' | httpget > transcript`) the body is written byte for byte, as curl
/// does.
fn show(
    options: &Options,
    trace_reads: bool,
    stdout_is_terminal: bool,
    input: &str,
) -> Result<(), Stop> {
    let url = super::parse_input_with_star(input, &options.star)?;
    let started = Instant::now();
    let mut narrator = Narrator::new(Box::new(io::stdout()), true, trace_reads);
    let mut reply = super::get(&url, options, &mut narrator)?;
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
        let first = reply.body.received() == count as u64;
        if first && stdout_is_terminal {
            binary = is_binary(piece);
        }
        if binary {
            continue;
        }
        if stdout_is_terminal {
            let shown = text.push(piece);
            ends_with_newline = shown.ends_with('\n') || (shown.is_empty() && ends_with_newline);
            write_out(&mut out, shown.as_bytes())?;
        } else {
            ends_with_newline = piece.ends_with(b"\n");
            write_out(&mut out, piece)?;
        }
    }
    let rest = text.finish();
    write_out(&mut out, rest.as_bytes())?;
    if !ends_with_newline || !rest.is_empty() {
        write_out(&mut out, b"\n")?;
    }
    let size = reply.body.received();
    let summary = if binary {
        let content_type = reply
            .head
            .header("Content-Type")
            .unwrap_or("no Content-Type");
        format!(
            "* binary body not shown: {content_type}, {size} bytes; to save it: httpget -o FILE {url}\n"
        )
    } else {
        format!(
            "* {size} body bytes, {} ms in all\n",
            started.elapsed().as_millis()
        )
    };
    write_out(&mut out, summary.as_bytes())
}
