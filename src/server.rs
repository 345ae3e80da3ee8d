//! The server's life: listen, accept, serve each connection on a worker thread, log, stop.
//!
//! ## Which of the three paradigms, and why
//!
//! A server that talks to many clients at once can give each connection its own **thread**,
//! its own **process** (`fork`, as classic Apache and inetd did), or put all sockets in **one
//! worker that multiplexes** them with `epoll` (nginx). This server uses **a thread per
//! connection, from a bounded pool**:
//!
//! * It reads like the lesson: each connection is a plain loop of blocking `read` and `write`
//!   calls, top to bottom, with no state machine and no callbacks.
//! * It is cheap: a Linux thread costs a few tens of KiB of touched memory, and threads are kept
//!   and reused. Idle workers wait in `accept` themselves ("leader and followers"), so the
//!   kernel hands each new connection straight to the thread that will serve it. (A process
//!   per connection would copy page tables and file tables on every `fork`.)
//! * It is bounded: at most [`Config::max_connections`] connections are served at once; the
//!   next one is answered `503 Service Unavailable` at once and closed, so a flood can neither
//!   queue up without end nor start unlimited threads.
//! * Its price, measured in `bench/`: every request wakes a sleeping thread, and on two cores
//!   that context switch is about a fifth of the server's CPU time. One multiplexing worker per
//!   core (nginx's way) avoids it, at the cost of a state machine per connection.
//!
//! Each blocking call has a deadline, so no client can hold a thread forever: the whole request
//! head must arrive within [`HEAD_TIMEOUT`] (a deadline for the whole head, not for each byte,
//! so dribbling a byte a second does not help), an idle kept-alive connection is closed after
//! [`KEEP_ALIVE_TIMEOUT`], and a client that stops reading a download is dropped after
//! [`WRITE_TIMEOUT`]. A client that vanishes mid-download makes only its own `write` fail.
//!
//! ## Stopping
//!
//! [`ShutdownHandle::stop`] (which `httpserve` calls on Ctrl+C) stops accepting, lets the
//! responses in flight finish for at most [`SHUTDOWN_GRACE`], and returns from [`Server::run`].

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::date::format_log_date;
use crate::escape::escape_control;
use crate::files::Root;
use crate::request::{Connection, ReadError, Request, Version};
pub use crate::request::{BODY_TIMEOUT, HEAD_TIMEOUT};
use crate::response::{write_response, Framing, Persistence, Response};
use crate::routes::{self, Site};
use crate::status::Status;

/// How long a kept-alive connection may sit idle between requests.
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How many requests one kept-alive connection may carry before the server closes it.
pub const KEEP_ALIVE_MAX: usize = 1000;
/// How long one `write` may wait for a client that does not read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default bound on connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// How long a stopping server waits for responses in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How many workers may wait in `accept` at once; a worker finishing a connection beyond that
/// retires, so a burst of clients leaves no crowd of idle threads behind.
const MAX_SPARE_WORKERS: usize = 32;
/// Stack for each worker: the request buffer and bodies live on the heap, so 256 KiB is ample.
const WORKER_STACK_BYTES: usize = 256 * 1024;
/// After an error response, how long to keep reading (and discarding) what the client still
/// sends, so that closing does not reset the connection before the client reads the error.
const LINGER_TIME: Duration = Duration::from_millis(500);

/// Everything `httpserve`'s command line decides.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; `None` for all interfaces (IPv6 and IPv4 when the system has both).
    pub bind: Option<IpAddr>,
    /// Port; 0 lets the OS choose.
    pub port: u16,
    /// The folder to serve.
    pub dir: PathBuf,
    /// Connections served at once; more get 503.
    pub max_connections: usize,
    /// Whether `/upper` and `/echo` are on.
    pub routes_enabled: bool,
    /// How much to log on stderr.
    pub log: LogLevel,
}

