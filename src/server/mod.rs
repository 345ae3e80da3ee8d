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
//!   request, and on two cores those context switches cost a large share of the server's time
//!   (`bench/README.md` has the measurements). An event loop that is busy never sleeps: one
//!   `epoll_wait` hands it every socket that has something to do, and it serves them one after
//!   another.
//! * It is cheap per connection: a few hundred bytes of state and the bytes of its request
//!   while they arrive, not a thread's stack (every `read` lands in one buffer per loop
//!   first). So thousands of idle or stalled sockets cost little, and the server can hold
//!   many ([`default_max_connections`]). When the table is full anyway, the connection that
//!   has waited longest for a request makes room for the new one; only when every connection
//!   is busy answering does a new one get `503 Service Unavailable`.
//! * Its price is the **state machine**. No socket call may wait, so each connection remembers
//!   where it is ([`connection`]): waiting for a request, receiving one, sending a response, or
//!   draining after an error. When a socket has no more bytes to read (`WouldBlock`), or no
//!   room to write, the loop moves on to the next ready socket and comes back when the kernel
//!   says this one is ready again. A thread per connection (see `examples/threaded.rs`) reads
//!   more simply, top to bottom; `event_loop.rs` and `connection.rs` are what the speed costs.
//! * Some calls still block the loop for a moment: opening and reading a file (the page cache
//!   usually answers at once, a cold disk does not), building a listing, and writing a log line
//!   to stderr (a slow terminal slows the server; `--quiet` when measuring). While one of them
//!   waits, the other connections of that loop wait too.
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
//! One batch of events is served in three passes: every ready connection's request is read,
//! then every request is answered, then the responses are sent, one after another. A client
//! program asleep until its answers come (a browser, `ab`) is woken once for the batch rather
//! than once per response (`bench/README.md` measured what those wake-ups cost). And the
//! [file cache](file_cache) checks a file once for all the batch's requests for it: a check
//! made after every one of them had arrived tells the file as it is for each.
//!
//! ## Deadlines
//!
//! No client can hold a connection slot forever. Every connection has one deadline, set by its
//! state, and each loop looks at its connections' deadlines every [`TICK`]: the first request
//! must start within [`REQUEST_HEAD_TIMEOUT`], and once a byte has arrived the **whole** head must
//! follow within [`REQUEST_HEAD_TIMEOUT`] (a deadline for the whole head, not for each byte, so
//! dribbling a byte a second does not help); a body then has [`BODY_TIMEOUT`]; an idle
//! kept-alive connection is closed after [`KEEP_ALIVE_TIMEOUT`]; a client that stops reading a
//! download is dropped when no byte has left for [`WRITE_TIMEOUT`]. A client that vanishes
//! mid-download makes only its own `write` fail. A head cut off by its deadline is answered
//! `408 Request Timeout`; a connection that never sent a byte is closed without a word.
//!
//! While the table of connections is three quarters full, a head gets only
//! [`BUSY_HEAD_TIMEOUT`], and when it is full the connection that has waited longest for a
//! request is closed to make room for the new one: sockets held open by an attacker (or left
//! idle by browsers) cost each other their places, not the clients that send a request.
//! Every limit is in [`Timeouts`], so tests and lessons can make them short.
//!
//! ## Where each step lives
//!
//! | file | step |
//! |---|---|
//! | `mod.rs` (here) | [`Config`], [`Server::bind`], [`Server::run`], stopping |
//! | [`addresses`] | what `--bind` names; the URLs the start-up lines print, one per address |
//! | [`listening`] | the listening socket (`socket`, `bind`, `listen`), and 503 when full |
//! | [`capacity`] | how many event loops, and how many connections the open files allow |
//! | [`event_loop`] | poll, accept, hand ready sockets to their connection, deadlines |
//! | [`slots`] | one loop's connections, each in the slot its `Token` names |
//! | [`connection`] | one connection's states: receiving, sending, draining |
//! | [`request_line`] | the request line, split by hand (RFC 1945 §5.1) |
//! | [`request`] | the headers, under limits (RFC 1945 §5); [`request_error`]: why one is refused |
//! | [`request_buffer`] | bytes off the socket until a request is whole |
//! | [`routes`] | method + path → `/upper`, `/echo`, or a file |
//! | [`url_path`] | percent-decoding and the path-traversal guard |
//! | [`root`] | the served folder, and opening beneath it, race-free, on every OS |
//! | [`files`] | a path's file, folder or redirect; the conditional GET (`If-Modified-Since`) |
//! | [`file_cache`] | small files kept between requests, validated on every hit |
//! | [`listing`] | a folder's HTML listing |
//! | [`response`] | the response head, written in one place |
//! | [`error_page`] | an error's body: one line of text, or a page for a browser |
//! | [`keep_alive`] | the keep-alive decision |
//! | [`after_reply`] | the response's framing, and what the connection does once it is out |
//! | [`send`], [`batch_clock`] | the speed tricks: the bytes onto the socket, the clock once a batch |
//! | [`access_log`] | the Common Log Format line |
//! | [`workers`] | threads for work too slow for a loop: big listings |
//! | [`live`] | `--live`: the page that shows every connection, and its event stream |
//! | [`stopping`] | Ctrl+C: what is still going, and a second Ctrl+C |
//!
//! ## Stopping
//!
//! [`ShutdownHandle::stop`] (`httpserve` calls it on Ctrl+C) wakes every loop: each closes its
//! listening socket and idle connections, lets the responses in flight finish for at most
//! [`SHUTDOWN_GRACE`], and [`Server::run`] returns.

