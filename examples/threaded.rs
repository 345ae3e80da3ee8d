//! # Lesson 4: a multithreaded server
//!
//! The protocol of `persistent.rs` (lines in capitals over one connection, `.` to end; the
//! session is in `line_session/mod.rs`), but the server starts a thread for every connection it
//! accepts and goes straight back to `accept`. Several clients are now served at once; nobody
//! waits in the listen queue for longer than an `accept` takes.
//!
//! ```text
//! cargo run --example threaded -- server                 # 0.0.0.0:12000
//! cargo run --example threaded -- client                 # in several terminals at once
//! ```
//!
//! ## Three ways to serve many clients
//!
//! * **A thread per connection** (here): `accept`, then `thread::spawn` the session. Each
//!   session still reads top to bottom, as in `persistent.rs`. Each client costs a kernel thread
//!   and its stack (2 MiB reserved, a few KiB used), and anything the sessions share needs a
//!   lock. Good for tens to thousands of clients.
//! * **A process per connection**: `accept`, then `fork()`; the child serves the client while
//!   the parent goes back to `accept` (classic Apache, Python's `ForkingTCPServer`). Nothing is
//!   shared, so a session that crashes harms no other; each client costs a whole process. Rust's
//!   std has no `fork`: forking a program that has threads is hazardous.
//! * **One multiplexing worker**: a single thread asks the kernel which sockets are ready
//!   (`select`, `poll`, `epoll`; in Rust `mio`, under `tokio`) and does a little work for each.
//!   One loop serves thousands of mostly idle connections (nginx, Node.js), but each session
//!   becomes a state machine, or `async` code that the compiler turns into one.
//!
//! This server has no cap on its threads: every connection gets one. A real server bounds its
//! connections, so that a flood cannot exhaust the machine (`httpserve` answers 503 over its
//! limit; it multiplexes, with an event loop per core — see `src/server.rs`).
//!
//! Try: open three clients and type in each, in any order; compare with `persistent.rs`.

#[path = "common/mod.rs"]
mod common;
#[path = "line_session/mod.rs"]
mod line_session;

use common::say;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread;

fn main() -> ExitCode {
    common::plain_lesson(
        &common::Lesson {
            about: "The persistent-connection protocol, with a thread per client.",
            port: "12000",
            server: "Serve every client at once, a thread for each.",
            client: "Send each line typed on stdin and print its answer; `.` ends the session.",
        },
        server,
        line_session::client,
    )
}

fn server(address: SocketAddr) -> Result<(), String> {
    let listener = common::listen_tcp(address)?;
    loop {
        let Some((connection, peer)) = common::accepted(listener.accept()) else {
            continue;
        };
        // `move` hands the connection to the new thread; the accepting thread keeps nothing
        // of it and is back in `accept` at once.
        let session = move || match line_session::serve(connection, peer) {
            Ok(answered) => say!("{peer} done after {}", common::plural(answered, "line")),
            Err(error) => say!("{peer}: {error}"),
        };
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(session);
        if let Err(error) = spawned {
            // The connection was moved into the closure, which is dropped: the client sees
            // the connection close.
            say!("cannot start a thread for {peer}: {error}");
        }
    }
}
