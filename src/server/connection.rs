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
//! The event loop calls `Connection::advance` whenever the kernel says the socket changed;
//! each call goes as far as the socket allows without waiting (a `read` or `write` that would
//! wait returns `WouldBlock`), and the state says where to pick up next time. Each state has a
//! deadline (see the [module docs](super)); the loop closes a connection whose deadline passed.
//!
//! The protocol steps themselves live elsewhere: [`request`](super::request) reads the head,
//! [`routes`] decides the answer, [`after_reply`] how it is framed and whether the
//! connection stays open, [`send`](super::send) puts the bytes on the socket.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use mio::net::TcpStream as ClientSocket;
use mio::Token;

use super::after_reply::{self, AfterReply, Plan};
use super::request::{Progress, Rejected, Request, RequestBuffer};
use super::response::{Body, Deferred, Response};
use super::routes;
use super::send::{Outgoing, Sent};
use super::{LogLevel, Shared, LINGER_BYTES};
use crate::status::Status;

/// One connection and where it is in its exchange with the client.
pub(super) struct Connection {
    pub(super) socket: ClientSocket,
    pub(super) peer: SocketAddr,
    /// This connection's number in its loop: tells it apart from a later connection in the
    /// same slot, when finished work comes back from a worker.
    pub(super) serial: u64,
    state: State,
    /// When the current state's clock started: the connection arrived, the first byte of a
    /// request came, a response was last able to make progress, …
    pub(super) since: Instant,
    /// When the current state's time runs out.
    deadline: Instant,
    /// Bytes received and not used yet.
    received: RequestBuffer,
    /// Requests answered so far.
    pub(super) served: usize,
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
pub(super) enum Expired {
    /// Started a `408` response: advance the connection to send it.
    Answering,
    /// The connection is over, for this reason.
    Close(&'static str),
}

/// Why [`Connection::advance`] stopped.
pub(super) enum Paused {
    /// Until the socket is ready again.
    Waiting,
    /// A whole request is in, held as [`Hold::Requests`] asked.
    RequestReady,
    /// A response is ready, held as [`Hold::NewReplies`] asked.
    ReplyReady,
    /// The connection is over, for this reason.
    Over(&'static str),
    /// The response is to be built off the loop by this work; when it is done, the loop hands
    /// it to [`Connection::finish_preparing`].
    Deferred(Deferred),
    /// It has more to send and the socket has room: the loop comes back to it once the other
    /// ready connections have had their turn, without waiting for an event.
    Yielded,
}

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
    Preparing(Pending),
    /// A response is on its way out.
    Sending(Reply),
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
struct Reply {
    outgoing: Outgoing,
    status: Status,
    /// The request line for the access log.
    request_line: Vec<u8>,
    then: AfterReply,
}

/// What a response being built off the loop will need once it is ready.
struct Pending {
    plan: Plan,
    request_line: Vec<u8>,
}

/// What the state machine does after one step.
enum Step {
    /// Take another step at once.
    Continue,
    /// Nothing more until the socket is ready again.
    Wait,
    /// The connection is over, for this reason (shown in the verbose log).
    Close(&'static str),
    /// The response must be built off the loop by this work.
    Defer(Deferred),
    /// Let the loop's other connections have their turn, then go on.
    Yield,
}

impl Connection {
    pub(super) fn new(
        shared: &Shared,
        socket: ClientSocket,
        peer: SocketAddr,
        token: Token,
        serial: u64,
        now: Instant,
    ) -> Connection {
        Connection {
            socket,
            peer,
            serial,
            state: State::Waiting,
            since: now,
            deadline: now + shared.timeouts.head,
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

    /// Starts the current state's clock: it runs out after `limit`.
    fn start_clock(&mut self, now: Instant, limit: Duration) {
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
                State::Preparing(_) => Step::Wait,
                State::Sending(_) => self.send(shared),
                State::Draining { .. } => self.drain(scratch),
            };
            match step {
                Step::Continue => {}
                Step::Wait => return Paused::Waiting,
                Step::Close(ending) => return Paused::Over(ending),
                Step::Defer(work) => return Paused::Deferred(work),
                Step::Yield => return Paused::Yielded,
            }
        }
    }

