//! httpget's command line, in one place: `httpget [OPTIONS] URL...` and each line typed at the
//! prompt are read by this one parser ([`parse_args`]), so a flag means the same in both.
//!
//! The binary (`src/bin/httpget.rs`) asks [`parse_args`] for its arguments; the prompt asks it
//! again for every line, the program's own flags first and the line's words after them
//! (`prompt/line.rs`). [`Args::options`] turns what was parsed into the request's [`Options`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use super::{
    form_body, star_from_env, DataArg, GetError, IpFamily, Method, Options, CONNECT_TIMEOUT,
    IDLE_TIMEOUT, MAX_REDIRECTS, REPLY_HEAD_TIMEOUT,
};

/// What `--help` says after the flags: the prompt, the time limits, the exit codes.
pub const AFTER_HELP: &str = "\
With no URL, httpget prompts. A line is a URL, a path (/notes.txt, a link on the page
fetched last), a request line (GET /notes.txt HTTP/1.0), or * (http://127.0.0.1:8080/), with
these flags first if you like, for that line only. On a terminal: line editing, history kept
in ~/.httpget_history (HTTPGET_HISTORY=FILE moves it, empty turns it off), Ctrl+C stops a
fetch, a long body stops after one screen; an empty line or Ctrl+D quits.

Environment: HTTPGET_STAR=http://192.0.2.2:8085/ makes * mean that server instead (the
teacher's laptop in a classroom), at the prompt and in URLs given on the command line.

Time limits: --connect-timeout (default 10 s) for resolving and connecting, --head-timeout
(default 30 s) for the reply's status line and headers, and 20 s without receiving a single
byte, always; -m/--max-time for the whole transfer when given.

Exit codes (curl's where the situation is the same):
   0  success
   1  unsupported scheme (https://, ftp://: httpget speaks plain HTTP only), or a reply
      without a status line (not HTTP) and no --http0.9
   2  bad command line (or an HTTPGET_STAR that is not an http:// URL)
   3  malformed URL
   6  host name not resolved
   7  could not connect (refused, unreachable)
   8  the reply is not HTTP: malformed status line or header, head over 64 KiB
  18  the body ended early (fewer bytes than Content-Length, or no last chunk)
  22  -f and a status of 400 or more
  23  writing the output failed, or a binary body refused on a terminal
  26  a data file (-d @FILE) or a format file (-w @FILE) could not be read
  28  timeout (connect, the reply's head, 20 s of silence, or -m)
  47  too many redirects, or a redirect loop (-L)
  52  the server closed without replying
  55  sending the request failed
  56  receiving failed (connection reset)";

/// Fetch URLs over HTTP/1.0, like `curl --http1.0`, showing the bytes when asked.
#[derive(Parser, Debug)]
#[command(name = "httpget", version, after_help = AFTER_HELP, args_override_self = true)]
pub struct Cli {
    /// URLs to fetch (http:// may be left out). With none, httpget prompts for URLs.
    pub urls: Vec<String>,
    /// Include the reply's status line and headers in the output.
    #[arg(short = 'i', long)]
    pub include: bool,
    /// Send HEAD instead of GET and print the reply's head.
    #[arg(short = 'I', long, conflicts_with_all = ["data", "data_binary", "data_urlencode"])]
    pub head: bool,
    /// POST DATA as a form field (Content-Type: application/x-www-form-urlencoded); @FILE reads
    /// a file without its line breaks; several are joined with '&'.
    #[arg(short = 'd', long, value_name = "DATA")]
    pub data: Vec<String>,
    /// Like -d, but @FILE is sent byte for byte.
    #[arg(long, value_name = "DATA")]
    pub data_binary: Vec<String>,
    /// Like -d, percent-encoded: 'text', 'name=text', '=text', '@FILE' or 'name@FILE'.
    #[arg(long, value_name = "DATA")]
    pub data_urlencode: Vec<String>,
    /// The method word for the request line (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD", value_parser = super::parse_method_arg)]
    pub method_name: Option<String>,
    /// Show the request (`> `), the reply's head (`< `) and notes on stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Show each read() from the socket: its size and the time since the request.
    #[arg(long)]
    pub trace_reads: bool,
    /// After each transfer, print FORMAT with curl's variables filled in: %{http_code},
    /// %{time_total}, %{json}, %header{name}… (the README lists them); @FILE reads the format
    /// from a file, @- from stdin.
    #[arg(short = 'w', long, value_name = "FORMAT")]
    pub write_out: Option<String>,
    /// End with the timing view (DNS, connect, request, waiting, download) on stderr, even when
    /// stderr is not a terminal (-v shows it on a terminal).
    #[arg(long)]
    pub timing: bool,
    /// Write the body to FILE instead of stdout (`-` is stdout, even on a terminal). Give one
    /// per URL.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Write the body to a file named like the URL's last path segment.
    #[arg(short = 'O', long)]
    pub remote_name: bool,
    /// Follow redirects (301, 302, 303, 307, 308).
    #[arg(short = 'L', long)]
    pub location: bool,
    /// Like -L, and send Authorization and Cookie headers (-H) to every host a redirect leads
    /// to (by default they go to the first URL's host only).
    #[arg(long)]
    pub location_trusted: bool,
    /// How many redirects -L follows in a row.
    #[arg(long, value_name = "NUM", default_value_t = MAX_REDIRECTS)]
    pub max_redirs: usize,
    /// An extra request header, 'Name: value'; 'Name:' removes a default header.
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = super::parse_header_arg)]
    pub headers: Vec<(String, String)>,
    /// The User-Agent header to send.
    #[arg(short = 'A', long, value_name = "NAME", value_parser = |name: &str| super::parse_header_value("User-Agent", name))]
    pub user_agent: Option<String>,
    /// Fail (exit code 22, no body written) when the status is 400 or more.
    #[arg(short = 'f', long)]
    pub fail: bool,
    /// Give up if the whole transfer takes longer than SECONDS.
    #[arg(short = 'm', long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub max_time: Option<Duration>,
    /// Give up if the reply's status line and headers are not all in within SECONDS of the
    /// request [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub head_timeout: Option<Duration>,
    /// Give up if resolving and connecting take longer than SECONDS [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub connect_timeout: Option<Duration>,
    /// Connect over IPv4 only.
    #[arg(short = '4', long, conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Connect over IPv6 only.
    #[arg(short = '6', long)]
    pub ipv6: bool,
    /// Print nothing but the body (no errors, no progress bar).
    #[arg(short = 's', long)]
    pub silent: bool,
    /// With -s, still print errors.
    #[arg(short = 'S', long)]
    pub show_error: bool,
    /// Accept a reply without a status line as an HTTP/0.9 body (refused by default, as curl does).
    #[arg(long = "http0.9")]
    pub http09: bool,
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

/// A parsed command line: the flags, and the request bodies in the order they were given.
#[derive(Debug)]
pub struct Args {
    /// The flags and URLs.
    pub cli: Cli,
    /// `-d`, `--data-binary` and `--data-urlencode`, in their order on the line.
    pub data: Vec<DataArg>,
}

/// Parses a command line (`args` without the program's name), with the parser `--help` shows.
///
/// `--help`, `--version` and every mistake come back as clap's error, which knows how to print
/// itself ([`clap::Error::exit`] for the binary, one line at the prompt).
pub fn parse_args<I, T>(args: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let words = std::iter::once(OsString::from("httpget")).chain(args.into_iter().map(Into::into));
    let matches = Cli::command().try_get_matches_from(words)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let data = data_in_order(&cli, &matches);
    Ok(Args { cli, data })
}

impl Args {
    /// The request's options: the flags, and a POST body when `-d` and its kin gave one.
    pub fn options(&self) -> Result<Options, GetError> {
        let mut options = options(&self.cli);
        options.star = star_from_env()?;
        if !self.data.is_empty() {
            options.method = Method::Post;
            options.body = Some(form_body(&self.data)?);
        }
        Ok(options)
    }
}

/// The -d, --data-binary and --data-urlencode arguments in the order they were given: curl joins
/// them in that order.
fn data_in_order(cli: &Cli, matches: &ArgMatches) -> Vec<DataArg> {
    let mut data: Vec<(usize, DataArg)> = Vec::new();
    let mut collect = |id: &str, values: &[String], make: fn(String) -> DataArg| {
        let indices = matches.indices_of(id).into_iter().flatten();
        for (index, value) in indices.zip(values) {
            data.push((index, make(value.clone())));
        }
    };
    collect("data", &cli.data, DataArg::Data);
    collect("data_binary", &cli.data_binary, DataArg::Binary);
    collect("data_urlencode", &cli.data_urlencode, DataArg::UrlEncode);
    data.sort_by_key(|(index, _)| *index);
    data.into_iter().map(|(_, arg)| arg).collect()
}

/// The request's options from the flags alone (no body: [`Args::options`] adds that).
pub fn options(cli: &Cli) -> Options {
    let defaults = Options::default();
    Options {
        method: if cli.head { Method::Head } else { Method::Get },
        method_name: cli.method_name.clone(),
        body: None,
        user_agent: cli.user_agent.clone().unwrap_or(defaults.user_agent),
        headers: cli.headers.clone(),
        connect_timeout: cli.connect_timeout.unwrap_or(CONNECT_TIMEOUT),
        idle_timeout: IDLE_TIMEOUT,
        head_timeout: cli.head_timeout.unwrap_or(REPLY_HEAD_TIMEOUT),
        max_time: cli.max_time,
        family: match (cli.ipv4, cli.ipv6) {
            (true, _) => IpFamily::V4,
            (_, true) => IpFamily::V6,
            _ => IpFamily::Any,
        },
        follow_redirects: (cli.location || cli.location_trusted).then_some(cli.max_redirs),
        location_trusted: cli.location_trusted,
        allow_http09: cli.http09,
        star: defaults.star,
        cancel: defaults.cancel,
    }
}