pub mod access_log;
pub mod addresses;
pub mod after_reply;
pub mod batch_clock;
pub mod capacity;
pub mod connection;
pub mod error_page;
pub mod event_loop;
pub mod file_cache;
pub mod files;
pub mod keep_alive;
pub mod listening;
pub mod listing;
pub mod live;
pub mod request;
pub mod request_buffer;
pub mod request_error;
pub mod request_line;
pub mod response;
pub mod root;
pub mod routes;
pub mod send;
pub mod slots;
pub mod stopping;
pub mod url_path;
pub mod workers;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use mio::net::TcpListener as ListeningSocket;
use mio::{Poll, Waker};

use access_log::Log;
pub use access_log::LogLevel;
use capacity::raise_open_file_limit;
pub use capacity::{default_event_loops, default_max_connections};
use event_loop::{EventLoop, WAKER};
use file_cache::FileCache;
use files::Root;
use listening::{listen, watch_listener};
use routes::Site;
pub use stopping::{ShutdownHandle, Stopping};
use workers::{Mailbox, Workers};

/// Time allowed from a request's first byte to the end of its head (and, on a new connection,
/// for the first byte to come): long enough for a person typing a request into `nc` or
/// telnet, as nginx's 60 s is. A busy server cuts it to [`BUSY_HEAD_TIMEOUT`].
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(60);
/// The head's time limit while the server is busy (its connection table at least three
/// quarters full): enough for any program, too short for a stalled socket to hold a slot.
pub const BUSY_HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed to send a request body, once its head has arrived.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may sit idle between requests.
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a response may make no progress (a client that does not read) before the
/// connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// After an error response, how long to keep reading (and discarding) what the client still
/// sends, so that closing does not reset the connection before the client reads the error.
pub const LINGER_TIME: Duration = Duration::from_secs(2);
/// The most bytes read and thrown away while lingering, so a client cannot keep a connection
/// busy for the whole [`LINGER_TIME`] by sending fast.
pub const LINGER_BYTES: usize = 256 * 1024;
/// How long a stopping server waits for responses in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The default bound on connections open at once, when the open-file limit allows it
/// ([`default_max_connections`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// The backlog of the listening socket: how many connections the kernel completes and queues
/// before the server accepts them. std uses 128; a burst of clients beyond it waits for SYN
/// retransmits (a second or more), so this is nginx's 511.
pub const LISTEN_BACKLOG: i32 = 511;
/// How often each event loop looks at its connections' deadlines; deadlines hold to within
/// this much. It is also the longest a loop sleeps, so it notices a stop at least this often.
pub const TICK: Duration = Duration::from_millis(250);

/// Every time limit the server keeps, in one place, so that tests (and a lesson) can make them
/// short. [`Timeouts::default`] has the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// [`REQUEST_HEAD_TIMEOUT`].
    pub head: Duration,
    /// [`BUSY_HEAD_TIMEOUT`].
    pub busy_head: Duration,
    /// [`BODY_TIMEOUT`].
    pub body: Duration,
    /// [`KEEP_ALIVE_TIMEOUT`].
    pub keep_alive: Duration,
    /// [`WRITE_TIMEOUT`].
    pub write: Duration,
    /// [`LINGER_TIME`].
    pub linger: Duration,
    /// [`SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            head: REQUEST_HEAD_TIMEOUT,
            busy_head: BUSY_HEAD_TIMEOUT,
            body: BODY_TIMEOUT,
            keep_alive: KEEP_ALIVE_TIMEOUT,
            write: WRITE_TIMEOUT,
            linger: LINGER_TIME,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Everything `httpserve`'s command line decides.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address or host name to listen on (`127.0.0.1`, `::1`, `localhost`: the first of its
    /// addresses that can be listened on); `None` for all interfaces (IPv6 and IPv4 when the
    /// system has both).
    pub bind: Option<String>,
    /// Port; 0 lets the OS choose.
    pub port: u16,
    /// The folder to serve.
    pub dir: PathBuf,
    /// Connections open at once; 0 for [`default_max_connections`].
    pub max_connections: usize,
    /// Event loops (threads); 0 for [`default_event_loops`] of the machine's cores.
    pub threads: usize,
    /// Whether `/upper` and `/echo` are on.
    pub routes_enabled: bool,
    /// Whether names beginning with `.` are served and listed (`--show-hidden`).
    pub show_hidden: bool,
    /// Whether small files are kept between requests ([`file_cache`]).
    pub file_cache: bool,
    /// How much to log on stderr.
    pub log: LogLevel,
    /// Whether `/_live` shows the connections live (`--live`, [`live`]).
    pub live: bool,
    /// The time limits.
    pub timeouts: Timeouts,
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
    /// `--bind` named a host the resolver does not know (or that has no address).
    UnknownHost(String, io::Error),
    /// Any other failure to listen (an address this machine does not have, …).
    Listen(SocketAddr, io::Error),
    /// The system refused what an event loop (or the live view's thread) needs (a `Poll`, a
    /// copy of the listening socket).
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
            StartError::UnknownHost(name, error) => write!(
                f,
                "cannot listen on {name}: no address found for that name ({error}); \
                 give an address such as 127.0.0.1, or leave --bind out for all interfaces"
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
    /// The thread that serves the live view's viewers (`--live`).
    view: Option<live::view::View>,
}

