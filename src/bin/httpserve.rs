//! `httpserve [PORT] [--dir DIR] [--bind ADDR]`: serve a folder over HTTP/1.0.
//!
//! This file only reads the command line and prints; the server is `http10::server`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http10::server::{
    addresses, file_cache, Config, LogLevel, Server, Timeouts, BODY_TIMEOUT, BUSY_HEAD_TIMEOUT,
    KEEP_ALIVE_TIMEOUT, REQUEST_HEAD_TIMEOUT, SHUTDOWN_GRACE,
};

/// A small, safe static-file server speaking HTTP/1.0, with /upper and /echo routes.
#[derive(Parser, Debug)]
#[command(
    name = "httpserve",
    version,
    after_help = "Examples:\n  httpserve                 serve the current folder on port 8080\n  \
                  httpserve 8080 --dir www  serve www/ on port 8080\n  \
                  httpserve 0 -b 127.0.0.1  any free port, this machine only\n\n\
                  Ctrl+C stops: it says how many responses are still going and waits for them \
                  (--shutdown-grace); a second Ctrl+C stops at once.\n\n\
                  Exit status: 0 stopped with Ctrl+C (a second Ctrl+C stops at once, also 0); \
                  1 could not start (port in use, no \
                  permission, missing folder, a --bind name with no address); 2 bad arguments."
)]
struct Args {
    /// Port to listen on; 0 lets the system choose a free one [default: 8080]
    #[arg(value_name = "PORT")]
    port: Option<u16>,

    /// The port, as an option (the socket lessons in examples/ take -p too)
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORT",
        conflicts_with = "port"
    )]
    port_option: Option<u16>,

    /// Folder to serve.
    #[arg(short, long, visible_alias = "directory", default_value = ".")]
    dir: PathBuf,

    /// Address or host name to listen on, such as 127.0.0.1, ::1, :: or localhost [default: all interfaces]
    #[arg(short, long, value_name = "ADDR")]
    bind: Option<String>,

    /// Connections open at once; when full, the one waiting longest for a request makes room, or a new one gets 503 [default: 4096, fewer if the open-file limit is low]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: Option<u64>,

    /// Event loops, each a thread serving many connections [default: one per core, less one for the clients]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,

    /// Seconds a client has to send a whole request head, from its first byte
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = Seconds(REQUEST_HEAD_TIMEOUT))]
    head_timeout: Seconds,

    /// The same while the server is busy (its connection table three quarters full)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = Seconds(BUSY_HEAD_TIMEOUT))]
    busy_head_timeout: Seconds,

    /// Seconds a client has to send a request body (POST), once its head has arrived
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = Seconds(BODY_TIMEOUT))]
    body_timeout: Seconds,

    /// Seconds a kept-alive connection may sit idle between requests
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = Seconds(KEEP_ALIVE_TIMEOUT))]
    keep_alive_timeout: Seconds,

    /// Seconds Ctrl+C waits for the responses in flight before cutting them off
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = Seconds(SHUTDOWN_GRACE))]
    shutdown_grace: Seconds,

    /// Do not keep small files between requests (open and read each file for every request)
    #[arg(long)]
    no_cache: bool,

    /// Turn off the /upper and /echo routes (serve files of those names instead).
    #[arg(long)]
    no_routes: bool,

    /// Serve and list hidden names, those beginning with '.' (.git, .env, .well-known); without it they answer 404, as if absent, at any depth
    #[arg(long)]
    show_hidden: bool,

    /// No access log.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Also log connections opening and closing, and each request head.
    #[arg(short, long)]
    verbose: bool,
    /// Show every connection live on the page /_live (for a projector).
    #[arg(long)]
    live: bool,
}

