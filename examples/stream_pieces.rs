//! # Exercise 3.4: TCP is a byte stream, not a series of messages
//!
//! The client sends 100 characters with one `write` each — 100 separate sends of one byte. The
//! server prints the size of every `read` it gets and, when the client closes, the total.
//! The total is always 100. Without a pause, the reads are rarely 100 of 1: some take one byte,
//! some dozens, and the split changes from run to run. TCP guarantees the bytes and their order,
//! nothing about how they are grouped: the receiving kernel hands a `read` everything that has
//! arrived since the last one, and the sending kernel may gather small writes into one segment
//! (Nagle's algorithm holds them back while an earlier segment is unacknowledged).
//! That is why every protocol over TCP marks its own boundaries: a newline in `persistent.rs`,
//! a `Content-Length` or the end of the connection in HTTP.
//!
//! ```text
//! cargo run --example stream_pieces -- server            # 0.0.0.0:12000
//! cargo run --example stream_pieces -- client            # 100 writes as fast as possible
//! cargo run --example stream_pieces -- client --pause-ms 5
//! cargo run --example stream_pieces -- client --nodelay
//! ```
//!
//! Try: no pause, several times (the pieces change); `--pause-ms 5` (each byte has arrived on
//! its own before the next is written: 100 reads of 1); `--nodelay` (turns Nagle's algorithm
//! off: every write leaves at once as its own segment); the server on another machine, where
//! the network's delays join and split the pieces further.

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

/// How many one-byte writes the client makes.
const CHARACTERS: usize = 100;

/// The most the server takes in one `read`.
const BUFFER_SIZE: usize = 1024;

/// `client`'s own options.
#[derive(clap::Args)]
struct ClientOptions {
    /// Pause this many milliseconds after each write.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pause_ms: u64,
    /// Turn off Nagle's algorithm (TCP_NODELAY): send every write at once.
    #[arg(long)]
    nodelay: bool,
}

fn main() -> ExitCode {
    common::lesson(
        &common::Lesson {
            about: "Exercise 3.4: count the reads that 100 one-byte writes become.",
            port: "12000",
            server: "Print the size of every read, then the total.",
            client: "Send 100 characters, one write each.",
        },
        |address, common::NoOptions {}, common::NoOptions {}| server(address),
        |server, options: ClientOptions, common::NoOptions {}| {
            client(
                server,
                Duration::from_millis(options.pause_ms),
                options.nodelay,
            )
        },
    )
}

fn server(address: SocketAddr) -> Result<(), String> {
    let listener = common::listen_tcp(address)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        match count_reads(connection) {
            Ok((reads, total)) => say!(
                "total: {} in {}",
                common::plural(total, "byte"),
                common::plural(reads, "read")
            ),
            Err(error) => say!("{peer}: {error}"),
        }
    }
}

/// Reads until the client closes, printing each read's size; returns the reads and the bytes.
fn count_reads(mut connection: TcpStream) -> Result<(usize, usize), String> {
    common::set_timeouts(&connection, common::CLIENT_TIMEOUT)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    let mut reads = 0;
    let mut total = 0;
    loop {
        match common::read_some(&mut connection, &mut buffer) {
            Ok(0) => return Ok((reads, total)),
            Ok(size) => {
                reads += 1;
                total += size;
                say!("read {}", common::plural(size, "byte"));
            }
            Err(error) => return Err(format!("cannot read: {error}")),
        }
    }
}

fn client(server: SocketAddr, pause: Duration, nodelay: bool) -> Result<(), String> {
    let mut connection = common::connect_tcp(server, common::REPLY_TIMEOUT)?;
    if let Err(error) = connection.set_nodelay(nodelay) {
        return Err(format!("cannot set TCP_NODELAY: {error}"));
    }
    for index in 0..CHARACTERS {
        // The characters cycle through a–z, so the server could check their order.
        let letter = b'a' + (index % 26) as u8;
        if let Err(error) = connection.write_all(&[letter]) {
            return Err(format!("cannot send to {server}: {error}"));
        }
        if !pause.is_zero() {
            thread::sleep(pause);
        }
    }
    say!(
        "sent {} in {}",
        common::plural(CHARACTERS, "character"),
        common::plural(CHARACTERS, "write")
    );
    // Dropping the connection closes it, which the server reads as the end of the stream.
    Ok(())
}
