//! The last step on the connection: `Draining`, the lingering close of Apache and nginx. The
//! response is out, so the sending side is shut (the client sees the end of the response),
//! then what the client still sends is read and thrown away, until it closes or
//! [`LINGER_BYTES`] or the linger time have gone by. Only then is the socket closed: with
//! nothing unread, the kernel ends with a FIN, not a reset that could destroy the response
//! before the client reads it ([`after_reply`](super::super::after_reply) quotes RFC 9112
//! §9.6 on it).
//!
//! It follows an error (the request broke a rule, so what the client still sends is unknown)
//! and any response after which the client may have sent more than was read.

use std::io;

use super::super::request::RequestBuffer;
use super::super::{Shared, LINGER_BYTES};
use super::{Clock, Connection, Paused, State, Step, Stream};

impl<S: Stream, C: Clock> Connection<S, C> {
    /// Shuts the sending side and starts draining, for the linger time at most.
    pub(super) fn linger(&mut self, shared: &Shared, ending: &'static str) {
        self.socket.shut_sending_side();
        self.received = RequestBuffer::new();
        self.state = State::Draining { ending, drained: 0 };
        self.start_clock(shared.timeouts.linger);
    }

    /// Draining: read and discard until the client closes (or the deadline, or too much).
    pub(super) fn drain(&mut self, scratch: &mut [u8]) -> Step {
        let State::Draining { ending, drained } = &mut self.state else {
            return Step::Continue(());
        };
        if !self.may_read {
            return Step::Break(Paused::Waiting);
        }
        match self.socket.read(scratch) {
            Ok(0) => Step::Break(Paused::Over(ending)),
            Ok(count) => {
                *drained += count;
                self.bytes_in += count as u64;
                if *drained > LINGER_BYTES {
                    return Step::Break(Paused::Over(ending));
                }
                Step::Continue(())
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.may_read = false;
                Step::Break(Paused::Waiting)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Step::Continue(()),
            Err(_) => Step::Break(Paused::Over(ending)),
        }
    }
}
