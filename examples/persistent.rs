//! # Lesson 3: a persistent connection, one client at a time
//!
//! One TCP connection now carries many lines: the client sends each line you type, the server
//! answers it in capitals, and the line `.` ends the session. Because TCP is a stream of bytes
//! with no message boundaries, each line ends with `\n` and the reader splits on it (the session
//! is in `line_session/mod.rs`, shared with `threaded.rs`).
//!
//! ```text
//! cargo run --example persistent -- server --backlog 1   # 0.0.0.0:12000
//! cargo run --example persistent -- client               # in four other terminals
//! ```
//!
//! This server serves **one client at a time**: while it talks to one, the others wait in the
//! *listen queue* (the backlog), which the kernel fills by itself: it completes their TCP
//! handshakes, so their `connect` succeeds, and holds them until the server calls `accept`.
//! std's `TcpListener::bind` always asks for a queue of 128; `--backlog` sets it with the
//! `socket2` crate, which exposes `listen(2)` as it is. (`ss -ltn` shows a listening socket's
//! queue length in its `Send-Q` column, and how many wait in it right now in `Recv-Q`.)
//!
//! ## The exercise: four clients against `--backlog 1`
//!
//! What Linux does (measured on Linux 6.18; `tests/examples.rs` pins it):
//!
//! 1. the first client is accepted and served;
//! 2. the second and the third connect at once and can even send their lines, but get no reply:
//!    Linux keeps up to *backlog + 1* finished handshakes in the queue, so with `--backlog 1`
//!    there is room for two;
//! 3. the fourth does not get a refusal: the queue is full, so the kernel silently drops its
//!    connection request (SYN) and the client's kernel sends it again after 1 s, 3 s, 7 s… The
//!    client waits; this one gives up after 5 s with "no answer" (`common::CONNECT_TIMEOUT`).
//!    If the first client leaves within those seconds, a place frees up, a resent SYN gets in,
//!    and the fourth connects after all.
//!
//! Dropping rather than refusing is deliberate: a full queue is usually a brief burst, and a
//! refusal would make the client give up when waiting a second would have worked. The kernel
//! counts every dropped request: `nstat -az TcpExtListenOverflows`. Other systems count the
//! backlog their own way: it is a hint to the kernel, not a promise.
//!
//! Try: the exercise above, with `ss -ltn` in a fifth terminal; then `threaded.rs`, where
//! nobody waits.

#[path = "common/mod.rs"]
mod common;
#[path = "line_session/mod.rs"]
mod line_session;

use common::say;
use socket2::{Domain, Socket, Type};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

/// `server`'s own option.
#[derive(clap::Args)]
struct ServerOptions {
    /// The length of the listen queue: how many connected clients may wait for `accept`.
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..=65535))]
    backlog: i32,
}

fn main() -> ExitCode {
    common::lesson(
        &common::Lesson {
            about: "A persistent connection: many lines in capitals over one connection, one client at a time.",
            port: "12000",
            server: "Serve one client at a time; the others wait in the listen queue.",
            client: "Send each line typed on stdin and print its answer; `.` ends the session.",
        },
        |address, options: ServerOptions, common::NoOptions {}| server(address, options.backlog),
        |server, common::NoOptions {}, common::NoOptions {}| line_session::client(server),
    )
}

fn server(address: SocketAddr, backlog: i32) -> Result<(), String> {
    let listener = listen_with_backlog(address, backlog)?;
    common::announce(&listener.local_addr())?;
    say!("backlog {backlog}: serving one client at a time");
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        // The whole session runs here, in the accepting thread: nobody else is accepted until
        // it ends. That is the lesson, and what `threaded.rs` changes.
        match line_session::serve(connection, peer) {
            Ok(answered) => say!("{peer} done after {}", common::plural(answered, "line")),
            Err(error) => say!("{peer}: {error}"),
        }
    }
}

/// `socket()`, `bind()` and `listen(backlog)`, the three calls `TcpListener::bind` makes for us,
/// spelled out so that we choose the backlog.
fn listen_with_backlog(address: SocketAddr, backlog: i32) -> Result<TcpListener, String> {
    let socket = match Socket::new(Domain::for_address(address), Type::STREAM, None) {
        Ok(socket) => socket,
        Err(error) => return Err(format!("cannot create a socket: {error}")),
    };
    // As std does: a restarted server may bind its port again while the old connections linger
    // in TIME_WAIT.
    if let Err(error) = socket.set_reuse_address(true) {
        return Err(format!("cannot set SO_REUSEADDR: {error}"));
    }
    if let Err(error) = socket.bind(&address.into()) {
        return Err(format!("cannot listen on {address}: {error}"));
    }
    if let Err(error) = socket.listen(backlog) {
        return Err(format!("cannot listen with backlog {backlog}: {error}"));
    }
    Ok(TcpListener::from(socket))
}
