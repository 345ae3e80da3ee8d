//! `httpget`: fetch URLs over plain HTTP/1.0 and show what crossed the wire.
//!
//! Two ways to run it:
//!
//! * `httpget` alone asks `URL: ` again and again, and for each URL prints where it connects, the
//!   request (`> ` lines), the reply's head (`< ` lines) and the body (a binary body is only
//!   summarised). Everything goes to stdout, in order, because this is a conversation.
//! * `httpget [OPTIONS] URL...` works like curl: the body goes to stdout byte for byte, the
//!   narration (`-v`) and errors go to stderr, and the exit code says what went wrong.
//!
//! This file is arguments in, exit code out. The work is in `http10::client`: `cli` (the flags,
//! one parser shared with the prompt), `download` (one-shot), `prompt` (interactive), `narrate`
//! (`-v`).

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use http10::client::cli::{parse_args, Args};
use http10::client::download::{download, Download, Stop};
use http10::client::prompt::history::history_path_from_env;
use http10::client::prompt::{run_prompt, Lines};
use http10::client::transfer::Transfer;
use http10::client::write_out::WriteOut;
use http10::client::{star_from_env, GetError};

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    // A classroom's HTTPGET_STAR is checked at once, whether or not `*` is typed.
    if let Err(error) = star_from_env() {
        report(&args, &error);
        return ExitCode::from(error.exit_code());
    }
    if args.cli.urls.is_empty() {
        return prompt();
    }
    let options = match args.options() {
        Ok(options) => options,
        Err(error) => {
            report(&args, &error);
            return ExitCode::from(error.exit_code());
        }
    };
    let cli = &args.cli;
    let write_out = match cli.write_out.as_deref().map(WriteOut::from_arg).transpose() {
        Ok(write_out) => write_out,
        Err(error) => {
            report(&args, &error);
            return ExitCode::from(error.exit_code());
        }
    };
    let mut exit_code = 0;
    for (index, input) in cli.urls.iter().enumerate() {
        let how = Download {
            output: cli.output.get(index).cloned(),
            remote_name: cli.remote_name,
            include_head: cli.include || cli.head,
            verbose: cli.verbose,
            trace_reads: cli.trace_reads,
            fail: cli.fail,
            silent: cli.silent,
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            timing: cli.timing,
        };
        let mut transfer = Transfer::default();
        let result = download(input, &options, &how, &mut transfer);
        if let Some(write_out) = &write_out {
            write_out.write(&transfer, &mut io::stdout(), &mut io::stderr());
        }
        match result {
            Ok(()) => {}
            Err(Stop::OutputClosed) => return ExitCode::SUCCESS,
            Err(Stop::Failed(error)) => {
                report(&args, &error);
                exit_code = error.exit_code();
            }
        }
    }
    ExitCode::from(exit_code)
}

/// `httpget` with no URL: the prompt, until an empty line or the end of input. The flags given
/// apply to every line typed.
fn prompt() -> ExitCode {
    let mut stdin = io::stdin().lock();
    let history = history_path_from_env();
    let mut lines = Lines::from_stdin(&mut stdin, io::stdin().is_terminal(), history);
    let startup: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run_prompt(&startup, &mut lines, io::stdout().is_terminal()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "httpget: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// Prints an error on stderr, unless -s silenced errors (and -S did not bring them back).
fn report(args: &Args, error: &GetError) {
    if !args.cli.silent || args.cli.show_error {
        let _ = writeln!(io::stderr(), "httpget: {error}");
    }
}
