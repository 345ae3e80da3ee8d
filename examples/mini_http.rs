//! # Lesson 8: HTTP in miniature
//!
//! HTTP/1.0 is a TCP conversation in lines of text, and both halves fit on a page:
//!
//! * the **client** asks for a URL, connects to its host and port, sends
//!   `GET /path HTTP/1.0`, a `Host` line and an empty line, and prints everything the server
//!   sends back until it closes the connection: status line, headers, empty line, body;
//! * the **server** reads a request line, skips the headers, opens the file the path names
//!   under `--dir`, and answers `HTTP/1.0 200 OK` with the file, or `404 Not Found`.
//!
//! ```text
//! cargo run --example mini_http -- server --dir www      # 0.0.0.0:6789
//! cargo run --example mini_http -- client                # then type: http://127.0.0.1:6789/index.html
//! curl -v http://127.0.0.1:6789/index.html               # or ask with a browser
//! ```
//!
//! **These are sketches, not tools.** The client understands only `http://host[:port]/path`
//! (no IPv6 literals, no percent-encoding, no redirects) and does not frame the body. The server
//! refuses only a literal `..` in the path: it does not decode `%2e%2e`, does not resolve
//! symbolic links out of the folder, sends no `Content-Type`, and serves one client at a time.
//! For the complete and safe versions, read and use the crate's binaries: `httpget`
//! (`src/client.rs`) and `httpserve` (`src/server.rs`, `src/files.rs`).
//!
//! The server's `-a/--address` and `-p/--port` follow the other lessons; the client takes its
//! host and port from the URL.
//!
//! Try: the client against a real site (`http://example.com/`); a path that does not exist;
//! `telnet 127.0.0.1 6789` and type the request yourself, ending with an empty line.

#[path = "common/mod.rs"]
mod common;

use clap::{Parser, Subcommand};
use common::say;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The longest request line or header line the server reads.
const MAX_LINE: usize = 8 * 1024;

/// The most header lines the server skips before it gives up on a request.
const MAX_HEADERS: usize = 100;

/// The most the client prints of one reply.
const MAX_REPLY: u64 = 100 * 1024 * 1024;

/// HTTP/1.0 in miniature: a GET client and a one-file-per-request server.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Serve the files of a folder, one request per connection.
    Server {
        /// The address to listen on.
        #[arg(short, long, default_value = common::SERVER_ADDRESS)]
        address: String,
        /// The port, 1024-65535, or 0 to let the OS choose (it prints the port).
        #[arg(short, long, default_value_t = 6789, value_parser = common::parse_port)]
        port: u16,
        /// The folder whose files are served.
        #[arg(short, long, default_value = ".")]
        dir: PathBuf,
    },
    /// Ask for a URL on stdin, GET it, print the reply.
    Client,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    common::run(|| match &cli.role {
        Role::Server { address, port, dir } => server(address, *port, dir),
        Role::Client => client(),
    })
}

// ---- the client -------------------------------------------------------------------------

fn client() -> Result<(), String> {
    let url = match common::ask("URL: ")? {
        Some(url) => url.trim().to_string(),
        None => return Err("no URL: stdin ended".to_string()),
    };
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("{url:?} does not start with http://"));
    };
    // "host:port/path": the authority ends where the path begins.
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(port) => (host, port),
            Err(_) => return Err(format!("{port:?} is not a port")),
        },
        None => (authority, 80), // HTTP's well-known port
    };
    let server = common::resolve(host, port)?;
    let mut connection = common::connect_tcp(server, common::REPLY_TIMEOUT)?;
    // The whole request: a request line, one header, and an empty line that ends the head.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    if let Err(error) = connection.write_all(request.as_bytes()) {
        return Err(format!("cannot send the request: {error}"));
    }
    // HTTP/1.0: the server closes the connection when the reply is complete.
    let mut stdout = io::stdout().lock();
    match io::copy(&mut connection.take(MAX_REPLY), &mut stdout) {
        Ok(_) => Ok(()),
        Err(error) => Err(format!("reading the reply failed: {error}")),
    }
}

// ---- the server -------------------------------------------------------------------------

fn server(address: &str, port: u16, dir: &Path) -> Result<(), String> {
    common::stop_on_ctrl_c()?;
    let listener = common::listen_tcp(common::resolve(address, port)?)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        match answer(&connection, dir) {
            Ok(status) => say!("{peer}: answered {status}"),
            Err(error) => say!("{peer}: {error}"),
        }
    }
}

/// Reads one request and sends one reply; returns the status that was sent.
fn answer(connection: &TcpStream, dir: &Path) -> io::Result<&'static str> {
    common::set_timeouts(connection, common::CLIENT_TIMEOUT).map_err(io::Error::other)?;
    let mut reader = BufReader::new(connection);
    let request_line = common::read_line(&mut reader, MAX_LINE)?.unwrap_or_default();
    // The headers must be read even though we ignore them: closing a socket with unread
    // data makes the kernel reset the connection, and the client could lose our reply.
    for _ in 0..MAX_HEADERS {
        match common::read_line(&mut reader, MAX_LINE)? {
            Some(line) if !line.is_empty() => continue,
            _ => break,
        }
    }
    let mut words = request_line.split_whitespace();
    let path = match (words.next(), words.next()) {
        (Some("GET"), Some(path)) => path.trim_start_matches('/'),
        _ => return send_text(connection, "400 Bad Request", "only GET /path HTTP/1.0\n"),
    };
    if path.split('/').any(|part| part == "..") {
        return send_text(connection, "404 Not Found", "not found\n");
    }
    let file = match File::open(dir.join(path)) {
        Ok(file) if file.metadata()?.is_file() => file,
        _ => return send_text(connection, "404 Not Found", "not found\n"),
    };
    let head = format!(
        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
        file.metadata()?.len()
    );
    let mut writer = connection;
    writer.write_all(head.as_bytes())?;
    io::copy(&mut &file, &mut writer)?; // the file goes to the socket piece by piece
    Ok("200 OK")
}

/// Sends a status line, a `Content-Length` header, the empty line, and a short text body.
fn send_text(
    mut connection: &TcpStream,
    status: &'static str,
    body: &str,
) -> io::Result<&'static str> {
    let reply = format!(
        "HTTP/1.0 {status}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    connection.write_all(reply.as_bytes())?;
    Ok(status)
}