/// How much the server writes on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Nothing but errors.
    Quiet,
    /// One Common Log Format line per request.
    Access,
    /// Also each connection opening and closing, and each request head as it arrived.
    Verbose,
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The folder to serve is missing, not a folder, or unreadable.
    Folder(PathBuf, io::Error),
    /// Another program already listens on that port.
    AddressInUse(SocketAddr),
    /// Ports below 1024 need administrator rights on most systems.
    PortNeedsPrivilege(SocketAddr),
    /// Any other failure to listen (an address this machine does not have, …).
    Listen(SocketAddr, io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Folder(dir, error) => {
                write!(f, "cannot serve folder {}: {error}", dir.display())
            }
            StartError::AddressInUse(addr) => write!(
                f,
                "port {} is already in use on {} (another server is running there; \
                 choose another port, or 0 for any free one)",
                addr.port(),
                addr.ip()
            ),
            StartError::PortNeedsPrivilege(addr) => write!(
                f,
                "no permission to listen on port {} (ports below 1024 need administrator \
                 rights; try 8080)",
                addr.port()
            ),
            StartError::Listen(addr, error) => write!(f, "cannot listen on {addr}: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A listening server, ready to [`run`](Server::run).
pub struct Server {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// What every worker shares.
struct Shared {
    listener: TcpListener,
    site: Site,
    log: LogLevel,
    max_connections: usize,
    stopping: AtomicBool,
    pool: Mutex<Pool>,
    /// Signalled when a worker leaves, a connection ends, or the server is asked to stop.
    changed: Condvar,
}

/// The worker pool's bookkeeping, under one lock.
#[derive(Default)]
struct Pool {
    /// Workers blocked in `accept`, waiting for the next client.
    accepting: usize,
    /// All workers alive.
    workers: usize,
    /// Connections being served.
    active_connections: usize,
}

impl Shared {
    fn pool(&self) -> MutexGuard<'_, Pool> {
        // A worker that panicked while holding the lock leaves counters that are still valid
        // (every update is one statement), so carry on with them.
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait_for_change<'a>(
        &'a self,
        pool: MutexGuard<'a, Pool>,
        limit: Duration,
    ) -> MutexGuard<'a, Pool> {
        match self.changed.wait_timeout(pool, limit) {
            Ok((pool, _)) => pool,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// Stops a running server from another thread (a Ctrl+C handler).
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Asks the server to stop: no new connections; [`Server::run`] returns once the
    /// connections in flight finish or [`SHUTDOWN_GRACE`] passes.
    pub fn stop(&self) {
        let pool = self.shared.pool();
        self.shared.stopping.store(true, Ordering::SeqCst);
        drop(pool);
        self.shared.changed.notify_all();
    }
}

/// How a server's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace time ran out (closed as the process exits).
    pub cut_off: usize,
}

impl Server {
    /// Checks the folder and starts listening.
    pub fn bind(config: &Config) -> Result<Server, StartError> {
        let root = Root::open(&config.dir)
            .map_err(|error| StartError::Folder(config.dir.clone(), error))?;
        let listener = listen(config.bind, config.port)?;
        let local_addr = listener.local_addr().map_err(|error| {
            StartError::Listen(
                SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), config.port),
                error,
            )
        })?;
        let shared = Arc::new(Shared {
            listener,
            site: Site {
                root,
                routes_enabled: config.routes_enabled,
            },
            log: config.log,
            max_connections: config.max_connections.max(1),
            stopping: AtomicBool::new(false),
            pool: Mutex::new(Pool::default()),
            changed: Condvar::new(),
        });
        Ok(Server { local_addr, shared })
    }

    /// The address and real port the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The absolute folder being served.
    pub fn root(&self) -> &std::path::Path {
        self.shared.site.root.path()
    }

    /// A URL a person on this machine can open: the loopback address when listening on all
    /// interfaces.
    pub fn local_url(&self) -> String {
        format!("http://{}/", self.reachable_addr())
    }

    /// An address on this machine that reaches the server: its own, or 127.0.0.1 when it
    /// listens on all interfaces (`0.0.0.0`, or `::`, which on Linux takes IPv4 too).
    fn reachable_addr(&self) -> SocketAddr {
        let ip = self.local_addr.ip();
        let ip = if ip.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            ip
        };
        SocketAddr::new(ip, self.local_addr.port())
    }

    /// A handle that stops this server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves until stopped, then waits (bounded) for the connections in flight.
    pub fn run(self) -> Stopped {
        let shared = &self.shared;
        let mut pool = shared.pool();
        pool.workers += 1;
        pool.accepting += 1;
        drop(pool);
        if let Err(error) = spawn_worker(shared) {
            log_line(
                shared,
                LogLevel::Quiet,
                &format!("cannot start a worker: {error}"),
            );
            return Stopped { cut_off: 0 };
        }

        let mut pool = shared.pool();
        while !shared.stopping.load(Ordering::SeqCst) {
            pool = shared.wait_for_change(pool, Duration::from_secs(3600));
        }

        // Workers blocked in `accept` have no timeout: wake each with a connection of our own.
        // They see that the server is stopping and leave; those serving a client finish first.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while (pool.accepting > 0 || pool.active_connections > 0) && Instant::now() < deadline {
            let sleepers = pool.accepting;
            drop(pool);
            for _ in 0..sleepers {
                self.wake_one_acceptor();
            }
            pool = shared.pool();
            pool = shared.wait_for_change(pool, Duration::from_millis(100));
        }
        Stopped {
            cut_off: pool.active_connections,
        }
    }

    /// Connects to our own port, so that one worker waiting in `accept` returns. A server on
    /// `::` that takes no IPv4 is reached on ::1 instead.
    fn wake_one_acceptor(&self) {
        let ipv6_loopback = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.local_addr.port());
        for addr in [self.reachable_addr(), ipv6_loopback] {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                return;
            }
        }
    }
}

