//! The server's life: listen, accept, serve many connections at once, log, stop.
//!
//! ## Which of the three paradigms, and why
//!
//! A server that talks to many clients at once can give each connection its own **thread**,
//! its own **process** (`fork`, as classic Apache and inetd did), or let **one thread multiplex
//! many sockets**, asking the kernel which of them are ready (`select`, `poll`, `epoll`: nginx's
//! way). This server multiplexes: it runs **one event loop per core, less one core left for the
//! clients** (see [`default_event_loops`]), each watching its own connections through [`mio`]
//! (a thin, portable layer over `epoll` on Linux, `kqueue` on BSD and macOS).
//!
//! * It is fast. A blocked thread per connection must be woken by the kernel for every
//!   request, and on two cores that context switch was a fifth of the server's time (measured
//!   in `bench/`). An event loop that is busy never sleeps: one `epoll_wait` hands it every
//!   socket that has something to do, and it serves them one after another.
//! * It is bounded: at most [`Config::max_connections`] connections are open at once; the next
//!   one is answered `503 Service Unavailable` at once and closed. A connection costs a few
//!   hundred bytes of state and the bytes of its request while they arrive, not a thread's
//!   stack: every `read` lands in one buffer per loop first.
//! * Its price is the **state machine**. No call may wait, so each connection remembers where
//!   it is (`State`, below): waiting for a request, receiving one, sending a response, or draining
//!   after an error. When a socket has no more bytes to read (`WouldBlock`), or no room to
//!   write, the loop moves on to the next ready socket and comes back when the kernel says
//!   this one is ready again. A thread per connection (see `examples/threaded.rs`) reads more
//!   simply, top to bottom; this file is what the speed costs.
//!
//! The connections are registered **edge-triggered**: the kernel reports a socket when it
//! *becomes* readable or writable, not for as long as it stays so. ("Writable" is watched only
//! once a send has filled a socket: most responses leave in one write.) So each connection keeps
//! two flags, "may be readable" and "may be writable", set by events and cleared when a
//! `read` or `write` says `WouldBlock` (or, on Linux, when a `read` comes back short: the
//! socket is empty, and any new byte brings a new event); a connection never waits for an
//! event it already had. The listening socket is watched by every loop; on Linux the kernel
//! wakes only one of them per new client (`EPOLLEXCLUSIVE`).
//!
//! The answers to one batch of events leave together: each ready connection's request is read
//! and its response prepared, and only then are the responses sent, one after another. A
//! client program asleep until its answers come (a browser, `ab`) is then woken once for the
//! batch rather than once per response; under `ab -k` on two cores, those wake-ups had been a
//! tenth of the server's time (`bench/README.md`).
//!
//! ## Deadlines
//!
//! No client can hold a connection slot forever. Every connection has one deadline, set by its
//! state, and each loop looks at its connections' deadlines every [`TICK`]: the first request
//! must start within [`HEAD_TIMEOUT`], and once a byte has arrived the **whole** head must
//! follow within [`HEAD_TIMEOUT`] (a deadline for the whole head, not for each byte, so
//! dribbling a byte a second does not help); a body then has [`BODY_TIMEOUT`]; an idle
//! kept-alive connection is closed after [`KEEP_ALIVE_TIMEOUT`]; a client that stops reading a
//! download is dropped when no byte has left for [`WRITE_TIMEOUT`]. A client that vanishes
//! mid-download makes only its own `write` fail.
//!
//! ## Stopping
//!
//! [`ShutdownHandle::stop`] (which `httpserve` calls on Ctrl+C) wakes every loop: each closes
//! its listening socket and its idle connections, lets the responses in flight finish for at
//! most [`SHUTDOWN_GRACE`], and [`Server::run`] returns.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use mio::event::Event;
use mio::net::{TcpListener as ListeningSocket, TcpStream as ClientSocket};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::date::format_log_date;
use crate::escape::escape_control;
use crate::files::Root;
use crate::request::{Progress, Rejected, Request, RequestBuffer, Version, READ_CHUNK};
pub use crate::request::{BODY_TIMEOUT, HEAD_TIMEOUT};
use crate::response::{Framing, Outgoing, Persistence, Response, Sent};
use crate::routes::{self, Site};
use crate::status::Status;