fn main() -> ExitCode {
    install_panic_hook();
    let args = Args::parse();
    let log = if args.quiet {
        LogLevel::Quiet
    } else if args.verbose {
        LogLevel::Verbose
    } else {
        LogLevel::Access
    };
    let config = Config {
        bind: args.bind,
        port: args.port.or(args.port_option).unwrap_or(8080),
        dir: args.dir,
        max_connections: args.max_connections.map_or(0, |n| n as usize),
        threads: args.threads.map_or(0, usize::from),
        routes_enabled: !args.no_routes,
        show_hidden: args.show_hidden,
        file_cache: !args.no_cache,
        log,
        live: args.live,
        timeouts: Timeouts {
            head: args.head_timeout.0,
            busy_head: args.busy_head_timeout.0,
            body: args.body_timeout.0,
            keep_alive: args.keep_alive_timeout.0,
            shutdown_grace: args.shutdown_grace.0,
            ..Timeouts::default()
        },
    };
    let server = match Server::bind(&config) {
        Ok(server) => server,
        Err(error) => {
            complain(&format!("httpserve: {error}"));
            return ExitCode::FAILURE;
        }
    };

    let shutdown = server.shutdown_handle();
    let stopped_now = shutdown.clone();
    let mut interrupts = 0;
    let on_interrupt = move || {
        interrupts += 1;
        match interrupts {
            // At once, what it waits for, how long, and how not to. stdout is taken first, so
            // that this line comes before the last one even when nothing was in flight and
            // the server stops before the loops' count reaches this thread.
            1 => {
                let mut stdout = std::io::stdout().lock();
                let stopping = shutdown.stop();
                let _ = writeln!(stdout, "httpserve: {stopping}");
                let _ = stdout.flush();
            }
            // "Now": the loops cut the responses off, each logged with the bytes that went,
            // and `run` returns. Still a stop the user asked for, so still status 0.
            2 => shutdown.stop_now(),
            // The loops did not end after the second: the user insists.
            _ => std::process::exit(0),
        }
    };
    if let Err(error) = ctrlc::set_handler(on_interrupt) {
        complain(&format!(
            "httpserve: cannot catch Ctrl+C ({error}); stop with kill"
        ));
    }

    let addr = server.local_addr();
    let interfaces = if addr.ip().is_unspecified() {
        " (all interfaces)"
    } else {
        ""
    };
    say(&format!(
        "Serving HTTP on {}{interfaces} port {} ({}) from {} — press Ctrl+C to stop",
        addr.ip(),
        addr.port(),
        server.local_url(),
        server.root().display()
    ));
    say_where_to_connect(server.local_addr());
    if config.live {
        say(&format!(
            "  live view (for the projector): {}_live",
            server.local_url()
        ));
    }

    if args.verbose {
        say(&format!(
            "httpserve: up to {} connections at once, {} event loop(s), file cache {}",
            server.max_connections(),
            server.threads(),
            if config.file_cache && file_cache::WORKS_HERE {
                "on"
            } else if config.file_cache {
                "off (this OS gives no inode numbers to check a hit by)"
            } else {
                "off (--no-cache)"
            }
        ));
    }

    let stopped = server.run();
    if stopped_now.stopped_now() {
        say(&format!(
            "httpserve: stopped at once (second Ctrl+C); {} response(s) in flight were cut off, \
             each logged with the bytes that went",
            stopped.cut_off
        ));
    } else if stopped.cut_off == 0 {
        say("httpserve: stopped; every response in flight was finished");
    } else {
        say(&format!(
            "httpserve: stopped; {} connection(s) still open were closed",
            stopped.cut_off
        ));
    }
    ExitCode::SUCCESS
}

/// One line per URL a client can use, LAN addresses first: the class needs those, not the
/// loopback address of the first line.
fn say_where_to_connect(bound: std::net::SocketAddr) {
    let interfaces = match addresses::interface_addresses() {
        Ok(interfaces) => interfaces,
        Err(error) => {
            complain(&format!(
                "httpserve: cannot list this computer's addresses ({error}); \
                 ask `ip addr` or `ipconfig` for the one to give the class"
            ));
            return;
        }
    };
    for reachable in addresses::urls_for(bound, &interfaces) {
        let reach = format!("{}:", reachable.reach);
        say(&format!("  {reach:<24} {}", reachable.url));
    }
}

/// A time limit given in seconds on the command line: `60`, or `0.5` (tests use short ones).
#[derive(Debug, Clone, Copy)]
struct Seconds(Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

fn parse_seconds(text: &str) -> Result<Seconds, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(0.01..=86_400.0).contains(&seconds) {
        return Err("give between 0.01 and 86400 seconds".to_string());
    }
    Ok(Seconds(Duration::from_secs_f64(seconds)))
}

/// Prints a line on stdout and flushes it (stdout may be a pipe, as in the tests). A closed
/// stdout is not a reason to stop serving.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// Prints a line on stderr. An stderr that cannot be written (a full disk, a closed pipe) must
/// not turn an error into a crash: `eprintln!` would panic.
fn complain(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A bug must still end as one line, not a backtrace in front of the class.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let place = info
            .location()
            .map(|location| format!(" at {}:{}", location.file(), location.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "httpserve: internal error: {message}{place}"
        );
    }));
}
