//! One typed request, fetched and shown: where the client connects, the request (`> ` lines),
//! the reply's head (`< ` lines), then the body.
//!
//! On a terminal a text body is shown with its control characters escaped ([`TerminalText`]),
//! cut at about one screen so the head stays in view ([`Page`]), and a binary one is only
//! summarised. Into a pipe or a file (`printf 'URL\n' | httpget > transcript`) the body is
//! written byte for byte, whole, as curl writes it. `-o FILE` on the line saves the body there.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Instant;

use url::Url;

use super::line::Fetch;
use super::page::{left_out_line, Page};
use crate::client::download::{write_failure, write_out, Destination, Stop};
use crate::client::narrate::Narrator;
use crate::client::progress::summary_line;
use crate::client::{is_binary, GetError, Reply, TerminalText, BODY_BUFFER_BYTES};

/// Fetches what one line asked for and shows it on stdout. `last` becomes the URL fetched (the
/// one a redirect led to, with `-L`), for the next line's links.
pub(super) fn show(
    fetch: &Fetch,
    last: &mut Option<Url>,
    stdout_is_terminal: bool,
) -> Result<(), Stop> {
    let mut out = io::stdout();
    if let Some(base) = &fetch.link_on {
        let note = format!("* a link on {base}: {}\n", fetch.url);
        write_out(&mut out, note.as_bytes())?;
    }
    let destination = Destination::choose(
        fetch.args.cli.output.first(),
        fetch.args.cli.remote_name,
        &fetch.url,
    )?;
    let started = Instant::now();
    let rows = Rc::new(Cell::new(0));
    let narration = CountRows {
        rows: Rc::clone(&rows),
    };
    let trace_reads = fetch.args.cli.trace_reads;
    let mut narrator = Narrator::new(Box::new(narration), true, trace_reads);
    *last = Some(fetch.url.clone());
    let mut reply = crate::client::get(&fetch.url, &fetch.options, &mut narrator)?;
    *last = Some(reply.url.clone());
    if fetch.args.cli.fail && reply.head.status >= 400 {
        return Err(Stop::Failed(GetError::HttpStatus {
            status: reply.head.status,
            reason: reply.head.reason_or_usual().to_string(),
        }));
    }
    match destination {
        Destination::File(path) => {
            let mut file = File::create(&path).map_err(|error| {
                GetError::Write(io::Error::new(
                    error.kind(),
                    format!("cannot create {}: {error}", path.display()),
                ))
            })?;
            copy_raw(&mut reply, &mut file)?;
            let line = summary_line(reply.body.received(), &path, started.elapsed());
            write_out(&mut out, format!("* {line}\n").as_bytes())
        }
        Destination::Stdout { explicit } => {
            let screen = match (stdout_is_terminal && !explicit, screen_size()) {
                (true, Some((screen_rows, columns))) => {
                    // The typed line is on the screen too.
                    Some(Page::new(screen_rows, columns, rows.get() + 1))
                }
                _ => None,
            };
            let on_terminal = stdout_is_terminal && !explicit;
            show_body(&mut reply, on_terminal, screen, started)
        }
    }
}

/// Writes the body byte for byte (`-o FILE`, `-o -`).
fn copy_raw(reply: &mut Reply<'_>, output: &mut dyn Write) -> Result<(), Stop> {
    let mut buffer = vec![0; BODY_BUFFER_BYTES];
    loop {
        let count = reply.body.read(&mut buffer)?;
        if count == 0 {
            return output.flush().map_err(write_failure);
        }
        write_out(output, &buffer[..count])?;
    }
}

/// Shows the body on stdout: on a terminal escaped, binary summarised, cut by `page`; elsewhere
/// byte for byte. Ends with a summary line.
fn show_body(
    reply: &mut Reply<'_>,
    on_terminal: bool,
    mut page: Option<Page>,
    started: Instant,
) -> Result<(), Stop> {
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
        if first && on_terminal {
            binary = is_binary(piece);
        }
        if binary {
            continue;
        }
        if on_terminal {
            let fits = page.as_mut().map_or(piece.len(), |page| page.fit(piece));
            let shown = text.push(&piece[..fits]);
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
    let url = &reply.url;
    if let Some((bytes, lines)) = page.as_ref().and_then(Page::left_out) {
        write_out(
            &mut out,
            left_out_line(bytes, lines, url.as_str()).as_bytes(),
        )?;
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

/// The terminal's rows and columns, if stdout is one.
fn screen_size() -> Option<(usize, usize)> {
    let (rows, columns) = console::Term::stdout().size_checked()?;
    Some((usize::from(rows), usize::from(columns)))
}

/// stdout for the narration, counting the rows it takes, so the body knows what is left.
struct CountRows {
    rows: Rc<Cell<usize>>,
}

impl Write for CountRows {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = io::stdout().write(bytes)?;
        let lines = bytes[..written]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        self.rows.set(self.rows.get() + lines);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}