/// How long a kept-alive connection may sit idle between requests.
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How many requests one kept-alive connection may carry before the server closes it.
pub const KEEP_ALIVE_MAX: usize = 1000;
/// How long a response may make no progress (a client that does not read) before the
/// connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default bound on connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// How long a stopping server waits for responses in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How often each event loop looks at its connections' deadlines; deadlines hold to within
/// this much. It is also the longest a loop sleeps, so it notices a stop at least this often.
pub const TICK: Duration = Duration::from_millis(250);
/// After an error response, how long to keep reading (and discarding) what the client still
/// sends, so that closing does not reset the connection before the client reads the error.
const LINGER_TIME: Duration = Duration::from_millis(500);
/// How many readiness events one `poll` may hand back.
const EVENTS_PER_POLL: usize = 256;
/// The token of the listening socket in every loop's `Poll`.
const LISTENER: Token = Token(0);
/// The token of the waker that [`ShutdownHandle::stop`] uses.
const WAKER: Token = Token(1);
/// Connection tokens start here: token `FIRST_CLIENT + i` is slot `i` in [`Clients`].
const FIRST_CLIENT: usize = 2;

/// Everything `httpserve`'s command line decides.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; `None` for all interfaces (IPv6 and IPv4 when the system has both).
    pub bind: Option<IpAddr>,
    /// Port; 0 lets the OS choose.
    pub port: u16,
    /// The folder to serve.
    pub dir: PathBuf,
    /// Connections open at once; more get 503.
    pub max_connections: usize,
    /// Event loops (threads); 0 for [`default_event_loops`] of the machine's cores.
    pub threads: usize,
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
    /// The system refused what an event loop needs (a `Poll`, a copy of the listening socket).
    EventLoop(io::Error),
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
            StartError::EventLoop(error) => write!(f, "cannot start an event loop: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A listening server, ready to [`run`](Server::run).
pub struct Server {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    loops: Vec<EventLoop>,
}

/// What every event loop shares.
struct Shared {
    site: Site,
    log: LogLevel,
    max_connections: usize,
    /// Connections open now, over all loops.
    open_connections: AtomicUsize,
    stopping: AtomicBool,
    /// One per loop: wakes it from `poll` when the server is asked to stop.
    wakers: Vec<Waker>,
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
        self.shared.stopping.store(true, Ordering::SeqCst);
        for waker in &self.shared.wakers {
            // A loop that cannot be woken still sees the flag within one TICK.
            let _ = waker.wake();
        }
    }
}

/// How many event loops serve on a machine with this many cores when `--threads` is not
/// given: one per core, less one core left for the clients — and always at least one.
///
/// In the lab the clients run on the same machine as the server: the browser, `curl`, `ab`,
/// `wrk`. A loop on every core makes them fight for the cores, and the kernel then switches
/// between them far more often. Measured on two cores with `ab -n 20000 -c 50` (a new
/// connection per request; `bench/README.md`): two loops were preempted about 4,000 times,
/// one loop about 200 times; over eight interleaved rounds one loop served a median 16.6k
/// requests a second, two loops 15.7k. With the clients on other machines the spare core
/// costs one loop in many.
pub fn default_event_loops(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// How a server's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace time ran out (closed as the process exits).
    pub cut_off: usize,
}

impl Server {
    /// Checks the folder, starts listening, and prepares [`Config::threads`] event loops (by
    /// default [`default_event_loops`]).
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
        listener
            .set_nonblocking(true)
            .map_err(StartError::EventLoop)?;
        let threads = match config.threads {
            0 => {
                default_event_loops(thread::available_parallelism().map_or(1, |cores| cores.get()))
            }
            threads => threads,
        };