/// Opens the listening socket: on `bind`, or on all interfaces — IPv6 `::` first, which on
/// Linux also takes IPv4 connections, then IPv4 `0.0.0.0` on systems without IPv6.
fn listen(bind: Option<IpAddr>, port: u16) -> Result<TcpListener, StartError> {
    let candidates = match bind {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => vec![
            SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port),
            SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
        ],
    };
    let mut last_error = None;
    for addr in &candidates {
        match TcpListener::bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(error) => {
                let start_error = match error.kind() {
                    io::ErrorKind::AddrInUse => StartError::AddressInUse(*addr),
                    io::ErrorKind::PermissionDenied => StartError::PortNeedsPrivilege(*addr),
                    _ => StartError::Listen(*addr, error),
                };
                // "In use" and "not allowed" are true whatever the address family.
                if !matches!(start_error, StartError::Listen(..)) {
                    return Err(start_error);
                }
                last_error = Some(start_error);
            }
        }
    }
    Err(last_error.expect("there is always at least one candidate address"))
}

/// Starts a worker thread (already counted in the pool by the caller).
fn spawn_worker(shared: &Arc<Shared>) -> io::Result<()> {
    let worker_shared = Arc::clone(shared);
    thread::Builder::new()
        .name("http10-worker".into())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || worker(worker_shared))
        .map(|_| ())
}

