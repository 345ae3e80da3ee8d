//! One connection's life, as a state machine: waiting for a request, receiving it, sending
//! the response, and after an error draining what the client still sends.
//!
//! ```text
//!            first byte             whole request          answered
//! Waiting ─────────────► ReceivingHead ─────────► Received ─────────► Sending ──► (close)
//!    ▲                       │  head done,           ▲                  │
//!    │                       ▼  body to come         │                  │ kept alive
//!    │                  ReceivingBody ───────────────┘                  │
//!    └──────────────────────────────────────────────────────────────────┘
//!     after an error, or with client bytes left unread: Sending ──► Draining ──► (close)
//!     a folder's listing, built by a worker: Received ──► Preparing ──► Sending
//! ```
//!
//! A request waits in `Received` only while the loop reads the other sockets of the same
//! batch of events: all of them are read before any is answered (see
//! [`event_loop`](super::event_loop)).
//!
//! The event loop calls [`Connection::advance`] whenever the kernel says the socket changed;
//! each call goes as far as the socket allows without waiting (a `read` or `write` that would
//! wait returns `WouldBlock`), and the state says where to pick up next time. Each state has a
//! deadline (see the [module docs](super)); the loop closes a connection whose deadline passed.
//!
//! Each step of the machine has a file of its own: [`receiving`] (`Waiting`, `ReceivingHead`,
//! `ReceivingBody`, and refusing a request that breaks a rule), [`answering`] (`Received`,
//! `Preparing`), [`sending`] (`Sending`, and what follows the response), [`closing`]
//! (`Draining`: the lingering close). The protocol steps themselves live elsewhere:
//! [`request`](super::request) reads the head, [`routes`](super::routes) decides the answer,
//! [`after_reply`](super::after_reply) how it is framed and whether the connection stays open,
//! [`send`](super::send) puts the bytes on the socket.
//!
//! ## The types that steer it
//!
//! | type | goes from → to | says |
//! |---|---|---|
//! | [`State`] | kept in the connection | where it is: one variant per state above |
//! | [`Hold`] | loop → [`advance`](Connection::advance) | stop early at a whole request, or at a new response, so a batch is read, then answered, then sent |
//! | [`Paused`] | `advance` → loop | why it stopped: each step returns a [`Step`], `Continue` or `Break(Paused)` |
//! | [`Expired`] | [`time_is_up`](Connection::time_is_up) → loop | a deadline passed: send the `408` just started, or close |
//! | [`AfterReply`] | [`Plan`] → `Sending` | what follows the response once it is out: keep alive, close, drain |
//! | `Outbound` | in `Sending` | the response going out, with what its access-log line needs |
//!
//! The connection reaches its socket only through [`Stream`] (the [`Socket`] responses are sent
//! on, plus reading and three calls of its own) and the time only through a [`Clock`], so its
//! tests drive it in memory, state by state, with a clock they move themselves.

// The module docs name the private steps and types: read them with
// `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

mod answering;
mod closing;
mod receiving;
mod sending;
#[cfg(test)]
mod tests;
mod watched;

use std::io::Read;
use std::net::{Shutdown, SocketAddr};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use mio::net::TcpStream as ClientSocket;
use mio::Token;

use super::after_reply::{AfterReply, Plan};
use super::batch_clock;
use super::request::{Request, RequestBuffer};
use super::response::{Deferred, Response};
use super::send::{Outgoing, Socket};
use super::Shared;
use crate::status::Status;

/// What a connection needs of its socket: the [`Socket`] a response is sent on, `Read` for the
/// request, and the three calls below. The server's is `mio`'s `TcpStream`; the tests' is a
/// script in memory.
pub(super) trait Stream: Socket + Read {
    /// Sends small segments at once (`TCP_NODELAY`): see [`answering`] for why.
    fn send_small_segments_at_once(&mut self);
    /// Shuts the sending side: the client reads the end of the response (see [`closing`]).
    fn shut_sending_side(&mut self);
    /// The address the connection arrived on, for a redirect's `Location` when the request
    /// names no `Host`.
    fn arrived_on(&self) -> Option<SocketAddr>;
}

impl Stream for ClientSocket {
    fn send_small_segments_at_once(&mut self) {
        // Only a little slower without it: nothing to do if the system refuses.
        let _ = self.set_nodelay(true);
    }

    fn shut_sending_side(&mut self) {
        // A socket the client already reset has no sending side left to shut.
        let _ = self.shutdown(Shutdown::Write);
    }

    fn arrived_on(&self) -> Option<SocketAddr> {
        self.local_addr().ok()
    }
}

/// Where a connection reads the time: the system's clock in the server, a clock the tests move.
pub(super) trait Clock {
    /// The time now, for a deadline: it may be the time the batch of events began.
    fn now(&self) -> Instant;
    /// The time now, read at this moment.
    fn now_exactly(&self) -> Instant;
}

/// The system's monotonic clock, read once per batch of events ([`batch_clock`]).
pub(super) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        batch_clock::now()
    }

    fn now_exactly(&self) -> Instant {
        Instant::now()
    }
}