        // Every loop watches the same listening socket (a copy of its descriptor): when a
        // client arrives, whichever loop is free first accepts it.
        let mut loops = Vec::with_capacity(threads);
        let mut wakers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let poll = Poll::new().map_err(StartError::EventLoop)?;
            let copy = listener.try_clone().map_err(StartError::EventLoop)?;
            let mut listening = ListeningSocket::from_std(copy);
            watch_listener(&poll, &mut listening).map_err(StartError::EventLoop)?;
            wakers.push(Waker::new(poll.registry(), WAKER).map_err(StartError::EventLoop)?);
            loops.push(EventLoop {
                poll,
                listener: Some(listening),
                clients: Clients::default(),
                scratch: vec![0; READ_CHUNK],
                accept_paused: false,
                replies_ready: Vec::new(),
            });
        }
        let shared = Arc::new(Shared {
            site: Site {
                root,
                routes_enabled: config.routes_enabled,
            },
            log: config.log,
            max_connections: config.max_connections.max(1),
            open_connections: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            wakers,
        });
        Ok(Server {
            local_addr,
            shared,
            loops,
        })
    }

    /// The address and real port the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The absolute folder being served.
    pub fn root(&self) -> &std::path::Path {
        self.shared.site.root.path()
    }

    /// How many event loops (threads) serve connections.
    pub fn threads(&self) -> usize {
        self.loops.len()
    }

    /// A URL a person on this machine can open: the loopback address when listening on all
    /// interfaces (`0.0.0.0`, or `::`, which on Linux takes IPv4 too).
    pub fn local_url(&self) -> String {
        let ip = self.local_addr.ip();
        let ip = if ip.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            ip
        };
        format!("http://{}/", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// A handle that stops this server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves until stopped, then waits (bounded) for the connections in flight. The last
    /// loop runs on the calling thread, the others on threads of their own.
    pub fn run(self) -> Stopped {
        let mut loops = self.loops;
        let Some(last) = loops.pop() else {
            return Stopped { cut_off: 0 };
        };
        let mut others = Vec::new();
        for event_loop in loops {
            let shared = Arc::clone(&self.shared);
            let started = thread::Builder::new()
                .name("http10-loop".into())
                .spawn(move || event_loop.run(&shared));
            match started {
                Ok(handle) => others.push(handle),
                // The loops that did start serve everyone; this one is only missed for speed.
                Err(error) => log_line(
                    &self.shared,
                    LogLevel::Quiet,
                    &format!("cannot start an event loop thread: {error}"),
                ),
            }
        }
        let mut cut_off = last.run(&self.shared);
        for handle in others {
            cut_off += handle.join().unwrap_or(0);
        }
        Stopped { cut_off }
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

/// Adds the listening socket to a loop's `Poll`. On Linux it is added "exclusive"
/// (`EPOLLEXCLUSIVE`): when a client arrives, the kernel wakes one sleeping loop, not all of
/// them only for all but one to find the queue empty (the "thundering herd"). And it is
/// level-triggered: while clients wait in the queue, every `poll` says so, so a loop can
/// accept one per event and never spend an `accept` on an empty queue. `mio` offers neither,
/// so this one registration is made with `epoll_ctl` itself, under the token `mio` would use.
#[cfg(target_os = "linux")]
fn watch_listener(poll: &Poll, listener: &mut ListeningSocket) -> io::Result<()> {
    use rustix::event::epoll::{self, EventData, EventFlags};
    let flags = EventFlags::IN | EventFlags::EXCLUSIVE;
    let token = EventData::new_u64(LISTENER.0 as u64);
    epoll::add(poll.registry(), &*listener, token, flags)?;
    Ok(())
}

/// Adds the listening socket to a loop's `Poll` (edge-triggered, as all of `mio`'s).
#[cfg(not(target_os = "linux"))]
fn watch_listener(poll: &Poll, listener: &mut ListeningSocket) -> io::Result<()> {
    poll.registry()
        .register(listener, LISTENER, Interest::READABLE)
}

/// How many clients one event of the listening socket may accept. Level-triggered (Linux,
/// see [`watch_listener`]): one, as the next `poll` reports the rest. Edge-triggered: all of
/// them, since no new event will.
const ACCEPTS_PER_EVENT: usize = if cfg!(target_os = "linux") {
    1
} else {
    usize::MAX
};

/// One event loop: a `Poll`, its copy of the listening socket, and its connections.
struct EventLoop {
    poll: Poll,
    /// `None` once the server is stopping.
    listener: Option<ListeningSocket>,
    clients: Clients,
    /// Where every `read` lands first; a connection keeps only the bytes that arrived, so it
    /// needs no buffer of its own until it has something to hold.
    scratch: Vec<u8>,
    /// `accept` failed for want of resources (out of file descriptors): the listening socket
    /// is not watched until the next tick.
    accept_paused: bool,
    /// Connections whose response is ready, to be sent once every event of the batch has
    /// been looked at.
    replies_ready: Vec<usize>,
}

impl EventLoop {
    /// The loop itself: wait for ready sockets, serve them, look at deadlines, repeat. Returns
    /// how many connections were still open when the stop's grace time ran out.
    fn run(mut self, shared: &Shared) -> usize {
        let mut events = Events::with_capacity(EVENTS_PER_POLL);
        let mut next_tick = Instant::now() + TICK;
        let mut stop_deadline = None;
        loop {
            if let Err(error) = self.poll.poll(&mut events, Some(TICK)) {
                if error.kind() != io::ErrorKind::Interrupted {
                    let note = format!("an event loop failed, its connections are closed: {error}");
                    log_line(shared, LogLevel::Quiet, &note);
                    return self.clients.len();
                }
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_clients(shared),
                    WAKER => {} // the stop is noticed below
                    Token(token) => self.client_ready(shared, token - FIRST_CLIENT, event),
                }
            }
            self.send_ready_replies(shared);

            let now = Instant::now();
            if stop_deadline.is_none() && shared.stopping.load(Ordering::SeqCst) {
                stop_deadline = Some(now + SHUTDOWN_GRACE);
                // Closing our copy of the listening socket; once every loop has, new clients
                // are refused by the kernel. (Closing one copy of a descriptor does not take
                // it out of the `Poll`; `deregister` does.)
                if let Some(mut listener) = self.listener.take() {
                    if !self.accept_paused {
                        let _ = self.poll.registry().deregister(&mut listener);
                    }
                }
                self.look_at_deadlines(shared, now);
            }
            if now >= next_tick {
                self.look_at_deadlines(shared, now);
                if self.accept_paused {
                    self.resume_accepting(shared);
                }
                next_tick = now + TICK;
            }
            if let Some(deadline) = stop_deadline {
                if self.clients.len() == 0 || now >= deadline {
                    return self.clients.len();
                }
            }
        }
    }

    /// Sends the responses prepared while this batch of events was looked at, one after
    /// another: a client program asleep until they come is woken once for them all rather
    /// than once for each (see the module docs).
    fn send_ready_replies(&mut self, shared: &Shared) {
        // Taken out and put back, so that `advance` may borrow the loop meanwhile and the
        // list keeps its allocation.
        let mut ready = std::mem::take(&mut self.replies_ready);
        for slot in ready.drain(..) {
            self.advance(shared, slot, Hold::Nothing);
        }
        self.replies_ready = ready;
    }

    /// Accepts clients waiting in the listening socket's queue (up to [`ACCEPTS_PER_EVENT`]).
    fn accept_clients(&mut self, shared: &Shared) {
        for _ in 0..ACCEPTS_PER_EVENT {
            let Some(listener) = &self.listener else {
                return;
            };
            match listener.accept() {
                Ok((socket, peer)) => self.admit(shared, socket, peer),
                // Another loop took it, or the queue is empty.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                // A client that gave up while waiting in the queue: only that one is lost.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(error) => {
                    // Out of file descriptors (EMFILE) would fail again at once, and the queue
                    // would be reported again at once: stop watching it for a tick, while
                    // connections close. Never a reason to stop the server.
                    log_line(shared, LogLevel::Quiet, &format!("accept failed: {error}"));
                    self.pause_accepting();
                    return;
                }
            }
        }
    }

    fn pause_accepting(&mut self) {
        if let Some(listener) = &mut self.listener {
            let _ = self.poll.registry().deregister(listener);
            self.accept_paused = true;
        }
    }

    fn resume_accepting(&mut self, shared: &Shared) {
        let Some(listener) = &mut self.listener else {
            return;
        };
        match watch_listener(&self.poll, listener) {
            Ok(()) => {
                self.accept_paused = false;
                // Clients may have queued while no event could say so.
                self.accept_clients(shared);
            }
            Err(error) => {
                let note = format!("cannot watch for new clients yet: {error}");
                log_line(shared, LogLevel::Quiet, &note);
            }
        }
    }

    /// Takes on a new connection, or answers 503 if the server is full.
    fn admit(&mut self, shared: &Shared, mut socket: ClientSocket, peer: SocketAddr) {
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        let open = shared.open_connections.fetch_add(1, Ordering::SeqCst);
        if open >= shared.max_connections {
            shared.open_connections.fetch_sub(1, Ordering::SeqCst);
            refuse_busy(shared, socket, peer);
            return;
        }
        let slot = self.clients.vacant_slot();
        let token = Token(FIRST_CLIENT + slot);
        // Readable only: most responses leave in one write to a socket that has room, so
        // "writable" events would only wake the loop for nothing. A send that fills the socket
        // asks for them (`watch_writes`).
        let interest = Interest::READABLE;
        let registered = self.poll.registry().register(&mut socket, token, interest);
        if let Err(error) = registered {
            self.clients.give_back(slot);
            shared.open_connections.fetch_sub(1, Ordering::SeqCst);
            log_line(
                shared,
                LogLevel::Quiet,
                &format!("{peer} not served: {error}"),
            );
            return;
        }
        log_line(shared, LogLevel::Verbose, &format!("{peer} connected"));
        self.clients
            .put(slot, Client::new(socket, peer, token, Instant::now()));
    }

    /// The kernel says this connection's socket changed: note what, and move it along.
    fn client_ready(&mut self, shared: &Shared, slot: usize, event: &Event) {
        // An event for a connection closed earlier in the same batch may find its slot empty,
        // or already given to a new connection: the flags below only say "try", so a stale
        // event costs one `WouldBlock` and nothing else.
        let Some(client) = self.clients.get_mut(slot) else {
            return;
        };
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            client.may_read = true;
        }
        if event.is_read_closed() {
            client.read_closed = true;
        }
        if event.is_writable() || event.is_write_closed() || event.is_error() {
            client.may_write = true;
        }
        self.advance(shared, slot, Hold::NewReplies);
    }

    /// Runs one connection's state machine as far as its socket allows (stopping at a newly
    /// prepared response if `hold` says so: it joins the batch's `replies_ready`), and closes
    /// the connection if it is over. A panic (a bug) costs only this connection.
    fn advance(&mut self, shared: &Shared, slot: usize, hold: Hold) {
        let Some(client) = self.clients.get_mut(slot) else {
            return;
        };
        let scratch = &mut self.scratch;
        let outcome =
            panic::catch_unwind(AssertUnwindSafe(|| client.advance(shared, scratch, hold)));
        match outcome {
            Ok(Paused::ReplyReady) => self.replies_ready.push(slot),
            Ok(Paused::Waiting) if client.wants_writable_events => self.watch_writes(shared, slot),
            Ok(Paused::Waiting) => {}
            Ok(Paused::Over(ending)) => self.close(shared, slot, ending),
            Err(_) => {
                let note = format!("{} internal error: connection dropped", client.peer);
                log_line(shared, LogLevel::Quiet, &note);
                self.close(shared, slot, "an internal error");
            }
        }
    }

    /// A send filled this connection's socket: from now on, watch it for "writable" too.
    fn watch_writes(&mut self, shared: &Shared, slot: usize) {
        let Some(client) = self.clients.get_mut(slot) else {
            return;
        };
        client.wants_writable_events = false;
        client.watching_writes = true;
        // Changing the registration looks at the socket at once, so room that appeared
        // since the send still brings its event.
        let interest = Interest::READABLE | Interest::WRITABLE;
        let watched = self
            .poll
            .registry()
            .reregister(&mut client.socket, client.token, interest);
        if watched.is_err() {
            self.close(shared, slot, "a network error");
        }
    }

    /// Closes connections whose deadline has passed, and, when the server is stopping, those
    /// waiting for a request that has not started.
    fn look_at_deadlines(&mut self, shared: &Shared, now: Instant) {
        let stopping = shared.stopping.load(Ordering::SeqCst);
        for slot in 0..self.clients.capacity() {
            let Some(client) = self.clients.get_mut(slot) else {
                continue;
            };
            let ending = if now >= client.deadline {
                client.time_is_up(shared)
            } else if stopping && client.is_idle() {
                "the server is stopping"
            } else {
                continue;
            };
            self.close(shared, slot, ending);
        }
    }

    /// Ends a connection: the socket closes when the client is dropped (which also takes it
    /// out of the `Poll`).
    fn close(&mut self, shared: &Shared, slot: usize, ending: &str) {
        let Some(client) = self.clients.take(slot) else {
            return;
        };
        shared.open_connections.fetch_sub(1, Ordering::SeqCst);
        if shared.log == LogLevel::Verbose {
            let served = client.served;
            let plural = if served == 1 { "" } else { "s" };
            let peer = client.peer;
            let line = format!("{peer} closed after {served} request{plural}: {ending}");
            log_line(shared, LogLevel::Verbose, &line);
        }
    }
}