    /// Receiving: take the request if it is all here, else read more.
    fn receive(&mut self, shared: &Shared, scratch: &mut [u8]) -> Step {
        match self.received.take_request() {
            Ok(Progress::Complete(request)) => {
                let arrived_at = Instant::now();
                self.state = State::Received {
                    request,
                    arrived_at,
                };
                return Step::Continue;
            }
            Err(rejected) => return self.reject(shared, rejected),
            Ok(Progress::NeedBody) if !matches!(self.state, State::ReceivingBody) => {
                self.state = State::ReceivingBody;
                self.start_clock(Instant::now(), shared.timeouts.body);
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
                    self.start_clock(Instant::now(), shared.timeouts.head);
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
    fn answer(&mut self, shared: &Shared) -> Step {
        let State::Received {
            request,
            arrived_at,
        } = std::mem::replace(&mut self.state, State::Waiting)
        else {
            return Step::Continue;
        };
        self.served += 1;
        shared.log.head(self.peer, &request);
        let socket = &self.socket;
        let arrived_on = || socket.local_addr().ok();
        let response = routes::respond(&shared.site, &request, arrived_at, &arrived_on);
        let stopping = shared.stopping.load(Ordering::SeqCst);
        let plan = after_reply::plan(
            &request,
            response.status,
            self.served,
            stopping,
            shared.timeouts.keep_alive,
        );
        if plan.then == AfterReply::KeepAlive && !self.no_delay {
            // A response leaves in one write, but on a connection kept open the client's
            // delayed ACK of the last one would make Nagle's algorithm hold back the start of
            // the next for about 40 ms. A connection that closes after one response has no
            // "next", so it is spared the system call (as nginx does).
            let _ = self.socket.set_nodelay(true);
            self.no_delay = true;
        }
        let request_line = if shared.log.shows(LogLevel::Access) {
            request.request_line().to_vec()
        } else {
            Vec::new() // not logged: spare the allocation
        };
        if let Body::Deferred(work) = response.body {
            self.state = State::Preparing(Pending { plan, request_line });
            self.start_clock(Instant::now(), shared.timeouts.write);
            return Step::Defer(work);
        }
        self.start_reply(shared, response, plan, request_line)
    }

    /// The response that was being built off the loop is ready: send it.
    pub(super) fn finish_preparing(&mut self, shared: &Shared, response: Response) {
        let State::Preparing(pending) = std::mem::replace(&mut self.state, State::Waiting) else {
            return;
        };
        self.start_reply(shared, response, pending.plan, pending.request_line);
    }

    /// A request that breaks a rule: answer the error, then drain and close.
    fn reject(&mut self, shared: &Shared, rejected: Rejected) -> Step {
        let response = Response::error(rejected.error.status(), &rejected.error.to_string());
        self.start_reply(shared, response, Plan::REFUSAL, rejected.first_line)
    }

    /// Lays out the response and switches to sending it.
    fn start_reply(
        &mut self,
        shared: &Shared,
        response: Response,
        plan: Plan,
        request_line: Vec<u8>,
    ) -> Step {
        let mut status = response.status;
        let mut then = plan.then;
        let outgoing = match Outgoing::new(response, plan.framing, SystemTime::now()) {
            Ok(outgoing) => outgoing,
            Err(_) => {
                // A small file is read here, and it shrank (or failed to read) since it was
                // opened: answer what happened instead of a head that would promise bytes
                // that are not there.
                status = Status::InternalServerError;
                then = Plan::FAILURE.then;
                let error = Response::error(status, "The file could not be read.");
                match Outgoing::new(error, Plan::FAILURE.framing, SystemTime::now()) {
                    Ok(outgoing) => outgoing,
                    Err(_) => return Step::Close("the file could not be read"),
                }
            }
        };
        self.state = State::Sending(Reply {
            outgoing,
            status,
            request_line,
            then,
        });
        self.start_clock(Instant::now(), shared.timeouts.write);
        Step::Continue
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
                // write timeout to read some more.
                self.may_write = false;
                self.wants_writable_events = !self.watching_writes;
                self.start_clock(Instant::now(), shared.timeouts.write);
                return Step::Wait;
            }
            Ok(Sent::Piece) => {
                self.start_clock(Instant::now(), shared.timeouts.write);
                return Step::Yield;
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
            AfterReply::Close if self.received.is_empty() && !self.may_read => {
                // Nothing of the client's is left unread (the last read emptied the socket):
                // closing now cannot reset the connection.
                Step::Close("done")
            }
            AfterReply::Close => {
                // Bytes the client sent after its request (a pipelined request, a body nobody
                // asked for) may still be unread: closing now would make the kernel send a
                // reset, which can destroy the response before the client reads it.
                self.linger(now, shared, "done");
                Step::Continue
            }
            AfterReply::KeepAlive if self.received.is_empty() => {
                self.state = State::Waiting;
                self.start_clock(now, shared.timeouts.keep_alive);
                Step::Continue
            }
            AfterReply::KeepAlive => {
                // Part of the next request came with this one (pipelining).
                self.state = State::ReceivingHead;
                self.start_clock(now, shared.timeouts.head);
                Step::Continue
            }
            AfterReply::Drain => {
                self.linger(now, shared, "a bad request");
                Step::Continue
            }
        }
    }

    /// The lingering close of Apache and nginx: the response is out, so shut the sending side
    /// (the client sees the end of the response), then read and throw away what the client
    /// still sends, until it closes or [`LINGER_BYTES`] or the linger time have gone by. Only
    /// then is the socket closed: with nothing unread, the kernel ends with a FIN, not a reset.
    fn linger(&mut self, now: Instant, shared: &Shared, ending: &'static str) {
        let _ = self.socket.shutdown(Shutdown::Write);
        self.received = RequestBuffer::new();
        self.state = State::Draining { ending, drained: 0 };
        self.start_clock(now, shared.timeouts.linger);
    }

    /// Draining: read and discard until the client closes (or the deadline, or too much).
    fn drain(&mut self, scratch: &mut [u8]) -> Step {
        let State::Draining { ending, drained } = &mut self.state else {
            return Step::Continue;
        };
        if !self.may_read {
            return Step::Wait;
        }
        match self.socket.read(scratch) {
            Ok(0) => Step::Close(ending),
            Ok(count) => {
                *drained += count;
                if *drained > LINGER_BYTES {
                    return Step::Close(ending);
                }
                Step::Continue
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.may_read = false;
                Step::Wait
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Step::Continue,
            Err(_) => Step::Close(ending),
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
            State::Preparing(_) => return Expired::Close("the page took too long to build"),
            // Only waits within one batch of events; answered when advanced.
            State::Received { .. } => return Expired::Answering,
            State::ReceivingHead => ("head", shared.timeouts.head, "--head-timeout"),
            State::ReceivingBody => ("body", shared.timeouts.body, "--body-timeout"),
        };
        let (limit, option) = if Instant::now() < self.deadline {
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
        self.start_reply(shared, response, Plan::REFUSAL, first_line);
        Expired::Answering
    }
}

/// The access-log line of a response, sent whole or cut short.
fn log_reply(shared: &Shared, peer: SocketAddr, reply: &Reply) {
    let sent = reply.outgoing.body_bytes_sent();
    shared
        .log
        .access(peer, &reply.request_line, reply.status, sent);
}