/// A worker's life: wait in `accept`, serve that client, come back — "leader and followers".
///
/// The kernel hands each new connection to exactly one of the workers blocked in `accept`, so
/// no thread has to pass connections to another. Before serving, a worker makes sure someone
/// else is still waiting in `accept` (starting a new worker if needed), so new clients are
/// always answered. At the limit, the one worker allowed beyond it answers `503` and goes
/// back to `accept`; a worker that finds enough others already waiting retires.
fn worker(shared: Arc<Shared>) {
    loop {
        let accepted = shared.listener.accept();
        let mut pool = shared.pool();
        pool.accepting -= 1;
        if shared.stopping.load(Ordering::SeqCst) {
            pool.workers -= 1;
            drop(pool);
            shared.changed.notify_all();
            return;
        }
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                pool.accepting += 1;
                drop(pool);
                accept_failed(&shared, &error);
                continue;
            }
        };
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        if pool.active_connections >= shared.max_connections {
            pool.accepting += 1;
            drop(pool);
            refuse_busy(&shared, stream, peer);
            continue;
        }
        pool.active_connections += 1;
        // Up to max_connections workers serve, and one more keeps accepting (and refusing).
        if pool.accepting == 0 && pool.workers <= shared.max_connections {
            pool.workers += 1;
            pool.accepting += 1;
            if let Err(error) = spawn_worker(&shared) {
                pool.workers -= 1;
                pool.accepting -= 1;
                log_line(
                    &shared,
                    LogLevel::Quiet,
                    &format!("cannot start a worker: {error}"),
                );
            }
        }
        drop(pool);

        let outcome =
            panic::catch_unwind(AssertUnwindSafe(|| serve_connection(&shared, stream, peer)));
        if outcome.is_err() {
            let note = format!("{peer} internal error: connection dropped");
            log_line(&shared, LogLevel::Quiet, &note);
        }

        let mut pool = shared.pool();
        pool.active_connections -= 1;
        let retire = shared.stopping.load(Ordering::SeqCst) || pool.accepting >= MAX_SPARE_WORKERS;
        if retire {
            pool.workers -= 1;
        } else {
            pool.accepting += 1;
        }
        drop(pool);
        shared.changed.notify_all();
        if retire {
            return;
        }
    }
}

/// Requests on one connection, one after another, until it closes.
fn serve_connection(shared: &Shared, stream: TcpStream, peer: SocketAddr) {
    // The head and a small body leave in one write; NODELAY stops Nagle's algorithm from
    // holding back the start of the next response on a kept-alive connection.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    log_line(shared, LogLevel::Verbose, &format!("{peer} connected"));

    let mut connection = Connection::new(stream);
    let mut served = 0;
    let ending = loop {
        let idle_limit = if served == 0 {
            HEAD_TIMEOUT
        } else {
            KEEP_ALIVE_TIMEOUT
        };
        let request = match connection.read_request(idle_limit, &shared.stopping) {
            Ok(request) => request,
            Err(ReadError::Closed) => break "the client closed it",
            Err(ReadError::Idle) if served == 0 => break "no request arrived in time",
            Err(ReadError::Idle) => break "idle",
            Err(ReadError::Incomplete) => break "the request did not arrive in full in time",
            Err(ReadError::Io(_)) => break "a network error",
            Err(ReadError::Rejected {
                status,
                reason,
                first_line,
            }) => {
                let framing = Framing {
                    head_only: false,
                    simple: false,
                    persistence: Persistence::Close,
                };
                let sent = write_response(
                    connection.stream(),
                    Response::error(status, &reason),
                    framing,
                );
                log_access(
                    shared,
                    peer,
                    &first_line,
                    status,
                    *sent.as_ref().unwrap_or(&0),
                );
                linger_and_close(connection.stream());
                break "a bad request";
            }
        };
        served += 1;
        if shared.log == LogLevel::Verbose {
            // Only then: formatting every head is work the access log does not need.
            log_head(shared, peer, &request);
        }
        let response = routes::respond(&shared.site, &request);
        let status = response.status;
        let keep_alive = request.wants_keep_alive()
            && !loses_framing(status)
            && served < KEEP_ALIVE_MAX
            && !shared.stopping.load(Ordering::SeqCst);
        let persistence = if keep_alive {
            Persistence::KeepAlive {
                timeout: KEEP_ALIVE_TIMEOUT,
                remaining: KEEP_ALIVE_MAX - served,
            }
        } else {
            Persistence::Close
        };
        let framing = Framing {
            head_only: request.method == "HEAD",
            simple: request.version == Version::Http09,
            persistence,
        };
        let result = write_response(connection.stream(), response, framing);
        let sent = *result.as_ref().unwrap_or(&0);
        log_access(
            shared,
            peer,
            request.request_line().as_bytes(),
            status,
            sent,
        );
        if result.is_err() {
            break "the response could not be sent (client gone?)";
        }
        if !keep_alive {
            break "done";
        }
    };
    let plural = if served == 1 { "" } else { "s" };
    log_line(
        shared,
        LogLevel::Verbose,
        &format!("{peer} closed after {served} request{plural}: {ending}"),
    );
}