/// One connection and where it is in its exchange with the client.
pub(super) struct Connection<S = ClientSocket, C = SystemClock> {
    pub(super) socket: S,
    pub(super) peer: SocketAddr,
    /// This connection's number in its loop: tells it apart from a later connection in the
    /// same slot, when finished work comes back from a worker.
    pub(super) serial: u64,
    state: State,
    clock: C,
    /// When the current state's clock started: the connection arrived, the first byte of a
    /// request came, a response was last able to make progress, …
    pub(super) since: Instant,
    /// When the current state's time runs out.
    deadline: Instant,
    /// Bytes received and not used yet.
    received: RequestBuffer,
    /// Requests answered so far.
    pub(super) served: usize,
    /// When it was accepted.
    opened: Instant,
    /// Bytes received so far, and sent in responses that are over (for the live view).
    bytes_in: u64,
    bytes_out: u64,
    /// The last response's request line (empty unless it was logged or watched) and status.
    last_request: Vec<u8>,
    last_status: Option<Status>,
    /// The socket may have bytes to read: set by an event, cleared by `WouldBlock`.
    pub(super) may_read: bool,
    /// The socket may have room to write: set by an event, cleared by `WouldBlock`.
    pub(super) may_write: bool,
    /// The kernel reported that the client closed its sending side.
    pub(super) read_closed: bool,
    /// `TCP_NODELAY` is set (on the first response that keeps the connection open).
    no_delay: bool,
    /// The socket is watched for "writable" too (after a send first filled it).
    pub(super) watching_writes: bool,
    /// A send filled the socket, and "writable" events are not watched yet: the loop adds
    /// them (it holds the `Poll`).
    pub(super) wants_writable_events: bool,
    /// The connection's token in its loop's `Poll`.
    pub(super) token: Token,
}

/// Whether [`Connection::advance`] stops at a request that has just arrived, or at a response
/// it has just prepared.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Hold {
    /// Stop at a whole request: the loop answers the batch's requests once all are read.
    Requests,
    /// Stop at a new response: the loop sends the batch's responses together.
    NewReplies,
    /// Go on as far as the socket allows.
    Nothing,
}

/// What [`Connection::time_is_up`] did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Expired {
    /// Started a `408` response: advance the connection to send it.
    Answering,
    /// The connection is over, for this reason.
    Close(&'static str),
}

