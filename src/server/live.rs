//! `httpserve --live`: a page for the projector that shows every TCP connection as it lives.
//!
//! `/_live` is one HTML page, built into the program ([`PAGE`], so it works from any folder
//! and loads nothing from outside: the lab may be offline). Its script opens
//! `/_live/events`, a **Server-Sent Events** stream (`text/event-stream`, defined by the HTML
//! Living Standard, §9.2 "Server-sent events":
//! <https://html.spec.whatwg.org/multipage/server-sent-events.html>): lines of text, an event
//! ending at an empty line —
//!
//! ```text
//! event: rows
//! data: {"now":5120,"open":3,"hidden":0,"rows":[{"id":"0.7","peer":"127.0.0.1:50412",…}]}
//!
//! ```
//!
//! The stream is an ordinary HTTP/1.0 response with **no `Content-Length`**: RFC 1945 §7.2.2
//! says "Otherwise, the body length is determined by the closing of the connection by the
//! server." HTTP/1.0's own framing is what lets a response go on for as long as the page is
//! open (`curl -N --http1.0 http://127.0.0.1:8080/_live/events` shows it raw). Without
//! `--live` none of this exists: `/_live` is an ordinary path, and a file of that name is
//! served.
//!
//! ## How an update travels, and what bounds it
//!
//! ```text
//! event loop ── every TICK: one Row per connection, and the rows of those that closed ──┐
//! event loop ── …                                                                          │
//!                  try_lock: a busy board is skipped until the next tick, never waited on  ▼
//!                                                                    boards (one per loop)
//!                                                                          │ every VIEW_TICK
//!                                                                          ▼
//!                          the view thread: a table of rows ── rows that changed ──► viewers
//! ```
//!
//! * **The loops never wait for a viewer.** Each loop, at its [`TICK`](super::TICK), copies a
//!   small [`Row`] of each of its connections into its own board (a swap under a lock it only
//!   *tries*: if the view thread holds it, this tick is skipped). A connection that closes
//!   leaves its last row there too, so a request that came and went between two ticks is still
//!   seen. With `--live` off, there is no board: each hook is one branch on an `Option`.
//! * **One thread serves the viewers** ([`view`]), with its own `Poll`: it merges the boards
//!   into one table, and sends each viewer the rows that changed since its last update.
//!   Viewer sockets are handed to it by the event loops once their request is read, so no
//!   loop ever writes to a viewer.
//! * **Bounded.** At most [`MAX_VIEWERS`] viewers (the next gets `503`); at most [`MAX_ROWS`]
//!   rows in the table (open connections beyond are counted, not shown; closed rows go after
//!   [`FADE`]); at most [`MAX_CLOSED_HELD`] closed rows wait on a board. A viewer whose
//!   previous update is still unsent gets nothing new meanwhile: its next update carries
//!   everything that changed since (coalesced), so its buffer never holds more than one
//!   update. A viewer that takes nothing for [`VIEWER_STALL`] is dropped.
//!
//! Try: `httpserve --live`, open <http://127.0.0.1:8080/_live> on the projector, and load
//! the site from another browser: its pre-opened sockets, kept-alive connections and each
//! request show up within half a second.

pub mod view;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::net::TcpStream as ClientSocket;
use mio::{Poll, Token, Waker};

use super::request::Request;
use super::response::{Body, Response};
use crate::status::Status;

/// The page's path.
pub const PAGE_PATH: &str = "/_live";
/// The event stream's path.
pub const EVENTS_PATH: &str = "/_live/events";
/// The page: HTML, CSS and script in one file, built into the program.
pub const PAGE: &str = include_str!("live/page.html");
/// The most viewers at once; the next is answered `503 Service Unavailable`.
pub const MAX_VIEWERS: usize = 4;
/// The most rows the view keeps and shows.
pub const MAX_ROWS: usize = 500;
/// The most closed connections' rows that wait on one loop's board for the view thread.
pub const MAX_CLOSED_HELD: usize = 256;
/// How long a closed connection's row stays (fading) before it goes.
pub const FADE: Duration = Duration::from_secs(30);
/// How often the view thread collects the boards and sends what changed.
pub const VIEW_TICK: Duration = Duration::from_millis(250);
/// A viewer that has taken no byte of an update for this long is dropped.
pub const VIEWER_STALL: Duration = Duration::from_secs(10);
/// The most bytes of a request line a row keeps.
pub const MAX_LINE_SHOWN: usize = 100;