/// After these answers the server cannot be sure where the client's next request starts — a
/// request it could not read, or a method it does not know, whose body may follow without a
/// `Content-Length` — so it closes the connection, as nginx does.
fn loses_framing(status: Status) -> bool {
    matches!(
        status,
        Status::BadRequest | Status::NotImplemented | Status::VersionNotSupported
    )
}

/// Answers 503 to a connection over the limit, without giving it a worker.
fn refuse_busy(shared: &Shared, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    // Take whatever request already arrived, without waiting, so closing does not reset the
    // connection before the client reads the 503.
    let _ = stream.set_nonblocking(true);
    let mut discard = [0u8; 4096];
    let _ = stream.read(&mut discard);
    let _ = stream.set_nonblocking(false);
    let response = Response::error(
        Status::ServiceUnavailable,
        "The server is serving as many connections as it allows; try again in a moment.",
    )
    .with_header("Retry-After", "1");
    let framing = Framing {
        head_only: false,
        simple: false,
        persistence: Persistence::Close,
    };
    let sent = write_response(&mut stream, response, framing);
    let _ = stream.shutdown(Shutdown::Write);
    log_access(
        shared,
        peer,
        b"-",
        Status::ServiceUnavailable,
        *sent.as_ref().unwrap_or(&0),
    );
}

/// After an error response: stop sending, read and discard what the client is still sending
/// (for a short time), then close. Closing a socket with unread data makes the kernel send a
/// reset, which can destroy the error response before the client has read it.
fn linger_and_close(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER_TIME;
    let mut discard = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let _ = stream.set_read_timeout(Some(deadline - now));
        match stream.read(&mut discard) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// An `accept` failure is about one connection or a passing shortage, never a reason to stop.
fn accept_failed(shared: &Shared, error: &io::Error) {
    log_line(shared, LogLevel::Quiet, &format!("accept failed: {error}"));
    // Out of file descriptors (EMFILE) fails again at once: give connections time to close.
    thread::sleep(Duration::from_millis(50));
}

/// One Common Log Format line:
/// `127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.0" 200 1234`.
fn log_access(shared: &Shared, peer: SocketAddr, request_line: &[u8], status: Status, sent: u64) {
    if shared.log == LogLevel::Quiet {
        return;
    }
    let line = format!(
        "{} - - [{}] \"{}\" {} {sent}",
        peer.ip(),
        format_log_date(SystemTime::now()),
        escape_control(request_line),
        status.code()
    );
    write_stderr(&line);
}

/// Each line of a request head as it arrived, control characters escaped.
fn log_head(shared: &Shared, peer: SocketAddr, request: &Request) {
    let mut text = String::new();
    for line in request.raw_head.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            text.push_str(&format!("{peer} > {}\n", escape_control(line)));
        }
    }
    if !request.body.is_empty() {
        text.push_str(&format!("{peer} > ({} body bytes)\n", request.body.len()));
    }
    log_line(shared, LogLevel::Verbose, text.trim_end());
}

fn log_line(shared: &Shared, level: LogLevel, text: &str) {
    let wanted = match level {
        LogLevel::Quiet => true,
        LogLevel::Access => shared.log != LogLevel::Quiet,
        LogLevel::Verbose => shared.log == LogLevel::Verbose,
    };
    if wanted {
        write_stderr(text);
    }
}

/// Writes one line to stderr in a single call; a closed stderr is ignored, never a panic
/// (`eprintln!` would panic).
fn write_stderr(line: &str) {
    let mut message = String::with_capacity(line.len() + 1);
    message.push_str(line);
    message.push('\n');
    let _ = io::stderr().lock().write_all(message.as_bytes());
}
