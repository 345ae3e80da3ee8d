//! Plumbing shared by the socket lessons in `examples/`, so that each lesson file is about its
//! protocol and nothing else.
//!
//! A lesson includes it with `#[path = "common/mod.rs"] mod common;`. What lives here:
//!
//! * the command line every lesson shares, and the loop of a server's `accept` or
//!   `recv_from` that logs a failure and goes on ([`lesson`]);
//! * the course's port rule (1024–65535, or 0 for "let the OS choose") and the default addresses;
//! * turning `-a/--address` and `-p/--port` into a socket address, for a server or a client;
//! * connecting and listening with the course's time limits, so that nothing waits forever;
//! * [`send_reply`]: a UDP server never answers with more bytes than it was sent;
//! * [`say!`]: print a line *now* (a server's output is often a pipe, which Rust buffers);
//! * [`plural`]: `1 byte` but `2 bytes`;
//! * Ctrl+C ends a server with a clean line, even in the middle of a read ([`read_some`]), and
//!   every failure becomes one line and exit code 1.

// Each lesson uses a different part of this module.
#![allow(dead_code, unused_macros, unused_imports)]

mod lesson;
pub use lesson::{accepted, lesson, plain_lesson, received, Lesson, NoOptions, Transport};

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Prints one line on stdout and flushes it at once. Rust buffers stdout when it is a pipe
/// (as in the tests, or `server | tee log`), and a server's lines must not wait in a buffer.
/// A closed stdout is ignored: a server keeps serving even if nobody reads its log.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
}
pub(crate) use say;

/// A server listens on every interface of the machine unless told otherwise, so that the
/// classroom can reach it.
pub const SERVER_ADDRESS: &str = "0.0.0.0";

/// A client talks to a server on the same machine unless told otherwise.
pub const CLIENT_ADDRESS: &str = "127.0.0.1";

/// The lowest port the lessons accept: ports below 1024 are for system services, and binding
/// one needs root on most systems.
pub const LOWEST_PORT: u16 = 1024;

/// How long a client tries to connect. A server whose listen queue is full drops new
/// connection requests without answering (see `persistent.rs`), and an unreachable address never
/// answers at all; without a limit the client would wait for minutes.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a TCP client waits for a reply before it gives up with a message.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server waits for a connected client to send something, or to make room for a
/// reply by reading. The servers that serve one client at a time would otherwise belong forever
/// to a client that connects and does nothing.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server that has said its last word keeps reading, and throwing away, what the
/// client still sends, before it closes: see [`close_gracefully`].
pub const LINGER: Duration = Duration::from_secs(2);

/// How a capitals server (`tcp_uppercase`, `persistent`, `threaded`) starts the one line that
/// says why it ends a connection. No answer in capitals can start so: `to_uppercase` leaves no
/// small letter `a`–`z`. So a client tells a refusal from an answer by these bytes alone.
pub const REFUSAL: &str = "error: ";

/// Checks a `-p/--port` value against the course's rule; clap calls it while parsing, so a
/// refused port is reported like any other bad argument.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let port: u16 = match text.parse() {
        Ok(port) => port,
        Err(_) => return Err(format!("{text} is not a port: use 1024-65535, or 0")),
    };
    if port != 0 && port < LOWEST_PORT {
        return Err(format!(
            "port {port} is below 1024, reserved for system services: use 1024-65535, \
             or 0 to let the operating system choose"
        ));
    }
    Ok(port)
}

/// The address a server binds: `-a`, or every interface. Port 0 asks the OS for a free port.
pub fn server_address(address: Option<&str>, port: u16) -> Result<SocketAddr, String> {
    resolve(address.unwrap_or(SERVER_ADDRESS), port)
}

/// The address a client connects to: `-a`, or this machine.
pub fn client_address(address: Option<&str>, port: u16) -> Result<SocketAddr, String> {
    if port == 0 {
        return Err(
            "port 0 means \"any free port\" only for a server: give the client the port \
             the server printed"
                .to_string(),
        );
    }
    resolve(address.unwrap_or(CLIENT_ADDRESS), port)
}

/// Turns a name or a numeric address into one socket address (the first the resolver gives).
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let mut addresses = match (host, port).to_socket_addrs() {
        Ok(addresses) => addresses,
        Err(error) => return Err(format!("cannot resolve {host}: {error}")),
    };
    match addresses.next() {
        Some(address) => Ok(address),
        None => Err(format!("{host} has no address")),
    }
}

/// Binds a TCP listening socket and announces the address it really got.
pub fn listen_tcp(address: SocketAddr) -> Result<TcpListener, String> {
    let listener = match TcpListener::bind(address) {
        Ok(listener) => listener,
        Err(error) => return Err(format!("cannot listen on {address}: {error}")),
    };
    announce(&listener.local_addr())?;
    Ok(listener)
}

