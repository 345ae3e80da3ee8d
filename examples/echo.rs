//! # Lesson 5: echo, over TCP and over UDP
//!
//! The simplest service there is: the server sends back exactly the bytes it received, not
//! one more or less. It is how you check that a path through the network works, and the two
//! transports side by side show their difference in a few lines each:
//!
//! * TCP: the server `accept`s a connection and echoes every read (up to [`BUFFER_SIZE`] bytes
//!   at a time) until the client closes its side; the client sends its message, closes its
//!   sending side (`shutdown(Write)`: "I have nothing more to say") and reads until the server
//!   closes too. The echo may come back in other pieces than it was sent: only the bytes count.
//! * UDP (`--udp`): one datagram in, the same datagram back, to the address it came from:
//!   never a byte more than came in, which matters (see `udp_uppercase.rs`).
//!
//! ```text
//! cargo run --example echo -- server                     # TCP, 0.0.0.0:5006
//! cargo run --example echo -- client                     # sends "Hello World"
//! cargo run --example echo -- client "any other text"
//! cargo run --example echo -- server --udp               # the same over UDP
//! cargo run --example echo -- client --udp
//! ```
//!
//! Try: a TCP client with no server, then a UDP client with no server; run the TCP server and
//! the UDP server at once (same port number, different protocols: no conflict).

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// How much the server reads at a time, and the largest UDP datagram either side receives.
const BUFFER_SIZE: usize = 1024;

/// The most a TCP client reads back: its message cannot be longer than what it was given on
/// the command line, but the server could misbehave.
const MAX_ECHO: u64 = 1024 * 1024;

/// How long a UDP client waits for its echo.
const UDP_REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// `client`'s own argument.
#[derive(clap::Args)]
struct Message {
    /// What to send.
    #[arg(default_value = "Hello World")]
    message: String,
}

fn main() -> ExitCode {
    common::lesson(
        &common::Lesson {
            about: "Echo: the server sends back exactly what it receives.",
            port: "5006",
            server: "Send back every byte received.",
            client: "Send a message and print its echo.",
        },
        |address, common::NoOptions {}, transport: common::Transport| match transport.udp {
            false => tcp_server(address),
            true => udp_server(address),
        },
        |server, Message { message }, transport: common::Transport| match transport.udp {
            false => tcp_client(server, &message),
            true => udp_client(server, &message),
        },
    )
}

fn tcp_server(address: SocketAddr) -> Result<(), String> {
    let listener = common::listen_tcp(address)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        match echo_connection(connection) {
            Ok(total) => say!("{peer}: echoed {}", common::plural(total, "byte")),
            Err(error) => say!("{peer}: {error}"),
        }
    }
}

/// Echoes one connection until the client closes its side; returns how many bytes went back.
fn echo_connection(mut connection: TcpStream) -> Result<usize, String> {
    common::set_timeouts(&connection, common::CLIENT_TIMEOUT)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    let mut total = 0;
    loop {
        let size = match common::read_some(&mut connection, &mut buffer) {
            Ok(0) => return Ok(total), // the client has closed its sending side
            Ok(size) => size,
            Err(error) => return Err(format!("cannot read: {error}")),
        };
        if let Err(error) = connection.write_all(&buffer[..size]) {
            return Err(format!("cannot echo: {error}"));
        }
        total += size;
    }
}

fn tcp_client(server: SocketAddr, message: &str) -> Result<(), String> {
    let mut connection = common::connect_tcp(server, common::REPLY_TIMEOUT)?;
    if let Err(error) = connection.write_all(message.as_bytes()) {
        return Err(format!("cannot send to {server}: {error}"));
    }
    // Without this the server would wait for more, and we would wait for the server.
    if let Err(error) = connection.shutdown(Shutdown::Write) {
        return Err(format!("cannot close the sending side: {error}"));
    }
    let mut echo = Vec::new();
    if let Err(error) = connection.take(MAX_ECHO).read_to_end(&mut echo) {
        return Err(format!("no echo from {server}: {error}"));
    }
    say!("Received: {}", String::from_utf8_lossy(&echo));
    Ok(())
}

fn udp_server(address: SocketAddr) -> Result<(), String> {
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let Some((size, sender)) = common::received(socket.recv_from(&mut buffer)) else {
            continue;
        };
        say!("datagram of {} from {sender}", common::plural(size, "byte"));
        common::send_reply(&socket, &buffer[..size], size, sender);
    }
}

fn udp_client(server: SocketAddr, message: &str) -> Result<(), String> {
    let socket = common::udp_client(server, UDP_REPLY_TIMEOUT)?;
    if let Err(error) = socket.send_to(message.as_bytes(), server) {
        return Err(format!("cannot send to {server}: {error}"));
    }
    let mut buffer = [0u8; BUFFER_SIZE];
    match socket.recv_from(&mut buffer) {
        Ok((size, _sender)) => {
            say!("Received: {}", String::from_utf8_lossy(&buffer[..size]));
            Ok(())
        }
        Err(error) if common::is_timeout(&error) => Err(format!(
            "no echo from {server} within {} s: lost, or no server listening (UDP does not tell)",
            UDP_REPLY_TIMEOUT.as_secs()
        )),
        Err(error) => Err(format!("no echo from {server}: {error}")),
    }
}
