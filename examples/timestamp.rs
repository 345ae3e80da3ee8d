//! # Lesson 6: a timestamp echo, over TCP and over UDP
//!
//! The server stamps whatever it receives with the time it received it:
//! `hello` comes back as `[Sat Nov 21 10:00:00 2026] hello`. The client asks for lines at a
//! `> ` prompt and prints each answer; an empty line ends it. The TCP client keeps one
//! connection for all its lines; the UDP client (`--udp`) sends each line as one datagram.
//!
//! ```text
//! cargo run --example timestamp -- server                # TCP, 0.0.0.0:21567
//! cargo run --example timestamp -- client
//! cargo run --example timestamp -- server --udp          # the same over UDP
//! cargo run --example timestamp -- client --udp
//! ```
//!
//! The server answers each *read*, as the lesson's original does: over TCP a read is not a
//! message, so two lines sent in quick succession may come back under one stamp. The client
//! waits for each answer before it sends the next line, which keeps them apart in practice.
//!
//! Over UDP an answer must not be longer than its request (`udp_uppercase.rs` says why), yet
//! the stamp adds [`STAMP_SIZE`] bytes. So the server cuts its answer to the request's size, and
//! the UDP client pays for the stamp: it ends each datagram with that many spaces, which the
//! stamp displaces. QUIC's clients do the same for the same reason: they pad their first
//! datagram to 1,200 bytes, since a server may send an unverified address at most three times
//! what it received from it (RFC 9000 §8.1).
//!
//! About the time: the stamp is C's `ctime()` format, but in UTC. Rust's standard library knows
//! no time zones (the local offset lives in the system's tz database); on a machine set to UTC,
//! as servers and CI usually are, UTC *is* the local time.
//!
//! Try: stop the TCP server while a client is connected, then type a line; do the same with UDP.

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// How much either side reads at a time (the lesson's `BUFSIZ`).
const BUFFER_SIZE: usize = 1024;

/// The size of the stamp, `[Sat Nov 21 10:00:00 2026] `: the room a UDP request leaves for it.
const STAMP_SIZE: usize = 27;

/// How long a client waits for each answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the TCP server keeps a connection on which nothing arrives.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    common::lesson(
        &common::Lesson {
            about: "Timestamp echo: every message comes back stamped with the server's time.",
            port: "21567",
            server: "Answer every message with `[time] message`.",
            client: "Send lines typed at a `> ` prompt until an empty line.",
        },
        |address, common::NoOptions {}, transport: common::Transport| match transport.udp {
            false => tcp_server(address),
            true => udp_server(address),
        },
        |server, common::NoOptions {}, transport: common::Transport| match transport.udp {
            false => tcp_client(server),
            true => udp_client(server),
        },
    )
}

/// `[Sat Nov 21 10:00:00 2026] data`: the server's whole answer.
fn stamp(data: &[u8]) -> Vec<u8> {
    let mut answer = format!("[{}] ", ctime(SystemTime::now())).into_bytes();
    answer.extend_from_slice(data);
    answer
}

/// The time as C's `ctime()` writes it (`Sat Nov  1 10:00:00 2026`, the day padded with a
/// space), in UTC. The calendar work is done by `http10::date`, which writes the same fields
/// in the HTTP order (`Sat, 01 Nov 2026 10:00:00 GMT`); we only move them around.
fn ctime(time: SystemTime) -> String {
    let http_date = http10::date::format_http_date(time);
    let fields: Vec<&str> = http_date.split(' ').collect();
    match fields.as_slice() {
        [weekday, day, month, year, clock, _zone] => {
            let weekday = weekday.trim_end_matches(',');
            let day = day.trim_start_matches('0');
            format!("{weekday} {month} {day:>2} {clock} {year}")
        }
        _ => http_date,
    }
}

fn tcp_server(address: SocketAddr) -> Result<(), String> {
    let listener = common::listen_tcp(address)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        match stamp_connection(connection) {
            Ok(()) => say!("{peer} left"),
            Err(error) => say!("{peer}: {error}"),
        }
    }
}

/// Answers every read on one connection until the client closes it.
fn stamp_connection(mut connection: TcpStream) -> Result<(), String> {
    common::set_timeouts(&connection, IDLE_TIMEOUT)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let size = match common::read_some(&mut connection, &mut buffer) {
            Ok(0) => return Ok(()),
            Ok(size) => size,
            Err(error) => return Err(format!("cannot read: {error}")),
        };
        if let Err(error) = connection.write_all(&stamp(&buffer[..size])) {
            return Err(format!("cannot answer: {error}"));
        }
    }
}

fn tcp_client(server: SocketAddr) -> Result<(), String> {
    let mut connection = common::connect_tcp(server, REPLY_TIMEOUT)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let line = match common::ask("> ")? {
            Some(line) if !line.is_empty() => line,
            _ => return Ok(()), // an empty line, or the end of stdin
        };
        if let Err(error) = connection.write_all(line.as_bytes()) {
            return Err(format!("cannot send to {server}: {error}"));
        }
        let size = match common::read_some(&mut connection, &mut buffer) {
            Ok(0) => return Err(format!("{server} closed the connection")),
            Ok(size) => size,
            Err(error) if common::is_timeout(&error) => {
                return Err(format!(
                    "no answer from {server} within {} s",
                    REPLY_TIMEOUT.as_secs()
                ))
            }
            Err(error) => return Err(format!("cannot read the answer: {error}")),
        };
        say!("{}", String::from_utf8_lossy(&buffer[..size]));
    }
}

fn udp_server(address: SocketAddr) -> Result<(), String> {
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let Some((size, sender)) = common::received(socket.recv_from(&mut buffer)) else {
            continue;
        };
        say!("datagram from {sender}");
        // The stamp takes the place of the request's last bytes: the room the client left.
        let mut answer = stamp(&buffer[..size]);
        answer.truncate(size);
        common::send_reply(&socket, &answer, size, sender);
    }
}

fn udp_client(server: SocketAddr) -> Result<(), String> {
    let socket = common::udp_client(server, REPLY_TIMEOUT)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let line = match common::ask("> ")? {
            Some(line) if !line.is_empty() => line,
            _ => return Ok(()),
        };
        let request = format!("{line}{}", " ".repeat(STAMP_SIZE)); // room for the stamp
        if let Err(error) = socket.send_to(request.as_bytes(), server) {
            return Err(format!("cannot send to {server}: {error}"));
        }
        match socket.recv_from(&mut buffer) {
            Ok((size, _sender)) => say!("{}", String::from_utf8_lossy(&buffer[..size])),
            Err(error) if common::is_timeout(&error) => {
                return Err(format!(
                    "no answer from {server} within {} s: lost, or no server listening",
                    REPLY_TIMEOUT.as_secs()
                ))
            }
            Err(error) => return Err(format!("no answer from {server}: {error}")),
        }
    }
}