/// Where a connection is, as the page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connected, no byte of a request yet: often a browser's pre-connect.
    Connected,
    /// Part of a request (head or body) has arrived.
    Reading,
    /// A request is in: its answer is being built or sent.
    Answering,
    /// Kept alive after a response, waiting for the next request.
    Idle,
    /// The lingering close: the response is out, what the client still sends is drained.
    Lingering,
    /// A viewer of this page, receiving its event stream.
    Watching,
    /// Closed.
    Closed,
}

impl Phase {
    /// The word the page shows.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Connected => "connected",
            Phase::Reading => "reading head",
            Phase::Answering => "answering",
            Phase::Idle => "kept alive, idle",
            Phase::Lingering => "lingering",
            Phase::Watching => "watching live",
            Phase::Closed => "closed",
        }
    }
}

/// Which connection a row is: its loop and its serial number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The event loop's number.
    pub event_loop: usize,
    /// The connection's number in its loop.
    pub serial: u64,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.event_loop, self.serial)
    }
}

/// One connection, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Which connection.
    pub key: Key,
    /// The client's address and port.
    pub peer: SocketAddr,
    /// Where it is.
    pub phase: Phase,
    /// Requests answered on it.
    pub served: usize,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent, heads included.
    pub bytes_out: u64,
    /// The last request line (at most [`MAX_LINE_SHOWN`] bytes), as it arrived.
    pub last_request: Vec<u8>,
    /// The last response's status code.
    pub last_status: Option<u16>,
    /// When it was accepted.
    pub opened: Instant,
    /// When it closed.
    pub closed: Option<Instant>,
}

/// What one event loop left for the view thread since it last looked.
#[derive(Default)]
struct Board {
    /// A row for each connection open at the loop's last tick.
    open: Vec<Row>,
    /// The last rows of connections that closed since (the newest [`MAX_CLOSED_HELD`]).
    closed: VecDeque<Row>,
    /// Connections the loop had and did not put in `open` ([`MAX_ROWS`]).
    hidden: usize,
    /// Set by the loop, cleared by the view thread.
    fresh: bool,
}

/// A viewer's connection, handed by its event loop to the view thread.
struct Arrival {
    socket: ClientSocket,
    row: Row,
}

/// What the event loops and the view thread share.
pub struct Live {
    started: Instant,
    /// Viewer places taken (reserved when `/_live/events` is asked for).
    viewers: AtomicUsize,
    boards: Vec<Mutex<Board>>,
    arrivals: Mutex<Vec<Arrival>>,
    /// Wakes the view thread when a viewer arrives.
    waker: Waker,
}

/// The token of the view thread's waker.
const VIEW_WAKER: Token = Token(0);

/// Makes the shared part, and the view thread's `Poll` (run by `view::View::run`).
pub fn start(event_loops: usize) -> io::Result<(Arc<Live>, view::View)> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), VIEW_WAKER)?;
    let live = Arc::new(Live {
        started: Instant::now(),
        viewers: AtomicUsize::new(0),
        boards: (0..event_loops).map(|_| Mutex::default()).collect(),
        arrivals: Mutex::new(Vec::new()),
        waker,
    });
    Ok((Arc::clone(&live), view::View::new(poll, live)))
}

/// What the live view answers to a request.
pub enum LiveAnswer {
    /// An ordinary response: the page, or an error.
    Reply(Response),
    /// A viewer's place is taken: hand the connection to the view thread.
    Watch,
}

