//! What `httpserve --live` sees of a connection: one [`Row`], made at each of the loop's ticks
//! and when the connection closes (see [`live`](super::super::live)). Nothing here runs
//! without `--live`.

use super::super::live::{shown_line, Key, Phase, Row};
use super::{Clock, Connection, State, Stream};

impl<S: Stream, C: Clock> Connection<S, C> {
    /// This connection as a row of the live view, `key` naming it there.
    pub(in crate::server) fn live_row(&self, key: Key) -> Row {
        let mut bytes_out = self.bytes_out;
        let mut last = (&self.last_request[..], self.last_status);
        let phase = match &self.state {
            State::Waiting if self.served == 0 => Phase::Connected,
            State::Waiting => Phase::Idle,
            State::ReceivingHead | State::ReceivingBody => Phase::Reading,
            State::Received { .. } | State::Preparing { .. } => Phase::Answering,
            State::Sending(reply) => {
                bytes_out += reply.outgoing.total_sent();
                last = (&reply.request_line[..], Some(reply.status));
                Phase::Answering
            }
            State::Draining { .. } => Phase::Lingering,
        };
        Row {
            key,
            peer: self.peer,
            phase,
            served: self.served,
            bytes_in: self.bytes_in,
            bytes_out,
            last_request: shown_line(last.0),
            last_status: last.1.map(|status| status.code()),
            opened: self.opened,
            closed: None,
        }
    }
}
