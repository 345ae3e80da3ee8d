//! The event loop: wait until the kernel says some sockets are ready, serve each of them as far
//! as it goes without waiting, look at the deadlines, and wait again.
//!
//! ```text
//! loop {
//!     poll()            one system call: which of my sockets can be read or written now?
//!     for each event:   the listening socket → accept a client
//!                       a client's socket   → advance its state machine (connection.rs)
//!                                             as far as a whole request
//!                       the waker           → a stop, or listings a worker has built
//!     answer the batch's requests
//!     send the batch's responses
//!     go on with large files that sent a piece and have more (each in turn)
//!     every TICK:       close connections whose deadline has passed
//! }
//! ```
//!
//! Why a loop like this and not a thread per connection is told in the [module docs](super),
//! with the edge-triggered flags each connection keeps.

use std::io;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::{TcpListener as ListeningSocket, TcpStream as ClientSocket};
use mio::{Events, Interest, Poll, Token};

use super::batch_clock;
use super::connection::{Connection, Expired, Hold, Paused, SystemClock};
use super::listening::{refuse_busy, watch_listener, LISTENER};
use super::live::{Phase, Publisher};
use super::request::READ_CHUNK;
use super::slots::Connections;
use super::workers::Mailbox;
use super::{LogLevel, Shared, TICK};

/// How many readiness events one `poll` may hand back.
const EVENTS_PER_POLL: usize = 256;
/// The token of the loop's waker: [`ShutdownHandle::stop`](super::ShutdownHandle::stop) and
/// the [workers](super::workers) use it.
pub(super) const WAKER: Token = Token(1);
/// Connection tokens start here: token `FIRST_CLIENT + i` is slot `i` in [`Connections`].
pub(super) const FIRST_CLIENT: usize = 2;

/// How many clients one event of the listening socket may accept. Level-triggered (Linux,
/// see [`watch_listener`]): one, as the next `poll` reports the rest. Edge-triggered: all of
/// them, since no new event will.
const ACCEPTS_PER_EVENT: usize = if cfg!(target_os = "linux") {
    1
} else {
    usize::MAX
};

/// One event loop: a `Poll`, its copy of the listening socket, and its connections.
pub(super) struct EventLoop {
    poll: Poll,
    /// Where workers leave finished pages for this loop's connections.
    mailbox: Arc<Mailbox>,
    /// The serial number the next connection gets.
    next_serial: u64,
    /// `None` once the server is stopping.
    listener: Option<ListeningSocket>,
    clients: Connections,
    /// Where every `read` lands first; a connection keeps only the bytes that arrived, so it
    /// needs no buffer of its own until it has something to hold.
    scratch: Vec<u8>,
    /// `accept` failed for want of resources (out of file descriptors): the listening socket
    /// is not watched until the next tick.
    accept_paused: bool,
    /// Connections with a whole request, to be answered once every event of the batch has
    /// been looked at.
    requests_ready: Vec<usize>,
    /// Connections whose response is ready, to be sent once every request of the batch has
    /// been answered.
    replies_ready: Vec<usize>,
    /// Connections that sent a piece of a large file and have more to send: they go on after
    /// the next `poll`, so that every connection gets its turn.
    yielded: Vec<usize>,
    /// Where this loop leaves its rows for `httpserve --live` (`None` without it).
    live: Option<Publisher>,
}

impl EventLoop {
    /// A loop that will wait on `poll`, where `listener` is already watched.
    pub(super) fn new(
        poll: Poll,
        listener: ListeningSocket,
        mailbox: Arc<Mailbox>,
        live: Option<Publisher>,
    ) -> EventLoop {
        EventLoop {
            poll,
            mailbox,
            next_serial: 0,
            listener: Some(listener),
            clients: Connections::default(),
            scratch: vec![0; READ_CHUNK],
            accept_paused: false,
            requests_ready: Vec::new(),
            replies_ready: Vec::new(),
            yielded: Vec::new(),
            live,
        }
    }

    /// The loop itself: wait for ready sockets, serve them, look at deadlines, repeat. Returns
    /// how many connections were still open when the stop's grace time ran out.
    pub(super) fn run(mut self, shared: &Shared) -> usize {
        let mut events = Events::with_capacity(EVENTS_PER_POLL);
        let mut next_tick = Instant::now() + TICK;
        let mut stop_deadline = None;
        loop {
            // Connections that yielded with more to send go on at once: do not sleep.
            let wait = if self.yielded.is_empty() {
                TICK
            } else {
                Duration::ZERO
            };
            if let Err(error) = self.poll.poll(&mut events, Some(wait)) {
                if error.kind() != io::ErrorKind::Interrupted {
                    let note = format!("an event loop failed, its connections are closed: {error}");
                    shared.log.note(LogLevel::Quiet, &note);
                    return self.clients.len();
                }
            }
            batch_clock::refresh();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_clients(shared),
                    // A stop (noticed below), or work finished for some connections.
                    WAKER => self.collect_finished_work(shared),
                    Token(token) => self.client_ready(shared, token - FIRST_CLIENT, event),
                }
            }
            self.answer_ready_requests(shared);
            self.send_ready_replies(shared);
            self.continue_yielded(shared);

