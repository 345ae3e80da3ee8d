//! One-shot mode (`httpget [OPTIONS] URL...`): fetch a URL and write its body where it belongs,
//! as curl does.
//!
//! The body goes to stdout (or a file with `-o`/`-O`) byte for byte, through one fixed buffer,
//! so a download of any size uses the same memory. Notes and errors go to stderr. Two guards
//! come from curl: a binary body is not written to a terminal unless asked (`-o -`), and a
//! closed stdout (`httpget URL | head`) ends the run quietly. A download to a file shows a
//! progress bar while it is long and one summary line at the end, when stderr is a terminal.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use url::Url;

use super::narrate::Narrator;
use super::progress::{summary_line, Progress};
use super::timing::timing_view;
use super::transfer::{Recorder, Transfer};
use super::{BodyFraming, GetError, Options, Reply, BODY_BUFFER_BYTES};

/// Why a run stopped early.
#[derive(Debug)]
pub enum Stop {
    /// Something went wrong; the error says what and gives the exit code.
    Failed(GetError),
    /// The output was closed (`httpget URL | head`): nobody is reading, so stop quietly.
    OutputClosed,
}

impl From<GetError> for Stop {
    fn from(error: GetError) -> Stop {
        Stop::Failed(error)
    }
}

/// Writes `bytes`, turning a closed pipe into [`Stop::OutputClosed`].
pub fn write_out(output: &mut dyn Write, bytes: &[u8]) -> Result<(), Stop> {
    output.write_all(bytes).map_err(write_failure)
}

/// A write error as a [`Stop`]: a closed pipe is quiet, anything else is exit code 23.
pub fn write_failure(error: io::Error) -> Stop {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Stop::OutputClosed
    } else {
        Stop::Failed(GetError::Write(error))
    }
}

/// Where one URL's body goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// stdout; `explicit` when the user asked for it with `-o -`.
    Stdout {
        /// `-o -` was given: write even binary bytes to a terminal.
        explicit: bool,
    },
    /// A file, created once the reply's head has arrived.
    File(PathBuf),
}

impl Destination {
    /// The destination `-o FILE` (`output`) or `-O` (`remote_name`) asks for.
    pub fn choose(
        output: Option<&PathBuf>,
        remote_name: bool,
        url: &Url,
    ) -> Result<Destination, GetError> {
        match output {
            Some(path) if path.as_os_str() == "-" => Ok(Destination::Stdout { explicit: true }),
            Some(path) => Ok(Destination::File(path.clone())),
            None if remote_name => match super::remote_file_name(url) {
                Some(name) => Ok(Destination::File(PathBuf::from(name))),
                None => Err(GetError::Write(io::Error::other(format!(
                    "-O needs a file name at the end of the URL, and {url} has none"
                )))),
            },
            None => Ok(Destination::Stdout { explicit: false }),
        }
    }
}

/// What the command line asked for, besides the [`Options`] of the request itself.
#[derive(Debug, Clone)]
pub struct Download {
    /// `-o FILE` for this URL, if given.
    pub output: Option<PathBuf>,
    /// `-O`: save under the URL's last path segment.
    pub remote_name: bool,
    /// `-i` or `-I`: write the reply's head (every hop's, with `-L`) before the body.
    pub include_head: bool,
    /// `-v`: narrate the exchange on stderr.
    pub verbose: bool,
    /// `--trace-reads`: report each `read()` on stderr.
    pub trace_reads: bool,
    /// `-f`: a status of 400 or more is an error, and no body is written.
    pub fail: bool,
    /// `-s`: no progress display.
    pub silent: bool,
    /// Whether stdout is a terminal (the binary-body guard).
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal (the progress display, and the timing view of `-v`).
    pub stderr_is_terminal: bool,
    /// `--timing`: end with the timing view on stderr, terminal or not.
    pub timing: bool,
}

