//! Interactive mode (`httpget` with no URL): ask `URL: `, fetch, show the whole exchange, again,
//! with the habits of the prompts students know (bash, python, a browser's address bar).
//!
//! Each step has its file under `prompt/`:
//!
//! - `line.rs` — what a typed line asks for: a URL, a link on the last page, `*`, a request
//!   line (`GET /notes.txt HTTP/1.0`), with httpget's own flags first (pure, table-tested);
//! - `fetch.rs` — the exchange shown on stdout, in order, because this is a conversation;
//! - `page.rs` — on a terminal a long body is cut at about one screen, so the head stays;
//! - `history.rs` — the lines typed, kept in `~/.httpget_history` between runs.
//!
//! On a terminal, Ctrl+C cancels, never quits: during a fetch it stops that fetch (the
//! [`Cancel`] flag), at the prompt it clears the line. An empty line or Ctrl+D quits. A line that
//! cannot be read, or a fetch that fails, is one line, and the prompt comes back.

pub mod fetch;
pub mod history;
pub mod line;
pub mod page;

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor};
use url::Url;

use super::download::{write_failure, write_out, Stop};
use super::{Cancel, GetError};
use history::{History, HISTORY_LINES};
use line::{read_line, Typed};

/// Where the prompt's lines come from.
pub enum Lines<'a> {
    /// A terminal: `rustyline` gives line editing and history (arrows, Home/End, Ctrl+R to
    /// search, Ctrl+C clears the line, Ctrl+D quits).
    Terminal(History),
    /// A pipe or a file: lines as they come, each written after the prompt so the transcript
    /// reads like a session.
    Piped(&'a mut dyn BufRead),
}

impl Lines<'_> {
    /// Line editing when stdin is a terminal and the terminal can do it, with the history kept
    /// in `history_file`; else plain lines.
    pub fn from_stdin(
        stdin: &mut dyn BufRead,
        stdin_is_terminal: bool,
        history_file: Option<std::path::PathBuf>,
    ) -> Lines<'_> {
        if stdin_is_terminal && DefaultEditor::new().is_ok() {
            return Lines::Terminal(History::open(history_file));
        }
        Lines::Piped(stdin)
    }

    /// The next line typed after the prompt, trimmed; `None` at the end of input. An error
    /// only when the prompt or the echoed line could not be written to stdout.
    fn next(&mut self, stdout: &mut dyn Write) -> Result<Option<String>, Stop> {
        match self {
            Lines::Terminal(history) => {
                // A line editor for this one line, gone before the fetch starts: an editor
                // catches SIGINT for as long as it lives (rustyline#879), and during a fetch
                // Ctrl+C must reach our handler, which cancels the fetch.
                let config = Config::builder()
                    .max_history_size(HISTORY_LINES)
                    .map(|builder| builder.build())
                    .unwrap_or_default();
                let Ok(mut editor) = DefaultEditor::with_config(config) else {
                    return Ok(None);
                };
                for earlier in history.lines() {
                    let _ = editor.add_history_entry(earlier.as_str());
                }
                loop {
                    match editor.readline(PROMPT) {
                        Ok(line) => {
                            let line = line.trim().to_string();
                            history.remember(&line);
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

/// Runs the prompt until an empty line or the end of input. `startup` are the flags httpget was
/// started with: they apply to every line, the line's own flags to that line only.
///
/// An error of a fetch is shown as one line, and the prompt goes on. An stdout that cannot be
/// written (a full disk) ends the prompt with that error, for the caller to report with exit
/// code 23, as in one-shot mode; a closed one (`httpget | head`) ends it quietly.
pub fn run_prompt(
    startup: &[OsString],
    lines: &mut Lines<'_>,
    stdout_is_terminal: bool,
) -> Result<(), GetError> {
    // Ctrl+C cancels a fetch only where a person types at a terminal; piped in, it stops
    // httpget, as it stops curl.
    let interrupts = match lines {
        Lines::Terminal(_) => Interrupts::catch(),
        Lines::Piped(_) => Interrupts::default(),
    };
    match converse(startup, lines, stdout_is_terminal, &interrupts) {
        Ok(()) | Err(Stop::OutputClosed) => Ok(()),
        Err(Stop::Failed(error)) => Err(error),
    }
}

/// The prompt's loop: ask, fetch, show, again; stops at the first failed write to stdout.
fn converse(
    startup: &[OsString],
    lines: &mut Lines<'_>,
    stdout_is_terminal: bool,
    interrupts: &Interrupts,
) -> Result<(), Stop> {
    let mut stdout = io::stdout();
    let greeting = format!(
        "httpget {}: type a URL, a path (/notes.txt), a request line (GET /notes.txt), flags \
         first if you like (-I, -v, -o FILE …); * means {}. Ctrl+C stops a fetch; \
         an empty line or Ctrl+D quits.\n",
        env!("CARGO_PKG_VERSION"),
        line::star()
    );
    write_out(&mut stdout, greeting.as_bytes())?;
    let mut last: Option<Url> = None;
    while let Some(line) = lines.next(&mut stdout)? {
        if line.is_empty() {
            return Ok(());
        }
        let mut fetch = match read_line(&line, startup, last.as_ref()) {
            Ok(Typed::Fetch(fetch)) => fetch,
            Ok(Typed::Text(text)) => {
                write_out(&mut stdout, text.as_bytes())?;
                continue;
            }
            Err(error) => {
                write_out(&mut stdout, format!("error: {error}\n").as_bytes())?;
                continue;
            }
        };
        fetch.options.cancel = interrupts.cancel.clone();
        interrupts.fetching(true);
        let shown = fetch::show(&fetch, &mut last, stdout_is_terminal);
        interrupts.fetching(false);
        match shown {
            Ok(()) => {}
            // stdout is closed or cannot be written: no later answer could be shown either.
            Err(stop @ (Stop::OutputClosed | Stop::Failed(GetError::Write(_)))) => {
                return Err(stop)
            }
            // After the terminal's own "^C": one line, on a line of its own.
            Err(Stop::Failed(GetError::Cancelled)) => write_out(&mut stdout, b"\ncancelled\n")?,
            Err(Stop::Failed(error)) => {
                write_out(&mut stdout, format!("error: {error}\n").as_bytes())?
            }
        }
    }
    Ok(())
}

/// Ctrl+C at the prompt: during a fetch it raises [`Cancel`]; at any other moment (a signal that
/// reaches httpget between lines: SIGTERM, or SIGINT from `kill`) httpget ends with 130, as
/// before. While a line is typed the line editor reads Ctrl+C as a key and clears the line.
#[derive(Default)]
struct Interrupts {
    cancel: Cancel,
    during_fetch: Arc<AtomicBool>,
}

impl Interrupts {
    /// Installs the handler; without one (it failed), Ctrl+C stops httpget as it stops curl.
    fn catch() -> Interrupts {
        let interrupts = Interrupts {
            cancel: Cancel::new(),
            during_fetch: Arc::new(AtomicBool::new(false)),
        };
        let cancel = interrupts.cancel.clone();
        let during_fetch = Arc::clone(&interrupts.during_fetch);
        let installed = ctrlc::set_handler(move || {
            if during_fetch.load(Ordering::SeqCst) {
                cancel.raise();
            } else {
                std::process::exit(130);
            }
        });
        match installed {
            Ok(()) => interrupts,
            Err(_) => Interrupts::default(),
        }
    }

    /// A fetch starts (the flag is lowered) or ends.
    fn fetching(&self, now: bool) {
        if now {
            self.cancel.lower();
        }
        self.during_fetch.store(now, Ordering::SeqCst);
    }
}