/// Binds a UDP socket for a server and announces the address it really got.
pub fn bind_udp(address: SocketAddr) -> Result<UdpSocket, String> {
    let socket = match UdpSocket::bind(address) {
        Ok(socket) => socket,
        Err(error) => return Err(format!("cannot bind {address}: {error}")),
    };
    announce(&socket.local_addr())?;
    Ok(socket)
}

/// Prints `listening on ADDRESS` as the server's first line. With port 0 this is the only way
/// to learn which port the OS chose (the tests read it from here).
pub fn announce(local: &io::Result<SocketAddr>) -> Result<(), String> {
    match local {
        Ok(address) => {
            say!("listening on {address}");
            Ok(())
        }
        Err(error) => Err(format!("cannot read the listening address: {error}")),
    }
}

/// Connects to a TCP server, giving up after [`CONNECT_TIMEOUT`], and limits each later read
/// and write to `reply_timeout`.
pub fn connect_tcp(server: SocketAddr, reply_timeout: Duration) -> Result<TcpStream, String> {
    let stream = match TcpStream::connect_timeout(&server, CONNECT_TIMEOUT) {
        Ok(stream) => stream,
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
            return Err(format!(
                "cannot connect to {server}: no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))
        }
        Err(error) => return Err(format!("cannot connect to {server}: {error}")),
    };
    set_timeouts(&stream, reply_timeout)?;
    Ok(stream)
}

/// Sets how long a read or a write on this connection may wait; one that waits longer fails
/// (see [`is_timeout`]). Reads wait for a peer that says nothing; writes wait for a peer that
/// sends but never reads, once the kernel's buffers between us are full.
pub fn set_timeouts(stream: &TcpStream, timeout: Duration) -> Result<(), String> {
    let mut set = stream.set_read_timeout(Some(timeout));
    if set.is_ok() {
        set = stream.set_write_timeout(Some(timeout));
    }
    match set {
        Ok(()) => Ok(()),
        Err(error) => Err(format!(
            "cannot set a time limit on the connection: {error}"
        )),
    }
}

/// A UDP socket for a client: any free port, on the same IP version as the server, with a
/// time limit on receiving, since a lost datagram is never resent and its reply never comes.
pub fn udp_client(server: SocketAddr, reply_timeout: Duration) -> Result<UdpSocket, String> {
    let any_port: SocketAddr = match server {
        SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("a valid IPv4 socket address"),
        SocketAddr::V6(_) => "[::]:0".parse().expect("a valid IPv6 socket address"),
    };
    let socket = match UdpSocket::bind(any_port) {
        Ok(socket) => socket,
        Err(error) => return Err(format!("cannot open a UDP socket: {error}")),
    };
    match socket.set_read_timeout(Some(reply_timeout)) {
        Ok(()) => Ok(socket),
        Err(error) => Err(format!("cannot set a receive timeout: {error}")),
    }
}

/// Sends a UDP server's `reply` to `sender`, unless it is longer than the request it answers
/// (`request_size` bytes): then the server sends nothing and says so in its log. Nobody checks
/// the source address written on a datagram, so a server that answers with more than it was
/// sent lends its bandwidth to anyone who writes a victim's address there (`udp_uppercase.rs`
/// explains the attack). Each lesson shapes its replies to fit; this is the last guard.
pub fn send_reply(socket: &UdpSocket, reply: &[u8], request_size: usize, sender: SocketAddr) {
    if reply.len() > request_size {
        say!(
            "not answering {sender}: the answer ({}) would be longer than the request ({})",
            plural(reply.len(), "byte"),
            plural(request_size, "byte")
        );
        return;
    }
    if let Err(error) = socket.send_to(reply, sender) {
        say!("cannot answer {sender}: {error}");
    }
}

/// Says why a UDP server's `recv_from` failed; the server then waits for the next datagram.
/// Linux and macOS cut a datagram longer than the buffer to fit and say nothing. Windows
/// fails the call instead (`WSAEMSGSIZE`, 10040), and std then gives no sender: there is
/// nobody to answer, and the log says so in the words of [`send_reply`]'s refusal.
pub fn say_receive_failed(error: &io::Error) {
    /// Windows' "message too long" for a datagram larger than the receive buffer.
    const WSAEMSGSIZE: i32 = 10040;
    if cfg!(windows) && error.raw_os_error() == Some(WSAEMSGSIZE) {
        say!("not answering: a datagram longer than the buffer (Windows does not say who sent it)");
    } else {
        say!("receive failed: {error}");
    }
}

/// Whether a read failed because its time limit passed. Unix ends a timed-out read as it ends
/// a read on a non-blocking socket with nothing to read, `EAGAIN` ("try again"), which std
/// calls `WouldBlock`: the socket is blocking, so here it can only mean the time ran out.
/// Windows says `WSAETIMEDOUT`, std's `TimedOut`.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// One `read`, as `Read::read` makes it, except that a read interrupted by a signal is made
/// again. Linux never restarts a read on a socket that has a timeout (signal(7)): when Ctrl+C
/// arrives, the blocked read fails with `Interrupted` (EINTR) while [`on_ctrl_c`]'s thread ends
/// the process. That is the signal, not a network error, and must not be reported as one.
/// (`read_until`, `read_to_end` and `write_all` retry by themselves; a plain `read` does not.)
pub fn read_some(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Reads one `\n`-terminated line of at most `max_bytes` (the `\n` included), without the line
/// ending. `Ok(None)` means the other side closed the connection before sending anything more.
/// A longer line is an error of kind `InvalidData` ([`is_too_long`]) rather than a growing
/// buffer: the network decides how much it sends, so the reader decides how much it keeps.
pub fn read_line(reader: &mut impl BufRead, max_bytes: usize) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let limit = u64::try_from(max_bytes).expect("a line limit fits in 64 bits");
    let mut limited = Read::take(reader, limit);
    limited.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() == max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "line longer than the limit of {}",
                plural(max_bytes, "byte")
            ),
        ));
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Whether [`read_line`] failed because the line was longer than its limit.
pub fn is_too_long(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::InvalidData
}