/// The connections of one loop, each in a numbered slot; a slot's number is its `Token`.
/// Freed slots are reused, so the numbers stay small.
#[derive(Default)]
struct Clients {
    slots: Vec<Option<Client>>,
    free: Vec<usize>,
    count: usize,
}

impl Clients {
    fn len(&self) -> usize {
        self.count
    }

    fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// A slot to [`put`](Clients::put) the next connection in.
    fn vacant_slot(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    /// Returns a slot from [`vacant_slot`](Clients::vacant_slot) that was not used after all.
    fn give_back(&mut self, slot: usize) {
        self.free.push(slot);
    }

    fn put(&mut self, slot: usize, client: Client) {
        self.slots[slot] = Some(client);
        self.count += 1;
    }

    fn get_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    fn take(&mut self, slot: usize) -> Option<Client> {
        let client = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.count -= 1;
        Some(client)
    }
}

/// One connection and where it is in its exchange with the client.
struct Client {
    socket: ClientSocket,
    peer: SocketAddr,
    state: State,
    /// When the current state's time runs out.
    deadline: Instant,
    /// Bytes received and not used yet.
    received: RequestBuffer,
    /// Requests answered so far.
    served: usize,
    /// The socket may have bytes to read: set by an event, cleared by `WouldBlock`.
    may_read: bool,
    /// The socket may have room to write: set by an event, cleared by `WouldBlock`.
    may_write: bool,
    /// The kernel reported that the client closed its sending side.
    read_closed: bool,
    /// `TCP_NODELAY` is set (on the first response that keeps the connection open).
    no_delay: bool,
    /// The socket is watched for "writable" too (after a send first filled it).
    watching_writes: bool,
    /// A send filled the socket, and "writable" events are not watched yet: the loop adds
    /// them (it holds the `Poll`).
    wants_writable_events: bool,
    /// The connection's token in its loop's `Poll`.
    token: Token,
}

/// Whether [`Client::advance`] stops at a response it has just prepared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Stop there: the loop sends it after the batch of events.
    NewReplies,
    /// Go on as far as the socket allows.
    Nothing,
}

