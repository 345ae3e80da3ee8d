//! # Lesson 1: a first TCP client and server
//!
//! The client reads one line from the keyboard, connects, sends it, prints the server's reply
//! and closes. The server answers every connection with the line in capitals and closes that
//! connection, but not its listening socket: it goes back to `accept` and waits for the next.
//!
//! Two sockets on the server's side are the point of the lesson: the *listening* socket only
//! takes new connections; each `accept` returns a *connected* socket for one client.
//!
//! ```text
//! cargo run --example tcp_uppercase -- server            # listens on 0.0.0.0:12000
//! cargo run --example tcp_uppercase -- client            # type a line, get it back in capitals
//! cargo run --example tcp_uppercase -- client -a 192.168.1.20 -p 12000
//! ```
//!
//! Try: run the client with no server (the OS refuses the connection at once); run two clients
//! one after the other and watch the server print each one's address and port (a new port each
//! time: the client's OS picks it); a line over 2048 bytes, which the server refuses in a line
//! of its own; stop the server with Ctrl+C.

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

/// The longest line the server reads, its `\n` included. A longer one is refused with one line,
/// `error: line longer than the limit of 2048 bytes` (no answer in capitals can start with small
/// letters), after which the server closes gracefully: see `common::close_gracefully`.
const MAX_LINE: usize = 2048;

/// The longest reply the client reads: capitals can take more bytes than the small letters
/// (`ß` becomes `SS`, `ΐ` becomes three characters), at most three times as many.
const MAX_REPLY: usize = 3 * MAX_LINE;

fn main() -> ExitCode {
    common::plain_lesson(
        &common::Lesson {
            about: "The first TCP lesson: a line goes to the server and comes back in capitals.",
            port: "12000",
            server: "Answer each connection with its line in capitals.",
            client: "Send one line from stdin and print the reply.",
        },
        server,
        client,
    )
}

fn server(address: SocketAddr) -> Result<(), String> {
    let listener = common::listen_tcp(address)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        if let Err(error) = answer(connection) {
            say!("{peer}: {error}");
        }
        // `connection` was moved into `answer` and dropped there, which closed it.
    }
}

/// Reads one line from the client, sends it back in capitals; the connection closes when this
/// function returns and drops it.
fn answer(connection: TcpStream) -> Result<(), String> {
    common::set_timeouts(&connection, common::CLIENT_TIMEOUT)?;
    let mut reader = BufReader::new(&connection);
    let line = match common::read_line(&mut reader, MAX_LINE) {
        Ok(Some(line)) => line,
        Ok(None) => return Err("closed without sending a line".to_string()),
        Err(error) if common::is_too_long(&error) => {
            common::refuse(&connection, &error.to_string());
            return Err(format!("{error}: told the client, and closed"));
        }
        Err(error) => return Err(format!("cannot read the line: {error}")),
    };
    let reply = format!("{}\n", line.to_uppercase());
    let mut writer = &connection;
    match writer.write_all(reply.as_bytes()) {
        Ok(()) => Ok(()),
        Err(error) => Err(format!("cannot send the reply: {error}")),
    }
}

fn client(server: SocketAddr) -> Result<(), String> {
    let line = match common::ask("Input lowercase sentence: ")? {
        Some(line) => line,
        None => return Err("no sentence to send: stdin ended".to_string()),
    };
    let mut connection = common::connect_tcp(server, common::REPLY_TIMEOUT)?;
    // The newline tells the server where the sentence ends: TCP itself carries no boundaries.
    if let Err(error) = connection.write_all(format!("{line}\n").as_bytes()) {
        return Err(format!("cannot send to {server}: {error}"));
    }
    // The server closes after its reply, so "everything until the close" is the reply.
    let mut reply = Vec::new();
    let mut limited = (&connection).take(MAX_REPLY as u64);
    match limited.read_to_end(&mut reply) {
        Ok(_) => {}
        Err(error) if common::is_timeout(&error) => {
            return Err(format!(
                "no reply from {server} within {} s",
                common::REPLY_TIMEOUT.as_secs()
            ))
        }
        Err(error) => return Err(format!("no reply from {server}: {error}")),
    }
    let reply = String::from_utf8_lossy(&reply);
    if let Some(reason) = reply.strip_prefix(common::REFUSAL) {
        return Err(format!("{server} refused the line: {}", reason.trim_end()));
    }
    say!("From server: {}", reply.trim_end());
    Ok(())
}