            let now = Instant::now();
            if stop_deadline.is_none() && shared.stopping.load(Ordering::SeqCst) {
                stop_deadline = Some(now + shared.timeouts.shutdown_grace);
                // Closing our copy of the listening socket; once every loop has, new clients
                // are refused by the kernel. (Closing one copy of a descriptor does not take
                // it out of the `Poll`; `deregister` does.)
                if let Some(mut listener) = self.listener.take() {
                    if !self.accept_paused {
                        let _ = self.poll.registry().deregister(&mut listener);
                    }
                }
                self.look_at_deadlines(shared, now);
                // The idle connections are closed: what is left is still going.
                shared.stop_count.loop_counted(self.clients.len());
            }
            if now >= next_tick {
                self.look_at_deadlines(shared, now);
                self.publish_live();
                if self.accept_paused {
                    self.resume_accepting(shared);
                }
                next_tick = now + TICK;
            }
            if let Some(deadline) = stop_deadline {
                if self.clients.len() == 0 || now >= deadline || shared.stop_count.is_now() {
                    return self.cut_off_all(shared);
                }
            }
        }
    }

    /// Answers the requests that arrived in this batch of events, now that every ready socket
    /// has been read (see the module docs of [`server`](super)).
    fn answer_ready_requests(&mut self, shared: &Shared) {
        let mut ready = std::mem::take(&mut self.requests_ready);
        for slot in ready.drain(..) {
            self.advance(shared, slot, Hold::NewReplies);
        }
        self.requests_ready = ready;
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

    /// Sends the next piece for each connection that yielded last time round (a slot closed
    /// meanwhile, or given to another connection, only costs a look).
    fn continue_yielded(&mut self, shared: &Shared) {
        let mut yielded = std::mem::take(&mut self.yielded);
        for slot in yielded.drain(..) {
            self.advance(shared, slot, Hold::Nothing);
        }
        // Those that yielded again are in `self.yielded` now; keep the list's allocation.
        if self.yielded.is_empty() {
            self.yielded = yielded;
        }
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
                    shared
                        .log
                        .note(LogLevel::Quiet, &format!("accept failed: {error}"));
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
                shared.log.note(LogLevel::Quiet, &note);
            }
        }
    }

    /// Takes on a new connection, or answers 503 if the server is full.
    fn admit(&mut self, shared: &Shared, mut socket: ClientSocket, peer: SocketAddr) {
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        let open = shared.open_connections.fetch_add(1, Ordering::SeqCst);
        if open >= shared.max_connections && !self.make_room(shared) {
            shared.open_connections.fetch_sub(1, Ordering::SeqCst);
            refuse_busy(shared, socket, peer);
            return;
        }
        let slot = self.clients.vacant_slot();
        let token = Token(FIRST_CLIENT + slot);
        // Readable only: most responses leave in one write to a socket that has room, so
        // "writable" events would only wake the loop for nothing. A send that fills the socket
        // asks for them (`watch_writes`). Registered at once, not after a first read: the
        // request is almost never here yet when the connection is accepted (`bench/README.md`).
        let interest = Interest::READABLE;
        let registered = self.poll.registry().register(&mut socket, token, interest);
        if let Err(error) = registered {
            self.clients.give_back(slot);
            shared.open_connections.fetch_sub(1, Ordering::SeqCst);
            let note = format!("{peer} not served: {error}");
            shared.log.note(LogLevel::Quiet, &note);
            return;
        }
        shared
            .log
            .note(LogLevel::Verbose, &format!("{peer} connected"));
        let serial = self.next_serial;
        self.next_serial += 1;
        let connection = Connection::new(shared, socket, peer, token, serial, SystemClock);
        self.clients.put(slot, connection);
    }

    /// The server is full: closes this loop's connection that has waited longest for a
    /// request (a stalled or idle socket: it holds no request and no response), so that a new
    /// client is served rather than refused. `false` if every connection here is busy
    /// answering. Attackers that open sockets and send nothing (or a byte a second) then cost
    /// each other their slots, not the clients that send a request at once.
    fn make_room(&mut self, shared: &Shared) -> bool {
        let Some(slot) = self.clients.longest_waiting_for_a_request() else {
            return false;
        };
        self.close(shared, slot, "the server is full and it waited longest");
        // `close` gave the slot back; the caller's count of the new connection stands.
        shared.open_connections.fetch_add(1, Ordering::SeqCst);
        true
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
        self.advance(shared, slot, Hold::Requests);
    }

    /// Runs one connection's state machine as far as its socket allows (stopping at a whole
    /// request or a newly prepared response if `hold` says so: it joins the batch's
    /// `requests_ready` or `replies_ready`), and closes the connection if it is over. A panic
    /// (a bug) costs only this connection.
    fn advance(&mut self, shared: &Shared, slot: usize, hold: Hold) {
        let Some(client) = self.clients.get_mut(slot) else {
            return;
        };
        let scratch = &mut self.scratch;
        let outcome =
            panic::catch_unwind(AssertUnwindSafe(|| client.advance(shared, scratch, hold)));
        match outcome {
            Ok(Paused::RequestReady) => self.requests_ready.push(slot),
            Ok(Paused::ReplyReady) => self.replies_ready.push(slot),
            Ok(Paused::Waiting) if client.wants_writable_events => self.watch_writes(shared, slot),
            Ok(Paused::Waiting) => {}
            Ok(Paused::Over(ending)) => self.close(shared, slot, ending),
            Ok(Paused::Watch) => self.hand_to_live(shared, slot),
            Ok(Paused::Yielded) => self.yielded.push(slot),
            Ok(Paused::Deferred(work)) => {
                let serial = client.serial;
                if let Err(work) = shared.workers.submit(work, &self.mailbox, slot, serial) {
                    // No worker to take it: do it here, slower for the others.
                    let response = work.run();
                    client.finish_preparing(shared, response);
                    self.advance(shared, slot, Hold::Nothing);
                }
            }
            Err(_) => {
                let note = format!("{} internal error: connection dropped", client.peer);
                shared.log.note(LogLevel::Quiet, &note);
                self.close(shared, slot, "an internal error");
            }
        }
    }

    /// Hands each piece of finished work to its connection (if it is still the same one: a
    /// connection that closed meanwhile left its slot to another) and moves it along.
    fn collect_finished_work(&mut self, shared: &Shared) {
        for finished in self.mailbox.collect() {
            let Some(client) = self.clients.get_mut(finished.slot) else {
                continue;
            };
            if client.serial != finished.serial {
                continue;
            }
            client.finish_preparing(shared, finished.response);
            self.advance(shared, finished.slot, Hold::Nothing);
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

    /// Closes connections whose deadline has passed (or answers them `408`), and, when the
    /// server is stopping, those waiting for a request that has not started.
    fn look_at_deadlines(&mut self, shared: &Shared, now: Instant) {
        let stopping = shared.stopping.load(Ordering::SeqCst);
        let busy = shared.is_busy();
        for slot in 0..self.clients.capacity() {
            let Some(client) = self.clients.get_mut(slot) else {
                continue;
            };
            if now >= client.deadline(shared, busy) {
                match client.time_is_up(shared) {
                    Expired::Answering => self.advance(shared, slot, Hold::Nothing),
                    Expired::Close(ending) => self.close(shared, slot, ending),
                }
            } else if stopping && client.is_idle() {
                self.close(shared, slot, "the server is stopping");
            }
        }
    }

    /// The stop's grace time is over: closes every connection still open, each response cut
    /// short with its access-log line, and returns how many there were.
    fn cut_off_all(&mut self, shared: &Shared) -> usize {
        let open = self.clients.len();
        for slot in 0..self.clients.capacity() {
            if let Some(client) = self.clients.get_mut(slot) {
                client.cut_off(shared);
                self.close(shared, slot, "the server stopped");
            }
        }
        open
    }

    /// `httpserve --live`: leaves a row for each connection on this loop's board.
    fn publish_live(&mut self) {
        let Some(live) = &mut self.live else {
            return;
        };
        for slot in 0..self.clients.capacity() {
            if let Some(client) = self.clients.get_mut(slot) {
                live.open(client.live_row(live.key(client.serial)));
            }
        }
        live.publish();
    }

    /// A viewer of the live page asked for its event stream: the connection leaves this loop
    /// for the view thread, which writes the stream (see [`live`](super::live)).
    fn hand_to_live(&mut self, shared: &Shared, slot: usize) {
        let Some(mut client) = self.clients.take(slot) else {
            return;
        };
        shared.open_connections.fetch_sub(1, Ordering::SeqCst);
        let Some(live) = &self.live else {
            return;
        };
        let row = client.live_row(live.key(client.serial));
        if self.poll.registry().deregister(&mut client.socket).is_ok() {
            live.live().adopt(client.socket, row);
        } else {
            live.live().give_back_place();
        }
    }

    /// Ends a connection: the socket closes when the client is dropped (which also takes it
    /// out of the `Poll`).
    fn close(&mut self, shared: &Shared, slot: usize, ending: &str) {
        let Some(client) = self.clients.take(slot) else {
            return;
        };
        shared.open_connections.fetch_sub(1, Ordering::SeqCst);
        if let Some(live) = &mut self.live {
            let mut row = client.live_row(live.key(client.serial));
            row.phase = Phase::Closed;
            row.closed = Some(Instant::now());
            live.closed(row);
        }
        if shared.log.shows(LogLevel::Verbose) {
            let served = client.served;
            let plural = if served == 1 { "" } else { "s" };
            let peer = client.peer;
            let line = format!("{peer} closed after {served} request{plural}: {ending}");
            shared.log.note(LogLevel::Verbose, &line);
        }
    }
}
