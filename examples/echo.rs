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

use clap::{Parser, Subcommand};
use common::say;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// How much the server reads at a time, and the largest UDP datagram either side receives.
const BUFFER_SIZE: usize = 1024;

/// The most a TCP client reads back: its message cannot be longer than what it was given on
/// the command line, but the server could misbehave.
const MAX_ECHO: u64 = 1024 * 1024;

/// How long a UDP client waits for its echo.
const UDP_REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// Echo: the server sends back exactly what it receives.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    role: Role,
    /// Server: the address to listen on [default: 0.0.0.0]. Client: the server's address
    /// [default: 127.0.0.1].
    #[arg(short, long, global = true)]
    address: Option<String>,
    /// The port, 1024-65535; a server may use 0 to let the OS choose (it prints the port).
    #[arg(short, long, global = true, default_value_t = 5006, value_parser = common::parse_port)]
    port: u16,
    /// Use UDP instead of TCP.
    #[arg(short, long, global = true)]
    udp: bool,
}

#[derive(Subcommand)]
enum Role {
    /// Send back every byte received.
    Server,
    /// Send a message and print its echo.
    Client {
        /// What to send.
        #[arg(default_value = "Hello World")]
        message: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    common::run(|| match (&cli.role, cli.udp) {
        (Role::Server, false) => tcp_server(&cli),
        (Role::Server, true) => udp_server(&cli),
        (Role::Client { message }, false) => tcp_client(&cli, message),
        (Role::Client { message }, true) => udp_client(&cli, message),
    })
}

fn tcp_server(cli: &Cli) -> Result<(), String> {
    common::stop_on_ctrl_c()?;
    let address = common::server_address(cli.address.as_deref(), cli.port)?;
    let listener = common::listen_tcp(address)?;
    loop {
        let (connection, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                say!("accept failed: {error}");
                continue;
            }
        };
        say!("connection from {peer}");
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

fn tcp_client(cli: &Cli, message: &str) -> Result<(), String> {
    let server = common::client_address(cli.address.as_deref(), cli.port)?;
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

fn udp_server(cli: &Cli) -> Result<(), String> {
    common::stop_on_ctrl_c()?;
    let address = common::server_address(cli.address.as_deref(), cli.port)?;
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let (size, sender) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            Err(error) => {
                common::say_receive_failed(&error);
                continue;
            }
        };
        say!("datagram of {} from {sender}", common::plural(size, "byte"));
        common::send_reply(&socket, &buffer[..size], size, sender);
    }
}

fn udp_client(cli: &Cli, message: &str) -> Result<(), String> {
    let server = common::client_address(cli.address.as_deref(), cli.port)?;
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