/// Sends a capitals server's last line, [`REFUSAL`] and `reason`, then closes gracefully.
/// Failing to send it is not worth a message of its own: the caller reports `reason` anyway.
pub fn refuse(connection: &TcpStream, reason: &str) {
    let mut writer = connection;
    let _ = writer.write_all(format!("{REFUSAL}{reason}\n").as_bytes());
    close_gracefully(connection);
}

/// Closes a connection so that what was sent last arrives. Closing a socket while the client's
/// bytes wait unread in it makes the kernel send a reset (RST) instead of an orderly end (FIN),
/// and a reset makes the client's kernel throw away what it received but its program has not
/// read yet: our last line too. So: `shutdown(Write)` sends the FIN after our data ("I have
/// nothing more to say"), then we read and throw away until the client closes too, for at most
/// [`LINGER`], and only then close. (`httpserve` does the same: its "lingering close".)
/// It is the last thing done with the connection, so errors only end it sooner.
pub fn close_gracefully(connection: &TcpStream) {
    if connection.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut reader = connection;
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || connection.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match read_some(&mut reader, &mut buffer) {
            Ok(0) | Err(_) => return, // the client has closed, or gone quiet too long
            Ok(_) => {}
        }
    }
}

/// A count and its noun, the noun plural unless the count is exactly one: `1 byte`,
/// `0 bytes`, `2048 bytes`. Every noun the lessons count makes its plural with an `s`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Shows `prompt` on stderr (so stdout carries only answers) and reads a line from stdin,
/// without its line ending; `None` when stdin has ended.
pub fn ask(prompt: &str) -> Result<Option<String>, String> {
    eprint!("{prompt}");
    let _ = io::stderr().flush();
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(line.trim_end_matches(['\r', '\n']).to_string())),
        Err(error) => Err(format!("cannot read stdin: {error}")),
    }
}

/// Makes Ctrl+C (and `kill`'s SIGTERM) end the process with a clean line and exit code 0,
/// after running `cleanup` (which removes, for instance, a Unix socket's file).
///
/// A server calls it before it prints `listening on …`: a Ctrl+C that comes right after that
/// line must find the handler in place, or it would kill the process the default way.
pub fn on_ctrl_c(cleanup: impl Fn() + Send + 'static) -> Result<(), String> {
    let handler = move || {
        cleanup();
        say!("stopped by Ctrl+C");
        std::process::exit(0);
    };
    match ctrlc::set_handler(handler) {
        Ok(()) => Ok(()),
        Err(error) => Err(format!("cannot catch Ctrl+C: {error}")),
    }
}

/// Ctrl+C for a server with nothing to clean up.
pub fn stop_on_ctrl_c() -> Result<(), String> {
    on_ctrl_c(|| {})
}

/// Runs a lesson and turns its outcome into an exit code: a failure is one line on stderr and
/// exit code 1. A bug that panics also ends with one line, not a backtrace: the programs are
/// run in front of a class.
pub fn run(lesson: impl FnOnce() -> Result<(), String>) -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal bug: {info}");
    }));
    match lesson() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
