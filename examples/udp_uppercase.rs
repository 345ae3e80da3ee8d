//! # Lesson 2: the same service over UDP
//!
//! The capitals service of `tcp_uppercase.rs`, with datagrams instead of a connection. There is
//! no `connect`, `listen` or `accept`: the client puts the server's address on each datagram
//! (`send_to`), and the server learns who wrote from each datagram it receives (`recv_from`) —
//! that address is where its reply goes. One socket on each side, one datagram each way.
//!
//! ```text
//! cargo run --example udp_uppercase -- server            # 0.0.0.0:12000 (UDP)
//! cargo run --example udp_uppercase -- client            # type a line, get it back in capitals
//! ```
//!
//! UDP promises nothing: a datagram may be lost, and then its reply never comes. So the client
//! waits at most [`REPLY_TIMEOUT`] and then says so, rather than waiting forever.
//!
//! Try: run the client with no server — with TCP the connection was refused at once; here the
//! datagram leaves happily and the client can only notice the silence. Send a line longer than
//! [`BUFFER_SIZE`] bytes and see it cut: the rest of a datagram that does not fit the buffer is
//! thrown away. Send `ΐΐΐ` and see the reply cut too, as the next section explains.
//!
//! ## A reply is never longer than its request
//!
//! Capitals can take more bytes than small letters: `ΐ` (2 bytes) becomes `Ϊ́`, three
//! characters and 6 bytes, so 2,048 bytes of `ΐ` would come back as 6,144. That would make the
//! server a tool for an *amplification attack*: UDP has no handshake, so anyone can write a
//! victim's address as a datagram's source, and the server would aim three times the attacker's
//! traffic at the victim. So this server keeps the capitals of as many whole characters as fit
//! in the request's size, cuts the rest and says so in its log; `common::send_reply` refuses
//! any longer reply. (TCP's handshake proves the client's address before any reply is sent.)

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// The receive buffer of both sides, as in the lesson: a datagram is read whole, in one
/// `recv_from`, and any part beyond the buffer is lost.
const BUFFER_SIZE: usize = 2048;

/// How long the client waits for the reply before deciding it will not come (`--wait`).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// The client's one option.
#[derive(clap::Args)]
struct Wait {
    /// Seconds to wait for the reply: UDP never says that nobody listens.
    #[arg(long, value_name = "SECONDS", default_value_t = REPLY_TIMEOUT.as_secs_f64())]
    wait: f64,
}

fn main() -> ExitCode {
    common::lesson(
        &common::Lesson {
            about: "The UDP lesson: a datagram goes to the server and comes back in capitals.",
            port: "12000",
            server: "Answer each datagram with its text in capitals.",
            client: "Send one line from stdin as a datagram and print the reply.",
        },
        |address, common::NoOptions {}, common::NoOptions {}| server(address),
        |address, Wait { wait }, common::NoOptions {}| {
            let wait = Duration::try_from_secs_f64(wait)
                .ok()
                .filter(|wait| !wait.is_zero())
                .ok_or(format!("--wait {wait}: give a number of seconds above 0"))?;
            client(address, wait)
        },
    )
}

fn server(address: SocketAddr) -> Result<(), String> {
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let Some((size, sender)) = common::received(socket.recv_from(&mut buffer)) else {
            continue;
        };
        say!("datagram of {} from {sender}", common::plural(size, "byte"));
        let text = String::from_utf8_lossy(&buffer[..size]);
        let (capitals, whole) = capitals_within(&text, size);
        if !whole {
            say!(
                "capitals cut to {}, to fit in the request's {}",
                common::plural(capitals.len(), "byte"),
                common::plural(size, "byte")
            );
        }
        common::send_reply(&socket, capitals.as_bytes(), size, sender);
    }
}

/// The capitals of `text` that fit in `room` bytes, and whether all of them did. A character's
/// capitals are kept whole or left out: `Ϊ́` cut after `Ι` would be another letter.
fn capitals_within(text: &str, room: usize) -> (String, bool) {
    let mut capitals = String::new();
    for character in text.chars() {
        let before = capitals.len();
        capitals.extend(character.to_uppercase());
        if capitals.len() > room {
            capitals.truncate(before);
            return (capitals, false);
        }
    }
    (capitals, true)
}

fn client(server: SocketAddr, wait: Duration) -> Result<(), String> {
    let socket = common::udp_client(server, wait)?;
    let line = match common::ask("Input lowercase sentence: ")? {
        Some(line) => line,
        None => return Err("no sentence to send: stdin ended".to_string()),
    };
    // One datagram is one message: no newline is needed to mark where it ends.
    if let Err(error) = socket.send_to(line.as_bytes(), server) {
        return Err(format!("cannot send to {server}: {error}"));
    }
    let mut buffer = [0u8; BUFFER_SIZE];
    match socket.recv_from(&mut buffer) {
        Ok((size, _sender)) => {
            say!("From server: {}", String::from_utf8_lossy(&buffer[..size]));
            Ok(())
        }
        Err(error) if common::is_timeout(&error) => Err(format!(
            "no reply from {server} within {} s: the datagram or its reply was lost, \
             or no server is listening (UDP does not tell)",
            wait.as_secs_f64()
        )),
        Err(error) => Err(format!("no reply from {server}: {error}")),
    }
}