/// Why [`Client::advance`] stopped.
enum Paused {
    /// Until the socket is ready again.
    Waiting,
    /// A response is ready, held as [`Hold::NewReplies`] asked.
    ReplyReady,
    /// The connection is over, for this reason.
    Over(&'static str),
}

/// Where a connection is. Each state has its own deadline (see the module docs).
enum State {
    /// No byte of a request yet: a new connection, or a kept-alive one between requests.
    Waiting,
    /// Part of a request head has arrived; the rest must follow by the deadline.
    ReceivingHead,
    /// The head is complete; its body is still arriving.
    ReceivingBody,
    /// A response is on its way out.
    Sending(Reply),
    /// After an error response: the sending side is shut, and what the client still sends is
    /// read and thrown away until it closes, so that closing does not destroy the response.
    Draining,
}

/// A response being sent, and what to log and do once it is out.
struct Reply {
    outgoing: Outgoing,
    status: Status,
    /// The request line for the access log.
    request_line: Vec<u8>,
    then: AfterReply,
}

/// What happens to the connection after a response.
#[derive(Clone, Copy)]
enum AfterReply {
    /// Wait for the next request (persistent connection).
    KeepAlive,
    /// Close it: HTTP/1.0's default.
    Close,
    /// Close it after draining what the client still sends (after an error).
    Drain,
}

/// What the state machine does after one step.
enum Step {
    /// Take another step at once.
    Continue,
    /// Nothing more until the socket is ready again.
    Wait,
    /// The connection is over, for this reason (shown in the verbose log).
    Close(&'static str),
}

impl Client {
    fn new(socket: ClientSocket, peer: SocketAddr, token: Token, now: Instant) -> Client {
        Client {
            socket,
            peer,
            state: State::Waiting,
            deadline: now + HEAD_TIMEOUT,
            received: RequestBuffer::new(),
            served: 0,
            // Not yet: the client is usually still sending its request when the connection
            // is accepted, and the event that says it has arrived comes soon enough.
            may_read: false,
            may_write: true,
            read_closed: false,
            no_delay: false,
            watching_writes: false,
            wants_writable_events: false,
            token,
        }
    }