/// Why [`Connection::advance`] stopped.
#[derive(Debug)]
pub(super) enum Paused {
    /// Until the socket is ready again.
    Waiting,
    /// A whole request is in, held as [`Hold::Requests`] asked.
    RequestReady,
    /// A response is ready, held as [`Hold::NewReplies`] asked.
    ReplyReady,
    /// The connection is over, for this reason (shown in the verbose log).
    Over(&'static str),
    /// A viewer of `httpserve --live`: the loop hands the connection to the view thread
    /// ([`live`](super::live)).
    Watch,
    /// The response is to be built off the loop by this work; when it is done, the loop hands
    /// it to [`Connection::finish_preparing`].
    Deferred(Deferred),
    /// It has more to send and the socket has room: the loop comes back to it once the other
    /// ready connections have had their turn, without waiting for an event.
    Yielded,
}

/// What one step of the state machine says: take another at once (`Continue`), or stop
/// [`advance`](Connection::advance) for this reason (`Break`).
type Step = ControlFlow<Paused>;

/// Where a connection is. Each state has its own deadline (see the module docs).
enum State {
    /// No byte of a request yet: a new connection, or a kept-alive one between requests.
    Waiting,
    /// Part of a request head has arrived; the rest must follow by the deadline.
    ReceivingHead,
    /// The head is complete; its body is still arriving.
    ReceivingBody,
    /// The whole request is in, to be answered.
    Received {
        request: Request,
        /// When it was found complete: after the `read` that brought its last byte.
        arrived_at: Instant,
    },
    /// The response is being built off the loop (a listing); the rest waits here.
    Preparing {
        plan: Plan,
        /// The request line for the access log.
        request_line: Vec<u8>,
    },
    /// A response is on its way out.
    Sending(Outbound),
    /// After the last response: the sending side is shut, and what the client still sends is
    /// read and thrown away until it closes, so that closing does not destroy the response.
    Draining {
        /// Why the connection ends, for the verbose log.
        ending: &'static str,
        /// Bytes thrown away so far.
        drained: usize,
    },
}

/// A response being sent, and what to log and do once it is out.
struct Outbound {
    outgoing: Outgoing,
    status: Status,
    /// The request line for the access log.
    request_line: Vec<u8>,
    then: AfterReply,
}

impl<S: Stream, C: Clock> Connection<S, C> {
    pub(super) fn new(
        shared: &Shared,
        socket: S,
        peer: SocketAddr,
        token: Token,
        serial: u64,
        clock: C,
    ) -> Connection<S, C> {
        let now = clock.now();
        Connection {
            socket,
            peer,
            serial,
            state: State::Waiting,
            clock,
            since: now,
            deadline: now + shared.timeouts.head,
            received: RequestBuffer::new(),
            served: 0,
            opened: now,
            bytes_in: 0,
            bytes_out: 0,
            last_request: Vec::new(),
            last_status: None,
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

    /// Starts the current state's clock: it runs out `limit` from now.
    fn start_clock(&mut self, limit: Duration) {
        let now = self.clock.now();
        self.since = now;
        self.deadline = now + limit;
    }

    /// When this connection's time runs out. When the server is `busy` (its connection table
    /// filling up), a connection still waiting for (the rest of) a request head gets only
    /// the busy limit ([`BUSY_HEAD_TIMEOUT`](super::BUSY_HEAD_TIMEOUT) by default): the
    /// generous limit for a person typing must not let stalled sockets crowd everyone out.
    pub(super) fn deadline(&self, shared: &Shared, busy: bool) -> Instant {
        match self.state {
            State::Waiting | State::ReceivingHead if busy => {
                self.deadline.min(self.since + shared.timeouts.busy_head)
            }
            _ => self.deadline,
        }
    }

    /// Whether the connection may be closed to make room for a new one when the server is
    /// full: it holds no response and no whole request, only the promise of one.
    pub(super) fn is_waiting_for_a_request(&self) -> bool {
        matches!(
            self.state,
            State::Waiting | State::ReceivingHead | State::ReceivingBody
        )
    }

    /// Whether the connection waits for a request that has not started.
    pub(super) fn is_idle(&self) -> bool {
        matches!(self.state, State::Waiting) && self.received.is_empty()
    }

    /// Steps until the socket has nothing more to give or take now, or until a new response
    /// is ready if `hold` says so.
    pub(super) fn advance(&mut self, shared: &Shared, scratch: &mut [u8], hold: Hold) -> Paused {
        loop {
            let step = match self.state {
                State::Waiting | State::ReceivingHead | State::ReceivingBody => {
                    self.receive(shared, scratch)
                }
                State::Received { .. } if hold == Hold::Requests => return Paused::RequestReady,
                State::Received { .. } => {
                    let step = self.answer(shared);
                    if hold == Hold::NewReplies && matches!(self.state, State::Sending(_)) {
                        return Paused::ReplyReady;
                    }
                    step
                }
                State::Preparing { .. } => Step::Break(Paused::Waiting),
                State::Sending(_) => self.write_reply(shared),
                State::Draining { .. } => self.drain(scratch),
            };
            if let Step::Break(paused) = step {
                return paused;
            }
        }
    }

    /// The server stops without waiting any longer for this connection: a response cut short
    /// gets its access-log line here, as one the client cut short does.
    pub(super) fn cut_off(&self, shared: &Shared) {
        if let State::Sending(reply) = &self.state {
            log_reply(shared, self.peer, reply);
        }
    }

    /// The deadline has passed. A request cut short is answered `408 Request Timeout`, which
    /// names the limit (the loop then sends it); anything else closes, and this says why (a
    /// response cut short gets its access-log line here).
    pub(super) fn time_is_up(&mut self, shared: &Shared) -> Expired {
        let (part, limit, option) = match &self.state {
            State::Waiting if self.served == 0 => {
                // Nothing at all was sent: browsers open such sockets in advance and may
                // never use them, so there is nothing to answer.
                return Expired::Close("no request arrived in time");
            }
            State::Waiting => return Expired::Close("idle"),
            State::Sending(reply) => {
                log_reply(shared, self.peer, reply);
                return Expired::Close("the client stopped reading");
            }
            State::Draining { ending, .. } => return Expired::Close(ending),
            State::Preparing { .. } => return Expired::Close("the page took too long to build"),
            // Only waits within one batch of events; answered when advanced.
            State::Received { .. } => return Expired::Answering,
            State::ReceivingHead => ("head", shared.timeouts.head, "--head-timeout"),
            State::ReceivingBody => ("body", shared.timeouts.body, "--body-timeout"),
        };
        let (limit, option) = if self.clock.now() < self.deadline {
            // Cut short because the server is busy.
            (
                shared.timeouts.busy_head,
                "--busy-head-timeout, as it is busy",
            )
        } else {
            (limit, option)
        };
        let explanation = format!(
            "The request {part} did not arrive in full within {} seconds (the server's {option}).",
            limit.as_secs_f64()
        );
        let response = Response::error(Status::RequestTimeout, &explanation);
        let first_line = self.received.first_line();
        // The step says "go on" (whatever could not be laid out, the 408 always can): the
        // loop advances the connection to send it.
        let _ = self.start_reply(shared, response, Plan::REFUSAL, first_line);
        Expired::Answering
    }
}

/// The access-log line of a response, sent whole or cut short.
fn log_reply(shared: &Shared, peer: SocketAddr, reply: &Outbound) {
    let sent = reply.outgoing.body_bytes_sent();
    shared
        .log
        .access(peer, &reply.request_line, reply.status, sent);
}