impl Live {
    /// The answer to `request` if its path is the live view's, else `None`.
    pub fn answer(&self, request: &Request) -> Option<LiveAnswer> {
        let path = request.target().split('?').next().unwrap_or_default();
        let method = request.method();
        match (path, method) {
            (PAGE_PATH | "/_live/", "GET" | "HEAD") => Some(LiveAnswer::Reply(
                Response::html(Status::Ok, PAGE.to_string())
                    .with_header("Cache-Control", "no-cache"),
            )),
            (EVENTS_PATH, "GET") => {
                let reserved =
                    self.viewers
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |taken| {
                            (taken < MAX_VIEWERS).then_some(taken + 1)
                        });
                Some(match reserved {
                    Ok(_) => LiveAnswer::Watch,
                    Err(_) => LiveAnswer::Reply(Response::error(
                        Status::ServiceUnavailable,
                        &format!(
                            "The live view has its {MAX_VIEWERS} viewers already; \
                             close one of them and try again."
                        ),
                    )),
                })
            }
            (EVENTS_PATH, "HEAD") => Some(LiveAnswer::Reply(events_response())),
            (PAGE_PATH | "/_live/" | EVENTS_PATH, method) => {
                Some(LiveAnswer::Reply(Response::error(
                    Status::NotImplemented,
                    &format!("The live view answers GET and HEAD, not {method}."),
                )))
            }
            _ => None,
        }
    }

    /// An event loop hands over a viewer's connection (whose place [`Live::answer`]
    /// reserved), already taken out of the loop's `Poll`.
    pub fn adopt(&self, socket: ClientSocket, mut row: Row) {
        row.phase = Phase::Watching;
        match self.arrivals.lock() {
            Ok(mut arrivals) => arrivals.push(Arrival { socket, row }),
            // The view thread died (a bug): this viewer is closed, its place given back.
            Err(_) => {
                self.give_back_place();
                return;
            }
        }
        // Without the wake-up, it is adopted at the next VIEW_TICK anyway.
        let _ = self.waker.wake();
    }

    /// A viewer's place is free again.
    pub fn give_back_place(&self) {
        self.viewers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Milliseconds from the server's start to `when`: the times the page is sent.
    fn millis(&self, when: Instant) -> u128 {
        when.saturating_duration_since(self.started).as_millis()
    }
}

/// The head of the event stream: no `Content-Length`, the body ends at the close.
pub fn events_response() -> Response {
    let mut response = Response::new(Status::Ok)
        .with_header("Content-Type", "text/event-stream")
        .with_header("Cache-Control", "no-cache");
    response.body = Body::UntilClose;
    response
}

/// One event loop's side: where it puts its rows.
pub struct Publisher {
    live: Arc<Live>,
    event_loop: usize,
    open: Vec<Row>,
    closed: VecDeque<Row>,
    hidden: usize,
}

impl Publisher {
    /// The publisher of event loop number `event_loop`.
    pub fn new(live: &Arc<Live>, event_loop: usize) -> Publisher {
        Publisher {
            live: Arc::clone(live),
            event_loop,
            open: Vec::new(),
            closed: VecDeque::new(),
            hidden: 0,
        }
    }

    /// The shared part, to hand a viewer over.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The key of this loop's connection number `serial`.
    pub fn key(&self, serial: u64) -> Key {
        Key {
            event_loop: self.event_loop,
            serial,
        }
    }

    /// Adds an open connection's row to the snapshot being made.
    pub fn open(&mut self, row: Row) {
        if self.open.len() < MAX_ROWS {
            self.open.push(row);
        } else {
            self.hidden += 1;
        }
    }

    /// A connection closed: its last row. Beyond [`MAX_CLOSED_HELD`] the oldest goes, so
    /// that the latest requests are the ones seen.
    pub fn closed(&mut self, row: Row) {
        if self.closed.len() == MAX_CLOSED_HELD {
            self.closed.pop_front();
        }
        self.closed.push_back(row);
    }

    /// Leaves the snapshot on the board, unless the view thread holds it right now: then it
    /// waits for the next tick (the closed rows are kept till then; the open ones are made
    /// again).
    pub fn publish(&mut self) {
        if let Ok(mut board) = self.live.boards[self.event_loop].try_lock() {
            std::mem::swap(&mut board.open, &mut self.open);
            board.closed.append(&mut self.closed);
            let excess = board.closed.len().saturating_sub(MAX_CLOSED_HELD);
            board.closed.drain(..excess);
            board.hidden = self.hidden;
            board.fresh = true;
        }
        self.open.clear();
        self.hidden = 0;
    }
}

/// The first [`MAX_LINE_SHOWN`] bytes of a request line, for a row.
pub fn shown_line(line: &[u8]) -> Vec<u8> {
    line[..line.len().min(MAX_LINE_SHOWN)].to_vec()
}