/// What every event loop shares.
struct Shared {
    site: Site,
    log: Log,
    timeouts: Timeouts,
    max_connections: usize,
    /// Connections open now, over all loops.
    open_connections: AtomicUsize,
    stopping: AtomicBool,
    /// What the loops still had when they stopped, and a second Ctrl+C ([`stopping`]).
    stop_count: stopping::StopCount,
    /// One per loop: wakes it from `poll` (to stop, or to collect finished work).
    mailboxes: Vec<Arc<Mailbox>>,
    /// The threads that build listings off the loops.
    workers: Workers,
    /// What the loops and the live view share (`--live`).
    live: Option<Arc<live::Live>>,
}

impl Shared {
    /// Whether the connection table is at least three quarters full: then connections waiting
    /// for a request head get [`BUSY_HEAD_TIMEOUT`] instead of the generous limit.
    fn is_busy(&self) -> bool {
        let open = self.open_connections.load(Ordering::Relaxed);
        open.saturating_mul(4) >= self.max_connections.saturating_mul(3)
    }
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
        let listener = listen(config.bind.as_deref(), config.port)?;
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
        let (live, view) = match config.live {
            true => {
                let (live, view) = live::start(threads).map_err(StartError::EventLoop)?;
                (Some(live), Some(view))
            }
            false => (None, None),
        };
        let mut loops = Vec::with_capacity(threads);
        let mut mailboxes = Vec::with_capacity(threads);
        for index in 0..threads {
            let poll = Poll::new().map_err(StartError::EventLoop)?;
            let copy = listener.try_clone().map_err(StartError::EventLoop)?;
            let mut listening = ListeningSocket::from_std(copy);
            watch_listener(&poll, &mut listening).map_err(StartError::EventLoop)?;
            let waker = Waker::new(poll.registry(), WAKER).map_err(StartError::EventLoop)?;
            let mailbox = Arc::new(Mailbox::new(waker));
            mailboxes.push(Arc::clone(&mailbox));
            let publisher = live.as_ref().map(|live| live::Publisher::new(live, index));
            loops.push(EventLoop::new(poll, listening, mailbox, publisher));
        }
        let shared = Arc::new(Shared {
            site: Site {
                root,
                cache: (config.file_cache && file_cache::WORKS_HERE).then(FileCache::new),
                routes_enabled: config.routes_enabled,
                show_hidden: config.show_hidden,
            },
            log: Log::new(config.log),
            timeouts: config.timeouts,
            max_connections: match config.max_connections {
                0 => default_max_connections(raise_open_file_limit()),
                chosen => {
                    raise_open_file_limit();
                    chosen
                }
            },
            open_connections: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            stop_count: stopping::StopCount::default(),
            mailboxes,
            workers: Workers::start(),
            live,
        });
        Ok(Server {
            local_addr,
            shared,
            loops,
            view,
        })
    }

    /// The address and real port the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The absolute folder being served, as a person writes it (on Windows `C:\www`, not the
    /// `\\?\C:\www` the system answers with).
    pub fn root(&self) -> &std::path::Path {
        self.shared.site.root.shown_path()
    }

    /// The most connections served at once ([`Config::max_connections`], or the default the
    /// open-file limit allows).
    pub fn max_connections(&self) -> usize {
        self.shared.max_connections
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
        if let Some(view) = self.view {
            let shared = Arc::clone(&self.shared);
            let started = thread::Builder::new()
                .name("http10-live".into())
                .spawn(move || view.run(&shared));
            if let Err(error) = started {
                let note = format!("cannot start the live view's thread: {error}");
                self.shared.log.note(LogLevel::Quiet, &note);
            }
        }
        let mut others = Vec::new();
        for event_loop in loops {
            let shared = Arc::clone(&self.shared);
            let started = thread::Builder::new()
                .name("http10-loop".into())
                .spawn(move || event_loop.run(&shared));
            match started {
                Ok(handle) => others.push(handle),
                // The loops that did start serve everyone; this one is only missed for speed.
                Err(error) => self.shared.log.note(
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
