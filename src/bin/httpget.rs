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
//! The protocol work is in `http10::client`; this file parses arguments and prints.

use std::fs::File;
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use http10::client::{
    self, Framing, GetError, Head, IpFamily, Method, Observer, Options, Response, TerminalText,
    BODY_BUFFER_BYTES, CONNECT_TIMEOUT, DEFAULT_URL, IDLE_TIMEOUT, MAX_REDIRECTS,
};
use http10::escape::escape_control;
use indicatif::{ProgressBar, ProgressStyle};

/// A download to a file shows a progress bar on a terminal from this size up.
const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

const AFTER_HELP: &str = "\
With no URL, httpget asks for URLs at a prompt (* means http://127.0.0.1:8080/; an empty line
or Ctrl+D quits) and shows the request, the reply's head and the body of each.

Time limits: --connect-timeout (default 10 s) for resolving and connecting, and 20 s without
receiving a single byte, always; -m/--max-time for the whole transfer when given.

Exit codes (curl's where the situation is the same):
   0  success
   1  unsupported scheme (https://, ftp://: httpget speaks plain HTTP only)
   2  bad command line
   3  malformed URL
   6  host name not resolved
   7  could not connect (refused, unreachable)
   8  the reply is not HTTP: malformed status line or header, head over 64 KiB
  18  the body ended early (fewer bytes than Content-Length, or no last chunk)
  22  -f and a status of 400 or more
  23  writing the output failed, or a binary body refused on a terminal
  28  timeout (connect, 20 s of silence, or -m)
  47  too many redirects, or a redirect loop (-L)
  52  the server closed without replying
  55  sending the request failed
  56  receiving failed (connection reset)";

/// Fetch URLs over HTTP/1.0, like `curl --http1.0`, showing the bytes when asked.
#[derive(Parser, Debug)]
#[command(name = "httpget", version, after_help = AFTER_HELP)]
struct Cli {
    /// URLs to fetch (http:// may be left out). With none, httpget prompts for URLs.
    urls: Vec<String>,
    /// Include the reply's status line and headers in the output.
    #[arg(short = 'i', long)]
    include: bool,
    /// Send HEAD instead of GET and print the reply's head.
    #[arg(short = 'I', long)]
    head: bool,
    /// Show the request (`> `), the reply's head (`< `) and notes on stderr.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Show each read() from the socket: its size and the time since the request.
    #[arg(long)]
    trace_reads: bool,
    /// Write the body to FILE instead of stdout (`-` is stdout, even on a terminal). Give one
    /// per URL.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Write the body to a file named like the URL's last path segment.
    #[arg(short = 'O', long)]
    remote_name: bool,
    /// Follow redirects (301, 302, 303, 307, 308).
    #[arg(short = 'L', long)]
    location: bool,
    /// How many redirects -L follows in a row.
    #[arg(long, value_name = "NUM", default_value_t = MAX_REDIRECTS)]
    max_redirs: usize,
    /// An extra request header, 'Name: value'; 'Name:' removes a default header.
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = client::parse_header_arg)]
    headers: Vec<(String, String)>,
    /// The User-Agent header to send.
    #[arg(short = 'A', long, value_name = "NAME")]
    user_agent: Option<String>,
    /// Fail (exit code 22, no body written) when the status is 400 or more.
    #[arg(short = 'f', long)]
    fail: bool,
    /// Give up if the whole transfer takes longer than SECONDS.
    #[arg(short = 'm', long, value_name = "SECONDS", value_parser = parse_seconds)]
    max_time: Option<Duration>,
    /// Give up if resolving and connecting take longer than SECONDS [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    connect_timeout: Option<Duration>,
    /// Connect over IPv4 only.
    #[arg(short = '4', long, conflicts_with = "ipv6")]
    ipv4: bool,
    /// Connect over IPv6 only.
    #[arg(short = '6', long)]
    ipv6: bool,
    /// Print nothing but the body (no errors, no progress bar).
    #[arg(short = 's', long)]
    silent: bool,
    /// With -s, still print errors.
    #[arg(short = 'S', long)]
    show_error: bool,
}

/// Reads a time in seconds, fractions allowed, as curl does (`-m 0.5`).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!("{text:?} is not a positive number of seconds"))
    }
}

/// Why a fetch stopped early.
enum Failure {
    /// Something went wrong; the error says what and gives the exit code.
    Get(GetError),
    /// stdout was closed (`httpget URL | head`): nobody is reading, so stop quietly.
    Quiet,
}

