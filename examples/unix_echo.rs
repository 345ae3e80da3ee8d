//! # Lesson 7: a local socket (AF_UNIX)
//!
//! The echo service of `echo.rs`, over a *Unix-domain* stream socket. The calls are the same —
//! `bind`, `listen`, `accept`, `connect`, `read`, `write` — but the address is a path in the file
//! system instead of an IP address and a port, and the bytes never touch a network: the kernel
//! copies them from one process to the other. Only processes on the same machine can connect,
//! and the file's permissions decide which. Databases and daemons (PostgreSQL, Docker, X11)
//! offer their local clients such a socket.
//!
//! ```text
//! cargo run --example unix_echo -- server                # creates /tmp/http10-echo.sock
//! cargo run --example unix_echo -- client                # sends "Hello World"
//! cargo run --example unix_echo -- client "any text" --path /tmp/http10-echo.sock
//! ```
//!
//! There is no `-a/--address` or `-p/--port` here: `--path` is the whole address.
//!
//! The socket's file stays after the listening socket is closed, and a new server cannot bind
//! a path that exists. So the server removes it when it ends — on Ctrl+C, on `kill`, on an
//! error — and at start it removes one left by a server that was killed outright (`kill -9`),
//! after checking that it is a socket and that nobody answers on it.
//!
//! Try: `ls -l /tmp/http10-echo.sock` while the server runs (the `s` at the start of the mode
//! means socket); `nc -U /tmp/http10-echo.sock`; stop the server and look again.
//! Unix only (Linux, macOS): elsewhere the program says so and exits.

#[path = "common/mod.rs"]
mod common;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(unix)]
use common::say;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::net::Shutdown;
#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
#[cfg(unix)]
use std::path::Path;

/// How much the server reads at a time.
#[cfg(unix)]
const BUFFER_SIZE: usize = 1024;

/// The most a client reads back.
#[cfg(unix)]
const MAX_ECHO: u64 = 1024 * 1024;

/// Echo over a Unix-domain socket: a path instead of an address and a port.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    role: Role,
    /// The socket's path in the file system.
    #[arg(long, global = true, default_value = "/tmp/http10-echo.sock")]
    path: PathBuf,
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

#[cfg(unix)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    common::run(|| match &cli.role {
        Role::Server => server(&cli.path),
        Role::Client { message } => client(&cli.path, message),
    })
}

#[cfg(not(unix))]
fn main() -> ExitCode {
    let _ = Cli::parse();
    eprintln!("error: Unix-domain sockets need a Unix system (Linux, macOS)");
    ExitCode::FAILURE
}

/// The socket's file, removed when this value is dropped: when the server returns with an
/// error. Ctrl+C ends the process without dropping anything, so its handler removes it too.
#[cfg(unix)]
struct SocketFile(PathBuf);

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(unix)]
fn server(path: &Path) -> Result<(), String> {
    remove_stale_socket(path)?;
    let path_for_handler = path.to_path_buf();
    common::on_ctrl_c(move || {
        let _ = std::fs::remove_file(&path_for_handler);
    })?;
    let listener = match UnixListener::bind(path) {
        Ok(listener) => listener,
        Err(error) => return Err(format!("cannot listen on {}: {error}", path.display())),
    };
    let _socket_file = SocketFile(path.to_path_buf());
    say!("listening on {}", path.display());
    loop {
        let connection = match listener.accept() {
            Ok((connection, _address)) => connection,
            Err(error) => {
                say!("accept failed: {error}");
                continue;
            }
        };
        // A client's end of a Unix socket is usually unnamed: there is no address to print.
        say!("connection on {}", path.display());
        match echo_connection(connection) {
            Ok(total) => say!("echoed {}", common::plural(total, "byte")),
            Err(error) => say!("{error}"),
        }
    }
}

/// Makes way for `bind` if a killed server left its socket file behind, but never removes
/// a file that is not a socket, or a socket on which a server still answers.
#[cfg(unix)]
fn remove_stale_socket(path: &Path) -> Result<(), String> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(_) => return Ok(()), // nothing there
    };
    if !metadata.file_type().is_socket() {
        return Err(format!("{} exists and is not a socket", path.display()));
    }
    if UnixStream::connect(path).is_ok() {
        return Err(format!(
            "a server is already listening on {}",
            path.display()
        ));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {
            say!(
                "removed {}, left by a server that did not end cleanly",
                path.display()
            );
            Ok(())
        }
        Err(error) => Err(format!("cannot remove the old {}: {error}", path.display())),
    }
}

/// Echoes one connection until the client closes its side; returns how many bytes went back.
#[cfg(unix)]
fn echo_connection(mut connection: UnixStream) -> Result<usize, String> {
    let timeout = Some(common::CLIENT_TIMEOUT);
    if let Err(error) = connection.set_read_timeout(timeout) {
        return Err(format!("cannot set a read timeout: {error}"));
    }
    if let Err(error) = connection.set_write_timeout(timeout) {
        return Err(format!("cannot set a write timeout: {error}"));
    }
    let mut buffer = [0u8; BUFFER_SIZE];
    let mut total = 0;
    loop {
        let size = match common::read_some(&mut connection, &mut buffer) {
            Ok(0) => return Ok(total),
            Ok(size) => size,
            Err(error) => return Err(format!("cannot read: {error}")),
        };
        if let Err(error) = connection.write_all(&buffer[..size]) {
            return Err(format!("cannot echo: {error}"));
        }
        total += size;
    }
}

#[cfg(unix)]
fn client(path: &Path, message: &str) -> Result<(), String> {
    let mut connection = match UnixStream::connect(path) {
        Ok(connection) => connection,
        Err(error) => return Err(format!("cannot connect to {}: {error}", path.display())),
    };
    let timeout = Some(common::REPLY_TIMEOUT);
    if let Err(error) = connection.set_read_timeout(timeout) {
        return Err(format!("cannot set a read timeout: {error}"));
    }
    if let Err(error) = connection.set_write_timeout(timeout) {
        return Err(format!("cannot set a write timeout: {error}"));
    }
    if let Err(error) = connection.write_all(message.as_bytes()) {
        return Err(format!("cannot send: {error}"));
    }
    if let Err(error) = connection.shutdown(Shutdown::Write) {
        return Err(format!("cannot close the sending side: {error}"));
    }
    let mut echo = Vec::new();
    if let Err(error) = connection.take(MAX_ECHO).read_to_end(&mut echo) {
        return Err(format!("no echo: {error}"));
    }
    say!("Received: {}", String::from_utf8_lossy(&echo));
    Ok(())
}
