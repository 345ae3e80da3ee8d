//! Step 3 on the connection: `Sending` — the response goes out as fast as the client takes
//! it, and once it is all out the [`AfterReply`] its plan chose is carried out: wait for the
//! next request (with the idle clock, or the head's if part of it came early), close at once,
//! or close in stages ([`closing`](super::closing)).

use super::super::after_reply::AfterReply;
use super::super::send::Sent;
use super::super::Shared;
use super::{log_reply, Clock, Connection, Paused, State, Step, Stream};

impl<S: Stream, C: Clock> Connection<S, C> {
    /// Sending: write what the socket takes; when all is out, log it and go on.
    pub(super) fn write_reply(&mut self, shared: &Shared) -> Step {
        let State::Sending(reply) = &mut self.state else {
            return Step::Continue(());
        };
        if !self.may_write {
            return Step::Break(Paused::Waiting);
        }
        let then = match reply.outgoing.write_to(&mut self.socket) {
            Ok(Sent::SocketFull) => {
                // Progress was made (or none was possible): the client has a fresh
                // write timeout to read some more.
                self.may_write = false;
                self.wants_writable_events = !self.watching_writes;
                self.start_clock(shared.timeouts.write);
                return Step::Break(Paused::Waiting);
            }
            Ok(Sent::Piece) => {
                self.start_clock(shared.timeouts.write);
                return Step::Break(Paused::Yielded);
            }
            Ok(Sent::All) => reply.then,
            Err(_) => {
                log_reply(shared, self.peer, reply);
                let ending = "the response could not be sent (client gone?)";
                return Step::Break(Paused::Over(ending));
            }
        };
        log_reply(shared, self.peer, reply);
        // What the live view shows of it: a move, not a copy.
        self.bytes_out += reply.outgoing.total_sent();
        self.last_status = Some(reply.status);
        std::mem::swap(&mut self.last_request, &mut reply.request_line);
        match then {
            AfterReply::Close if self.received.is_empty() && !self.may_read => {
                // Nothing of the client's is left unread (the last read emptied the socket):
                // closing now cannot reset the connection. (The reply is counted above: it
                // leaves the state, so that the live view's last row does not count it twice.)
                self.state = State::Waiting;
                Step::Break(Paused::Over("done"))
            }
            AfterReply::Close => {
                // Bytes the client sent after its request (a pipelined request, a body nobody
                // asked for) may still be unread: closing now would make the kernel send a
                // reset, which can destroy the response before the client reads it.
                self.linger(shared, "done");
                Step::Continue(())
            }
            AfterReply::KeepAlive if self.received.is_empty() => {
                self.state = State::Waiting;
                self.start_clock(shared.timeouts.keep_alive);
                Step::Continue(())
            }
            AfterReply::KeepAlive => {
                // Part of the next request came with this one (pipelining).
                self.state = State::ReceivingHead;
                self.start_clock(shared.timeouts.head);
                Step::Continue(())
            }
            AfterReply::Drain => {
                self.linger(shared, "a bad request");
                Step::Continue(())
            }
        }
    }
}