impl From<GetError> for Failure {
    fn from(error: GetError) -> Failure {
        Failure::Get(error)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = options(&cli);
    if cli.urls.is_empty() {
        interactive(&cli, &options);
        return ExitCode::SUCCESS;
    }
    let mut exit_code = 0;
    for (index, input) in cli.urls.iter().enumerate() {
        match fetch(&cli, &options, index, input) {
            Ok(()) => {}
            Err(Failure::Quiet) => return ExitCode::SUCCESS,
            Err(Failure::Get(error)) => {
                if !cli.silent || cli.show_error {
                    let _ = writeln!(io::stderr(), "httpget: {error}");
                }
                exit_code = error.exit_code();
            }
        }
    }
    ExitCode::from(exit_code)
}

fn options(cli: &Cli) -> Options {
    let defaults = Options::default();
    Options {
        method: if cli.head { Method::Head } else { Method::Get },
        user_agent: cli.user_agent.clone().unwrap_or(defaults.user_agent),
        headers: cli.headers.clone(),
        connect_timeout: cli.connect_timeout.unwrap_or(CONNECT_TIMEOUT),
        idle_timeout: IDLE_TIMEOUT,
        max_time: cli.max_time,
        family: match (cli.ipv4, cli.ipv6) {
            (true, _) => IpFamily::V4,
            (_, true) => IpFamily::V6,
            _ => IpFamily::Any,
        },
        follow_redirects: cli.location.then_some(cli.max_redirs),
    }
}

/// Where one URL's output goes.
enum Destination {
    /// stdout; `explicit` when the user asked for it with `-o -`.
    Stdout { explicit: bool },
    /// A file, created once the reply's head has arrived.
    File(PathBuf),
}

/// One-shot mode: fetch one URL and write its body where it belongs.
fn fetch(cli: &Cli, options: &Options, index: usize, input: &str) -> Result<(), Failure> {
    let url = client::parse_input(input)?;
    let destination = match cli.output.get(index) {
        Some(path) if path.as_os_str() == "-" => Destination::Stdout { explicit: true },
        Some(path) => Destination::File(path.clone()),
        None if cli.remote_name => match client::remote_file_name(&url) {
            Some(name) => Destination::File(PathBuf::from(name)),
            None => {
                return Err(Failure::Get(GetError::Write(io::Error::other(format!(
                    "-O needs a file name at the end of the URL, and {url} has none"
                )))))
            }
        },
        None => Destination::Stdout { explicit: false },
    };

    let started = Instant::now();
    let mut narrator = Narrator::new(Box::new(io::stderr()), cli.verbose, cli.trace_reads);
    let mut response = client::get(&url, options, &mut narrator)?;
    if cli.fail && response.head.status >= 400 {
        return Err(Failure::Get(GetError::HttpStatus {
            status: response.head.status,
            reason: response.head.reason_or_usual().to_string(),
        }));
    }

    let length = match response.body.framing() {
        Framing::Length(length) => Some(length),
        _ => None,
    };
    let show_progress =
        matches!(destination, Destination::File(_)) && !cli.silent && io::stderr().is_terminal();
    let guard_terminal = matches!(destination, Destination::Stdout { explicit: false })
        && io::stdout().is_terminal();
    let mut output: Box<dyn Write> = match &destination {
        Destination::Stdout { .. } => Box::new(io::stdout().lock()),
        Destination::File(path) => match File::create(path) {
            Ok(file) => Box::new(file),
            Err(error) => {
                return Err(Failure::Get(GetError::Write(io::Error::new(
                    error.kind(),
                    format!("cannot create {}: {error}", path.display()),
                ))))
            }
        },
    };

    if cli.include || cli.head {
        for head in response.redirects.iter().chain([&response.head]) {
            write_out(&mut output, &head.raw)?;
        }
    }
    let mut progress = Progress::new(show_progress, length);
    let copied = copy_body(&mut response, &mut output, guard_terminal, &mut progress);
    progress.finish();
    copied?;
    if let Err(error) = output.flush() {
        return Err(write_failure(error));
    }
    if cli.verbose {
        note_done(&response, started);
    }
    Ok(())
}

/// Copies the body to `output` through one fixed buffer: constant memory for any size.
fn copy_body(
    response: &mut Response<'_>,
    output: &mut dyn Write,
    guard_terminal: bool,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let mut buffer = vec![0; BODY_BUFFER_BYTES];
    let mut first = true;
    loop {
        let count = response.body.read(&mut buffer)?;
        if count == 0 {
            return Ok(());
        }
        let piece = &buffer[..count];
        // Like curl: binary bytes would garble the terminal, so ask for an explicit choice.
        if first && guard_terminal && client::is_binary(response.head.header("Content-Type"), piece)
        {
            return Err(Failure::Get(GetError::Write(io::Error::other(
                "the body is binary and stdout is a terminal; \
                 use -o FILE to save it, or -o - to print it anyway",
            ))));
        }
        first = false;
        write_out(output, piece)?;
        progress.advance(count, response.body.received());
    }
}

fn write_out(output: &mut dyn Write, bytes: &[u8]) -> Result<(), Failure> {
    output.write_all(bytes).map_err(write_failure)
}

fn write_failure(error: io::Error) -> Failure {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Failure::Quiet
    } else {
        Failure::Get(GetError::Write(error))
    }
}

