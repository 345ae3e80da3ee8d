//! The capitals *session* shared by `persistent.rs` and `threaded.rs`: both halves of one
//! protocol, so that those two lessons differ only in how the server takes its clients.
//!
//! The protocol: over one TCP connection, the client sends lines and the server answers each
//! with the same line in capitals. A line is ended by `\n`, because TCP delivers a stream of
//! bytes with no message boundaries: two quick sends may arrive as one read, one send may arrive
//! as two (`stream_pieces.rs` shows it). The line `.` ends the session.
//!
//! A line over [`MAX_LINE`] ends it too, but not in silence: the server answers with one line,
//! `error: line longer than the limit of 2048 bytes` (`common::REFUSAL`; no answer in capitals
//! can start with small letters), and closes gracefully (`common::close_gracefully`), so that
//! the line reaches the client; the client prints it as its error and exits.

use crate::common::{self, say};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The longest line either side reads, its `\n` included; a longer one ends the session.
pub const MAX_LINE: usize = 2048;

/// The longest reply a client reads: capitals can take up to three times the bytes of the
/// small letters (`ß` becomes `SS`).
pub const MAX_REPLY: usize = 3 * MAX_LINE;

/// The line that ends a session.
pub const END: &str = ".";

/// How long the server waits for the next line before it closes an idle session. Generous,
/// since a person is typing; but finite, or a forgotten client would keep a one-at-a-time
/// server from everybody else.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a client waits for each reply. A client that is still in the server's listen queue
/// (the server is busy with someone else) gets its replies only once it is served.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's side of one session: answer every line until `.`, the client's close, or an
/// error. Returns how many lines were answered.
pub fn serve(connection: TcpStream, peer: SocketAddr) -> Result<usize, String> {
    common::set_timeouts(&connection, IDLE_TIMEOUT)?;
    let mut reader = BufReader::new(&connection);
    let mut writer = &connection;
    let mut answered = 0;
    loop {
        let line = match common::read_line(&mut reader, MAX_LINE) {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(answered), // the client closed without saying `.`
            Err(error) if common::is_timeout(&error) => {
                return Err(format!("idle for {} s, closing", IDLE_TIMEOUT.as_secs()))
            }
            Err(error) if common::is_too_long(&error) => {
                common::refuse(&connection, &error.to_string());
                return Err(format!("{error}: told the client, and closed"));
            }
            Err(error) => return Err(format!("cannot read: {error}")),
        };
        if line == END {
            say!("{peer} ended the session");
            return Ok(answered);
        }
        let reply = format!("{}\n", line.to_uppercase());
        if let Err(error) = writer.write_all(reply.as_bytes()) {
            return Err(format!("cannot answer: {error}"));
        }
        answered += 1;
    }
}

/// The client's side: send each line typed on stdin and print its answer, until `.` or the end
/// of stdin (which sends `.` too, so the server knows the session is over).
pub fn client(server: SocketAddr) -> Result<(), String> {
    let connection = common::connect_tcp(server, REPLY_TIMEOUT)?;
    let mut reader = BufReader::new(&connection);
    let mut writer = &connection;
    eprintln!("connected to {server}; type lines, and `{END}` to end");
    loop {
        let line = match common::ask("> ")? {
            Some(line) => line,
            None => END.to_string(),
        };
        if let Err(error) = writer.write_all(format!("{line}\n").as_bytes()) {
            return Err(format!("cannot send to {server}: {error}"));
        }
        if line == END {
            return Ok(());
        }
        match common::read_line(&mut reader, MAX_REPLY) {
            Ok(Some(reply)) => match reply.strip_prefix(common::REFUSAL) {
                Some(reason) => return Err(format!("{server} ended the session: {reason}")),
                None => say!("{reply}"),
            },
            Ok(None) => return Err(format!("{server} closed the connection")),
            Err(error) if common::is_timeout(&error) => {
                return Err(format!(
                    "no reply from {server} within {} s (is it busy with another client?)",
                    REPLY_TIMEOUT.as_secs()
                ))
            }
            Err(error) => return Err(format!("cannot read the reply: {error}")),
        }
    }
}