    /// Whether the connection waits for a request that has not started.
    fn is_idle(&self) -> bool {
        matches!(self.state, State::Waiting) && self.received.is_empty()
    }

    /// Steps until the socket has nothing more to give or take now, or until a new response
    /// is ready if `hold` says so.
    fn advance(&mut self, shared: &Shared, scratch: &mut [u8], hold: Hold) -> Paused {
        loop {
            let step = match self.state {
                State::Waiting | State::ReceivingHead | State::ReceivingBody => {
                    let step = self.receive(shared, scratch);
                    if hold == Hold::NewReplies && matches!(self.state, State::Sending(_)) {
                        return Paused::ReplyReady;
                    }
                    step
                }
                State::Sending(_) => self.send(shared),
                State::Draining => self.drain(scratch),
            };
            match step {
                Step::Continue => {}
                Step::Wait => return Paused::Waiting,
                Step::Close(ending) => return Paused::Over(ending),
            }
        }
    }

    /// Receiving: answer the request if it is all here, else read more.
    fn receive(&mut self, shared: &Shared, scratch: &mut [u8]) -> Step {
        match self.received.take_request() {
            Ok(Progress::Complete(request)) => return self.respond(shared, request),
            Err(rejected) => return self.reject(shared, rejected),
            Ok(Progress::NeedBody) if !matches!(self.state, State::ReceivingBody) => {
                self.state = State::ReceivingBody;
                self.deadline = Instant::now() + BODY_TIMEOUT;
            }
            Ok(_) => {}
        }
        if !self.may_read {
            return Step::Wait;
        }
        match self.received.read_from(&mut self.socket, scratch) {
            Ok(0) if self.received.is_empty() => Step::Close("the client closed it"),
            Ok(0) => Step::Close("the request did not arrive in full"),
            Ok(count) => {
                if count < scratch.len() && !self.read_closed && cfg!(target_os = "linux") {
                    // A short read emptied the socket: epoll reports any byte that arrives
                    // from now on with a new event, so the `read` that would only say
                    // `WouldBlock` can be skipped (nginx does the same). Not after the client
                    // closed its side: that end-of-file is still to be read, and no new
                    // event would announce it.
                    self.may_read = false;
                }
                if matches!(self.state, State::Waiting) {
                    // The first byte starts the clock for the whole head.
                    self.state = State::ReceivingHead;
                    self.deadline = Instant::now() + HEAD_TIMEOUT;
                }
                Step::Continue
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.may_read = false;
                Step::Wait
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Step::Continue,
            Err(_) => Step::Close("a network error"),
        }
    }

    /// A whole request has arrived: route it and start sending the answer.
    fn respond(&mut self, shared: &Shared, request: Request) -> Step {
        self.served += 1;
        if shared.log == LogLevel::Verbose {
            // Only then: formatting every head is work the access log does not need.
            log_head(shared, self.peer, &request);
        }
        let response = routes::respond(&shared.site, &request);
        let keep_alive = request.wants_keep_alive()
            && !loses_framing(response.status)
            && self.served < KEEP_ALIVE_MAX
            && !shared.stopping.load(Ordering::SeqCst);
        if keep_alive && !self.no_delay {
            // A response leaves in one write, but on a connection kept open the client's
            // delayed ACK of the last one would make Nagle's algorithm hold back the start of
            // the next for about 40 ms. A connection that closes after one response has no
            // "next", so it is spared the system call (as nginx does).
            let _ = self.socket.set_nodelay(true);
            self.no_delay = true;
        }
        let (persistence, then) = if keep_alive {
            let persistence = Persistence::KeepAlive {
                timeout: KEEP_ALIVE_TIMEOUT,
                remaining: KEEP_ALIVE_MAX - self.served,
            };
            (persistence, AfterReply::KeepAlive)
        } else {
            (Persistence::Close, AfterReply::Close)
        };
        let framing = Framing {
            head_only: request.method == "HEAD",
            simple: request.version == Version::Http09,
            persistence,
        };
        let request_line = if shared.log == LogLevel::Quiet {
            Vec::new() // not logged: spare the allocation
        } else {
            request.request_line().into_bytes()
        };
        self.start_reply(shared, response, framing, request_line, then)
    }

    /// A request that breaks a rule: answer the error, then drain and close.
    fn reject(&mut self, shared: &Shared, rejected: Rejected) -> Step {
        let response = Response::error(rejected.status, &rejected.reason);
        let framing = Framing::full_then_close();
        self.start_reply(
            shared,
            response,
            framing,
            rejected.first_line,
            AfterReply::Drain,
        )
    }

    fn start_reply(
        &mut self,
        shared: &Shared,
        response: Response,
        framing: Framing,
        request_line: Vec<u8>,
        then: AfterReply,
    ) -> Step {
        let status = response.status;
        match Outgoing::new(response, framing, SystemTime::now()) {
            Ok(outgoing) => {
                self.state = State::Sending(Reply {
                    outgoing,
                    status,
                    request_line,
                    then,
                });
                self.deadline = Instant::now() + WRITE_TIMEOUT;
                Step::Continue
            }
            Err(_) => {
                log_access(shared, self.peer, &request_line, status, 0);
                Step::Close("the file could not be read")
            }
        }
    }

    /// Sending: write what the socket takes; when all is out, log it and go on.
    fn send(&mut self, shared: &Shared) -> Step {
        let State::Sending(reply) = &mut self.state else {
            return Step::Continue;
        };
        if !self.may_write {
            return Step::Wait;
        }
        let then = match reply.outgoing.send(&mut self.socket) {
            Ok(Sent::SocketFull) => {
                // Progress was made (or none was possible): the client has a fresh
                // WRITE_TIMEOUT to read some more.
                self.may_write = false;
                self.wants_writable_events = !self.watching_writes;
                self.deadline = Instant::now() + WRITE_TIMEOUT;
                return Step::Wait;
            }
            Ok(Sent::All) => reply.then,
            Err(_) => {
                log_reply(shared, self.peer, reply);
                return Step::Close("the response could not be sent (client gone?)");
            }
        };
        log_reply(shared, self.peer, reply);
        let now = Instant::now();
        match then {
            AfterReply::Close => Step::Close("done"),
            AfterReply::KeepAlive if self.received.is_empty() => {
                self.state = State::Waiting;
                self.deadline = now + KEEP_ALIVE_TIMEOUT;
                Step::Continue
            }
            AfterReply::KeepAlive => {
                // Part of the next request came with this one (pipelining).
                self.state = State::ReceivingHead;
                self.deadline = now + HEAD_TIMEOUT;
                Step::Continue
            }
            AfterReply::Drain => {
                let _ = self.socket.shutdown(Shutdown::Write);
                self.state = State::Draining;
                self.deadline = now + LINGER_TIME;
                Step::Continue
            }
        }
    }

    /// Draining: read and discard until the client closes (or the deadline).
    fn drain(&mut self, scratch: &mut [u8]) -> Step {
        if !self.may_read {
            return Step::Wait;
        }
        match self.socket.read(scratch) {
            Ok(0) => Step::Close("a bad request"),
            Ok(_) => Step::Continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.may_read = false;
                Step::Wait
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Step::Continue,
            Err(_) => Step::Close("a bad request"),
        }
    }

    /// The deadline has passed: why the connection closes (and, for a response cut short,
    /// its access-log line).
    fn time_is_up(&self, shared: &Shared) -> &'static str {
        match &self.state {
            State::Waiting if self.served == 0 => "no request arrived in time",
            State::Waiting => "idle",
            State::ReceivingHead | State::ReceivingBody => {
                "the request did not arrive in full in time"
            }
            State::Sending(reply) => {
                log_reply(shared, self.peer, reply);
                "the client stopped reading"
            }
            State::Draining => "a bad request",
        }
    }
}

/// Answers 503 to a connection over the limit, without taking it on.
fn refuse_busy(shared: &Shared, mut socket: ClientSocket, peer: SocketAddr) {
    // Take whatever request already arrived (without waiting: the socket is non-blocking), so
    // closing does not reset the connection before the client reads the 503.
    let mut discard = [0u8; 4096];
    let _ = socket.read(&mut discard);
    let response = Response::error(
        Status::ServiceUnavailable,
        "The server is serving as many connections as it allows; try again in a moment.",
    )
    .with_header("Retry-After", "1");
    let framing = Framing::full_then_close();
    let mut sent = 0;
    if let Ok(mut outgoing) = Outgoing::new(response, framing, SystemTime::now()) {
        // A fresh socket's buffer takes this short page whole.
        let _ = outgoing.send(&mut socket);
        sent = outgoing.body_bytes_sent();
    }
    let _ = socket.shutdown(Shutdown::Write);
    log_access(shared, peer, b"-", Status::ServiceUnavailable, sent);
}

/// The access-log line of a response, sent whole or cut short.
fn log_reply(shared: &Shared, peer: SocketAddr, reply: &Reply) {
    let sent = reply.outgoing.body_bytes_sent();
    log_access(shared, peer, &reply.request_line, reply.status, sent);
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

#[cfg(test)]
mod tests {
    use super::default_event_loops;

    #[test]
    fn one_core_is_left_for_the_clients_but_one_loop_always_runs() {
        let cases = [(0, 1), (1, 1), (2, 1), (3, 2), (4, 3), (16, 15)];
        for (cores, loops) in cases {
            assert_eq!(default_event_loops(cores), loops, "{cores} cores");
        }
    }
}