/// Fetches the URL typed as `input`, writes its body where [`Download`] says, and keeps what
/// happened in `transfer` (for `-w`), whether it succeeded or not. With `-v` on a terminal, or
/// `--timing`, it ends with the timing view on stderr.
pub fn download(
    input: &str,
    options: &Options,
    how: &Download,
    transfer: &mut Transfer,
) -> Result<(), Stop> {
    let result = fetch(input, options, how, transfer);
    transfer.timings.finish(Instant::now());
    if let Err(Stop::Failed(error)) = &result {
        transfer.failed(error);
    }
    let show_timing = how.timing || (how.verbose && how.stderr_is_terminal);
    if show_timing && transfer.timings.hops() > 0 {
        let _ = io::stderr().write_all(timing_view(&transfer.timings).as_bytes());
    }
    result
}

/// The fetch and the writing, reported to `transfer` as they go.
fn fetch(
    input: &str,
    options: &Options,
    how: &Download,
    transfer: &mut Transfer,
) -> Result<(), Stop> {
    let url = super::parse_input_with_star(input, &options.star)?;
    let destination = Destination::choose(how.output.as_ref(), how.remote_name, &url)?;

    let started = Instant::now();
    let mut narrator = Narrator::new(Box::new(io::stderr()), how.verbose, how.trace_reads);
    let mut recorder = Recorder::new(&mut narrator, transfer);
    let mut reply = super::get(&url, options, &mut recorder)?;
    if how.fail && reply.head.status >= 400 {
        return Err(Stop::Failed(GetError::HttpStatus {
            status: reply.head.status,
            reason: reply.head.reason_or_usual().to_string(),
        }));
    }

    let length = match reply.body.framing() {
        BodyFraming::Length(length) => Some(length),
        _ => None,
    };
    let to_file = matches!(destination, Destination::File(_));
    let show_progress = to_file && !how.silent && how.stderr_is_terminal;
    let guard_terminal =
        destination == (Destination::Stdout { explicit: false }) && how.stdout_is_terminal;
    let mut output: Box<dyn Write> = match &destination {
        Destination::Stdout { .. } => Box::new(io::stdout().lock()),
        Destination::File(path) => match File::create(path) {
            Ok(file) => Box::new(file),
            Err(error) => {
                return Err(Stop::Failed(GetError::Write(io::Error::new(
                    error.kind(),
                    format!("cannot create {}: {error}", path.display()),
                ))))
            }
        },
    };

    if how.include_head {
        for head in reply.redirects.iter().chain([&reply.head]) {
            write_out(&mut output, &head.raw)?;
        }
    }
    let mut progress = Progress::new(show_progress, length);
    let copied = copy_body(&mut reply, &mut output, guard_terminal, &mut progress);
    progress.finish();
    let received = reply.body.received();
    drop(reply);
    recorder.transfer.size_download = received;
    copied?;
    if let Err(error) = output.flush() {
        return Err(write_failure(error));
    }
    if how.verbose {
        let _ = writeln!(
            io::stderr(),
            "* {} body bytes received, {} ms in all",
            received,
            started.elapsed().as_millis()
        );
    }
    // A download to a file shows nothing on the screen by itself: say that it happened.
    if let Destination::File(path) = &destination {
        if !how.silent && how.stderr_is_terminal {
            let line = summary_line(received, path, started.elapsed());
            let _ = writeln!(io::stderr(), "{line}");
        }
    }
    Ok(())
}

/// Copies the body to `output` through one fixed buffer: constant memory for any size.
fn copy_body(
    reply: &mut Reply<'_>,
    output: &mut dyn Write,
    guard_terminal: bool,
    progress: &mut Progress,
) -> Result<(), Stop> {
    let mut buffer = vec![0; BODY_BUFFER_BYTES];
    let mut first = true;
    loop {
        let count = reply.body.read(&mut buffer)?;
        if count == 0 {
            return Ok(());
        }
        let piece = &buffer[..count];
        // Like curl: binary bytes would garble the terminal, so ask for an explicit choice.
        if first && guard_terminal && super::is_binary(piece) {
            return Err(Stop::Failed(GetError::Write(io::Error::other(
                "the body is binary and stdout is a terminal; \
                 use -o FILE to save it, or -o - to print it anyway",
            ))));
        }
        first = false;
        write_out(output, piece)?;
        progress.advance(count, reply.body.received());
    }
}