/// The progress display on stderr for a long download to a file: a bar with speed and time
/// left when the length is known, a running count with speed when it is not. Hidden for small
/// bodies, which finish before anyone could read it.
struct Progress {
    allowed: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(allowed: bool, length: Option<u64>) -> Progress {
        let bar = match length {
            Some(length) if allowed && length >= PROGRESS_MIN_BYTES => {
                let bar = ProgressBar::new(length);
                bar.set_style(progress_style(
                    "{bytes:>10}/{total_bytes} [{bar:30}] {bytes_per_sec:>12}, {eta} left",
                ));
                Some(bar)
            }
            _ => None,
        };
        Progress { allowed, bar }
    }

    fn advance(&mut self, count: usize, received: u64) {
        if self.bar.is_none() && self.allowed && received >= PROGRESS_MIN_BYTES {
            // No Content-Length: the size is unknown until the server closes.
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(progress_style(
                "{spinner} {bytes:>10} so far, {bytes_per_sec:>12} (no Content-Length)",
            ));
            spinner.set_position(received - count as u64);
            self.bar = Some(spinner);
        }
        if let Some(bar) = &self.bar {
            bar.inc(count as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn progress_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn note_done(response: &Response<'_>, started: Instant) {
    let _ = writeln!(
        io::stderr(),
        "* {} body bytes received, {} ms in all",
        response.body.received(),
        started.elapsed().as_millis()
    );
}

/// Interactive mode: prompt, fetch, show, again, until an empty line or the end of input.
fn interactive(cli: &Cli, options: &Options) {
    let mut stdout = io::stdout();
    let _ = writeln!(
        stdout,
        "httpget {}: type a URL and press Enter (* means {DEFAULT_URL}); \
         an empty line or Ctrl+D quits.",
        env!("CARGO_PKG_VERSION")
    );
    let mut stdin = io::stdin().lock();
    loop {
        if write!(stdout, "URL: ")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return;
        }
        let mut line = Vec::new();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => {
                let _ = writeln!(stdout);
                return;
            }
            Ok(_) => {}
            Err(_) => return,
        }
        let input = String::from_utf8_lossy(&line);
        let input = input.trim();
        // Typed at a terminal, the line is already on screen; piped in, show it after the prompt.
        if !io::stdin().is_terminal() && writeln!(stdout, "{input}").is_err() {
            return;
        }
        if input.is_empty() {
            return;
        }
        match show(cli, options, input) {
            Ok(()) => {}
            Err(Failure::Quiet) => return,
            Err(Failure::Get(error)) => {
                if writeln!(stdout, "error: {error}").is_err() {
                    return;
                }
            }
        }
    }
}

/// Interactive mode: fetch one URL and show the exchange and the body on stdout.
fn show(cli: &Cli, options: &Options, input: &str) -> Result<(), Failure> {
    let url = client::parse_input(input)?;
    let started = Instant::now();
    let mut narrator = Narrator::new(Box::new(io::stdout()), true, cli.trace_reads);
    let mut response = client::get(&url, options, &mut narrator)?;
    let content_type = response.head.header("Content-Type").map(str::to_string);
    let mut out = io::stdout();
    let mut buffer = vec![0; BODY_BUFFER_BYTES];
    let mut text = TerminalText::new();
    let mut binary = false;
    let mut ends_with_newline = true;
    loop {
        let count = match response.body.read(&mut buffer) {
            Ok(count) => count,
            Err(error) => {
                // The error gets a line of its own, not the end of a half-printed one.
                if !ends_with_newline {
                    write_out(&mut out, b"\n")?;
                }
                return Err(Failure::Get(error));
            }
        };
        if count == 0 {
            break;
        }
        let piece = &buffer[..count];
        if response.body.received() == count as u64 {
            binary = client::is_binary(content_type.as_deref(), piece);
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
    let size = response.body.received();
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

/// Prints what the client reports: `*` notes, `>` request lines, `<` reply lines.
struct Narrator {
    to: Box<dyn Write>,
    verbose: bool,
    trace: bool,
    reads: u64,
}

impl Narrator {
    fn new(to: Box<dyn Write>, verbose: bool, trace: bool) -> Narrator {
        Narrator {
            to,
            verbose,
            trace,
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
            let text = escape_control(line);
            let _ = if text.is_empty() {
                writeln!(self.to, "{prefix}")
            } else {
                writeln!(self.to, "{prefix} {text}")
            };
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

    fn connected(&mut self, address: SocketAddr, took: Duration) {
        if self.verbose {
            let _ = writeln!(
                self.to,
                "* connected to {address} in {:.1} ms",
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
        if self.trace {
            self.reads += 1;
            let _ = writeln!(
                self.to,
                "* read #{}: {bytes} bytes, {:.3} ms after the request",
                self.reads,
                since_request.as_secs_f64() * 1000.0
            );
        }
    }

    fn response_head(&mut self, head: &Head) {
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
