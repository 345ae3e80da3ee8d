//! Step 1 on the connection: receiving a request — the `Waiting`, `ReceivingHead` and
//! `ReceivingBody` states — and refusing one that breaks a rule.
//!
//! Each call reads what the socket has now and asks the [`RequestBuffer`](super::RequestBuffer)
//! whether a whole request is there yet; the head's clock starts at its first byte (a deadline
//! for the whole head, so a byte a second does not help), the body's when the head is done.

use std::io;

use super::super::after_reply::Plan;
use super::super::request::{Gathering, Rejected};
use super::super::response::Response;
use super::super::Shared;
use super::{Clock, Connection, Paused, State, Step, Stream};

impl<S: Stream, C: Clock> Connection<S, C> {
    /// Receiving: take the request if it is all here, else read more.
    pub(super) fn receive(&mut self, shared: &Shared, scratch: &mut [u8]) -> Step {
        match self.received.take_request() {
            Ok(Gathering::Complete(request)) => {
                // Not the batch's time: the file cache needs one no earlier than the truth.
                let arrived_at = self.clock.now_exactly();
                self.state = State::Received {
                    request,
                    arrived_at,
                };
                return Step::Continue(());
            }
            Err(rejected) => return self.reject(shared, rejected),
            Ok(Gathering::NeedBody) if !matches!(self.state, State::ReceivingBody) => {
                self.state = State::ReceivingBody;
                self.start_clock(shared.timeouts.body);
            }
            Ok(_) => {}
        }
        if !self.may_read {
            return Step::Break(Paused::Waiting);
        }
        match self.received.read_from(&mut self.socket, scratch) {
            Ok(0) if self.received.is_empty() => Step::Break(Paused::Over("the client closed it")),
            Ok(0) => Step::Break(Paused::Over("the request did not arrive in full")),
            Ok(count) => {
                self.bytes_in += count as u64;
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
                    self.start_clock(shared.timeouts.head);
                }
                Step::Continue(())
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.may_read = false;
                Step::Break(Paused::Waiting)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Step::Continue(()),
            Err(_) => Step::Break(Paused::Over("a network error")),
        }
    }

    /// A request that breaks a rule: answer the error, then drain and close.
    fn reject(&mut self, shared: &Shared, rejected: Rejected) -> Step {
        let response = Response::error(rejected.error.status(), &rejected.error.to_string());
        self.start_reply(shared, response, Plan::REFUSAL, rejected.first_line)
    }
}
